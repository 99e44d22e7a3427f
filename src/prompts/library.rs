//! Prompt audio decoded once at start-up and shared by every call.
//!
//! Every catalog clip is decoded (whatever its format and rate) to 8 kHz mono PCM when the
//! server starts, so no call ever decodes or resamples a prompt. Text synthesised at run
//! time (a debtor's name) is rendered with espeak-ng on first use and cached on disk and in
//! memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tracing::{info, warn};

use crate::audio::decode::decode_file_to_8k;
use crate::dialogue::Segment;
use crate::session::call::PromptAudio;

use super::{Catalog, PromptError};

/// Decoded audio of a locale's prompts.
pub struct PromptLibrary {
    clips: HashMap<String, Arc<[i16]>>,
    /// Folder of the run-time speech cache; `None` turns run-time speech off.
    speech_cache_dir: Option<PathBuf>,
    voice: String,
    speech: Mutex<HashMap<String, Arc<[i16]>>>,
}

impl PromptLibrary {
    /// Loads and decodes every clip of `locale` under `prompts_dir`. Clips without audio are
    /// logged and left out; the session skips them.
    pub fn load(prompts_dir: &Path, locale: &str, speech_cache_dir: Option<PathBuf>) -> Result<Self, PromptError> {
        let catalog = Catalog::load(prompts_dir, locale)?;
        let mut clips = HashMap::new();
        let mut missing = Vec::new();
        for id in catalog.ids() {
            let Some(path) = catalog.audio_path(id) else {
                missing.push(id.to_owned());
                continue;
            };
            match decode_file_to_8k(&path) {
                Ok(samples) => {
                    clips.insert(id.to_owned(), Arc::from(samples));
                }
                Err(error) => warn!(prompt = id, %error, "prompt audio could not be decoded; skipped"),
            }
        }
        if !missing.is_empty() {
            warn!(count = missing.len(), first = %missing[0], "prompts without audio; run `recobra prompts render`");
        }
        info!(locale, clips = clips.len(), "prompts loaded");

        let voice = locale.split('-').next().unwrap_or("es").to_owned();
        Ok(Self { clips, speech_cache_dir, voice, speech: Mutex::new(HashMap::new()) })
    }

    /// Builds a library from ready-made clips, for tests and tools.
    pub fn from_clips(clips: HashMap<String, Arc<[i16]>>) -> Self {
        Self { clips, speech_cache_dir: None, voice: "es".to_owned(), speech: Mutex::new(HashMap::new()) }
    }

    /// Number of clips with audio.
    pub fn len(&self) -> usize {
        self.clips.len()
    }

    /// Returns true when no clip has audio.
    pub fn is_empty(&self) -> bool {
        self.clips.is_empty()
    }

    fn speech_audio(&self, text: &str) -> Option<Arc<[i16]>> {
        if let Some(samples) = self.speech.lock().ok()?.get(text) {
            return Some(samples.clone());
        }
        let dir = self.speech_cache_dir.as_ref()?;
        let path = dir.join(format!("{}.wav", text_digest(&self.voice, text)));
        if !path.is_file() {
            // NOTE: synthesis runs on the calling thread (about 50-200 ms with espeak-ng);
            // the first call that speaks a new name pays it, later calls hit the cache.
            render_speech(&self.voice, text, &path)?;
        }
        let samples: Arc<[i16]> = match decode_file_to_8k(&path) {
            Ok(samples) => Arc::from(samples),
            Err(error) => {
                warn!(%error, "synthesised speech could not be decoded");
                return None;
            }
        };
        self.speech.lock().ok()?.insert(text.to_owned(), samples.clone());
        Some(samples)
    }
}

impl PromptAudio for PromptLibrary {
    fn segment_audio(&self, segment: &Segment) -> Option<Arc<[i16]>> {
        match segment {
            Segment::Clip(id) => self.clips.get(id).cloned(),
            Segment::Speech(text) => self.speech_audio(text),
            Segment::Pause(ms) => Some(Arc::from(vec![0i16; *ms as usize * 8])),
        }
    }
}

fn text_digest(voice: &str, text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{voice}\n{text}").as_bytes());
    digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect()
}

fn render_speech(voice: &str, text: &str, path: &Path) -> Option<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).ok()?;
    }
    let partial = path.with_extension("wav.part");
    let status = std::process::Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "-w"])
        .arg(&partial)
        .arg(text)
        .status();
    match status {
        Ok(status) if status.success() => std::fs::rename(&partial, path).ok(),
        Ok(status) => {
            warn!(%status, "espeak-ng failed to synthesise run-time speech");
            None
        }
        Err(error) => {
            warn!(%error, "espeak-ng is not available for run-time speech; install it with `apt-get install espeak-ng`");
            None
        }
    }
}
