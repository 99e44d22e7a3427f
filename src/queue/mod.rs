//! The human handoff: a queue of calls waiting for an agent, agents with skills and
//! states, and the audio link of a warm transfer.
//!
//! The call session asks for a handoff with [`QueueService::enqueue`] and then only reacts
//! to [`HandoffEvent`]s; the agent console drives the agent side through the same service.
//! Nothing here knows about sockets, codecs or the telephony platform: audio crosses the
//! [`AgentLink`] as 8 kHz mono 16-bit PCM in 20 ms frames, like every other layer.

use tokio::sync::mpsc;

mod agent;
mod clock;
mod config;
mod error;
pub(crate) mod persist;
pub mod redirect;
mod service;
mod state;
mod stats;
#[cfg(test)]
mod tests;

pub use agent::{
    AgentCallLink, AgentEvent, AgentProfile, AgentRole, AgentState, Disposition, WaitingCall,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::QueueConfig;
pub use error::QueueError;
pub use service::{AUDIO_LINK_FRAMES, AgentSnapshot, QueueService, Ticket};
pub use stats::{ANSWER_TARGET_SECS, AgentCounts, QueueStats};

/// Call details the session passes when it hands a call over.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffRequest {
    /// The platform's call id.
    pub call_sid: String,
    /// Reason the call goes to a person (`requested`, `no_progress`, `dispute`, ...).
    pub reason: String,
    /// The context card the agent sees before accepting (account, verification, offers,
    /// agreements, transcript so far).
    pub context: serde_json::Value,
    /// Language skill the agent needs, such as `es`.
    pub language: String,
    /// Higher is served first; equal priorities are served first come, first served.
    pub priority: i32,
}

/// Something that happened to a call in the queue, for the call session.
#[derive(Debug)]
pub enum HandoffEvent {
    /// The call's place in the queue (1 = next) and the estimated wait.
    Position {
        /// 1-based place among waiting calls.
        position: usize,
        /// Estimated wait in seconds.
        estimated_wait_secs: u64,
    },
    /// An agent accepted the call: bridge the audio.
    Connected {
        /// The agent's id.
        agent_id: String,
        /// The agent's display name.
        agent_name: String,
        /// Audio to and from the agent.
        link: AgentLink,
    },
    /// The agent put the caller on hold (`true`) or took them back (`false`).
    Hold(bool),
    /// The agent ended the call.
    AgentHungUp,
    /// The call waited the configured maximum: offer a callback.
    MaxWaitReached,
    /// The telephony platform took the call to the contact centre's own ACD; the media
    /// stream will stop.
    Redirected,
    /// The handoff failed; the caller cannot reach a person on this path.
    Failed {
        /// What failed.
        error: String,
    },
}

/// The audio path of a warm transfer.
#[derive(Debug)]
pub struct AgentLink {
    /// Caller audio for the agent: 8 kHz mono PCM frames. Dropped frames are acceptable
    /// when the agent's connection is slow (`try_send`).
    pub to_agent: mpsc::Sender<Vec<i16>>,
    /// Agent audio for the caller: 8 kHz mono PCM frames, in real time.
    pub from_agent: mpsc::Receiver<Vec<i16>>,
}

/// Reason a waiting call left the queue without reaching an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaveReason {
    /// The caller hung up (recorded as abandoned, with the wait time).
    CallerHungUp,
    /// The caller asked to be called back, within this window (free text such as
    /// "mañana por la mañana", or a slot id).
    CallbackRequested {
        /// When the caller wants the call back.
        window: String,
    },
    /// The call ended for another reason (server shutdown, error).
    Ended {
        /// The reason, in snake_case.
        reason: String,
    },
}
