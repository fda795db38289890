//! Changes to a person and their situations, each refused while a request for the person is pending where it
//! says so, each written with its audit entry and emails ([`Change`]).

use serde_json::json;

use super::{Change, ChangeOutcome, ProfessionalRecord, directory_keys};
use crate::storage::queue::identity_key;
use crate::storage::statements::Statements;
use crate::storage::{Actor, Storage, StorageError, is_unique_violation, now};

impl Storage {
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
}
