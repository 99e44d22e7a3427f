//! The queue's in-memory state and its rules: ordering, assignment, offers, timers.
//!
//! Everything here runs under the service's lock and never blocks: events go out on
//! unbounded channels and database writes are queued on the [`Writer`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::persist::{self, EntryExit, Writer};
use super::{
    AgentEvent, AgentProfile, AgentState, HandoffEvent, HandoffRequest, QueueConfig, WaitingCall,
};

/// A call in the queue, from enqueue until it leaves or its agent hangs up.
pub(super) struct Entry {
    pub(super) request: HandoffRequest,
    /// Arrival number, unique for the life of the service; orders equal priorities and
    /// tells a ticket's entry from a later entry of the same call.
    pub(super) seq: u64,
    pub(super) enqueued_at: Instant,
    pub(super) enqueued_wall: DateTime<Utc>,
    pub(super) events: mpsc::UnboundedSender<HandoffEvent>,
    pub(super) status: EntryStatus,
    next_position_at: Instant,
    /// `None` once MaxWaitReached has been sent.
    max_wait_at: Option<Instant>,
}

impl Entry {
    /// Returns the agent the waiting call is offered to.
    pub(super) fn offered_to(&self) -> Option<&str> {
        match &self.status {
            EntryStatus::Waiting { offer: Some(offer) } => Some(&offer.agent_id),
            _ => None,
        }
    }

    pub(super) fn is_waiting(&self) -> bool {
        matches!(self.status, EntryStatus::Waiting { .. })
    }
}

pub(super) enum EntryStatus {
    Waiting { offer: Option<Offer> },
    Connected { agent_id: String, since: Instant },
}

pub(super) struct Offer {
    agent_id: String,
    expires_at: Instant,
}

pub(super) struct Agent {
    pub(super) profile: AgentProfile,
    pub(super) state: AgentState,
    idle_since: Instant,
    offered_call: Option<String>,
    /// The call the agent is on, wrapping up, or last took (for a late disposition).
    last_call: Option<String>,
    wrap_up_until: Option<Instant>,
    disposition_stored: bool,
    events: Option<mpsc::UnboundedSender<AgentEvent>>,
}

/// The whole queue: waiting and connected calls, and registered agents.
pub(super) struct State {
    pub(super) config: QueueConfig,
    pub(super) writer: Writer,
    pub(super) entries: HashMap<String, Entry>,
    pub(super) agents: HashMap<String, Agent>,
    next_seq: u64,
    handled_calls: u64,
    handled_secs: u64,
}

impl State {
    pub(super) fn new(config: QueueConfig, writer: Writer) -> State {
        State {
            config,
            writer,
            entries: HashMap::new(),
            agents: HashMap::new(),
            next_seq: 0,
            handled_calls: 0,
            handled_secs: 0,
        }
    }

    /// Adds a call and returns its arrival number; the caller has checked that it is not
    /// queued yet.
    pub(super) fn insert_entry(
        &mut self,
        request: HandoffRequest,
        events: mpsc::UnboundedSender<HandoffEvent>,
        now: Instant,
    ) -> u64 {
        let seq = self.next_seq;
        let entry = Entry {
            seq,
            enqueued_at: now,
            enqueued_wall: Utc::now(),
            events,
            status: EntryStatus::Waiting { offer: None },
            next_position_at: now + self.config.position_interval(),
            max_wait_at: Some(now + self.config.max_wait()),
            request,
        };
        self.next_seq += 1;

        let record = persist::NewEntry {
            call_sid: entry.request.call_sid.clone(),
            reason: entry.request.reason.clone(),
            context: entry.request.context.to_string(),
            priority: entry.request.priority,
            language: entry.request.language.clone(),
            enqueued_at: entry.enqueued_wall,
        };
        let call_sid = record.call_sid.clone();
        self.writer
            .run(&call_sid, move |conn| persist::insert_entry(conn, &record));

        self.entries.insert(call_sid.clone(), entry);
        self.send_position(&call_sid);
        self.dispatch(now);
        seq
    }

    /// Returns the call ids of waiting calls in service order: priority, then arrival.
    pub(super) fn waiting_order(&self) -> Vec<String> {
        let mut waiting: Vec<&Entry> = self
            .entries
            .values()
            .filter(|entry| matches!(entry.status, EntryStatus::Waiting { .. }))
            .collect();
        waiting.sort_by_key(|entry| (std::cmp::Reverse(entry.request.priority), entry.seq));
        waiting
            .into_iter()
            .map(|entry| entry.request.call_sid.clone())
            .collect()
    }

    pub(super) fn waiting_call(&self, call_sid: &str, now: Instant) -> Option<WaitingCall> {
        let entry = self.entries.get(call_sid)?;
        let EntryStatus::Waiting { offer } = &entry.status else {
            return None;
        };
        let position = self
            .waiting_order()
            .iter()
            .position(|sid| sid == call_sid)?
            + 1;
        Some(WaitingCall {
            call_sid: call_sid.to_owned(),
            reason: entry.request.reason.clone(),
            context: entry.request.context.clone(),
            language: entry.request.language.clone(),
            waited_secs: now.saturating_duration_since(entry.enqueued_at).as_secs(),
            priority: entry.request.priority,
            position,
            offered_to: offer.as_ref().map(|offer| offer.agent_id.clone()),
        })
    }

    fn send_position(&self, call_sid: &str) {
        let Some(position) = self.waiting_order().iter().position(|sid| sid == call_sid) else {
            return;
        };
        let position = position + 1;
        let event = HandoffEvent::Position {
            position,
            estimated_wait_secs: self.estimate_wait_secs(position),
        };
        if let Some(entry) = self.entries.get(call_sid) {
            // A closed channel means the session is ending; its ticket removes the entry.
            let _ = entry.events.send(event);
        }
    }

    // An estimate: the calls ahead shared among the agents logged in (not Away), each
    // taking the mean handle time of the calls ended in this process so far.
    fn estimate_wait_secs(&self, position: usize) -> u64 {
        let handle_secs = self
            .handled_secs
            .checked_div(self.handled_calls)
            .unwrap_or(self.config.estimated_handle_secs);
        let staffed = self
            .agents
            .values()
            .filter(|agent| agent.state != AgentState::Away)
            .count()
            .max(1) as u64;
        let rounds = (position as u64).div_ceil(staffed);
        rounds.saturating_sub(1) * handle_secs + handle_secs / 2
    }

    /// Offers each waiting call without an offer to the longest-idle available agent who
    /// speaks its language and has no other offer.
    pub(super) fn dispatch(&mut self, now: Instant) {
        for call_sid in self.waiting_order() {
            let Some(entry) = self.entries.get(&call_sid) else {
                continue;
            };
            if !matches!(entry.status, EntryStatus::Waiting { offer: None }) {
                continue;
            }
            let language = entry.request.language.clone();
            let agent_id = self
                .agents
                .values()
                .filter(|agent| agent.can_take_offer(&language))
                .min_by(|a, b| (a.idle_since, &a.profile.id).cmp(&(b.idle_since, &b.profile.id)))
                .map(|agent| agent.profile.id.clone());
            if let Some(agent_id) = agent_id {
                self.offer(&call_sid, &agent_id, now);
            }
        }
    }

    fn offer(&mut self, call_sid: &str, agent_id: &str, now: Instant) {
        let expires_at = now + self.config.offer_timeout();
        if let Some(entry) = self.entries.get_mut(call_sid) {
            entry.status = EntryStatus::Waiting {
                offer: Some(Offer {
                    agent_id: agent_id.to_owned(),
                    expires_at,
                }),
            };
        }
        let Some(call) = self.waiting_call(call_sid, now) else {
            return;
        };
        if let Some(agent) = self.agents.get_mut(agent_id) {
            agent.offered_call = Some(call_sid.to_owned());
            agent.send(AgentEvent::Offered { call });
        }
        tracing::info!(call_sid, agent_id, "offered call to agent");

        let (sid, agent, at) = (call_sid.to_owned(), agent_id.to_owned(), Utc::now());
        self.writer.run(call_sid, move |conn| {
            persist::insert_offer(conn, &sid, &agent, at)
        });
    }

    /// Takes back the offer of `call_sid`, if any, telling the agent with `event` and
    /// recording `reason`. Returns the agent who had the offer.
    pub(super) fn withdraw_offer(
        &mut self,
        call_sid: &str,
        event: AgentEvent,
        reason: &'static str,
    ) -> Option<String> {
        let entry = self.entries.get_mut(call_sid)?;
        let EntryStatus::Waiting { offer } = &mut entry.status else {
            return None;
        };
        let agent_id = offer.take()?.agent_id;
        if let Some(agent) = self.agents.get_mut(&agent_id) {
            agent.offered_call = None;
            agent.send(event);
        }
        self.end_assignment(call_sid, &agent_id, reason);
        Some(agent_id)
    }

    pub(super) fn end_assignment(&self, call_sid: &str, agent_id: &str, reason: &'static str) {
        let (sid, agent, at) = (call_sid.to_owned(), agent_id.to_owned(), Utc::now());
        self.writer.run(call_sid, move |conn| {
            persist::end_assignment(conn, &sid, &agent, reason, at)
        });
    }

    /// Records how an entry left the queue.
    pub(super) fn close_entry(&self, call_sid: &str, exit: EntryExit) {
        let sid = call_sid.to_owned();
        self.writer.run(call_sid, move |conn| {
            persist::close_entry(conn, &sid, &exit)
        });
    }

    /// Sets an agent's state and sends `StateChanged` to the console.
    pub(super) fn set_agent_state(&mut self, agent_id: &str, state: AgentState, now: Instant) {
        let Some(agent) = self.agents.get_mut(agent_id) else {
            return;
        };
        if state == AgentState::Available && agent.state != AgentState::Available {
            agent.idle_since = now;
        }
        if state != AgentState::WrapUp {
            agent.wrap_up_until = None;
        }
        agent.state = state;
        agent.send(AgentEvent::StateChanged { state });
        tracing::info!(agent_id, ?state, "agent state changed");
    }

    /// Ends the agent's part in a connected call: wrap-up, or Available when the
    /// disposition is already stored.
    pub(super) fn finish_call(&mut self, agent_id: &str, since: Instant, now: Instant) {
        self.handled_calls += 1;
        self.handled_secs += now.saturating_duration_since(since).as_secs();

        let Some(agent) = self.agents.get_mut(agent_id) else {
            return;
        };
        if agent.disposition_stored {
            self.set_agent_state(agent_id, AgentState::Available, now);
        } else {
            agent.wrap_up_until = Some(now + self.config.wrap_up());
            self.set_agent_state(agent_id, AgentState::WrapUp, now);
        }
    }

    /// Sends due position updates and max-wait notices, expires offers, ends wrap-ups and
    /// offers calls to agents freed by them.
    pub(super) fn run_timers(&mut self, now: Instant) {
        let interval = self.config.position_interval();
        let mut position_due = Vec::new();
        let mut expired_offers = Vec::new();
        for (call_sid, entry) in &mut self.entries {
            let EntryStatus::Waiting { offer } = &entry.status else {
                continue;
            };
            if entry.next_position_at <= now {
                position_due.push(call_sid.clone());
                while entry.next_position_at <= now {
                    entry.next_position_at += interval;
                }
            }
            if entry.max_wait_at.is_some_and(|at| at <= now) {
                entry.max_wait_at = None;
                tracing::info!(call_sid, "call reached the maximum wait");
                let _ = entry.events.send(HandoffEvent::MaxWaitReached);
            }
            if offer.as_ref().is_some_and(|offer| offer.expires_at <= now) {
                expired_offers.push(call_sid.clone());
            }
        }

        for call_sid in position_due {
            self.send_position(&call_sid);
        }
        for call_sid in expired_offers {
            self.expire_offer(&call_sid, now);
        }
        self.end_wrap_ups(now);
        self.dispatch(now);
    }

    // An agent who does not accept an offer in time is probably not at the desk, so they are set
    // to Away rather than offered the next call.
    fn expire_offer(&mut self, call_sid: &str, now: Instant) {
        let event = AgentEvent::OfferWithdrawn {
            call_sid: call_sid.to_owned(),
        };
        if let Some(agent_id) = self.withdraw_offer(call_sid, event, "offer_timeout") {
            tracing::warn!(call_sid, agent_id, "offer timed out; agent set to away");
            self.set_agent_state(&agent_id, AgentState::Away, now);
        }
    }

    fn end_wrap_ups(&mut self, now: Instant) {
        let done: Vec<String> = self
            .agents
            .values()
            .filter(|agent| agent.state == AgentState::WrapUp)
            .filter(|agent| agent.wrap_up_until.is_some_and(|until| until <= now))
            .map(|agent| agent.profile.id.clone())
            .collect();
        for agent_id in done {
            self.set_agent_state(&agent_id, AgentState::Available, now);
        }
    }

    /// Returns the earliest instant at which [`State::run_timers`] has work.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let entry_deadlines = self.entries.values().flat_map(|entry| {
            let EntryStatus::Waiting { offer } = &entry.status else {
                return Vec::new();
            };
            let mut deadlines = vec![entry.next_position_at];
            deadlines.extend(entry.max_wait_at);
            deadlines.extend(offer.as_ref().map(|offer| offer.expires_at));
            deadlines
        });
        let wrap_ups = self.agents.values().filter_map(|agent| agent.wrap_up_until);
        entry_deadlines.chain(wrap_ups).min()
    }

    /// Returns the waiting time of an entry.
    pub(super) fn waited(entry: &Entry, now: Instant) -> Duration {
        now.saturating_duration_since(entry.enqueued_at)
    }
}

impl Agent {
    pub(super) fn new(profile: AgentProfile, now: Instant) -> Agent {
        Agent {
            profile,
            state: AgentState::Away,
            idle_since: now,
            offered_call: None,
            last_call: None,
            wrap_up_until: None,
            disposition_stored: false,
            events: None,
        }
    }

    // An agent whose console is not listening cannot see an offer, so none is made.
    fn can_take_offer(&self, language: &str) -> bool {
        self.state == AgentState::Available
            && self.offered_call.is_none()
            && self
                .events
                .as_ref()
                .is_some_and(|events| !events.is_closed())
            && self.profile.speaks(language)
    }

    pub(super) fn send(&self, event: AgentEvent) {
        let delivered = self
            .events
            .as_ref()
            .is_some_and(|events| events.send(event).is_ok());
        if !delivered {
            tracing::debug!(agent_id = %self.profile.id, "agent console not listening; event dropped");
        }
    }

    pub(super) fn set_events(&mut self, events: mpsc::UnboundedSender<AgentEvent>) {
        self.events = Some(events);
    }

    pub(super) fn offered_call(&self) -> Option<&str> {
        self.offered_call.as_deref()
    }

    pub(super) fn last_call(&self) -> Option<&str> {
        self.last_call.as_deref()
    }

    /// Records that the agent took `call_sid`.
    pub(super) fn start_call(&mut self, call_sid: &str) {
        self.offered_call = None;
        self.last_call = Some(call_sid.to_owned());
        self.disposition_stored = false;
    }

    pub(super) fn mark_disposition_stored(&mut self) {
        self.disposition_stored = true;
    }
}
