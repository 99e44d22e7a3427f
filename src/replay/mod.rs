//! The QA replay tool: plays the telephony platform against a running server.
//!
//! `recobra replay SCENARIO --url ws://HOST/twilio/media` opens a media stream the way
//! Twilio does, streams the scenario's caller audio in real time (or faster with `--fast`),
//! sends keypresses, echoes marks once the assistant's audio has played, and then checks
//! the scenario's expectations against the call's journal from `GET /api/calls/{call_sid}`.
//! It writes a stereo WAV (caller left, assistant right) and a JSON transcript.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Value, json};

pub mod client;
pub mod scenario;

use client::{CallOptions, CallReport, run_call};
use scenario::Scenario;

/// Arguments of `recobra replay`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Media socket of the server under test.
    #[arg(long, default_value = "ws://127.0.0.1:8080/twilio/media")]
    pub url: String,
    /// Run ten times faster than real time.
    #[arg(long)]
    pub fast: bool,
    /// Folder that scenario audio paths are relative to.
    #[arg(long, default_value = "audio-fixtures")]
    pub audio_root: PathBuf,
    /// Folder for the recording and transcript (default: data/replays/<scenario>-<call_sid>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Bearer token for the server's /api routes.
    #[arg(long, env = "RECOBRA_API_BEARER_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// Maximum wait for the assistant to finish speaking, in seconds of call time. The debt
    /// dialogue speaks for over 30 s after the identity check (disclosure, then the menu).
    #[arg(long, default_value_t = 60)]
    pub answer_timeout: u64,
}

/// Runs `recobra replay`; fails on the first expectation that does not hold.
pub async fn run(args: &ReplayArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario)?;
    let options = CallOptions {
        url: args.url.clone(),
        audio_root: args.audio_root.clone(),
        speed: if args.fast { 10 } else { 1 },
        answer_timeout_ms: args.answer_timeout * 1000,
    };

    let report = run_call(&scenario, &options).await?;
    let journal = fetch_call(&args.url, &report.call_sid, args.api_token.as_deref()).await?;

    let name = args.scenario.file_stem().map_or("scenario".into(), |stem| stem.to_string_lossy().into_owned());
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("data/replays").join(format!("{name}-{}", report.call_sid)));
    write_outputs(&out, &report, &journal)?;
    println!("call {} recorded in {}", report.call_sid, out.display());

    check_expectations(&scenario, &journal)?;
    println!("all expectations met ({} turns)", scenario.turns.len());
    Ok(())
}

/// Reads the call from the server's API (`/api/calls/{call_sid}` next to the media URL).
pub async fn fetch_call(media_url: &str, call_sid: &str, token: Option<&str>) -> anyhow::Result<Value> {
    let api_url = api_url(media_url, call_sid)?;
    let token = token.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut request = ureq::get(&api_url);
        if let Some(token) = &token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let response = request.call().with_context(|| format!("failed to read the call from {api_url}"))?;
        let value: Value = response.into_json().with_context(|| format!("invalid JSON from {api_url}"))?;
        Ok(value)
    })
    .await?
}

fn api_url(media_url: &str, call_sid: &str) -> anyhow::Result<String> {
    let (scheme, rest) = if let Some(rest) = media_url.strip_prefix("ws://") {
        ("http", rest)
    } else if let Some(rest) = media_url.strip_prefix("wss://") {
        ("https", rest)
    } else {
        bail!("invalid media URL {media_url}: expected ws:// or wss://");
    };
    let host = rest.split('/').next().unwrap_or(rest);
    Ok(format!("{scheme}://{host}/api/calls/{call_sid}"))
}

fn write_outputs(out: &Path, report: &CallReport, journal: &Value) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("failed to create {}", out.display()))?;
    let spec = hound::WavSpec { channels: 2, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let wav_path = out.join("call.wav");
    let mut writer = hound::WavWriter::create(&wav_path, spec).with_context(|| format!("failed to create {}", wav_path.display()))?;
    for [left, right] in &report.stereo {
        writer.write_sample(*left)?;
        writer.write_sample(*right)?;
    }
    writer.finalize()?;

    let transcript = json!({ "report": report, "journal": journal });
    let transcript_path = out.join("transcript.json");
    std::fs::write(&transcript_path, serde_json::to_string_pretty(&transcript)?)
        .with_context(|| format!("failed to write {}", transcript_path.display()))?;
    Ok(())
}

/// Checks each turn's expectations, in order, against the journal's events.
///
/// A turn's expectations are looked for after the previous turn's, in any order among
/// themselves. The journal order of one turn's effects is not part of the contract: a
/// payment link is journaled after the state change that sent it. The journal records
/// state changes only, so a turn that leaves the dialogue where it was meets `expect_state`
/// when the state in force after the previous turn's expectations is the expected one.
/// NOTE: the journal marks no turn boundaries, so that fallback cannot tell whether the
/// state changed and came back within the turn; check the prompts to pin such a turn down.
pub fn check_expectations(scenario: &Scenario, call: &Value) -> anyhow::Result<()> {
    let events = call["events"].as_array().cloned().unwrap_or_default();
    let mut cursor = 0;
    for (index, turn) in scenario.turns.iter().enumerate() {
        let number = index + 1;
        let turn_start = cursor;
        if let Some(expected) = &turn.expect_recognized {
            let found = find_event(&events, turn_start, |event| event["kind"] == "recognition" && event["data"]["text"] == expected.as_str())
                .with_context(|| format!("turn {number}: expected recognition {expected:?}; recognised: {}", list(&events, "recognition", "text")))?;
            cursor = cursor.max(found);
        }
        if let Some(expected) = &turn.expect_event {
            let found = find_event(&events, turn_start, |event| event["kind"] == expected.as_str())
                .with_context(|| format!("turn {number}: expected a {expected:?} event after the previous turn's expectations"))?;
            cursor = cursor.max(found);
        }
        if let Some(expected) = &turn.expect_state {
            let is_expected = |event: &Value| event["kind"] == "state" && event["data"]["state"] == expected.as_str();
            let found = find_event(&events, turn_start, is_expected)
                .or_else(|| state_in_force(&events, turn_start).filter(|state| is_expected(state)).map(|_| turn_start))
                .with_context(|| format!("turn {number}: expected state {expected:?}; states: {}", list(&events, "state", "state")))?;
            cursor = cursor.max(found);
        }
    }
    if let Some(expected) = &scenario.end.expect_end_reason {
        let actual = call["end_reason"].as_str().unwrap_or("(none)");
        if actual != expected {
            bail!("call ended with reason {actual:?}; expected {expected:?}");
        }
    }
    Ok(())
}

/// Returns the last state event among the first `until` events.
fn state_in_force(events: &[Value], until: usize) -> Option<&Value> {
    events[..until.min(events.len())].iter().rev().find(|event| event["kind"] == "state")
}

fn find_event(events: &[Value], from: usize, matches: impl Fn(&Value) -> bool) -> Option<usize> {
    events.iter().enumerate().skip(from).find(|(_, event)| matches(event)).map(|(index, _)| index + 1)
}

fn list(events: &[Value], kind: &str, field: &str) -> String {
    let values: Vec<String> = events
        .iter()
        .filter(|event| event["kind"] == kind)
        .map(|event| event["data"][field].to_string())
        .collect();
    if values.is_empty() { "none".to_owned() } else { values.join(", ") }
}
