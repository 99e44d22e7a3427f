//! The Goertzel algorithm: the power of one frequency in a block of samples.
//!
//! Hand-written because it is a few lines of arithmetic. The DTMF detector and the voice
//! activity detector need it as a streaming filter (one sample at a time, state kept between
//! 20 ms frames, no allocation), which the FFT crates do not offer.

use std::f32::consts::PI;

/// A streaming Goertzel filter tuned to one frequency.
///
/// Feed the block's samples with [`Goertzel::push`], read [`Goertzel::mean_square`] after the
/// last one, then [`Goertzel::reset`] before the next block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Goertzel {
    coefficient: f32,
    s1: f32,
    s2: f32,
}

impl Goertzel {
    /// Creates a filter for `frequency_hz` at `sample_rate_hz`. The frequency need not be a
    /// multiple of the block's bin spacing.
    pub(crate) fn new(frequency_hz: f32, sample_rate_hz: f32) -> Self {
        let omega = 2.0 * PI * frequency_hz / sample_rate_hz;
        Self {
            coefficient: 2.0 * omega.cos(),
            s1: 0.0,
            s2: 0.0,
        }
    }

    pub(crate) fn push(&mut self, sample: f32) {
        let s0 = sample + self.coefficient * self.s1 - self.s2;
        self.s2 = self.s1;
        self.s1 = s0;
    }

    /// Returns the squared magnitude of the block's DFT at the tuned frequency.
    pub(crate) fn power(&self) -> f32 {
        self.s1 * self.s1 + self.s2 * self.s2 - self.coefficient * self.s1 * self.s2
    }

    /// Returns the power scaled to the mean square of the sinusoid that produced it.
    ///
    /// A sinusoid of amplitude `A` that fills a rectangular block of `block_len` samples has a
    /// DFT power of `(A * block_len / 2)^2` and a mean square of `A^2 / 2`, so this value
    /// compares directly with the block's mean square.
    pub(crate) fn mean_square(&self, block_len: usize) -> f32 {
        let n = block_len as f32;
        2.0 * self.power() / (n * n)
    }

    pub(crate) fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_square_of_tone(tone_hz: f32, filter_hz: f32, amplitude: f32) -> f32 {
        let mut filter = Goertzel::new(filter_hz, 8000.0);
        for n in 0..160 {
            let t = n as f32 / 8000.0;
            filter.push(amplitude * (2.0 * PI * tone_hz * t).sin());
        }
        filter.mean_square(160)
    }

    #[test]
    fn tuned_tone_gives_its_mean_square() {
        let amplitude = 1000.0;
        let expected = amplitude * amplitude / 2.0;

        let measured = mean_square_of_tone(1000.0, 1000.0, amplitude);

        assert!(
            (measured - expected).abs() < expected * 0.01,
            "measured {measured}"
        );
    }

    #[test]
    fn distant_tone_gives_little_power() {
        let amplitude = 1000.0;
        let tuned = mean_square_of_tone(1000.0, 1000.0, amplitude);

        let off_tune = mean_square_of_tone(1500.0, 1000.0, amplitude);

        assert!(
            off_tune < tuned * 1e-3,
            "off-tune {off_tune}, tuned {tuned}"
        );
    }

    #[test]
    fn reset_clears_previous_block() {
        let mut filter = Goertzel::new(1000.0, 8000.0);
        for n in 0..160 {
            filter.push((2.0 * PI * 1000.0 * n as f32 / 8000.0).sin() * 1000.0);
        }
        assert!(filter.power() > 0.0);

        filter.reset();

        assert_eq!(filter.power(), 0.0);
    }
}
