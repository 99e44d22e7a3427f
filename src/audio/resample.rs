//! Sample-rate conversion of mono audio with rubato: streaming for live calls, whole-clip for
//! prompts and files.
//!
//! The converter is rubato's `FftFixedInOut`, a synchronous resampler with a fixed ratio. Call
//! audio runs at fixed, known rates (8 kHz G.711 in, 16 kHz for the recogniser), so the
//! adjustable ratio of rubato's asynchronous sinc resamplers is not needed, and the FFT
//! resampler is both cheaper and exact about the ratio. Its latency is half a chunk: with the
//! 20 ms (160-sample) frames of a telephony media stream at 8 kHz, 10 ms. Its anti-aliasing
//! filter is a windowed sinc with one tap per input frame of a chunk, which is why chunks are
//! never shorter than [`MIN_CHUNK_FRAMES`].

use rubato::{FftFixedInOut, Resampler, ResamplerConstructionError};

/// Highest sample rate accepted, in Hz. The FFT length grows with the rates divided by their
/// greatest common divisor, so unbounded rates could request huge buffers.
pub const MAX_SAMPLE_RATE_HZ: u32 = 384_000;

/// Shortest resampler chunk, in input frames, so the anti-aliasing filter has enough taps.
pub const MIN_CHUNK_FRAMES: usize = 128;

/// Chunk length used by [`resample_to`], where latency does not matter.
const WHOLE_CLIP_CHUNK_FRAMES: usize = 1024;

/// An invalid resampler configuration.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// A rate is zero or above [`MAX_SAMPLE_RATE_HZ`].
    #[error(
        "invalid sample rates {from_hz} Hz -> {to_hz} Hz: both must be between 1 and {MAX_SAMPLE_RATE_HZ} Hz"
    )]
    InvalidRate { from_hz: u32, to_hz: u32 },

    /// rubato rejected the configuration.
    #[error("failed to create a {from_hz} Hz -> {to_hz} Hz resampler: {source}")]
    Construction {
        from_hz: u32,
        to_hz: u32,
        #[source]
        source: ResamplerConstructionError,
    },
}

/// A PCM sample type that the resamplers accept as input.
pub trait PcmSample: Copy {
    /// Converts the sample to a float where full scale is -1.0..1.0.
    fn to_unit_f32(self) -> f32;
}

impl PcmSample for i16 {
    fn to_unit_f32(self) -> f32 {
        f32::from(self) / 32768.0
    }
}

impl PcmSample for f32 {
    fn to_unit_f32(self) -> f32 {
        self
    }
}

/// Converts a float sample (full scale -1.0..1.0) to i16, rounding and clamping at full scale.
fn unit_f32_to_i16(sample: f32) -> i16 {
    // The clamp keeps filter overshoot near full scale from wrapping around. NaN becomes 0.
    (sample * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// The rubato resampler with its buffers, present only when the rates differ.
struct FftStage {
    resampler: FftFixedInOut<f32>,
    /// One channel of `chunk_in` frames, filled by `process` until a chunk is complete.
    input: Vec<Vec<f32>>,
    /// One channel of `chunk_out` frames.
    output: Vec<Vec<f32>>,
    chunk_in: usize,
    chunk_out: usize,
    /// Frames of `input` filled so far.
    filled: usize,
    /// Output frames of filter delay not dropped yet.
    delay_left: usize,
}

/// A streaming resampler for mono audio that turns arbitrary input pieces into i16 output.
///
/// Input is collected into the resampler's fixed chunks, so the output does not depend on how
/// the input is split. The filter delay is dropped from the start of the output, so output
/// frame `k` lines up with input time `k / to_hz`. After [`flush`](Self::flush) the total
/// output is `ceil(input_len * to_hz / from_hz)` frames.
pub struct StreamResampler {
    from_hz: u32,
    to_hz: u32,
    stage: Option<FftStage>,
    input_total: u64,
    output_total: u64,
}

impl StreamResampler {
    /// Creates a resampler from `from_hz` to `to_hz` and allocates all its buffers.
    ///
    /// `max_input_len` is the longest input the caller usually passes to one
    /// [`process`](Self::process) call (160 for 20 ms at 8 kHz). It sets the chunk length,
    /// which is rounded up to a whole period of the rate ratio and to at least
    /// [`MIN_CHUNK_FRAMES`]. Longer inputs are accepted too and are processed in several chunks.
    pub fn new(from_hz: u32, to_hz: u32, max_input_len: usize) -> Result<Self, ResampleError> {
        let valid = 1..=MAX_SAMPLE_RATE_HZ;
        if !valid.contains(&from_hz) || !valid.contains(&to_hz) {
            return Err(ResampleError::InvalidRate { from_hz, to_hz });
        }

        let stage = if from_hz == to_hz {
            None
        } else {
            Some(FftStage::new(from_hz, to_hz, max_input_len)?)
        };
        Ok(Self {
            from_hz,
            to_hz,
            stage,
            input_total: 0,
            output_total: 0,
        })
    }

    /// Returns the input rate in Hz.
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Returns the output rate in Hz.
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Returns the latency in output frames: the output lags the input by this much until
    /// [`flush`](Self::flush). It is 0 when the rates are equal.
    pub fn output_delay(&self) -> usize {
        self.stage
            .as_ref()
            .map_or(0, |stage| stage.resampler.output_delay())
    }

    /// Returns the number of input frames the resampler consumes at once (1 when the rates
    /// are equal).
    pub fn input_chunk_len(&self) -> usize {
        self.stage.as_ref().map_or(1, |stage| stage.chunk_in)
    }

    /// Returns the maximum number of frames that one [`process`](Self::process) call with
    /// `input_len` frames can append. Reserving this much in `output` avoids any allocation.
    pub fn max_output_len(&self, input_len: usize) -> usize {
        match &self.stage {
            None => input_len,
            Some(stage) => (stage.filled + input_len) / stage.chunk_in * stage.chunk_out,
        }
    }

    /// Returns the maximum number of frames that [`flush`](Self::flush) can append: the
    /// buffered input and the filter delay take at most two output chunks.
    pub fn max_flush_len(&self) -> usize {
        self.stage.as_ref().map_or(0, |stage| 2 * stage.chunk_out)
    }

    /// Resamples `input` and appends the output frames available so far to `output`.
    ///
    /// Frames that do not fill a whole chunk stay buffered for the next call. This does not
    /// allocate when `output` has [`max_output_len`](Self::max_output_len) spare capacity.
    pub fn process<S: PcmSample>(&mut self, input: &[S], output: &mut Vec<i16>) {
        self.input_total += input.len() as u64;
        let appended = match &mut self.stage {
            None => {
                output.extend(
                    input
                        .iter()
                        .map(|&sample| unit_f32_to_i16(sample.to_unit_f32())),
                );
                input.len()
            }
            Some(stage) => stage.process(input, output),
        };
        self.output_total += appended as u64;
    }

    /// Pushes out the buffered frames and the filter tail, then resets the resampler so it can
    /// start a new stream.
    ///
    /// Afterwards the stream's total output is `ceil(input_len * to_hz / from_hz)` frames.
    /// This does not allocate when `output` has [`max_flush_len`](Self::max_flush_len) spare
    /// capacity.
    pub fn flush(&mut self, output: &mut Vec<i16>) {
        let expected_total = (u128::from(self.input_total) * u128::from(self.to_hz))
            .div_ceil(u128::from(self.from_hz)) as u64;

        if let Some(stage) = &mut self.stage {
            let start = output.len();
            while self.output_total < expected_total {
                self.output_total += stage.finish_chunk(output) as u64;
            }

            // The last chunk was padded with zeros, so it may run past the stream's end.
            let excess = (self.output_total - expected_total) as usize;
            output.truncate((output.len() - excess).max(start));
            stage.reset();
        }

        self.input_total = 0;
        self.output_total = 0;
    }
}

impl FftStage {
    fn new(from_hz: u32, to_hz: u32, max_input_len: usize) -> Result<Self, ResampleError> {
        let chunk_hint =
            max_input_len.clamp(MIN_CHUNK_FRAMES, (from_hz as usize).max(MIN_CHUNK_FRAMES));
        let resampler = FftFixedInOut::<f32>::new(from_hz as usize, to_hz as usize, chunk_hint, 1)
            .map_err(|source| ResampleError::Construction {
                from_hz,
                to_hz,
                source,
            })?;

        let chunk_in = resampler.input_frames_next();
        let chunk_out = resampler.output_frames_next();
        let delay_left = resampler.output_delay();
        Ok(Self {
            input: vec![vec![0.0; chunk_in]],
            output: vec![vec![0.0; chunk_out]],
            resampler,
            chunk_in,
            chunk_out,
            filled: 0,
            delay_left,
        })
    }

    /// Buffers `input`, resamples every completed chunk into `output` and returns the number
    /// of frames appended.
    fn process<S: PcmSample>(&mut self, input: &[S], output: &mut Vec<i16>) -> usize {
        let mut appended = 0;
        let mut rest = input;
        while !rest.is_empty() {
            let take = (self.chunk_in - self.filled).min(rest.len());
            let free = &mut self.input[0][self.filled..self.filled + take];
            for (slot, &sample) in free.iter_mut().zip(&rest[..take]) {
                *slot = sample.to_unit_f32();
            }
            self.filled += take;
            rest = &rest[take..];

            if self.filled == self.chunk_in {
                appended += self.resample_chunk(output);
            }
        }
        appended
    }

    /// Pads the partly filled chunk with zeros, resamples it and returns the frames appended.
    fn finish_chunk(&mut self, output: &mut Vec<i16>) -> usize {
        self.input[0][self.filled..].fill(0.0);
        self.resample_chunk(output)
    }

    /// Resamples the full input chunk, drops what remains of the filter delay and appends the
    /// rest to `output`. Returns the number of frames appended.
    fn resample_chunk(&mut self, output: &mut Vec<i16>) -> usize {
        // In rubato 0.16.2 `process_into_buffer` fails only on a wrong channel count or a short
        // buffer, and both buffers are one channel of exactly the lengths the resampler reported.
        let (_, produced) = self
            .resampler
            .process_into_buffer(&self.input, &mut self.output, None)
            .expect("buffers are sized from the resampler's own chunk lengths");
        self.filled = 0;

        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;
        let frames = &self.output[0][skip..produced];
        output.extend(frames.iter().map(|&sample| unit_f32_to_i16(sample)));
        frames.len()
    }

    fn reset(&mut self) {
        self.resampler.reset();
        self.filled = 0;
        self.delay_left = self.resampler.output_delay();
    }
}

/// Resamples a whole clip (for example a prompt decoded once at start-up) to `to_hz`.
///
/// The output has `ceil(samples.len() * to_hz / from_hz)` frames and starts at the same
/// instant as the input.
pub fn resample_to<S: PcmSample>(
    samples: &[S],
    from_hz: u32,
    to_hz: u32,
) -> Result<Vec<i16>, ResampleError> {
    let mut resampler = StreamResampler::new(from_hz, to_hz, WHOLE_CLIP_CHUNK_FRAMES)?;
    let expected = (samples.len() as u64 * u64::from(to_hz)).div_ceil(u64::from(from_hz)) as usize;
    let mut output = Vec::with_capacity(expected + resampler.max_flush_len());

    resampler.process(samples, &mut output);
    resampler.flush(&mut output);
    Ok(output)
}

#[cfg(test)]
mod tests;
