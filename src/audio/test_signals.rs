//! Test signals for the audio analysers: tones, noise, G.711 round trips and speech fixtures.
//!
//! Levels are RMS dBFS relative to a full-scale 16-bit value (32768), the same convention as
//! the analysers, so a full-scale sine is -3 dBFS.

use std::f32::consts::PI;
use std::path::PathBuf;

pub(crate) const SAMPLE_RATE_HZ: f32 = 8000.0;

/// Samples in one 20 ms frame at 8 kHz.
pub(crate) const FRAME_LEN: usize = 160;

/// The speech fixtures under `audio-fixtures/speech/`, made by its `make.sh`.
pub(crate) const SPEECH_FIXTURES: [&str; 3] = [
    "si-soy-yo.wav",
    "quiero-hablar-con-una-persona.wav",
    "no-puedo-pagar-ahora.wav",
];

/// Converts milliseconds at 8 kHz to samples.
pub(crate) fn ms(milliseconds: usize) -> usize {
    milliseconds * 8
}

/// Returns the linear RMS amplitude for an RMS level in dBFS.
pub(crate) fn rms_for_dbfs(level_dbfs: f32) -> f32 {
    32768.0 * 10f32.powf(level_dbfs / 20.0)
}

/// Returns `len` samples of a sine at `frequency_hz` with an RMS level of `level_dbfs`.
pub(crate) fn sine(frequency_hz: f32, level_dbfs: f32, len: usize) -> Vec<f32> {
    let amplitude = rms_for_dbfs(level_dbfs) * 2f32.sqrt();
    (0..len)
        .map(|n| amplitude * (2.0 * PI * frequency_hz * n as f32 / SAMPLE_RATE_HZ).sin())
        .collect()
}

/// Returns `len` samples of Gaussian-like white noise with an RMS level of `level_dbfs`.
///
/// A fixed-seed xorshift generator keeps the tests deterministic. Each value is the sum of
/// four uniform values, which is close enough to Gaussian for these tests.
pub(crate) fn white_noise(level_dbfs: f32, len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next_uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };

    // The sum of four uniform values on [-0.5, 0.5) has a variance of 4 / 12.
    let scale = rms_for_dbfs(level_dbfs) / (4.0f32 / 12.0).sqrt();
    (0..len)
        .map(|_| (next_uniform() + next_uniform() + next_uniform() + next_uniform()) * scale)
        .collect()
}

/// Adds `other` into `signal`, sample by sample, over their common length.
pub(crate) fn add_into(signal: &mut [f32], other: &[f32]) {
    for (sample, added) in signal.iter_mut().zip(other) {
        *sample += added;
    }
}

/// Multiplies every sample by the gain `gain_db`.
pub(crate) fn scale_db(signal: &[i16], gain_db: f32) -> Vec<i16> {
    let gain = 10f32.powf(gain_db / 20.0);
    signal.iter().map(|&s| to_i16(s as f32 * gain)).collect()
}

/// Rounds and clips float samples to 16-bit PCM.
pub(crate) fn to_pcm(signal: &[f32]) -> Vec<i16> {
    signal.iter().map(|&s| to_i16(s)).collect()
}

fn to_i16(sample: f32) -> i16 {
    sample.round().clamp(i16::MIN as f32, i16::MAX as f32) as i16
}

/// Reads a speech fixture as 8 kHz mono 16-bit PCM.
pub(crate) fn speech_fixture(name: &str) -> Vec<i16> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "audio-fixtures", "speech", name]
        .iter()
        .collect();
    let mut reader = hound::WavReader::open(&path)
        .unwrap_or_else(|error| panic!("failed to open {}: {error}", path.display()));

    let spec = reader.spec();
    assert_eq!(spec.sample_rate, 8000, "{} is not 8 kHz", path.display());
    assert_eq!(spec.channels, 1, "{} is not mono", path.display());
    assert_eq!(spec.bits_per_sample, 16, "{} is not 16-bit", path.display());

    reader
        .samples::<i16>()
        .map(|sample| sample.expect("fixture sample"))
        .collect()
}

/// Encodes and decodes every sample with G.711 mu-law, as a telephone call does.
///
/// This is the textbook G.711 formula (bias 0x84, eight segments), written here so the
/// analysers' tests do not depend on the product codec they are meant to be checked against.
pub(crate) fn mu_law_round_trip(signal: &[i16]) -> Vec<i16> {
    signal
        .iter()
        .map(|&sample| mu_law_decode(mu_law_encode(sample)))
        .collect()
}

fn mu_law_encode(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32635;

    let sign = if sample < 0 { 0x80 } else { 0x00 };
    let magnitude = (sample as i32).abs().min(CLIP) + BIAS;
    // The segment is the position of the highest set bit above bit 7, from 0 to 7.
    let exponent = (24 - magnitude.leading_zeros() as i32).clamp(0, 7);
    let mantissa = (magnitude >> (exponent + 3)) & 0x0F;

    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

fn mu_law_decode(code: u8) -> i16 {
    let code = !code;
    let sign = code & 0x80;
    let exponent = ((code >> 4) & 0x07) as i32;
    let mantissa = (code & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;

    if sign != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mu_law_round_trip_keeps_known_values() {
        // The G.711 mu-law table decodes its end codes to 0 and +-32124.
        let cases = [(0, 0), (32767, 32124), (-32768, -32124)];

        for (input, expected) in cases {
            assert_eq!(mu_law_round_trip(&[input]), vec![expected], "input {input}");
        }
    }

    #[test]
    fn mu_law_round_trip_error_is_small() {
        let tone = to_pcm(&sine(1000.0, -10.0, 800));

        let decoded = mu_law_round_trip(&tone);

        for (original, decoded) in tone.iter().zip(&decoded) {
            let error = (*original as i32 - *decoded as i32).abs();
            let allowed = (original.unsigned_abs() as i32 / 16).max(8);
            assert!(error <= allowed, "{original} decoded as {decoded}");
        }
    }
}
