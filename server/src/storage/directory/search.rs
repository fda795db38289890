//! The directory's pages: the people with a situation matching a filter in a gestionnaire's sites, by name, 50 at
//! a time.

use sqlx::FromRow;

use crate::storage::{Storage, StorageError, in_list};

/// People per directory page.
pub const DIRECTORY_PAGE_SIZE: i64 = 50;
/// Up to this many situations in a gestionnaire's sites, a directory page starts from them (see
/// [`Storage::directory_page`]).
const SMALL_SCOPE: i64 = 20_000;

/// One directory row.
#[derive(Debug, Clone, FromRow)]
pub struct DirectoryRecord {
    pub id: i64,
    pub rpps: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub nom_naissance: String,
    pub sort_key: String,
}

/// Filters of a directory page (already checked and scoped).
#[derive(Debug, Clone, Default)]
pub struct DirectoryFilter {
    /// Site ids whose situations count (already restricted to the gestionnaire's scope).
    pub sites: Vec<i64>,
    /// An RPPS number (11 digits) or folded name words, each matched as a word prefix.
    pub rpps: Option<String>,
    pub words: Vec<String>,
    pub metier: Option<String>,
    pub role: Option<String>,
    /// `Some(true)`: active situations; `Some(false)`: closed ones.
    pub active: Option<bool>,
    /// Rows strictly after this (sort key, id).
    pub after: Option<(String, i64)>,
}

impl Storage {
    /// One page of the people with a situation matching `filter` in its sites, by name then id.
    #[tracing::instrument(skip_all, fields(sites = filter.sites.len()), err)]
    pub async fn directory_page(
        &self,
        filter: &DirectoryFilter,
    ) -> Result<Vec<DirectoryRecord>, StorageError> {
        if filter.sites.is_empty() {
            return Ok(Vec::new());
        }
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        let mut situation = format!("s.site_id IN ({})", in_list(&filter.sites));
        let mut person = String::new();
        let metier_at = filter.metier.as_ref().map(|_| next());
        let role_at = filter.role.as_ref().map(|_| next());
        let rpps_at = filter.rpps.as_ref().map(|_| next());
        let words_at: Vec<i64> = filter.words.iter().map(|_| next()).collect();
        let after_at = filter.after.as_ref().map(|_| (next(), next()));
        if let Some(i) = metier_at {
            situation.push_str(&format!(" AND s.metier = ${i}"));
        }
        if let Some(i) = role_at {
            situation.push_str(&format!(" AND s.role = ${i}"));
        }
        match filter.active {
            Some(true) => situation.push_str(" AND s.active = TRUE"),
            Some(false) => situation.push_str(" AND s.active = FALSE"),
            None => {}
        }
        if let Some(i) = rpps_at {
            person.push_str(&format!(" AND p.rpps = ${i}"));
        }
        for i in &words_at {
            person.push_str(&format!(" AND p.search_key LIKE ${i}"));
        }
        if let Some((k, i)) = after_at {
            person.push_str(&format!(
                " AND (p.sort_key > ${k} OR (p.sort_key = ${k} AND p.id > ${i}))"
            ));
        }
        // Walking the name index and probing each person's situations is fastest when the scope holds a good
        // share of everyone; for a small establishment on a shared instance it would walk the whole national
        // list, so its situations are collected first instead, up to SMALL_SCOPE (see ARCHITECTURE.md).
        let scope_sql = format!(
            "SELECT COUNT(*) FROM situations s WHERE s.site_id IN ({})",
            in_list(&filter.sites)
        );
        let (in_scope,): (i64,) = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(scope_sql))
                .fetch_one(pool)
                .await?)
        })?;
        // A filter may match few people: walking the name index would then read everyone.
        let unfiltered = filter.metier.is_none()
            && filter.role.is_none()
            && filter.active.is_none()
            && filter.words.is_empty();
        let people = if filter.rpps.is_some() || (in_scope > SMALL_SCOPE && unfiltered) {
            format!(
                "EXISTS (SELECT 1 FROM situations s WHERE s.professional_id = p.id AND {situation})"
            )
        } else {
            format!("p.id IN (SELECT s.professional_id FROM situations s WHERE {situation})")
        };
        let sql = format!(
            "SELECT p.id, p.rpps, p.nom_exercice, p.prenom_exercice, p.nom_naissance, \
             COALESCE(p.sort_key, '') AS sort_key FROM professionals p \
             WHERE {people}{person} ORDER BY p.sort_key, p.id LIMIT {}",
            DIRECTORY_PAGE_SIZE + 1
        );
        with_pool!(self, async |pool| {
            let mut query = sqlx::query_as::<_, DirectoryRecord>(sqlx::AssertSqlSafe(sql));
            if let Some(metier) = &filter.metier {
                query = query.bind(metier.clone());
            }
            if let Some(role) = &filter.role {
                query = query.bind(role.clone());
            }
            if let Some(rpps) = &filter.rpps {
                query = query.bind(rpps.clone());
            }
            for word in &filter.words {
                // Words hold letters and digits only: no LIKE wildcard to escape.
                query = query.bind(format!("% {word}%"));
            }
            if let Some((key, id)) = &filter.after {
                query = query.bind(key.clone()).bind(*id);
            }
            Ok(query.fetch_all(pool).await?)
        })
    }
}
