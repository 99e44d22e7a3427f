//! The server's Prometheus metrics that the load test reads: the turn-processing histogram
//! and the late outbound frame counter, scraped from `/metrics` before and after the run.

use anyhow::Context;
use serde::Serialize;

/// The metrics read from one scrape.
#[derive(Debug, Clone, Default)]
pub struct ServerMetrics {
    /// `recobra_turn_processing_seconds` buckets as (upper bound in seconds, cumulative count).
    pub turn_processing_buckets: Vec<(f64, u64)>,
    /// `recobra_turn_processing_seconds_sum`, in seconds.
    pub turn_processing_sum: f64,
    /// `recobra_turn_processing_seconds_count`.
    pub turn_processing_count: u64,
    /// `recobra_late_outbound_frames_total`.
    pub late_outbound_frames: u64,
}

/// Turn processing time seen by the server during the run, from the histogram's growth.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessingSummary {
    /// Turns the server timed.
    pub turns: u64,
    /// Mean processing time, in milliseconds.
    pub mean_ms: f64,
    /// Upper bounds of the buckets holding the 50th, 95th and 99th percentiles, in
    /// milliseconds (`None` when the percentile is above the last finite bucket).
    pub p50_le_ms: Option<f64>,
    pub p95_le_ms: Option<f64>,
    pub p99_le_ms: Option<f64>,
}

/// Builds the `/metrics` URL on the host of a `ws://` media URL.
pub fn metrics_url(media_url: &str) -> anyhow::Result<String> {
    let rest = media_url
        .strip_prefix("ws://")
        .with_context(|| format!("invalid media URL {media_url}: the load test supports ws:// only"))?;
    let host = rest.split('/').next().unwrap_or(rest);
    Ok(format!("http://{host}/metrics"))
}

/// Scrapes and parses the server's metrics.
pub async fn scrape(url: &str) -> anyhow::Result<ServerMetrics> {
    let url = url.to_owned();
    let text = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        let response = ureq::get(&url).call().with_context(|| format!("failed to read metrics from {url}"))?;
        Ok(response.into_string()?)
    })
    .await??;
    Ok(parse(&text))
}

/// Parses the lines the load test needs from the Prometheus text format; other lines are
/// skipped.
pub fn parse(text: &str) -> ServerMetrics {
    let mut metrics = ServerMetrics::default();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let Some((name, value)) = line.rsplit_once(' ') else { continue };
        let Ok(value) = value.parse::<f64>() else { continue };
        if let Some(labels) = name.strip_prefix("recobra_turn_processing_seconds_bucket{le=\"") {
            let bound = labels.trim_end_matches("\"}");
            let bound = if bound == "+Inf" { f64::INFINITY } else { bound.parse().unwrap_or(f64::INFINITY) };
            metrics.turn_processing_buckets.push((bound, value as u64));
        } else if name == "recobra_turn_processing_seconds_sum" {
            metrics.turn_processing_sum = value;
        } else if name == "recobra_turn_processing_seconds_count" {
            metrics.turn_processing_count = value as u64;
        } else if name == "recobra_late_outbound_frames_total" {
            metrics.late_outbound_frames = value as u64;
        }
    }
    metrics
}

/// Summarises the turns processed between two scrapes.
pub fn processing_between(before: &ServerMetrics, after: &ServerMetrics) -> ProcessingSummary {
    let turns = after.turn_processing_count.saturating_sub(before.turn_processing_count);
    let sum = after.turn_processing_sum - before.turn_processing_sum;
    let buckets: Vec<(f64, u64)> = after
        .turn_processing_buckets
        .iter()
        .map(|&(bound, count)| {
            let earlier = before.turn_processing_buckets.iter().find(|(b, _)| *b == bound).map_or(0, |(_, c)| *c);
            (bound, count.saturating_sub(earlier))
        })
        .collect();
    let percentile = |share: f64| -> Option<f64> {
        if turns == 0 {
            return None;
        }
        let needed = (share * turns as f64).ceil() as u64;
        let (bound, _) = buckets.iter().find(|(_, count)| *count >= needed)?;
        bound.is_finite().then_some(bound * 1000.0)
    };
    ProcessingSummary {
        turns,
        mean_ms: if turns == 0 { 0.0 } else { sum / turns as f64 * 1000.0 },
        p50_le_ms: percentile(0.50),
        p95_le_ms: percentile(0.95),
        p99_le_ms: percentile(0.99),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = "# HELP x\nrecobra_turn_processing_seconds_sum 0.02\nrecobra_turn_processing_seconds_count 1\n\
        recobra_turn_processing_seconds_bucket{le=\"0.005\"} 0\nrecobra_turn_processing_seconds_bucket{le=\"0.025\"} 1\n\
        recobra_turn_processing_seconds_bucket{le=\"0.05\"} 1\nrecobra_turn_processing_seconds_bucket{le=\"+Inf\"} 1\n\
        recobra_late_outbound_frames_total 2\n";

    const AFTER: &str = "recobra_turn_processing_seconds_sum 0.32\nrecobra_turn_processing_seconds_count 11\n\
        recobra_turn_processing_seconds_bucket{le=\"0.005\"} 0\nrecobra_turn_processing_seconds_bucket{le=\"0.025\"} 10\n\
        recobra_turn_processing_seconds_bucket{le=\"0.05\"} 10\nrecobra_turn_processing_seconds_bucket{le=\"+Inf\"} 11\n\
        recobra_late_outbound_frames_total 7\n";

    #[test]
    fn scrape_text_parsed() {
        let metrics = parse(AFTER);
        assert_eq!(metrics.turn_processing_count, 11);
        assert_eq!(metrics.turn_processing_buckets.len(), 4);
        assert_eq!(metrics.late_outbound_frames, 7);
    }

    #[test]
    fn processing_uses_growth_only() {
        let summary = processing_between(&parse(BEFORE), &parse(AFTER));
        assert_eq!(summary.turns, 10);
        assert!((summary.mean_ms - 30.0).abs() < 1e-6, "mean {}", summary.mean_ms);
        assert_eq!(summary.p50_le_ms, Some(25.0));
        assert_eq!(summary.p95_le_ms, None, "the tenth turn is in the +Inf bucket");
    }

    #[test]
    fn metrics_url_from_media_url() {
        assert_eq!(metrics_url("ws://127.0.0.1:8080/twilio/media").unwrap(), "http://127.0.0.1:8080/metrics");
        assert!(metrics_url("wss://example.com/twilio/media").is_err());
    }
}
