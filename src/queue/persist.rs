//! The queue's tables and the task that writes to them in order, off the state lock.

use chrono::{DateTime, Local, NaiveTime, Utc};
use rusqlite::{Connection, params};
use tokio::sync::{mpsc, oneshot};

use crate::storage::{Store, format_timestamp};

/// Queue entries, offers to agents, dispositions and callback requests. Timestamps are
/// UTC RFC 3339 text like every other table. A call has one entry per handoff and one
/// assignment row per offer (or per direct pick from the list).
pub const SCHEMA: &str = "
CREATE TABLE queue_entries (
    id          INTEGER PRIMARY KEY,
    call_sid    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    context     TEXT NOT NULL CHECK (json_valid(context)),
    priority    INTEGER NOT NULL,
    language    TEXT NOT NULL,
    enqueued_at TEXT NOT NULL,
    left_at     TEXT,
    outcome     TEXT CHECK (outcome IN ('answered', 'abandoned', 'callback', 'ended')),
    end_reason  TEXT,
    wait_secs   INTEGER,
    agent_id    TEXT
);
CREATE INDEX queue_entries_call ON queue_entries (call_sid);
CREATE INDEX queue_entries_enqueued ON queue_entries (enqueued_at);

CREATE TABLE queue_assignments (
    id          INTEGER PRIMARY KEY,
    call_sid    TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    offered_at  TEXT,
    accepted_at TEXT,
    ended_at    TEXT,
    end_reason  TEXT
);
CREATE INDEX queue_assignments_call ON queue_assignments (call_sid);

CREATE TABLE queue_dispositions (
    id          INTEGER PRIMARY KEY,
    call_sid    TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    disposition TEXT NOT NULL,
    note        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX queue_dispositions_call ON queue_dispositions (call_sid);

CREATE TABLE queue_callbacks (
    id           INTEGER PRIMARY KEY,
    call_sid     TEXT NOT NULL,
    window       TEXT NOT NULL,
    requested_at TEXT NOT NULL
);
";

/// A write to the queue tables, run by the writer task on a blocking thread.
type WriteFn = Box<dyn FnOnce(&Connection) -> rusqlite::Result<()> + Send>;

enum Job {
    Write { call_sid: String, write: WriteFn },
    Flush(oneshot::Sender<()>),
}

/// A handle that queues writes; they are applied in the order they were queued.
#[derive(Clone)]
pub(super) struct Writer {
    sender: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer task on the current tokio runtime.
    pub(super) fn spawn(store: Store) -> Writer {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run_writer(store, receiver));
        Writer { sender }
    }

    /// Queues `write`; `call_sid` names the call in the log if it fails.
    pub(super) fn run<F>(&self, call_sid: &str, write: F)
    where
        F: FnOnce(&Connection) -> rusqlite::Result<()> + Send + 'static,
    {
        let job = Job::Write {
            call_sid: call_sid.to_owned(),
            write: Box::new(write),
        };
        if self.sender.send(job).is_err() {
            tracing::error!(call_sid, "queue writer task is gone; queue record lost");
        }
    }

    /// Waits until every write queued before this call is done or has failed.
    pub(super) async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.sender.send(Job::Flush(done)).is_ok() {
            // An error means the writer task is gone, so nothing is left to wait for.
            let _ = written.await;
        }
    }
}

// Each write runs on a blocking thread, one after another, so the order of state changes
// is kept and no tokio worker waits on the disk.
async fn run_writer(store: Store, mut receiver: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = receiver.recv().await {
        match job {
            Job::Write { call_sid, write } => {
                let store = store.clone();
                let result =
                    tokio::task::spawn_blocking(move || store.with_connection(write)).await;
                match result {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::error!(call_sid, %error, "failed to write a queue record");
                    }
                    Err(error) => {
                        tracing::error!(call_sid, %error, "queue record write task failed");
                    }
                }
            }
            Job::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}

/// The facts of a new queue entry.
pub(super) struct NewEntry {
    pub(super) call_sid: String,
    pub(super) reason: String,
    pub(super) context: String,
    pub(super) priority: i32,
    pub(super) language: String,
    pub(super) enqueued_at: DateTime<Utc>,
}

pub(super) fn insert_entry(conn: &Connection, entry: &NewEntry) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO queue_entries (call_sid, reason, context, priority, language, enqueued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            entry.call_sid,
            entry.reason,
            entry.context,
            entry.priority,
            entry.language,
            format_timestamp(entry.enqueued_at),
        ],
    )?;
    Ok(())
}

/// The end of an entry's wait: outcome, wait time and agent.
pub(super) struct EntryExit {
    pub(super) outcome: &'static str,
    pub(super) end_reason: Option<String>,
    pub(super) wait_secs: u64,
    pub(super) agent_id: Option<String>,
    pub(super) at: DateTime<Utc>,
}

pub(super) fn close_entry(
    conn: &Connection,
    call_sid: &str,
    exit: &EntryExit,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE queue_entries
         SET left_at = ?2, outcome = ?3, end_reason = ?4, wait_secs = ?5, agent_id = ?6
         WHERE call_sid = ?1 AND left_at IS NULL",
        params![
            call_sid,
            format_timestamp(exit.at),
            exit.outcome,
            exit.end_reason,
            i64::try_from(exit.wait_secs).unwrap_or(i64::MAX),
            exit.agent_id,
        ],
    )?;
    Ok(())
}

pub(super) fn insert_offer(
    conn: &Connection,
    call_sid: &str,
    agent_id: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO queue_assignments (call_sid, agent_id, offered_at) VALUES (?1, ?2, ?3)",
        params![call_sid, agent_id, format_timestamp(at)],
    )?;
    Ok(())
}

/// Marks the agent's open offer of the call accepted, or inserts an assignment when the
/// agent picked the call from the list without an offer.
pub(super) fn accept_assignment(
    conn: &Connection,
    call_sid: &str,
    agent_id: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let at = format_timestamp(at);
    let updated = conn.execute(
        "UPDATE queue_assignments SET accepted_at = ?3
         WHERE call_sid = ?1 AND agent_id = ?2 AND accepted_at IS NULL AND ended_at IS NULL",
        params![call_sid, agent_id, at],
    )?;
    if updated == 0 {
        conn.execute(
            "INSERT INTO queue_assignments (call_sid, agent_id, accepted_at) VALUES (?1, ?2, ?3)",
            params![call_sid, agent_id, at],
        )?;
    }
    Ok(())
}

pub(super) fn end_assignment(
    conn: &Connection,
    call_sid: &str,
    agent_id: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE queue_assignments SET ended_at = ?3, end_reason = ?4
         WHERE call_sid = ?1 AND agent_id = ?2 AND ended_at IS NULL",
        params![call_sid, agent_id, format_timestamp(at), reason],
    )?;
    Ok(())
}

pub(super) fn insert_disposition(
    conn: &Connection,
    call_sid: &str,
    agent_id: &str,
    disposition: &str,
    note: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO queue_dispositions (call_sid, agent_id, disposition, note, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![call_sid, agent_id, disposition, note, format_timestamp(at)],
    )?;
    Ok(())
}

pub(super) fn insert_callback(
    conn: &Connection,
    call_sid: &str,
    window: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO queue_callbacks (call_sid, window, requested_at) VALUES (?1, ?2, ?3)",
        params![call_sid, window, format_timestamp(at)],
    )?;
    Ok(())
}

/// Closes entries and assignments left open by a previous process, which can no longer
/// reach their callers or agents.
pub(super) fn close_stale(conn: &Connection, at: DateTime<Utc>) -> rusqlite::Result<()> {
    let at = format_timestamp(at);
    let entries = conn.execute(
        "UPDATE queue_entries SET left_at = ?1, outcome = 'ended', end_reason = 'server_restart'
         WHERE left_at IS NULL",
        [&at],
    )?;
    conn.execute(
        "UPDATE queue_assignments SET ended_at = ?1, end_reason = 'server_restart'
         WHERE ended_at IS NULL",
        [&at],
    )?;
    if entries > 0 {
        tracing::warn!(entries, "closed queue entries left open by a previous run");
    }
    Ok(())
}

/// Today's handoff counts, read from the database.
#[derive(Debug, Default)]
pub(super) struct DailyCounts {
    pub(super) handed_off: u64,
    pub(super) by_reason: Vec<(String, u64)>,
    pub(super) left_queue: u64,
    pub(super) answered_within_target: u64,
}

/// Counts the entries enqueued on the server's local date of `now`.
pub(super) fn daily_counts(
    conn: &Connection,
    now: DateTime<Local>,
    target_secs: u64,
) -> rusqlite::Result<DailyCounts> {
    let (start, end) = local_day_bounds(now);
    let target = i64::try_from(target_secs).unwrap_or(i64::MAX);

    let (handed_off, left_queue, answered_within_target) = conn.query_row(
        "SELECT COUNT(*),
                COUNT(left_at),
                COUNT(CASE WHEN outcome = 'answered' AND wait_secs <= ?3 THEN 1 END)
         FROM queue_entries WHERE enqueued_at >= ?1 AND enqueued_at < ?2",
        params![start, end, target],
        |row| {
            Ok((
                row.get::<_, u64>(0)?,
                row.get::<_, u64>(1)?,
                row.get::<_, u64>(2)?,
            ))
        },
    )?;

    let mut statement = conn.prepare(
        "SELECT reason, COUNT(*) FROM queue_entries
         WHERE enqueued_at >= ?1 AND enqueued_at < ?2
         GROUP BY reason ORDER BY COUNT(*) DESC, reason",
    )?;
    let by_reason = statement
        .query_map(params![start, end], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(String, u64)>>>()?;

    Ok(DailyCounts {
        handed_off,
        by_reason,
        left_queue,
        answered_within_target,
    })
}

/// Returns the UTC timestamps (as stored) of the start of `now`'s local day and of the next.
pub(super) fn local_day_bounds(now: DateTime<Local>) -> (String, String) {
    let today = now.date_naive();
    let tomorrow = today.succ_opt().unwrap_or(today);
    (local_midnight(today), local_midnight(tomorrow))
}

// A daylight-saving jump at midnight can skip 00:00; the day then starts at the first
// local time that exists, found by trying the next hours.
fn local_midnight(day: chrono::NaiveDate) -> String {
    let start = (0..3)
        .filter_map(|hour| NaiveTime::from_hms_opt(hour, 0, 0))
        .find_map(|time| day.and_time(time).and_local_timezone(Local).earliest())
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| day.and_time(NaiveTime::MIN).and_utc());
    format_timestamp(start)
}
