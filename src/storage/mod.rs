//! SQLite persistence: calls and their event journal, accounts, outcomes.
//!
//! [`Store`] owns one connection behind a mutex and offers a synchronous API. Async code
//! writes through a [`Journal`], which hands every write to one dedicated thread so that
//! tokio workers never wait on the disk. Reads through [`Store`] block the calling thread,
//! so async handlers should run them with `tokio::task::spawn_blocking`.
//!
//! Timestamps are stored as UTC RFC 3339 text with milliseconds
//! (`2026-12-04T19:55:08.123Z`), which sorts in time order.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

pub mod accounts;
mod calls;
mod journal;
pub mod outcomes;
pub mod schema;

pub use calls::{CallEvent, CallRecord, CallStart, CallStatus};
pub use journal::Journal;

/// How long a statement waits for a lock held by another connection to the same file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A failure to open, migrate, read or write the database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The folder that should contain the database file could not be created.
    #[error("failed to create the database folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The database file could not be opened or configured.
    #[error("failed to open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// A schema migration failed; the file keeps the schema it had before.
    #[error("database migration {version} ({name}) failed: {source}")]
    Migration {
        version: usize,
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    /// The file was migrated by a newer build than this one.
    #[error(
        "the database has schema version {found} but this build supports at most {supported}; \
         run a newer build or use another data folder"
    )]
    DatabaseTooNew { found: usize, supported: usize },

    /// A call with this id was already started.
    #[error("call {call_sid} already exists")]
    CallExists { call_sid: String },

    /// No call with this id was started.
    #[error("call {call_sid} not found")]
    UnknownCall { call_sid: String },

    /// A write closure queued with [`Journal::run`] panicked; its transaction was rolled
    /// back.
    #[error("a queued journal write panicked and was rolled back")]
    WritePanicked,

    /// The journal writer thread could not be started.
    #[error("failed to start the journal writer thread: {0}")]
    WriterThread(#[source] std::io::Error),

    /// Any other SQLite failure (I/O error, full disk, read-only file...).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// A handle to the database; clones share one connection.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the database file at `path` and applies pending migrations.
    ///
    /// Creates missing parent folders. The connection uses WAL journaling with
    /// `synchronous = NORMAL`: a process crash loses no committed transaction, and a power
    /// loss may lose the last few.
    pub fn open(path: &Path) -> Result<Store, StorageError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StorageError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }

        let open_error = |source| StorageError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_error)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "SQLite did not switch to WAL journaling");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;

        Store::from_connection(conn)
    }

    /// Opens a private in-memory database with every migration applied.
    pub fn open_in_memory() -> Result<Store, StorageError> {
        let conn = Connection::open_in_memory().map_err(|source| StorageError::Open {
            path: PathBuf::from(":memory:"),
            source,
        })?;
        Store::from_connection(conn)
    }

    /// Wraps an open connection: turns on foreign keys, sets the busy timeout and applies
    /// pending migrations.
    pub fn from_connection(mut conn: Connection) -> Result<Store, StorageError> {
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        schema::migrate(&mut conn, schema::MIGRATIONS)?;

        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the shared connection, for modules that keep their own tables.
    ///
    /// Blocks until the connection is free. `f` should be short, because every other
    /// reader and the journal writer wait for it.
    pub fn with_connection<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StorageError> {
        Ok(f(&self.lock())?)
    }

    // A panic in a caller's closure poisons the mutex. The connection itself stays valid
    // (SQLite rolls back an unfinished transaction when it is dropped), so the guard is
    // taken over rather than turning every later call into a panic.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Formats `at` the way every table stores timestamps.
pub(crate) fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored timestamp, reporting a malformed one as a conversion error of `column`.
pub(crate) fn parse_timestamp(text: &str, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(
                column,
                rusqlite::types::Type::Text,
                Box::new(error),
            )
        })
}
