//! The statements several operations run inside their transactions, written once for both backends: the audit
//! entry, a queued email, a queue counter, an RPPS number, a new identity, a used challenge… [`Statements`] is
//! implemented (with no code of its own) for each backend's connection, so that `tx.audit(…)` runs the same SQL
//! on SQLite and on PostgreSQL.

use serde_json::Value;
use sqlx::postgres::{PgConnection, Postgres};
use sqlx::sqlite::{Sqlite, SqliteConnection};
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};
use time::OffsetDateTime;

use super::{Change, NewEmail, NewSession, StorageError};

/// One audit log entry (`$1`..`$5`: at, actor, action, subject, details).
pub(super) const AUDIT_SQL: &str =
    "INSERT INTO audit_log (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)";

/// An email queued in the outbox (`$1`..`$5`: recipient, subject, text and HTML bodies, at).
pub(super) const OUTBOX_SQL: &str = "INSERT INTO mail_outbox (recipient, subject, text_body, html_body, \
     created_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, 0, $5)";

/// Adds `$3` to the count of site `$1` in status `$2`.
pub(super) const BUMP_SQL: &str = "INSERT INTO queue_counts (site_id, status, n) VALUES ($1, $2, $3) \
     ON CONFLICT (site_id, status) DO UPDATE SET n = queue_counts.n + $3";

/// Statuses of a request still waiting for a gestionnaire (or for the professional's corrections).
pub(super) const PENDING: &str = "('recue', 'en_cours', 'a_completer')";

/// The identity columns of a new professional, from a checked request (`prenoms` as stored: a JSON array).
#[derive(Debug, Clone, Copy)]
pub(super) struct Identity<'a> {
    pub civilite: &'a str,
    pub nom_naissance: &'a str,
    pub prenoms: &'a str,
    pub date_naissance: &'a str,
    pub lieu_commune_cog: Option<&'a str>,
    pub lieu_pays_cog: Option<&'a str>,
    pub lieu_ville_etrangere: Option<&'a str>,
    pub lieu_commune_libre: Option<&'a str>,
    pub lieu_departement_libre: Option<&'a str>,
    pub email: &'a str,
    pub mobile: &'a str,
    pub nom_exercice: &'a str,
    pub prenom_exercice: &'a str,
}

/// How a new professional's RPPS number came: allocated by Enrôle, or declared (a number they already have).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RppsSource {
    Enrole,
    Declared,
}

impl RppsSource {
    fn code(self) -> &'static str {
        match self {
            Self::Enrole => "enrole",
            Self::Declared => "declare",
        }
    }
}

/// The shared statements, run on a connection or a transaction (`tx.audit(…)`). The bounds say what the SQL
/// needs of a backend: both meet them, and the two `impl`s below are all there is to write per backend.
pub(super) trait Statements<DB>: Send + Sized
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut Self: Executor<'c, Database = DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    for<'q> Vec<u8>: Encode<'q, DB> + Type<DB>,
    for<'q> OffsetDateTime: Encode<'q, DB> + Type<DB>,
    for<'a> Json<&'a Value>: Encode<'a, DB> + Type<DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
{
    /// Writes one audit entry.
    async fn audit(
        &mut self,
        at: OffsetDateTime,
        actor: &str,
        action: &str,
        subject: &str,
        details: &Value,
    ) -> Result<(), StorageError> {
        sqlx::query(AUDIT_SQL)
            .bind(at)
            .bind(actor)
            .bind(action)
            .bind(subject)
            .bind(Json(details))
            .execute(self)
            .await?;
        Ok(())
    }

    /// Records a change to a professional: its emails, and its audit entry under `professional:{id}`.
    async fn record_change(
        &mut self,
        at: OffsetDateTime,
        change: &Change<'_>,
    ) -> Result<(), StorageError> {
        for email in &change.emails {
            self.queue_email(at, email).await?;
        }
        self.audit(
            at,
            change.actor.as_str(),
            change.action,
            &format!("professional:{}", change.professional_id),
            &change.details,
        )
        .await
    }

    /// Queues an email in the outbox (the mail worker sends it once the transaction is committed).
    async fn queue_email(
        &mut self,
        at: OffsetDateTime,
        email: &NewEmail,
    ) -> Result<(), StorageError> {
        sqlx::query(OUTBOX_SQL)
            .bind(email.recipient.as_str())
            .bind(email.subject.as_str())
            .bind(email.text_body.as_str())
            .bind(email.html_body.as_str())
            .bind(at)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Adds `delta` to the queue counter of `site_id` in `status`.
    async fn bump(&mut self, site_id: i64, status: &str, delta: i64) -> Result<(), StorageError> {
        sqlx::query(BUMP_SQL)
            .bind(site_id)
            .bind(status)
            .bind(delta)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Allocates the next RPPS number of `prefix` from the database counter (inside the caller's transaction, so
    /// a rolled-back registration gives its number back).
    async fn allocate_rpps(&mut self, prefix: u8) -> Result<String, StorageError> {
        sqlx::query(
            "INSERT INTO rpps_counter (prefix, next_sequence) VALUES ($1, 0) ON CONFLICT (prefix) \
             DO NOTHING",
        )
        .bind(i64::from(prefix))
        .execute(&mut *self)
        .await?;
        let (sequence,): (i64,) = sqlx::query_as(
            "UPDATE rpps_counter SET next_sequence = next_sequence + 1 WHERE prefix = $1 \
             RETURNING next_sequence - 1",
        )
        .bind(i64::from(prefix))
        .fetch_one(self)
        .await?;
        let number = u64::try_from(sequence)
            .ok()
            .and_then(|s| shared::ids::Rpps::allocate_in(prefix, s))
            .ok_or_else(|| StorageError::Configuration("the RPPS range is exhausted".to_owned()))?;
        Ok(number.as_str().to_owned())
    }

    /// Inserts a professional with their RPPS number and identity key; answers their id. The directory's search
    /// and sort keys are computed here, so every identity is searchable at once.
    async fn insert_professional(
        &mut self,
        identity: &Identity<'_>,
        rpps: &str,
        source: RppsSource,
        identity_key: &str,
        at: OffsetDateTime,
    ) -> Result<i64, StorageError> {
        let (search_key, sort_key) = super::directory::directory_keys(
            identity.nom_naissance,
            identity.prenoms,
            identity.nom_exercice,
            identity.prenom_exercice,
            rpps,
        );
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO professionals (rpps, source, civilite, nom_naissance, prenoms, \
             date_naissance, lieu_commune_cog, lieu_pays_cog, lieu_ville_etrangere, \
             lieu_commune_libre, lieu_departement_libre, email, mobile, nom_exercice, \
             prenom_exercice, identity_key, created_at, updated_at, search_key, sort_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $17, $18, $19) RETURNING id",
        )
        .bind(rpps)
        .bind(source.code())
        .bind(identity.civilite)
        .bind(identity.nom_naissance)
        .bind(identity.prenoms)
        .bind(identity.date_naissance)
        .bind(identity.lieu_commune_cog)
        .bind(identity.lieu_pays_cog)
        .bind(identity.lieu_ville_etrangere)
        .bind(identity.lieu_commune_libre)
        .bind(identity.lieu_departement_libre)
        .bind(identity.email)
        .bind(identity.mobile)
        .bind(identity.nom_exercice)
        .bind(identity.prenom_exercice)
        .bind(identity_key)
        .bind(at)
        .bind(search_key.as_str())
        .bind(sort_key.as_str())
        .fetch_one(self)
        .await?;
        Ok(id)
    }

    /// Opens a session, after purging the expired ones (so that the table stays small).
    async fn open_session(
        &mut self,
        new: &NewSession<'_>,
        at: OffsetDateTime,
    ) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(at)
            .execute(&mut *self)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, role, subject_id, method, created_at, last_seen_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(new.id_hash)
        .bind(new.role.code())
        .bind(new.subject_id)
        .bind(new.method)
        .bind(at)
        .bind(new.expires_at)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Erases an identity document's content (the row stays, with when it was deleted).
    async fn erase_document(&mut self, id: &str, at: OffsetDateTime) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE documents SET content = $2, deleted_at = $3 WHERE id = $1 AND deleted_at IS \
             NULL",
        )
        .bind(id)
        .bind(Vec::<u8>::new())
        .bind(at)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Marks an e-CPS challenge used, once: `false` when another request used it first.
    async fn use_challenge(
        &mut self,
        id_hash: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        let used: Option<(String,)> = sqlx::query_as(
            "UPDATE ecps_challenges SET used_at = $2 WHERE id_hash = $1 AND used_at IS NULL \
             RETURNING id_hash",
        )
        .bind(id_hash)
        .bind(at)
        .fetch_optional(self)
        .await?;
        Ok(used.is_some())
    }

    /// Whether a request for this professional (same identity key) waits in any queue.
    async fn pending_for(&mut self, professional_id: i64) -> Result<bool, StorageError> {
        let sql = format!(
            "SELECT COUNT(*) FROM pre_registrations r JOIN professionals p ON p.identity_key = \
             r.identity_key WHERE p.id = $1 AND r.status IN {PENDING}"
        );
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(professional_id)
            .fetch_one(self)
            .await?;
        Ok(n > 0)
    }
}

impl Statements<Sqlite> for SqliteConnection {}

impl Statements<Postgres> for PgConnection {}
