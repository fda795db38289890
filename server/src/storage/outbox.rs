//! Storage of the mail outbox: emails are queued in the transaction of what they are about (see
//! [`super::statements::Statements::queue_email`]), then claimed, sent and recorded by the mail worker.

use sqlx::FromRow;
use time::OffsetDateTime;

use super::{Storage, StorageError, in_list, now};

/// An email to queue.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
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

impl Storage {
    /// Every outbox row, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxRow>, StorageError> {
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as::<_, OutboxRow>(
                "SELECT id, recipient, subject, text_body, html_body, attempts, next_attempt_at, \
                 sent_at, last_error FROM mail_outbox ORDER BY id",
            )
            .fetch_all(pool)
            .await?)
        })
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
        let mut claimed = with_write!(self, async |pool| {
            Ok(sqlx::query_as::<_, OutboxEmail>(
                "UPDATE mail_outbox SET claimed_until = $2, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at \
                 <= $1 AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY \
                 next_attempt_at, id LIMIT $3) AND sent_at IS NULL AND next_attempt_at <= $1 AND \
                 (claimed_until IS NULL OR claimed_until <= $1) RETURNING id, recipient, subject, \
                 text_body, html_body, created_at, attempts",
            )
            .bind(now)
            .bind(lease_until)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })?;
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
            in_list(ids)
        );
        with_write!(self, async |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Records a failed attempt; `retry_at` `None` gives up, and then erases the bodies (as [`Self::emails_sent`]).
    pub async fn email_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<(), StorageError> {
        let sql = if retry_at.is_some() {
            "UPDATE mail_outbox SET last_error = $2, next_attempt_at = $3, claimed_until = NULL \
             WHERE id = $1"
        } else {
            "UPDATE mail_outbox SET last_error = $2, next_attempt_at = $3, claimed_until = NULL, \
             text_body = '', html_body = '' WHERE id = $1"
        };
        with_write!(self, async |pool| {
            sqlx::query(sql)
                .bind(id)
                .bind(error)
                .bind(retry_at)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
