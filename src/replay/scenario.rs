//! Replay scenarios: a caller's side of a call, as a TOML file.
//!
//! ```toml
//! description = "Caller answers yes by voice"
//! caller = "+34600111222"
//!
//! [parameters]            # extra stream parameters, as the TwiML would pass them
//! account_id = "D-1001"
//!
//! [[turns]]
//! audio = "ko/ne.wav"      # caller audio, relative to the scenario's audio root
//! expect_recognized = "네"
//! expect_state = "confirmed_yes"
//!
//! [end]
//! expect_end_reason = "completed"
//! ```
//!
//! Each turn waits until the assistant has finished speaking (every prompt's marker came
//! back and the line was quiet for `pause_ms`), then acts. With `barge_in = true` it acts
//! `pause_ms` after the assistant starts speaking instead.
//!
//! Keys may name a day relative to the replay's local date, so a scenario that keys a
//! date stays valid: `keys = "{ddmm+10}"` sends the day and month ten days from today as
//! four digits (`1412` on 4 December), and `{ddmm-1}` yesterday's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use serde::Deserialize;

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario checks, for people.
    #[serde(default)]
    pub description: String,
    /// Caller number passed as the `caller` stream parameter.
    #[serde(default)]
    pub caller: Option<String>,
    /// Other stream parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// The caller's turns, in order.
    #[serde(default)]
    pub turns: Vec<Turn>,
    /// Checks on how the call ended.
    #[serde(default)]
    pub end: EndExpectation,
}

/// One thing the caller does.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// Audio file the caller says (any format the server's decoder reads).
    pub audio: Option<PathBuf>,
    /// Keys sent as platform DTMF events.
    pub keys: Option<String>,
    /// Keys sent as in-band tones in the audio.
    pub tones: Option<String>,
    /// Silence to stream, in milliseconds (lets a no-input timeout fire).
    pub silence_ms: Option<u64>,
    /// Hang up (send `stop` and close) instead of answering.
    #[serde(default)]
    pub hangup: bool,
    /// Act while the assistant is speaking instead of after it.
    #[serde(default)]
    pub barge_in: bool,
    /// Quiet (or, with `barge_in`, assistant speech) to wait before acting, in milliseconds.
    #[serde(default = "default_pause_ms")]
    pub pause_ms: u64,
    /// Text the server must have recognised from this turn.
    pub expect_recognized: Option<String>,
    /// Dialogue state the server must have reached after this turn.
    pub expect_state: Option<String>,
    /// Journal event kind the server must have written after this turn (e.g. `barge_in`).
    pub expect_event: Option<String>,
}

/// Checks on the end of the call.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndExpectation {
    /// The call's stored end reason.
    pub expect_end_reason: Option<String>,
}

fn default_pause_ms() -> u64 {
    500
}

/// Errors reading a scenario.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("failed to read scenario {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid scenario {path}: {source}")]
    Parse { path: String, source: toml::de::Error },
    #[error("invalid scenario {path}: turn {turn} must do exactly one of audio, keys, tones, silence_ms or hangup")]
    Ambiguous { path: String, turn: usize },
    #[error("invalid scenario {path}: turn {turn} keys {keys:?}: expected digits, *, # or a date like {{ddmm+10}}")]
    InvalidKeys { path: String, turn: usize, keys: String },
}

impl Scenario {
    /// Reads and checks a scenario file, resolving relative dates in keys against the local
    /// date.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read { path: display.clone(), source })?;
        let mut scenario: Scenario = toml::from_str(&text).map_err(|source| ScenarioError::Parse { path: display.clone(), source })?;
        let today = chrono::Local::now().date_naive();
        for (index, turn) in scenario.turns.iter_mut().enumerate() {
            let actions = [turn.audio.is_some(), turn.keys.is_some(), turn.tones.is_some(), turn.silence_ms.is_some(), turn.hangup];
            if actions.iter().filter(|&&set| set).count() != 1 {
                return Err(ScenarioError::Ambiguous { path: display, turn: index + 1 });
            }
            if let Some(keys) = &turn.keys {
                let expanded = expand_keys(keys, today)
                    .ok_or_else(|| ScenarioError::InvalidKeys { path: display.clone(), turn: index + 1, keys: keys.clone() })?;
                turn.keys = Some(expanded);
            }
        }
        Ok(scenario)
    }
}

/// Replaces each `{ddmm+N}` or `{ddmm-N}` in `keys` with the day and month N days from
/// `today`. Returns `None` when a placeholder is malformed or a key is not 0-9, * or #.
pub fn expand_keys(keys: &str, today: NaiveDate) -> Option<String> {
    let mut expanded = String::with_capacity(keys.len());
    let mut rest = keys;
    while let Some(open) = rest.find('{') {
        expanded.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        let offset = rest[open + 1..close].strip_prefix("ddmm")?;
        let days: i64 = offset.strip_prefix('+').unwrap_or(offset).parse().ok()?;
        let date = if days >= 0 {
            today.checked_add_days(Days::new(days.unsigned_abs()))?
        } else {
            today.checked_sub_days(Days::new(days.unsigned_abs()))?
        };
        expanded.push_str(&format!("{:02}{:02}", date.day(), date.month()));
        rest = &rest[close + 1..];
    }
    expanded.push_str(rest);

    let valid = !expanded.is_empty() && expanded.chars().all(|key| key.is_ascii_digit() || key == '*' || key == '#');
    valid.then_some(expanded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn keys_expand_relative_dates() {
        let today = day(2026, 12, 4);
        assert_eq!(expand_keys("{ddmm+10}", today).as_deref(), Some("1412"));
        assert_eq!(expand_keys("{ddmm+30}", today).as_deref(), Some("0301"));
        assert_eq!(expand_keys("{ddmm-4}", today).as_deref(), Some("3011"));
        assert_eq!(expand_keys("{ddmm0}", today).as_deref(), Some("0412"));
        assert_eq!(expand_keys("1{ddmm+1}#", today).as_deref(), Some("10512#"));
        assert_eq!(expand_keys("24#", today).as_deref(), Some("24#"));
    }

    #[test]
    fn keys_reject_bad_placeholders() {
        let today = day(2026, 12, 4);
        for bad in ["", "{ddmm+x}", "{yyyy+1}", "{ddmm+1", "12a", "{ddmm+99999999999}"] {
            assert_eq!(expand_keys(bad, today), None, "{bad}");
        }
    }
}
