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
    /// Debt, in cents, from which a handed-off call of a verified caller waits with raised
    /// priority (served before calls about smaller debts); `None` turns this off.
    pub high_priority_amount_cents: Option<i64>,
}

impl Default for QueueConfig {
    fn default() -> QueueConfig {
        QueueConfig {
            position_interval_secs: 30,
            max_wait_secs: 180,
            offer_timeout_secs: 20,
            wrap_up_secs: 30,
            estimated_handle_secs: 300,
            high_priority_amount_cents: Some(100_000),
        }
    }
}

impl QueueConfig {
    /// Returns the priority of a handed-off call from its context card: 1 when the verified
    /// debt (`amount_cents`) reaches `high_priority_amount_cents`, else 0.
    pub fn priority_for(&self, context: &serde_json::Value) -> i32 {
        let amount = context.get("amount_cents").and_then(serde_json::Value::as_i64);
        match (self.high_priority_amount_cents, amount) {
            (Some(threshold), Some(amount)) if amount >= threshold => 1,
            _ => 0,
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_verified_debt_raises_priority() {
        let config = QueueConfig::default();

        assert_eq!(config.priority_for(&serde_json::json!({ "amount_cents": 123_456 })), 1);
        assert_eq!(config.priority_for(&serde_json::json!({ "amount_cents": 8_710 })), 0);
        assert_eq!(config.priority_for(&serde_json::json!({ "verification": "not_verified" })), 0);
    }

    #[test]
    fn priority_threshold_can_be_off() {
        let config = QueueConfig { high_priority_amount_cents: None, ..QueueConfig::default() };

        assert_eq!(config.priority_for(&serde_json::json!({ "amount_cents": 10_000_000 })), 0);
    }
}
