//! Storage of the self pre-registration intake: identity documents, requests, idempotency keys, the mail outbox.
//!
//! The SQL is the same on both backends (`$n` placeholders, `ON CONFLICT`, `RETURNING`), so each operation is
//! written once and instantiated per backend by [`with_pool!`] / [`with_tx!`]. Timestamps that are compared are
//! written in whole seconds ([`now`]): SQLite stores them as RFC 3339 text, which then sorts chronologically.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::error::ErrorKind;
use sqlx::types::Json;
use time::{Duration, OffsetDateTime};

use super::{Actor, SiteMatch, Storage, StorageError};

/// Runs `$body` with `$pool` bound to the backend's pool.
macro_rules! with_pool {
    ($storage:expr, $pool:ident => $body:expr) => {
        match $storage {
            Storage::Sqlite(s) => {
                let $pool = s.pool();
                $body
            }
            Storage::Postgres(s) => {
                let $pool = s.pool();
                $body
            }
        }
    };
}

/// Runs `$body`, a single writing statement, with `$pool` bound to the backend's pool (SQLite: in this process's
/// write turn, see `SqliteStorage::write_turn`).
macro_rules! with_write {
    ($storage:expr, $pool:ident => $body:expr) => {
        match $storage {
            Storage::Sqlite(s) => {
                let written = {
                    let _turn = s.write_turn().await;
                    let $pool = s.writer();
                    $body
                };
                s.durable().await?;
                written
            }
            Storage::Postgres(s) => {
                let $pool = s.pool();
                $body
            }
        }
    };
}

/// Runs `$body` with `$tx` a new transaction (SQLite: in this process's write turn, then `BEGIN IMMEDIATE`, which
/// takes the write lock at once; once the body succeeded, waits for its commit to be on disk). `$body` runs in an
/// async block: a `return` in it ends the block, on both backends.
macro_rules! with_tx {
    ($storage:expr, $tx:ident => $body:expr) => {
        match $storage {
            Storage::Sqlite(s) => {
                let result: Result<_, StorageError> = async {
                    let _turn = s.write_turn().await;
                    let mut $tx = s.writer().begin_with("BEGIN IMMEDIATE").await?;
                    $body
                }
                .await;
                if result.is_ok() {
                    s.durable().await?;
                }
                result
            }
            Storage::Postgres(s) => {
                let result: Result<_, StorageError> = async {
                    let mut $tx = s.pool().begin().await?;
                    $body
                }
                .await;
                result
            }
        }
    };
}

/// Idempotency keys are forgotten after this.
pub const IDEMPOTENCY_TTL: Duration = Duration::hours(24);

/// The current time in whole seconds.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// An identity document to store (already checked).
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub id: String,
    pub content_type: &'static str,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// Whether a stored document may be attached to a new request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentState {
    Missing,
    Free,
    Referenced,
}

/// What the look at an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The key is new: this request may use it.
    Started,
    /// The key's request was stored: answer this.
    Replay { status: u16, body: String },
    /// The key was used with another body.
    Mismatch,
}

#[derive(Debug, FromRow)]
struct IdempotencyRow {
    body_hash: String,
    response_status: Option<i64>,
    response_body: Option<String>,
}

/// A validated pre-registration, ready to store.
#[derive(Debug, Clone)]
pub struct NewPreRegistration {
    pub reference: String,
    pub site_id: i64,
    pub civilite: String,
    pub nom_naissance: String,
    pub prenoms: Vec<String>,
    pub date_naissance: String,
    pub lieu_commune_cog: Option<String>,
    pub lieu_pays_cog: Option<String>,
    pub lieu_ville_etrangere: Option<String>,
    pub lieu_commune_libre: Option<String>,
    pub lieu_departement_libre: Option<String>,
    pub email: String,
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
    pub user_agent: Option<String>,
    pub status_token_hash: String,
    pub email_token_hash: String,
}

/// An email to queue.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

/// Everything written by one submission, in one transaction.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    pub request: &'a NewPreRegistration,
    pub idempotency_key: &'a str,
    /// SHA-256 of the request body, stored with the key so that a reuse with another body is refused.
    pub body_hash: &'a str,
    pub response_status: u16,
    pub response_body: &'a str,
    pub actor: &'a Actor,
    pub audit_details: Value,
    pub emails: &'a [NewEmail],
}

/// What the status page shows.
#[derive(Debug, Clone, FromRow)]
pub struct StatusRecord {
    pub reference: String,
    pub status: String,
    pub status_detail: Option<String>,
    pub rpps: Option<String>,
    pub site_nom: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub email_confirmed_at: Option<OffsetDateTime>,
}

/// A claimed outbox email.
#[derive(Debug, Clone, FromRow)]
pub struct OutboxEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: OffsetDateTime,
    pub attempts: i64,
}

/// One outbox row as an operator (or a test) sees it; the bodies are empty once the email was sent or given up.
#[derive(Debug, Clone, FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i64,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub sent_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

fn is_kind(err: &sqlx::Error, kind: ErrorKind) -> bool {
    err.as_database_error().is_some_and(|db| db.kind() == kind)
}

const STATUS_SELECT: &str = "SELECT p.reference, p.status, p.status_detail, p.rpps, s.nom AS site_nom, \
     p.created_at, p.updated_at, p.email_confirmed_at \
     FROM pre_registrations p JOIN sites s ON s.id = p.site_id";

/// A submission's request row (`$1`..`$30`), returning its id. See [`bind_request!`].
const INSERT_REQUEST_SQL: &str = "INSERT INTO pre_registrations (reference, site_id, status, \
     etat_civil_certifie, civilite, nom_naissance, prenoms, date_naissance, lieu_commune_cog, lieu_pays_cog, \
     lieu_ville_etrangere, lieu_commune_libre, lieu_departement_libre, commune_saisie_libre, email, mobile, finess, \
     nom_exercice, prenom_exercice, metier, role, mode_exercice, date_prise_fonction, rpps_existant, \
     notice_version, document_id, user_agent, status_token_hash, email_token_hash, created_at, updated_at, \
     identity_key) \
     VALUES ($1, $2, 'recue', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
     $21, $22, $23, $24, $25, $26, $27, $28, $29, $29, $30) RETURNING id";

/// Gestionnaires of site `$1` have something new since `$2`: the notifier batches their emails.
const NOTIFY_SITE_SQL: &str = "INSERT INTO gestionnaire_notifications (gestionnaire_id, pending_since) \
     SELECT g.id, $2 FROM gestionnaires g WHERE g.disabled_at IS NULL AND g.id IN \
     (SELECT a.gestionnaire_id FROM gestionnaire_attachments a WHERE a.site_id = $1 \
      OR a.establishment_id = (SELECT s.establishment_id FROM sites s WHERE s.id = $1)) \
     ON CONFLICT (gestionnaire_id) DO UPDATE SET pending_since = \
     COALESCE(gestionnaire_notifications.pending_since, excluded.pending_since)";

/// The audit entry of the request of reference `$4` (its subject names the request's id).
const AUDIT_REQUEST_SQL: &str = "INSERT INTO audit_log (at, actor, action, subject, details) \
     SELECT $1, $2, 'pre_registration.create', 'pre_registration:' || id, $3 \
     FROM pre_registrations WHERE reference = $4";

/// An email queued in the outbox (`$1`..`$5`). See [`bind_email!`].
const OUTBOX_SQL: &str = "INSERT INTO mail_outbox (recipient, subject, text_body, html_body, created_at, attempts, \
     next_attempt_at) VALUES ($1, $2, $3, $4, $5, 0, $5)";

/// Binds [`INSERT_REQUEST_SQL`]'s parameters, in order.
macro_rules! bind_request {
    ($query:expr, $r:expr, $prenoms:expr, $commune_libre:expr, $now:expr, $identity_key:expr) => {
        $query
            .bind(&$r.reference)
            .bind($r.site_id)
            .bind(false)
            .bind(&$r.civilite)
            .bind(&$r.nom_naissance)
            .bind(&$prenoms)
            .bind(&$r.date_naissance)
            .bind(&$r.lieu_commune_cog)
            .bind(&$r.lieu_pays_cog)
            .bind(&$r.lieu_ville_etrangere)
            .bind(&$r.lieu_commune_libre)
            .bind(&$r.lieu_departement_libre)
            .bind($commune_libre)
            .bind(&$r.email)
            .bind(&$r.mobile)
            .bind(&$r.finess)
            .bind(&$r.nom_exercice)
            .bind(&$r.prenom_exercice)
            .bind(&$r.metier)
            .bind(&$r.role)
            .bind(&$r.mode_exercice)
            .bind(&$r.date_prise_fonction)
            .bind(&$r.rpps_existant)
            .bind(&$r.notice_version)
            .bind(&$r.document_id)
            .bind(&$r.user_agent)
            .bind(&$r.status_token_hash)
            .bind(&$r.email_token_hash)
            .bind($now)
            .bind(&$identity_key)
    };
}

/// Binds [`OUTBOX_SQL`]'s parameters, in order.
macro_rules! bind_email {
    ($query:expr, $email:expr, $now:expr) => {
        $query
            .bind(&$email.recipient)
            .bind(&$email.subject)
            .bind(&$email.text_body)
            .bind(&$email.html_body)
            .bind($now)
    };
}

/// The statements of a submission after its idempotency key, as one SQLite batch: each statement's `$n` shifted
/// past the parameters of the statements before it (SQLite numbers them across the batch), so that the
/// parameters are bound in the order the statements come.
fn sqlite_batch(emails: usize) -> String {
    let mut statements = vec![
        INSERT_REQUEST_SQL,
        super::queue::BUMP_SQL,
        NOTIFY_SITE_SQL,
        AUDIT_REQUEST_SQL,
    ];
    statements.extend(std::iter::repeat_n(OUTBOX_SQL, emails));
    let mut batch = String::new();
    let mut offset = 0;
    for statement in statements {
        let (shifted, count) = shift_parameters(statement, offset);
        batch.push_str(&shifted);
        batch.push_str(";\n");
        offset += count;
    }
    batch
}

/// `sql` with every `$n` made `$(n + offset)`, and its highest `n` (its parameter count: ours use `$1`..`$n`).
fn shift_parameters(sql: &str, offset: usize) -> (String, usize) {
    let mut shifted = String::with_capacity(sql.len() + 16);
    let mut highest = 0;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        shifted.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Ok(n) = rest[..digits].parse::<usize>() {
            highest = highest.max(n);
            shifted.push_str(&(n + offset).to_string());
            rest = &rest[digits..];
        }
    }
    shifted.push_str(rest);
    (shifted, highest)
}

impl Storage {
    /// A site by id, with its entité juridique's name.
    #[tracing::instrument(skip_all, err)]
    pub async fn find_site(&self, id: i64) -> Result<Option<SiteMatch>, StorageError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, SiteMatch>(
            "SELECT s.id, s.establishment_id, s.nom, s.finess, s.siret, s.commune, s.demo, \
             e.nom AS establishment_nom \
             FROM sites s JOIN establishments e ON e.id = s.establishment_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?))
    }

    /// Stores an identity document.
    #[tracing::instrument(skip_all, fields(size = new.content.len()), err)]
    pub async fn insert_document(&self, new: &NewDocument) -> Result<(), StorageError> {
        let size = i64::try_from(new.content.len()).unwrap_or(i64::MAX);
        with_write!(self, pool => {
            sqlx::query(
                "INSERT INTO documents (id, content_type, size_bytes, sha256, content, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&new.id)
            .bind(new.content_type)
            .bind(size)
            .bind(&new.sha256)
            .bind(&new.content)
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Whether the document exists and is already attached to a request.
    #[tracing::instrument(skip_all, err)]
    pub async fn document_state(&self, id: &str) -> Result<DocumentState, StorageError> {
        let found: Option<(String, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT d.id, (SELECT COUNT(*) FROM pre_registrations p WHERE p.document_id = d.id) \
             FROM documents d WHERE d.id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?);
        Ok(match found {
            None => DocumentState::Missing,
            Some((_, 0)) => DocumentState::Free,
            Some(_) => DocumentState::Referenced,
        })
    }

    /// Looks at an idempotency key without taking it: the key is written by the transaction that stores its
    /// request ([`Storage::create_pre_registration`]), so a submission costs one commit, and a request that fails
    /// leaves nothing behind.
    #[tracing::instrument(skip_all, err)]
    pub async fn idempotency_lookup(
        &self,
        key: &str,
        body_hash: &str,
    ) -> Result<IdempotencyBegin, StorageError> {
        let row: Option<IdempotencyRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT body_hash, response_status, response_body FROM idempotency_keys WHERE key = $1",
            )
            .bind(key)
            .fetch_optional(pool)
            .await?
        });
        Ok(match row {
            None => IdempotencyBegin::Started,
            Some(row) if row.body_hash != body_hash => IdempotencyBegin::Mismatch,
            Some(row) => IdempotencyBegin::Replay {
                status: row
                    .response_status
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(200),
                body: row.response_body.unwrap_or_default(),
            },
        })
    }

    /// Forgets the keys older than [`IDEMPOTENCY_TTL`]; run in the background, off the submission's path.
    #[tracing::instrument(skip_all, err)]
    pub async fn purge_expired_idempotency_keys(&self) -> Result<u64, StorageError> {
        let before = now() - IDEMPOTENCY_TTL;
        let purged = with_write!(self, pool => {
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(purged)
    }

    /// Stores a pre-registration with its idempotency key and response, the audit entry and the queued emails, all
    /// in one transaction (one commit per submission). `Ok(None)`: the key was taken meanwhile by a concurrent
    /// request with the same key (look it up again). A unique violation (the document was attached meanwhile, or
    /// a reference collision) is [`StorageError::Conflict`]. On SQLite, whose connection runs on its own thread
    /// (a round trip per statement), the statements after the key go as one batch ([`sqlite_batch`]).
    #[tracing::instrument(skip_all, fields(site_id = submission.request.site_id), err(level = "debug"))]
    pub async fn create_pre_registration(
        &self,
        submission: &Submission<'_>,
    ) -> Result<Option<i64>, StorageError> {
        let r = submission.request;
        let now = now();
        let prenoms = serde_json::to_string(&r.prenoms).unwrap_or_else(|_| "[]".to_owned());
        let commune_libre = r.lieu_commune_libre.is_some();
        let batched = matches!(self, Storage::Sqlite(_));
        with_tx!(self, tx => {
            // First, so that a concurrent twin stops here. PostgreSQL: waits for the twin's transaction to end.
            let key_taken = sqlx::query(
                "INSERT INTO idempotency_keys (key, body_hash, state, response_status, response_body, created_at, \
                 updated_at) VALUES ($1, $2, 'done', $3, $4, $5, $5) ON CONFLICT (key) DO NOTHING",
            )
            .bind(submission.idempotency_key)
            .bind(submission.body_hash)
            .bind(i64::from(submission.response_status))
            .bind(submission.response_body)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if key_taken == 0 {
                return Ok(None);
            }
            let site_id = r.site_id;
            let identity_key = super::queue::identity_key(&r.nom_naissance, &r.date_naissance);
            let audit_details = Json(&submission.audit_details);
            let inserted: Result<(i64,), sqlx::Error> = if batched {
                let mut query = bind_request!(
                    sqlx::query_as(sqlx::AssertSqlSafe(sqlite_batch(submission.emails.len()))),
                    r, prenoms, commune_libre, now, identity_key
                )
                // BUMP_SQL
                .bind(site_id)
                .bind("recue")
                .bind(1_i64)
                // NOTIFY_SITE_SQL
                .bind(site_id)
                .bind(now)
                // AUDIT_REQUEST_SQL
                .bind(now)
                .bind(submission.actor.as_str())
                .bind(audit_details)
                .bind(&r.reference);
                for email in submission.emails {
                    query = bind_email!(query, email, now);
                }
                // Every row, not one: fetching one would stop the batch after the statement that returns it.
                query
                    .fetch_all(&mut *tx)
                    .await
                    .and_then(|rows| rows.into_iter().next().ok_or(sqlx::Error::RowNotFound))
            } else {
                let inserted = bind_request!(
                    sqlx::query_as(INSERT_REQUEST_SQL),
                    r, prenoms, commune_libre, now, identity_key
                )
                .fetch_one(&mut *tx)
                .await;
                if inserted.is_ok() {
                    super::queue::bump!(&mut *tx, site_id, "recue", 1_i64);
                    sqlx::query(NOTIFY_SITE_SQL)
                        .bind(site_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(AUDIT_REQUEST_SQL)
                        .bind(now)
                        .bind(submission.actor.as_str())
                        .bind(audit_details)
                        .bind(&r.reference)
                        .execute(&mut *tx)
                        .await?;
                    for email in submission.emails {
                        bind_email!(sqlx::query(OUTBOX_SQL), email, now)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                inserted
            };
            let id = match inserted {
                Ok((id,)) => id,
                Err(err) if is_kind(&err, ErrorKind::UniqueViolation) => {
                    return Err(StorageError::Conflict(None));
                }
                Err(err) => return Err(err.into()),
            };
            tx.commit().await?;
            Ok(Some(id))
        })
    }

    /// The request whose status token hashes to `hash`.
    #[tracing::instrument(skip_all, err)]
    pub async fn status_by_token_hash(
        &self,
        hash: &str,
    ) -> Result<Option<StatusRecord>, StorageError> {
        let sql = format!("{STATUS_SELECT} WHERE p.status_token_hash = $1");
        with_pool!(self, pool => Ok(sqlx::query_as::<_, StatusRecord>(sqlx::AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(pool)
            .await?))
    }

    /// Marks the email of the request whose confirmation token hashes to `hash` as confirmed (the first time
    /// only); answers its reference and the confirmation time, `None` for an unknown token.
    #[tracing::instrument(skip_all, err)]
    pub async fn confirm_email(
        &self,
        hash: &str,
    ) -> Result<Option<(String, OffsetDateTime)>, StorageError> {
        let now = now();
        with_write!(self, pool => {
            sqlx::query(
                "UPDATE pre_registrations SET email_confirmed_at = $2 \
                 WHERE email_token_hash = $1 AND email_confirmed_at IS NULL",
            )
            .bind(hash)
            .bind(now)
            .execute(pool)
            .await?;
            let found: Option<(String, Option<OffsetDateTime>)> = sqlx::query_as(
                "SELECT reference, email_confirmed_at FROM pre_registrations WHERE email_token_hash = $1",
            )
            .bind(hash)
            .fetch_optional(pool)
            .await?;
            Ok(found.map(|(reference, at)| (reference, at.unwrap_or(now))))
        })
    }

    /// Number of stored pre-registrations.
    pub async fn count_pre_registrations(&self) -> Result<i64, StorageError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM pre_registrations")
            .fetch_one(pool)
            .await?
            .0))
    }

    /// Every outbox row, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxRow>, StorageError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, OutboxRow>(
            "SELECT id, recipient, subject, text_body, html_body, attempts, next_attempt_at, sent_at, last_error \
             FROM mail_outbox ORDER BY id",
        )
        .fetch_all(pool)
        .await?))
    }

    /// Claims up to `limit` due emails until `lease_until` and counts their attempt, in one statement (several
    /// instances never claim the same row: the update re-checks the claim condition on each row it changes).
    #[tracing::instrument(skip_all, err)]
    pub async fn claim_emails(
        &self,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<OutboxEmail>, StorageError> {
        let now = now();
        let mut claimed = with_write!(self, pool => sqlx::query_as::<_, OutboxEmail>(
            "UPDATE mail_outbox SET claimed_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
                 AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY next_attempt_at, id LIMIT $3) \
             AND sent_at IS NULL AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1) \
             RETURNING id, recipient, subject, text_body, html_body, created_at, attempts",
        )
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(pool)
        .await?);
        // RETURNING gives no order: send the oldest first.
        claimed.sort_by_key(|email| email.id);
        Ok(claimed)
    }

    /// Records successful sends, in one statement, and erases their bodies: the links in them hold tokens stored
    /// elsewhere only as hashes, and the sent email is the only copy they need.
    pub async fn emails_sent(&self, ids: &[i64]) -> Result<(), StorageError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE mail_outbox SET sent_at = $1, next_attempt_at = NULL, claimed_until = NULL, \
             last_error = NULL, text_body = '', html_body = '' WHERE id IN ({})",
            super::queue::in_list(ids)
        );
        with_write!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records a failed attempt; `retry_at` `None` gives up, and then erases the bodies (as [`Self::emails_sent`]).
    pub async fn email_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<(), StorageError> {
        let sql = if retry_at.is_some() {
            "UPDATE mail_outbox SET last_error = $2, next_attempt_at = $3, claimed_until = NULL WHERE id = $1"
        } else {
            "UPDATE mail_outbox SET last_error = $2, next_attempt_at = $3, claimed_until = NULL, text_body = '', \
             html_body = '' WHERE id = $1"
        };
        with_write!(self, pool => {
            sqlx::query(sql)
            .bind(id)
            .bind(error)
            .bind(retry_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_shifted_past_the_statements_before() {
        let (sql, count) = shift_parameters("VALUES ($1, $2, $10, $2) -- $", 30);
        assert_eq!(sql, "VALUES ($31, $32, $40, $32) -- $");
        assert_eq!(count, 10);
        assert_eq!(shift_parameters("SELECT 1", 5), ("SELECT 1".to_owned(), 0));
    }

    #[test]
    fn the_sqlite_batch_numbers_its_parameters_in_statement_order() {
        let batch = sqlite_batch(1);
        assert_eq!(batch.matches(";\n").count(), 5);
        // 30 for the request, 3 for the count, 2 for the notice, 4 for the audit entry, 5 for the email.
        assert!(batch.contains("$44") && !batch.contains("$45"), "{batch}");
        assert!(
            batch.contains("VALUES ($40, $41, $42, $43, $44, 0, $44)"),
            "{batch}"
        );
        assert!(sqlite_batch(2).contains("$49") && !sqlite_batch(2).contains("$50"));
    }
}
