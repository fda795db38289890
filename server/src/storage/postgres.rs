//! PostgreSQL implementation: a pool, its statement timeout, and the migrations.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use super::StorageError;
use crate::config::DatabaseSettings;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

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

    /// Runs `read` on the pool (see [`with_pool!`]).
    pub(super) async fn read<T>(
        &self,
        read: impl AsyncFnOnce(&PgPool) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        read(&self.pool).await
    }

    /// Runs `write`, a single writing statement, on the pool (see [`with_write!`]).
    pub(super) async fn write<T>(
        &self,
        write: impl AsyncFnOnce(&PgPool) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        write(&self.pool).await
    }

    /// Runs `work` in a new transaction (see [`with_tx!`]).
    pub(super) async fn transaction<T>(
        &self,
        work: impl AsyncFnOnce(Transaction<'_, Postgres>) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let tx = self.pool.begin().await?;
        work(tx).await
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
}
