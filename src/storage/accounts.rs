//! Debt accounts: the table, look-ups and the CSV import.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, params};
use thiserror::Error;
use tracing::{info, warn};

use crate::dialogue::debt::Account;

/// Creates the accounts table; safe to run more than once.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id                TEXT PRIMARY KEY,
    full_name         TEXT NOT NULL,
    phone             TEXT NOT NULL,
    national_id_last4 TEXT NOT NULL,
    creditor          TEXT NOT NULL,
    amount_cents      INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    due_date          TEXT NOT NULL,
    policy            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_phone ON accounts (phone);
";

const COLUMNS: &str =
    "id, full_name, phone, national_id_last4, creditor, amount_cents, currency, due_date, policy";

/// Inserts an account, or replaces the one with the same id.
pub fn upsert_account(conn: &Connection, account: &Account) -> rusqlite::Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO accounts ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET
                full_name = excluded.full_name, phone = excluded.phone,
                national_id_last4 = excluded.national_id_last4, creditor = excluded.creditor,
                amount_cents = excluded.amount_cents, currency = excluded.currency,
                due_date = excluded.due_date, policy = excluded.policy"
        ),
        params![
            account.id,
            account.full_name,
            account.phone,
            account.national_id_last4,
            account.creditor,
            account.amount_cents,
            account.currency,
            account.due_date.format("%Y-%m-%d").to_string(),
            account.policy,
        ],
    )?;
    Ok(())
}

/// Returns the account with id `id`.
pub fn account_by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<Account>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"),
        [id],
        account_from_row,
    )
    .optional()
}

/// Returns the account for a phone number in E.164 form; with several, the lowest id.
pub fn account_by_phone(conn: &Connection, phone: &str) -> rusqlite::Result<Option<Account>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM accounts WHERE phone = ?1 ORDER BY id LIMIT 1"),
        [phone],
        account_from_row,
    )
    .optional()
}

/// Returns the number of accounts stored.
pub fn count_accounts(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COUNT(*) FROM accounts", [], |row| row.get(0))
}

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let due_date: String = row.get(7)?;
    let due_date = NaiveDate::parse_from_str(&due_date, "%Y-%m-%d").map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(error))
    })?;
    Ok(Account {
        id: row.get(0)?,
        full_name: row.get(1)?,
        phone: row.get(2)?,
        national_id_last4: row.get(3)?,
        creditor: row.get(4)?,
        amount_cents: row.get(5)?,
        currency: row.get(6)?,
        due_date,
        policy: row.get(8)?,
    })
}

/// Columns the import file must have, in any order.
const CSV_COLUMNS: [&str; 9] = [
    "id",
    "full_name",
    "phone",
    "national_id_last4",
    "creditor",
    "amount",
    "currency",
    "due_date",
    "policy",
];

/// A CSV row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Line of the row in the file, from 1.
    pub line: u64,
    /// Reason the row is invalid.
    pub reason: String,
}

/// Result of a CSV import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows inserted or updated.
    pub imported: usize,
    /// Rows skipped, with their line and reason.
    pub rejected: Vec<RejectedRow>,
}

/// Error that stops an import before or while writing rows.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file could not be opened or read as CSV.
    #[error("cannot read accounts file {path}: {source}")]
    Read {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: csv::Error,
    },
    /// The header lacks a required column.
    #[error("accounts file {path} has no column {column}; expected columns: {expected}")]
    MissingColumn {
        /// File that failed.
        path: PathBuf,
        /// Missing column.
        column: &'static str,
        /// Every required column.
        expected: String,
    },
    /// Writing an account failed.
    #[error("cannot store account {id}: {source}")]
    Store {
        /// Account id of the row.
        id: String,
        /// Database error.
        source: rusqlite::Error,
    },
}

/// Imports accounts from a CSV file with a header row. Valid rows are inserted or update the
/// account with the same id; invalid rows are skipped and reported with their line.
pub fn import_accounts_csv(conn: &Connection, path: &Path) -> Result<ImportReport, ImportError> {
    let read_error = |source| ImportError::Read {
        path: path.to_owned(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(read_error)?;

    let headers = reader.headers().map_err(read_error)?.clone();
    let mut positions = [0usize; CSV_COLUMNS.len()];
    for (slot, column) in positions.iter_mut().zip(CSV_COLUMNS) {
        *slot =
            headers
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| ImportError::MissingColumn {
                    path: path.to_owned(),
                    column,
                    expected: CSV_COLUMNS.join(", "),
                })?;
    }

    let mut report = ImportReport::default();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                report.rejected.push(RejectedRow {
                    line,
                    reason: error.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != headers.len() {
            let reason = format!("expected {} fields, found {}", headers.len(), record.len());
            warn!(path = %path.display(), line, %reason, "account row rejected");
            report.rejected.push(RejectedRow { line, reason });
            continue;
        }
        let fields: Vec<&str> = positions
            .iter()
            .map(|&i| record.get(i).unwrap_or(""))
            .collect();

        match parse_account(&fields) {
            Ok(account) => {
                upsert_account(conn, &account).map_err(|source| ImportError::Store {
                    id: account.id.clone(),
                    source,
                })?;
                report.imported += 1;
            }
            Err(reason) => {
                warn!(path = %path.display(), line, %reason, "account row rejected");
                report.rejected.push(RejectedRow { line, reason });
            }
        }
    }
    info!(path = %path.display(), imported = report.imported, rejected = report.rejected.len(), "accounts imported");
    Ok(report)
}

/// Builds an account from the fields in [`CSV_COLUMNS`] order, or returns the reason it is invalid.
fn parse_account(fields: &[&str]) -> Result<Account, String> {
    let [
        id,
        full_name,
        phone,
        last4,
        creditor,
        amount,
        currency,
        due_date,
        policy,
    ] = fields
    else {
        return Err(format!(
            "expected {} fields, found {}",
            CSV_COLUMNS.len(),
            fields.len()
        ));
    };

    for (column, value) in [
        ("id", id),
        ("full_name", full_name),
        ("creditor", creditor),
        ("policy", policy),
    ] {
        if value.is_empty() {
            return Err(format!("missing {column}"));
        }
    }
    if !is_e164(phone) {
        return Err(format!(
            "invalid phone {phone:?}: expected E.164, like +34600111222"
        ));
    }
    if last4.len() != 4 || !last4.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "invalid national_id_last4 {last4:?}: expected 4 digits"
        ));
    }
    let amount_cents = parse_amount_cents(amount).ok_or_else(|| {
        format!("invalid amount {amount:?}: expected a positive amount like 1234.56")
    })?;
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "invalid currency {currency:?}: expected an ISO 4217 code like EUR"
        ));
    }
    let due_date = NaiveDate::parse_from_str(due_date, "%Y-%m-%d")
        .map_err(|_| format!("invalid due_date {due_date:?}: expected YYYY-MM-DD"))?;

    Ok(Account {
        id: (*id).to_owned(),
        full_name: (*full_name).to_owned(),
        phone: (*phone).to_owned(),
        national_id_last4: (*last4).to_owned(),
        creditor: (*creditor).to_owned(),
        amount_cents,
        currency: (*currency).to_owned(),
        due_date,
        policy: (*policy).to_owned(),
    })
}

/// Checks that `phone` is `+` and 7 to 15 digits, the first not 0.
fn is_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Parses `1234`, `1234.5` or `1234.56` into cents, exactly (no floating point). Returns
/// `None` for zero, negative or malformed amounts.
fn parse_amount_cents(text: &str) -> Option<i64> {
    let (units, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if units.is_empty() || !all_digits(units) || fraction.len() > 2 || !all_digits(fraction) {
        return None;
    }
    if text.contains('.') && fraction.is_empty() {
        return None;
    }

    let units: i64 = units.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    let cents = units.checked_mul(100)?.checked_add(fraction)?;
    (cents > 0).then_some(cents)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn database() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn
    }

    fn csv_file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    fn demo_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo-accounts.csv")
    }

    #[test]
    fn demo_file_imports() {
        let conn = database();
        let report = import_accounts_csv(&conn, &demo_path()).unwrap();
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        assert!(report.imported >= 2);

        let lucia = account_by_id(&conn, "D-1001").unwrap().unwrap();
        assert_eq!(lucia.full_name, "Lucía Martín Sánchez");
        assert_eq!(lucia.phone, "+34600111222");
        assert_eq!(lucia.national_id_last4, "4821");
        assert_eq!(lucia.amount_cents, 123_456);
        assert_eq!(
            lucia.due_date,
            NaiveDate::from_ymd_opt(2026, 9, 30).unwrap()
        );

        let jorge = account_by_phone(&conn, "+34600333444").unwrap().unwrap();
        assert_eq!(jorge.id, "D-1002");
        assert_eq!(jorge.national_id_last4, "0593");
        assert_eq!(jorge.amount_cents, 8_710);
    }

    #[test]
    fn missing_account_is_none() {
        let conn = database();
        assert_eq!(account_by_id(&conn, "D-9").unwrap(), None);
        assert_eq!(account_by_phone(&conn, "+34999").unwrap(), None);
        assert_eq!(count_accounts(&conn).unwrap(), 0);
    }

    #[test]
    fn bad_rows_reported_by_line() {
        let file = csv_file(
            "id,full_name,phone,national_id_last4,creditor,amount,currency,due_date,policy\n\
             A-1,Ana Pérez,+34600000001,1234,Banco,10.50,EUR,2026-01-31,standard\n\
             A-2,Bea Gil,600000002,1234,Banco,10.50,EUR,2026-01-31,standard\n\
             A-3,Carlos Díaz,+34600000003,12345,Banco,10.50,EUR,2026-01-31,standard\n\
             A-4,Dora Ruiz,+34600000004,1234,Banco,10,50,EUR,2026-01-31,standard\n\
             A-5,Eva Sanz,+34600000005,1234,Banco,-3,EUR,2026-01-31,standard\n\
             A-6,Félix Gil,+34600000006,1234,Banco,3.5,EUR,2026-02-30,standard\n\
             A-7,,+34600000007,1234,Banco,3.5,EUR,2026-02-01,standard\n",
        );
        let conn = database();
        let report = import_accounts_csv(&conn, file.path()).unwrap();

        assert_eq!(report.imported, 1);
        let lines: Vec<u64> = report.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7, 8]);
        assert!(report.rejected[0].reason.contains("phone"));
        assert!(report.rejected[1].reason.contains("national_id_last4"));
        assert!(report.rejected[2].reason.contains("fields"));
        assert!(report.rejected[3].reason.contains("amount"));
        assert!(report.rejected[4].reason.contains("due_date"));
        assert!(report.rejected[5].reason.contains("full_name"));
        assert_eq!(count_accounts(&conn).unwrap(), 1);
    }

    #[test]
    fn reimport_updates_account() {
        let header =
            "id,full_name,phone,national_id_last4,creditor,amount,currency,due_date,policy\n";
        let conn = database();
        let first = csv_file(&format!(
            "{header}A-1,Ana Pérez,+34600000001,1234,Banco,10.50,EUR,2026-01-31,standard\n"
        ));
        import_accounts_csv(&conn, first.path()).unwrap();
        let second = csv_file(&format!(
            "{header}A-1,Ana Pérez,+34600000001,1234,Banco,99,EUR,2026-03-31,standard\n"
        ));
        import_accounts_csv(&conn, second.path()).unwrap();

        let account = account_by_id(&conn, "A-1").unwrap().unwrap();
        assert_eq!(account.amount_cents, 9_900);
        assert_eq!(
            account.due_date,
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
        );
        assert_eq!(count_accounts(&conn).unwrap(), 1);
    }

    #[test]
    fn missing_column_is_error() {
        let file = csv_file("id,full_name,phone\nA-1,Ana,+34600000001\n");
        let error = import_accounts_csv(&database(), file.path()).unwrap_err();
        assert!(
            matches!(
                error,
                ImportError::MissingColumn {
                    column: "national_id_last4",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_amount_cents("1234.56"), Some(123_456));
        assert_eq!(parse_amount_cents("87.10"), Some(8_710));
        assert_eq!(parse_amount_cents("87.1"), Some(8_710));
        assert_eq!(parse_amount_cents("5"), Some(500));
        for bad in [
            "", "0", "0.00", "-1", "1.234", "1,5", "1.", ".5", "abc", "1e3",
        ] {
            assert_eq!(parse_amount_cents(bad), None, "{bad}");
        }
    }
}
