//! Storage of the gestionnaire's queue: keyset pages, status counters, one request with its possible duplicates,
//! decisions (exactly once), identities and situations d'exercice, RPPS allocation, corrections.

use serde_json::{Value, json};
use sqlx::FromRow;
use time::OffsetDateTime;

use super::statements::{Identity, RppsSource, Statements};
use super::{
    Actor, NewEmail, NewPreRegistration, Storage, StorageError, in_list, is_unique_violation, now,
    prenoms_to_stored,
};

/// Rows per queue page.
pub const PAGE_SIZE: i64 = 50;

/// Statuses a gestionnaire still has to decide.
pub const OPEN_STATUSES: [&str; 2] = ["recue", "en_cours"];
/// Every status.
pub const ALL_STATUSES: [&str; 5] = ["recue", "en_cours", "a_completer", "validee", "refusee"];

/// The duplicate-detection key of an identity: folded birth name (letters and digits only) and birth date.
pub fn identity_key(nom_naissance: &str, date_naissance: &str) -> String {
    format!(
        "{}|{date_naissance}",
        shared::search::compact(nom_naissance)
    )
}

/// Filters of a queue page (already checked).
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Site ids to show (already restricted to the gestionnaire's scope).
    pub sites: Vec<i64>,
    /// Status codes (from [`ALL_STATUSES`]).
    pub statuses: Vec<&'static str>,
    pub role: Option<String>,
    pub metier: Option<String>,
    pub created_before: Option<OffsetDateTime>,
    /// Rows strictly after this (created_at, id).
    pub after: Option<(OffsetDateTime, i64)>,
}

/// One queue row.
#[derive(Debug, Clone, FromRow)]
pub struct QueueRecord {
    pub id: i64,
    pub reference: String,
    pub created_at: OffsetDateTime,
    pub site_id: i64,
    pub site_nom: String,
    pub nom_naissance: String,
    pub prenoms: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub metier: String,
    pub role: String,
    pub status: String,
    pub rpps_existant_declare: bool,
    pub email_confirmed: bool,
    pub commune_saisie_libre: bool,
    pub returned_count: i64,
    pub possible_duplicate: bool,
}

/// Everything stored about one request.
#[derive(Debug, Clone, FromRow)]
pub struct DemandeRecord {
    pub id: i64,
    pub reference: String,
    pub site_id: i64,
    pub site_nom: String,
    pub site_finess: Option<String>,
    pub status: String,
    pub status_detail: Option<String>,
    pub rpps: Option<String>,
    pub civilite: String,
    pub nom_naissance: String,
    pub prenoms: String,
    pub date_naissance: String,
    pub lieu_commune_cog: Option<String>,
    pub lieu_pays_cog: Option<String>,
    pub lieu_ville_etrangere: Option<String>,
    pub lieu_commune_libre: Option<String>,
    pub lieu_departement_libre: Option<String>,
    pub commune_saisie_libre: bool,
    pub email: String,
    pub email_confirmed_at: Option<OffsetDateTime>,
    pub mobile: String,
    pub finess: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub metier: String,
    pub role: String,
    pub mode_exercice: String,
    pub date_prise_fonction: String,
    pub rpps_existant: Option<String>,
    pub notice_version: String,
    pub document_id: String,
    pub document_content_type: String,
    pub document_deleted: bool,
    pub document_verified: Option<String>,
    pub identity_key: Option<String>,
    pub returned_count: i64,
    pub corrections: Option<String>,
    pub reason_code: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by_nom: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl DemandeRecord {
    /// The identity a validation records.
    fn identity(&self) -> Identity<'_> {
        Identity {
            civilite: &self.civilite,
            nom_naissance: &self.nom_naissance,
            prenoms: &self.prenoms,
            date_naissance: &self.date_naissance,
            lieu_commune_cog: self.lieu_commune_cog.as_deref(),
            lieu_pays_cog: self.lieu_pays_cog.as_deref(),
            lieu_ville_etrangere: self.lieu_ville_etrangere.as_deref(),
            lieu_commune_libre: self.lieu_commune_libre.as_deref(),
            lieu_departement_libre: self.lieu_departement_libre.as_deref(),
            email: &self.email,
            mobile: &self.mobile,
            nom_exercice: &self.nom_exercice,
            prenom_exercice: &self.prenom_exercice,
        }
    }
}

/// An existing identity that may be the same person.
#[derive(Debug, Clone, FromRow)]
pub struct IdentityMatch {
    pub id: i64,
    pub rpps: String,
    pub nom_naissance: String,
    pub prenoms: String,
    pub date_naissance: String,
    pub lieu_commune_cog: Option<String>,
    pub lieu_pays_cog: Option<String>,
    pub nom_exercice: String,
    pub prenom_exercice: String,
}

/// Another open request that may be the same person.
#[derive(Debug, Clone, FromRow)]
pub struct RequestMatch {
    pub id: i64,
    pub reference: String,
    pub site_id: i64,
    pub site_nom: String,
    pub prenoms: String,
    pub lieu_commune_cog: Option<String>,
    pub lieu_pays_cog: Option<String>,
    pub status: String,
}

/// The decision to record.
#[derive(Debug, Clone)]
pub enum Decision {
    Validate {
        /// Attach to this existing RPPS number (no allocation).
        attach_to_rpps: Option<String>,
        rpps_prefix: u8,
    },
    Reject {
        reason_code: String,
        reason: String,
    },
    Return {
        corrections: Value,
        summary: String,
    },
}

/// What a decision did.
#[derive(Debug, Clone)]
pub enum DecisionOutcome {
    Done {
        status: &'static str,
        rpps: Option<String>,
        identity_reused: bool,
    },
    /// Another gestionnaire decided first (or the status changed).
    AlreadyDecided {
        by: Option<String>,
        at: Option<OffsetDateTime>,
        status: String,
    },
    /// The identity already has an active situation at this site.
    SituationExists,
    /// The RPPS number to attach to is not a valid RPPS number.
    InvalidRpps,
}

/// One decision, with everything needed to write it.
#[derive(Clone)]
pub struct DecisionInput<'a> {
    pub demande: &'a DemandeRecord,
    pub decision: Decision,
    pub gestionnaire_id: i64,
    pub gestionnaire_nom: &'a str,
    /// Builds the professional's email once the outcome (RPPS number) is known.
    pub email: &'a (dyn Fn(Option<&str>) -> NewEmail + Sync),
    /// The hash of the one-time e-CPS activation link the validation email carries, and its end.
    pub activation_link: Option<(&'a str, OffsetDateTime)>,
    /// When the identity document's content is deleted (now for no retention).
    pub document_delete_after: Option<OffsetDateTime>,
}

const DEMANDE_SELECT: &str = "SELECT p.id, p.reference, p.site_id, s.nom AS site_nom, s.finess AS site_finess, \
     p.status, p.status_detail, p.rpps, p.civilite, p.nom_naissance, p.prenoms, p.date_naissance, \
     p.lieu_commune_cog, p.lieu_pays_cog, p.lieu_ville_etrangere, p.lieu_commune_libre, p.lieu_departement_libre, \
     p.commune_saisie_libre, p.email, p.email_confirmed_at, p.mobile, p.finess, p.nom_exercice, p.prenom_exercice, \
     p.metier, p.role, p.mode_exercice, p.date_prise_fonction, p.rpps_existant, p.notice_version, p.document_id, \
     d.content_type AS document_content_type, (d.deleted_at IS NOT NULL) AS document_deleted, p.document_verified, \
     p.identity_key, p.returned_count, p.corrections, p.reason_code, p.decided_at, g.nom AS decided_by_nom, \
     p.created_at, p.updated_at \
     FROM pre_registrations p JOIN sites s ON s.id = p.site_id JOIN documents d ON d.id = p.document_id \
     LEFT JOIN gestionnaires g ON g.id = p.decided_by";

impl Storage {
    /// One page of the queue, oldest first: one indexed branch per (site, status), merged.
    #[tracing::instrument(skip_all, fields(sites = filter.sites.len()), err)]
    pub async fn queue_page(&self, filter: &QueueFilter) -> Result<Vec<QueueRecord>, StorageError> {
        if filter.sites.is_empty() || filter.statuses.is_empty() {
            return Ok(Vec::new());
        }
        let mut conditions = String::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        let role_at = filter.role.as_ref().map(|_| next());
        let metier_at = filter.metier.as_ref().map(|_| next());
        let before_at = filter.created_before.map(|_| next());
        let after_at = filter.after.map(|_| (next(), next()));
        if let Some(i) = role_at {
            conditions.push_str(&format!(" AND p.role = ${i}"));
        }
        if let Some(i) = metier_at {
            conditions.push_str(&format!(" AND p.metier = ${i}"));
        }
        if let Some(i) = before_at {
            conditions.push_str(&format!(" AND p.created_at <= ${i}"));
        }
        if let Some((c, i)) = after_at {
            conditions.push_str(&format!(
                " AND (p.created_at > ${c} OR (p.created_at = ${c} AND p.id > ${i}))"
            ));
        }
        let limit = PAGE_SIZE + 1;
        let mut branches = Vec::new();
        for site in &filter.sites {
            for status in &filter.statuses {
                branches.push(format!(
                    "SELECT * FROM (SELECT p.id, p.created_at FROM pre_registrations p \
                     WHERE p.site_id = {site} AND p.status = '{status}'{conditions} \
                     ORDER BY p.created_at, p.id LIMIT {limit}) b{}",
                    branches.len()
                ));
            }
        }
        let sql = format!(
            "SELECT p.id, p.reference, p.created_at, p.site_id, s.nom AS site_nom, \
             p.nom_naissance, p.prenoms, p.nom_exercice, p.prenom_exercice, p.metier, p.role, \
             p.status, (p.rpps_existant IS NOT NULL) AS rpps_existant_declare, \
             (p.email_confirmed_at IS NOT NULL) AS email_confirmed, p.commune_saisie_libre, \
             p.returned_count, (EXISTS (SELECT 1 FROM professionals pr WHERE pr.identity_key = \
             p.identity_key) OR EXISTS (SELECT 1 FROM pre_registrations o WHERE o.identity_key = \
             p.identity_key AND o.id <> p.id AND o.status IN ('recue', 'en_cours', \
             'a_completer'))) AS possible_duplicate FROM (SELECT id, created_at FROM ({}) u ORDER \
             BY created_at, id LIMIT {limit}) k JOIN pre_registrations p ON p.id = k.id JOIN sites \
             s ON s.id = p.site_id ORDER BY p.created_at, p.id",
            branches.join(" UNION ALL ")
        );
        with_pool!(self, async |pool| {
            let mut query = sqlx::query_as::<_, QueueRecord>(sqlx::AssertSqlSafe(sql));
            if let Some(role) = &filter.role {
                query = query.bind(role.clone());
            }
            if let Some(metier) = &filter.metier {
                query = query.bind(metier.clone());
            }
            if let Some(before) = filter.created_before {
                query = query.bind(before);
            }
            if let Some((at, id)) = filter.after {
                query = query.bind(at).bind(id);
            }
            Ok(query.fetch_all(pool).await?)
        })
    }

    /// The status counters of `sites`: (site id, status, count).
    pub async fn queue_counts(
        &self,
        sites: &[i64],
    ) -> Result<Vec<(i64, String, i64)>, StorageError> {
        if sites.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT site_id, status, n FROM queue_counts WHERE site_id IN ({}) ORDER BY site_id, \
             status",
            in_list(sites)
        );
        with_pool!(self, async |pool| Ok(
            sqlx::query_as::<_, (i64, String, i64)>(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await?
        ))
    }

    /// One request, if it belongs to one of `sites`.
    pub async fn find_demande(
        &self,
        id: i64,
        sites: &[i64],
    ) -> Result<Option<DemandeRecord>, StorageError> {
        if sites.is_empty() {
            return Ok(None);
        }
        let sql = format!(
            "{DEMANDE_SELECT} WHERE p.id = $1 AND p.site_id IN ({})",
            in_list(sites)
        );
        with_pool!(self, async |pool| Ok(sqlx::query_as::<_, DemandeRecord>(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(id)
        .fetch_optional(pool)
        .await?))
    }

    /// Identities and other open requests with the same identity key.
    pub async fn duplicate_candidates(
        &self,
        demande: &DemandeRecord,
    ) -> Result<(Vec<IdentityMatch>, Vec<RequestMatch>), StorageError> {
        let key = demande
            .identity_key
            .clone()
            .unwrap_or_else(|| identity_key(&demande.nom_naissance, &demande.date_naissance));
        with_pool!(self, async |pool| {
            let identities = sqlx::query_as::<_, IdentityMatch>(
                "SELECT id, rpps, nom_naissance, prenoms, date_naissance, lieu_commune_cog, \
                 lieu_pays_cog, nom_exercice, prenom_exercice FROM professionals WHERE \
                 identity_key = $1 ORDER BY id LIMIT 20",
            )
            .bind(&key)
            .fetch_all(pool)
            .await?;
            let requests = sqlx::query_as::<_, RequestMatch>(
                "SELECT p.id, p.reference, p.site_id, s.nom AS site_nom, p.prenoms, \
                 p.lieu_commune_cog, p.lieu_pays_cog, p.status FROM pre_registrations p JOIN sites \
                 s ON s.id = p.site_id WHERE p.identity_key = $1 AND p.id <> $2 AND p.status IN \
                 ('recue', 'en_cours', 'a_completer') ORDER BY p.id LIMIT 20",
            )
            .bind(&key)
            .bind(demande.id)
            .fetch_all(pool)
            .await?;
            Ok((identities, requests))
        })
    }

    /// The content of a document that has not been deleted.
    pub async fn document_content(
        &self,
        id: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StorageError> {
        with_pool!(self, async |pool| Ok(
            sqlx::query_as::<_, (String, Vec<u8>)>(
                "SELECT content_type, content FROM documents WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        ))
    }

    /// Deletes the content of identity documents whose retention after a final decision is over (the requests
    /// then leave the partial index the purge reads).
    pub async fn purge_documents(&self) -> Result<u64, StorageError> {
        let at = now();
        let due: Option<(i64,)> = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(
                "SELECT id FROM pre_registrations WHERE document_delete_after <= $1 LIMIT 1",
            )
            .bind(at)
            .fetch_optional(pool)
            .await?)
        })?;
        if due.is_none() {
            return Ok(0);
        }
        with_tx!(self, async |mut tx| {
            let purged = sqlx::query(
                "UPDATE documents SET content = $2, deleted_at = $1 WHERE deleted_at IS NULL AND \
                 id IN (SELECT document_id FROM pre_registrations WHERE document_delete_after <= \
                 $1)",
            )
            .bind(at)
            .bind(Vec::<u8>::new())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE pre_registrations SET document_delete_after = NULL WHERE \
                 document_delete_after <= $1",
            )
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(purged)
        })
    }

    /// Moves a received request to "en cours d'instruction" the first time one of its gestionnaires opens it;
    /// answers whether this call moved it.
    #[tracing::instrument(skip_all, fields(id = demande.id), err)]
    pub async fn open_demande(
        &self,
        demande: &DemandeRecord,
        gestionnaire_id: i64,
    ) -> Result<bool, StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            let changed = sqlx::query(
                "UPDATE pre_registrations SET status = 'en_cours', updated_at = $2 WHERE id = $1 \
                 AND status = 'recue'",
            )
            .bind(demande.id)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 1 {
                tx.bump(demande.site_id, "recue", -1).await?;
                tx.bump(demande.site_id, "en_cours", 1).await?;
                tx.audit(
                    at,
                    Actor::gestionnaire(gestionnaire_id).as_str(),
                    "pre_registration.en_cours",
                    &format!("pre_registration:{}", demande.id),
                    &json!({"before": {"status": "recue"}, "after": {"status": "en_cours"}}),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(changed == 1)
        })
    }

    /// Records a decision exactly once: the status changes only if it is still the one read (a conditional
    /// update whose affected rows are checked); everything else happens in the same transaction.
    #[tracing::instrument(skip_all, fields(id = input.demande.id), err)]
    pub async fn decide(&self, input: &DecisionInput<'_>) -> Result<DecisionOutcome, StorageError> {
        let d = input.demande;
        let at = now();
        let actor = Actor::gestionnaire(input.gestionnaire_id);
        let (new_status, detail, reason_code, corrections) = match &input.decision {
            Decision::Validate { .. } => ("validee", None, None, None),
            Decision::Reject {
                reason_code,
                reason,
            } => (
                "refusee",
                Some(reason.clone()),
                Some(reason_code.clone()),
                None,
            ),
            Decision::Return {
                corrections,
                summary,
            } => (
                "a_completer",
                Some(summary.clone()),
                None,
                Some(corrections.to_string()),
            ),
        };
        let returned = i64::from(new_status == "a_completer");
        let final_decision = new_status != "a_completer";
        let verified = final_decision.then(|| {
            json!({
                "type": d.document_content_type,
                "verified_at": at.unix_timestamp(),
                "by": input.gestionnaire_nom,
            })
            .to_string()
        });
        let delete_after = if final_decision {
            input.document_delete_after
        } else {
            None
        };
        let delete_now = delete_after.is_some_and(|t| t <= at);
        // Deleted in this transaction: nothing left for the purge to find.
        let stored_delete_after = if delete_now { None } else { delete_after };
        with_tx!(self, async |mut tx| {
            let changed = sqlx::query(
                "UPDATE pre_registrations SET status = $3, status_detail = $4, reason_code = $5, \
                 corrections = COALESCE($6, corrections), returned_count = returned_count + $7, \
                 decided_by = $8, decided_at = $9, updated_at = $9, document_verified = \
                 COALESCE($10, document_verified), document_delete_after = $11 \
                 WHERE id = $1 AND status = $2 AND status IN ('recue', 'en_cours')",
            )
            .bind(d.id)
            .bind(&d.status)
            .bind(new_status)
            .bind(&detail)
            .bind(&reason_code)
            .bind(&corrections)
            .bind(returned)
            .bind(input.gestionnaire_id)
            .bind(at)
            .bind(&verified)
            .bind(stored_delete_after)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                drop(tx);
                let current: Option<(String, Option<String>, Option<OffsetDateTime>)> =
                    with_pool!(self, async |pool| {
                        Ok(sqlx::query_as(
                            "SELECT p.status, g.nom, p.decided_at FROM pre_registrations p \
                             LEFT JOIN gestionnaires g ON g.id = p.decided_by WHERE p.id = $1",
                        )
                        .bind(d.id)
                        .fetch_optional(pool)
                        .await?)
                    })?;
                let (status, by, at) = current.unwrap_or_default();
                return Ok(DecisionOutcome::AlreadyDecided { by, at, status });
            }
            tx.bump(d.site_id, &d.status, -1).await?;
            tx.bump(d.site_id, new_status, 1).await?;
            let mut rpps = None;
            let mut identity_reused = false;
            if let Decision::Validate {
                attach_to_rpps,
                rpps_prefix,
            } = &input.decision
            {
                let key = d
                    .identity_key
                    .clone()
                    .unwrap_or_else(|| identity_key(&d.nom_naissance, &d.date_naissance));
                let existing: Option<(i64, String)> = match attach_to_rpps {
                    Some(number) => {
                        sqlx::query_as("SELECT id, rpps FROM professionals WHERE rpps = $1")
                            .bind(number)
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                    None => None,
                };
                let (professional_id, number) = match (existing, attach_to_rpps) {
                    (Some(found), _) => {
                        identity_reused = true;
                        found
                    }
                    (None, Some(number)) => {
                        if shared::ids::Rpps::parse(number).is_err() {
                            return Ok(DecisionOutcome::InvalidRpps);
                        }
                        identity_reused = true;
                        let id = tx
                            .insert_professional(
                                &d.identity(),
                                number,
                                RppsSource::Declared,
                                &key,
                                at,
                            )
                            .await?;
                        (id, number.clone())
                    }
                    (None, None) => {
                        let number = tx.allocate_rpps(*rpps_prefix).await?;
                        let id = tx
                            .insert_professional(
                                &d.identity(),
                                &number,
                                RppsSource::Enrole,
                                &key,
                                at,
                            )
                            .await?;
                        (id, number)
                    }
                };
                let inserted = sqlx::query(
                    "INSERT INTO situations (professional_id, site_id, pre_registration_id, \
                     nom_exercice, prenom_exercice, metier, role, mode_exercice, \
                     date_prise_fonction, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                     $10)",
                )
                .bind(professional_id)
                .bind(d.site_id)
                .bind(d.id)
                .bind(&d.nom_exercice)
                .bind(&d.prenom_exercice)
                .bind(&d.metier)
                .bind(&d.role)
                .bind(&d.mode_exercice)
                .bind(&d.date_prise_fonction)
                .bind(at)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Ok(_) => {}
                    Err(err) if is_unique_violation(&err) => {
                        return Ok(DecisionOutcome::SituationExists);
                    }
                    Err(err) => return Err(err.into()),
                }
                sqlx::query(
                    "UPDATE pre_registrations SET rpps = $2, professional_id = $3 WHERE id = $1",
                )
                .bind(d.id)
                .bind(&number)
                .bind(professional_id)
                .execute(&mut *tx)
                .await?;
                if let Some((token_hash, expires_at)) = input.activation_link {
                    sqlx::query(
                        "INSERT INTO ecps_activation_links (token_hash, professional_id, \
                         created_at, expires_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(token_hash)
                    .bind(professional_id)
                    .bind(at)
                    .bind(expires_at)
                    .execute(&mut *tx)
                    .await?;
                }
                rpps = Some(number);
            }
            tx.queue_email(at, &(input.email)(rpps.as_deref())).await?;
            let details = json!({
                "before": {"status": d.status},
                "after": {
                    "status": new_status,
                    "rpps": rpps,
                    "identity_reused": identity_reused,
                    "reason_code": reason_code,
                    "corrections": corrections.as_deref().and_then(|c| serde_json::from_str::<Value>(c).ok()),
                },
            });
            tx.audit(
                at,
                actor.as_str(),
                &format!("pre_registration.{new_status}"),
                &format!("pre_registration:{}", d.id),
                &details,
            )
            .await?;
            if delete_now {
                tx.erase_document(&d.document_id, at).await?;
            }
            tx.commit().await?;
            Ok(DecisionOutcome::Done {
                status: new_status,
                rpps,
                identity_reused,
            })
        })
    }

    /// One request, whatever its site (for its own professional).
    pub async fn find_demande_by_id(&self, id: i64) -> Result<Option<DemandeRecord>, StorageError> {
        let sql = format!("{DEMANDE_SELECT} WHERE p.id = $1");
        with_pool!(self, async |pool| Ok(sqlx::query_as::<_, DemandeRecord>(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(id)
        .fetch_optional(pool)
        .await?))
    }

    /// Replaces a request awaiting corrections with its corrected version and puts it back in the queue
    /// (`recue`), with counters and audit, in one transaction; `false` when it no longer awaits corrections.
    #[tracing::instrument(skip_all, fields(id), err)]
    pub async fn resubmit_pre_registration(
        &self,
        id: i64,
        r: &NewPreRegistration,
        actor: &Actor,
    ) -> Result<bool, StorageError> {
        let at = now();
        let prenoms = prenoms_to_stored(&r.prenoms);
        with_tx!(self, async |mut tx| {
            let old: Option<(String,)> = sqlx::query_as(
                "SELECT document_id FROM pre_registrations WHERE id = $1 AND status = \
                 'a_completer'",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((old_document,)) = old else {
                return Ok(false);
            };
            let changed = sqlx::query(
                "UPDATE pre_registrations SET status = 'recue', status_detail = NULL, civilite = \
                 $2, nom_naissance = $3, prenoms = $4, date_naissance = $5, lieu_commune_cog = $6, \
                 lieu_pays_cog = $7, lieu_ville_etrangere = $8, lieu_commune_libre = $9, \
                 lieu_departement_libre = $10, commune_saisie_libre = $11, email = $12, mobile = \
                 $13, nom_exercice = $14, prenom_exercice = $15, metier = $16, role = $17, \
                 mode_exercice = $18, date_prise_fonction = $19, rpps_existant = $20, \
                 notice_version = $21, document_id = $22, identity_key = $23, updated_at = $24, \
                 email_confirmed_at = CASE WHEN email = $12 THEN email_confirmed_at ELSE NULL END \
                 WHERE id = $1 AND status = 'a_completer'",
            )
            .bind(id)
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
            .bind(&r.nom_exercice)
            .bind(&r.prenom_exercice)
            .bind(&r.metier)
            .bind(&r.role)
            .bind(&r.mode_exercice)
            .bind(&r.date_prise_fonction)
            .bind(&r.rpps_existant)
            .bind(&r.notice_version)
            .bind(&r.document_id)
            .bind(identity_key(&r.nom_naissance, &r.date_naissance))
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Ok(false);
            }
            tx.bump(r.site_id, "a_completer", -1).await?;
            tx.bump(r.site_id, "recue", 1).await?;
            if old_document != r.document_id {
                tx.erase_document(&old_document, at).await?;
            }
            tx.audit(
                at,
                actor.as_str(),
                "pre_registration.resubmit",
                &format!("pre_registration:{id}"),
                &json!({"document_changed": old_document != r.document_id}),
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The request to correct, by status token hash: (id, site id, document id, corrections JSON).
    pub async fn correction_target(
        &self,
        status_token_hash: &str,
    ) -> Result<Option<(i64, i64, String, String, Option<String>)>, StorageError> {
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as(
                "SELECT id, site_id, status, document_id, corrections FROM pre_registrations WHERE \
                 status_token_hash = $1",
            )
            .bind(status_token_hash)
            .fetch_optional(pool)
            .await?)
        })
    }
}
