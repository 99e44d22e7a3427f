//! Decoding of audio files (WAV, FLAC, Ogg Vorbis, MP3) with symphonia into mono samples at the
//! rate the caller needs, for prompt audio and operator tools.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::resample::{ResampleError, resample_to};

/// The telephony sample rate, in Hz.
pub const TELEPHONY_RATE_HZ: u32 = 8000;

/// A failure to read an audio file, with the file's path.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The file could not be opened.
    #[error("failed to open audio file {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// symphonia recognised no supported container in the file.
    #[error(
        "unsupported or invalid audio file {path} (expected WAV, FLAC, Ogg Vorbis or MP3): {source}"
    )]
    UnsupportedFormat {
        path: PathBuf,
        #[source]
        source: SymphoniaError,
    },

    /// The container has no track with a known codec.
    #[error("no audio track found in {path}")]
    NoAudioTrack { path: PathBuf },

    /// The track's codec is not one symphonia was built with.
    #[error("unsupported codec in {path}: {source}")]
    UnsupportedCodec {
        path: PathBuf,
        #[source]
        source: SymphoniaError,
    },

    /// Reading or decoding a packet failed in a way that cannot be skipped.
    #[error("failed to decode {path}: {source}")]
    Decode {
        path: PathBuf,
        #[source]
        source: SymphoniaError,
    },

    /// The sample rate changed within the file, as in some chained Ogg streams.
    #[error(
        "sample rate of {path} changes from {first_hz} Hz to {later_hz} Hz, which is not supported"
    )]
    SampleRateChanged {
        path: PathBuf,
        first_hz: u32,
        later_hz: u32,
    },

    /// The decoded audio could not be resampled.
    #[error("failed to resample {path}: {source}")]
    Resample {
        path: PathBuf,
        #[source]
        source: ResampleError,
    },
}

/// Mono audio at the file's own sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedAudio {
    /// Samples with full scale at -1.0..1.0, the average of the file's channels.
    pub samples: Vec<f32>,
    /// Sample rate in Hz, or 0 when the file contains no audio frames.
    pub sample_rate: u32,
}

/// Decodes an audio file and returns it as mono 16-bit samples at 8000 Hz.
pub fn decode_file_to_8k(path: &Path) -> Result<Vec<i16>, DecodeError> {
    decode_file_to_rate(path, TELEPHONY_RATE_HZ)
}

/// Decodes an audio file and returns it as mono 16-bit samples at `rate_hz`.
pub fn decode_file_to_rate(path: &Path, rate_hz: u32) -> Result<Vec<i16>, DecodeError> {
    let audio = decode_file(path)?;
    if audio.samples.is_empty() {
        return Ok(Vec::new());
    }
    resample_to(&audio.samples, audio.sample_rate, rate_hz).map_err(|source| {
        DecodeError::Resample {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Decodes every packet of the first audio track of a file and mixes its channels down to mono.
///
/// The whole file is held in memory, so this suits prompts and clips, not hour-long recordings.
/// The file extension is only a hint: the container is recognised from its content.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, DecodeError> {
    let file = File::open(path).map_err(|source| DecodeError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());

    let mut hint = Hint::new();
    if let Some(extension) = path.extension().and_then(|extension| extension.to_str()) {
        hint.with_extension(extension);
    }
    // Gapless mode trims the encoder delay and padding that a file declares (in a LAME header
    // for MP3), so the decoded audio then starts at the first real sample.
    let format_options = FormatOptions {
        enable_gapless: true,
        ..FormatOptions::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &format_options, &MetadataOptions::default())
        .map_err(|source| DecodeError::UnsupportedFormat {
            path: path.to_path_buf(),
            source,
        })?;

    decode_first_track(probed.format, path)
}

fn decode_first_track(
    mut format: Box<dyn FormatReader>,
    path: &Path,
) -> Result<DecodedAudio, DecodeError> {
    let track = format
        .tracks()
        .iter()
        .find(|track| track.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| DecodeError::NoAudioTrack {
            path: path.to_path_buf(),
        })?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|source| DecodeError::UnsupportedCodec {
            path: path.to_path_buf(),
            source,
        })?;

    let mut mixer = MonoMixer::default();
    let mut skipped_packets = 0usize;
    let mut last_skip_error = None;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(SymphoniaError::IoError(error)) if error.kind() == io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(source) => {
                return Err(DecodeError::Decode {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if packet.track_id() != track_id {
            continue;
        }

        match decoder.decode(&packet) {
            Ok(buffer) => {
                let rate = buffer.spec().rate;
                mixer.check_rate(rate, path)?;
                mixer.push(buffer);
            }
            // symphonia reports a corrupt packet as DecodeError, and decoding can go on after it.
            Err(SymphoniaError::DecodeError(message)) => {
                skipped_packets += 1;
                last_skip_error = Some(message);
            }
            Err(source) => {
                return Err(DecodeError::Decode {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }

    if skipped_packets > 0 {
        if mixer.samples.is_empty() {
            let source =
                SymphoniaError::DecodeError(last_skip_error.unwrap_or("no packet decoded"));
            return Err(DecodeError::Decode {
                path: path.to_path_buf(),
                source,
            });
        }
        tracing::warn!(path = %path.display(), skipped_packets, last_error = ?last_skip_error, "skipped corrupt audio packets");
    }
    Ok(DecodedAudio {
        samples: mixer.samples,
        sample_rate: mixer.rate.unwrap_or(0),
    })
}

/// Collects decoded buffers as mono samples, reusing one interleaved conversion buffer.
#[derive(Default)]
struct MonoMixer {
    samples: Vec<f32>,
    rate: Option<u32>,
    interleaved: Option<SampleBuffer<f32>>,
}

impl MonoMixer {
    fn check_rate(&mut self, rate: u32, path: &Path) -> Result<(), DecodeError> {
        match self.rate {
            None => {
                self.rate = Some(rate);
                Ok(())
            }
            Some(first_hz) if first_hz == rate => Ok(()),
            Some(first_hz) => Err(DecodeError::SampleRateChanged {
                path: path.to_path_buf(),
                first_hz,
                later_hz: rate,
            }),
        }
    }

    fn push(&mut self, buffer: symphonia::core::audio::AudioBufferRef<'_>) {
        let spec = *buffer.spec();
        let channels = spec.channels.count();
        let frames = buffer.frames();
        if channels == 0 || frames == 0 {
            return;
        }

        // A SampleBuffer has a fixed capacity, so a larger packet needs a new one.
        let needs_new = self
            .interleaved
            .as_ref()
            .is_none_or(|interleaved| interleaved.capacity() < frames * channels);
        if needs_new {
            self.interleaved = Some(SampleBuffer::new(buffer.capacity() as u64, spec));
        }
        let Some(interleaved) = self.interleaved.as_mut() else {
            return;
        };
        interleaved.copy_interleaved_ref(buffer);

        let scale = 1.0 / channels as f32;
        let mixed = interleaved
            .samples()
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() * scale);
        self.samples.extend(mixed);
    }
}

#[cfg(test)]
mod tests;
