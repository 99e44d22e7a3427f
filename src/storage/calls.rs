//! Calls and their event journal.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{StorageError, Store, format_timestamp, parse_timestamp};

/// Tables for calls and their events. `seq` numbers a call's events from 1 in the order
/// they were written.
pub(super) const SCHEMA: &str = "
CREATE TABLE calls (
    call_sid      TEXT PRIMARY KEY NOT NULL,
    stream_sid    TEXT NOT NULL,
    transport     TEXT NOT NULL,
    caller_number TEXT,
    account_id    TEXT,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    end_reason    TEXT,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended'))
);
CREATE INDEX calls_status ON calls (status);

CREATE TABLE call_events (
    id       INTEGER PRIMARY KEY,
    call_sid TEXT NOT NULL REFERENCES calls (call_sid),
    seq      INTEGER NOT NULL,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    data     TEXT NOT NULL CHECK (json_valid(data)),
    UNIQUE (call_sid, seq)
);
";

/// Call details available when its media stream starts.
#[derive(Debug, Clone, PartialEq)]
pub struct CallStart {
    /// The platform's id for the phone call.
    pub call_sid: String,
    /// The platform's id for the media stream.
    pub stream_sid: String,
    /// The telephony platform, such as `"twilio"`.
    pub transport: String,
    /// The caller's number as the platform reported it, when known.
    pub caller_number: Option<String>,
    /// The debtor account the call is about, when known.
    pub account_id: Option<String>,
    /// When the media stream started; stored to the millisecond.
    pub started_at: DateTime<Utc>,
}

/// Whether a call is still in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// Started and not ended yet.
    Active,
    /// Ended, with an end reason.
    Ended,
}

/// A stored call with its events in order, as the call API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRecord {
    /// The platform's id for the phone call.
    pub call_sid: String,
    /// The platform's id for the media stream.
    pub stream_sid: String,
    /// The telephony platform, such as `"twilio"`.
    pub transport: String,
    /// The caller's number, when known.
    pub caller_number: Option<String>,
    /// The debtor account the call is about, when known.
    pub account_id: Option<String>,
    /// When the media stream started.
    pub started_at: DateTime<Utc>,
    /// When the call ended; `None` while it is active.
    pub ended_at: Option<DateTime<Utc>>,
    /// Reason the call ended (`"hangup"`, `"media_timeout"`, `"server_restart"`...).
    pub end_reason: Option<String>,
    /// Whether the call is still in progress.
    pub status: CallStatus,
    /// The call's events, in `seq` order.
    pub events: Vec<CallEvent>,
}

/// One journaled event of a call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallEvent {
    /// Position in the call's journal, from 1.
    pub seq: u32,
    /// When the event happened, to the millisecond.
    pub at: DateTime<Utc>,
    /// Event type: `start`, `prompt`, `recognition`, `dtmf`, `barge_in`, `error`, `end`...
    pub kind: String,
    /// Event details.
    pub data: serde_json::Value,
}

impl Store {
    /// Inserts a new active call. Fails with [`StorageError::CallExists`] if the id is taken.
    pub fn start_call(&self, start: &CallStart) -> Result<(), StorageError> {
        insert_call(&self.lock(), start)
    }

    /// Appends an event to an existing call, timestamped now, and returns its `seq`.
    ///
    /// Fails with [`StorageError::UnknownCall`] if no call has this id.
    pub fn append_event(
        &self,
        call_sid: &str,
        kind: &str,
        data: &serde_json::Value,
    ) -> Result<u32, StorageError> {
        insert_event(&self.lock(), call_sid, Utc::now(), kind, data)
    }

    /// Marks an active call as ended now with `reason`.
    ///
    /// Returns `false`, and changes nothing, when the call is unknown or already ended, so
    /// the first end reason is kept.
    pub fn end_call(&self, call_sid: &str, reason: &str) -> Result<bool, StorageError> {
        mark_ended(&self.lock(), call_sid, Utc::now(), reason)
    }

    /// Loads a call with its events in order, or `None` if no call has this id.
    pub fn call(&self, call_sid: &str) -> Result<Option<CallRecord>, StorageError> {
        let conn = self.lock();
        let Some(mut record) = select_call(&conn, call_sid)? else {
            return Ok(None);
        };
        record.events = select_events(&conn, call_sid)?;
        Ok(Some(record))
    }

    /// Ends every call still active, with `reason`, and returns how many there were.
    ///
    /// Meant for start-up: calls left active by a previous run cannot be in progress any
    /// more, and ending them keeps a call from staying active forever.
    pub fn end_stale_calls(&self, reason: &str) -> Result<usize, StorageError> {
        let ended_at = format_timestamp(Utc::now());
        let count = self.lock().execute(
            "UPDATE calls SET status = 'ended', ended_at = ?1, end_reason = ?2
             WHERE status = 'active'",
            params![ended_at, reason],
        )?;
        Ok(count)
    }

    /// Counts ended calls per end reason, ordered by reason.
    pub fn count_calls_by_end_reason(&self) -> Result<Vec<(String, u64)>, StorageError> {
        let conn = self.lock();
        let mut statement = conn.prepare(
            "SELECT end_reason, count(*) FROM calls
             WHERE status = 'ended' GROUP BY end_reason ORDER BY end_reason",
        )?;
        let rows = statement.query_map([], |row| {
            let reason: Option<String> = row.get(0)?;
            let count: i64 = row.get(1)?;
            Ok((reason.unwrap_or_default(), count as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

pub(super) fn insert_call(conn: &Connection, start: &CallStart) -> Result<(), StorageError> {
    let inserted = conn.execute(
        "INSERT INTO calls (call_sid, stream_sid, transport, caller_number, account_id,
                            started_at, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active')
         ON CONFLICT (call_sid) DO NOTHING",
        params![
            start.call_sid,
            start.stream_sid,
            start.transport,
            start.caller_number,
            start.account_id,
            format_timestamp(start.started_at),
        ],
    )?;

    if inserted == 0 {
        return Err(StorageError::CallExists {
            call_sid: start.call_sid.clone(),
        });
    }
    Ok(())
}

// The next `seq` is computed in the same statement. That is race-free because SQLite runs
// one write statement at a time on a file.
pub(super) fn insert_event(
    conn: &Connection,
    call_sid: &str,
    at: DateTime<Utc>,
    kind: &str,
    data: &serde_json::Value,
) -> Result<u32, StorageError> {
    let result = conn.query_row(
        "INSERT INTO call_events (call_sid, seq, at, kind, data)
         VALUES (?1,
                 (SELECT coalesce(max(seq), 0) + 1 FROM call_events WHERE call_sid = ?1),
                 ?2, ?3, ?4)
         RETURNING seq",
        params![call_sid, format_timestamp(at), kind, data.to_string()],
        |row| row.get(0),
    );

    result.map_err(|error| match error.sqlite_error() {
        Some(failure) if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
            StorageError::UnknownCall {
                call_sid: call_sid.to_owned(),
            }
        }
        _ => StorageError::Sqlite(error),
    })
}

pub(super) fn mark_ended(
    conn: &Connection,
    call_sid: &str,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<bool, StorageError> {
    let changed = conn.execute(
        "UPDATE calls SET status = 'ended', ended_at = ?2, end_reason = ?3
         WHERE call_sid = ?1 AND status = 'active'",
        params![call_sid, format_timestamp(at), reason],
    )?;
    Ok(changed == 1)
}

fn select_call(conn: &Connection, call_sid: &str) -> rusqlite::Result<Option<CallRecord>> {
    conn.query_row(
        "SELECT call_sid, stream_sid, transport, caller_number, account_id,
                started_at, ended_at, end_reason, status
         FROM calls WHERE call_sid = ?1",
        [call_sid],
        |row| {
            let ended_at: Option<String> = row.get(6)?;
            let status: String = row.get(8)?;
            Ok(CallRecord {
                call_sid: row.get(0)?,
                stream_sid: row.get(1)?,
                transport: row.get(2)?,
                caller_number: row.get(3)?,
                account_id: row.get(4)?,
                started_at: parse_timestamp(&row.get::<_, String>(5)?, 5)?,
                ended_at: ended_at.map(|text| parse_timestamp(&text, 6)).transpose()?,
                end_reason: row.get(7)?,
                status: if status == "ended" {
                    CallStatus::Ended
                } else {
                    CallStatus::Active
                },
                events: Vec::new(),
            })
        },
    )
    .optional()
}

fn select_events(conn: &Connection, call_sid: &str) -> rusqlite::Result<Vec<CallEvent>> {
    let mut statement = conn
        .prepare("SELECT seq, at, kind, data FROM call_events WHERE call_sid = ?1 ORDER BY seq")?;
    let rows = statement.query_map([call_sid], |row| {
        let data: String = row.get(3)?;
        Ok(CallEvent {
            seq: row.get(0)?,
            at: parse_timestamp(&row.get::<_, String>(1)?, 1)?,
            kind: row.get(2)?,
            data: serde_json::from_str(&data).map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(
                    3,
                    rusqlite::types::Type::Text,
                    Box::new(error),
                )
            })?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use chrono::{SubsecRound, TimeZone};
    use serde_json::json;

    use super::*;

    fn call_start(call_sid: &str) -> CallStart {
        CallStart {
            call_sid: call_sid.to_owned(),
            stream_sid: format!("MZ-{call_sid}"),
            transport: "twilio".to_owned(),
            caller_number: Some("+34600111222".to_owned()),
            account_id: Some("ACC-42".to_owned()),
            started_at: Utc.with_ymd_and_hms(2026, 3, 1, 10, 30, 0).unwrap()
                + chrono::Duration::microseconds(123_456),
        }
    }

    #[test]
    fn call_round_trip_with_events() {
        let store = Store::open_in_memory().unwrap();
        let start = call_start("CA1");
        store.start_call(&start).unwrap();
        store
            .append_event("CA1", "prompt", &json!({"prompt": "greeting"}))
            .unwrap();
        store
            .append_event(
                "CA1",
                "recognition",
                &json!({"text": "sí, soy yo", "confidence": 0.82}),
            )
            .unwrap();
        assert!(store.end_call("CA1", "hangup").unwrap());

        let record = store.call("CA1").unwrap().expect("call CA1 stored");

        assert_eq!(record.call_sid, "CA1");
        assert_eq!(record.stream_sid, "MZ-CA1");
        assert_eq!(record.transport, "twilio");
        assert_eq!(record.caller_number.as_deref(), Some("+34600111222"));
        assert_eq!(record.account_id.as_deref(), Some("ACC-42"));
        assert_eq!(record.started_at, start.started_at.trunc_subsecs(3));
        assert_eq!(record.status, CallStatus::Ended);
        assert_eq!(record.end_reason.as_deref(), Some("hangup"));
        assert!(record.ended_at.unwrap() >= record.started_at);
        assert_eq!(record.events.len(), 2);
        assert_eq!(record.events[0].kind, "prompt");
        assert_eq!(record.events[0].data, json!({"prompt": "greeting"}));
        assert_eq!(record.events[1].kind, "recognition");
        assert_eq!(record.events[1].data["text"], "sí, soy yo");
    }

    #[test]
    fn call_record_serializes_for_api() {
        let store = Store::open_in_memory().unwrap();
        store.start_call(&call_start("CA1")).unwrap();
        store
            .append_event("CA1", "dtmf", &json!({"digit": "1"}))
            .unwrap();

        let record = store.call("CA1").unwrap().unwrap();
        let value = serde_json::to_value(&record).unwrap();

        assert_eq!(value["status"], "active");
        assert_eq!(value["started_at"], "2026-03-01T10:30:00.123Z");
        assert_eq!(value["ended_at"], serde_json::Value::Null);
        assert_eq!(value["events"][0]["seq"], 1);
        assert_eq!(value["events"][0]["data"]["digit"], "1");
    }

    #[test]
    fn unknown_call_is_none() {
        let store = Store::open_in_memory().unwrap();

        assert_eq!(store.call("CA-missing").unwrap(), None);
    }

    #[test]
    fn events_numbered_per_call() {
        let store = Store::open_in_memory().unwrap();
        store.start_call(&call_start("CA1")).unwrap();
        store.start_call(&call_start("CA2")).unwrap();

        let mut seqs = Vec::new();
        for index in 0..5 {
            seqs.push(
                store
                    .append_event("CA1", "state", &json!({"index": index}))
                    .unwrap(),
            );
            if index % 2 == 0 {
                store
                    .append_event("CA2", "state", &json!({"index": index}))
                    .unwrap();
            }
        }

        assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
        let first = store.call("CA1").unwrap().unwrap();
        let order: Vec<(u32, i64)> = first
            .events
            .iter()
            .map(|event| (event.seq, event.data["index"].as_i64().unwrap()))
            .collect();
        assert_eq!(order, vec![(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)]);
        let second = store.call("CA2").unwrap().unwrap();
        let second_seqs: Vec<u32> = second.events.iter().map(|event| event.seq).collect();
        assert_eq!(second_seqs, vec![1, 2, 3]);
    }

    #[test]
    fn end_call_keeps_first_reason() {
        let store = Store::open_in_memory().unwrap();
        store.start_call(&call_start("CA1")).unwrap();

        assert!(store.end_call("CA1", "hangup").unwrap());
        let first_end = store.call("CA1").unwrap().unwrap().ended_at;
        assert!(!store.end_call("CA1", "media_timeout").unwrap());

        let record = store.call("CA1").unwrap().unwrap();
        assert_eq!(record.end_reason.as_deref(), Some("hangup"));
        assert_eq!(record.ended_at, first_end);
    }

    #[test]
    fn end_call_unknown_returns_false() {
        let store = Store::open_in_memory().unwrap();

        assert!(!store.end_call("CA-missing", "hangup").unwrap());
    }

    #[test]
    fn start_call_twice_rejected() {
        let store = Store::open_in_memory().unwrap();
        store.start_call(&call_start("CA1")).unwrap();

        let error = store.start_call(&call_start("CA1")).unwrap_err();

        assert!(matches!(error, StorageError::CallExists { call_sid } if call_sid == "CA1"));
    }

    #[test]
    fn event_for_unknown_call_rejected() {
        let store = Store::open_in_memory().unwrap();

        let error = store
            .append_event("CA-missing", "dtmf", &json!({}))
            .unwrap_err();

        assert!(
            matches!(error, StorageError::UnknownCall { call_sid } if call_sid == "CA-missing")
        );
    }

    #[test]
    fn stale_calls_ended_with_reason() {
        let store = Store::open_in_memory().unwrap();
        for call_sid in ["CA1", "CA2", "CA3"] {
            store.start_call(&call_start(call_sid)).unwrap();
        }
        store.end_call("CA2", "hangup").unwrap();

        assert_eq!(store.end_stale_calls("server_restart").unwrap(), 2);
        assert_eq!(store.end_stale_calls("server_restart").unwrap(), 0);

        for call_sid in ["CA1", "CA3"] {
            let record = store.call(call_sid).unwrap().unwrap();
            assert_eq!(record.status, CallStatus::Ended);
            assert_eq!(record.end_reason.as_deref(), Some("server_restart"));
            assert!(record.ended_at.is_some());
        }
        let untouched = store.call("CA2").unwrap().unwrap();
        assert_eq!(untouched.end_reason.as_deref(), Some("hangup"));
    }

    #[test]
    fn counts_by_end_reason() {
        let store = Store::open_in_memory().unwrap();
        for call_sid in ["CA1", "CA2", "CA3", "CA4"] {
            store.start_call(&call_start(call_sid)).unwrap();
        }
        store.end_call("CA1", "hangup").unwrap();
        store.end_call("CA2", "media_timeout").unwrap();
        store.end_call("CA3", "hangup").unwrap();

        let counts = store.count_calls_by_end_reason().unwrap();

        assert_eq!(
            counts,
            vec![("hangup".to_owned(), 2), ("media_timeout".to_owned(), 1)]
        );
    }

    #[test]
    fn reopened_file_keeps_data() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("nested/recobra.sqlite");
        {
            let store = Store::open(&path).unwrap();
            store.start_call(&call_start("CA1")).unwrap();
            store
                .append_event("CA1", "start", &json!({"locale": "es-ES"}))
                .unwrap();
            store.end_call("CA1", "hangup").unwrap();
        }

        let store = Store::open(&path).unwrap();
        let record = store.call("CA1").unwrap().expect("call survives reopening");

        assert_eq!(record.end_reason.as_deref(), Some("hangup"));
        assert_eq!(record.events.len(), 1);
        assert_eq!(record.events[0].data["locale"], "es-ES");
        let mode: String = store
            .with_connection(|conn| conn.query_row("PRAGMA journal_mode", [], |row| row.get(0)))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
