//! Outcomes of calls, stored as JSON with their kind for queries.

use rusqlite::{Connection, params};
use thiserror::Error;

use crate::dialogue::outcome::Outcome;

/// Creates the outcomes table; safe to run more than once. Outcomes are append-only: a call
/// may have several (an agreement, then the same agreement with a satisfaction score).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outcomes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    call_sid   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    step       TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS outcomes_call ON outcomes (call_sid);
";

/// Error storing or reading an outcome.
#[derive(Debug, Error)]
pub enum OutcomeStoreError {
    /// The database failed.
    #[error("outcome storage failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored outcome is not valid JSON of an [`Outcome`].
    #[error("stored outcome {row_id} is invalid: {source}")]
    InvalidJson {
        /// Row id of the outcome.
        row_id: i64,
        /// Parser error.
        source: serde_json::Error,
    },
}

/// Appends an outcome of call `call_sid` and returns its row id.
pub fn save_outcome(
    conn: &Connection,
    call_sid: &str,
    outcome: &Outcome,
) -> Result<i64, OutcomeStoreError> {
    let json = serde_json::to_string(outcome)
        .map_err(|source| OutcomeStoreError::InvalidJson { row_id: 0, source })?;
    conn.execute(
        "INSERT INTO outcomes (call_sid, kind, step, outcome) VALUES (?1, ?2, ?3, ?4)",
        params![call_sid, outcome.kind.as_str(), outcome.step, json],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Returns the outcomes of call `call_sid`, oldest first.
pub fn outcomes_for_call(
    conn: &Connection,
    call_sid: &str,
) -> Result<Vec<Outcome>, OutcomeStoreError> {
    let mut statement =
        conn.prepare("SELECT id, outcome FROM outcomes WHERE call_sid = ?1 ORDER BY id")?;
    let rows = statement.query_map([call_sid], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
    })?;

    let mut outcomes = Vec::new();
    for row in rows {
        let (row_id, json) = row?;
        let outcome = serde_json::from_str(&json)
            .map_err(|source| OutcomeStoreError::InvalidJson { row_id, source })?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::dialogue::outcome::{Instalment, OutcomeKind};

    fn database() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn
    }

    #[test]
    fn outcomes_round_trip() {
        let conn = database();
        let mut plan = Outcome::new(OutcomeKind::InstalmentPlan, "instalment_confirm");
        plan.amount_cents = Some(10_000);
        plan.currency = Some("EUR".to_owned());
        plan.instalments = vec![
            Instalment {
                due_date: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
                amount_cents: 5_000,
            },
            Instalment {
                due_date: NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(),
                amount_cents: 5_000,
            },
        ];
        let mut rated = plan.clone();
        rated.satisfaction = Some(4);

        save_outcome(&conn, "CA1", &plan).unwrap();
        save_outcome(
            &conn,
            "CA2",
            &Outcome::new(OutcomeKind::Abandoned, "verify"),
        )
        .unwrap();
        save_outcome(&conn, "CA1", &rated).unwrap();

        assert_eq!(outcomes_for_call(&conn, "CA1").unwrap(), vec![plan, rated]);
        assert_eq!(
            outcomes_for_call(&conn, "CA3").unwrap(),
            Vec::<Outcome>::new()
        );
        let kind: String = conn
            .query_row(
                "SELECT kind FROM outcomes WHERE call_sid = 'CA2'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(kind, "abandoned");
    }

    #[test]
    fn kind_serialized_snake_case() {
        let json =
            serde_json::to_value(Outcome::new(OutcomeKind::PaymentLinkSent, "menu")).unwrap();
        assert_eq!(json["kind"], "payment_link_sent");
        assert_eq!(json["step"], "menu");
        assert!(json.get("instalments").is_none());
    }

    #[test]
    fn corrupt_row_is_error() {
        let conn = database();
        conn.execute(
            "INSERT INTO outcomes (call_sid, kind, step, outcome) VALUES ('CA1', 'x', 'y', '{')",
            [],
        )
        .unwrap();
        let error = outcomes_for_call(&conn, "CA1").unwrap_err();
        assert!(
            matches!(error, OutcomeStoreError::InvalidJson { row_id: 1, .. }),
            "{error}"
        );
    }
}
