//! CAS 1: a gestionnaire registers a person, as a validated request of origin `gestionnaire`, with a new identity
//! and RPPS number or a situation added to an existing person.

use serde_json::json;
use sqlx::FromRow;
use time::OffsetDateTime;

use super::{Change, PROFESSIONAL_COLUMNS, ProfessionalRecord};
use crate::storage::intake::{bind_request, request_error};
use crate::storage::queue::identity_key;
use crate::storage::statements::{Identity, PENDING, RppsSource, Statements};
use crate::storage::{
    Actor, NewEmail, NewPreRegistration, Storage, StorageError, in_list, is_unique_violation, now,
    prenoms_to_stored,
};

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
        let prenoms = prenoms_to_stored(&r.prenoms);
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
            let (request_id,): (i64,) = bind_request(
                sqlx::query_as(
                    "INSERT INTO pre_registrations (reference, site_id, status, origin, \
                     etat_civil_certifie, civilite, nom_naissance, prenoms, date_naissance, \
                     lieu_commune_cog, lieu_pays_cog, lieu_ville_etrangere, lieu_commune_libre, \
                     lieu_departement_libre, commune_saisie_libre, email, mobile, finess, \
                     nom_exercice, prenom_exercice, metier, role, mode_exercice, \
                     date_prise_fonction, rpps_existant, notice_version, document_id, user_agent, \
                     status_token_hash, email_token_hash, created_at, updated_at, identity_key, \
                     decided_by, decided_at, document_verified, document_delete_after) VALUES ($1, \
                     $2, 'validee', 'gestionnaire', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                     $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, \
                     $28, $29, $29, $30, $31, $29, $32, $33) RETURNING id",
                ),
                r,
                &prenoms,
                at,
                &key,
            )
            // After the submission's 30 parameters: who decided, the "pièce vérifiée" line, the retention.
            .bind(input.gestionnaire_id)
            .bind(&verified)
            .bind(delete_after)
            .fetch_one(&mut *tx)
            .await
            .map_err(request_error)?;
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
}
