use super::*;

use std::f64::consts::TAU;

use crate::audio::test_support::{interior, measure_frequency, rms, sine};

/// Rate pairs the product uses: call audio up to the recogniser, prompts down to telephony.
const RATE_PAIRS: [(u32, u32); 4] = [(8000, 16000), (44100, 8000), (16000, 8000), (22050, 8000)];

/// Returns a speech-like test signal: two tones plus deterministic pseudo-random noise.
fn test_signal(rate_hz: u32, len: usize) -> Vec<i16> {
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|n| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = f64::from((state >> 16) as i16) / 8.0;
            let time = n as f64 / f64::from(rate_hz);
            let tones = 9000.0 * (TAU * 300.0 * time).sin() + 6000.0 * (TAU * 1700.0 * time).sin();
            (tones + noise).round() as i16
        })
        .collect()
}

fn resample_in_pieces(input: &[i16], from_hz: u32, to_hz: u32, piece_len: usize) -> Vec<i16> {
    let mut resampler = StreamResampler::new(from_hz, to_hz, 160).unwrap();
    let mut output = Vec::new();
    for piece in input.chunks(piece_len) {
        resampler.process(piece, &mut output);
    }
    resampler.flush(&mut output);
    output
}

fn expected_len(input_len: usize, from_hz: u32, to_hz: u32) -> usize {
    (input_len as u64 * u64::from(to_hz)).div_ceil(u64::from(from_hz)) as usize
}

#[test]
fn piece_length_does_not_change_output() {
    for (from_hz, to_hz) in RATE_PAIRS {
        let input = test_signal(from_hz, from_hz as usize * 13 / 10);
        let whole = resample_in_pieces(&input, from_hz, to_hz, input.len());
        assert_eq!(whole.len(), expected_len(input.len(), from_hz, to_hz));

        for piece_len in [1, 7, 160, 1000] {
            let pieces = resample_in_pieces(&input, from_hz, to_hz, piece_len);
            assert!(
                pieces == whole,
                "{from_hz} -> {to_hz} Hz in pieces of {piece_len}: output differs from one piece"
            );
        }
    }
}

#[test]
fn output_length_follows_ratio_and_delay() {
    for (from_hz, to_hz) in RATE_PAIRS {
        for input_len in [0, 1, 159, 160, 161, 441, 12_345] {
            let mut resampler = StreamResampler::new(from_hz, to_hz, 160).unwrap();
            let chunk_in = resampler.input_chunk_len();
            let chunk_out = expected_len(chunk_in, from_hz, to_hz);
            let delay = resampler.output_delay();
            let input = test_signal(from_hz, input_len);
            let mut output = Vec::new();

            resampler.process(&input, &mut output);
            let full_chunks = input_len / chunk_in;
            let before_flush = if full_chunks == 0 {
                0
            } else {
                full_chunks * chunk_out - delay
            };
            assert_eq!(
                output.len(),
                before_flush,
                "{from_hz} -> {to_hz} Hz, {input_len} frames, before flush"
            );

            resampler.flush(&mut output);
            let after_flush = expected_len(input_len, from_hz, to_hz);
            assert_eq!(
                output.len(),
                after_flush,
                "{from_hz} -> {to_hz} Hz, {input_len} frames, after flush"
            );
        }
    }
}

#[test]
fn delay_is_ten_ms_for_call_frames() {
    let resampler = StreamResampler::new(8000, 16000, 160).unwrap();
    assert_eq!(resampler.input_chunk_len(), 160);
    assert_eq!(
        resampler.output_delay(),
        160,
        "160 frames at 16 kHz is 10 ms"
    );
}

#[test]
fn sine_keeps_its_frequency() {
    for (from_hz, to_hz) in [(8000, 16000), (44100, 8000)] {
        let input = sine(440.0, from_hz, from_hz as usize, 12_000.0);
        let output = resample_to(&input, from_hz, to_hz).unwrap();

        let frequency = measure_frequency(interior(&output), to_hz);
        assert!(
            (frequency - 440.0).abs() < 0.5,
            "{from_hz} -> {to_hz} Hz: measured {frequency:.3} Hz"
        );

        let level = rms(interior(&output)) / rms(interior(&input));
        assert!(
            (level - 1.0).abs() < 0.02,
            "{from_hz} -> {to_hz} Hz: level changed by a factor {level:.4}"
        );
    }
}

#[test]
fn output_lines_up_with_input() {
    // At 8 -> 16 kHz every second output frame falls on an input frame. A one-frame shift of
    // this 200 Hz tone would move samples by about 16 % of its amplitude.
    let amplitude = 10_000.0;
    let input = sine(200.0, 8000, 8000, amplitude);
    let output = resample_to(&input, 8000, 16000).unwrap();

    for index in 800..7200 {
        let error = (f64::from(output[2 * index]) - f64::from(input[index])).abs();
        assert!(
            error < 0.01 * amplitude,
            "output frame {} is {} but input frame {index} is {}",
            2 * index,
            output[2 * index],
            input[index]
        );
    }
}

#[test]
fn downsampling_removes_aliases() {
    // Tones above the output Nyquist frequency would fold back into the band if not filtered.
    for (from_hz, to_hz, tone_hz) in [(44100, 8000, 6000.0), (16000, 8000, 5000.0)] {
        let input = sine(tone_hz, from_hz, from_hz as usize, 12_000.0);
        let output = resample_to(&input, from_hz, to_hz).unwrap();

        let level = rms(interior(&output)) / rms(interior(&input));
        assert!(
            level < 0.01,
            "{from_hz} -> {to_hz} Hz: {tone_hz} Hz tone kept at {level:.4} of its level"
        );
    }
}

#[test]
fn full_scale_square_clamps_without_wrapping() {
    // A full-scale square wave makes the filter overshoot (Gibbs), which must clamp.
    let period = 40;
    let input: Vec<i16> = (0..8000)
        .map(|n| {
            if n % period < period / 2 {
                i16::MAX
            } else {
                i16::MIN
            }
        })
        .collect();
    let output = resample_to(&input, 8000, 16000).unwrap();

    assert_eq!(output.iter().copied().max(), Some(i16::MAX));
    assert_eq!(output.iter().copied().min(), Some(i16::MIN));

    // Away from the edges of each half period the output keeps the input's sign.
    for (index, &sample) in output.iter().enumerate().skip(1000).take(14_000) {
        let phase = (index / 2) % period;
        if (4..16).contains(&phase) {
            assert!(
                sample > 16_000,
                "output frame {index} is {sample} in a positive half period"
            );
        }
        if (24..36).contains(&phase) {
            assert!(
                sample < -16_000,
                "output frame {index} is {sample} in a negative half period"
            );
        }
    }
}

#[test]
fn process_does_not_allocate_with_capacity() {
    let mut resampler = StreamResampler::new(8000, 16000, 160).unwrap();
    let input = test_signal(8000, 1600);
    let mut output =
        Vec::with_capacity(resampler.max_output_len(input.len()) + resampler.max_flush_len());
    let buffer = output.as_ptr();

    for frame in input.chunks(160) {
        resampler.process(frame, &mut output);
    }
    resampler.flush(&mut output);

    assert_eq!(
        output.as_ptr(),
        buffer,
        "process or flush reallocated the output"
    );
    assert_eq!(output.len(), 3200);
}

#[test]
fn flush_starts_a_new_stream() {
    let input = test_signal(8000, 1000);
    let mut resampler = StreamResampler::new(8000, 16000, 160).unwrap();
    let mut first = Vec::new();
    let mut second = Vec::new();

    resampler.process(&input, &mut first);
    resampler.flush(&mut first);
    resampler.process(&input, &mut second);
    resampler.flush(&mut second);

    assert_eq!(first.len(), 2000);
    assert!(
        first == second,
        "a stream after flush differs from the first one"
    );
}

#[test]
fn equal_rates_pass_through() {
    let input = test_signal(8000, 500);
    let mut resampler = StreamResampler::new(8000, 8000, 160).unwrap();
    let mut output = Vec::new();

    resampler.process(&input, &mut output);
    resampler.flush(&mut output);

    assert_eq!(resampler.output_delay(), 0);
    assert_eq!(output, input);
}

#[test]
fn float_and_integer_input_agree() {
    let input = test_signal(22050, 5000);
    let as_float: Vec<f32> = input
        .iter()
        .map(|&sample| f32::from(sample) / 32768.0)
        .collect();

    let from_integers = resample_to(&input, 22050, 8000).unwrap();
    let from_floats = resample_to(&as_float, 22050, 8000).unwrap();

    assert!(
        from_integers == from_floats,
        "i16 and f32 input gave different output"
    );
}

#[test]
fn invalid_rates_are_rejected() {
    for (from_hz, to_hz) in [(0, 8000), (8000, 0), (MAX_SAMPLE_RATE_HZ + 1, 8000)] {
        let result = StreamResampler::new(from_hz, to_hz, 160);
        assert!(
            matches!(result, Err(ResampleError::InvalidRate { from_hz: f, to_hz: t }) if f == from_hz && t == to_hz),
            "{from_hz} -> {to_hz} Hz was not rejected as invalid"
        );
    }
}

#[test]
fn resampler_can_move_between_threads() {
    // Call sessions run on tokio tasks, which may move between worker threads.
    fn assert_send<T: Send>() {}
    assert_send::<StreamResampler>();
}
