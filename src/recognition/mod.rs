//! Offline speech recognition with Vosk.
//!
//! A [`SpeechModel`] is loaded once per process and shared. Each call gets its own
//! recogniser thread through [`spawn_recognizer`]; the session drives it with a
//! [`RecognizerHandle`] (begin an utterance, push audio, end or cancel it) and reads
//! [`RecognitionEvent`]s back.

use std::path::PathBuf;

mod model;
mod result;
mod worker;

pub use model::SpeechModel;
pub use worker::{RecognizerHandle, spawn_recognizer};

/// Errors from loading a speech model.
#[derive(Debug, thiserror::Error)]
pub enum RecognitionError {
    /// The model folder does not exist.
    #[error("speech model folder {path} not found (for the Korean test model, run `./dev setup --test`)")]
    ModelNotFound {
        /// The folder that was requested.
        path: PathBuf,
    },
    /// The folder exists but lacks a file every Vosk model has.
    #[error("{path} is not a Vosk model folder: {missing} is missing")]
    NotAModel {
        /// The folder that was requested.
        path: PathBuf,
        /// The missing file, relative to the folder.
        missing: &'static str,
    },
    /// The model's feature configuration could not be read.
    #[error("failed to read the model configuration {path}: {source}")]
    ModelConfigRead {
        /// The configuration file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `conf/mfcc.conf` sets a sample rate that is not a positive whole number of hertz.
    #[error("invalid --sample-frequency {value:?} in {path}")]
    InvalidSampleRate {
        /// The configuration file.
        path: PathBuf,
        /// The value as written in the file.
        value: String,
    },
    /// Vosk takes model paths as UTF-8 strings.
    #[error("speech model path {path:?} is not valid UTF-8")]
    NonUtf8ModelPath {
        /// The folder that was requested.
        path: PathBuf,
    },
    /// Vosk could not load the model. Vosk logs the reason on stderr.
    #[error("Vosk failed to load the speech model in {path} (the files may be damaged or from another Vosk version; see Vosk's log above)")]
    ModelLoadFailed {
        /// The folder that was requested.
        path: PathBuf,
    },
}

/// Something the recogniser reports about the open utterance.
#[derive(Debug, Clone, PartialEq)]
pub enum RecognitionEvent {
    /// The transcript so far, sent at most every 300 ms of audio and only when it changed.
    /// It may still change.
    Partial {
        /// Transcript so far, without unknown-word tokens.
        text: String,
    },
    /// The result of an utterance, sent once per [`RecognizerHandle::end_utterance`].
    Final(RecognitionResult),
}

/// The result of one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognitionResult {
    /// Best transcript, trimmed, with unknown-word tokens (`[unk]`, `<UNK>`) removed.
    /// Empty means no match: silence, or speech outside the grammar.
    pub text: String,
    /// Estimated posterior probability of `text`, 0.0 to 1.0, among the transcripts Vosk
    /// returned.
    ///
    /// Vosk's n-best scores are turned into probabilities with a softmax over the list
    /// (at most 3 entries). It is computed only from paths inside Vosk's lattice beam, so it
    /// overestimates the true posterior: 1.0 means no other transcript came close, not that
    /// the words are right. Under a grammar, loud noise can decode to a grammar phrase with
    /// confidence 1.0. Vosk's per-word confidences are not used because Vosk returns either
    /// them or the n-best list, and under a grammar they were 1.0 for every word tested.
    pub confidence: f32,
    /// Other non-empty transcripts with their confidence, best first.
    pub alternatives: Vec<(String, f32)>,
    /// Audio received for the utterance, in milliseconds.
    pub audio_ms: u32,
    /// Wall-clock time spent inside Vosk decoding the utterance, in milliseconds.
    pub decode_ms: u32,
}
