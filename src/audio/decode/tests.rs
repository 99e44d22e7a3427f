use super::*;

use crate::audio::test_support::{interior, measure_frequency, rms, sine};

/// Folder of the committed FLAC, Ogg Vorbis and MP3 fixtures (1 s of 440 Hz at half scale).
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("audio-fixtures/formats")
        .join(name)
}

fn write_wav(path: &Path, rate_hz: u32, channels: &[Vec<i16>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate_hz,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for frame in 0..channels[0].len() {
        for channel in channels {
            writer.write_sample(channel[frame]).unwrap();
        }
    }
    writer.finalize().unwrap();
}

/// Checks that `samples` hold a 440 Hz tone at 8 kHz with RMS level `expected_rms` (±tolerance).
fn check_tone(samples: &[i16], expected_rms: f64, tolerance: f64, what: &str) {
    let frequency = measure_frequency(interior(samples), TELEPHONY_RATE_HZ);
    assert!(
        (frequency - 440.0).abs() < 1.0,
        "{what}: measured {frequency:.2} Hz, expected 440 Hz"
    );

    let level = rms(interior(samples)) / expected_rms;
    assert!(
        (level - 1.0).abs() < tolerance,
        "{what}: level is {level:.3} of the expected level"
    );
}

#[test]
fn wav_22050_hz_mono() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("tone.wav");
    write_wav(&path, 22050, &[sine(440.0, 22050, 22050, 16_000.0)]);

    let samples = decode_file_to_8k(&path).unwrap();

    assert_eq!(samples.len(), 8000);
    check_tone(&samples, 16_000.0 / 2f64.sqrt(), 0.02, "22050 Hz WAV");
}

#[test]
fn wav_44100_hz_stereo_is_averaged() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("tone.wav");
    let left = sine(440.0, 44100, 44100, 20_000.0);
    let right = sine(440.0, 44100, 44100, 4_000.0);
    write_wav(&path, 44100, &[left, right]);

    let samples = decode_file_to_8k(&path).unwrap();

    // The average of the two channels is the same tone at amplitude 12 000.
    assert_eq!(samples.len(), 8000);
    check_tone(
        &samples,
        12_000.0 / 2f64.sqrt(),
        0.02,
        "44100 Hz stereo WAV",
    );
}

#[test]
fn wav_at_native_rate_is_unchanged() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("tone.wav");
    let tone = sine(440.0, 8000, 800, 16_000.0);
    write_wav(&path, 8000, std::slice::from_ref(&tone));

    let audio = decode_file(&path).unwrap();
    let samples = decode_file_to_8k(&path).unwrap();

    assert_eq!(audio.sample_rate, 8000);
    assert_eq!(samples, tone);
}

#[test]
fn empty_wav_gives_no_samples() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("empty.wav");
    write_wav(&path, 16000, &[Vec::new()]);

    let samples = decode_file_to_8k(&path).unwrap();

    assert!(
        samples.is_empty(),
        "an empty WAV decoded to {} samples",
        samples.len()
    );
}

#[test]
fn flac_fixture() {
    let path = fixture("tone-440hz-16k-mono.flac");

    let audio = decode_file(&path).unwrap();
    let samples = decode_file_to_8k(&path).unwrap();

    assert_eq!(audio.sample_rate, 16000);
    assert_eq!(audio.samples.len(), 16000);
    assert_eq!(samples.len(), 8000);
    check_tone(&samples, 16_384.0 / 2f64.sqrt(), 0.02, "FLAC");
}

#[test]
fn ogg_vorbis_fixture() {
    let path = fixture("tone-440hz-22k-stereo.ogg");

    let audio = decode_file(&path).unwrap();
    let samples = decode_file_to_8k(&path).unwrap();

    assert_eq!(audio.sample_rate, 22050);
    // symphonia 0.5.5 does not trim the last Vorbis block to the stream's end position, so up to
    // one block (at most 2048 frames, 0.09 s at 22.05 kHz) more decodes.
    assert!(
        (8000..=8800).contains(&samples.len()),
        "Ogg Vorbis decoded to {} samples",
        samples.len()
    );
    // Vorbis is lossy, so the level gets a wider tolerance than for lossless files.
    check_tone(&samples[..8000], 16_384.0 / 2f64.sqrt(), 0.1, "Ogg Vorbis");
}

#[test]
fn mp3_fixture() {
    let path = fixture("tone-440hz-44k-mono.mp3");

    let audio = decode_file(&path).unwrap();
    let samples = decode_file_to_8k(&path).unwrap();

    assert_eq!(audio.sample_rate, 44100);
    // sox writes no LAME header declaring the encoder delay and padding, so nothing is trimmed:
    // the tone starts about 25 ms late and whole 1152-sample frames decode, up to 0.1 s more.
    assert!(
        (8000..=8900).contains(&samples.len()),
        "MP3 decoded to {} samples",
        samples.len()
    );
    check_tone(&samples[..8000], 16_384.0 / 2f64.sqrt(), 0.1, "MP3");
}

#[test]
fn garbage_file_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("garbage.wav");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|n| (n.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&path, bytes).unwrap();

    let error = decode_file_to_8k(&path).unwrap_err();

    assert!(
        matches!(&error, DecodeError::UnsupportedFormat { path: failed, .. } if *failed == path),
        "unexpected error: {error:?}"
    );
    assert!(
        error.to_string().contains("garbage.wav"),
        "message lacks the path: {error}"
    );
}

#[test]
fn missing_file_is_reported() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("missing.flac");

    let error = decode_file_to_8k(&path).unwrap_err();

    match &error {
        DecodeError::Open {
            path: failed,
            source,
        } => {
            assert_eq!(failed, &path);
            assert_eq!(source.kind(), io::ErrorKind::NotFound);
        }
        other => panic!("expected an open error, got {other:?}"),
    }
    assert!(
        error.to_string().contains("missing.flac"),
        "message lacks the path: {error}"
    );
}
