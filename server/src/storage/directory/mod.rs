//! Storage of the establishment's directory: CAS 1 registrations by a gestionnaire ([`registration`]), the people
//! with a situation d'exercice in a gestionnaire's sites (keyset pages by name, [`search`]), changes to a person and
//! their situations ([`changes`], scheduled closings applied by [`Storage::apply_due_closings`]) and the person's
//! history. This module holds the records and the reads the features share.
//!
//! Every change writes, in its own transaction, the change, the professional's email and one audit row whose
//! subject is `professional:{id}` (with `situation_id` in the details when it concerns a situation).

mod changes;
mod registration;
mod search;

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::OffsetDateTime;

use super::statements::Statements;
use super::{Actor, NewEmail, Storage, StorageError, in_list};

pub use registration::{Registration, RegistrationOutcome};
pub use search::{DIRECTORY_PAGE_SIZE, DirectoryFilter, DirectoryRecord};

/// The stored search key (" w1 w2 … ": folded words of every name and the RPPS number) and sort key (folded
/// "nom prénom d'exercice") of a person. `prenoms` is the stored JSON array.
pub fn directory_keys(
    nom_naissance: &str,
    prenoms: &str,
    nom_exercice: &str,
    prenom_exercice: &str,
    rpps: &str,
) -> (String, String) {
    let prenoms = super::prenoms_from_stored(prenoms);
    let mut words: Vec<String> = Vec::new();
    for text in [nom_naissance, nom_exercice, prenom_exercice, rpps]
        .into_iter()
        .chain(prenoms.iter().map(String::as_str))
    {
        let mut found = shared::search::words(text);
        // "N'Diaye" is also found as "ndiaye", "Le Goff" as "legoff".
        if found.len() > 1 {
            found.push(found.concat());
        }
        for word in found {
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    let sort = shared::search::words(&format!("{nom_exercice} {prenom_exercice}")).join(" ");
    (format!(" {} ", words.join(" ")), sort)
}

/// A stored person.
#[derive(Debug, Clone, FromRow)]
pub struct ProfessionalRecord {
    pub id: i64,
    pub rpps: String,
    pub civilite: String,
    pub nom_naissance: String,
    /// JSON array.
    pub prenoms: String,
    pub date_naissance: String,
    pub lieu_commune_cog: Option<String>,
    pub lieu_pays_cog: Option<String>,
    pub lieu_ville_etrangere: Option<String>,
    pub lieu_commune_libre: Option<String>,
    pub lieu_departement_libre: Option<String>,
    pub email: String,
    pub mobile: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub identity_key: String,
    pub ecps_activated_at: Option<OffsetDateTime>,
}

const PROFESSIONAL_COLUMNS: &str = "p.id, p.rpps, p.civilite, p.nom_naissance, p.prenoms, p.date_naissance, \
     p.lieu_commune_cog, p.lieu_pays_cog, p.lieu_ville_etrangere, p.lieu_commune_libre, p.lieu_departement_libre, \
     p.email, p.mobile, p.nom_exercice, p.prenom_exercice, p.identity_key, p.ecps_activated_at";

/// One situation d'exercice with its site's name.
#[derive(Debug, Clone, FromRow)]
pub struct SituationRecord {
    pub id: i64,
    pub professional_id: i64,
    pub site_id: i64,
    pub site_nom: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub metier: String,
    pub role: String,
    pub mode_exercice: String,
    pub date_prise_fonction: String,
    pub active: bool,
    pub end_date: Option<String>,
    pub end_reason: Option<String>,
}

const SITUATION_SELECT: &str = "SELECT s.id, s.professional_id, s.site_id, t.nom AS site_nom, s.nom_exercice, \
     s.prenom_exercice, s.metier, s.role, s.mode_exercice, s.date_prise_fonction, s.active, s.end_date, \
     s.end_reason FROM situations s JOIN sites t ON t.id = s.site_id";

/// An audit row of a person's history, with the acting gestionnaire's name when there is one.
#[derive(Debug, Clone, FromRow)]
pub struct HistoryRecord {
    pub at: OffsetDateTime,
    pub actor: String,
    pub actor_nom: Option<String>,
    pub action: String,
    pub details: Json<Value>,
}

/// What a change to a person or a situation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    Done,
    /// A request for the same person waits in a queue.
    Pending,
    /// The situation is closed (or was closed meanwhile).
    Closed,
    /// The person already has an active situation at that site.
    SituationExists,
}

/// One change: the audit entry and the emails to queue with it.
pub struct Change<'a> {
    pub professional_id: i64,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub details: Value,
    pub emails: Vec<NewEmail>,
}

impl Storage {
    /// Whether a request for this person waits in any queue.
    pub async fn pending_request_for(&self, professional_id: i64) -> Result<bool, StorageError> {
        with_pool!(self, async |pool| {
            let mut conn = pool.acquire().await?;
            conn.pending_for(professional_id).await
        })
    }
    /// The situations of these people in `sites`: active first, then the most recent.
    pub async fn situations_of(
        &self,
        professionals: &[i64],
        sites: &[i64],
    ) -> Result<Vec<SituationRecord>, StorageError> {
        if professionals.is_empty() || sites.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{SITUATION_SELECT} WHERE s.professional_id IN ({}) AND s.site_id IN ({}) \
             ORDER BY s.professional_id, s.active DESC, s.date_prise_fonction DESC, s.id DESC",
            in_list(professionals),
            in_list(sites)
        );
        with_pool!(self, async |pool| Ok(sqlx::query_as::<_, SituationRecord>(
            sqlx::AssertSqlSafe(sql)
        )
        .fetch_all(pool)
        .await?))
    }
    /// A person, if they have a situation (active or closed) in one of `sites`.
    pub async fn find_professional(
        &self,
        id: i64,
        sites: &[i64],
    ) -> Result<Option<ProfessionalRecord>, StorageError> {
        if sites.is_empty() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {PROFESSIONAL_COLUMNS} FROM professionals p WHERE p.id = $1 AND EXISTS \
             (SELECT 1 FROM situations s WHERE s.professional_id = p.id AND s.site_id IN ({}))",
            in_list(sites)
        );
        with_pool!(self, async |pool| Ok(
            sqlx::query_as::<_, ProfessionalRecord>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
        ))
    }
    /// Active situations of this person outside `sites`.
    pub async fn other_active_situations(
        &self,
        professional_id: i64,
        sites: &[i64],
    ) -> Result<i64, StorageError> {
        let sql = format!(
            "SELECT COUNT(*) FROM situations s WHERE s.professional_id = $1 AND s.active = TRUE \
             AND s.site_id NOT IN ({})",
            if sites.is_empty() {
                "0".to_owned()
            } else {
                in_list(sites)
            }
        );
        let (n,): (i64,) = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(professional_id)
                .fetch_one(pool)
                .await?)
        })?;
        Ok(n)
    }
    /// Computes the directory keys of people stored before they existed; answers how many.
    pub async fn backfill_directory_keys(&self) -> Result<u64, StorageError> {
        let rows: Vec<(i64, String, String, String, String, String)> =
            with_pool!(self, async |pool| {
                Ok(sqlx::query_as(
                    "SELECT id, nom_naissance, prenoms, nom_exercice, prenom_exercice, rpps FROM \
                     professionals WHERE sort_key IS NULL OR search_key IS NULL LIMIT 1000",
                )
                .fetch_all(pool)
                .await?)
            })?;
        let mut done = 0;
        for (id, nom, prenoms, nom_ex, prenom_ex, rpps) in rows {
            let (search_key, sort_key) = directory_keys(&nom, &prenoms, &nom_ex, &prenom_ex, &rpps);
            done += with_write!(self, async |pool| {
                Ok(sqlx::query(
                    "UPDATE professionals SET search_key = $2, sort_key = $3 WHERE id = $1",
                )
                .bind(id)
                .bind(&search_key)
                .bind(&sort_key)
                .execute(pool)
                .await?
                .rows_affected())
            })?;
        }
        Ok(done)
    }
    /// The history of a person, newest first: every change under `professional:{id}` (their e-CPS sign-ins and
    /// sign-outs are not changes), and the validation of their
    /// self pre-registrations (CAS 2) at one of `sites`, which created their situations there.
    pub async fn professional_history(
        &self,
        professional_id: i64,
        sites: &[i64],
    ) -> Result<Vec<HistoryRecord>, StorageError> {
        let scope = if sites.is_empty() {
            "0".to_owned()
        } else {
            in_list(sites)
        };
        let sql = format!(
            "SELECT a.at, a.actor, g.nom AS actor_nom, a.action, a.details FROM audit_log a \
             LEFT JOIN gestionnaires g ON a.actor = 'gestionnaire:' || g.id \
             WHERE (a.subject = $1 AND a.action NOT IN ('ecps.sign_in', 'ecps.sign_out')) OR \
             (a.action = 'pre_registration.validee' AND a.subject IN (SELECT 'pre_registration:' \
             || r.id FROM pre_registrations r WHERE r.professional_id = $2 AND r.origin = \
             'professionnel' AND r.site_id IN ({scope}))) ORDER BY a.at DESC, a.id DESC LIMIT 500"
        );
        with_pool!(self, async |pool| Ok(sqlx::query_as::<_, HistoryRecord>(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(format!("professional:{professional_id}"))
        .bind(professional_id)
        .fetch_all(pool)
        .await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_accents_and_case_and_keep_every_name() {
        let (search, sort) = directory_keys(
            "N'Diaye",
            r#"["Awa", "Marie-Louise"]"#,
            "Martin-Éloi",
            "Awa",
            "91000000019",
        );
        assert_eq!(sort, "martin eloi awa");
        for word in [
            " n ",
            " diaye ",
            " ndiaye ",
            " marielouise ",
            " marie ",
            " louise ",
            " eloi ",
            " 91000000019 ",
        ] {
            assert!(search.contains(word), "{word} in {search}");
        }
        assert_eq!(search.matches(" awa ").count(), 1);
    }
}
