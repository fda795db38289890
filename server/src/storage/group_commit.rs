//! Group commit for SQLite: one fsync of the write-ahead log makes every commit before it durable.
//!
//! With `synchronous = FULL`, SQLite fsyncs the WAL inside every commit, while it holds the write lock: writers
//! queue behind each other's fsync, so a disk whose fsync takes 4 ms (this machine's virtual disk, under load)
//! caps the database at 250 commits per second, whatever the work. Enrôle's connections run
//! `synchronous = NORMAL` instead (a commit appends to the WAL without waiting for the disk; SQLite documents this
//! mode as safe from corruption) and every write then waits here, after its commit and outside the write lock,
//! for an fsync of the WAL that *started* after its commit. One fsync thus covers all the commits made while the
//! previous one ran, and a write is answered only once it is on disk: the same promise as `FULL`, at the cost of
//! one fsync per group instead of one per commit.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sqlx::SqlitePool;
use tokio::sync::{Notify, watch};

use super::StorageError;

/// How far the syncs have gone: every ticket up to `synced` is on disk; tickets up to `failed` (and above
/// `synced`) were in a sync that failed.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    synced: u64,
    failed: u64,
}

/// The WAL file of one database and its sync task (which ends when this is dropped).
#[derive(Debug)]
pub struct GroupCommit {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    requested: AtomicU64,
    progress: watch::Sender<Progress>,
    wake: Notify,
    closed: AtomicBool,
}

impl GroupCommit {
    /// Starts the sync task of the database file `database` (its WAL is `<database>-wal`) and, with `checkpoints`,
    /// the background checkpoints of that pool (whose connections then must not checkpoint themselves).
    pub fn start(database: PathBuf, checkpoints: Option<SqlitePool>) -> Arc<Self> {
        let shared = Arc::new(Shared {
            requested: AtomicU64::new(0),
            progress: watch::Sender::new(Progress::default()),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
        });
        let mut wal = database.into_os_string();
        wal.push("-wal");
        tokio::spawn(sync_loop(Arc::clone(&shared), PathBuf::from(wal)));
        if let Some(pool) = checkpoints {
            tokio::spawn(checkpoint_loop(Arc::clone(&shared), pool));
        }
        Arc::new(Self { shared })
    }

    /// Returns once everything this process committed before the call is on disk.
    pub async fn durable(&self) -> Result<(), StorageError> {
        let shared = &self.shared;
        let ticket = shared.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut progress = shared.progress.subscribe();
        shared.wake.notify_one();
        loop {
            let now = *progress.borrow_and_update();
            if now.synced >= ticket {
                return Ok(());
            }
            if now.failed >= ticket {
                return Err(StorageError::Durability(std::io::Error::other(
                    "the write-ahead log could not be synced to disk",
                )));
            }
            if progress.changed().await.is_err() {
                return Err(StorageError::Durability(std::io::Error::other(
                    "the write-ahead log sync task stopped",
                )));
            }
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }
}

/// Syncs the WAL whenever a writer waits, until the [`GroupCommit`] is dropped.
async fn sync_loop(shared: Arc<Shared>, wal: PathBuf) {
    let mut open: Option<(File, u64)> = None;
    loop {
        let target = shared.requested.load(Ordering::SeqCst);
        let before = *shared.progress.borrow();
        if target == before.synced.max(before.failed) {
            if shared.closed.load(Ordering::SeqCst) {
                return;
            }
            // Nobody waits: sleep until a writer asks (a permit stored meanwhile wakes this at once).
            shared.wake.notified().await;
            continue;
        }
        let path = wal.clone();
        let file = open.take();
        let synced = tokio::task::spawn_blocking(move || sync_wal(&path, file)).await;
        let progress = match synced {
            Ok(Ok(file)) => {
                open = file;
                Progress {
                    synced: target,
                    failed: before.failed,
                }
            }
            Ok(Err(err)) => {
                tracing::error!(error = %err, "write-ahead log not synced: the writes waiting fail");
                Progress {
                    synced: before.synced,
                    failed: target,
                }
            }
            Err(_) => Progress {
                synced: before.synced,
                failed: target,
            },
        };
        shared.progress.send_replace(progress);
    }
}

/// How often the log is copied into the database file when there were writes.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Copies the log into the database file in the background. SQLite's automatic checkpoint runs inside the commit
/// that crosses 1 000 pages, holding the write lock while it copies and syncs megabytes: the writers queued behind
/// it waited tens of milliseconds. A `PASSIVE` checkpoint from another connection runs beside the writers and
/// readers instead (SQLite then restarts the log from its start once it is all copied and nobody reads it).
async fn checkpoint_loop(shared: Arc<Shared>, pool: SqlitePool) {
    let mut checkpointed_at = 0;
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if shared.closed.load(Ordering::SeqCst) || pool.is_closed() {
            return;
        }
        let written = shared.requested.load(Ordering::SeqCst);
        if written == checkpointed_at {
            continue;
        }
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            Ok(_) => checkpointed_at = written,
            Err(err) => tracing::warn!(error = %err, "background checkpoint failed; retried later"),
        }
    }
}

/// Syncs the WAL's data to disk, keeping the file open between calls (reopened when SQLite replaced the file).
/// No WAL file: SQLite checkpointed everything into the database file (syncing it) and removed the log.
fn sync_wal(
    path: &std::path::Path,
    open: Option<(File, u64)>,
) -> std::io::Result<Option<(File, u64)>> {
    let current = match std::fs::metadata(path) {
        Ok(meta) => meta.ino(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    let (file, inode) = match open {
        Some((file, inode)) if inode == current => (file, inode),
        _ => (File::open(path)?, current),
    };
    file.sync_data()?;
    Ok(Some((file, inode)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_waiting_write_is_released_by_a_sync() {
        let dir = std::env::temp_dir().join(format!("enrole-group-commit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let database = dir.join("db.sqlite");
        std::fs::write(dir.join("db.sqlite-wal"), b"frames").expect("a log to sync");
        let group = GroupCommit::start(database, None);
        let waits: Vec<_> = (0..20)
            .map(|_| {
                let group = Arc::clone(&group);
                tokio::spawn(async move { group.durable().await })
            })
            .collect();
        for wait in waits {
            wait.await.expect("task").expect("synced");
        }
        let progress = *group.shared.progress.borrow();
        assert_eq!(progress.synced, 20);
        assert_eq!(progress.failed, 0);
        // A missing log (everything checkpointed) is not an error.
        std::fs::remove_file(dir.join("db.sqlite-wal")).expect("log removed");
        group.durable().await.expect("nothing to sync is fine");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
