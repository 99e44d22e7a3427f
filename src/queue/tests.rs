//! Queue behaviour driven through the public service with a manual clock.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use super::*;
use crate::storage::Store;

struct Fixture {
    queue: QueueService,
    clock: Arc<ManualClock>,
    store: Store,
}

fn fixture() -> Fixture {
    let store = Store::open_in_memory().unwrap();
    let clock = Arc::new(ManualClock::new());
    let queue =
        QueueService::start_with_clock(store.clone(), QueueConfig::default(), clock.clone());
    Fixture {
        queue,
        clock,
        store,
    }
}

impl Fixture {
    fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
        self.queue.run_due_timers();
    }

    /// Registers an agent, opens their console stream and makes them Available.
    fn online_agent(&self, id: &str, languages: &[&str]) -> UnboundedReceiver<AgentEvent> {
        self.queue.register_agent(profile(id, languages));
        let mut events = self.queue.agent_events(id).unwrap();
        self.queue.set_state(id, AgentState::Available).unwrap();
        assert_eq!(
            drain(&mut events),
            vec![
                AgentEvent::StateChanged {
                    state: AgentState::Away
                },
                AgentEvent::StateChanged {
                    state: AgentState::Available
                },
            ]
        );
        events
    }

    fn enqueue(&self, call_sid: &str, priority: i32) -> (Ticket, UnboundedReceiver<HandoffEvent>) {
        self.queue
            .enqueue(request(call_sid, priority, "es"))
            .unwrap()
    }

    fn agent_state(&self, agent_id: &str) -> AgentState {
        let agents = self.queue.agents();
        agents
            .iter()
            .find(|agent| agent.profile.id == agent_id)
            .unwrap()
            .state
    }

    /// Returns (outcome, wait_secs, agent_id, end_reason) of the call's queue entry.
    async fn entry_row(&self, call_sid: &str) -> EntryRow {
        self.queue.flush().await;
        let call_sid = call_sid.to_owned();
        self.store
            .with_connection(move |conn| {
                conn.query_row(
                    "SELECT outcome, wait_secs, agent_id, end_reason FROM queue_entries
                     WHERE call_sid = ?1",
                    [call_sid],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
            })
            .unwrap()
    }

    async fn query_strings(&self, sql: &'static str, call_sid: &str) -> Vec<String> {
        self.queue.flush().await;
        let call_sid = call_sid.to_owned();
        self.store
            .with_connection(move |conn| {
                let mut statement = conn.prepare(sql)?;
                statement
                    .query_map([call_sid], |row| row.get::<_, String>(0))?
                    .collect()
            })
            .unwrap()
    }
}

type EntryRow = (Option<String>, Option<i64>, Option<String>, Option<String>);

fn request(call_sid: &str, priority: i32, language: &str) -> HandoffRequest {
    HandoffRequest {
        call_sid: call_sid.to_owned(),
        reason: "requested".to_owned(),
        context: serde_json::json!({ "account": "ACC-1" }),
        language: language.to_owned(),
        priority,
    }
}

fn profile(id: &str, languages: &[&str]) -> AgentProfile {
    AgentProfile {
        id: id.to_owned(),
        name: format!("Agent {id}"),
        languages: languages
            .iter()
            .map(|language| language.to_string())
            .collect(),
        role: AgentRole::Agent,
    }
}

fn drain<T>(receiver: &mut UnboundedReceiver<T>) -> Vec<T> {
    let mut items = Vec::new();
    while let Ok(item) = receiver.try_recv() {
        items.push(item);
    }
    items
}

/// Returns the call ids offered among the pending events, ignoring state changes.
fn offers(events: &mut UnboundedReceiver<AgentEvent>) -> Vec<String> {
    drain(events)
        .into_iter()
        .filter_map(|event| match event {
            AgentEvent::Offered { call } => Some(call.call_sid),
            _ => None,
        })
        .collect()
}

fn positions(events: &mut UnboundedReceiver<HandoffEvent>) -> Vec<usize> {
    drain(events)
        .into_iter()
        .filter_map(|event| match event {
            HandoffEvent::Position { position, .. } => Some(position),
            _ => None,
        })
        .collect()
}

fn expect_connected(events: &mut UnboundedReceiver<HandoffEvent>) -> (String, String, AgentLink) {
    for event in drain(events) {
        if let HandoffEvent::Connected {
            agent_id,
            agent_name,
            link,
        } = event
        {
            return (agent_id, agent_name, link);
        }
    }
    panic!("no Connected event");
}

#[tokio::test]
async fn waiting_order_priority_then_fifo() {
    let f = fixture();
    let _tickets: Vec<_> = [("CA1", 0), ("CA2", 5), ("CA3", 0), ("CA4", 5)]
        .into_iter()
        .map(|(call_sid, priority)| f.enqueue(call_sid, priority))
        .collect();

    let waiting = f.queue.waiting_calls();

    let order: Vec<&str> = waiting.iter().map(|call| call.call_sid.as_str()).collect();
    assert_eq!(order, ["CA2", "CA4", "CA1", "CA3"]);
    let places: Vec<usize> = waiting.iter().map(|call| call.position).collect();
    assert_eq!(places, [1, 2, 3, 4]);
    assert!(waiting.iter().all(|call| call.offered_to.is_none()));
}

#[tokio::test]
async fn position_sent_at_once_and_every_interval() {
    let f = fixture();
    let (_first, mut first_events) = f.enqueue("CA1", 0);
    let (_second, mut second_events) = f.enqueue("CA2", 0);

    assert_eq!(positions(&mut first_events), [1]);
    assert_eq!(positions(&mut second_events), [2]);

    f.advance(29);
    assert_eq!(positions(&mut second_events), Vec::<usize>::new());

    f.advance(1);
    assert_eq!(positions(&mut second_events), [2]);
    assert_eq!(positions(&mut first_events), [1]);

    f.advance(30);
    assert_eq!(positions(&mut second_events), [2]);
}

#[tokio::test]
async fn offer_needs_language_skill() {
    let f = fixture();
    let mut english = f.online_agent("ana", &["en"]);
    let mut spanish = f.online_agent("bea", &["en", "ES"]);

    let (_ticket, _events) = f.enqueue("CA1", 0);
    let (_french, _french_events) = f.queue.enqueue(request("CA2", 9, "fr")).unwrap();

    assert_eq!(offers(&mut english), Vec::<String>::new());
    assert_eq!(offers(&mut spanish), ["CA1"]);
    let waiting = f.queue.waiting_calls();
    assert_eq!(waiting[0].call_sid, "CA2");
    assert_eq!(waiting[0].offered_to, None);
    assert_eq!(waiting[1].offered_to.as_deref(), Some("bea"));
}

#[tokio::test]
async fn longest_idle_agent_offered_first() {
    let f = fixture();
    let mut bea = f.online_agent("bea", &["es"]);
    f.advance(5);
    let mut ana = f.online_agent("ana", &["es"]);

    let (_first, _first_events) = f.enqueue("CA1", 0);
    assert_eq!(offers(&mut bea), ["CA1"]);
    assert_eq!(offers(&mut ana), Vec::<String>::new());

    // One offer per agent: the second call goes to the other agent.
    let (_second, _second_events) = f.enqueue("CA2", 0);
    assert_eq!(offers(&mut ana), ["CA2"]);
    assert_eq!(offers(&mut bea), Vec::<String>::new());
}

#[tokio::test]
async fn agent_without_console_not_offered() {
    let f = fixture();
    f.queue.register_agent(profile("ana", &["es"]));
    f.queue.set_state("ana", AgentState::Available).unwrap();

    let (_ticket, _events) = f.enqueue("CA1", 0);
    assert_eq!(f.queue.waiting_calls()[0].offered_to, None);

    let mut ana = f.queue.agent_events("ana").unwrap();
    assert_eq!(offers(&mut ana), ["CA1"]);
}

#[tokio::test]
async fn offer_timeout_moves_to_next_agent() {
    let f = fixture();
    let mut ana = f.online_agent("ana", &["es"]);
    f.advance(1);
    let mut bea = f.online_agent("bea", &["es"]);
    let (_ticket, _events) = f.enqueue("CA1", 0);
    assert_eq!(offers(&mut ana), ["CA1"]);

    f.advance(19);
    assert_eq!(drain(&mut ana), Vec::new());
    assert_eq!(offers(&mut bea), Vec::<String>::new());

    f.advance(1);
    assert_eq!(
        drain(&mut ana),
        vec![
            AgentEvent::OfferWithdrawn {
                call_sid: "CA1".to_owned()
            },
            AgentEvent::StateChanged {
                state: AgentState::Away
            },
        ]
    );
    assert_eq!(offers(&mut bea), ["CA1"]);
    assert_eq!(
        f.queue.waiting_calls()[0].offered_to.as_deref(),
        Some("bea")
    );
    let ends = f
        .query_strings(
            "SELECT agent_id || ':' || COALESCE(end_reason, '-') FROM queue_assignments
             WHERE call_sid = ?1 ORDER BY id",
            "CA1",
        )
        .await;
    assert_eq!(ends, ["ana:offer_timeout", "bea:-"]);
}

#[tokio::test]
async fn accept_links_audio_both_ways() {
    let f = fixture();
    let mut ana = f.online_agent("ana", &["es"]);
    let (_ticket, mut events) = f.enqueue("CA1", 0);
    assert_eq!(offers(&mut ana), ["CA1"]);
    f.advance(7);

    let mut agent_end = f.queue.accept("ana", "CA1").unwrap();

    let (agent_id, agent_name, mut link) = expect_connected(&mut events);
    assert_eq!(agent_id, "ana");
    assert_eq!(agent_name, "Agent ana");
    link.to_agent.try_send(vec![1, -2, 3]).unwrap();
    assert_eq!(agent_end.from_caller.recv().await.unwrap(), vec![1, -2, 3]);
    agent_end.to_caller.try_send(vec![-7, 8]).unwrap();
    assert_eq!(link.from_agent.recv().await.unwrap(), vec![-7, 8]);

    assert_eq!(f.agent_state("ana"), AgentState::OnCall);
    assert!(f.queue.waiting_calls().is_empty());
    let row = f.entry_row("CA1").await;
    assert_eq!(
        row,
        (Some("answered".into()), Some(7), Some("ana".into()), None)
    );
    let accepted = f
        .query_strings(
            "SELECT agent_id FROM queue_assignments WHERE call_sid = ?1 AND accepted_at IS NOT NULL",
            "CA1",
        )
        .await;
    assert_eq!(accepted, ["ana"]);
}

#[tokio::test]
async fn accept_rejects_call_offered_to_another() {
    let f = fixture();
    let mut ana = f.online_agent("ana", &["es"]);
    f.advance(1);
    let _bea = f.online_agent("bea", &["es"]);
    let (_ticket, _events) = f.enqueue("CA1", 0);
    assert_eq!(offers(&mut ana), ["CA1"]);

    let error = f.queue.accept("bea", "CA1").unwrap_err();

    assert!(
        matches!(error, QueueError::OfferedToAnother { ref offered_to, .. } if offered_to == "ana")
    );
    assert!(matches!(
        f.queue.accept("ana", "CA9"),
        Err(QueueError::CallNotWaiting { .. })
    ));
    assert!(matches!(
        f.queue.accept("eva", "CA1"),
        Err(QueueError::UnknownAgent { .. })
    ));
}

#[tokio::test]
async fn caller_hangs_up_while_waiting() {
    let f = fixture();
    let (ticket, _events) = f.enqueue("CA1", 0);
    f.advance(42);

    ticket.leave(LeaveReason::CallerHungUp);

    assert!(f.queue.waiting_calls().is_empty());
    let row = f.entry_row("CA1").await;
    assert_eq!(row, (Some("abandoned".into()), Some(42), None, None));
}

#[tokio::test]
async fn caller_hangs_up_while_offered() {
    let f = fixture();
    let mut ana = f.online_agent("ana", &["es"]);
    let (ticket, _events) = f.enqueue("CA1", 0);
    let (_other, _other_events) = f.enqueue("CA2", 0);
    assert_eq!(offers(&mut ana), ["CA1"]);

    ticket.leave(LeaveReason::CallerHungUp);

    let events = drain(&mut ana);
    assert_eq!(
        events[0],
        AgentEvent::CallerLeft {
            call_sid: "CA1".to_owned()
        }
    );
    assert!(matches!(&events[1], AgentEvent::Offered { call } if call.call_sid == "CA2"));
    assert_eq!(events.len(), 2);
    assert_eq!(f.agent_state("ana"), AgentState::Available);
}

#[tokio::test]
async fn caller_hangs_up_while_connected() {
    let f = fixture();
    let mut ana = f.online_agent("ana", &["es"]);
    let (ticket, _events) = f.enqueue("CA1", 0);
    f.queue.accept("ana", "CA1").unwrap();
    drain(&mut ana);

    ticket.leave(LeaveReason::CallerHungUp);

    assert_eq!(
        drain(&mut ana),
        vec![
            AgentEvent::CallerLeft {
                call_sid: "CA1".to_owned()
            },
            AgentEvent::StateChanged {
                state: AgentState::WrapUp
            },
        ]
    );
    // The entry keeps its answered outcome: the caller reached a person.
    let row = f.entry_row("CA1").await;
    assert_eq!(row.0.as_deref(), Some("answered"));
    let ends = f
        .query_strings(
            "SELECT end_reason FROM queue_assignments WHERE call_sid = ?1",
            "CA1",
        )
        .await;
    assert_eq!(ends, ["caller_left"]);
}

#[tokio::test]
async fn dropped_ticket_ends_entry() {
    let f = fixture();
    let (ticket, _events) = f.enqueue("CA1", 0);

    drop(ticket);

    assert!(f.queue.waiting_calls().is_empty());
    let row = f.entry_row("CA1").await;
    assert_eq!(
        row,
        (Some("ended".into()), Some(0), None, Some("dropped".into()))
    );
}

#[tokio::test]
async fn second_enqueue_rejected() {
    let f = fixture();
    let (_ticket, _events) = f.enqueue("CA1", 0);

    let error = f.queue.enqueue(request("CA1", 0, "es")).unwrap_err();

    assert!(matches!(error, QueueError::AlreadyQueued { ref call_sid } if call_sid == "CA1"));
    assert_eq!(f.queue.waiting_calls().len(), 1);
}

#[tokio::test]
async fn max_wait_then_callback_stored() {
    let f = fixture();
    let (ticket, mut events) = f.enqueue("CA1", 0);
    drain(&mut events);

    f.advance(179);
    assert!(
        !drain(&mut events)
            .iter()
            .any(|e| matches!(e, HandoffEvent::MaxWaitReached))
    );
    f.advance(1);
    let reached = drain(&mut events)
        .iter()
        .filter(|e| matches!(e, HandoffEvent::MaxWaitReached))
        .count();
    assert_eq!(reached, 1);

    // The call keeps its place until the session decides.
    assert_eq!(f.queue.waiting_calls().len(), 1);
    f.advance(60);
    assert!(
        !drain(&mut events)
            .iter()
            .any(|e| matches!(e, HandoffEvent::MaxWaitReached))
    );

    ticket.leave(LeaveReason::CallbackRequested {
        window: "mañana por la mañana".to_owned(),
    });

    let windows = f
        .query_strings(
            "SELECT window FROM queue_callbacks WHERE call_sid = ?1",
            "CA1",
        )
        .await;
    assert_eq!(windows, ["mañana por la mañana"]);
    let row = f.entry_row("CA1").await;
    assert_eq!(row, (Some("callback".into()), Some(240), None, None));
}

#[tokio::test]
async fn hold_and_hang_up_reach_session() {
    let f = fixture();
    let mut ana = f.online_agent("ana", &["es"]);
    let (_ticket, mut events) = f.enqueue("CA1", 0);
    assert!(matches!(
        f.queue.hold("ana", true),
        Err(QueueError::InvalidAgentState { .. })
    ));
    f.queue.accept("ana", "CA1").unwrap();
    drain(&mut events);
    drain(&mut ana);

    f.queue.hold("ana", true).unwrap();
    f.queue.hold("ana", false).unwrap();
    f.queue.hang_up("ana").unwrap();

    let events = drain(&mut events);
    assert!(matches!(events[0], HandoffEvent::Hold(true)));
    assert!(matches!(events[1], HandoffEvent::Hold(false)));
    assert!(matches!(events[2], HandoffEvent::AgentHungUp));
    assert_eq!(events.len(), 3);
    assert_eq!(f.agent_state("ana"), AgentState::WrapUp);

    f.advance(29);
    assert_eq!(f.agent_state("ana"), AgentState::WrapUp);
    f.advance(1);
    assert_eq!(f.agent_state("ana"), AgentState::Available);
    let ends = f
        .query_strings(
            "SELECT end_reason FROM queue_assignments WHERE call_sid = ?1",
            "CA1",
        )
        .await;
    assert_eq!(ends, ["agent_hung_up"]);
}

#[tokio::test]
async fn disposition_stored_and_agent_available() {
    let f = fixture();
    let mut ana = f.online_agent("ana", &["es"]);
    let (_ticket, _events) = f.enqueue("CA1", 0);
    f.queue.accept("ana", "CA1").unwrap();
    f.queue.hang_up("ana").unwrap();
    drain(&mut ana);

    let wrong = f
        .queue
        .set_disposition("ana", "CA2", Disposition::Paid, String::new());
    assert!(matches!(wrong, Err(QueueError::NotAgentsCall { .. })));
    f.queue
        .set_disposition("ana", "CA1", Disposition::PlanAgreed, "3 plazos".to_owned())
        .unwrap();

    assert_eq!(
        drain(&mut ana),
        vec![AgentEvent::StateChanged {
            state: AgentState::Available
        }]
    );
    let stored = f
        .query_strings(
            "SELECT agent_id || ':' || disposition || ':' || note FROM queue_dispositions
             WHERE call_sid = ?1",
            "CA1",
        )
        .await;
    assert_eq!(stored, ["ana:plan_agreed:3 plazos"]);
}

#[tokio::test]
async fn disposition_during_call_skips_wrap_up() {
    let f = fixture();
    let _ana = f.online_agent("ana", &["es"]);
    let (_ticket, _events) = f.enqueue("CA1", 0);
    f.queue.accept("ana", "CA1").unwrap();

    f.queue
        .set_disposition("ana", "CA1", Disposition::Promise, String::new())
        .unwrap();
    assert_eq!(f.agent_state("ana"), AgentState::OnCall);
    f.queue.hang_up("ana").unwrap();

    assert_eq!(f.agent_state("ana"), AgentState::Available);
}

#[tokio::test]
async fn set_state_guards() {
    let f = fixture();
    let mut ana = f.online_agent("ana", &["es"]);
    let (_ticket, _events) = f.enqueue("CA1", 0);
    assert_eq!(offers(&mut ana), ["CA1"]);

    let not_settable = f.queue.set_state("ana", AgentState::OnCall);
    assert!(matches!(
        not_settable,
        Err(QueueError::StateNotSettable { .. })
    ));

    f.queue.set_state("ana", AgentState::Away).unwrap();
    assert_eq!(
        drain(&mut ana),
        vec![
            AgentEvent::OfferWithdrawn {
                call_sid: "CA1".to_owned()
            },
            AgentEvent::StateChanged {
                state: AgentState::Away
            },
        ]
    );
    assert_eq!(f.queue.waiting_calls()[0].offered_to, None);

    f.queue.set_state("ana", AgentState::Available).unwrap();
    f.queue.accept("ana", "CA1").unwrap();
    let busy = f.queue.set_state("ana", AgentState::Away);
    assert!(matches!(
        busy,
        Err(QueueError::InvalidAgentState {
            state: AgentState::OnCall,
            ..
        })
    ));
}

#[tokio::test]
async fn stats_counts_and_answer_share() {
    let f = fixture();
    let _ana = f.online_agent("ana", &["es"]);
    f.queue.register_agent(profile("bea", &["es"]));
    let (_first, _e1) = f.enqueue("CA1", 0);
    let (_second, _e2) = f.enqueue("CA2", 0);
    let (third, _e3) = f
        .queue
        .enqueue(HandoffRequest {
            reason: "dispute".to_owned(),
            ..request("CA3", 0, "es")
        })
        .unwrap();

    f.advance(10);
    f.queue.accept("ana", "CA1").unwrap();
    f.advance(190);
    f.queue.hang_up("ana").unwrap();
    f.queue
        .set_disposition("ana", "CA1", Disposition::Paid, String::new())
        .unwrap();
    f.queue.accept("ana", "CA2").unwrap();
    third.leave(LeaveReason::CallerHungUp);
    let (_fourth, _e4) = f.enqueue("CA4", 0);
    f.advance(5);

    let stats = f.queue.stats().await.unwrap();

    assert_eq!(stats.waiting, 1);
    assert_eq!(stats.longest_wait_secs, 5);
    assert_eq!(
        stats.agents_by_state,
        AgentCounts {
            available: 0,
            on_call: 1,
            wrap_up: 0,
            away: 1
        }
    );
    assert_eq!(stats.handed_off_today, 4);
    assert_eq!(
        stats.handed_off_today_by_reason,
        vec![("requested".to_owned(), 3), ("dispute".to_owned(), 1)]
    );
    // CA1 waited 10 s, CA2 200 s, CA3 was abandoned; CA4 waits but is within the target.
    assert_eq!(stats.answered_within_3_min_today, 1);
    let share = stats.share_answered_within_3_min.unwrap();
    assert!((share - 1.0 / 3.0).abs() < 1e-9, "share {share}");
}

#[tokio::test]
async fn stats_without_handoffs_has_no_share() {
    let f = fixture();

    let stats = f.queue.stats().await.unwrap();

    assert_eq!(stats.handed_off_today, 0);
    assert_eq!(stats.share_answered_within_3_min, None);
}

#[tokio::test]
async fn restart_closes_open_entries() {
    let f = fixture();
    let (ticket, _events) = f.enqueue("CA1", 0);
    f.queue.flush().await;
    std::mem::forget(ticket);

    let restarted = QueueService::start(f.store.clone(), QueueConfig::default());
    restarted.flush().await;

    let row = f.entry_row("CA1").await;
    assert_eq!(row.0.as_deref(), Some("ended"));
    assert_eq!(row.3.as_deref(), Some("server_restart"));
}

#[tokio::test]
async fn reconnected_console_gets_pending_offer() {
    let f = fixture();
    let mut first = f.online_agent("ana", &["es"]);
    let (_ticket, _events) = f.enqueue("CA1", 0);
    assert_eq!(offers(&mut first), ["CA1"]);

    let mut second = f.queue.agent_events("ana").unwrap();

    let events = drain(&mut second);
    assert_eq!(
        events[0],
        AgentEvent::StateChanged {
            state: AgentState::Available
        }
    );
    assert!(matches!(&events[1], AgentEvent::Offered { call } if call.call_sid == "CA1"));
    assert_eq!(events.len(), 2);
}

#[tokio::test]
async fn old_ticket_spares_new_entry() {
    let f = fixture();
    let _ana = f.online_agent("ana", &["es"]);
    let (old_ticket, _old_events) = f.enqueue("CA1", 0);
    f.queue.accept("ana", "CA1").unwrap();
    f.queue.hang_up("ana").unwrap();

    let (_new_ticket, _new_events) = f.enqueue("CA1", 0);
    old_ticket.leave(LeaveReason::CallerHungUp);

    let waiting = f.queue.waiting_calls();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].call_sid, "CA1");
    let outcomes = f
        .query_strings(
            "SELECT COALESCE(outcome, 'open') FROM queue_entries WHERE call_sid = ?1 ORDER BY id",
            "CA1",
        )
        .await;
    assert_eq!(outcomes, ["answered", "open"]);
}

#[tokio::test]
async fn timer_task_sends_due_events() {
    let store = Store::open_in_memory().unwrap();
    let config = QueueConfig {
        max_wait_secs: 0,
        ..QueueConfig::default()
    };
    let queue = QueueService::start(store, config);
    let (_ticket, mut events) = queue.enqueue(request("CA1", 0, "es")).unwrap();

    // Nothing calls run_due_timers here, so only the timer task can send the notice.
    // The timeout only keeps a broken timer task from hanging the test run.
    let reached = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.recv().await {
            if matches!(event, HandoffEvent::MaxWaitReached) {
                return true;
            }
        }
        false
    })
    .await;

    assert_eq!(reached.ok(), Some(true));
}
