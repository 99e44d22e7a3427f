//! Timing settings of the handoff queue.

use std::time::Duration;

use serde::Deserialize;

/// Timing settings of the handoff queue, in seconds; every field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Interval between two position updates sent to a waiting call.
    pub position_interval_secs: u64,
    /// Wait after which the session receives `MaxWaitReached` and should offer a callback. Ley 10/2025 expects 95 %
    /// of calls to reach a person within 3 minutes, hence 180.
    pub max_wait_secs: u64,
    /// Time an agent has to accept an offered call. An agent who lets an offer expire is
    /// set to `Away`, and the call is offered to the next agent.
    pub offer_timeout_secs: u64,
    /// Time an agent stays in `WrapUp` after a call unless a disposition is stored first.
    pub wrap_up_secs: u64,
    /// Handle time assumed by the wait estimate until calls have ended in this process.
    pub estimated_handle_secs: u64,
}

impl Default for QueueConfig {
    fn default() -> QueueConfig {
        QueueConfig {
            position_interval_secs: 30,
            max_wait_secs: 180,
            offer_timeout_secs: 20,
            wrap_up_secs: 30,
            estimated_handle_secs: 300,
        }
    }
}

impl QueueConfig {
    // A zero interval would make the timer task send position updates in a busy loop.
    pub(super) fn position_interval(&self) -> Duration {
        Duration::from_secs(self.position_interval_secs.max(1))
    }

    pub(super) fn max_wait(&self) -> Duration {
        Duration::from_secs(self.max_wait_secs)
    }

    pub(super) fn offer_timeout(&self) -> Duration {
        Duration::from_secs(self.offer_timeout_secs)
    }

    pub(super) fn wrap_up(&self) -> Duration {
        Duration::from_secs(self.wrap_up_secs)
    }
}
