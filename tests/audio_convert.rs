//! Runs the built `recobra audio convert` command on files in a temporary folder.

use std::f64::consts::TAU;
use std::path::Path;
use std::process::{Command, Output};

use recobra::audio::decode::decode_file_to_8k;
use recobra::audio::g711::{G711Law, decode_into};

/// Length of the fixed G.711 WAV header: RIFF (12), fmt (8 + 18), fact (8 + 4), data (8).
const G711_WAV_HEADER_LEN: usize = 58;

fn run_convert(input: &Path, output: &Path, to: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_recobra"))
        .args(["audio", "convert"])
        .arg(input)
        .arg(output)
        .args(["--to", to])
        .output()
        .expect("failed to start the recobra binary")
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "recobra failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes 1 s of a 440 Hz tone at 44.1 kHz in stereo, the left channel louder than the right.
fn write_stereo_tone(path: &Path) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..44100 {
        let wave = (TAU * 440.0 * f64::from(n) / 44100.0).sin();
        writer
            .write_sample((20_000.0 * wave).round() as i16)
            .unwrap();
        writer
            .write_sample((10_000.0 * wave).round() as i16)
            .unwrap();
    }
    writer.finalize().unwrap();
}

/// Measures a tone's frequency from its rising zero crossings, interpolated between samples.
fn measure_frequency(samples: &[i16], rate_hz: u32) -> f64 {
    let margin = samples.len() / 10;
    let interior = &samples[margin..samples.len() - margin];
    let crossings: Vec<f64> = interior
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| pair[0] < 0 && pair[1] >= 0)
        .map(|(index, pair)| {
            let before = f64::from(pair[0]);
            let after = f64::from(pair[1]);
            index as f64 - before / (after - before)
        })
        .collect();
    assert!(
        crossings.len() >= 10,
        "too few zero crossings: {}",
        crossings.len()
    );

    let span = crossings[crossings.len() - 1] - crossings[0];
    (crossings.len() - 1) as f64 / span * f64::from(rate_hz)
}

fn assert_tone_440(samples: &[i16], rate_hz: u32, what: &str) {
    let frequency = measure_frequency(samples, rate_hz);
    assert!(
        (frequency - 440.0).abs() < 1.0,
        "{what}: measured {frequency:.2} Hz"
    );
}

fn u16_at(bytes: &[u8], offset: usize) -> u16 {
    u16::from_le_bytes([bytes[offset], bytes[offset + 1]])
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap())
}

#[test]
fn mulaw_raw_output() {
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("tone.wav");
    let output = folder.path().join("tone.ulaw");
    write_stereo_tone(&input);

    let result = run_convert(&input, &output, "mulaw8k");

    assert_success(&result);
    let codes = std::fs::read(&output).unwrap();
    assert_eq!(codes.len(), 8000, "1 s at 8000 Hz is 8000 one-byte codes");
    let mut samples = Vec::new();
    decode_into(G711Law::Mulaw, &codes, &mut samples);
    assert_tone_440(&samples, 8000, "headerless mu-law");

    let summary = String::from_utf8_lossy(&result.stdout);
    assert_eq!(
        summary.lines().count(),
        1,
        "summary is not one line: {summary}"
    );
    assert!(
        summary.contains("1.00 s"),
        "summary lacks the duration: {summary}"
    );
    assert!(
        summary.contains("headerless G.711 mu-law"),
        "summary lacks the format: {summary}"
    );
}

#[test]
fn g711_wav_headers() {
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("tone.wav");
    write_stereo_tone(&input);

    for (to, file_name, format_tag, law) in [
        ("alaw8k", "tone-alaw.wav", 6, G711Law::Alaw),
        ("mulaw8k", "tone-mulaw.WAV", 7, G711Law::Mulaw),
    ] {
        let output = folder.path().join(file_name);

        let result = run_convert(&input, &output, to);

        assert_success(&result);
        let bytes = std::fs::read(&output).unwrap();
        assert_eq!(bytes.len(), G711_WAV_HEADER_LEN + 8000, "{to}: file length");
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(
            u32_at(&bytes, 4) as usize,
            bytes.len() - 8,
            "{to}: RIFF length"
        );
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        assert_eq!(u32_at(&bytes, 16), 18, "{to}: fmt chunk length");
        assert_eq!(u16_at(&bytes, 20), format_tag, "{to}: format tag");
        assert_eq!(u16_at(&bytes, 22), 1, "{to}: channels");
        assert_eq!(u32_at(&bytes, 24), 8000, "{to}: sample rate");
        assert_eq!(u32_at(&bytes, 28), 8000, "{to}: bytes per second");
        assert_eq!(u16_at(&bytes, 32), 1, "{to}: block alignment");
        assert_eq!(u16_at(&bytes, 34), 8, "{to}: bits per sample");
        assert_eq!(u16_at(&bytes, 36), 0, "{to}: extension size");
        assert_eq!(&bytes[38..42], b"fact");
        assert_eq!(u32_at(&bytes, 46), 8000, "{to}: fact frame count");
        assert_eq!(&bytes[50..54], b"data");
        assert_eq!(u32_at(&bytes, 54), 8000, "{to}: data length");

        let mut samples = Vec::new();
        decode_into(law, &bytes[G711_WAV_HEADER_LEN..], &mut samples);
        assert_tone_440(&samples, 8000, to);

        // symphonia reads the hand-written header back, which checks it against a real reader.
        let decoded = decode_file_to_8k(&output).unwrap();
        assert_eq!(decoded.len(), 8000, "{to}: frames read back");
        assert_tone_440(&decoded, 8000, to);
    }
}

#[test]
fn pcm_outputs() {
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("tone.wav");
    write_stereo_tone(&input);

    for (to, rate_hz) in [("pcm8k", 8000), ("pcm16k", 16000)] {
        let output = folder.path().join(format!("{to}.wav"));

        let result = run_convert(&input, &output, to);

        assert_success(&result);
        let mut reader = hound::WavReader::open(&output).unwrap();
        let spec = reader.spec();
        assert_eq!(spec.channels, 1, "{to}: channels");
        assert_eq!(spec.sample_rate, rate_hz, "{to}: sample rate");
        assert_eq!(spec.bits_per_sample, 16, "{to}: bits per sample");
        assert_eq!(
            spec.sample_format,
            hound::SampleFormat::Int,
            "{to}: sample format"
        );
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(samples.len(), rate_hz as usize, "{to}: 1 s of frames");
        assert_tone_440(&samples, rate_hz, to);

        // The channels average to amplitude 15 000, an RMS level of about 10 607.
        let energy: f64 = samples
            .iter()
            .map(|&sample| f64::from(sample).powi(2))
            .sum();
        let level = (energy / samples.len() as f64).sqrt();
        assert!(
            (level - 10_607.0).abs() < 300.0,
            "{to}: RMS level {level:.0}"
        );

        let summary = String::from_utf8_lossy(&result.stdout);
        assert!(
            summary.contains(&format!("16-bit PCM WAV, {rate_hz} Hz mono")),
            "{to}: summary {summary}"
        );
    }
}

#[test]
fn missing_input_fails_with_path() {
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("absent.wav");
    let output = folder.path().join("out.wav");

    let result = run_convert(&input, &output, "pcm8k");

    assert!(
        !result.status.success(),
        "conversion of a missing file succeeded"
    );
    let message = String::from_utf8_lossy(&result.stderr);
    assert!(
        message.contains("absent.wav"),
        "error lacks the path: {message}"
    );
    assert!(
        !output.exists(),
        "an output file was created for a missing input"
    );
}

#[test]
fn garbage_input_fails() {
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("noise.mp3");
    let output = folder.path().join("out.ulaw");
    std::fs::write(
        &input,
        b"this is not audio, just some text that no decoder accepts",
    )
    .unwrap();

    let result = run_convert(&input, &output, "mulaw8k");

    assert!(
        !result.status.success(),
        "conversion of a text file succeeded"
    );
    let message = String::from_utf8_lossy(&result.stderr);
    assert!(
        message.contains("unsupported or invalid audio file"),
        "unexpected error: {message}"
    );
    assert!(
        message.contains("noise.mp3"),
        "error lacks the path: {message}"
    );
}

#[test]
fn unknown_format_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("tone.wav");
    let output = folder.path().join("out.gsm");
    write_stereo_tone(&input);

    let result = run_convert(&input, &output, "gsm8k");

    assert!(
        !result.status.success(),
        "an unknown --to value was accepted"
    );
    let message = String::from_utf8_lossy(&result.stderr);
    assert!(
        message.contains("mulaw8k"),
        "error does not list the valid formats: {message}"
    );
    assert!(
        !output.exists(),
        "an output file was created for an unknown format"
    );
}
