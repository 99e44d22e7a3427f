//! In-band DTMF detection on 8 kHz call audio with the Goertzel algorithm.
//!
//! Hand-written because no maintained crate detects DTMF in a stream of 8 kHz frames. Some
//! telephony platforms send keypresses out of band, but a caller's digits can also arrive only
//! as tones in the audio.
//!
//! The detector analyses 160-sample (20 ms) windows every 80 samples (10 ms), so each 20 ms
//! frame completes two windows and samples are carried over between frames. A window names a
//! digit when all of these hold:
//!
//! - the strongest row tone and the strongest column tone are both above a minimum level;
//! - their level difference (twist) is within limits;
//! - each is clearly stronger than the other tones of its group (relative peak);
//! - together they carry most of the window's energy, which speech and noise rarely do;
//! - optionally, neither has a strong second harmonic, as voices have.
//!
//! A digit is reported once, after enough consecutive windows name it, and the same digit is
//! reported again only after the tone has been off for a minimum gap. Per-frame work does not
//! allocate, lock or log.

use std::collections::VecDeque;

use serde::Deserialize;

use crate::audio::goertzel::Goertzel;

const SAMPLE_RATE_HZ: f32 = 8000.0;

/// Samples per analysis window (20 ms), which gives 50 Hz resolution: the row tones are only
/// 73 Hz apart.
const WINDOW_LEN: usize = 160;

/// Samples between the starts of consecutive windows (10 ms).
const HOP_LEN: usize = 80;

/// Row (low-group) tone frequencies in Hz.
const ROW_HZ: [f32; 4] = [697.0, 770.0, 852.0, 941.0];

/// Column (high-group) tone frequencies in Hz.
const COLUMN_HZ: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// Digits by row and column.
const DIGITS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Digits kept for later calls when one call to [`DtmfDetector::process`] completes more
/// than one. A 20 ms frame completes at most one.
const PENDING_CAPACITY: usize = 16;

/// Tuning of the DTMF detector.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DtmfConfig {
    /// Minimum tone duration for a keypress, in milliseconds.
    pub min_tone_ms: u32,
    /// Minimum silence between two presses of the same digit, in milliseconds.
    pub min_gap_ms: u32,
    /// Minimum level of each of the two tones, in dBFS (RMS, so a full-scale sine is -3 dBFS).
    pub min_tone_dbfs: f32,
    /// Normal twist: how much louder, in dB, the row (low-group) tone may be than the column
    /// tone. Lines attenuate high frequencies, so this is the common direction.
    pub max_normal_twist_db: f32,
    /// Reverse twist: how much louder, in dB, the column (high-group) tone may be than the
    /// row tone.
    pub max_reverse_twist_db: f32,
    /// How much stronger, in dB, the strongest tone of each group must be than every other
    /// tone of that group.
    pub min_relative_peak_db: f32,
    /// Minimum share (0 to 1) of the window's energy carried by the two tones.
    pub min_tone_energy_share: f32,
    /// Whether to reject windows where a tone has a strong second harmonic, as voiced speech
    /// has.
    pub check_second_harmonic: bool,
    /// How much weaker, in dB, each tone's second harmonic must be than the tone.
    pub min_second_harmonic_margin_db: f32,
}

impl Default for DtmfConfig {
    fn default() -> Self {
        Self {
            min_tone_ms: 40,
            min_gap_ms: 40,
            min_tone_dbfs: -40.0,
            max_normal_twist_db: 8.0,
            max_reverse_twist_db: 4.0,
            min_relative_peak_db: 8.0,
            min_tone_energy_share: 0.6,
            check_second_harmonic: true,
            min_second_harmonic_margin_db: 10.0,
        }
    }
}

/// Linear thresholds derived once from a [`DtmfConfig`].
#[derive(Debug, Clone)]
struct Thresholds {
    min_tone_mean_square: f32,
    max_normal_twist: f32,
    max_reverse_twist: f32,
    min_relative_peak: f32,
    min_tone_energy_share: f32,
    min_second_harmonic_margin: Option<f32>,
    required_hits: u32,
    required_misses: u32,
}

impl Thresholds {
    fn new(config: &DtmfConfig) -> Self {
        const FULL_SCALE_SQUARED: f32 = 32768.0 * 32768.0;
        Self {
            min_tone_mean_square: FULL_SCALE_SQUARED * power_ratio(config.min_tone_dbfs),
            max_normal_twist: power_ratio(config.max_normal_twist_db),
            max_reverse_twist: power_ratio(config.max_reverse_twist_db),
            min_relative_peak: power_ratio(config.min_relative_peak_db),
            min_tone_energy_share: config.min_tone_energy_share,
            min_second_harmonic_margin: config
                .check_second_harmonic
                .then(|| power_ratio(config.min_second_harmonic_margin_db)),
            required_hits: windows_for(config.min_tone_ms),
            required_misses: windows_for(config.min_gap_ms),
        }
    }
}

fn power_ratio(db: f32) -> f32 {
    10f32.powf(db / 10.0)
}

/// Returns how many consecutive windows must name a digit (or none) for a tone (or gap) of
/// `duration_ms` to count.
///
/// A window names the digit when at least `min_tone_energy_share` of it (60 %, 96 samples, by
/// default) lies inside the tone. A clean tone of `L` samples therefore reaches at least
/// `(L - 32) / 80` windows and at most one more. One window fewer than `L / 80` accepts every
/// tone of the minimum duration and rejects every tone more than 16 ms shorter. The result is
/// at least 2, so a 20 ms frame completes at most one digit.
fn windows_for(duration_ms: u32) -> u32 {
    let samples = duration_ms as usize * (SAMPLE_RATE_HZ as usize / 1000);
    ((samples / HOP_LEN).saturating_sub(1) as u32).max(2)
}

/// A streaming DTMF detector for one call's incoming audio.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    thresholds: Thresholds,
    window: [f32; WINDOW_LEN],
    window_fill: usize,
    rows: [Goertzel; 4],
    columns: [Goertzel; 4],
    row_harmonics: [Goertzel; 4],
    column_harmonics: [Goertzel; 4],
    press: PressTracker,
    pending: VecDeque<char>,
}

impl DtmfDetector {
    /// Creates a detector. The configuration's durations are rounded down to whole 10 ms steps.
    pub fn new(config: DtmfConfig) -> Self {
        let filters = |frequencies: [f32; 4], multiple: f32| {
            frequencies.map(|hz| Goertzel::new(hz * multiple, SAMPLE_RATE_HZ))
        };
        Self {
            thresholds: Thresholds::new(&config),
            window: [0.0; WINDOW_LEN],
            window_fill: 0,
            rows: filters(ROW_HZ, 1.0),
            columns: filters(COLUMN_HZ, 1.0),
            row_harmonics: filters(ROW_HZ, 2.0),
            column_harmonics: filters(COLUMN_HZ, 2.0),
            press: PressTracker::default(),
            pending: VecDeque::with_capacity(PENDING_CAPACITY),
        }
    }

    /// Feeds one frame (normally 160 samples) and returns a digit when a keypress has just
    /// lasted the minimum duration: '0' to '9', '*', '#' or 'A' to 'D'.
    ///
    /// Each keypress is returned once, however long the key is held. A frame longer than
    /// 20 ms can complete more than one digit: the later ones are returned by the following
    /// calls, in order, and an empty frame returns them too.
    pub fn process(&mut self, frame: &[i16]) -> Option<char> {
        for &sample in frame {
            self.window[self.window_fill] = sample as f32;
            self.window_fill += 1;

            if self.window_fill == WINDOW_LEN {
                self.finish_window();
            }
        }
        self.pending.pop_front()
    }

    /// Classifies the full window, then keeps its second half as the next window's first.
    fn finish_window(&mut self) {
        let candidate = self.classify_window();
        if let Some(digit) = self.press.update(candidate, &self.thresholds) {
            // NOTE: beyond PENDING_CAPACITY digits in one call the oldest is dropped, which
            // only frames of more than a second can cause.
            if self.pending.len() == PENDING_CAPACITY {
                self.pending.pop_front();
            }
            self.pending.push_back(digit);
        }

        self.window.copy_within(HOP_LEN.., 0);
        self.window_fill = WINDOW_LEN - HOP_LEN;
    }

    /// Returns the digit whose tones the window contains, if it passes every check.
    fn classify_window(&mut self) -> Option<char> {
        let mut sum_of_squares = 0.0f32;
        for filter in self.all_filters() {
            filter.reset();
        }
        for index in 0..WINDOW_LEN {
            let sample = self.window[index];
            sum_of_squares += sample * sample;
            for filter in self.all_filters() {
                filter.push(sample);
            }
        }

        let rows = self.rows.map(|filter| filter.mean_square(WINDOW_LEN));
        let columns = self.columns.map(|filter| filter.mean_square(WINDOW_LEN));
        let (row, row_power) = strongest(&rows);
        let (column, column_power) = strongest(&columns);
        let window_power = sum_of_squares / WINDOW_LEN as f32;

        let limits = &self.thresholds;
        let passes = row_power >= limits.min_tone_mean_square
            && column_power >= limits.min_tone_mean_square
            && row_power <= column_power * limits.max_normal_twist
            && column_power <= row_power * limits.max_reverse_twist
            && dominates(&rows, row, limits.min_relative_peak)
            && dominates(&columns, column, limits.min_relative_peak)
            && row_power + column_power >= window_power * limits.min_tone_energy_share
            && self.harmonics_are_weak(row, row_power, column, column_power);

        passes.then_some(DIGITS[row][column])
    }

    fn harmonics_are_weak(
        &self,
        row: usize,
        row_power: f32,
        column: usize,
        column_power: f32,
    ) -> bool {
        let Some(margin) = self.thresholds.min_second_harmonic_margin else {
            return true;
        };
        let row_harmonic = self.row_harmonics[row].mean_square(WINDOW_LEN);
        let column_harmonic = self.column_harmonics[column].mean_square(WINDOW_LEN);
        row_harmonic * margin <= row_power && column_harmonic * margin <= column_power
    }

    fn all_filters(&mut self) -> impl Iterator<Item = &mut Goertzel> {
        self.rows
            .iter_mut()
            .chain(&mut self.columns)
            .chain(&mut self.row_harmonics)
            .chain(&mut self.column_harmonics)
    }
}

/// Returns the index and power of the strongest of four tones.
fn strongest(powers: &[f32; 4]) -> (usize, f32) {
    let mut best = 0;
    for index in 1..4 {
        if powers[index] > powers[best] {
            best = index;
        }
    }
    (best, powers[best])
}

/// Returns whether tone `best` is at least `ratio` times as strong as every other tone.
fn dominates(powers: &[f32; 4], best: usize, ratio: f32) -> bool {
    powers
        .iter()
        .enumerate()
        .all(|(index, &power)| index == best || power * ratio <= powers[best])
}

/// Turns per-window digit candidates into one report per keypress.
#[derive(Debug, Clone, Default)]
struct PressTracker {
    candidate: Option<char>,
    hits: u32,
    misses: u32,
    /// The digit of the current press once reported, until the tone has been off long enough.
    reported: Option<char>,
}

impl PressTracker {
    fn update(&mut self, window_digit: Option<char>, thresholds: &Thresholds) -> Option<char> {
        let Some(digit) = window_digit else {
            self.candidate = None;
            self.hits = 0;
            self.misses = self.misses.saturating_add(1);
            if self.misses >= thresholds.required_misses {
                self.reported = None;
            }
            return None;
        };

        self.misses = 0;
        if self.candidate == Some(digit) {
            self.hits = self.hits.saturating_add(1);
        } else {
            self.candidate = Some(digit);
            self.hits = 1;
        }

        if self.hits >= thresholds.required_hits && self.reported != Some(digit) {
            self.reported = Some(digit);
            return Some(digit);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::test_signals::{
        FRAME_LEN, SPEECH_FIXTURES, add_into, ms, mu_law_round_trip, sine, speech_fixture, to_pcm,
        white_noise,
    };

    /// Level of each of the two tones in the synthesised keypresses, in dBFS.
    const TONE_DBFS: f32 = -13.0;

    const ALL_DIGITS: [char; 16] = [
        '1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D',
    ];

    fn tones_of(digit: char) -> (f32, f32) {
        for (row, digits) in DIGITS.iter().enumerate() {
            if let Some(column) = digits.iter().position(|&d| d == digit) {
                return (ROW_HZ[row], COLUMN_HZ[column]);
            }
        }
        panic!("{digit} is not a DTMF digit");
    }

    /// Returns a keypress of `len` samples, with the row tone at `row_dbfs` and the column
    /// tone at `column_dbfs`.
    fn keypress_with_levels(digit: char, len: usize, row_dbfs: f32, column_dbfs: f32) -> Vec<f32> {
        let (row_hz, column_hz) = tones_of(digit);
        let mut signal = sine(row_hz, row_dbfs, len);
        add_into(&mut signal, &sine(column_hz, column_dbfs, len));
        signal
    }

    fn keypress(digit: char, len: usize) -> Vec<f32> {
        keypress_with_levels(digit, len, TONE_DBFS, TONE_DBFS)
    }

    /// Returns the digits as keypresses of `on_ms`, each followed by `off_ms` of silence.
    fn dial(digits: &[char], on_ms: usize, off_ms: usize) -> Vec<f32> {
        let mut signal = Vec::new();
        for &digit in digits {
            signal.extend(keypress(digit, ms(on_ms)));
            signal.extend(vec![0.0; ms(off_ms)]);
        }
        signal
    }

    /// Adds white noise `snr_db` below the level of two tones at [`TONE_DBFS`].
    fn with_noise(mut signal: Vec<f32>, snr_db: f32) -> Vec<f32> {
        let signal_dbfs = TONE_DBFS + 3.0;
        let noise = white_noise(signal_dbfs - snr_db, signal.len(), 11);
        add_into(&mut signal, &noise);
        signal
    }

    fn detect_in_frames(signal: &[i16], frame_len: usize) -> String {
        let mut detector = DtmfDetector::new(DtmfConfig::default());
        let mut digits: String = signal
            .chunks(frame_len)
            .filter_map(|frame| detector.process(frame))
            .collect();

        // Frames longer than 20 ms can complete several digits, which later calls return.
        while let Some(digit) = detector.process(&[]) {
            digits.push(digit);
        }
        digits
    }

    fn detect(signal: &[i16]) -> String {
        detect_in_frames(signal, FRAME_LEN)
    }

    /// Returns `lead` samples of silence, then `signal`, then 100 ms of silence.
    fn padded(lead: usize, signal: &[f32]) -> Vec<i16> {
        let mut padded = vec![0.0; lead];
        padded.extend_from_slice(signal);
        padded.extend(vec![0.0; ms(100)]);
        to_pcm(&padded)
    }

    fn expected_digits() -> String {
        ALL_DIGITS.iter().collect()
    }

    #[test]
    fn all_digits_detected_once() {
        let signal = to_pcm(&dial(&ALL_DIGITS, 50, 50));

        assert_eq!(detect(&signal), expected_digits());
    }

    #[test]
    fn all_digits_detected_in_noise() {
        let signal = to_pcm(&with_noise(dial(&ALL_DIGITS, 50, 50), 20.0));

        assert_eq!(detect(&signal), expected_digits());
    }

    #[test]
    fn all_digits_detected_after_mu_law() {
        let clean = mu_law_round_trip(&to_pcm(&dial(&ALL_DIGITS, 50, 50)));
        let noisy = mu_law_round_trip(&to_pcm(&with_noise(dial(&ALL_DIGITS, 50, 50), 20.0)));

        assert_eq!(detect(&clean), expected_digits(), "clean");
        assert_eq!(detect(&noisy), expected_digits(), "noisy");
    }

    #[test]
    fn odd_frame_sizes_give_same_digits() {
        let signal = to_pcm(&with_noise(dial(&ALL_DIGITS, 50, 50), 20.0));

        for frame_len in [1, 37, 80, 240, 1000] {
            assert_eq!(
                detect_in_frames(&signal, frame_len),
                expected_digits(),
                "{frame_len}"
            );
        }
    }

    #[test]
    fn minimum_duration_tone_accepted() {
        for lead in (0..FRAME_LEN).step_by(10) {
            let signal = padded(lead, &keypress('5', ms(40)));

            assert_eq!(detect(&signal), "5", "tone starting at sample {lead}");
        }
    }

    #[test]
    fn short_tone_rejected() {
        for lead in (0..FRAME_LEN).step_by(10) {
            let signal = padded(lead, &keypress('5', ms(20)));

            assert_eq!(detect(&signal), "", "tone starting at sample {lead}");
        }
    }

    #[test]
    fn large_twist_rejected() {
        let row_louder = keypress_with_levels('8', ms(100), TONE_DBFS, TONE_DBFS - 12.0);
        let column_louder = keypress_with_levels('8', ms(100), TONE_DBFS - 12.0, TONE_DBFS);

        assert_eq!(detect(&padded(0, &row_louder)), "", "row 12 dB louder");
        assert_eq!(
            detect(&padded(0, &column_louder)),
            "",
            "column 12 dB louder"
        );
    }

    #[test]
    fn allowed_twist_accepted() {
        let row_louder = keypress_with_levels('8', ms(100), TONE_DBFS, TONE_DBFS - 6.0);
        let column_louder = keypress_with_levels('8', ms(100), TONE_DBFS - 3.0, TONE_DBFS);

        assert_eq!(detect(&padded(0, &row_louder)), "8", "row 6 dB louder");
        assert_eq!(
            detect(&padded(0, &column_louder)),
            "8",
            "column 3 dB louder"
        );
    }

    #[test]
    fn reverse_twist_limit_is_tighter() {
        let column_louder = keypress_with_levels('8', ms(100), TONE_DBFS - 6.0, TONE_DBFS);

        assert_eq!(detect(&padded(0, &column_louder)), "");
    }

    #[test]
    fn quiet_tone_rejected() {
        let quiet = keypress_with_levels('3', ms(100), -50.0, -50.0);

        assert_eq!(detect(&padded(0, &quiet)), "");
    }

    #[test]
    fn held_digit_reported_once() {
        let signal = padded(0, &keypress('#', ms(500)));

        assert_eq!(detect(&signal), "#");
    }

    #[test]
    fn short_dropout_does_not_repeat_digit() {
        let mut signal = keypress('7', ms(200));
        signal.extend(vec![0.0; ms(10)]);
        signal.extend(keypress('7', ms(200)));

        assert_eq!(detect(&padded(0, &signal)), "7");
    }

    #[test]
    fn repeated_digit_with_gap_reported_twice() {
        let signal = padded(0, &dial(&['0', '0'], 100, 60));

        assert_eq!(detect(&signal), "00");
    }

    #[test]
    fn speech_gives_no_digits() {
        for name in SPEECH_FIXTURES {
            let speech = speech_fixture(name);

            assert_eq!(detect(&speech), "", "{name}");
            assert_eq!(
                detect(&mu_law_round_trip(&speech)),
                "",
                "{name} after mu-law"
            );
        }
    }

    #[test]
    fn white_noise_gives_no_digits() {
        for level_dbfs in [-40.0, -20.0, -6.0] {
            let noise = to_pcm(&white_noise(level_dbfs, ms(5000), 5));

            assert_eq!(detect(&noise), "", "noise at {level_dbfs} dBFS");
        }
    }

    #[test]
    fn single_tone_gives_no_digits() {
        let tone = to_pcm(&sine(1000.0, -10.0, ms(1000)));

        assert_eq!(detect(&tone), "");
    }

    #[test]
    fn strong_second_harmonic_rejected() {
        let (row_hz, _) = tones_of('1');
        let mut voiced = keypress('1', ms(100));
        add_into(&mut voiced, &sine(2.0 * row_hz, TONE_DBFS - 3.0, ms(100)));
        let signal = padded(0, &voiced);

        assert_eq!(detect(&signal), "", "harmonic check on");

        let mut detector = DtmfDetector::new(DtmfConfig {
            check_second_harmonic: false,
            ..DtmfConfig::default()
        });
        let digits: String = signal
            .chunks(FRAME_LEN)
            .filter_map(|f| detector.process(f))
            .collect();
        assert_eq!(digits, "1", "harmonic check off");
    }

    #[test]
    fn required_windows_follow_durations() {
        assert_eq!(windows_for(40), 3);
        assert_eq!(windows_for(60), 5);
        assert_eq!(windows_for(20), 2);
        assert_eq!(windows_for(0), 2);
    }

    #[test]
    fn config_fills_missing_fields_with_defaults() {
        let config: DtmfConfig = toml::from_str("min_tone_ms = 60").unwrap();

        assert_eq!(config.min_tone_ms, 60);
        assert_eq!(
            config.max_normal_twist_db,
            DtmfConfig::default().max_normal_twist_db
        );
        assert!(config.check_second_harmonic);
    }
}
