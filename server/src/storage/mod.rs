//! Persistence behind one small interface, with a SQLite and a PostgreSQL implementation chosen by URL scheme.
//!
//! Queries are runtime-checked (`query_as(..).bind(..)` with `FromRow`): no database is needed at build time.
//! Callers hand over already validated values (see [`crate::establishments`]); the database constraints are the
//! last line of defence and their names map back to fields ([`Constraint`]).

#[macro_use]
mod macros;
mod directory;
pub mod ecps;
mod embed;
mod establishments;
mod gestion;
mod group_commit;
mod intake;
mod outbox;
mod postgres;
mod queue;
mod sqlite;
mod statements;

pub use sqlite::database_file as sqlite_database_file;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sqlx::FromRow;
use sqlx::error::ErrorKind;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::config::DatabaseSettings;
pub use directory::*;
pub use embed::*;
pub use establishments::*;
pub use gestion::*;
pub use intake::*;
pub use outbox::*;
pub use postgres::PgStorage;
pub use queue::*;
pub use sqlite::SqliteStorage;

/// Most results a structure search returns.
pub const SEARCH_LIMIT: i64 = 20;

/// The current time in whole seconds. Timestamps that are compared are written so: SQLite stores them as RFC 3339
/// text, which then sorts chronologically.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// Prénoms as stored: a JSON array of strings.
pub fn prenoms_to_stored(prenoms: &[String]) -> String {
    serde_json::to_string(prenoms).unwrap_or_else(|_| "[]".to_owned())
}

/// The prénoms of a stored JSON array (none when it cannot be read).
pub fn prenoms_from_stored(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// `1, 2, 3`: ids for an `IN (…)` clause (integers only, so nothing to escape).
fn in_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the database refused a statement for a unique constraint.
fn is_unique_violation(err: &sqlx::Error) -> bool {
    is_kind(err, ErrorKind::UniqueViolation)
}

fn is_kind(err: &sqlx::Error, kind: ErrorKind) -> bool {
    err.as_database_error().is_some_and(|db| db.kind() == kind)
}

/// One audit log line.
#[derive(Debug, Clone, FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: Json<Value>,
}

/// Who did something, as written to the audit log (never a person's name or email).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// The operator at the command line.
    pub fn cli() -> Self {
        Self("cli".to_owned())
    }

    /// Someone on the public pages, known only by their client address.
    pub fn public(client: std::net::IpAddr) -> Self {
        Self(format!("public:{client}"))
    }

    /// The server itself (seed data, scheduled jobs).
    pub fn system(what: &str) -> Self {
        Self(format!("system:{what}"))
    }

    /// A signed-in gestionnaire, by id.
    pub fn gestionnaire(id: i64) -> Self {
        Self(format!("gestionnaire:{id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The unique constraints the application knows by name (identical in both backends' migrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    EstablishmentSiret,
    EstablishmentFinessJuridique,
    SiteFiness,
    SiteSiret,
    GestionnaireEmail,
}

impl Constraint {
    /// The constraint of that name, if it is one the application maps to a field.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "establishments_siret_key" => Some(Self::EstablishmentSiret),
            "establishments_finess_juridique_key" => Some(Self::EstablishmentFinessJuridique),
            "sites_finess_key" => Some(Self::SiteFiness),
            "sites_siret_key" => Some(Self::SiteSiret),
            "gestionnaires_email_key" => Some(Self::GestionnaireEmail),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::EstablishmentSiret => "establishments_siret_key",
            Self::EstablishmentFinessJuridique => "establishments_finess_juridique_key",
            Self::SiteFiness => "sites_finess_key",
            Self::SiteSiret => "sites_siret_key",
            Self::GestionnaireEmail => "gestionnaires_email_key",
        }
    }

    /// The input field the constraint protects.
    pub fn field(self) -> &'static str {
        match self {
            Self::EstablishmentSiret | Self::SiteSiret => "siret",
            Self::EstablishmentFinessJuridique => "finess_juridique",
            Self::SiteFiness => "finess",
            Self::GestionnaireEmail => "email",
        }
    }

    /// A French message for the person who entered the duplicate.
    pub fn message(self) -> &'static str {
        match self {
            Self::EstablishmentSiret => "Une entité juridique avec ce SIRET est déjà enregistrée.",
            Self::EstablishmentFinessJuridique => {
                "Une entité juridique avec ce FINESS juridique est déjà enregistrée."
            }
            Self::SiteFiness => "Un site avec ce FINESS géographique est déjà enregistré.",
            Self::SiteSiret => "Un site avec ce SIRET est déjà enregistré.",
            Self::GestionnaireEmail => "Un gestionnaire avec cette adresse email existe déjà.",
        }
    }
}

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique constraint was violated; `None` when it is not one the application knows by name.
    #[error("unique constraint violated: {}", .0.map_or("unknown", Constraint::name))]
    Conflict(Option<Constraint>),
    /// The entité juridique a site refers to does not exist.
    #[error("establishment not found")]
    EstablishmentNotFound,
    /// The database URL cannot be used.
    #[error("invalid database configuration: {0}")]
    Configuration(String),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration error")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the database directory")]
    Io(#[from] std::io::Error),
    /// A commit could not be made durable (SQLite's write-ahead log not synced): the write may be lost.
    #[error("the write could not be synced to disk")]
    Durability(#[source] std::io::Error),
}

impl From<sqlx::Error> for StorageError {
    fn from(err: sqlx::Error) -> Self {
        Self::Database(err)
    }
}

impl StorageError {
    /// True when the database could not be reached or did not answer in time.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
            ) | Self::Durability(_)
        )
    }
}

/// Which backend a [`Storage`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The application's storage: one variant per backend, same operations.
#[derive(Debug, Clone)]
pub enum Storage {
    Sqlite(SqliteStorage),
    Postgres(PgStorage),
}

impl Storage {
    /// Connects to the database named by `url` (`sqlite:` or `postgres://`), with the pool limits of `settings`.
    /// Does not migrate: call [`Storage::migrate`].
    pub async fn connect(
        url: &SecretString,
        settings: &DatabaseSettings,
    ) -> Result<Self, StorageError> {
        let raw = url.expose_secret();
        if raw.starts_with("sqlite:") {
            Ok(Self::Sqlite(SqliteStorage::connect(raw, settings).await?))
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(Self::Postgres(PgStorage::connect(raw, settings).await?))
        } else {
            Err(StorageError::Configuration(
                "the database URL must start with sqlite: or postgres://".to_owned(),
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations of the backend (idempotent).
    #[tracing::instrument(skip(self), err)]
    pub async fn migrate(&self) -> Result<(), StorageError> {
        dispatch!(self, |s| s.migrate().await)
    }

    /// `SELECT 1`: the database answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        dispatch!(self, |s| s.ping().await)
    }

    /// Closes every connection (waits for those in use).
    pub async fn close(&self) {
        dispatch!(self, |s| s.close().await);
    }

    /// The most recent audit entries, newest first.
    #[tracing::instrument(skip_all, err)]
    pub async fn recent_audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>, StorageError> {
        with_pool!(self, async |pool| {
            Ok(sqlx::query_as::<_, AuditEntry>(
                "SELECT id, at, actor, action, subject, details FROM audit_log ORDER BY id DESC \
                 LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_round_trip() {
        for c in [
            Constraint::EstablishmentSiret,
            Constraint::EstablishmentFinessJuridique,
            Constraint::SiteFiness,
            Constraint::SiteSiret,
        ] {
            assert_eq!(Constraint::from_name(c.name()), Some(c));
        }
        assert_eq!(Constraint::from_name("audit_log_pkey"), None);
    }
}
