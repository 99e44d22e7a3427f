//! The load test: many replayed calls at once against one server.
//!
//! `recobra loadtest --url ws://HOST/twilio/media --calls N` keeps N calls open over the
//! Twilio Media Streams protocol, started evenly over `--ramp` seconds. Each of the N lines
//! replays the scenario in real time and starts the next call as soon as one ends, until
//! `--duration` seconds have passed. Calls in progress then finish, or are dropped after
//! `--drain` seconds. It only connects to the URL given, and reads `/metrics` on the
//! same host. With `--server-pid` it samples the server's CPU and RSS every second.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::replay::client::{CallOptions, CallReport, run_call};
use crate::replay::scenario::Scenario;

pub mod metrics;
pub mod procstat;
pub mod report;

use report::{CallCounts, LateFrames, LoadReport, MAX_LISTED_ERRORS, Percentiles, ProcessSummary};

/// Arguments of `recobra loadtest`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadtestArgs {
    /// Media socket of the server under test, ws://HOST:PORT/twilio/media.
    #[arg(long)]
    pub url: String,
    /// Calls kept open at once.
    #[arg(long)]
    pub calls: usize,
    /// Seconds over which the calls are started, evenly spaced.
    #[arg(long, default_value_t = 10)]
    pub ramp: u64,
    /// Seconds, from the first call, after which no new call starts.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Seconds that calls still running at the end of --duration may take to finish
    /// before they are dropped.
    #[arg(long, default_value_t = 90)]
    pub drain: u64,
    /// Scenario each call replays (TOML, as for `recobra replay`).
    #[arg(long, default_value = "audio-fixtures/scenarios/load-caller.toml")]
    pub scenario: PathBuf,
    /// Folder that scenario audio paths are relative to.
    #[arg(long, default_value = "audio-fixtures")]
    pub audio_root: PathBuf,
    /// Process id of the server, to sample its CPU and RSS (the server must run on this host).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// File the JSON report is written to.
    #[arg(long)]
    pub json: PathBuf,
    /// Maximum wait for the assistant in one turn, in seconds, before a call fails.
    #[arg(long, default_value_t = 30)]
    pub answer_timeout: u64,
}

/// Summary of one completed call, without its audio.
struct CallResult {
    voice_latencies_ms: Vec<u64>,
    keypad_latencies_ms: Vec<u64>,
    late_frames: u64,
    closed_by_server: bool,
    speech_frames: u64,
    frames: u64,
}

/// Results shared by the call lines.
#[derive(Default)]
struct Collected {
    started: usize,
    results: Vec<CallResult>,
    errors: Vec<String>,
}

/// Runs `recobra loadtest`: the calls, the sampling, then the report.
pub async fn run(args: &LoadtestArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.calls > 0, "invalid --calls 0: expected at least one call");
    let scenario = Arc::new(Scenario::load(&args.scenario)?);
    let options = CallOptions {
        url: args.url.clone(),
        audio_root: args.audio_root.clone(),
        speed: 1,
        answer_timeout_ms: args.answer_timeout * 1000,
    };
    let metrics_url = metrics::metrics_url(&args.url)?;
    let before = metrics::scrape(&metrics_url).await.context("the server under test must be running")?;

    let idle = match args.server_pid {
        Some(pid) => Some(idle_sample(pid).await?),
        None => None,
    };

    let started_at = Instant::now();
    let deadline = started_at + Duration::from_secs(args.duration);
    let active = Arc::new(AtomicUsize::new(0));
    let collected = Arc::new(Mutex::new(Collected::default()));
    info!(calls = args.calls, ramp_s = args.ramp, duration_s = args.duration, url = %args.url, "load test started");

    let samples = Arc::new(Mutex::new(Vec::new()));
    let sampler = args.server_pid.map(|pid| tokio::spawn(sample_process(pid, started_at, active.clone(), samples.clone())));
    let mut lines = tokio::task::JoinSet::new();
    for line in 0..args.calls {
        let delay = Duration::from_secs_f64(args.ramp as f64 * line as f64 / args.calls as f64);
        let start = started_at + delay;
        lines.spawn(run_line(start, deadline, scenario.clone(), options.clone(), active.clone(), collected.clone()));
    }

    let drain_end = deadline + Duration::from_secs(args.drain);
    while tokio::time::timeout_at(drain_end, lines.join_next()).await.is_ok_and(|next| next.is_some()) {}
    let cut_off = lines.len();
    if cut_off > 0 {
        warn!(cut_off, "calls still running after the drain time were dropped");
        lines.abort_all();
    }
    if let Some(sampler) = sampler {
        sampler.abort();
    }
    let elapsed_s = started_at.elapsed().as_secs_f64();
    let after = metrics::scrape(&metrics_url).await.context("failed to read the server's metrics after the run")?;

    let samples = std::mem::take(&mut *lock(&samples));
    let process = args.server_pid.zip(idle).map(|(pid, idle)| ProcessSummary::from_samples(pid, &idle, samples, args.calls));
    let report = build_report(args, &lock(&collected), cut_off, elapsed_s, &before, &after, process);
    write_report(&args.json, &report)?;
    println!("{}", report.summary());
    println!("report written to {}", args.json.display());
    Ok(())
}

/// Locks a mutex, taking the data even if a call line panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Replays calls back to back from `start` until `deadline`: one call line.
async fn run_line(
    start: Instant,
    deadline: Instant,
    scenario: Arc<Scenario>,
    options: CallOptions,
    active: Arc<AtomicUsize>,
    collected: Arc<Mutex<Collected>>,
) {
    tokio::time::sleep_until(start).await;
    while Instant::now() < deadline {
        lock(&collected).started += 1;
        active.fetch_add(1, Ordering::Relaxed);
        let outcome = run_call(&scenario, &options).await;
        active.fetch_sub(1, Ordering::Relaxed);

        let failed = match outcome {
            Ok(report) => {
                let result = summarise_call(&scenario, report);
                lock(&collected).results.push(result);
                false
            }
            Err(error) => {
                warn!(%error, "load test call failed");
                lock(&collected).errors.push(error.to_string());
                true
            }
        };
        if failed {
            // A failing server should not be hammered with reconnections.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Frames whose peak is above this count as the caller speaking (about -50 dBFS).
const SPEECH_PEAK: i16 = 100;

fn summarise_call(scenario: &Scenario, report: CallReport) -> CallResult {
    let mut voice_latencies_ms = Vec::new();
    let mut keypad_latencies_ms = Vec::new();
    for (&latency, &turn) in report.turn_latencies_ms.iter().zip(&report.timed_turns) {
        match scenario.turns.get(turn - 1) {
            Some(played) if played.audio.is_some() => voice_latencies_ms.push(latency),
            Some(played) if played.keys.is_some() || played.tones.is_some() => keypad_latencies_ms.push(latency),
            _ => {}
        }
    }

    let frames: Vec<i16> = report.stereo.iter().map(|[caller, _]| *caller).collect();
    let chunks = frames.chunks(crate::transport::FRAME_SAMPLES);
    let frame_count = chunks.len() as u64;
    let speech_frames = chunks.filter(|frame| frame.iter().any(|sample| sample.unsigned_abs() > SPEECH_PEAK.unsigned_abs())).count() as u64;
    CallResult {
        voice_latencies_ms,
        keypad_latencies_ms,
        late_frames: report.late_frames,
        closed_by_server: report.closed_by_server,
        speech_frames,
        frames: frame_count,
    }
}

/// Reads the server's idle CPU over one second before any call starts.
async fn idle_sample(pid: u32) -> anyhow::Result<procstat::ProcSample> {
    let first = procstat::read(pid).with_context(|| format!("failed to read server process {pid}: is it running on this host?"))?;
    let begun = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let second = procstat::read(pid)?;
    Ok(procstat::ProcSample {
        at_s: 0.0,
        active_calls: 0,
        cpu_cores: (second.cpu_seconds - first.cpu_seconds) / begun.elapsed().as_secs_f64(),
        rss_mib: second.rss_kib as f64 / 1024.0,
    })
}

/// Samples the server's CPU and RSS every second until aborted.
async fn sample_process(pid: u32, started_at: Instant, active: Arc<AtomicUsize>, samples: Arc<Mutex<Vec<procstat::ProcSample>>>) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    let mut previous: Option<(Instant, procstat::ProcReading)> = None;
    loop {
        interval.tick().await;
        let now = Instant::now();
        let reading = match procstat::read(pid) {
            Ok(reading) => reading,
            Err(error) => {
                warn!(%error, pid, "server process sampling stopped");
                return;
            }
        };
        if let Some((then, earlier)) = previous {
            let sample = procstat::ProcSample {
                at_s: (now - started_at).as_secs_f64(),
                active_calls: active.load(Ordering::Relaxed),
                cpu_cores: (reading.cpu_seconds - earlier.cpu_seconds) / (now - then).as_secs_f64(),
                rss_mib: reading.rss_kib as f64 / 1024.0,
            };
            lock(&samples).push(sample);
        }
        previous = Some((now, reading));
    }
}

fn build_report(
    args: &LoadtestArgs,
    collected: &Collected,
    cut_off: usize,
    elapsed_s: f64,
    before: &metrics::ServerMetrics,
    after: &metrics::ServerMetrics,
    server_process: Option<ProcessSummary>,
) -> LoadReport {
    let results = &collected.results;
    let voice: Vec<u64> = results.iter().flat_map(|result| result.voice_latencies_ms.iter().copied()).collect();
    let keypad: Vec<u64> = results.iter().flat_map(|result| result.keypad_latencies_ms.iter().copied()).collect();
    let turn_latency_ms = Percentiles::of(&voice);
    let keypad_latency_ms = Percentiles::of(&keypad);
    let processing = metrics::processing_between(before, after);
    // The server's histogram contains voice and keypad turns alike, so both latencies
    // together are the matching denominator.
    let all_turns = Percentiles::of(&[voice.as_slice(), keypad.as_slice()].concat());
    let has_processing = processing.turns > 0 && all_turns.count > 0 && turn_latency_ms.count > 0;
    let end_of_speech_wait_mean_ms = has_processing.then(|| turn_latency_ms.mean - processing.mean_ms);
    let processing_share_of_latency = has_processing.then(|| processing.mean_ms / all_turns.mean);
    let frames: u64 = results.iter().map(|result| result.frames).sum();
    let speech_frames: u64 = results.iter().map(|result| result.speech_frames).sum();

    LoadReport {
        url: args.url.clone(),
        scenario: args.scenario.display().to_string(),
        concurrent_calls: args.calls,
        ramp_s: args.ramp,
        duration_s: args.duration,
        elapsed_s,
        calls: CallCounts {
            started: collected.started,
            completed: results.len(),
            failed: collected.errors.len(),
            cut_off,
            closed_by_server: results.iter().filter(|result| result.closed_by_server).count(),
            first_errors: collected.errors.iter().take(MAX_LISTED_ERRORS).cloned().collect(),
        },
        caller_speech_share: if frames == 0 { 0.0 } else { speech_frames as f64 / frames as f64 },
        turn_latency_ms,
        keypad_latency_ms,
        server_processing: Some(processing),
        end_of_speech_wait_mean_ms,
        processing_share_of_latency,
        late_frames: LateFrames {
            client: results.iter().map(|result| result.late_frames).sum(),
            server: Some(after.late_outbound_frames.saturating_sub(before.late_outbound_frames)),
        },
        server_process,
    }
}

fn write_report(path: &std::path::Path, report: &LoadReport) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("failed to create {}", parent.display()))?;
    }
    std::fs::write(path, serde_json::to_string_pretty(report)?).with_context(|| format!("failed to write {}", path.display()))
}
