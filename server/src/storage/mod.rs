//! Persistence behind one small interface, with a SQLite and a PostgreSQL implementation chosen by URL scheme.
//!
//! Queries are runtime-checked (`query_as(..).bind(..)` with `FromRow`): no database is needed at build time.
//! Callers hand over already validated values (see [`crate::establishments`]); the database constraints are the
//! last line of defence and their names map back to fields ([`Constraint`]).

#[macro_use]
mod intake;
mod directory;
pub mod ecps;
mod embed;
mod gestion;
mod group_commit;
mod postgres;
mod queue;
mod sqlite;

pub use sqlite::database_file as sqlite_database_file;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::config::DatabaseSettings;
pub use directory::*;
pub use embed::*;
pub use gestion::*;
pub use intake::*;
pub use postgres::PgStorage;
pub use queue::*;
pub use sqlite::SqliteStorage;

/// Most results a structure search returns.
pub const SEARCH_LIMIT: i64 = 20;

/// An entité juridique to create (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEstablishment {
    pub nom: String,
    pub siret: Option<String>,
    pub finess_juridique: Option<String>,
    pub demo: bool,
}

/// A site (établissement géographique) to create (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSite {
    pub establishment_id: i64,
    pub nom: String,
    pub finess: Option<String>,
    pub siret: Option<String>,
    pub commune: Option<String>,
    pub demo: bool,
}

/// A stored entité juridique.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EstablishmentRecord {
    pub id: i64,
    pub nom: String,
    pub siret: Option<String>,
    pub finess_juridique: Option<String>,
    pub demo: bool,
}

/// A stored site.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SiteRecord {
    pub id: i64,
    pub establishment_id: i64,
    pub nom: String,
    pub finess: Option<String>,
    pub siret: Option<String>,
    pub commune: Option<String>,
    pub demo: bool,
}

/// A site found by a search, with the name of its entité juridique.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SiteMatch {
    #[sqlx(flatten)]
    pub site: SiteRecord,
    pub establishment_nom: String,
}

/// An entité juridique with its sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstablishmentWithSites {
    pub establishment: EstablishmentRecord,
    pub sites: Vec<SiteRecord>,
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

macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            Storage::Sqlite($s) => $call,
            Storage::Postgres($s) => $call,
        }
    };
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
        dispatch!(self, s => s.migrate().await)
    }

    /// `SELECT 1`: the database answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        dispatch!(self, s => s.ping().await)
    }

    /// Closes every connection (waits for those in use).
    pub async fn close(&self) {
        dispatch!(self, s => s.close().await);
    }

    /// Creates an entité juridique and writes the audit entry in the same transaction.
    #[tracing::instrument(skip_all, fields(demo = new.demo), err(level = "debug"))]
    pub async fn create_establishment(
        &self,
        new: &NewEstablishment,
        actor: &Actor,
    ) -> Result<EstablishmentRecord, StorageError> {
        dispatch!(self, s => s.create_establishment(new, actor).await)
    }

    /// Adds a site to an entité juridique and writes the audit entry in the same transaction.
    #[tracing::instrument(skip_all, fields(establishment_id = new.establishment_id, demo = new.demo), err(level = "debug"))]
    pub async fn add_site(&self, new: &NewSite, actor: &Actor) -> Result<SiteRecord, StorageError> {
        let key = search_key(
            &new.nom,
            new.commune.as_deref(),
            new.finess.as_deref(),
            new.siret.as_deref(),
        );
        dispatch!(self, s => s.add_site(new, &key, actor).await)
    }

    /// Finds an entité juridique by id, SIRET or FINESS juridique.
    #[tracing::instrument(skip_all, err)]
    pub async fn find_establishment(
        &self,
        key: &EstablishmentKey,
    ) -> Result<Option<EstablishmentRecord>, StorageError> {
        dispatch!(self, s => s.find_establishment(key).await)
    }

    /// Finds a site by FINESS géographique.
    #[tracing::instrument(skip_all, err)]
    pub async fn find_site_by_finess(
        &self,
        finess: &str,
    ) -> Result<Option<SiteRecord>, StorageError> {
        dispatch!(self, s => s.find_site_by_finess(finess).await)
    }

    /// Every entité juridique with its sites, ordered by name.
    #[tracing::instrument(skip_all, err)]
    pub async fn list_establishments(&self) -> Result<Vec<EstablishmentWithSites>, StorageError> {
        let (establishments, sites) = dispatch!(self, s => s.list_all().await)?;
        Ok(establishments
            .into_iter()
            .map(|establishment| {
                let sites = sites
                    .iter()
                    .filter(|site| site.establishment_id == establishment.id)
                    .cloned()
                    .collect();
                EstablishmentWithSites {
                    establishment,
                    sites,
                }
            })
            .collect())
    }

    /// Sites whose name, commune or identifiers contain every word of `query` (accent- and case-insensitive),
    /// at most `limit` (capped at [`SEARCH_LIMIT`]).
    #[tracing::instrument(skip_all, err)]
    pub async fn search_sites(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<SiteMatch>, StorageError> {
        let terms = search_terms(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, SEARCH_LIMIT);
        dispatch!(self, s => s.search_sites(&terms, limit).await)
    }

    /// The most recent audit entries, newest first.
    #[tracing::instrument(skip_all, err)]
    pub async fn recent_audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>, StorageError> {
        dispatch!(self, s => s.recent_audit_entries(limit).await)
    }
}

/// How an operator names an entité juridique on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EstablishmentKey {
    Id(i64),
    Siret(String),
    FinessJuridique(String),
}

/// Words of a text as searched: folded (lowercase, no accents), split on anything that is not a letter or digit.
pub fn search_words(text: &str) -> Vec<String> {
    shared::nomenclature::fold(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// At most 6 distinct search terms of a query.
fn search_terms(query: &str) -> Vec<String> {
    let mut terms = search_words(query);
    terms.dedup();
    terms.truncate(6);
    terms
}

/// The stored search key of a site: its words separated and surrounded by single spaces.
pub fn search_key(
    nom: &str,
    commune: Option<&str>,
    finess: Option<&str>,
    siret: Option<&str>,
) -> String {
    let words: Vec<String> = [Some(nom), commune, finess, siret]
        .into_iter()
        .flatten()
        .flat_map(search_words)
        .collect();
    format!(" {} ", words.join(" "))
}

fn like_pattern(term: &str) -> String {
    // Terms hold letters and digits only (see `search_words`): no LIKE wildcard to escape.
    format!("%{term}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_key_folds_accents_and_punctuation() {
        assert_eq!(
            search_key(
                "EHPAD Les Églantines (démo)",
                Some("Saint-Gaudens"),
                Some("319999918"),
                None
            ),
            " ehpad les eglantines demo saint gaudens 319999918 "
        );
    }

    #[test]
    fn search_terms_are_limited_and_cleaned() {
        assert_eq!(
            search_terms("  Évry--Courcouronnes "),
            vec!["evry", "courcouronnes"]
        );
        assert!(search_terms("%_").is_empty());
        assert_eq!(search_terms("a b c d e f g h").len(), 6);
    }

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
