//! Group commit for SQLite: one fsync of the write-ahead log makes every commit before it durable.
//!
//! With `synchronous = FULL`, SQLite fsyncs the WAL inside every commit, while it holds the write lock: writers
//! queue behind each other's fsync, so the disk's fsync time caps the commits per second, whatever the work (the
//! figures measured here: see ARCHITECTURE.md). Enrôle's connections run
//! `synchronous = NORMAL` instead (a commit appends to the WAL without waiting for the disk; SQLite documents this
//! mode as safe from corruption) and every write then waits here, after its commit and outside the write lock,
//! for an fsync of the WAL that *started* after its commit. One fsync thus covers all the commits made while the
//! previous one ran, and a write is answered only once it is on disk: the same promise as `FULL`, at the cost of
//! one fsync per group instead of one per commit.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sqlx::SqlitePool;
use tokio::sync::{Notify, watch};

use super::StorageError;

/// How far the syncs have gone: every ticket up to `synced` is on disk; once `broken` (a sync failed), no ticket
/// above it ever will be.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    synced: u64,
    broken: bool,
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
    /// the background checkpoints of that database (whose connections then must not checkpoint themselves).
    pub fn start(database: PathBuf, checkpoints: Option<Checkpoints>) -> Arc<Self> {
        let shared = Arc::new(Shared {
            requested: AtomicU64::new(0),
            progress: watch::Sender::new(Progress::default()),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
        });
        let mut wal = database.clone().into_os_string();
        wal.push("-wal");
        tokio::spawn(sync_loop(Arc::clone(&shared), PathBuf::from(wal)));
        if let Some(checkpoints) = checkpoints {
            tokio::spawn(checkpoint_loop(Arc::clone(&shared), checkpoints, database));
        }
        Arc::new(Self { shared })
    }

    /// `Err` once a sync failed, after which no write can be made durable (see [`sync_loop`]).
    pub fn check(&self) -> Result<(), StorageError> {
        if self.shared.progress.borrow().broken {
            Err(log_not_synced())
        } else {
            Ok(())
        }
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
            if now.broken {
                return Err(log_not_synced());
            }
            if progress.changed().await.is_err() {
                return Err(StorageError::Durability(std::io::Error::other(
                    "the write-ahead log sync task stopped",
                )));
            }
        }
    }
}

fn log_not_synced() -> StorageError {
    StorageError::Durability(std::io::Error::other(
        "the write-ahead log could not be synced to disk",
    ))
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }
}

/// Syncs the WAL whenever a writer waits, until the [`GroupCommit`] is dropped.
///
/// After a failed sync, no later sync is trusted: Linux reports a failed writeback once and may drop the pages it
/// could not write, so a later sync can succeed although frames before it never reached the disk, and recovery
/// would cut the log there. Every waiting and later write then fails (`503`) until the server is restarted, as
/// PostgreSQL stops after a failed fsync. A failure to open the log stops it too: a file opened after a writeback
/// error does not report that error once another open file (SQLite's, in a checkpoint) has, so a sync through the
/// newly opened file could succeed over lost frames.
async fn sync_loop(shared: Arc<Shared>, wal: PathBuf) {
    let mut open: Option<(File, u64)> = None;
    loop {
        let target = shared.requested.load(Ordering::SeqCst);
        let before = *shared.progress.borrow();
        if before.broken || target == before.synced {
            if shared.closed.load(Ordering::SeqCst) {
                return;
            }
            // Nobody waits: sleep until a writer asks (a permit stored meanwhile wakes this at once).
            shared.wake.notified().await;
            continue;
        }
        let path = wal.clone();
        let file = open.take();
        match tokio::task::spawn_blocking(move || sync_wal(&path, file)).await {
            Ok(Ok(file)) => {
                open = file;
                shared
                    .progress
                    .send_modify(|progress| progress.synced = target);
            }
            failed => {
                if let Ok(Err(err)) = failed {
                    tracing::error!(error = %err, "write-ahead log not synced: writes fail until the server restarts");
                }
                shared
                    .progress
                    .send_modify(|progress| progress.broken = true);
            }
        }
    }
}

/// How often the log is copied into the database file when there were writes.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// What the background checkpoints work with.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    /// Runs the `PASSIVE` checkpoints, beside the writers.
    pub readers: SqlitePool,
    /// The connection of writes, used in the write turn to let the log restart.
    pub writer: SqlitePool,
    /// The write turn (see `SqliteStorage::write_gate`).
    pub write_gate: Arc<tokio::sync::Mutex<()>>,
    /// Once the log holds this many frames (pages) after a checkpoint, it is made to restart from its beginning.
    pub restart_at_frames: i64,
}

/// The log size from which it is made to restart: 256 MiB (a frame is a 4 KiB page and a 24-byte header), a few
/// seconds of the heaviest load measured; a lighter load lets the background checkpoint catch up, and the log
/// restart by itself, long before. Checked after each checkpoint. A larger size was not faster (see
/// ARCHITECTURE.md): the log file then grows through the whole run, and a sync of a growing file also commits
/// file-system metadata.
pub const RESTART_LOG_AT_BYTES: i64 = 256 << 20;
pub const RESTART_LOG_AT_FRAMES: i64 = RESTART_LOG_AT_BYTES / (4096 + 24);

/// SQLite's `journal_size_limit`: the size a log is cut back to when it restarts. The check after a checkpoint
/// finds the log past [`RESTART_LOG_AT_BYTES`] by up to a checkpoint round of writes (the sizes measured: see
/// ARCHITECTURE.md): with the limit at the restart size, the first commit after every restart truncated the
/// file, inside the write lock, and the log then grew back over blocks allocated anew. The headroom keeps the file
/// at its working size; only a log that grew larger in a burst is cut.
pub const LOG_SIZE_LIMIT_BYTES: i64 = RESTART_LOG_AT_BYTES + RESTART_LOG_AT_BYTES / 2;

/// Copies the log into the database file in the background. SQLite's automatic checkpoint runs inside the commit
/// that crosses 1 000 pages, holding the write lock while it copies and syncs megabytes: the writers queued behind
/// it waited (for how long: see ARCHITECTURE.md). A `PASSIVE` checkpoint from another connection runs beside the
/// writers and readers instead.
///
/// SQLite writes the log from its start again only when a write begins while the whole log is copied and no reader
/// uses it. Under steady writes a `PASSIVE` checkpoint never catches up (new commits land while it copies), so the
/// log grew without end, and its syncs slowed until it was bounded (likely the file system journaling the growing
/// file; see ARCHITECTURE.md). So once the log holds
/// [`Checkpoints::restart_at_frames`], a last `PASSIVE` checkpoint runs in the write turn: it copies only what
/// arrived since the one before, and the next write, finding the whole log copied, starts it again from its
/// beginning, over blocks already allocated. A reader still on an older snapshot can defer that to the next round.
///
/// SQLite syncs the database file only in a checkpoint that caught up with the log, and under steady writes that is
/// the one in the write turn: it flushed every page the background checkpoints had copied since the last restart,
/// while the writers waited (see ARCHITECTURE.md). So the database file is synced
/// here first, beside the writers, then a background checkpoint copies what arrived meanwhile, and the turn is left
/// a few pages to copy and flush. The file stays open: closing a second descriptor of the database file would drop
/// the locks SQLite holds on it (POSIX locks belong to the process, not to a descriptor).
async fn checkpoint_loop(shared: Arc<Shared>, checkpoints: Checkpoints, database: PathBuf) {
    let mut checkpointed_at = 0;
    let mut database_file: Option<Arc<File>> = None;
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if shared.closed.load(Ordering::SeqCst) || checkpoints.readers.is_closed() {
            return;
        }
        let written = shared.requested.load(Ordering::SeqCst);
        if written == checkpointed_at {
            continue;
        }
        let frames_in_log = match passive_checkpoint(&checkpoints.readers).await {
            Ok(frames_in_log) => {
                checkpointed_at = written;
                frames_in_log
            }
            Err(err) => {
                tracing::warn!(error = %err, "background checkpoint failed; retried later");
                continue;
            }
        };
        if frames_in_log < checkpoints.restart_at_frames {
            continue;
        }
        // A failed sync is also reported to SQLite's own descriptor (each open file sees a writeback error), so its
        // checkpoint fails too and the log, which still holds the frames, is not restarted.
        if let Err(err) = sync_database_file(&mut database_file, &database).await {
            tracing::warn!(error = %err, "database file not synced; restarting the log later");
            continue;
        }
        if let Err(err) = passive_checkpoint(&checkpoints.readers).await {
            tracing::warn!(error = %err, "background checkpoint failed; retried later");
            continue;
        }
        let _turn = checkpoints.write_gate.lock().await;
        if let Err(err) = passive_checkpoint(&checkpoints.writer).await {
            tracing::warn!(error = %err, "restarting the write-ahead log failed; retried later");
        }
    }
}

/// Syncs the database file, opened the first time and then kept open (see [`checkpoint_loop`]): shared with the
/// blocking task, not duplicated, since closing a duplicate would drop SQLite's locks too.
async fn sync_database_file(file: &mut Option<Arc<File>>, path: &Path) -> std::io::Result<()> {
    let file = match file {
        Some(file) => Arc::clone(file),
        None => Arc::clone(file.insert(Arc::new(File::open(path)?))),
    };
    tokio::task::spawn_blocking(move || file.sync_data())
        .await
        .map_err(std::io::Error::other)?
}

/// Runs a `PASSIVE` checkpoint on `pool`; returns the frames in the log.
async fn passive_checkpoint(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    let (_busy, frames_in_log, _copied) =
        sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(pool)
            .await?;
    Ok(frames_in_log)
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
        assert!(!progress.broken);
        // A missing log (everything checkpointed) is not an error.
        std::fs::remove_file(dir.join("db.sqlite-wal")).expect("log removed");
        group.durable().await.expect("nothing to sync is fine");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[tokio::test]
    async fn after_a_failed_sync_no_write_is_durable_again() {
        let dir =
            std::env::temp_dir().join(format!("enrole-group-commit-fail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let wal = dir.join("db.sqlite-wal");
        // The log is a link to /dev/null: it opens, but its sync fails (EINVAL), as a sync can fail on a disk.
        std::os::unix::fs::symlink("/dev/null", &wal).expect("link");
        let group = GroupCommit::start(dir.join("db.sqlite"), None);
        assert!(
            group.durable().await.is_err(),
            "the failed sync fails the write"
        );
        assert!(group.check().is_err(), "not ready");
        std::fs::remove_file(&wal).expect("link removed");
        std::fs::write(&wal, b"frames").expect("a log that could be synced");
        assert!(
            group.durable().await.is_err(),
            "a later sync would succeed, but frames before it may be lost"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_steady_writes_the_log_is_restarted_instead_of_growing() {
        use std::str::FromStr;

        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

        let dir = std::env::temp_dir().join(format!("enrole-log-restart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let database = dir.join("db.sqlite");
        let restart_at_frames: i64 = 256;
        let options = SqliteConnectOptions::from_str("sqlite://")
            .expect("options")
            .filename(&database)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", (1 << 20).to_string());
        let readers = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options.clone())
            .await
            .expect("readers");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("writer");
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
            .execute(&writer)
            .await
            .expect("table");
        let write_gate = Arc::new(tokio::sync::Mutex::new(()));
        let group = GroupCommit::start(
            database,
            Some(Checkpoints {
                readers: readers.clone(),
                writer: writer.clone(),
                write_gate: Arc::clone(&write_gate),
                restart_at_frames,
            }),
        );

        // Steady writes for 5 s (ten checkpoint rounds), readers reading beside them. Short reads, like the
        // server's: a count of the whole table, whose time grows with it, held a snapshot most of the time on a
        // fast run, so that no round found the log free to restart.
        let reading = tokio::spawn({
            let readers = readers.clone();
            async move {
                for _ in 0..300 {
                    let _: (i64,) = sqlx::query_as("SELECT coalesce(max(id), 0) FROM t")
                        .fetch_one(&readers)
                        .await
                        .expect("read");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            }
        });
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut commits: i64 = 0;
        while std::time::Instant::now() < until {
            {
                let _turn = write_gate.lock().await;
                sqlx::query("INSERT INTO t (payload) VALUES (zeroblob(3000))")
                    .execute(&writer)
                    .await
                    .expect("insert");
            }
            group.durable().await.expect("durable");
            commits += 1;
        }
        reading.await.expect("reader task");

        let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM t")
            .fetch_one(&readers)
            .await
            .expect("count");
        assert_eq!(rows, commits, "every committed row is there");
        // Each commit appends at least one frame (about 3 here): a log never restarted would hold at least
        // `commits` frames; restarted every round or two, it holds a fraction of them.
        let (_busy, log_frames, _copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&readers)
                .await
                .expect("checkpoint");
        assert!(
            commits > 200 && log_frames < commits,
            "the log was restarted: {log_frames} frames in it after {commits} commits"
        );
        drop(group);
        readers.close().await;
        writer.close().await;
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
