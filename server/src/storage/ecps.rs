//! Storage of e-CPS: the professional's own record and situations, two-code challenges, activation links, and the
//! changes a professional makes to their contact data and nom/prénom d'exercice.

use serde_json::Value;
use sqlx::FromRow;
use time::OffsetDateTime;

use super::statements::Statements;
use super::{Actor, NewEmail, NewSession, SessionRole, Storage, StorageError, now};

/// A signed-in professional, as written to the audit log.
pub fn professional_actor(id: i64) -> Actor {
    Actor(format!("professional:{id}"))
}

/// The audit subject of everything about one professional.
pub fn professional_subject(id: i64) -> String {
    format!("professional:{id}")
}

/// A professional's own record.
#[derive(Debug, Clone, FromRow)]
pub struct ProfessionalRecord {
    pub id: i64,
    pub rpps: String,
    pub civilite: String,
    pub nom_naissance: String,
    /// JSON array of strings.
    pub prenoms: String,
    pub date_naissance: String,
    pub email: String,
    pub mobile: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub ecps_activated_at: Option<OffsetDateTime>,
}

/// One situation d'exercice of a professional, with its site's and entité juridique's names.
#[derive(Debug, Clone, FromRow)]
pub struct OwnSituationRecord {
    pub id: i64,
    pub site_nom: String,
    pub establishment_nom: String,
    pub metier: String,
    pub role: String,
    pub mode_exercice: String,
    pub date_prise_fonction: String,
    pub active: bool,
    pub ended_at: Option<OffsetDateTime>,
}

/// What a challenge proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengePurpose {
    /// First proof of the email and mobile held in the directory.
    Activation,
    /// A later sign-in (or re-authentication).
    SignIn,
    /// A new email and/or mobile.
    Contact,
}

impl ChallengePurpose {
    pub fn code(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::SignIn => "sign_in",
            Self::Contact => "contact",
        }
    }
}

/// A challenge to store.
#[derive(Debug, Clone)]
pub struct NewChallenge<'a> {
    pub id_hash: &'a str,
    pub purpose: ChallengePurpose,
    pub professional_id: Option<i64>,
    pub rate_key: &'a str,
    pub contact_key: Option<&'a str>,
    pub link_hash: Option<&'a str>,
    pub email_code_hash: Option<&'a str>,
    pub sms_code_hash: Option<&'a str>,
    pub new_email: Option<&'a str>,
    pub new_mobile: Option<&'a str>,
    pub expires_at: OffsetDateTime,
}

/// A stored challenge, after one more attempt was counted.
#[derive(Debug, Clone, FromRow)]
pub struct ChallengeRecord {
    pub purpose: String,
    pub professional_id: Option<i64>,
    pub contact_key: Option<String>,
    pub link_hash: Option<String>,
    pub email_code_hash: Option<String>,
    pub sms_code_hash: Option<String>,
    pub new_email: Option<String>,
    pub new_mobile: Option<String>,
    pub attempts: i64,
}

/// What counting an attempt found.
#[derive(Debug, Clone)]
pub enum ChallengeAttempt {
    /// No such challenge (or of another purpose).
    Unknown,
    Expired,
    Used,
    /// Every allowed attempt was spent.
    Exhausted,
    /// The attempt was counted: compare the codes.
    Open(ChallengeRecord),
}

/// A new session, opened by a successful challenge.
#[derive(Debug, Clone)]
pub struct ProfessionalSignIn<'a> {
    pub challenge_hash: &'a str,
    pub professional_id: i64,
    pub link_hash: Option<&'a str>,
    pub session_hash: &'a str,
    pub session_expires_at: OffsetDateTime,
    /// The session the browser presented, replaced by the new one (a re-authentication).
    pub previous_session_hash: Option<&'a str>,
    pub audit_details: Value,
}

/// Changing a professional's contact data once the codes of a contact challenge were right.
#[derive(Debug, Clone)]
pub struct ContactUpdate<'a> {
    pub challenge_hash: &'a str,
    pub professional_id: i64,
    pub email: Option<&'a str>,
    pub mobile: Option<&'a str>,
    /// The notice to the address in use before the change.
    pub notice: &'a NewEmail,
}

impl Storage {
    /// A professional by id, unscoped: for their own session and the e-CPS flows (the gestionnaire side uses the
    /// establishment-scoped `find_professional`).
    #[tracing::instrument(skip_all, err)]
    pub async fn own_professional(
        &self,
        id: i64,
    ) -> Result<Option<ProfessionalRecord>, StorageError> {
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as::<_, ProfessionalRecord>(
                "SELECT id, rpps, civilite, nom_naissance, prenoms, date_naissance, email, mobile, \
                 nom_exercice, prenom_exercice, ecps_activated_at FROM professionals WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// A professional by RPPS number.
    #[tracing::instrument(skip_all, err)]
    pub async fn find_professional_by_rpps(
        &self,
        rpps: &str,
    ) -> Result<Option<ProfessionalRecord>, StorageError> {
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as::<_, ProfessionalRecord>(
                "SELECT id, rpps, civilite, nom_naissance, prenoms, date_naissance, email, mobile, \
                 nom_exercice, prenom_exercice, ecps_activated_at FROM professionals WHERE rpps = \
                 $1",
            )
            .bind(rpps)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Every situation of a professional, active ones first, newest first.
    #[tracing::instrument(skip_all, err)]
    pub async fn own_situations(
        &self,
        professional_id: i64,
    ) -> Result<Vec<OwnSituationRecord>, StorageError> {
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as::<_, OwnSituationRecord>(
                "SELECT si.id, s.nom AS site_nom, e.nom AS establishment_nom, si.metier, si.role, \
                 si.mode_exercice, si.date_prise_fonction, si.active, si.ended_at \
                 FROM situations si JOIN sites s ON s.id = si.site_id JOIN establishments e ON \
                 e.id = s.establishment_id WHERE si.professional_id = $1 ORDER BY si.active DESC, \
                 si.date_prise_fonction DESC, si.id DESC",
            )
            .bind(professional_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The professional an unused, unexpired activation link belongs to.
    #[tracing::instrument(skip_all, err)]
    pub async fn activation_link_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<i64>, StorageError> {
        let found: Option<(i64,)> = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(
                "SELECT professional_id FROM ecps_activation_links \
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now())
            .fetch_optional(pool)
            .await?)
        })?;
        Ok(found.map(|(id,)| id))
    }

    /// Challenges created for `rate_key` since `since` (the resend limit).
    #[tracing::instrument(skip_all, err)]
    pub async fn challenges_since(
        &self,
        rate_key: &str,
        since: OffsetDateTime,
    ) -> Result<(i64, Option<OffsetDateTime>), StorageError> {
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as::<_, (i64, Option<OffsetDateTime>)>(
                "SELECT COUNT(*), MIN(created_at) FROM ecps_challenges WHERE rate_key = $1 AND \
                 created_at > $2",
            )
            .bind(rate_key)
            .bind(since)
            .fetch_one(pool)
            .await?)
        })
    }

    /// Stores a challenge (and purges those expired a day ago), with its audit entry when it concerns someone.
    #[tracing::instrument(skip_all, fields(purpose = new.purpose.code()), err)]
    pub async fn create_challenge(
        &self,
        new: &NewChallenge<'_>,
        audit: Option<(&Actor, &str, Value)>,
    ) -> Result<(), StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            sqlx::query("DELETE FROM ecps_challenges WHERE expires_at < $1")
                .bind(at - time::Duration::DAY)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO ecps_challenges (id_hash, purpose, professional_id, rate_key, \
                 contact_key, link_hash, email_code_hash, sms_code_hash, new_email, new_mobile, \
                 attempts, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                 $10, 0, $11, $12)",
            )
            .bind(new.id_hash)
            .bind(new.purpose.code())
            .bind(new.professional_id)
            .bind(new.rate_key)
            .bind(new.contact_key)
            .bind(new.link_hash)
            .bind(new.email_code_hash)
            .bind(new.sms_code_hash)
            .bind(new.new_email)
            .bind(new.new_mobile)
            .bind(at)
            .bind(new.expires_at)
            .execute(&mut *tx)
            .await?;
            if let (Some(id), Some((actor, action, details))) = (new.professional_id, &audit) {
                tx.audit(
                    at,
                    actor.as_str(),
                    action,
                    &professional_subject(id),
                    details,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Counts one attempt at a challenge of one of `purposes`, atomically: the update only happens while the
    /// challenge is unused, unexpired and has attempts left, so concurrent guesses cannot exceed `max_attempts`.
    #[tracing::instrument(skip_all, err)]
    pub async fn attempt_challenge(
        &self,
        id_hash: &str,
        purposes: &[ChallengePurpose],
        max_attempts: i64,
    ) -> Result<ChallengeAttempt, StorageError> {
        let at = now();
        let (p1, p2) = match purposes {
            [one] => (one.code(), one.code()),
            [one, two, ..] => (one.code(), two.code()),
            [] => return Ok(ChallengeAttempt::Unknown),
        };
        let counted: Option<ChallengeRecord> = with_write!(self, async |pool| {
            Ok(sqlx::query_as(
                "UPDATE ecps_challenges SET attempts = attempts + 1 \
                 WHERE id_hash = $1 AND purpose IN ($2, $3) AND used_at IS NULL AND expires_at > \
                 $4 AND attempts < $5 \
                 RETURNING purpose, professional_id, contact_key, link_hash, email_code_hash, \
                 sms_code_hash, new_email, new_mobile, attempts",
            )
            .bind(id_hash)
            .bind(p1)
            .bind(p2)
            .bind(at)
            .bind(max_attempts)
            .fetch_optional(pool)
            .await?)
        })?;
        if let Some(record) = counted {
            return Ok(ChallengeAttempt::Open(record));
        }
        with_pool!(self, async |pool| {
            let state: Option<(Option<OffsetDateTime>, OffsetDateTime, i64)> = sqlx::query_as(
                "SELECT used_at, expires_at, attempts FROM ecps_challenges \
                 WHERE id_hash = $1 AND purpose IN ($2, $3)",
            )
            .bind(id_hash)
            .bind(p1)
            .bind(p2)
            .fetch_optional(pool)
            .await?;
            Ok(match state {
                None => ChallengeAttempt::Unknown,
                Some((Some(_), _, _)) => ChallengeAttempt::Used,
                Some((None, _, attempts)) if attempts >= max_attempts => {
                    ChallengeAttempt::Exhausted
                }
                Some(_) => ChallengeAttempt::Expired,
            })
        })
    }

    /// Completes a sign-in: uses the challenge (once), records the first activation, uses the activation link,
    /// opens the session (ending the one it replaces) and audits, in one transaction. `None` when the challenge was
    /// used meanwhile; otherwise whether this was the first activation.
    #[tracing::instrument(skip_all, err)]
    pub async fn complete_professional_sign_in(
        &self,
        sign_in: &ProfessionalSignIn<'_>,
    ) -> Result<Option<bool>, StorageError> {
        let at = now();
        let id = sign_in.professional_id;
        let actor = professional_actor(id);
        with_tx!(self, async |mut tx| {
            if !tx.use_challenge(sign_in.challenge_hash, at).await? {
                return Ok(None);
            }
            let activated = sqlx::query(
                "UPDATE professionals SET ecps_activated_at = $2 WHERE id = $1 AND \
                 ecps_activated_at IS NULL",
            )
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if let Some(link) = sign_in.link_hash {
                sqlx::query(
                    "UPDATE ecps_activation_links SET used_at = $2 WHERE token_hash = $1 \
                     AND used_at IS NULL",
                )
                .bind(link)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(previous) = sign_in.previous_session_hash {
                sqlx::query(
                    "DELETE FROM sessions WHERE id_hash = $1 AND role = 'professionnel' AND \
                     subject_id = $2",
                )
                .bind(previous)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            let session = NewSession {
                id_hash: sign_in.session_hash,
                role: SessionRole::Professionnel,
                subject_id: id,
                method: "e-cps",
                expires_at: sign_in.session_expires_at,
            };
            tx.open_session(&session, at).await?;
            let action = if activated {
                "ecps.activated"
            } else {
                "ecps.sign_in"
            };
            tx.audit(
                at,
                actor.as_str(),
                action,
                &professional_subject(id),
                &sign_in.audit_details,
            )
            .await?;
            tx.commit().await?;
            Ok(Some(activated))
        })
    }

    /// Replaces the confirmed email and/or mobile, queues the notice to the former address and audits (before and
    /// after), in one transaction. `false` when the challenge was used meanwhile.
    #[tracing::instrument(skip_all, err)]
    pub async fn update_contact(&self, update: &ContactUpdate<'_>) -> Result<bool, StorageError> {
        let at = now();
        let id = update.professional_id;
        with_tx!(self, async |mut tx| {
            if !tx.use_challenge(update.challenge_hash, at).await? {
                return Ok(false);
            }
            let (email, mobile): (String, String) =
                sqlx::query_as("SELECT email, mobile FROM professionals WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query(
                "UPDATE professionals SET email = COALESCE($2, email), mobile = COALESCE($3, \
                 mobile), updated_at = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(update.email)
            .bind(update.mobile)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let mut before = serde_json::Map::new();
            let mut after = serde_json::Map::new();
            if let Some(new) = update.email {
                before.insert("email".to_owned(), Value::from(email));
                after.insert("email".to_owned(), Value::from(new));
            }
            if let Some(new) = update.mobile {
                before.insert("mobile".to_owned(), Value::from(mobile));
                after.insert("mobile".to_owned(), Value::from(new));
            }
            let details = serde_json::json!({"before": before, "after": after, "verified": "code"});
            tx.audit(
                at,
                professional_actor(id).as_str(),
                "professional.contact_updated",
                &professional_subject(id),
                &details,
            )
            .await?;
            tx.queue_email(at, update.notice).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Changes the nom and prénom d'exercice of a professional and their copies on the active situations, tells the
    /// gestionnaires of those sites (`notice` builds each email from the recipient) and audits, in one transaction.
    /// Answers how many gestionnaires were told.
    #[tracing::instrument(skip_all, err)]
    pub async fn update_exercice(
        &self,
        professional_id: i64,
        nom: &str,
        prenom: &str,
        notice: &(dyn Fn(&str) -> NewEmail + Sync),
    ) -> Result<usize, StorageError> {
        let at = now();
        let id = professional_id;
        with_tx!(self, async |mut tx| {
            let (old_nom, old_prenom): (String, String) = sqlx::query_as(
                "SELECT nom_exercice, prenom_exercice FROM professionals WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE professionals SET nom_exercice = $2, prenom_exercice = $3, updated_at = $4 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(nom)
            .bind(prenom)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let situations: Vec<(i64,)> = sqlx::query_as(
                "UPDATE situations SET nom_exercice = $2, prenom_exercice = $3 \
                 WHERE professional_id = $1 AND active RETURNING id",
            )
            .bind(id)
            .bind(nom)
            .bind(prenom)
            .fetch_all(&mut *tx)
            .await?;
            let recipients: Vec<(String,)> = sqlx::query_as(
                "SELECT DISTINCT g.email FROM gestionnaires g \
                 JOIN gestionnaire_attachments a ON a.gestionnaire_id = g.id \
                 JOIN sites s ON s.id = a.site_id OR s.establishment_id = a.establishment_id \
                 JOIN situations si ON si.site_id = s.id \
                 WHERE si.professional_id = $1 AND si.active AND g.disabled_at IS NULL ORDER BY \
                 g.email",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            let details = serde_json::json!({
                "before": {"nom_exercice": old_nom, "prenom_exercice": old_prenom},
                "after": {"nom_exercice": nom, "prenom_exercice": prenom},
                "situation_ids": situations.iter().map(|(s,)| *s).collect::<Vec<_>>(),
            });
            tx.audit(
                at,
                professional_actor(id).as_str(),
                "professional.exercice_updated",
                &professional_subject(id),
                &details,
            )
            .await?;
            for (recipient,) in &recipients {
                tx.queue_email(at, &notice(recipient)).await?;
            }
            tx.commit().await?;
            Ok(recipients.len())
        })
    }

    /// Ends a professional's session (sign-out), audited.
    #[tracing::instrument(skip_all, err)]
    pub async fn end_professional_session(
        &self,
        id_hash: &str,
        professional_id: i64,
    ) -> Result<(), StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND role = 'professionnel'")
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
            tx.audit(
                at,
                professional_actor(professional_id).as_str(),
                "ecps.sign_out",
                &professional_subject(professional_id),
                &serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
