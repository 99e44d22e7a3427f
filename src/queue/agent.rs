//! What the agent console sees and sends: profiles, states, events, dispositions and the
//! agent's end of the audio link.

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// An agent's profile: login id, display name, language skills and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    /// Login id, unique among agents.
    pub id: String,
    /// Display name, sent to the session when the agent accepts a call.
    pub name: String,
    /// Language skills such as `es`; a call is offered only to agents who have its language.
    pub languages: Vec<String>,
    /// The agent's permissions in the console.
    pub role: AgentRole,
}

impl AgentProfile {
    pub(super) fn speaks(&self, language: &str) -> bool {
        self.languages
            .iter()
            .any(|skill| skill.eq_ignore_ascii_case(language))
    }
}

/// An agent's permissions in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    /// Takes calls.
    Agent,
    /// Takes calls and may view the queue figures.
    Supervisor,
}

/// Whether an agent can take a call now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Ready to be offered a call.
    Available,
    /// Talking to a caller.
    OnCall,
    /// After a call, until a disposition is stored or the wrap-up time ends.
    WrapUp,
    /// Logged in but not taking calls; the state of a newly registered agent.
    Away,
}

/// Something the agent console should show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// A waiting call is offered to this agent until the offer timeout.
    Offered {
        /// The call and its context card.
        call: WaitingCall,
    },
    /// The offer of this call was taken back (the offer timed out, or the agent went away
    /// or accepted another call).
    OfferWithdrawn {
        /// The call that was offered.
        call_sid: String,
    },
    /// The caller hung up or left while the call was offered to or connected with this
    /// agent.
    CallerLeft {
        /// The call that ended.
        call_sid: String,
    },
    /// The agent's state changed, whether by the agent's request or by the queue
    /// (accept, hang-up, wrap-up end, expired offer).
    StateChanged {
        /// The new state.
        state: AgentState,
    },
}

/// A call waiting for an agent, as the console lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitingCall {
    /// The platform's call id.
    pub call_sid: String,
    /// The handoff reason from the request.
    pub reason: String,
    /// The context card from the session.
    pub context: serde_json::Value,
    /// Language skill the call needs.
    pub language: String,
    /// Seconds since the call joined the queue.
    pub waited_secs: u64,
    /// Higher is served first.
    pub priority: i32,
    /// 1-based place in service order.
    pub position: usize,
    /// The agent the call is currently offered to, if any.
    pub offered_to: Option<String>,
}

/// The agent's end of a warm-transfer audio link: 8 kHz mono 16-bit PCM in 20 ms frames.
#[derive(Debug)]
pub struct AgentCallLink {
    /// Caller audio for the agent. The session drops frames when this channel is full.
    pub from_caller: mpsc::Receiver<Vec<i16>>,
    /// Agent audio for the caller.
    pub to_caller: mpsc::Sender<Vec<i16>>,
}

/// The result of a call, recorded by the agent after (or during) the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// The debt was paid.
    Paid,
    /// A payment plan was agreed.
    PlanAgreed,
    /// The debtor promised to pay.
    Promise,
    /// The debtor disputes the debt.
    Dispute,
    /// The debtor is to be called back.
    Callback,
    /// Anything else, described in the note.
    Other,
}

impl Disposition {
    /// Returns the name stored in the database, as serde spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Paid => "paid",
            Disposition::PlanAgreed => "plan_agreed",
            Disposition::Promise => "promise",
            Disposition::Dispute => "dispute",
            Disposition::Callback => "callback",
            Disposition::Other => "other",
        }
    }
}
