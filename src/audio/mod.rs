//! Audio processing: G.711 codecs, resampling, voice activity, in-band DTMF, decoding, recording.

pub mod dtmf;
pub mod recording;
pub mod vad;

mod goertzel;
#[cfg(test)]
mod test_signals;
