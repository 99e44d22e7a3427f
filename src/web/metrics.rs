//! Prometheus metrics of the server, served at `/metrics` in the text exposition format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Label of a counter split by reason.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// The reason, in snake_case.
    pub reason: String,
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    /// Calls in progress.
    pub active_calls: Gauge,
    /// Calls ended, by end reason.
    pub calls_ended: Family<ReasonLabel, Counter>,
    /// Recogniser time per utterance, in seconds.
    pub recognition_seconds: Histogram,
    /// Time from the end of the caller's speech to the first reply frame, in seconds,
    /// excluding the trailing silence that decides the end of speech.
    pub turn_processing_seconds: Histogram,
    /// Barge-ins accepted.
    pub barge_ins: Counter,
    /// Outbound frames sent after the caller's phone ran out of audio to play.
    pub late_outbound_frames: Counter,
    /// Inbound messages skipped or calls closed because of bad input, by kind.
    pub bad_messages: Family<ReasonLabel, Counter>,
    /// Requests rejected for a bad or missing signature or token.
    pub rejected_requests: Counter,
    /// Calls handed to a person, by transfer reason.
    pub transfers: Family<ReasonLabel, Counter>,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("recobra");
        let latency_buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

        let active_calls = Gauge::default();
        registry.register("active_calls", "Calls in progress", active_calls.clone());
        let calls_ended = Family::<ReasonLabel, Counter>::default();
        registry.register("calls_ended", "Calls ended, by end reason", calls_ended.clone());
        let recognition_seconds = Histogram::new(latency_buckets.into_iter());
        registry.register("recognition_seconds", "Recogniser time per utterance", recognition_seconds.clone());
        let turn_processing_seconds = Histogram::new(latency_buckets.into_iter());
        registry.register(
            "turn_processing_seconds",
            "Time from end of speech to the first reply frame, without the trailing silence",
            turn_processing_seconds.clone(),
        );
        let barge_ins = Counter::default();
        registry.register("barge_ins", "Barge-ins accepted", barge_ins.clone());
        let late_outbound_frames = Counter::default();
        registry.register(
            "late_outbound_frames",
            "Outbound frames sent after the phone ran out of audio to play",
            late_outbound_frames.clone(),
        );
        let bad_messages = Family::<ReasonLabel, Counter>::default();
        registry.register("bad_messages", "Inbound messages rejected, by kind", bad_messages.clone());
        let rejected_requests = Counter::default();
        registry.register("rejected_requests", "Requests rejected for a bad signature or token", rejected_requests.clone());

        let transfers = Family::<ReasonLabel, Counter>::default();
        registry.register("transfers", "Calls handed to a person, by transfer reason", transfers.clone());

        Self {
            registry,
            transfers,
            active_calls,
            calls_ended,
            recognition_seconds,
            turn_processing_seconds,
            barge_ins,
            late_outbound_frames,
            bad_messages,
            rejected_requests,
        }
    }

    /// Counts one event of a family by reason.
    pub fn count(family: &Family<ReasonLabel, Counter>, reason: &str) {
        family.get_or_create(&ReasonLabel { reason: reason.to_owned() }).inc();
    }

    /// Renders every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
