//! PostgreSQL implementation: unique violations are mapped by the constraint name the server reports.

use std::str::FromStr;

use serde_json::json;
use sqlx::error::ErrorKind;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};
use time::OffsetDateTime;

use super::{
    Actor, AuditEntry, Constraint, EstablishmentKey, EstablishmentRecord, NewEstablishment,
    NewSite, SiteMatch, SiteRecord, StorageError, like_pattern,
};
use crate::config::DatabaseSettings;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const ESTABLISHMENT_COLUMNS: &str = "id, nom, siret, finess_juridique, demo";

/// Storage on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStorage {
    pool: PgPool,
}

impl PgStorage {
    pub(super) async fn connect(
        url: &str,
        settings: &DatabaseSettings,
    ) -> Result<Self, StorageError> {
        let statement_timeout = format!("{}s", settings.pg_statement_timeout.as_secs());
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| {
                StorageError::Configuration("the PostgreSQL URL cannot be parsed".to_owned())
            })?
            .application_name("enrole")
            .options([("statement_timeout", statement_timeout.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .min_connections(settings.min_connections)
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(settings.idle_timeout)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(super) async fn migrate(&self) -> Result<(), StorageError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }

    pub(super) async fn create_establishment(
        &self,
        new: &NewEstablishment,
        actor: &Actor,
    ) -> Result<EstablishmentRecord, StorageError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query_as::<_, EstablishmentRecord>(
            "INSERT INTO establishments (nom, siret, finess_juridique, demo, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, nom, siret, finess_juridique, demo",
        )
        .bind(&new.nom)
        .bind(&new.siret)
        .bind(&new.finess_juridique)
        .bind(new.demo)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let record = match inserted {
            Ok(record) => record,
            Err(err) if is_kind(&err, ErrorKind::UniqueViolation) => {
                return Err(StorageError::Conflict(constraint_of(&err)));
            }
            Err(err) => return Err(err.into()),
        };
        insert_audit(
            &mut tx,
            now,
            actor,
            "establishment.create",
            &format!("establishment:{}", record.id),
            json!({
                "nom": record.nom,
                "siret": record.siret,
                "finess_juridique": record.finess_juridique,
                "demo": record.demo,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    pub(super) async fn add_site(
        &self,
        new: &NewSite,
        search_key: &str,
        actor: &Actor,
    ) -> Result<SiteRecord, StorageError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query_as::<_, SiteRecord>(
            "INSERT INTO sites (establishment_id, nom, finess, siret, commune, search_key, demo, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id, establishment_id, nom, finess, siret, commune, demo",
        )
        .bind(new.establishment_id)
        .bind(&new.nom)
        .bind(&new.finess)
        .bind(&new.siret)
        .bind(&new.commune)
        .bind(search_key)
        .bind(new.demo)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let record = match inserted {
            Ok(record) => record,
            Err(err) if is_kind(&err, ErrorKind::UniqueViolation) => {
                return Err(StorageError::Conflict(constraint_of(&err)));
            }
            Err(err) if is_kind(&err, ErrorKind::ForeignKeyViolation) => {
                return Err(StorageError::EstablishmentNotFound);
            }
            Err(err) => return Err(err.into()),
        };
        insert_audit(
            &mut tx,
            now,
            actor,
            "site.create",
            &format!("site:{}", record.id),
            json!({
                "establishment_id": record.establishment_id,
                "nom": record.nom,
                "finess": record.finess,
                "siret": record.siret,
                "commune": record.commune,
                "demo": record.demo,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    pub(super) async fn find_establishment(
        &self,
        key: &EstablishmentKey,
    ) -> Result<Option<EstablishmentRecord>, StorageError> {
        let mut query = QueryBuilder::<Postgres>::new(format!(
            "SELECT {ESTABLISHMENT_COLUMNS} FROM establishments "
        ));
        match key {
            EstablishmentKey::Id(id) => query.push("WHERE id = ").push_bind(*id),
            EstablishmentKey::Siret(siret) => query.push("WHERE siret = ").push_bind(siret.clone()),
            EstablishmentKey::FinessJuridique(finess) => query
                .push("WHERE finess_juridique = ")
                .push_bind(finess.clone()),
        };
        Ok(query
            .build_query_as::<EstablishmentRecord>()
            .fetch_optional(&self.pool)
            .await?)
    }

    pub(super) async fn find_site_by_finess(
        &self,
        finess: &str,
    ) -> Result<Option<SiteRecord>, StorageError> {
        Ok(sqlx::query_as::<_, SiteRecord>(
            "SELECT id, establishment_id, nom, finess, siret, commune, demo FROM sites WHERE finess = $1",
        )
        .bind(finess)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub(super) async fn list_all(
        &self,
    ) -> Result<(Vec<EstablishmentRecord>, Vec<SiteRecord>), StorageError> {
        let establishments = sqlx::query_as::<_, EstablishmentRecord>(
            "SELECT id, nom, siret, finess_juridique, demo FROM establishments ORDER BY nom COLLATE \"C\", id",
        )
        .fetch_all(&self.pool)
        .await?;
        let sites = sqlx::query_as::<_, SiteRecord>(
            "SELECT id, establishment_id, nom, finess, siret, commune, demo FROM sites ORDER BY nom COLLATE \"C\", id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok((establishments, sites))
    }

    pub(super) async fn search_sites(
        &self,
        terms: &[String],
        limit: i64,
    ) -> Result<Vec<SiteMatch>, StorageError> {
        let mut query = QueryBuilder::<Postgres>::new(
            "SELECT s.id, s.establishment_id, s.nom, s.finess, s.siret, s.commune, s.demo, \
             e.nom AS establishment_nom \
             FROM sites s JOIN establishments e ON e.id = s.establishment_id WHERE 1 = 1",
        );
        for term in terms {
            query
                .push(" AND s.search_key LIKE ")
                .push_bind(like_pattern(term));
        }
        query
            .push(" ORDER BY s.search_key COLLATE \"C\", s.id LIMIT ")
            .push_bind(limit);
        Ok(query
            .build_query_as::<SiteMatch>()
            .fetch_all(&self.pool)
            .await?)
    }

    pub(super) async fn recent_audit_entries(
        &self,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StorageError> {
        Ok(sqlx::query_as::<_, AuditEntry>(
            "SELECT id, at, actor, action, subject, details FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

fn constraint_of(err: &sqlx::Error) -> Option<Constraint> {
    err.as_database_error()
        .and_then(|db| db.constraint())
        .and_then(Constraint::from_name)
}

fn is_kind(err: &sqlx::Error, kind: ErrorKind) -> bool {
    err.as_database_error().is_some_and(|db| db.kind() == kind)
}

async fn insert_audit(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    at: OffsetDateTime,
    actor: &Actor,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at)
    .bind(actor.as_str())
    .bind(action)
    .bind(subject)
    .bind(Json(details))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
