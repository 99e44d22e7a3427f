//! Figures for the supervisor: the live queue and today's service level.

use serde::Serialize;

/// The target of Ley 10/2025: 95 % of calls reach a person within 3 minutes.
pub const ANSWER_TARGET_SECS: u64 = 180;

/// The queue now and the handoffs of the server's local day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueStats {
    /// Calls waiting for an agent, offered or not.
    pub waiting: usize,
    /// Wait of the call that has waited longest, in seconds; 0 when none waits.
    pub longest_wait_secs: u64,
    /// Registered agents per state.
    pub agents_by_state: AgentCounts,
    /// Today's handoffs per reason, most frequent first.
    pub handed_off_today_by_reason: Vec<(String, u64)>,
    /// Today's handoffs answered by an agent within [`ANSWER_TARGET_SECS`].
    pub answered_within_3_min_today: u64,
    /// Calls handed off today.
    pub handed_off_today: u64,
    /// `answered_within_3_min_today` divided by today's handoffs whose result is known:
    /// those that left the queue (answered, abandoned, callback or ended) plus those still
    /// waiting beyond the target. `None` when there are none.
    pub share_answered_within_3_min: Option<f64>,
}

/// Number of registered agents in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AgentCounts {
    /// Agents in `Available`.
    pub available: usize,
    /// Agents in `OnCall`.
    pub on_call: usize,
    /// Agents in `WrapUp`.
    pub wrap_up: usize,
    /// Agents in `Away`.
    pub away: usize,
}
