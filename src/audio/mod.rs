//! Audio processing: G.711 codecs, resampling, voice activity, in-band DTMF, decoding, recording.

pub mod convert;
pub mod decode;
pub mod dtmf;
pub mod g711;
pub mod recording;
pub mod resample;
pub mod vad;

mod goertzel;
#[cfg(test)]
mod test_signals;
#[cfg(test)]
mod test_support;
