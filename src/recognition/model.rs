//! Loading a Vosk model folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use std::time::Instant;

use super::RecognitionError;

/// Sample rate Kaldi's feature extraction assumes when `conf/mfcc.conf` does not set
/// `--sample-frequency`.
const DEFAULT_SAMPLE_RATE: u32 = 16_000;

/// Files that every Vosk model folder in the current layout contains (Vosk 0.3.45 reads
/// `am/final.mdl` only when `conf/model.conf` exists). They are checked before Vosk opens
/// the folder, so a wrong path gives a clear error instead of Vosk's generic failure.
const REQUIRED_FILES: [&str; 3] = ["am/final.mdl", "conf/model.conf", "conf/mfcc.conf"];

/// Spellings of the unknown-word token in Vosk model vocabularies, tried in this order.
/// `[unk]` is the spelling in the `vosk` crate's grammar example, and the Korean test
/// model uses `<UNK>`.
pub(crate) const UNKNOWN_WORD_SPELLINGS: [&str; 3] = ["[unk]", "<UNK>", "<unk>"];

static QUIET_VOSK_LOG: Once = Once::new();

/// A loaded Vosk model, shared by every call's recogniser.
///
/// Cloning is cheap: the clones share one model in memory, which Vosk only reads.
#[derive(Clone)]
pub struct SpeechModel {
    inner: Arc<ModelInner>,
}

struct ModelInner {
    vosk: vosk::Model,
    path: PathBuf,
    sample_rate: u32,
    unknown_word: Option<&'static str>,
}

impl SpeechModel {
    /// Loads the Vosk model in `dir`.
    ///
    /// Loading takes seconds (1.3 s for the Korean test model), so call it from a blocking
    /// context (`tokio::task::spawn_blocking`), never on an async worker.
    /// The first call also lowers Vosk's own stderr logging to warnings and errors.
    pub fn load(dir: &Path) -> Result<SpeechModel, RecognitionError> {
        QUIET_VOSK_LOG.call_once(|| vosk::set_log_level(vosk::LogLevel::Warn));
        check_model_folder(dir)?;
        let sample_rate = read_sample_rate(dir)?;

        let dir_text = dir
            .to_str()
            .ok_or_else(|| RecognitionError::NonUtf8ModelPath { path: dir.to_path_buf() })?;
        let started = Instant::now();
        let mut vosk = vosk::Model::new(dir_text)
            .ok_or_else(|| RecognitionError::ModelLoadFailed { path: dir.to_path_buf() })?;

        let unknown_word = UNKNOWN_WORD_SPELLINGS
            .into_iter()
            .find(|spelling| vosk.find_word(spelling).is_some());
        tracing::info!(
            model = %dir.display(),
            sample_rate,
            unknown_word = unknown_word.unwrap_or("none"),
            load_ms = started.elapsed().as_millis() as u64,
            "loaded speech model"
        );

        let inner = ModelInner { vosk, path: dir.to_path_buf(), sample_rate, unknown_word };
        Ok(SpeechModel { inner: Arc::new(inner) })
    }

    /// Returns the sample rate, in hertz, of the audio the model expects.
    pub fn sample_rate(&self) -> u32 {
        self.inner.sample_rate
    }

    /// Returns the folder the model was loaded from.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Returns the model's unknown-word token (`[unk]` or `<UNK>`), if its vocabulary has one.
    ///
    /// With this token in a grammar, out-of-grammar speech can decode to it instead of to
    /// the nearest grammar phrase.
    pub fn unknown_word(&self) -> Option<&'static str> {
        self.inner.unknown_word
    }

    pub(crate) fn vosk(&self) -> &vosk::Model {
        &self.inner.vosk
    }
}

impl std::fmt::Debug for SpeechModel {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SpeechModel")
            .field("path", &self.inner.path)
            .field("sample_rate", &self.inner.sample_rate)
            .field("unknown_word", &self.inner.unknown_word)
            .finish_non_exhaustive()
    }
}

fn check_model_folder(dir: &Path) -> Result<(), RecognitionError> {
    if !dir.is_dir() {
        return Err(RecognitionError::ModelNotFound { path: dir.to_path_buf() });
    }
    for file in REQUIRED_FILES {
        if !dir.join(file).is_file() {
            return Err(RecognitionError::NotAModel { path: dir.to_path_buf(), missing: file });
        }
    }
    Ok(())
}

/// Reads `--sample-frequency` from the model's `conf/mfcc.conf`, a Kaldi options file with
/// one `--name=value` per line.
fn read_sample_rate(dir: &Path) -> Result<u32, RecognitionError> {
    let path = dir.join("conf/mfcc.conf");
    let text = fs::read_to_string(&path)
        .map_err(|source| RecognitionError::ModelConfigRead { path: path.clone(), source })?;

    let Some(value) = text.lines().find_map(|line| line.trim().strip_prefix("--sample-frequency=")) else {
        return Ok(DEFAULT_SAMPLE_RATE);
    };
    // Kaldi writes the rate as a float (`8000` or `8000.0`).
    match value.trim().parse::<f32>() {
        Ok(rate) if rate >= 1.0 && rate.fract() == 0.0 && rate <= 192_000.0 => Ok(rate as u32),
        _ => Err(RecognitionError::InvalidSampleRate { path, value: value.to_owned() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_folder(mfcc_conf: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("am")).unwrap();
        fs::create_dir_all(dir.path().join("conf")).unwrap();
        fs::write(dir.path().join("am/final.mdl"), b"not a model").unwrap();
        fs::write(dir.path().join("conf/mfcc.conf"), mfcc_conf).unwrap();
        dir
    }

    #[test]
    fn sample_rate_defaults_to_16k() {
        let dir = model_folder("--use-energy=false\n--num-ceps=40\n");
        assert_eq!(read_sample_rate(dir.path()).unwrap(), 16_000);
    }

    #[test]
    fn sample_rate_read_from_mfcc_conf() {
        let dir = model_folder("--use-energy=false\n--sample-frequency=8000\n");
        assert_eq!(read_sample_rate(dir.path()).unwrap(), 8_000);

        let dir = model_folder("--sample-frequency=16000.0\n");
        assert_eq!(read_sample_rate(dir.path()).unwrap(), 16_000);
    }

    #[test]
    fn sample_rate_invalid_is_rejected() {
        let dir = model_folder("--sample-frequency=fast\n");
        let error = read_sample_rate(dir.path()).unwrap_err();
        assert!(
            matches!(&error, RecognitionError::InvalidSampleRate { value, .. } if value == "fast"),
            "unexpected error: {error}"
        );
    }

    #[test]
    fn folder_without_final_mdl_is_not_a_model() {
        let dir = model_folder("");
        fs::remove_file(dir.path().join("am/final.mdl")).unwrap();
        let error = check_model_folder(dir.path()).unwrap_err();
        assert!(
            matches!(error, RecognitionError::NotAModel { missing: "am/final.mdl", .. }),
            "unexpected error: {error}"
        );
    }
}
