//! Every macro of the storage, in one place. Each is a thin shell: it writes a `match` on the backend and pastes
//! its argument into both arms, so that code written once type-checks against each backend's sqlx types. The
//! arguments are ordinary Rust (a closure, an async closure), which rustfmt formats; the work is done by plain
//! methods ([`super::SqliteStorage::read`] and its siblings) and by the [`super::statements::Statements`] trait.

/// `$call` with `$s` bound to the backend's storage (`SqliteStorage` or `PgStorage`).
macro_rules! dispatch {
    ($storage:expr, |$s:ident| $call:expr) => {
        match $storage {
            $crate::storage::Storage::Sqlite($s) => $call,
            $crate::storage::Storage::Postgres($s) => $call,
        }
    };
}

/// Runs `$read`, an async closure given the backend's read pool, and answers its result.
macro_rules! with_pool {
    ($storage:expr, $read:expr) => {
        dispatch!($storage, |s| s.read($read).await)
    };
}

/// Runs `$write`, an async closure given the backend's pool for a single writing statement (SQLite: the writer, in
/// this process's write turn), and answers its result once the write is durable.
macro_rules! with_write {
    ($storage:expr, $write:expr) => {
        dispatch!($storage, |s| s.write($write).await)
    };
}

/// Runs `$transaction`, an async closure given a new transaction, and answers its result (once durable when it
/// is `Ok`). The closure commits; a transaction it drops uncommitted is rolled back.
macro_rules! with_tx {
    ($storage:expr, $transaction:expr) => {
        dispatch!($storage, |s| s.transaction($transaction).await)
    };
}
