//! Non-blocking writes for async call sessions.
//!
//! Every [`Journal`] method queues a record on an unbounded channel and returns at once.
//! One writer thread takes records in order and writes each one in its own transaction as
//! soon as it arrives, without batching. With WAL and `synchronous = NORMAL` a commit does
//! not wait for an fsync, so per-record transactions stay cheap, and a process crash loses
//! only the records still queued.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::calls::{insert_call, insert_event, mark_ended};
use super::{CallStart, StorageError, Store};

/// A write for another module's tables, run by the writer thread inside a transaction.
type WriteFn = Box<dyn FnOnce(&Connection) -> rusqlite::Result<()> + Send>;

/// A cloneable handle that queues call journal writes for the writer thread.
///
/// Writes are applied in the order they were queued across all clones. A failed write is
/// logged with its call_sid and kind, counted in [`Journal::write_errors`], and skipped,
/// and the writer goes on with the next record. Dropping every handle stops the writer
/// thread once it has written everything queued. The thread is detached, so a process
/// that exits should first await [`Journal::flush`].
///
/// NOTE: the queue is unbounded, so if the disk stalls, memory grows with queued records.
#[derive(Clone)]
pub struct Journal {
    sender: mpsc::Sender<Record>,
    write_errors: Arc<AtomicU64>,
}

enum Record {
    CallStarted(CallStart),
    Event {
        call_sid: String,
        at: DateTime<Utc>,
        kind: String,
        data: serde_json::Value,
    },
    CallEnded {
        call_sid: String,
        at: DateTime<Utc>,
        reason: String,
    },
    Run {
        call_sid: String,
        write: WriteFn,
    },
    Flush(oneshot::Sender<()>),
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("write_errors", &self.write_errors())
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// Starts the writer thread, which writes through `store`'s connection.
    pub fn spawn(store: &Store) -> Result<Journal, StorageError> {
        let (journal, _detached) = spawn_writer(store.clone())?;
        Ok(journal)
    }

    /// Queues the insertion of a new active call.
    pub fn call_started(&self, start: CallStart) {
        self.send(Record::CallStarted(start));
    }

    /// Queues an event for a call, timestamped now rather than when it is written.
    pub fn event(
        &self,
        call_sid: impl Into<String>,
        kind: impl Into<String>,
        data: serde_json::Value,
    ) {
        self.send(Record::Event {
            call_sid: call_sid.into(),
            at: Utc::now(),
            kind: kind.into(),
            data,
        });
    }

    /// Queues the end of a call, timestamped now. A call that already ended keeps its
    /// first end reason.
    pub fn call_ended(&self, call_sid: impl Into<String>, reason: impl Into<String>) {
        self.send(Record::CallEnded {
            call_sid: call_sid.into(),
            at: Utc::now(),
            reason: reason.into(),
        });
    }

    /// Queues a write to another module's tables, run inside its own transaction.
    ///
    /// `call_sid` names the call in logs if the write fails. An error or a panic in `write`
    /// rolls its transaction back and is counted like any other write error.
    pub fn run<F>(&self, call_sid: impl Into<String>, write: F)
    where
        F: FnOnce(&Connection) -> rusqlite::Result<()> + Send + 'static,
    {
        self.send(Record::Run {
            call_sid: call_sid.into(),
            write: Box::new(write),
        });
    }

    /// Waits until every record queued before this call has been written or has failed.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        self.send(Record::Flush(done));

        // An error means the writer thread is gone, so nothing is left to wait for.
        let _ = written.await;
    }

    /// Returns how many queued writes have failed since the writer thread started.
    pub fn write_errors(&self) -> u64 {
        self.write_errors.load(Ordering::Relaxed)
    }

    // Sending fails only when the writer thread has ended while handles still exist, which
    // takes a panic outside `run_in_transaction`. The record is then counted as a write
    // error so that the loss stays visible.
    fn send(&self, record: Record) {
        if let Err(mpsc::SendError(record)) = self.sender.send(record) {
            let (call_sid, kind) = record.describe();
            self.write_errors.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                call_sid,
                kind,
                "call journal writer thread is gone; record dropped"
            );
        }
    }
}

impl Record {
    /// Returns the call_sid and kind that identify this record in logs.
    fn describe(&self) -> (&str, &str) {
        match self {
            Record::CallStarted(start) => (&start.call_sid, "call_started"),
            Record::Event { call_sid, kind, .. } => (call_sid, kind),
            Record::CallEnded { call_sid, .. } => (call_sid, "call_ended"),
            Record::Run { call_sid, .. } => (call_sid, "run"),
            Record::Flush(_) => ("", "flush"),
        }
    }
}

/// Starts the writer thread and returns its handle too, so tests can join it.
fn spawn_writer(store: Store) -> Result<(Journal, JoinHandle<()>), StorageError> {
    let (sender, receiver) = mpsc::channel();
    let write_errors = Arc::new(AtomicU64::new(0));

    // The thread logs to the subscriber of the code that spawned it, which is the global
    // one unless a caller (such as a test) installed a scoped subscriber.
    let dispatch = tracing::dispatcher::get_default(|dispatch| dispatch.clone());
    let thread_errors = Arc::clone(&write_errors);
    let handle = std::thread::Builder::new()
        .name("recobra-journal".to_owned())
        .spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                write_loop(&store, receiver, &thread_errors);
            });
        })
        .map_err(StorageError::WriterThread)?;

    let journal = Journal {
        sender,
        write_errors,
    };
    Ok((journal, handle))
}

/// Writes records until every sender is dropped and the queue is empty.
fn write_loop(store: &Store, receiver: mpsc::Receiver<Record>, write_errors: &AtomicU64) {
    for record in receiver {
        if let Record::Flush(done) = record {
            let _ = done.send(());
            continue;
        }

        // Kept for the log line, because writing consumes the record.
        let (call_sid, kind) = record.describe();
        let (call_sid, kind) = (call_sid.to_owned(), kind.to_owned());
        let result = write_record(&store.lock(), record);

        if let Err(error) = result {
            write_errors.fetch_add(1, Ordering::Relaxed);
            tracing::error!(call_sid, kind, %error, "failed to write to the call journal");
        }
    }
    tracing::debug!("call journal writer stopped");
}

fn write_record(conn: &Connection, record: Record) -> Result<(), StorageError> {
    match record {
        Record::CallStarted(start) => insert_call(conn, &start),

        Record::Event {
            call_sid,
            at,
            kind,
            data,
        } => insert_event(conn, &call_sid, at, &kind, &data).map(|_seq| ()),

        Record::CallEnded {
            call_sid,
            at,
            reason,
        } => {
            if !mark_ended(conn, &call_sid, at, &reason)? {
                tracing::debug!(
                    call_sid,
                    reason,
                    "call already ended or unknown; end ignored"
                );
            }
            Ok(())
        }

        Record::Run { write, .. } => run_in_transaction(conn, write),

        Record::Flush(_) => Ok(()),
    }
}

// A panic in another module's closure must not kill the only writer thread. Dropping the
// unfinished transaction during unwinding rolls it back.
fn run_in_transaction(conn: &Connection, write: WriteFn) -> Result<(), StorageError> {
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let tx = conn.unchecked_transaction()?;
        write(&tx)?;
        tx.commit()
    }));

    match outcome {
        Ok(result) => Ok(result?),
        Err(_panic) => Err(StorageError::WritePanicked),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Mutex;

    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::storage::CallStatus;

    fn call_start(call_sid: &str) -> CallStart {
        CallStart {
            call_sid: call_sid.to_owned(),
            stream_sid: format!("MZ-{call_sid}"),
            transport: "twilio".to_owned(),
            caller_number: None,
            account_id: None,
            started_at: Utc.with_ymd_and_hms(2026, 3, 1, 10, 30, 0).unwrap(),
        }
    }

    /// Log output captured from a scoped tracing subscriber.
    #[derive(Clone, Default)]
    struct CapturedLog(Arc<Mutex<Vec<u8>>>);

    impl Write for CapturedLog {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl CapturedLog {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    /// Spawns a journal whose writer thread logs into the returned buffer.
    fn spawn_with_captured_log(store: &Store) -> (Journal, CapturedLog) {
        let log = CapturedLog::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let journal =
            tracing::subscriber::with_default(subscriber, || Journal::spawn(store).unwrap());
        (journal, log)
    }

    fn event_kinds(store: &Store, call_sid: &str) -> Vec<(u32, String)> {
        let record = store.call(call_sid).unwrap().expect("call stored");
        record
            .events
            .into_iter()
            .map(|event| (event.seq, event.kind))
            .collect()
    }

    #[tokio::test]
    async fn flush_writes_calls_in_order() {
        let store = Store::open_in_memory().unwrap();
        let journal = Journal::spawn(&store).unwrap();
        let sessions = [journal.clone(), journal.clone(), journal.clone()];

        for (index, session) in sessions.iter().enumerate() {
            session.call_started(call_start(&format!("CA{index}")));
        }
        for step in ["prompt", "recognition", "dtmf", "barge_in"] {
            for (index, session) in sessions.iter().enumerate() {
                session.event(format!("CA{index}"), step, json!({"step": step}));
            }
        }
        sessions[1].call_ended("CA1", "hangup");
        journal.flush().await;

        for index in 0..3 {
            let expected: Vec<(u32, String)> = ["prompt", "recognition", "dtmf", "barge_in"]
                .iter()
                .enumerate()
                .map(|(position, kind)| (position as u32 + 1, kind.to_string()))
                .collect();
            assert_eq!(event_kinds(&store, &format!("CA{index}")), expected);
        }
        let ended = store.call("CA1").unwrap().unwrap();
        assert_eq!(ended.status, CallStatus::Ended);
        assert_eq!(ended.end_reason.as_deref(), Some("hangup"));
        assert_eq!(
            store.call("CA0").unwrap().unwrap().status,
            CallStatus::Active
        );
        assert_eq!(journal.write_errors(), 0);
    }

    #[tokio::test]
    async fn failed_write_logged_and_counted() {
        let store = Store::open_in_memory().unwrap();
        let (journal, log) = spawn_with_captured_log(&store);
        journal.call_started(call_start("CA1"));
        journal.event("CA1", "prompt", json!({"prompt": "greeting"}));

        journal.event("CA-missing", "dtmf", json!({"digit": "5"}));
        journal.call_started(call_start("CA1"));
        journal.event("CA1", "recognition", json!({"text": "vale"}));
        journal.flush().await;

        assert_eq!(journal.write_errors(), 2);
        let text = log.text();
        assert!(text.contains("CA-missing"), "log: {text}");
        assert!(text.contains("dtmf"), "log: {text}");
        assert!(text.contains("call_started"), "log: {text}");
        assert_eq!(
            event_kinds(&store, "CA1"),
            vec![(1, "prompt".to_owned()), (2, "recognition".to_owned())]
        );
    }

    #[tokio::test]
    async fn read_only_database_counts_errors() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("recobra.sqlite");
        let writable = Store::open(&path).unwrap();
        writable.start_call(&call_start("CA1")).unwrap();
        writable.append_event("CA1", "start", &json!({})).unwrap();
        let read_only =
            Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let journal = Journal::spawn(&Store::from_connection(read_only).unwrap()).unwrap();

        journal.event("CA1", "prompt", json!({}));
        journal.call_ended("CA1", "hangup");
        journal.call_started(call_start("CA2"));
        journal.flush().await;

        assert_eq!(journal.write_errors(), 3);
        let record = writable.call("CA1").unwrap().unwrap();
        assert_eq!(record.status, CallStatus::Active);
        assert_eq!(record.events.len(), 1);
        assert_eq!(writable.call("CA2").unwrap(), None);
    }

    #[tokio::test]
    async fn run_commits_or_rolls_back() {
        let store = Store::open_in_memory().unwrap();
        store
            .with_connection(|conn| conn.execute_batch("CREATE TABLE notes (text TEXT NOT NULL);"))
            .unwrap();
        let journal = Journal::spawn(&store).unwrap();

        journal.run("CA1", |conn| {
            conn.execute("INSERT INTO notes VALUES ('kept')", [])?;
            Ok(())
        });
        journal.run("CA2", |conn| {
            conn.execute("INSERT INTO notes VALUES ('rolled back')", [])?;
            conn.execute("INSERT INTO notes VALUES (NULL)", [])?;
            Ok(())
        });
        journal.run("CA3", |conn| {
            conn.execute("INSERT INTO notes VALUES ('panicked')", [])?;
            panic!("write closure panicked on purpose");
        });
        journal.run("CA4", |conn| {
            conn.execute("INSERT INTO notes VALUES ('after')", [])?;
            Ok(())
        });
        journal.flush().await;

        let notes: Vec<String> = store
            .with_connection(|conn| {
                let mut statement = conn.prepare("SELECT text FROM notes ORDER BY rowid")?;
                let rows = statement.query_map([], |row| row.get(0))?;
                rows.collect()
            })
            .unwrap();
        assert_eq!(notes, vec!["kept".to_owned(), "after".to_owned()]);
        assert_eq!(journal.write_errors(), 2);
    }

    #[test]
    fn dropping_handles_drains_queue() {
        let store = Store::open_in_memory().unwrap();
        let (journal, writer) = spawn_writer(store.clone()).unwrap();
        let second = journal.clone();

        journal.call_started(call_start("CA1"));
        for index in 0..50 {
            second.event("CA1", "state", json!({"index": index}));
        }
        second.call_ended("CA1", "hangup");
        drop(journal);
        drop(second);
        writer.join().expect("writer thread ends without panicking");

        let record = store.call("CA1").unwrap().unwrap();
        assert_eq!(record.events.len(), 50);
        assert_eq!(record.events[49].data["index"], 49);
        assert_eq!(record.end_reason.as_deref(), Some("hangup"));
    }
}
