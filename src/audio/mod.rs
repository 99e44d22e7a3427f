//! Audio processing: G.711 codecs, resampling, voice activity, in-band DTMF, decoding, recording.

pub mod convert;
pub mod decode;
pub mod g711;
pub mod resample;

#[cfg(test)]
mod test_support;
