//! Schema migrations, applied in order and tracked with `PRAGMA user_version`.
//!
//! `user_version` stores how many entries of [`MIGRATIONS`] a database file has applied.
//! To add tables, append a [`Migration`] at the end of the list. Never edit, remove or
//! reorder an entry that has been released, because existing files have already applied it
//! and would skip the change.

use rusqlite::Connection;

use super::StorageError;
use super::calls;

/// One schema change: SQL run once, inside a transaction, on every database file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Short description, used in error messages and logs.
    pub name: &'static str,
    /// Statements run with `execute_batch`.
    pub sql: &'static str,
}

/// Every migration, oldest first. Entry `i` brings a file to `user_version = i + 1`.
pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "calls and call events", sql: calls::SCHEMA },
    Migration { name: "debtor accounts", sql: super::accounts::SCHEMA },
    Migration { name: "call outcomes", sql: super::outcomes::SCHEMA },
    Migration { name: "payment link outbox", sql: crate::dialogue::payment::OUTBOX_SCHEMA },
    Migration { name: "handoff queue", sql: crate::queue::persist::SCHEMA },
    Migration { name: "console agents", sql: crate::agents::SCHEMA },
];

/// Applies the migrations that `conn` has not applied yet, each in its own transaction.
///
/// Returns the number of migrations applied. Fails with [`StorageError::DatabaseTooNew`]
/// when the file was written by a newer build that has more migrations than this one.
pub fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<usize, StorageError> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > migrations.len() {
        return Err(StorageError::DatabaseTooNew {
            found: applied,
            supported: migrations.len(),
        });
    }

    for (index, migration) in migrations.iter().enumerate().skip(applied) {
        let version = index + 1;
        apply_one(conn, migration, version).map_err(|source| StorageError::Migration {
            version,
            name: migration.name,
            source,
        })?;
        tracing::info!(version, name = migration.name, "applied database migration");
    }

    Ok(migrations.len() - applied)
}

// `user_version` lives in the file header and is covered by the transaction, so a failed
// migration leaves both the tables and the version as they were.
fn apply_one(conn: &mut Connection, migration: &Migration, version: usize) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(migration.sql)?;
    tx.pragma_update(None, "user_version", version as i64)?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Migration = Migration {
        name: "first",
        sql: "CREATE TABLE first (id INTEGER PRIMARY KEY);",
    };
    const SECOND: Migration = Migration {
        name: "second",
        sql: "CREATE TABLE second (id INTEGER PRIMARY KEY);",
    };
    const BROKEN: Migration = Migration {
        name: "broken",
        sql: "CREATE TABLE third (id INTEGER PRIMARY KEY); NOT SQL;",
    };

    fn user_version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    }

    fn table_exists(conn: &Connection, name: &str) -> bool {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |row| row.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    }

    #[test]
    fn migrate_applies_only_new_entries() {
        let mut conn = Connection::open_in_memory().unwrap();

        assert_eq!(migrate(&mut conn, &[FIRST]).unwrap(), 1);
        assert_eq!(user_version(&conn), 1);

        assert_eq!(migrate(&mut conn, &[FIRST, SECOND]).unwrap(), 1);
        assert_eq!(user_version(&conn), 2);
        assert!(table_exists(&conn, "second"));

        assert_eq!(migrate(&mut conn, &[FIRST, SECOND]).unwrap(), 0);
    }

    #[test]
    fn migrate_failure_rolls_back() {
        let mut conn = Connection::open_in_memory().unwrap();

        let error = migrate(&mut conn, &[FIRST, BROKEN]).unwrap_err();

        assert!(matches!(
            error,
            StorageError::Migration {
                version: 2,
                name: "broken",
                ..
            }
        ));
        assert_eq!(user_version(&conn), 1);
        assert!(!table_exists(&conn, "third"));
    }

    #[test]
    fn migrate_rejects_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &[FIRST, SECOND]).unwrap();

        let error = migrate(&mut conn, &[FIRST]).unwrap_err();

        assert!(matches!(
            error,
            StorageError::DatabaseTooNew {
                found: 2,
                supported: 1
            }
        ));
    }

    #[test]
    fn migrations_apply_to_empty_database() {
        let mut conn = Connection::open_in_memory().unwrap();

        assert_eq!(migrate(&mut conn, MIGRATIONS).unwrap(), MIGRATIONS.len());
        assert!(table_exists(&conn, "calls"));
        assert!(table_exists(&conn, "call_events"));
    }
}
