//! Signal helpers shared by the audio unit tests.

use std::f64::consts::TAU;

/// Returns `len` samples of a sine at `frequency_hz` sampled at `rate_hz`.
pub fn sine(frequency_hz: f64, rate_hz: u32, len: usize, amplitude: f64) -> Vec<i16> {
    (0..len)
        .map(|n| {
            (amplitude * (TAU * frequency_hz * n as f64 / f64::from(rate_hz)).sin()).round() as i16
        })
        .collect()
}

/// Measures a tone's frequency from its rising zero crossings, interpolated between samples.
pub fn measure_frequency(samples: &[i16], rate_hz: u32) -> f64 {
    let crossings: Vec<f64> = samples
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| pair[0] < 0 && pair[1] >= 0)
        .map(|(index, pair)| {
            let before = f64::from(pair[0]);
            let after = f64::from(pair[1]);
            index as f64 + -before / (after - before)
        })
        .collect();
    assert!(
        crossings.len() >= 10,
        "too few zero crossings ({}) to measure a frequency",
        crossings.len()
    );

    let span = crossings[crossings.len() - 1] - crossings[0];
    (crossings.len() - 1) as f64 / span * f64::from(rate_hz)
}

/// Returns the root mean square level of `samples`.
pub fn rms(samples: &[i16]) -> f64 {
    let energy: f64 = samples
        .iter()
        .map(|&sample| f64::from(sample).powi(2))
        .sum();
    (energy / samples.len() as f64).sqrt()
}

/// Middle part of a signal, away from the start and end transients.
pub fn interior(samples: &[i16]) -> &[i16] {
    let margin = samples.len() / 10;
    &samples[margin..samples.len() - margin]
}
