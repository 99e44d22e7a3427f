//! [`QueueService`]: the handle shared by call sessions and the agent console, and the
//! timer task behind it.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use chrono::{Local, Utc};
use tokio::sync::{Notify, mpsc};

use super::clock::{Clock, SystemClock};
use super::persist::{self, EntryExit, Writer};
use super::state::{Agent, EntryStatus, State};
use super::stats::{ANSWER_TARGET_SECS, AgentCounts, QueueStats};
use super::{
    AgentCallLink, AgentEvent, AgentLink, AgentProfile, AgentState, Disposition, HandoffEvent,
    HandoffRequest, LeaveReason, QueueConfig, QueueError, WaitingCall,
};
use crate::storage::{Store, format_timestamp};

/// Capacity of each direction of a warm-transfer audio link, in 20 ms frames (1 s).
pub const AUDIO_LINK_FRAMES: usize = 50;

/// The handoff queue. Clones share one queue.
///
/// Operations are synchronous and short: they change the in-memory state under a lock,
/// send events on unbounded channels and queue database writes for a writer task.
#[derive(Clone)]
pub struct QueueService {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    store: Store,
    writer: Writer,
}

// The timer task holds only a weak reference, so it is woken to notice the last drop.
impl Drop for Inner {
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

/// A registered agent as the supervisor sees them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AgentSnapshot {
    /// The agent's profile.
    pub profile: AgentProfile,
    /// The agent's state.
    pub state: AgentState,
    /// The call offered to the agent, if any.
    pub offered_call: Option<String>,
    /// The call the agent is on or wrapping up, if any.
    pub current_call: Option<String>,
}

impl std::fmt::Debug for QueueService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueService").finish_non_exhaustive()
    }
}

impl QueueService {
    /// Starts the queue with the system clock. Must be called within a tokio runtime,
    /// because it spawns the timer and database writer tasks.
    ///
    /// Entries and assignments left open by a previous process are closed with the end
    /// reason `server_restart`.
    pub fn start(store: Store, config: QueueConfig) -> QueueService {
        QueueService::start_with_clock(store, config, Arc::new(SystemClock))
    }

    /// Starts the queue with `clock`; tests pass a [`super::ManualClock`] and call
    /// [`QueueService::run_due_timers`] after advancing it.
    pub fn start_with_clock(
        store: Store,
        config: QueueConfig,
        clock: Arc<dyn Clock>,
    ) -> QueueService {
        let writer = Writer::spawn(store.clone());
        writer.run("", |conn| persist::close_stale(conn, Utc::now()));

        let wake = Arc::new(Notify::new());
        let inner = Arc::new(Inner {
            state: Mutex::new(State::new(config, writer.clone())),
            clock,
            wake: wake.clone(),
            store,
            writer,
        });
        tokio::spawn(run_timer_task(Arc::downgrade(&inner), wake));
        QueueService { inner }
    }

    /// Puts a call in the queue. The receiver gets a `Position` at once and then every
    /// `position_interval_secs` while the call waits, and later the other
    /// [`HandoffEvent`]s. Fails when the call is already queued.
    pub fn enqueue(
        &self,
        request: HandoffRequest,
    ) -> Result<(Ticket, mpsc::UnboundedReceiver<HandoffEvent>), QueueError> {
        let call_sid = request.call_sid.clone();
        let (events, receiver) = mpsc::unbounded_channel();
        let seq = {
            let now = self.now();
            let mut state = self.lock();
            if state.entries.contains_key(&call_sid) {
                return Err(QueueError::AlreadyQueued { call_sid });
            }
            tracing::info!(
                call_sid,
                reason = %request.reason,
                language = %request.language,
                priority = request.priority,
                "call joined the handoff queue"
            );
            state.insert_entry(request, events, now)
        };
        self.wake_timers();

        let ticket = Ticket {
            service: self.clone(),
            call_sid,
            seq,
            left: false,
        };
        Ok((ticket, receiver))
    }

    /// Registers an agent, or updates the profile of a registered one. A new agent is
    /// `Away` until [`QueueService::set_state`] makes them `Available`.
    pub fn register_agent(&self, agent: AgentProfile) {
        let now = self.now();
        let mut state = self.lock();
        match state.agents.get_mut(&agent.id) {
            Some(known) => known.profile = agent,
            None => {
                tracing::info!(agent_id = %agent.id, "agent registered");
                state
                    .agents
                    .insert(agent.id.clone(), Agent::new(agent, now));
            }
        }
    }

    /// Returns the event stream of an agent's console. A new stream replaces the previous
    /// one, and calls are offered only to agents with an open stream. The stream starts
    /// with the agent's current `StateChanged` and, if a call is offered to the agent,
    /// that `Offered`, so a reconnecting console catches up.
    pub fn agent_events(
        &self,
        agent_id: &str,
    ) -> Result<mpsc::UnboundedReceiver<AgentEvent>, QueueError> {
        let (events, receiver) = mpsc::unbounded_channel();
        {
            let now = self.now();
            let mut state = self.lock();
            let agent = known_agent(&mut state, agent_id)?;
            agent.set_events(events);
            agent.send(AgentEvent::StateChanged { state: agent.state });

            let pending = agent.offered_call().map(str::to_owned);
            let call = pending.and_then(|call_sid| state.waiting_call(&call_sid, now));
            if let (Some(call), Some(agent)) = (call, state.agents.get(agent_id)) {
                agent.send(AgentEvent::Offered { call });
            }
            state.dispatch(now);
        }
        self.wake_timers();
        Ok(receiver)
    }

    /// Sets an agent `Available` or `Away`. Going `Away` withdraws a pending offer.
    /// `OnCall` and `WrapUp` follow accept and hang-up and cannot be set, and an agent on
    /// a call must hang up first.
    pub fn set_state(&self, agent_id: &str, new_state: AgentState) -> Result<(), QueueError> {
        if matches!(new_state, AgentState::OnCall | AgentState::WrapUp) {
            return Err(QueueError::StateNotSettable { state: new_state });
        }
        {
            let now = self.now();
            let mut state = self.lock();
            let agent = known_agent(&mut state, agent_id)?;
            if agent.state == AgentState::OnCall {
                return Err(QueueError::InvalidAgentState {
                    agent_id: agent_id.to_owned(),
                    state: agent.state,
                    operation: "a state change",
                });
            }
            let offered_call = agent.offered_call().map(str::to_owned);
            if let (AgentState::Away, Some(call_sid)) = (new_state, offered_call) {
                let event = AgentEvent::OfferWithdrawn {
                    call_sid: call_sid.clone(),
                };
                state.withdraw_offer(&call_sid, event, "agent_away");
            }
            state.set_agent_state(agent_id, new_state, now);
            state.dispatch(now);
        }
        self.wake_timers();
        Ok(())
    }

    /// Returns the waiting calls in service order, including those currently offered.
    pub fn waiting_calls(&self) -> Vec<WaitingCall> {
        let now = self.now();
        let state = self.lock();
        state
            .waiting_order()
            .iter()
            .filter_map(|call_sid| state.waiting_call(call_sid, now))
            .collect()
    }

    /// Returns every registered agent, sorted by id.
    pub fn agents(&self) -> Vec<AgentSnapshot> {
        let state = self.lock();
        let mut agents: Vec<AgentSnapshot> = state
            .agents
            .values()
            .map(|agent| AgentSnapshot {
                profile: agent.profile.clone(),
                state: agent.state,
                offered_call: agent.offered_call().map(str::to_owned),
                current_call: matches!(agent.state, AgentState::OnCall | AgentState::WrapUp)
                    .then(|| agent.last_call().map(str::to_owned))
                    .flatten(),
            })
            .collect();
        agents.sort_by(|a, b| a.profile.id.cmp(&b.profile.id));
        agents
    }

    /// Connects an `Available` agent with a waiting call: the call offered to them, or any
    /// waiting call not offered to someone else. Sends `Connected` to the session and
    /// returns the agent's end of the audio link. A pending offer of another call to this
    /// agent is withdrawn.
    pub fn accept(&self, agent_id: &str, call_sid: &str) -> Result<AgentCallLink, QueueError> {
        let result = {
            let now = self.now();
            let mut state = self.lock();
            accept_locked(&mut state, agent_id, call_sid, now)
        };
        self.wake_timers();
        result
    }

    /// Puts the caller of the agent's current call on hold (`true`) or takes them back.
    pub fn hold(&self, agent_id: &str, on_hold: bool) -> Result<(), QueueError> {
        let state = self.lock();
        let call_sid = current_call(&state, agent_id, "hold")?;
        let Some(entry) = state.entries.get(&call_sid) else {
            return Err(QueueError::SessionGone { call_sid });
        };
        if entry.events.send(HandoffEvent::Hold(on_hold)).is_err() {
            return Err(QueueError::SessionGone { call_sid });
        }
        tracing::info!(call_sid, agent_id, on_hold, "agent changed hold");
        Ok(())
    }

    /// Ends the agent's current call: sends `AgentHungUp` to the session and puts the
    /// agent in `WrapUp` (or `Available` if the disposition is already stored).
    pub fn hang_up(&self, agent_id: &str) -> Result<(), QueueError> {
        {
            let now = self.now();
            let mut state = self.lock();
            let call_sid = current_call(&state, agent_id, "hang_up")?;
            let since = match state.entries.remove(&call_sid) {
                Some(entry) => {
                    // A closed channel means the session is already ending.
                    let _ = entry.events.send(HandoffEvent::AgentHungUp);
                    match entry.status {
                        EntryStatus::Connected { since, .. } => since,
                        EntryStatus::Waiting { .. } => now,
                    }
                }
                None => now,
            };
            tracing::info!(call_sid, agent_id, "agent hung up");
            state.end_assignment(&call_sid, agent_id, "agent_hung_up");
            state.finish_call(agent_id, since, now);
            state.dispatch(now);
        }
        self.wake_timers();
        Ok(())
    }

    /// Stores the result of the agent's current or last call. An agent in `WrapUp` becomes
    /// `Available`, and one still on the call skips wrap-up after hanging up.
    pub fn set_disposition(
        &self,
        agent_id: &str,
        call_sid: &str,
        disposition: Disposition,
        note: String,
    ) -> Result<(), QueueError> {
        {
            let now = self.now();
            let mut state = self.lock();
            let agent = known_agent(&mut state, agent_id)?;
            if agent.last_call() != Some(call_sid) {
                return Err(QueueError::NotAgentsCall {
                    agent_id: agent_id.to_owned(),
                    call_sid: call_sid.to_owned(),
                });
            }
            agent.mark_disposition_stored();
            let agent_state = agent.state;

            tracing::info!(
                call_sid,
                agent_id,
                disposition = disposition.as_str(),
                "disposition stored"
            );
            let (sid, agent, at) = (call_sid.to_owned(), agent_id.to_owned(), Utc::now());
            state.writer.run(call_sid, move |conn| {
                persist::insert_disposition(conn, &sid, &agent, disposition.as_str(), &note, at)
            });

            if agent_state == AgentState::WrapUp {
                state.set_agent_state(agent_id, AgentState::Available, now);
                state.dispatch(now);
            }
        }
        self.wake_timers();
        Ok(())
    }

    /// Returns the live queue figures and today's counts, read from the database after
    /// every queued write is done.
    pub async fn stats(&self) -> Result<QueueStats, QueueError> {
        let (day_start, day_end) = persist::local_day_bounds(Local::now());
        let (waiting, longest_wait_secs, agents_by_state, waiting_past_target) = {
            let now = self.now();
            let state = self.lock();
            let waits: Vec<(u64, String)> = state
                .entries
                .values()
                .filter(|entry| entry.is_waiting())
                .map(|entry| {
                    let waited = State::waited(entry, now).as_secs();
                    (waited, format_timestamp(entry.enqueued_wall))
                })
                .collect();
            let past_target = waits
                .iter()
                .filter(|(waited, at)| {
                    *waited > ANSWER_TARGET_SECS && *at >= day_start && *at < day_end
                })
                .count() as u64;
            let longest = waits.iter().map(|(waited, _)| *waited).max().unwrap_or(0);
            (waits.len(), longest, count_agents(&state), past_target)
        };

        self.flush().await;
        let store = self.inner.store.clone();
        let counts = tokio::task::spawn_blocking(move || {
            store.with_connection(|conn| {
                persist::daily_counts(conn, Local::now(), ANSWER_TARGET_SECS)
            })
        })
        .await??;

        let decided = counts.left_queue + waiting_past_target;
        let share = (decided > 0).then(|| counts.answered_within_target as f64 / decided as f64);
        Ok(QueueStats {
            waiting,
            longest_wait_secs,
            agents_by_state,
            handed_off_today_by_reason: counts.by_reason,
            answered_within_3_min_today: counts.answered_within_target,
            handed_off_today: counts.handed_off,
            share_answered_within_3_min: share,
        })
    }

    /// Waits until every database write queued so far is done (or has failed and been
    /// logged). Call it before shutdown.
    pub async fn flush(&self) {
        self.inner.writer.flush().await;
    }

    /// Runs the timers due at the clock's current instant. The timer task does this on its
    /// own; tests with a manual clock call it after advancing the clock.
    pub fn run_due_timers(&self) {
        let now = self.now();
        self.lock().run_timers(now);
        self.wake_timers();
    }

    fn leave(&self, call_sid: &str, seq: u64, reason: LeaveReason) {
        {
            let now = self.now();
            let mut state = self.lock();
            leave_locked(&mut state, call_sid, seq, &reason, now);
        }
        self.wake_timers();
    }

    fn now(&self) -> Instant {
        self.inner.clock.now()
    }

    // A panic while the lock was held leaves the state as it was at that point, which is
    // still consistent enough to serve the other calls, so the guard is taken over.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wake_timers(&self) {
        self.inner.wake.notify_one();
    }
}

/// A call's place in the queue, held by its session.
///
/// Dropping the ticket without [`Ticket::leave`] takes the call out as
/// `Ended { reason: "dropped" }`.
#[derive(Debug)]
pub struct Ticket {
    service: QueueService,
    call_sid: String,
    seq: u64,
    left: bool,
}

impl Ticket {
    /// Returns the queued call's id.
    pub fn call_sid(&self) -> &str {
        &self.call_sid
    }

    /// Takes the call out of the queue at once. An agent to whom the call was offered, or
    /// who was talking to the caller, gets `CallerLeft`. A callback request is stored even
    /// after the call was answered.
    pub fn leave(mut self, reason: LeaveReason) {
        self.left = true;
        self.service.leave(&self.call_sid, self.seq, reason);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.left {
            let reason = LeaveReason::Ended {
                reason: "dropped".to_owned(),
            };
            self.service.leave(&self.call_sid, self.seq, reason);
        }
    }
}

fn known_agent<'a>(state: &'a mut State, agent_id: &str) -> Result<&'a mut Agent, QueueError> {
    state
        .agents
        .get_mut(agent_id)
        .ok_or_else(|| QueueError::UnknownAgent {
            agent_id: agent_id.to_owned(),
        })
}

fn current_call(
    state: &State,
    agent_id: &str,
    operation: &'static str,
) -> Result<String, QueueError> {
    let agent = state
        .agents
        .get(agent_id)
        .ok_or_else(|| QueueError::UnknownAgent {
            agent_id: agent_id.to_owned(),
        })?;
    match (agent.state, agent.last_call()) {
        (AgentState::OnCall, Some(call_sid)) => Ok(call_sid.to_owned()),
        _ => Err(QueueError::InvalidAgentState {
            agent_id: agent_id.to_owned(),
            state: agent.state,
            operation,
        }),
    }
}

fn count_agents(state: &State) -> AgentCounts {
    let mut counts = AgentCounts::default();
    for agent in state.agents.values() {
        match agent.state {
            AgentState::Available => counts.available += 1,
            AgentState::OnCall => counts.on_call += 1,
            AgentState::WrapUp => counts.wrap_up += 1,
            AgentState::Away => counts.away += 1,
        }
    }
    counts
}

fn accept_locked(
    state: &mut State,
    agent_id: &str,
    call_sid: &str,
    now: Instant,
) -> Result<AgentCallLink, QueueError> {
    let agent = known_agent(state, agent_id)?;
    if agent.state != AgentState::Available {
        return Err(QueueError::InvalidAgentState {
            agent_id: agent_id.to_owned(),
            state: agent.state,
            operation: "accepting a call",
        });
    }
    let agent_name = agent.profile.name.clone();
    let other_offer = agent
        .offered_call()
        .filter(|offered| *offered != call_sid)
        .map(str::to_owned);

    let entry = state
        .entries
        .get(call_sid)
        .filter(|entry| entry.is_waiting())
        .ok_or_else(|| QueueError::CallNotWaiting {
            call_sid: call_sid.to_owned(),
        })?;
    if let Some(offered_to) = entry.offered_to().filter(|offered| *offered != agent_id) {
        return Err(QueueError::OfferedToAnother {
            call_sid: call_sid.to_owned(),
            offered_to: offered_to.to_owned(),
        });
    }

    if let Some(other) = other_offer {
        let event = AgentEvent::OfferWithdrawn {
            call_sid: other.clone(),
        };
        state.withdraw_offer(&other, event, "accepted_another");
    }

    let (to_agent, from_caller) = mpsc::channel(AUDIO_LINK_FRAMES);
    let (to_caller, from_agent) = mpsc::channel(AUDIO_LINK_FRAMES);
    let connected = HandoffEvent::Connected {
        agent_id: agent_id.to_owned(),
        agent_name,
        link: AgentLink {
            to_agent,
            from_agent,
        },
    };
    let Some(entry) = state.entries.get_mut(call_sid) else {
        return Err(QueueError::CallNotWaiting {
            call_sid: call_sid.to_owned(),
        });
    };
    if entry.events.send(connected).is_err() {
        let seq = entry.seq;
        let reason = LeaveReason::Ended {
            reason: "session_gone".to_owned(),
        };
        leave_locked(state, call_sid, seq, &reason, now);
        return Err(QueueError::SessionGone {
            call_sid: call_sid.to_owned(),
        });
    }

    let waited = State::waited(entry, now);
    entry.status = EntryStatus::Connected {
        agent_id: agent_id.to_owned(),
        since: now,
    };
    if let Some(agent) = state.agents.get_mut(agent_id) {
        agent.start_call(call_sid);
    }
    tracing::info!(
        call_sid,
        agent_id,
        wait_secs = waited.as_secs(),
        "agent accepted call"
    );

    state.close_entry(
        call_sid,
        EntryExit {
            outcome: "answered",
            end_reason: None,
            wait_secs: waited.as_secs(),
            agent_id: Some(agent_id.to_owned()),
            at: Utc::now(),
        },
    );
    let (sid, agent, at) = (call_sid.to_owned(), agent_id.to_owned(), Utc::now());
    state.writer.run(call_sid, move |conn| {
        persist::accept_assignment(conn, &sid, &agent, at)
    });
    state.set_agent_state(agent_id, AgentState::OnCall, now);

    Ok(AgentCallLink {
        from_caller,
        to_caller,
    })
}

// `seq` identifies the ticket's entry: after an agent hangs up, the session may enqueue
// the same call again, and the old ticket must not take the new entry out.
fn leave_locked(state: &mut State, call_sid: &str, seq: u64, reason: &LeaveReason, now: Instant) {
    if let LeaveReason::CallbackRequested { window } = reason {
        let (sid, window, at) = (call_sid.to_owned(), window.clone(), Utc::now());
        state.writer.run(call_sid, move |conn| {
            persist::insert_callback(conn, &sid, &window, at)
        });
    }

    if state
        .entries
        .get(call_sid)
        .is_none_or(|entry| entry.seq != seq)
    {
        return;
    }
    let caller_left = AgentEvent::CallerLeft {
        call_sid: call_sid.to_owned(),
    };
    state.withdraw_offer(call_sid, caller_left.clone(), "caller_left");
    let Some(entry) = state.entries.remove(call_sid) else {
        return;
    };
    tracing::info!(call_sid, ?reason, "call left the handoff queue");

    match entry.status {
        EntryStatus::Waiting { .. } => {
            let (outcome, end_reason) = match reason {
                LeaveReason::CallerHungUp => ("abandoned", None),
                LeaveReason::CallbackRequested { .. } => ("callback", None),
                LeaveReason::Ended { reason } => ("ended", Some(reason.clone())),
            };
            let exit = EntryExit {
                outcome,
                end_reason,
                wait_secs: State::waited(&entry, now).as_secs(),
                agent_id: None,
                at: Utc::now(),
            };
            state.close_entry(call_sid, exit);
        }
        EntryStatus::Connected { agent_id, since } => {
            if let Some(agent) = state.agents.get(&agent_id) {
                agent.send(caller_left);
            }
            state.end_assignment(call_sid, &agent_id, "caller_left");
            state.finish_call(&agent_id, since, now);
        }
    }
    state.dispatch(now);
}

// Sleeps until the next deadline or until an operation changes the state, then runs the
// due timers. Ends when the last handle to the queue is dropped.
async fn run_timer_task(inner: Weak<Inner>, wake: Arc<Notify>) {
    loop {
        let sleep_for = {
            let Some(inner) = inner.upgrade() else {
                return;
            };
            let service = QueueService { inner };
            let now = service.now();
            let mut state = service.lock();
            state.run_timers(now);
            state
                .next_deadline()
                .map(|deadline| deadline.saturating_duration_since(now))
        };

        match sleep_for {
            Some(duration) => {
                tokio::select! {
                    _ = tokio::time::sleep(duration) => {}
                    _ = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
    }
}
