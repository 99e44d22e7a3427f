//! The load test's result: what every call reported, the server's metrics and its process
//! samples, summed up as JSON and as a short text summary.

use serde::Serialize;

use super::metrics::ProcessingSummary;
use super::procstat::ProcSample;

/// Errors listed in the report; the rest are only counted.
pub const MAX_LISTED_ERRORS: usize = 5;

/// The whole report, written as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Media socket under test.
    pub url: String,
    /// Scenario file each call replays.
    pub scenario: String,
    /// Concurrent calls requested.
    pub concurrent_calls: usize,
    /// Ramp-up and test durations, in seconds.
    pub ramp_s: u64,
    pub duration_s: u64,
    /// Wall time from the first call to the last call's end, in seconds.
    pub elapsed_s: f64,
    pub calls: CallCounts,
    /// Share of the caller's audio frames that carry sound (the caller speaking), over
    /// completed calls.
    pub caller_speech_share: f64,
    /// Voice turns: from the caller's last audio frame (fixtures end with some silence)
    /// to the first reply frame, as the phone heard it.
    pub turn_latency_ms: Percentiles,
    /// Keypad turns: from the last key sent to the first reply frame.
    pub keypad_latency_ms: Percentiles,
    /// The server's own timing of each turn, without the end-of-speech silence.
    pub server_processing: Option<ProcessingSummary>,
    /// Mean voice-turn latency minus mean server processing: mostly the trailing silence
    /// the server waits for to decide that the caller stopped speaking, in milliseconds.
    // NOTE: the server's histogram mixes voice and keypad turns, so this is an estimate.
    pub end_of_speech_wait_mean_ms: Option<f64>,
    /// Mean server processing over the mean latency of all timed turns.
    pub processing_share_of_latency: Option<f64>,
    pub late_frames: LateFrames,
    /// CPU and RSS of the server process, when its pid was given.
    pub server_process: Option<ProcessSummary>,
}

/// Counts of calls by how they ended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallCounts {
    pub started: usize,
    pub completed: usize,
    pub failed: usize,
    /// Calls still running when the drain time after the test ran out, then dropped.
    pub cut_off: usize,
    /// Completed calls that the server ended (the rest ran out of scenario and hung up).
    pub closed_by_server: usize,
    /// The first few errors, in the order they happened.
    pub first_errors: Vec<String>,
}

/// Nearest-rank percentiles of a list of milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    pub count: usize,
    pub mean: f64,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    pub max: u64,
}

/// Outbound frames that came too late to keep the phone's playback going.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LateFrames {
    /// Counted by the load generator's phones (`CallReport::late_frames`).
    pub client: u64,
    /// Growth of the server's `recobra_late_outbound_frames` counter during the run.
    pub server: Option<u64>,
}

/// The server process over the run.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessSummary {
    pub pid: u32,
    /// CPU and RSS before the first call.
    pub idle_cpu_cores: f64,
    pub idle_rss_mib: f64,
    /// Samples taken while every requested call was open.
    pub full_load_samples: usize,
    pub full_load_cpu_cores_mean: Option<f64>,
    pub full_load_cpu_cores_max: Option<f64>,
    pub full_load_rss_mib_max: Option<f64>,
    /// (full-load mean - idle) / calls.
    pub cpu_cores_per_call: Option<f64>,
    /// (full-load max RSS - idle RSS) / calls.
    pub rss_mib_per_call: Option<f64>,
    /// One sample a second.
    pub samples: Vec<ProcSample>,
}

impl Percentiles {
    /// Computes the percentiles of `values` (any order).
    pub fn of(values: &[u64]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let rank = |share: f64| sorted[((share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
        Self {
            count: sorted.len(),
            mean: sorted.iter().sum::<u64>() as f64 / sorted.len() as f64,
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: sorted[sorted.len() - 1],
        }
    }
}

impl ProcessSummary {
    /// Sums up the samples; `idle` is the sample taken before the first call.
    pub fn from_samples(pid: u32, idle: &ProcSample, samples: Vec<ProcSample>, calls: usize) -> Self {
        let full: Vec<&ProcSample> = samples.iter().filter(|sample| sample.active_calls >= calls && calls > 0).collect();
        let cpu_mean = (!full.is_empty()).then(|| full.iter().map(|s| s.cpu_cores).sum::<f64>() / full.len() as f64);
        let cpu_max = full.iter().map(|s| s.cpu_cores).reduce(f64::max);
        let rss_max = full.iter().map(|s| s.rss_mib).reduce(f64::max);
        Self {
            pid,
            idle_cpu_cores: idle.cpu_cores,
            idle_rss_mib: idle.rss_mib,
            full_load_samples: full.len(),
            full_load_cpu_cores_mean: cpu_mean,
            full_load_cpu_cores_max: cpu_max,
            full_load_rss_mib_max: rss_max,
            cpu_cores_per_call: cpu_mean.map(|mean| (mean - idle.cpu_cores) / calls as f64),
            rss_mib_per_call: rss_max.map(|max| (max - idle.rss_mib) / calls as f64),
            samples,
        }
    }
}

impl LoadReport {
    /// Renders the short text summary printed at the end of a run.
    pub fn summary(&self) -> String {
        let calls = &self.calls;
        let latency = &self.turn_latency_ms;
        let mut lines = vec![
            format!("load test: {} concurrent calls against {} for {} s", self.concurrent_calls, self.url, self.duration_s),
            format!(
                "calls: {} started, {} completed, {} failed, {} cut off",
                calls.started, calls.completed, calls.failed, calls.cut_off
            ),
            format!("caller speech share: {:.0}%", self.caller_speech_share * 100.0),
            format!(
                "voice turn latency: {} turns, p50 {} ms, p95 {} ms, p99 {} ms, max {} ms",
                latency.count, latency.p50, latency.p95, latency.p99, latency.max
            ),
            format!(
                "keypad turn latency: {} turns, p50 {} ms, p95 {} ms, p99 {} ms",
                self.keypad_latency_ms.count, self.keypad_latency_ms.p50, self.keypad_latency_ms.p95, self.keypad_latency_ms.p99
            ),
        ];
        if let Some(processing) = self.server_processing.as_ref().filter(|processing| processing.turns > 0) {
            lines.push(format!(
                "server processing: {} turns, mean {:.1} ms, p95 <= {} ms; end-of-speech wait about {:.0} ms",
                processing.turns,
                processing.mean_ms,
                processing.p95_le_ms.map_or("(above the last bucket)".into(), |ms| format!("{ms:.0}")),
                self.end_of_speech_wait_mean_ms.unwrap_or(0.0),
            ));
        }
        lines.push(format!(
            "late outbound frames: client {}, server {}",
            self.late_frames.client,
            self.late_frames.server.map_or("(not read)".into(), |late| late.to_string())
        ));
        if let Some(process) = &self.server_process {
            lines.push(format!(
                "server pid {}: idle {:.1} MiB; full load {} cores mean, {} MiB max; per call {} cores, {} MiB",
                process.pid,
                process.idle_rss_mib,
                format_option(process.full_load_cpu_cores_mean, 2),
                format_option(process.full_load_rss_mib_max, 1),
                format_option(process.cpu_cores_per_call, 4),
                format_option(process.rss_mib_per_call, 2),
            ));
        }
        for error in &calls.first_errors {
            lines.push(format!("error: {error}"));
        }
        lines.join("\n")
    }
}

fn format_option(value: Option<f64>, decimals: usize) -> String {
    value.map_or("n/a".into(), |value| format!("{value:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let values: Vec<u64> = (1..=100).rev().collect();
        let result = Percentiles::of(&values);
        assert_eq!(result.count, 100);
        assert_eq!(result.p50, 50);
        assert_eq!(result.p95, 95);
        assert_eq!(result.p99, 99);
        assert_eq!(result.max, 100);
        assert!((result.mean - 50.5).abs() < 1e-9);
    }

    #[test]
    fn percentiles_of_nothing() {
        assert_eq!(Percentiles::of(&[]).count, 0);
    }

    #[test]
    fn process_summary_per_call() {
        let sample = |active_calls, cpu_cores, rss_mib| ProcSample { at_s: 0.0, active_calls, cpu_cores, rss_mib };
        let idle = sample(0, 0.01, 100.0);
        let samples = vec![sample(5, 0.5, 120.0), sample(10, 0.21, 150.0), sample(10, 0.41, 160.0)];
        let summary = ProcessSummary::from_samples(1, &idle, samples, 10);
        assert_eq!(summary.full_load_samples, 2);
        assert!((summary.cpu_cores_per_call.unwrap() - 0.03).abs() < 1e-9);
        assert!((summary.rss_mib_per_call.unwrap() - 6.0).abs() < 1e-9);
    }
}
