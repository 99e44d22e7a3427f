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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read { path: display.clone(), source })?;
        let scenario: Scenario = toml::from_str(&text).map_err(|source| ScenarioError::Parse { path: display.clone(), source })?;
        for (index, turn) in scenario.turns.iter().enumerate() {
            let actions = [turn.audio.is_some(), turn.keys.is_some(), turn.tones.is_some(), turn.silence_ms.is_some(), turn.hangup];
            if actions.iter().filter(|&&set| set).count() != 1 {
                return Err(ScenarioError::Ambiguous { path: display, turn: index + 1 });
            }
        }
        Ok(scenario)
    }
}
