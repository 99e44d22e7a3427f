//! Errors of queue operations.

use super::AgentState;
use crate::storage::StorageError;

/// A queue operation that was rejected or failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The call is already in the queue; a session enqueues each call once.
    #[error("call {call_sid} is already in the handoff queue")]
    AlreadyQueued { call_sid: String },

    /// No agent with this id is registered.
    #[error("agent {agent_id} is not registered; register the agent first")]
    UnknownAgent { agent_id: String },

    /// The call is not waiting in the queue (it was answered, or it left).
    #[error("call {call_sid} is not waiting in the queue")]
    CallNotWaiting { call_sid: String },

    /// The call is offered to another agent until that offer is accepted or expires.
    #[error("call {call_sid} is offered to agent {offered_to}")]
    OfferedToAnother {
        call_sid: String,
        offered_to: String,
    },

    /// The agent's state does not allow the operation.
    #[error("agent {agent_id} is {state:?}, which does not allow {operation}")]
    InvalidAgentState {
        agent_id: String,
        state: AgentState,
        operation: &'static str,
    },

    /// The state can only be entered through an operation (accept, hang-up).
    #[error("state {state:?} cannot be set directly; it follows accept or hang-up")]
    StateNotSettable { state: AgentState },

    /// The call is neither the agent's current call nor the last one they took.
    #[error("call {call_sid} is not the current or last call of agent {agent_id}")]
    NotAgentsCall { agent_id: String, call_sid: String },

    /// The session stopped listening for events of this call.
    #[error("the session of call {call_sid} is gone")]
    SessionGone { call_sid: String },

    /// Reading the figures from the database failed.
    #[error("queue storage failed: {0}")]
    Storage(#[from] StorageError),

    /// The blocking task that read the database panicked or was cancelled.
    #[error("queue statistics task failed: {0}")]
    StatsTask(#[from] tokio::task::JoinError),
}
