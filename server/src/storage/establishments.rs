//! Storage of the entités juridiques and their sites (établissements géographiques): created from the command
//! line and by the demo seed, searched by the form, listed by the operator. Each creation writes its audit entry
//! in the same transaction.

use serde_json::json;
use shared::search::words as search_words;
use sqlx::FromRow;
use time::OffsetDateTime;

use super::statements::Statements;
use super::{
    Actor, Backend, Constraint, SEARCH_LIMIT, Storage, StorageError, is_kind, is_unique_violation,
};

const ESTABLISHMENT_COLUMNS: &str = "id, nom, siret, finess_juridique, demo";
const SITE_COLUMNS: &str = "id, establishment_id, nom, finess, siret, commune, demo";

/// An entité juridique to create (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEstablishment {
    pub nom: String,
    pub siret: Option<String>,
    pub finess_juridique: Option<String>,
    pub demo: bool,
}

/// A site (établissement géographique) to create (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSite {
    pub establishment_id: i64,
    pub nom: String,
    pub finess: Option<String>,
    pub siret: Option<String>,
    pub commune: Option<String>,
    pub demo: bool,
}

/// A stored entité juridique.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EstablishmentRecord {
    pub id: i64,
    pub nom: String,
    pub siret: Option<String>,
    pub finess_juridique: Option<String>,
    pub demo: bool,
}

/// A stored site.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SiteRecord {
    pub id: i64,
    pub establishment_id: i64,
    pub nom: String,
    pub finess: Option<String>,
    pub siret: Option<String>,
    pub commune: Option<String>,
    pub demo: bool,
}

/// A site found by a search, with the name of its entité juridique.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SiteMatch {
    #[sqlx(flatten)]
    pub site: SiteRecord,
    pub establishment_nom: String,
}

/// An entité juridique with its sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstablishmentWithSites {
    pub establishment: EstablishmentRecord,
    pub sites: Vec<SiteRecord>,
}

/// How an operator names an entité juridique on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EstablishmentKey {
    Id(i64),
    Siret(String),
    FinessJuridique(String),
}

/// At most 6 distinct search terms of a query.
fn search_terms(query: &str) -> Vec<String> {
    let mut terms = search_words(query);
    terms.dedup();
    terms.truncate(6);
    terms
}

/// The stored search key of a site: its words separated and surrounded by single spaces.
pub fn search_key(
    nom: &str,
    commune: Option<&str>,
    finess: Option<&str>,
    siret: Option<&str>,
) -> String {
    let words: Vec<String> = [Some(nom), commune, finess, siret]
        .into_iter()
        .flatten()
        .flat_map(search_words)
        .collect();
    format!(" {} ", words.join(" "))
}

/// The unique constraint PostgreSQL names in its error (SQLite names none).
fn constraint_of(err: &sqlx::Error) -> Option<Constraint> {
    err.as_database_error()
        .and_then(|db| db.constraint())
        .and_then(Constraint::from_name)
}

impl Storage {
    /// `ORDER BY` text the way SQLite does by default, byte by byte, whatever PostgreSQL's locale.
    fn byte_order(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " COLLATE \"C\"",
        }
    }

    /// Creates an entité juridique and writes the audit entry in the same transaction.
    #[tracing::instrument(skip_all, fields(demo = new.demo), err(level = "debug"))]
    pub async fn create_establishment(
        &self,
        new: &NewEstablishment,
        actor: &Actor,
    ) -> Result<EstablishmentRecord, StorageError> {
        let at = OffsetDateTime::now_utc();
        let sql = format!(
            "INSERT INTO establishments (nom, siret, finess_juridique, demo, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {ESTABLISHMENT_COLUMNS}"
        );
        let created = with_tx!(self, async |mut tx| {
            let record = sqlx::query_as::<_, EstablishmentRecord>(sqlx::AssertSqlSafe(sql))
                .bind(&new.nom)
                .bind(&new.siret)
                .bind(&new.finess_juridique)
                .bind(new.demo)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(|err| {
                    if is_unique_violation(&err) {
                        StorageError::Conflict(constraint_of(&err))
                    } else {
                        err.into()
                    }
                })?;
            tx.audit(
                at,
                actor.as_str(),
                "establishment.create",
                &format!("establishment:{}", record.id),
                &json!({
                    "nom": record.nom,
                    "siret": record.siret,
                    "finess_juridique": record.finess_juridique,
                    "demo": record.demo,
                }),
            )
            .await?;
            tx.commit().await?;
            Ok(record)
        });
        match created {
            Err(StorageError::Conflict(None)) if self.backend() == Backend::Sqlite => Err(
                StorageError::Conflict(self.establishment_conflict(new).await?),
            ),
            other => other,
        }
    }

    /// SQLite does not report which unique index failed: find it by looking for the existing row of each key.
    async fn establishment_conflict(
        &self,
        new: &NewEstablishment,
    ) -> Result<Option<Constraint>, StorageError> {
        if let Some(siret) = &new.siret
            && self
                .find_establishment(&EstablishmentKey::Siret(siret.clone()))
                .await?
                .is_some()
        {
            return Ok(Some(Constraint::EstablishmentSiret));
        }
        if let Some(finess) = &new.finess_juridique
            && self
                .find_establishment(&EstablishmentKey::FinessJuridique(finess.clone()))
                .await?
                .is_some()
        {
            return Ok(Some(Constraint::EstablishmentFinessJuridique));
        }
        Ok(None)
    }

    /// Adds a site to an entité juridique and writes the audit entry in the same transaction.
    #[tracing::instrument(skip_all, fields(establishment_id = new.establishment_id, demo = new.demo), err(level = "debug"))]
    pub async fn add_site(&self, new: &NewSite, actor: &Actor) -> Result<SiteRecord, StorageError> {
        let at = OffsetDateTime::now_utc();
        let key = search_key(
            &new.nom,
            new.commune.as_deref(),
            new.finess.as_deref(),
            new.siret.as_deref(),
        );
        let sql = format!(
            "INSERT INTO sites (establishment_id, nom, finess, siret, commune, search_key, demo, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {SITE_COLUMNS}"
        );
        let added = with_tx!(self, async |mut tx| {
            let record = sqlx::query_as::<_, SiteRecord>(sqlx::AssertSqlSafe(sql))
                .bind(new.establishment_id)
                .bind(&new.nom)
                .bind(&new.finess)
                .bind(&new.siret)
                .bind(&new.commune)
                .bind(&key)
                .bind(new.demo)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(|err| {
                    if is_unique_violation(&err) {
                        StorageError::Conflict(constraint_of(&err))
                    } else if is_kind(&err, sqlx::error::ErrorKind::ForeignKeyViolation) {
                        StorageError::EstablishmentNotFound
                    } else {
                        err.into()
                    }
                })?;
            tx.audit(
                at,
                actor.as_str(),
                "site.create",
                &format!("site:{}", record.id),
                &json!({
                    "establishment_id": record.establishment_id,
                    "nom": record.nom,
                    "finess": record.finess,
                    "siret": record.siret,
                    "commune": record.commune,
                    "demo": record.demo,
                }),
            )
            .await?;
            tx.commit().await?;
            Ok(record)
        });
        match added {
            Err(StorageError::Conflict(None)) if self.backend() == Backend::Sqlite => {
                Err(StorageError::Conflict(self.site_conflict(new).await?))
            }
            other => other,
        }
    }

    /// As [`Self::establishment_conflict`], for a site.
    async fn site_conflict(&self, new: &NewSite) -> Result<Option<Constraint>, StorageError> {
        if let Some(finess) = &new.finess
            && self.find_site_by_finess(finess).await?.is_some()
        {
            return Ok(Some(Constraint::SiteFiness));
        }
        if let Some(siret) = &new.siret {
            let found: Option<(i64,)> = with_pool!(self, async |pool| {
                Ok(sqlx::query_as("SELECT id FROM sites WHERE siret = $1")
                    .bind(siret)
                    .fetch_optional(pool)
                    .await?)
            })?;
            if found.is_some() {
                return Ok(Some(Constraint::SiteSiret));
            }
        }
        Ok(None)
    }

    /// Finds an entité juridique by id, SIRET or FINESS juridique.
    #[tracing::instrument(skip_all, err)]
    pub async fn find_establishment(
        &self,
        key: &EstablishmentKey,
    ) -> Result<Option<EstablishmentRecord>, StorageError> {
        let column = match key {
            EstablishmentKey::Id(_) => "id",
            EstablishmentKey::Siret(_) => "siret",
            EstablishmentKey::FinessJuridique(_) => "finess_juridique",
        };
        let sql = format!("SELECT {ESTABLISHMENT_COLUMNS} FROM establishments WHERE {column} = $1");
        with_pool!(self, async |pool| {
            let query = sqlx::query_as::<_, EstablishmentRecord>(sqlx::AssertSqlSafe(sql));
            let query = match key {
                EstablishmentKey::Id(id) => query.bind(*id),
                EstablishmentKey::Siret(value) | EstablishmentKey::FinessJuridique(value) => {
                    query.bind(value.as_str())
                }
            };
            Ok(query.fetch_optional(pool).await?)
        })
    }

    /// Finds a site by FINESS géographique.
    #[tracing::instrument(skip_all, err)]
    pub async fn find_site_by_finess(
        &self,
        finess: &str,
    ) -> Result<Option<SiteRecord>, StorageError> {
        let sql = format!("SELECT {SITE_COLUMNS} FROM sites WHERE finess = $1");
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as::<_, SiteRecord>(sqlx::AssertSqlSafe(sql))
                .bind(finess)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Every entité juridique with its sites, ordered by name.
    #[tracing::instrument(skip_all, err)]
    pub async fn list_establishments(&self) -> Result<Vec<EstablishmentWithSites>, StorageError> {
        let order = self.byte_order();
        let establishments_sql =
            format!("SELECT {ESTABLISHMENT_COLUMNS} FROM establishments ORDER BY nom{order}, id");
        let sites_sql = format!("SELECT {SITE_COLUMNS} FROM sites ORDER BY nom{order}, id");
        let (establishments, sites) = with_pool!(self, async |pool| {
            let establishments =
                sqlx::query_as::<_, EstablishmentRecord>(sqlx::AssertSqlSafe(establishments_sql))
                    .fetch_all(pool)
                    .await?;
            let sites = sqlx::query_as::<_, SiteRecord>(sqlx::AssertSqlSafe(sites_sql))
                .fetch_all(pool)
                .await?;
            Ok((establishments, sites))
        })?;
        Ok(establishments
            .into_iter()
            .map(|establishment| {
                let sites = sites
                    .iter()
                    .filter(|site| site.establishment_id == establishment.id)
                    .cloned()
                    .collect();
                EstablishmentWithSites {
                    establishment,
                    sites,
                }
            })
            .collect())
    }

    /// Sites whose name, commune or identifiers contain every word of `query` (accent- and case-insensitive),
    /// at most `limit` (capped at [`SEARCH_LIMIT`]).
    #[tracing::instrument(skip_all, err)]
    pub async fn search_sites(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<SiteMatch>, StorageError> {
        let terms = search_terms(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, SEARCH_LIMIT);
        let conditions: String = (1..=terms.len())
            .map(|n| format!(" AND s.search_key LIKE ${n}"))
            .collect();
        let sql = format!(
            "SELECT s.id, s.establishment_id, s.nom, s.finess, s.siret, s.commune, s.demo, \
             e.nom AS establishment_nom \
             FROM sites s JOIN establishments e ON e.id = s.establishment_id WHERE 1 = \
             1{conditions} ORDER BY s.search_key{}, s.id LIMIT ${}",
            self.byte_order(),
            terms.len() + 1
        );
        with_pool!(self, async |pool| {
            let mut query = sqlx::query_as::<_, SiteMatch>(sqlx::AssertSqlSafe(sql));
            for term in &terms {
                // Terms hold letters and digits only (see `search_words`): no LIKE wildcard to escape.
                query = query.bind(format!("%{term}%"));
            }
            Ok(query.bind(limit).fetch_all(pool).await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_key_folds_accents_and_punctuation() {
        assert_eq!(
            search_key(
                "EHPAD Les Églantines (démo)",
                Some("Saint-Gaudens"),
                Some("319999918"),
                None
            ),
            " ehpad les eglantines demo saint gaudens 319999918 "
        );
    }

    #[test]
    fn search_terms_are_limited_and_cleaned() {
        assert_eq!(
            search_terms("  Évry--Courcouronnes "),
            vec!["evry", "courcouronnes"]
        );
        assert!(search_terms("%_").is_empty());
        assert_eq!(search_terms("a b c d e f g h").len(), 6);
    }
}
