//! Storage of gestionnaires: accounts, attachments, one-time password links, sessions and failed sign-ins.
//!

use serde_json::{Value, json};
use sqlx::FromRow;
use time::{Duration, OffsetDateTime};

use super::statements::Statements;
use super::{
    Actor, Constraint, NewEmail, SiteMatch, Storage, StorageError, is_unique_violation, now,
};

/// A stored gestionnaire.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct GestionnaireRecord {
    pub id: i64,
    pub email: String,
    pub nom: String,
    pub password_hash: Option<String>,
    pub disabled_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// What a gestionnaire is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentTarget {
    /// An entité juridique: all its sites, present and future.
    Establishment(i64),
    Site(i64),
}

/// A gestionnaire with the names of what they are attached to.
#[derive(Debug, Clone)]
pub struct GestionnaireListing {
    pub gestionnaire: GestionnaireRecord,
    /// `EJ <nom>` or `site <nom>`.
    pub attachments: Vec<String>,
}

/// Who a session belongs to; the layer does not care how the person authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRole {
    Gestionnaire,
    Professionnel,
}

impl SessionRole {
    pub fn code(self) -> &'static str {
        match self {
            Self::Gestionnaire => "gestionnaire",
            Self::Professionnel => "professionnel",
        }
    }
}

/// A stored session.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRecord {
    pub id_hash: String,
    pub role: String,
    pub subject_id: i64,
    pub method: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub role: SessionRole,
    pub subject_id: i64,
    pub method: &'a str,
    pub expires_at: OffsetDateTime,
}

/// The failed sign-in counter of one key after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: i64,
    /// Set when this failure locked the key.
    pub locked_until: Option<OffsetDateTime>,
}

const GESTIONNAIRE_COLUMNS: &str = "id, email, nom, password_hash, disabled_at, created_at";

/// Sites covered by gestionnaire `$1` (directly, or through their entité juridique).
pub(super) const SCOPE_SITES: &str = "(SELECT a.site_id FROM gestionnaire_attachments a \
     WHERE a.gestionnaire_id = $1 AND a.site_id IS NOT NULL \
     UNION SELECT s.id FROM sites s JOIN gestionnaire_attachments a ON a.establishment_id = s.establishment_id \
     WHERE a.gestionnaire_id = $1)";

impl Storage {
    /// Writes one audit entry on its own.
    #[tracing::instrument(skip_all, fields(action), err)]
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        subject: &str,
        details: Value,
    ) -> Result<(), StorageError> {
        let at = now();
        with_write!(self, async |pool| {
            let mut conn = pool.acquire().await?;
            conn.audit(at, actor.as_str(), action, subject, &details)
                .await
        })
    }

    /// Creates a gestionnaire (email already lowercased and checked); audited.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn create_gestionnaire(
        &self,
        email: &str,
        nom: &str,
        actor: &Actor,
    ) -> Result<GestionnaireRecord, StorageError> {
        if self.find_gestionnaire_by_email(email).await?.is_some() {
            return Err(StorageError::Conflict(Some(Constraint::GestionnaireEmail)));
        }
        let at = now();
        let sql = format!(
            "INSERT INTO gestionnaires (email, nom, created_at) VALUES ($1, $2, $3) RETURNING \
             {GESTIONNAIRE_COLUMNS}"
        );
        with_tx!(self, async |mut tx| {
            let inserted = sqlx::query_as::<_, GestionnaireRecord>(sqlx::AssertSqlSafe(sql))
                .bind(email)
                .bind(nom)
                .bind(at)
                .fetch_one(&mut *tx)
                .await;
            let record = match inserted {
                Ok(record) => record,
                Err(err) if is_unique_violation(&err) => {
                    return Err(StorageError::Conflict(Some(Constraint::GestionnaireEmail)));
                }
                Err(err) => return Err(err.into()),
            };
            tx.audit(
                at,
                actor.as_str(),
                "gestionnaire.create",
                &format!("gestionnaire:{}", record.id),
                &json!({"nom": record.nom}),
            )
            .await?;
            tx.commit().await?;
            Ok(record)
        })
    }

    pub async fn find_gestionnaire_by_email(
        &self,
        email: &str,
    ) -> Result<Option<GestionnaireRecord>, StorageError> {
        let sql = format!("SELECT {GESTIONNAIRE_COLUMNS} FROM gestionnaires WHERE email = $1");
        with_pool!(self, async |pool| Ok(
            sqlx::query_as::<_, GestionnaireRecord>(sqlx::AssertSqlSafe(sql))
                .bind(email)
                .fetch_optional(pool)
                .await?
        ))
    }

    pub async fn find_gestionnaire(
        &self,
        id: i64,
    ) -> Result<Option<GestionnaireRecord>, StorageError> {
        let sql = format!("SELECT {GESTIONNAIRE_COLUMNS} FROM gestionnaires WHERE id = $1");
        with_pool!(self, async |pool| Ok(
            sqlx::query_as::<_, GestionnaireRecord>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
        ))
    }

    /// Attaches a gestionnaire to an entité juridique or a site (idempotent); audited when new.
    #[tracing::instrument(skip_all, err)]
    pub async fn attach_gestionnaire(
        &self,
        gestionnaire_id: i64,
        target: AttachmentTarget,
        actor: &Actor,
    ) -> Result<bool, StorageError> {
        let (ej, site) = match target {
            AttachmentTarget::Establishment(id) => (Some(id), None),
            AttachmentTarget::Site(id) => (None, Some(id)),
        };
        let at = now();
        with_tx!(self, async |mut tx| {
            let added = sqlx::query(
                "INSERT INTO gestionnaire_attachments (gestionnaire_id, establishment_id, site_id, \
                 created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(gestionnaire_id)
            .bind(ej)
            .bind(site)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if added {
                tx.audit(
                    at,
                    actor.as_str(),
                    "gestionnaire.attach",
                    &format!("gestionnaire:{gestionnaire_id}"),
                    &json!({"establishment_id": ej, "site_id": site}),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(added)
        })
    }

    /// Disables a gestionnaire and ends their sessions at once; `false` when unknown.
    #[tracing::instrument(skip_all, err)]
    pub async fn disable_gestionnaire(
        &self,
        gestionnaire_id: i64,
        actor: &Actor,
    ) -> Result<bool, StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            let found = sqlx::query(
                "UPDATE gestionnaires SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1",
            )
            .bind(gestionnaire_id)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !found {
                return Ok(false);
            }
            let ended =
                sqlx::query("DELETE FROM sessions WHERE role = 'gestionnaire' AND subject_id = $1")
                    .bind(gestionnaire_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            sqlx::query(
                "UPDATE password_tokens SET used_at = $2 WHERE gestionnaire_id = $1 AND \
                 used_at IS NULL",
            )
            .bind(gestionnaire_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.audit(
                at,
                actor.as_str(),
                "gestionnaire.disable",
                &format!("gestionnaire:{gestionnaire_id}"),
                &json!({"sessions_ended": ended}),
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Every gestionnaire with what they are attached to, by email.
    pub async fn list_gestionnaires(&self) -> Result<Vec<GestionnaireListing>, StorageError> {
        let sql = format!("SELECT {GESTIONNAIRE_COLUMNS} FROM gestionnaires ORDER BY email");
        let (all, attachments): (Vec<GestionnaireRecord>, Vec<(i64, String)>) =
            with_pool!(self, async |pool| {
                let all = sqlx::query_as::<_, GestionnaireRecord>(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await?;
                let attachments = sqlx::query_as::<_, (i64, String)>(
                    "SELECT a.gestionnaire_id, 'EJ ' || e.nom FROM gestionnaire_attachments a \
                     JOIN establishments e ON e.id = a.establishment_id \
                     UNION ALL SELECT a.gestionnaire_id, 'site ' || s.nom FROM \
                     gestionnaire_attachments a JOIN sites s ON s.id = a.site_id",
                )
                .fetch_all(pool)
                .await?;
                Ok((all, attachments))
            })?;
        Ok(all
            .into_iter()
            .map(|gestionnaire| {
                let attachments = attachments
                    .iter()
                    .filter(|(id, _)| *id == gestionnaire.id)
                    .map(|(_, name)| name.clone())
                    .collect();
                GestionnaireListing {
                    gestionnaire,
                    attachments,
                }
            })
            .collect())
    }

    /// The sites a gestionnaire covers, ordered by name.
    pub async fn gestionnaire_sites(
        &self,
        gestionnaire_id: i64,
    ) -> Result<Vec<SiteMatch>, StorageError> {
        let sql = format!(
            "SELECT s.id, s.establishment_id, s.nom, s.finess, s.siret, s.commune, s.demo, \
             e.nom AS establishment_nom FROM sites s JOIN establishments e ON e.id = \
             s.establishment_id WHERE s.id IN {SCOPE_SITES} ORDER BY s.nom, s.id"
        );
        with_pool!(self, async |pool| Ok(sqlx::query_as::<_, SiteMatch>(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(gestionnaire_id)
        .fetch_all(pool)
        .await?))
    }

    /// Stores a one-time password link and queues its email, in one transaction.
    #[tracing::instrument(skip_all, err)]
    pub async fn create_password_token(
        &self,
        gestionnaire_id: i64,
        token_hash: &str,
        expires_at: OffsetDateTime,
        email: &NewEmail,
        actor: &Actor,
    ) -> Result<(), StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            sqlx::query(
                "INSERT INTO password_tokens (token_hash, gestionnaire_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(gestionnaire_id)
            .bind(at)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.queue_email(at, email).await?;
            tx.audit(
                at,
                actor.as_str(),
                "gestionnaire.password_link",
                &format!("gestionnaire:{gestionnaire_id}"),
                &json!({"expires_at": expires_at.unix_timestamp()}),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The gestionnaire of a usable (unused, unexpired) password link, if enabled.
    pub async fn password_token_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<GestionnaireRecord>, StorageError> {
        let sql = format!(
            "SELECT {GESTIONNAIRE_COLUMNS} FROM gestionnaires WHERE disabled_at IS NULL AND id = \
             (SELECT gestionnaire_id FROM password_tokens WHERE token_hash = $1 AND used_at IS \
             NULL AND expires_at > $2)"
        );
        with_pool!(self, async |pool| Ok(
            sqlx::query_as::<_, GestionnaireRecord>(sqlx::AssertSqlSafe(sql))
                .bind(token_hash)
                .bind(now())
                .fetch_optional(pool)
                .await?
        ))
    }

    /// Uses a password link: sets the password, ends the gestionnaire's sessions and audits, in one transaction;
    /// `None` when the link is unknown, used, expired, or its gestionnaire disabled.
    #[tracing::instrument(skip_all, err)]
    pub async fn use_password_token(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> Result<Option<i64>, StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            let taken: Option<(i64,)> = sqlx::query_as(
                "UPDATE password_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
                 AND expires_at > $2 RETURNING gestionnaire_id",
            )
            .bind(token_hash)
            .bind(at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id,)) = taken else { return Ok(None) };
            let updated = sqlx::query(
                "UPDATE gestionnaires SET password_hash = $2 WHERE id = $1 AND disabled_at IS NULL",
            )
            .bind(id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Ok(None);
            }
            sqlx::query("DELETE FROM sessions WHERE role = 'gestionnaire' AND subject_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.audit(
                at,
                Actor::gestionnaire(id).as_str(),
                "gestionnaire.password_set",
                &format!("gestionnaire:{id}"),
                &json!({}),
            )
            .await?;
            tx.commit().await?;
            Ok(Some(id))
        })
    }

    /// When `key` is locked, until when.
    pub async fn sign_in_locked_until(
        &self,
        key: &str,
    ) -> Result<Option<OffsetDateTime>, StorageError> {
        let at = now();
        let found: Option<(Option<OffsetDateTime>,)> = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(
                "SELECT locked_until FROM sign_in_failures WHERE key = $1 AND locked_until > $2",
            )
            .bind(key)
            .bind(at)
            .fetch_optional(pool)
            .await?)
        })?;
        Ok(found.and_then(|(until,)| until))
    }

    /// Counts one failed sign-in of `key` (failures older than `window` are forgotten); at `lock_after` failures
    /// the key is locked for `lock_for` and its count starts again.
    pub async fn record_sign_in_failure(
        &self,
        key: &str,
        window: Duration,
        lock_after: i64,
        lock_for: Duration,
    ) -> Result<FailureCount, StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            let (failures,): (i64,) = sqlx::query_as(
                "INSERT INTO sign_in_failures (key, failures, last_failure_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN \
                 sign_in_failures.last_failure_at < $3 THEN 1 ELSE sign_in_failures.failures + 1 \
                 END, last_failure_at = $2 RETURNING failures",
            )
            .bind(key)
            .bind(at)
            .bind(at - window)
            .fetch_one(&mut *tx)
            .await?;
            let locked_until = if failures >= lock_after {
                let until = at + lock_for;
                sqlx::query(
                    "UPDATE sign_in_failures SET failures = 0, locked_until = $2 WHERE key = $1",
                )
                .bind(key)
                .bind(until)
                .execute(&mut *tx)
                .await?;
                Some(until)
            } else {
                None
            };
            tx.commit().await?;
            Ok(FailureCount {
                failures,
                locked_until,
            })
        })
    }

    /// Forgets the failures of `key` (after a successful sign-in).
    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<(), StorageError> {
        with_write!(self, async |pool| {
            sqlx::query(
                "DELETE FROM sign_in_failures WHERE key = $1 AND (locked_until IS NULL OR \
                 locked_until <= $2)",
            )
            .bind(key)
            .bind(now())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Opens a session and audits the sign-in, in one transaction. Expired sessions are purged first.
    #[tracing::instrument(skip_all, err)]
    pub async fn create_session(
        &self,
        new: &NewSession<'_>,
        actor: &Actor,
        audit_details: Value,
    ) -> Result<(), StorageError> {
        let at = now();
        with_tx!(self, async |mut tx| {
            tx.open_session(new, at).await?;
            tx.audit(
                at,
                actor.as_str(),
                "auth.sign_in",
                &format!("{}:{}", new.role.code(), new.subject_id),
                &audit_details,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn find_session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StorageError> {
        with_pool!(self, async |pool| Ok(sqlx::query_as::<_, SessionRecord>(
            "SELECT id_hash, role, subject_id, method, created_at, last_seen_at, expires_at \
             FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(pool)
        .await?))
    }

    pub async fn touch_session(&self, id_hash: &str) -> Result<(), StorageError> {
        with_write!(self, async |pool| {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(now())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Ends a session; audits when `audit` names the action (`auth.sign_out`, `auth.session_expired`).
    pub async fn delete_session(
        &self,
        session: &SessionRecord,
        audit_action: Option<&str>,
        details: Value,
    ) -> Result<(), StorageError> {
        let at = now();
        let subject = format!("{}:{}", session.role, session.subject_id);
        with_tx!(self, async |mut tx| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(&session.id_hash)
                .execute(&mut *tx)
                .await?;
            if let Some(action) = audit_action {
                tx.audit(at, &subject, action, &subject, &details).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Queues the batched "new requests" email of every gestionnaire who has news and was not emailed within
    /// `period`; answers how many were queued. Each claim is a conditional update, so that several instances never
    /// send the same notice twice.
    pub async fn queue_due_notifications(
        &self,
        period: Duration,
        email_for: &(dyn Fn(&str) -> NewEmail + Sync),
    ) -> Result<usize, StorageError> {
        let at = now();
        let cutoff = at - period;
        let due: Vec<(i64, String)> = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(
                "SELECT n.gestionnaire_id, g.email FROM gestionnaire_notifications n \
                 JOIN gestionnaires g ON g.id = n.gestionnaire_id \
                 WHERE n.pending_since IS NOT NULL AND g.disabled_at IS NULL \
                 AND (n.last_sent_at IS NULL OR n.last_sent_at <= $1)",
            )
            .bind(cutoff)
            .fetch_all(pool)
            .await?)
        })?;
        let mut queued = 0;
        for (id, email) in due {
            let message = email_for(&email);
            let sent: bool = with_tx!(self, async |mut tx| {
                let claimed = sqlx::query(
                    "UPDATE gestionnaire_notifications SET pending_since = NULL, last_sent_at = $2 \
                     WHERE gestionnaire_id = $1 AND pending_since IS NOT NULL \
                     AND (last_sent_at IS NULL OR last_sent_at <= $3)",
                )
                .bind(id)
                .bind(at)
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if claimed {
                    tx.queue_email(at, &message).await?;
                }
                tx.commit().await?;
                Ok(claimed)
            })?;
            queued += usize::from(sent);
        }
        Ok(queued)
    }
}
