//! SQLite implementation: one file, WAL journal, foreign keys enforced, durable writes by group commit.

use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use super::StorageError;
use super::group_commit::{self, Checkpoints, GroupCommit};
use crate::config::DatabaseSettings;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The file of a `sqlite:` URL, or `None` for another backend, an in-memory database or an unparsable URL.
pub fn database_file(url: &str) -> Option<std::path::PathBuf> {
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let filename = options.get_filename();
    let in_memory =
        filename.as_os_str().is_empty() || filename.to_string_lossy().starts_with(":memory:");
    (!in_memory).then(|| filename.to_path_buf())
}

/// Storage on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    /// Reads (and the background checkpoints).
    pool: SqlitePool,
    /// Writes, in their turn: one connection.
    writer: SqlitePool,
    /// Taken by every write transaction before it asks SQLite for the write lock. SQLite allows one writer at a
    /// time and makes the others poll with growing sleeps (1, 2, 5 … 100 ms) until the lock is free: under load
    /// that polling, not the work, was the tail latency. Writers of this process now wait their turn in a FIFO
    /// queue instead. One process per file is enforced by `enrole serve`'s instance lock.
    write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Makes writes durable by group (see [`GroupCommit`]); `None` for an in-memory database.
    group_commit: Option<std::sync::Arc<GroupCommit>>,
}

impl SqliteStorage {
    pub(super) async fn connect(
        url: &str,
        settings: &DatabaseSettings,
    ) -> Result<Self, StorageError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|_| StorageError::Configuration("the SQLite URL cannot be parsed".to_owned()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durability comes from the group commit (every write waits for a sync of the log), not from one
            // fsync inside each commit: see `group_commit`.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(settings.sqlite_busy_timeout);
        // Checkpoints run in the background (see `group_commit`), never inside a writer's commit; a log restarted
        // there is cut back to its working size. An in-memory database has no log to checkpoint.
        let options = options.pragma("wal_autocheckpoint", "0").pragma(
            "journal_size_limit",
            group_commit::LOG_SIZE_LIMIT_BYTES.to_string(),
        );
        // The same decision as the instance lock's (`mode=memory` included): one function makes it.
        let file = database_file(url);
        if let Some(parent) = file.as_deref().and_then(std::path::Path::parent)
            && !parent.as_os_str().is_empty()
        {
            tokio::fs::create_dir_all(parent).await?;
        }
        // No ping before handing out a connection: a SQLite connection is a thread of this process, not a socket
        // that can go stale, and each ping was one more round trip to that thread (two context switches) on every
        // query run on the pool.
        let pool = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(settings.max_connections)
            .min_connections(settings.min_connections)
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(settings.idle_timeout)
            .connect_with(options.clone())
            .await?;
        // One connection for every write, kept open: its prepared statements and page cache stay warm, where a
        // write on any of the pool's connections often paid for preparing its statements and reloading pages
        // (SQLite caches both per connection). Writes are one at a time anyway (see `write_gate`).
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(None)
            .connect_with(options)
            .await?;
        let write_gate = std::sync::Arc::default();
        // The log is named after the path as given, which is the path SQLite opened.
        let group_commit = file.map(|filename| {
            GroupCommit::start(
                filename,
                Some(Checkpoints {
                    readers: pool.clone(),
                    writer: writer.clone(),
                    write_gate: std::sync::Arc::clone(&write_gate),
                    restart_at_frames: group_commit::RESTART_LOG_AT_FRAMES,
                }),
            )
        });
        Ok(Self {
            pool,
            writer,
            write_gate,
            group_commit,
        })
    }

    /// Runs `read` on the pool of reads (see [`with_pool!`]).
    pub(super) async fn read<T>(
        &self,
        read: impl AsyncFnOnce(&SqlitePool) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        read(&self.pool).await
    }

    /// Runs `write`, a single writing statement, on the connection of writes in this process's write turn;
    /// answers once the write is durable (see [`with_write!`]).
    pub(super) async fn write<T>(
        &self,
        write: impl AsyncFnOnce(&SqlitePool) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let written = {
            let _turn = self.write_turn().await;
            write(&self.writer).await?
        };
        self.durable().await?;
        Ok(written)
    }

    /// Runs `work` in a new transaction: in this process's write turn, begun with `BEGIN IMMEDIATE`, which takes
    /// the write lock at once (so the transaction never fails half-way on a lock upgrade); once `work` succeeded,
    /// waits for its commit to be on disk (see [`with_tx!`]).
    pub(super) async fn transaction<T>(
        &self,
        work: impl AsyncFnOnce(Transaction<'_, Sqlite>) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let result = {
            let _turn = self.write_turn().await;
            let tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
            work(tx).await
        };
        if result.is_ok() {
            self.durable().await?;
        }
        result
    }

    /// Waits for this process's turn to write; hold the guard until the write is committed.
    async fn write_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.write_gate.lock().await
    }

    /// Returns once every write committed before the call is on disk. Call it after the commit, once the write
    /// turn is released, so that the next writer commits meanwhile and shares the next sync.
    async fn durable(&self) -> Result<(), StorageError> {
        match &self.group_commit {
            Some(group) => group.durable().await,
            None => Ok(()),
        }
    }

    pub(super) async fn migrate(&self) -> Result<(), StorageError> {
        MIGRATOR.run(&self.writer).await?;
        self.durable().await
    }

    pub(super) async fn ping(&self) -> Result<(), StorageError> {
        // A server whose log can no longer be synced cannot keep a write: not ready, so that it gets restarted.
        if let Some(group) = &self.group_commit {
            group.check()?;
        }
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sqlite_file_urls_name_a_file() {
        assert_eq!(
            database_file("sqlite:///var/lib/enrole/enrole.sqlite?mode=rwc"),
            Some(std::path::PathBuf::from("/var/lib/enrole/enrole.sqlite"))
        );
        assert_eq!(database_file("sqlite::memory:"), None);
        assert_eq!(database_file("postgres://enrole@db/enrole"), None);
        assert_eq!(database_file("postgresql://db/enrole"), None);
    }

    #[tokio::test]
    async fn the_file_is_created_durable_with_foreign_keys_on() {
        let dir =
            std::env::temp_dir().join(format!("enrole-sqlite-{}", uuid::Uuid::new_v4().simple()));
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.join("nested/db.sqlite").display()
        );
        let storage = SqliteStorage::connect(&url, &DatabaseSettings::default())
            .await
            .expect("connect creates the parent directory");
        storage.migrate().await.expect("migrate");
        storage.migrate().await.expect("migrations are idempotent");
        let mut conn = storage.pool.acquire().await.expect("connection");
        let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .expect("journal");
        let (synchronous,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .expect("sync");
        let (foreign_keys,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .expect("fk");
        let (busy,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await
            .expect("busy");
        assert_eq!(journal, "wal");
        assert_eq!(
            synchronous, 1,
            "synchronous = NORMAL: each write waits for the group commit's sync instead"
        );
        assert!(
            storage.group_commit.is_some(),
            "a file database syncs its log"
        );
        assert_eq!(foreign_keys, 1);
        assert_eq!(busy, 5000);
        drop(conn);
        storage.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
