//! Storage of the self pre-registration intake: identity documents, requests, idempotency keys, the status page
//! and the email confirmation.

use serde_json::Value;
use sqlx::postgres::PgConnection;
use sqlx::query::QueryAs;
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteConnection};
use sqlx::types::Json;
use sqlx::{Database, Encode, FromRow, Type};
use time::{Duration, OffsetDateTime};

use super::statements::{BUMP_SQL, OUTBOX_SQL, Statements};
use super::{
    Actor, NewEmail, SiteMatch, Storage, StorageError, is_unique_violation, now, prenoms_to_stored,
};

/// Idempotency keys are forgotten after this.
pub const IDEMPOTENCY_TTL: Duration = Duration::hours(24);

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

const STATUS_SELECT: &str = "SELECT p.reference, p.status, p.status_detail, p.rpps, s.nom AS site_nom, \
     p.created_at, p.updated_at, p.email_confirmed_at \
     FROM pre_registrations p JOIN sites s ON s.id = p.site_id";

/// A submission's request row (`$1`..`$30`), returning its id. See [`bind_request`].
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

/// Binds [`INSERT_REQUEST_SQL`]'s parameters, in order (a CAS 1 registration's request starts with the same 30).
pub(super) fn bind_request<'q, DB, O>(
    query: QueryAs<'q, DB, O, DB::Arguments>,
    r: &'q NewPreRegistration,
    prenoms: &'q str,
    at: OffsetDateTime,
    identity_key: &'q str,
) -> QueryAs<'q, DB, O, DB::Arguments>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    OffsetDateTime: Encode<'q, DB> + Type<DB>,
{
    query
        .bind(r.reference.as_str())
        .bind(r.site_id)
        .bind(false)
        .bind(r.civilite.as_str())
        .bind(r.nom_naissance.as_str())
        .bind(prenoms)
        .bind(r.date_naissance.as_str())
        .bind(r.lieu_commune_cog.as_deref())
        .bind(r.lieu_pays_cog.as_deref())
        .bind(r.lieu_ville_etrangere.as_deref())
        .bind(r.lieu_commune_libre.as_deref())
        .bind(r.lieu_departement_libre.as_deref())
        .bind(r.lieu_commune_libre.is_some())
        .bind(r.email.as_str())
        .bind(r.mobile.as_str())
        .bind(r.finess.as_str())
        .bind(r.nom_exercice.as_str())
        .bind(r.prenom_exercice.as_str())
        .bind(r.metier.as_str())
        .bind(r.role.as_str())
        .bind(r.mode_exercice.as_str())
        .bind(r.date_prise_fonction.as_str())
        .bind(r.rpps_existant.as_deref())
        .bind(r.notice_version.as_str())
        .bind(r.document_id.as_str())
        .bind(r.user_agent.as_deref())
        .bind(r.status_token_hash.as_str())
        .bind(r.email_token_hash.as_str())
        .bind(at)
        .bind(identity_key)
}

/// The statements of a submission after its idempotency key, as one SQLite batch: each statement's `$n` shifted
/// past the parameters of the statements before it (SQLite numbers them across the batch), so that the
/// parameters are bound in the order the statements come.
fn sqlite_batch(emails: usize) -> String {
    let mut statements = vec![
        INSERT_REQUEST_SQL,
        BUMP_SQL,
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

/// The batch of [`sqlite_batch`] with its parameters bound: the request, the count, the notice, the audit entry
/// and the emails.
fn bind_sqlite_batch<'q>(
    submission: &'q Submission<'_>,
    prenoms: &'q str,
    at: OffsetDateTime,
    identity_key: &'q str,
) -> QueryAs<'q, Sqlite, (i64,), SqliteArguments> {
    let r = submission.request;
    let batch = sqlite_batch(submission.emails.len());
    let mut query = bind_request(
        sqlx::query_as(sqlx::AssertSqlSafe(batch)),
        r,
        prenoms,
        at,
        identity_key,
    )
    // BUMP_SQL
    .bind(r.site_id)
    .bind("recue")
    .bind(1_i64)
    // NOTIFY_SITE_SQL
    .bind(r.site_id)
    .bind(at)
    // AUDIT_REQUEST_SQL
    .bind(at)
    .bind(submission.actor.as_str())
    .bind(Json(&submission.audit_details))
    .bind(r.reference.as_str());
    for email in submission.emails {
        // OUTBOX_SQL
        query = query
            .bind(email.recipient.as_str())
            .bind(email.subject.as_str())
            .bind(email.text_body.as_str())
            .bind(email.html_body.as_str())
            .bind(at);
    }
    query
}

/// A unique violation on a new request (its document attached meanwhile, or a reference collision) is a conflict.
pub(super) fn request_error(err: sqlx::Error) -> StorageError {
    if is_unique_violation(&err) {
        StorageError::Conflict(None)
    } else {
        err.into()
    }
}

/// How each backend writes a submission after its idempotency key: the request, its count, the gestionnaires'
/// notice, the audit entry and the emails. Answers the request's id.
trait WriteSubmission {
    async fn write_submission(
        &mut self,
        submission: &Submission<'_>,
        prenoms: &str,
        identity_key: &str,
        at: OffsetDateTime,
    ) -> Result<i64, StorageError>;
}

impl WriteSubmission for SqliteConnection {
    /// One batch: a SQLite connection runs on a thread of its own, so each statement is a round trip between
    /// threads.
    async fn write_submission(
        &mut self,
        submission: &Submission<'_>,
        prenoms: &str,
        identity_key: &str,
        at: OffsetDateTime,
    ) -> Result<i64, StorageError> {
        // Every row, not one: fetching one would stop the batch after the statement that returns it.
        let rows = bind_sqlite_batch(submission, prenoms, at, identity_key)
            .fetch_all(self)
            .await
            .map_err(request_error)?;
        let (id,) = rows.into_iter().next().ok_or(sqlx::Error::RowNotFound)?;
        Ok(id)
    }
}

impl WriteSubmission for PgConnection {
    async fn write_submission(
        &mut self,
        submission: &Submission<'_>,
        prenoms: &str,
        identity_key: &str,
        at: OffsetDateTime,
    ) -> Result<i64, StorageError> {
        let r = submission.request;
        let (id,): (i64,) = bind_request(
            sqlx::query_as(INSERT_REQUEST_SQL),
            r,
            prenoms,
            at,
            identity_key,
        )
        .fetch_one(&mut *self)
        .await
        .map_err(request_error)?;
        self.bump(r.site_id, "recue", 1).await?;
        sqlx::query(NOTIFY_SITE_SQL)
            .bind(r.site_id)
            .bind(at)
            .execute(&mut *self)
            .await?;
        sqlx::query(AUDIT_REQUEST_SQL)
            .bind(at)
            .bind(submission.actor.as_str())
            .bind(Json(&submission.audit_details))
            .bind(r.reference.as_str())
            .execute(&mut *self)
            .await?;
        for email in submission.emails {
            self.queue_email(at, email).await?;
        }
        Ok(id)
    }
}

impl Storage {
    /// A site by id, with its entité juridique's name.
    #[tracing::instrument(skip_all, err)]
    pub async fn find_site(&self, id: i64) -> Result<Option<SiteMatch>, StorageError> {
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as::<_, SiteMatch>(
                "SELECT s.id, s.establishment_id, s.nom, s.finess, s.siret, s.commune, s.demo, \
                 e.nom AS establishment_nom \
                 FROM sites s JOIN establishments e ON e.id = s.establishment_id WHERE s.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Stores an identity document.
    #[tracing::instrument(skip_all, fields(size = new.content.len()), err)]
    pub async fn insert_document(&self, new: &NewDocument) -> Result<(), StorageError> {
        let size = i64::try_from(new.content.len()).unwrap_or(i64::MAX);
        with_write!(self, async |pool| {
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
            Ok(())
        })
    }

    /// Whether the document exists and is already attached to a request.
    #[tracing::instrument(skip_all, err)]
    pub async fn document_state(&self, id: &str) -> Result<DocumentState, StorageError> {
        let found: Option<(String, i64)> = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(
                "SELECT d.id, (SELECT COUNT(*) FROM pre_registrations p WHERE p.document_id = \
                 d.id) FROM documents d WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?)
        })?;
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
        let row: Option<IdempotencyRow> = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(
                "SELECT body_hash, response_status, response_body FROM idempotency_keys WHERE key \
                 = $1",
            )
            .bind(key)
            .fetch_optional(pool)
            .await?)
        })?;
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
        with_write!(self, async |pool| {
            Ok(
                sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                    .bind(before)
                    .execute(pool)
                    .await?
                    .rows_affected(),
            )
        })
    }

    /// Stores a pre-registration with its idempotency key and response, the audit entry and the queued emails, all
    /// in one transaction (one commit per submission). `Ok(None)`: the key was taken meanwhile by a concurrent
    /// request with the same key (look it up again). A unique violation (the document was attached meanwhile, or
    /// a reference collision) is [`StorageError::Conflict`]. On SQLite the statements after the key go as one
    /// batch ([`WriteSubmission`]).
    #[tracing::instrument(skip_all, fields(site_id = submission.request.site_id), err(level = "debug"))]
    pub async fn create_pre_registration(
        &self,
        submission: &Submission<'_>,
    ) -> Result<Option<i64>, StorageError> {
        let r = submission.request;
        let at = now();
        let prenoms = prenoms_to_stored(&r.prenoms);
        let identity_key = super::queue::identity_key(&r.nom_naissance, &r.date_naissance);
        with_tx!(self, async |mut tx| {
            // First, so that a concurrent twin stops here. PostgreSQL: waits for the twin's transaction to end.
            let key_taken = sqlx::query(
                "INSERT INTO idempotency_keys (key, body_hash, state, response_status, \
                 response_body, created_at, updated_at) VALUES ($1, $2, 'done', $3, $4, $5, $5) ON \
                 CONFLICT (key) DO NOTHING",
            )
            .bind(submission.idempotency_key)
            .bind(submission.body_hash)
            .bind(i64::from(submission.response_status))
            .bind(submission.response_body)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if key_taken == 0 {
                return Ok(None);
            }
            let id = tx
                .write_submission(submission, &prenoms, &identity_key, at)
                .await?;
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
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as::<_, StatusRecord>(sqlx::AssertSqlSafe(sql))
                .bind(hash)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Marks the email of the request whose confirmation token hashes to `hash` as confirmed (the first time
    /// only); answers its reference and the confirmation time, `None` for an unknown token.
    #[tracing::instrument(skip_all, err)]
    pub async fn confirm_email(
        &self,
        hash: &str,
    ) -> Result<Option<(String, OffsetDateTime)>, StorageError> {
        let now = now();
        with_write!(self, async |pool| {
            sqlx::query(
                "UPDATE pre_registrations SET email_confirmed_at = $2 \
                 WHERE email_token_hash = $1 AND email_confirmed_at IS NULL",
            )
            .bind(hash)
            .bind(now)
            .execute(pool)
            .await?;
            let found: Option<(String, Option<OffsetDateTime>)> = sqlx::query_as(
                "SELECT reference, email_confirmed_at FROM pre_registrations WHERE \
                 email_token_hash = $1",
            )
            .bind(hash)
            .fetch_optional(pool)
            .await?;
            Ok(found.map(|(reference, at)| (reference, at.unwrap_or(now))))
        })
    }

    /// Number of stored pre-registrations.
    pub async fn count_pre_registrations(&self) -> Result<i64, StorageError> {
        with_pool!(self, async |pool| {
            let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pre_registrations")
                .fetch_one(pool)
                .await?;
            Ok(count)
        })
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
