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
    /// Catalog text of each clip, for transcripts.
    texts: HashMap<String, String>,
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
        let mut texts = HashMap::new();
        let mut missing = Vec::new();
        for id in catalog.ids() {
            if let Some(text) = catalog.text(id) {
                texts.insert(id.to_owned(), text.to_owned());
            }
            let Some(path) = catalog.audio_path(id) else {
                missing.push(id.to_owned());
                continue;
            };
            match decode_file_to_8k(&path) {
                Ok(samples) => {
                    clips.insert(id.to_owned(), Arc::from(trim_for_joining(samples)));
                }
                Err(error) => warn!(prompt = id, %error, "prompt audio could not be decoded; skipped"),
            }
        }
        if !missing.is_empty() {
            warn!(count = missing.len(), first = %missing[0], "prompts without audio; run `recobra prompts render`");
        }
        info!(locale, clips = clips.len(), "prompts loaded");

        let voice = locale.split('-').next().unwrap_or("es").to_owned();
        Ok(Self { clips, texts, speech_cache_dir, voice, speech: Mutex::new(HashMap::new()) })
    }

    /// Builds a library from ready-made clips, for tests and tools.
    pub fn from_clips(clips: HashMap<String, Arc<[i16]>>) -> Self {
        Self { clips, texts: HashMap::new(), speech_cache_dir: None, voice: "es".to_owned(), speech: Mutex::new(HashMap::new()) }
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
            // NOTE: synthesis runs on the calling thread (about 50-200 ms with espeak-ng).
            // The first prompt of a call is built on a blocking thread; a name spoken later
            // in the call, the first time it is heard, briefly holds an async worker.
            render_speech(&self.voice, text, &path)?;
        }
        let samples: Arc<[i16]> = match decode_file_to_8k(&path) {
            Ok(samples) => Arc::from(trim_for_joining(samples)),
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

    fn segment_text(&self, segment: &Segment) -> Option<String> {
        match segment {
            Segment::Clip(id) => self.texts.get(id).cloned(),
            Segment::Speech(text) => Some(text.clone()),
            Segment::Pause(_) => None,
        }
    }
}

/// Silence kept at each end of a clip, in samples (40 ms at 8 kHz).
const EDGE_SILENCE_SAMPLES: usize = 320;
/// Length of the fade at each end, in samples (5 ms at 8 kHz).
const FADE_SAMPLES: usize = 40;
/// Level below which a sample counts as silence (about -50 dBFS).
const SILENCE_LEVEL: i16 = 100;

/// Trims a clip's leading and trailing silence down to a short margin and fades its ends,
/// so clips joined back to back (a number, "euros", "con"...) sound like one phrase and
/// meet without clicks.
pub fn trim_for_joining(mut samples: Vec<i16>) -> Vec<i16> {
    let first = samples.iter().position(|sample| sample.unsigned_abs() > SILENCE_LEVEL as u16);
    let last = samples.iter().rposition(|sample| sample.unsigned_abs() > SILENCE_LEVEL as u16);
    let (Some(first), Some(last)) = (first, last) else {
        return samples;
    };
    let start = first.saturating_sub(EDGE_SILENCE_SAMPLES);
    let end = (last + 1 + EDGE_SILENCE_SAMPLES).min(samples.len());
    samples.truncate(end);
    samples.drain(..start);

    let fade = FADE_SAMPLES.min(samples.len() / 2);
    let length = samples.len();
    for index in 0..fade {
        let gain = index as f32 / fade as f32;
        samples[index] = (f32::from(samples[index]) * gain) as i16;
        samples[length - 1 - index] = (f32::from(samples[length - 1 - index]) * gain) as i16;
    }
    samples
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_keeps_margin_around_sound() {
        let mut clip = vec![0i16; 4_000];
        clip.extend(vec![5_000i16; 800]);
        clip.extend(vec![0i16; 4_000]);

        let trimmed = trim_for_joining(clip);

        assert_eq!(trimmed.len(), 800 + 2 * EDGE_SILENCE_SAMPLES);
        assert_eq!(trimmed[EDGE_SILENCE_SAMPLES + 400], 5_000, "the sound itself is untouched");
    }

    #[test]
    fn trimmed_ends_start_and_stop_at_zero() {
        let clip = vec![8_000i16; 1_000];

        let trimmed = trim_for_joining(clip);

        assert_eq!(trimmed[0], 0, "fade-in starts from silence");
        assert_eq!(trimmed[trimmed.len() - 1], 0, "fade-out ends in silence");
        assert!(trimmed[FADE_SAMPLES / 2].abs() < 8_000);
    }

    #[test]
    fn silent_clip_is_left_alone() {
        assert_eq!(trim_for_joining(vec![0; 500]), vec![0; 500]);
    }
}
