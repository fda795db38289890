//! Storage of the establishment's directory: CAS 1 registrations by a gestionnaire, the people with a situation
//! d'exercice in a gestionnaire's sites (keyset pages by name), updates, corrections, new situations, closings
//! (scheduled ones applied by [`Storage::apply_due_closings`]) and the person's history.
//!
//! Every change writes, in its own transaction, the change, the professional's email and one audit row whose
//! subject is `professional:{id}` (with `situation_id` in the details when it concerns a situation).

use serde_json::{Value, json};
use sqlx::FromRow;
use sqlx::types::Json;
use time::OffsetDateTime;

use super::queue::identity_key;
use super::statements::{Identity, PENDING, RppsSource, Statements};
use super::{
    Actor, NewEmail, NewPreRegistration, Storage, StorageError, in_list, is_unique_violation, now,
};

/// People per directory page.
pub const DIRECTORY_PAGE_SIZE: i64 = 50;
/// Up to this many situations in a gestionnaire's sites, a directory page starts from them (see
/// [`Storage::directory_page`]).
const SMALL_SCOPE: i64 = 20_000;

/// The stored search key (" w1 w2 … ": folded words of every name and the RPPS number) and sort key (folded
/// "nom prénom d'exercice") of a person. `prenoms` is the stored JSON array.
pub fn directory_keys(
    nom_naissance: &str,
    prenoms: &str,
    nom_exercice: &str,
    prenom_exercice: &str,
    rpps: &str,
) -> (String, String) {
    let prenoms: Vec<String> = serde_json::from_str(prenoms).unwrap_or_default();
    let mut words: Vec<String> = Vec::new();
    for text in [nom_naissance, nom_exercice, prenom_exercice, rpps]
        .into_iter()
        .chain(prenoms.iter().map(String::as_str))
    {
        let mut found = super::search_words(text);
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
    let sort = super::search_words(&format!("{nom_exercice} {prenom_exercice}")).join(" ");
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

const PROFESSIONAL_COLUMNS: &str = "p.id, p.rpps, p.civilite, p.nom_naissance, p.prenoms, \
                                    p.date_naissance, p.lieu_commune_cog, p.lieu_pays_cog, \
                                    p.lieu_ville_etrangere, p.lieu_commune_libre, \
                                    p.lieu_departement_libre, p.email, p.mobile, p.nom_exercice, \
                                    p.prenom_exercice, p.identity_key, p.ecps_activated_at";

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

const SITUATION_SELECT: &str = "SELECT s.id, s.professional_id, s.site_id, t.nom AS site_nom, \
                                s.nom_exercice, s.prenom_exercice, s.metier, s.role, \
                                s.mode_exercice, s.date_prise_fonction, s.active, s.end_date, \
                                s.end_reason FROM situations s JOIN sites t ON t.id = s.site_id";

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

/// An audit row of a person's history, with the acting gestionnaire's name when there is one.
#[derive(Debug, Clone, FromRow)]
pub struct HistoryRecord {
    pub at: OffsetDateTime,
    pub actor: String,
    pub actor_nom: Option<String>,
    pub action: String,
    pub details: Json<Value>,
}

/// A CAS 1 registration to write (everything already checked).
pub struct Registration<'a> {
    pub request: &'a NewPreRegistration,
    pub document_content_type: &'a str,
    /// Add a situation to this person instead of creating an identity.
    pub attach_to: Option<i64>,
    /// A number the person already has (Ordre, ARS), not yet in Enrôle: recorded instead of allocating one.
    pub declared_rpps: Option<&'a str>,
    pub gestionnaire_id: i64,
    pub gestionnaire_nom: &'a str,
    pub rpps_prefix: u8,
    /// When the document's content is deleted (now for no retention).
    pub document_delete_after: OffsetDateTime,
    /// The professional's email, given the RPPS number and whether the identity existed.
    pub email: &'a (dyn Fn(&str, bool) -> NewEmail + Sync),
}

/// What a registration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationOutcome {
    Done {
        professional_id: i64,
        situation_id: i64,
        rpps: String,
        identity_reused: bool,
    },
    /// The person already has an active situation at this site.
    SituationExists,
    /// The person to attach to does not exist.
    UnknownProfessional,
    /// A request for this person waits in the queue (update refused).
    Pending,
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
    /// People with the same identity key (birth name and date), with whether they have a situation in `sites`.
    pub async fn identity_candidates(
        &self,
        key: &str,
        sites: &[i64],
    ) -> Result<Vec<(ProfessionalRecord, bool)>, StorageError> {
        let scope = if sites.is_empty() {
            "0".to_owned()
        } else {
            in_list(sites)
        };
        let sql = format!(
            "SELECT {PROFESSIONAL_COLUMNS}, EXISTS (SELECT 1 FROM situations s WHERE \
             s.professional_id = p.id AND s.site_id IN ({scope})) AS in_directory FROM \
             professionals p WHERE p.identity_key = $1 ORDER BY p.id LIMIT 20"
        );
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            professional: ProfessionalRecord,
            in_directory: bool,
        }
        let rows: Vec<Row> = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(key)
                .fetch_all(pool)
                .await?)
        })?;
        Ok(rows
            .into_iter()
            .map(|r| (r.professional, r.in_directory))
            .collect())
    }

    /// The person holding this RPPS number, with their identity key.
    pub async fn professional_by_rpps(
        &self,
        rpps: &str,
    ) -> Result<Option<(i64, String)>, StorageError> {
        with_pool!(self, async |pool| Ok(sqlx::query_as(
            "SELECT id, identity_key FROM professionals WHERE rpps = $1",
        )
        .bind(rpps)
        .fetch_optional(pool)
        .await?))
    }

    /// Whether a request with this identity key waits at one of `sites`.
    pub async fn pending_request_at(&self, key: &str, sites: &[i64]) -> Result<bool, StorageError> {
        if sites.is_empty() {
            return Ok(false);
        }
        let sql = format!(
            "SELECT COUNT(*) FROM pre_registrations WHERE identity_key = $1 AND status IN \
             {PENDING} AND site_id IN ({})",
            in_list(sites)
        );
        let (n,): (i64,) = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(key)
                .fetch_one(pool)
                .await?)
        })?;
        Ok(n > 0)
    }

    /// Whether a request for this person waits in any queue.
    pub async fn pending_request_for(&self, professional_id: i64) -> Result<bool, StorageError> {
        with_pool!(self, async |pool| {
            let mut conn = pool.acquire().await?;
            conn.pending_for(professional_id).await
        })
    }

    /// A CAS 1 registration, in one transaction: the record of what was collected (a validated request of origin
    /// `gestionnaire`, with the document's retention and the "pièce vérifiée" line), the identity with a newly
    /// allocated RPPS number or the existing one, the situation, the professional's email and the audit.
    #[tracing::instrument(skip_all, fields(site_id = input.request.site_id), err)]
    pub async fn register(
        &self,
        input: &Registration<'_>,
    ) -> Result<RegistrationOutcome, StorageError> {
        let r = input.request;
        let at = now();
        let prenoms = serde_json::to_string(&r.prenoms).unwrap_or_else(|_| "[]".to_owned());
        let key = identity_key(&r.nom_naissance, &r.date_naissance);
        let verified = json!({
            "type": input.document_content_type,
            "verified_at": at.unix_timestamp(),
            "by": input.gestionnaire_nom,
        })
        .to_string();
        let delete_now = input.document_delete_after <= at;
        let delete_after = (!delete_now).then_some(input.document_delete_after);
        with_tx!(self, async |mut tx| {
            let existing: Option<(i64, String)> = match input.attach_to {
                Some(id) => {
                    let found: Option<(i64, String)> =
                        sqlx::query_as("SELECT id, rpps FROM professionals WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if found.is_none() {
                        return Ok(RegistrationOutcome::UnknownProfessional);
                    }
                    if tx.pending_for(id).await? {
                        return Ok(RegistrationOutcome::Pending);
                    }
                    found
                }
                None => None,
            };
            let (request_id,): (i64,) = sqlx::query_as(
                "INSERT INTO pre_registrations (reference, site_id, status, origin, \
                 etat_civil_certifie, civilite, nom_naissance, prenoms, date_naissance, \
                 lieu_commune_cog, lieu_pays_cog, lieu_ville_etrangere, lieu_commune_libre, \
                 lieu_departement_libre, commune_saisie_libre, email, mobile, finess, \
                 nom_exercice, prenom_exercice, metier, role, mode_exercice, date_prise_fonction, \
                 rpps_existant, notice_version, document_id, user_agent, status_token_hash, \
                 email_token_hash, created_at, updated_at, identity_key, decided_by, decided_at, \
                 document_verified, document_delete_after) VALUES ($1, $2, 'validee', \
                 'gestionnaire', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $29, $30, $31, \
                 $29, $32, $33) RETURNING id",
            )
            .bind(&r.reference)
            .bind(r.site_id)
            .bind(false)
            .bind(&r.civilite)
            .bind(&r.nom_naissance)
            .bind(&prenoms)
            .bind(&r.date_naissance)
            .bind(&r.lieu_commune_cog)
            .bind(&r.lieu_pays_cog)
            .bind(&r.lieu_ville_etrangere)
            .bind(&r.lieu_commune_libre)
            .bind(&r.lieu_departement_libre)
            .bind(r.lieu_commune_libre.is_some())
            .bind(&r.email)
            .bind(&r.mobile)
            .bind(&r.finess)
            .bind(&r.nom_exercice)
            .bind(&r.prenom_exercice)
            .bind(&r.metier)
            .bind(&r.role)
            .bind(&r.mode_exercice)
            .bind(&r.date_prise_fonction)
            .bind(&r.rpps_existant)
            .bind(&r.notice_version)
            .bind(&r.document_id)
            .bind(&r.user_agent)
            .bind(&r.status_token_hash)
            .bind(&r.email_token_hash)
            .bind(at)
            .bind(&key)
            .bind(input.gestionnaire_id)
            .bind(&verified)
            .bind(delete_after)
            .fetch_one(&mut *tx)
            .await
            .map_err(|err| {
                if is_unique_violation(&err) {
                    StorageError::Conflict(None)
                } else {
                    err.into()
                }
            })?;
            tx.bump(r.site_id, "validee", 1).await?;
            let identity_reused = existing.is_some();
            let (professional_id, number) = match existing {
                Some(found) => found,
                None => {
                    let (number, source) = match input.declared_rpps {
                        Some(declared) => (declared.to_owned(), RppsSource::Declared),
                        None => (
                            tx.allocate_rpps(input.rpps_prefix).await?,
                            RppsSource::Enrole,
                        ),
                    };
                    let identity = Identity {
                        civilite: &r.civilite,
                        nom_naissance: &r.nom_naissance,
                        prenoms: &prenoms,
                        date_naissance: &r.date_naissance,
                        lieu_commune_cog: r.lieu_commune_cog.as_deref(),
                        lieu_pays_cog: r.lieu_pays_cog.as_deref(),
                        lieu_ville_etrangere: r.lieu_ville_etrangere.as_deref(),
                        lieu_commune_libre: r.lieu_commune_libre.as_deref(),
                        lieu_departement_libre: r.lieu_departement_libre.as_deref(),
                        email: &r.email,
                        mobile: &r.mobile,
                        nom_exercice: &r.nom_exercice,
                        prenom_exercice: &r.prenom_exercice,
                    };
                    let id = tx
                        .insert_professional(&identity, &number, source, &key, at)
                        .await?;
                    (id, number)
                }
            };
            // An existing person keeps their nom and prénom d'exercice (person-level, changed on their page).
            let situation: Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO situations (professional_id, site_id, pre_registration_id, \
                 nom_exercice, prenom_exercice, metier, role, mode_exercice, date_prise_fonction, \
                 created_at, updated_at) SELECT $1, $2, $3, p.nom_exercice, p.prenom_exercice, $4, \
                 $5, $6, $7, $8, $8 FROM professionals p WHERE p.id = $1 RETURNING id",
            )
            .bind(professional_id)
            .bind(r.site_id)
            .bind(request_id)
            .bind(&r.metier)
            .bind(&r.role)
            .bind(&r.mode_exercice)
            .bind(&r.date_prise_fonction)
            .bind(at)
            .fetch_one(&mut *tx)
            .await;
            let situation_id = match situation {
                Ok((id,)) => id,
                Err(err) if is_unique_violation(&err) => {
                    return Ok(RegistrationOutcome::SituationExists);
                }
                Err(err) => return Err(err.into()),
            };
            sqlx::query(
                "UPDATE pre_registrations SET rpps = $2, professional_id = $3 WHERE id = $1",
            )
            .bind(request_id)
            .bind(&number)
            .bind(professional_id)
            .execute(&mut *tx)
            .await?;
            let change = Change {
                professional_id,
                actor: &Actor::gestionnaire(input.gestionnaire_id),
                action: if identity_reused {
                    "situation.create"
                } else {
                    "professional.register"
                },
                details: json!({
                    "situation_id": situation_id,
                    "pre_registration_id": request_id,
                    "after": {
                        "rpps": number,
                        "site_id": r.site_id,
                        "metier": r.metier,
                        "role": r.role,
                        "mode_exercice": r.mode_exercice,
                        "date_prise_fonction": r.date_prise_fonction,
                    },
                    "identity_reused": identity_reused,
                    "piece_verifiee": true,
                }),
                emails: vec![(input.email)(&number, identity_reused)],
            };
            tx.record_change(at, &change).await?;
            if delete_now {
                tx.erase_document(&r.document_id, at).await?;
            }
            tx.commit().await?;
            Ok(RegistrationOutcome::Done {
                professional_id,
                situation_id,
                rpps: number,
                identity_reused,
            })
        })
    }

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
        // list, so its situations are collected first instead (measured on SQLite with 100 000 people: at most
        // ~80 ms from 20 000 situations, against seconds for a walk that finds nobody).
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

    /// Changes what a gestionnaire may change in an active situation; refused while a request for the person
    /// is pending.
    #[tracing::instrument(skip_all, fields(situation_id), err)]
    pub async fn update_situation(
        &self,
        situation_id: i64,
        values: [&str; 4],
        change: &Change<'_>,
    ) -> Result<ChangeOutcome, StorageError> {
        let at = now();
        let [metier, role, mode, date] = values;
        with_tx!(self, async |mut tx| {
            if tx.pending_for(change.professional_id).await? {
                return Ok(ChangeOutcome::Pending);
            }
            let changed = sqlx::query(
                "UPDATE situations SET metier = $3, role = $4, mode_exercice = $5, \
                 date_prise_fonction = $6, updated_at = $7 WHERE id = $1 AND professional_id = $2 \
                 AND active = TRUE AND (end_date IS NULL OR end_date >= $6)",
            )
            .bind(situation_id)
            .bind(change.professional_id)
            .bind(metier)
            .bind(role)
            .bind(mode)
            .bind(date)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(ChangeOutcome::Closed);
            }
            tx.record_change(at, change).await?;
            tx.commit().await?;
            Ok(ChangeOutcome::Done)
        })
    }

    /// Changes the nom and prénom d'exercice of a person and of their active situations; refused while a
    /// request for the person is pending.
    #[tracing::instrument(skip_all, err)]
    pub async fn update_exercice_names(
        &self,
        professional: &ProfessionalRecord,
        nom: &str,
        prenom: &str,
        change: &Change<'_>,
    ) -> Result<ChangeOutcome, StorageError> {
        let at = now();
        let (search_key, sort_key) = directory_keys(
            &professional.nom_naissance,
            &professional.prenoms,
            nom,
            prenom,
            &professional.rpps,
        );
        with_tx!(self, async |mut tx| {
            if tx.pending_for(professional.id).await? {
                return Ok(ChangeOutcome::Pending);
            }
            sqlx::query(
                "UPDATE professionals SET nom_exercice = $2, prenom_exercice = $3, search_key = \
                 $4, sort_key = $5, updated_at = $6 WHERE id = $1",
            )
            .bind(professional.id)
            .bind(nom)
            .bind(prenom)
            .bind(&search_key)
            .bind(&sort_key)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE situations SET nom_exercice = $2, prenom_exercice = $3, updated_at = $4 \
                 WHERE professional_id = $1 AND active = TRUE",
            )
            .bind(professional.id)
            .bind(nom)
            .bind(prenom)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.record_change(at, change).await?;
            tx.commit().await?;
            Ok(ChangeOutcome::Done)
        })
    }

    /// Corrects the état civil (already checked) of a person; the identity key follows.
    #[tracing::instrument(skip_all, err)]
    pub async fn correct_etat_civil(
        &self,
        professional: &ProfessionalRecord,
        corrected: &ProfessionalRecord,
        change: &Change<'_>,
    ) -> Result<(), StorageError> {
        let at = now();
        let (search_key, sort_key) = directory_keys(
            &corrected.nom_naissance,
            &corrected.prenoms,
            &professional.nom_exercice,
            &professional.prenom_exercice,
            &professional.rpps,
        );
        with_tx!(self, async |mut tx| {
            sqlx::query(
                "UPDATE professionals SET civilite = $2, nom_naissance = $3, prenoms = $4, \
                 date_naissance = $5, lieu_commune_cog = $6, lieu_pays_cog = $7, \
                 lieu_ville_etrangere = $8, lieu_commune_libre = NULL, lieu_departement_libre = \
                 NULL, identity_key = $9, search_key = $10, sort_key = $11, updated_at = $12 WHERE \
                 id = $1",
            )
            .bind(professional.id)
            .bind(&corrected.civilite)
            .bind(&corrected.nom_naissance)
            .bind(&corrected.prenoms)
            .bind(&corrected.date_naissance)
            .bind(&corrected.lieu_commune_cog)
            .bind(&corrected.lieu_pays_cog)
            .bind(&corrected.lieu_ville_etrangere)
            .bind(identity_key(
                &corrected.nom_naissance,
                &corrected.date_naissance,
            ))
            .bind(&search_key)
            .bind(&sort_key)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.record_change(at, change).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Corrects the email and mobile of a person: the e-CPS activation starts again (activation date cleared,
    /// the professional's sessions ended).
    #[tracing::instrument(skip_all, err)]
    pub async fn correct_contact(
        &self,
        professional_id: i64,
        email: &str,
        mobile: &str,
        change: &Change<'_>,
    ) -> Result<(), StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            sqlx::query(
                "UPDATE professionals SET email = $2, mobile = $3, ecps_activated_at = NULL, \
                 updated_at = $4 WHERE id = $1",
            )
            .bind(professional_id)
            .bind(email)
            .bind(mobile)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM sessions WHERE role = 'professionnel' AND subject_id = $1")
                .bind(professional_id)
                .execute(&mut *tx)
                .await?;
            tx.record_change(at, change).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Adds a situation at a site; refused while a request for the person is pending, and when the person is
    /// already active at that site. Answers the new situation's id with the outcome.
    #[tracing::instrument(skip_all, err)]
    pub async fn add_situation(
        &self,
        professional_id: i64,
        site_id: i64,
        values: [&str; 4],
        change: &mut Change<'_>,
    ) -> Result<(ChangeOutcome, Option<i64>), StorageError> {
        let at = now();
        let [metier, role, mode, date] = values;
        with_tx!(self, async |mut tx| {
            if tx.pending_for(professional_id).await? {
                return Ok((ChangeOutcome::Pending, None));
            }
            let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO situations (professional_id, site_id, nom_exercice, prenom_exercice, \
                 metier, role, mode_exercice, date_prise_fonction, created_at, updated_at) \
                 SELECT p.id, $2, p.nom_exercice, p.prenom_exercice, $3, $4, $5, $6, $7, $7 \
                 FROM professionals p WHERE p.id = $1 RETURNING id",
            )
            .bind(professional_id)
            .bind(site_id)
            .bind(metier)
            .bind(role)
            .bind(mode)
            .bind(date)
            .bind(at)
            .fetch_one(&mut *tx)
            .await;
            let id = match inserted {
                Ok((id,)) => id,
                Err(err) if is_unique_violation(&err) => {
                    return Ok((ChangeOutcome::SituationExists, None));
                }
                Err(err) => return Err(err.into()),
            };
            change.details["situation_id"] = json!(id);
            tx.record_change(at, change).await?;
            tx.commit().await?;
            Ok((ChangeOutcome::Done, Some(id)))
        })
    }

    /// Closes an active situation on `end_date` (ISO): at once when it is not after `today`, otherwise
    /// [`Storage::apply_due_closings`] closes it that day. A scheduled closing may be rescheduled.
    #[tracing::instrument(skip_all, fields(situation_id), err)]
    pub async fn close_situation(
        &self,
        situation_id: i64,
        end_date: &str,
        end_reason: &str,
        effective: bool,
        change: &Change<'_>,
    ) -> Result<ChangeOutcome, StorageError> {
        let at = now();
        let ended_at = effective.then_some(at);
        with_tx!(self, async |mut tx| {
            let changed = sqlx::query(
                "UPDATE situations SET end_date = $3, end_reason = $4, active = $5, ended_at = $6, \
                 updated_at = $7 WHERE id = $1 AND professional_id = $2 AND active = TRUE",
            )
            .bind(situation_id)
            .bind(change.professional_id)
            .bind(end_date)
            .bind(end_reason)
            .bind(!effective)
            .bind(ended_at)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(ChangeOutcome::Closed);
            }
            tx.record_change(at, change).await?;
            tx.commit().await?;
            Ok(ChangeOutcome::Done)
        })
    }

    /// Closes every situation whose scheduled end date (ISO) is on or before `today`, audited; answers how many.
    /// `today` is an argument so that the background task passes the real date and tests any other.
    #[tracing::instrument(skip_all, err)]
    pub async fn apply_due_closings(&self, today: &str) -> Result<u64, StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            let due: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
                "SELECT id, professional_id, end_date, end_reason FROM situations \
                 WHERE active = TRUE AND end_date IS NOT NULL AND end_date <= $1 ORDER BY id LIMIT \
                 500",
            )
            .bind(today)
            .fetch_all(&mut *tx)
            .await?;
            let mut closed = 0;
            for (id, professional_id, end_date, end_reason) in due {
                closed += sqlx::query(
                    "UPDATE situations SET active = FALSE, ended_at = $2, updated_at = $2 \
                     WHERE id = $1 AND active = TRUE",
                )
                .bind(id)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let change = Change {
                    professional_id,
                    actor: &Actor::system("cloture-programmee"),
                    action: "situation.close_applied",
                    details: json!({
                        "situation_id": id,
                        "before": {"active": true},
                        "after": {"active": false, "end_date": end_date, "end_reason": end_reason},
                    }),
                    emails: Vec::new(),
                };
                tx.record_change(at, &change).await?;
            }
            tx.commit().await?;
            Ok(closed)
        })
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
