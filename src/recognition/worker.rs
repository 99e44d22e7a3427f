//! The per-call recogniser thread and the handle that drives it.
//!
//! # Grammar switching
//!
//! Each utterance may use a different grammar. libvosk 0.3.45 can switch a recogniser's
//! grammar in place with `vosk_recognizer_set_grm`, but the `vosk` crate 0.3.1 does not
//! bind it. Binding it here would also mean loading the model through our own FFI, because
//! the crate keeps its model pointer private. So the worker creates a recogniser per
//! grammar with `Recognizer::new_with_grammar`, and keeps the last grammar recogniser and
//! the free-recognition recogniser for reuse.
//!
//! `benches/recognition.rs` measured with the Korean test model (libvosk 0.3.45, 2 shared
//! x86-64 cores, three runs): creating a recogniser with a 5-phrase grammar takes
//! 0.13-0.14 ms and `vosk_recognizer_set_grm` 0.12-0.20 ms, so the FFI route would save
//! nothing. A free-recognition recogniser takes about 62 ms to create and about 900 ms of
//! CPU for its first decode, which is why that one is kept. Decoding costs 21-23 ms of CPU
//! per second of audio with that grammar and 100-115 ms without.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::result::{clean_transcript, result_from_nbest};
use super::{RecognitionEvent, RecognitionResult, SpeechModel};

/// Transcripts Vosk returns per utterance (the best one and up to two alternatives).
const MAX_ALTERNATIVES: u16 = 3;

/// Audio, in milliseconds, between two partial results.
const PARTIAL_INTERVAL_MS: u64 = 300;

/// Silence, in milliseconds, decoded to warm up a new free-recognition recogniser.
const WARM_UP_SILENCE_MS: u64 = 1_000;

enum Command {
    WarmUp,
    Begin(Option<Vec<String>>),
    Audio(Vec<i16>),
    End,
    Cancel,
}

/// Controls one call's recogniser thread.
///
/// Every method only queues a command, so it never blocks and is safe to call from async
/// code. Dropping the handle stops the thread once it has run the commands already queued,
/// which frees its Vosk recognisers and closes the event receiver. Dropping the event receiver
/// also stops the thread, at its next command.
pub struct RecognizerHandle {
    commands: mpsc::Sender<Command>,
    call_sid: String,
    stop_reported: AtomicBool,
}

impl RecognizerHandle {
    /// Starts an utterance: with a list of phrases the recogniser may return, or free
    /// recognition with `None`.
    ///
    /// The model's unknown-word token ([`SpeechModel::unknown_word`]) is added to the phrases,
    /// so out-of-grammar speech can decode to it, and the result leaves it out. Similar
    /// out-of-grammar words may still decode to a grammar phrase.
    /// An utterance still open is cancelled first.
    pub fn begin_utterance(&self, grammar: Option<Vec<String>>) {
        self.send(Command::Begin(grammar));
    }

    /// Feeds audio to the open utterance: mono PCM at [`SpeechModel::sample_rate`].
    /// Audio sent while no utterance is open is ignored.
    pub fn push_audio(&self, samples: Vec<i16>) {
        self.send(Command::Audio(samples));
    }

    /// Ends the utterance. The recogniser decodes the rest of the audio and emits exactly
    /// one [`RecognitionEvent::Final`], with empty text when no utterance was open.
    pub fn end_utterance(&self) {
        self.send(Command::End);
    }

    /// Drops the open utterance without a result.
    pub fn cancel_utterance(&self) {
        self.send(Command::Cancel);
    }

    /// Prepares free recognition (`begin_utterance(None)`) ahead of time, for example while
    /// a prompt plays.
    ///
    /// A new free-recognition recogniser spends most of a second of CPU on its first
    /// decode: with the Korean test model, 1.2 s of speech cost about 950 ms cold and 120 ms
    /// warm (`benches/recognition.rs`). Warming it on 1 s of silence costs about 680 ms and
    /// brings that first decode down to about 180 ms. Does nothing while an utterance is
    /// open or once free recognition has been used on this call.
    pub fn prepare_free_recognition(&self) {
        self.send(Command::WarmUp);
    }

    fn send(&self, command: Command) {
        if self.commands.send(command).is_err() && !self.stop_reported.swap(true, Ordering::Relaxed) {
            tracing::warn!(call_sid = %self.call_sid, "recognizer thread has stopped; ignoring commands");
        }
    }
}

/// Starts a recogniser thread for one call and returns its handle and event receiver.
///
/// The thread is a dedicated OS thread, not a tokio worker, so a slow decode delays only
/// this call. If the thread cannot be started, the error is logged, the receiver is
/// already closed and the handle ignores every command.
pub fn spawn_recognizer(
    model: SpeechModel,
    call_sid: String,
) -> (RecognizerHandle, UnboundedReceiver<RecognitionEvent>) {
    let (commands, command_receiver) = mpsc::channel();
    let (events, event_receiver) = unbounded_channel();

    let worker = Worker::new(model, call_sid.clone(), events);
    let spawned = thread::Builder::new()
        .name("vosk-recognizer".to_owned())
        .spawn(move || worker.run(command_receiver));
    if let Err(error) = spawned {
        tracing::error!(%call_sid, %error, "failed to start the recognizer thread");
    }

    let handle = RecognizerHandle { commands, call_sid, stop_reported: AtomicBool::new(false) };
    (handle, event_receiver)
}

/// The open utterance.
struct Utterance {
    grammar: Option<Vec<String>>,
    /// `None` when Vosk failed to create a recogniser; the utterance then ends with no match.
    recognizer: Option<vosk::Recognizer>,
    samples: u64,
    decode_time: Duration,
    samples_at_last_partial: u64,
    last_partial: String,
}

/// The state owned by the recogniser thread.
struct Worker {
    model: SpeechModel,
    call_sid: String,
    events: UnboundedSender<RecognitionEvent>,
    utterance: Option<Utterance>,
    free_recognizer: Option<vosk::Recognizer>,
    grammar_recognizer: Option<(Vec<String>, vosk::Recognizer)>,
    ignored_audio_chunks: u64,
}

impl Worker {
    fn new(model: SpeechModel, call_sid: String, events: UnboundedSender<RecognitionEvent>) -> Self {
        Worker {
            model,
            call_sid,
            events,
            utterance: None,
            free_recognizer: None,
            grammar_recognizer: None,
            ignored_audio_chunks: 0,
        }
    }

    fn run(mut self, commands: mpsc::Receiver<Command>) {
        tracing::debug!(call_sid = %self.call_sid, "recognizer thread started");

        // `recv` fails once the handle is dropped. A closed event channel means no
        // receiver reads the results, so decoding would only waste CPU.
        while let Ok(command) = commands.recv() {
            if self.events.is_closed() {
                break;
            }
            match command {
                Command::WarmUp => self.warm_up_free_recognition(),
                Command::Begin(grammar) => self.begin(grammar),
                Command::Audio(samples) => self.accept_audio(&samples),
                Command::End => self.end(),
                Command::Cancel => self.cancel(),
            }
        }

        tracing::debug!(call_sid = %self.call_sid, "recognizer thread stopped");
    }

    fn warm_up_free_recognition(&mut self) {
        if self.utterance.is_some() || self.free_recognizer.is_some() {
            return;
        }
        let Some(mut recognizer) = self.take_recognizer(&None) else {
            return;
        };

        let started = Instant::now();
        let silence = vec![0; (u64::from(self.model.sample_rate()) * WARM_UP_SILENCE_MS / 1000) as usize];
        if let Err(error) = recognizer.accept_waveform(&silence) {
            tracing::warn!(call_sid = %self.call_sid, %error, "Vosk rejected the warm-up audio");
        }
        let _ = recognizer.final_result();
        tracing::debug!(call_sid = %self.call_sid, warm_up_ms = started.elapsed().as_millis() as u64, "free recognition warmed up");

        self.free_recognizer = Some(recognizer);
    }

    fn begin(&mut self, grammar: Option<Vec<String>>) {
        if self.utterance.is_some() {
            tracing::warn!(call_sid = %self.call_sid, "utterance started while another was open; cancelling the old one");
            self.cancel();
        }
        if self.ignored_audio_chunks > 0 {
            tracing::debug!(call_sid = %self.call_sid, chunks = self.ignored_audio_chunks, "ignored audio sent outside an utterance");
            self.ignored_audio_chunks = 0;
        }

        let grammar = grammar.map(|phrases| normalize_grammar(&phrases, self.model.unknown_word(), &self.call_sid));
        let recognizer = self.take_recognizer(&grammar);
        self.utterance = Some(Utterance {
            grammar,
            recognizer,
            samples: 0,
            decode_time: Duration::ZERO,
            samples_at_last_partial: 0,
            last_partial: String::new(),
        });
    }

    fn accept_audio(&mut self, samples: &[i16]) {
        let Some(utterance) = self.utterance.as_mut() else {
            self.ignored_audio_chunks += 1;
            return;
        };
        utterance.samples += samples.len() as u64;
        let Some(recognizer) = utterance.recognizer.as_mut() else {
            return;
        };

        let started = Instant::now();
        // The decoder may report an endpoint (trailing silence) here. It is ignored: the
        // session decides where an utterance ends, and decoding simply continues.
        if let Err(error) = recognizer.accept_waveform(samples) {
            tracing::warn!(call_sid = %self.call_sid, %error, "Vosk rejected an audio chunk");
        }
        utterance.decode_time += started.elapsed();

        let partial_interval = u64::from(self.model.sample_rate()) * PARTIAL_INTERVAL_MS / 1000;
        if utterance.samples - utterance.samples_at_last_partial >= partial_interval {
            utterance.samples_at_last_partial = utterance.samples;
            let text = clean_transcript(recognizer.partial_result().partial);
            if !text.is_empty() && text != utterance.last_partial {
                utterance.last_partial.clone_from(&text);
                let _ = self.events.send(RecognitionEvent::Partial { text });
            }
        }
    }

    fn end(&mut self) {
        let Some(mut utterance) = self.utterance.take() else {
            tracing::warn!(call_sid = %self.call_sid, "utterance ended while none was open; reporting no match");
            let _ = self.events.send(RecognitionEvent::Final(result_from_nbest(&[], 0, 0)));
            return;
        };

        let result = self.decode_final(&mut utterance);
        tracing::debug!(
            call_sid = %self.call_sid,
            text = %result.text,
            confidence = result.confidence,
            audio_ms = result.audio_ms,
            decode_ms = result.decode_ms,
            "utterance recognised"
        );
        let _ = self.events.send(RecognitionEvent::Final(result));

        if let Some(recognizer) = utterance.recognizer {
            self.keep_recognizer(utterance.grammar, recognizer);
        }
    }

    fn decode_final(&self, utterance: &mut Utterance) -> RecognitionResult {
        let audio_ms = u32::try_from(utterance.samples * 1000 / u64::from(self.model.sample_rate())).unwrap_or(u32::MAX);
        let Some(recognizer) = utterance.recognizer.as_mut() else {
            return result_from_nbest(&[], audio_ms, 0);
        };

        let started = Instant::now();
        let nbest: Vec<(String, f32)> = match recognizer.final_result() {
            vosk::CompleteResult::Multiple(multiple) => multiple
                .alternatives
                .iter()
                .map(|alternative| (alternative.text.to_owned(), alternative.confidence))
                .collect(),
            // Vosk returns this form only when it decoded nothing at all.
            vosk::CompleteResult::Single(single) => vec![(single.text.to_owned(), 0.0)],
        };
        utterance.decode_time += started.elapsed();

        let decode_ms = u32::try_from(utterance.decode_time.as_millis()).unwrap_or(u32::MAX);
        let nbest: Vec<(&str, f32)> = nbest.iter().map(|(text, score)| (text.as_str(), *score)).collect();
        result_from_nbest(&nbest, audio_ms, decode_ms)
    }

    fn cancel(&mut self) {
        let Some(utterance) = self.utterance.take() else {
            return;
        };
        if let Some(mut recognizer) = utterance.recognizer {
            recognizer.reset();
            self.keep_recognizer(utterance.grammar, recognizer);
        }
    }

    /// Returns a recogniser for `grammar`: the kept one when it matches, else a new one.
    fn take_recognizer(&mut self, grammar: &Option<Vec<String>>) -> Option<vosk::Recognizer> {
        let reusable = match grammar {
            None => self.free_recognizer.take(),
            Some(phrases) => match self.grammar_recognizer.take() {
                Some((kept_phrases, recognizer)) if kept_phrases == *phrases => Some(recognizer),
                other => {
                    self.grammar_recognizer = other;
                    None
                }
            },
        };
        if let Some(mut recognizer) = reusable {
            recognizer.reset();
            return Some(recognizer);
        }

        let sample_rate = self.model.sample_rate() as f32;
        let created = match grammar {
            None => vosk::Recognizer::new(self.model.vosk(), sample_rate),
            Some(phrases) => vosk::Recognizer::new_with_grammar(self.model.vosk(), sample_rate, phrases),
        };
        match created {
            Some(mut recognizer) => {
                recognizer.set_max_alternatives(MAX_ALTERNATIVES);
                Some(recognizer)
            }
            None => {
                tracing::error!(call_sid = %self.call_sid, ?grammar, "Vosk failed to create a recognizer; the utterance will return no match");
                None
            }
        }
    }

    fn keep_recognizer(&mut self, grammar: Option<Vec<String>>, recognizer: vosk::Recognizer) {
        match grammar {
            None => self.free_recognizer = Some(recognizer),
            Some(phrases) => self.grammar_recognizer = Some((phrases, recognizer)),
        }
    }
}

/// Prepares a phrase list for Vosk: trimmed, lower case (Vosk vocabularies are lower case),
/// without duplicates, plus the model's unknown-word token.
///
/// The `vosk` crate puts each phrase between double quotes in a JSON array without
/// escaping, so phrases containing `"` or `\` (never vocabulary words) are dropped with a
/// warning instead of producing invalid JSON.
fn normalize_grammar(phrases: &[String], unknown_word: Option<&str>, call_sid: &str) -> Vec<String> {
    let mut grammar: Vec<String> = Vec::with_capacity(phrases.len() + 1);
    for phrase in phrases {
        let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if phrase.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
            tracing::warn!(call_sid, phrase, "dropping a grammar phrase with a quote, backslash or control character");
            continue;
        }
        if !phrase.is_empty() && !grammar.contains(&phrase) {
            grammar.push(phrase);
        }
    }
    if let Some(unknown_word) = unknown_word {
        grammar.push(unknown_word.to_owned());
    }
    grammar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn grammar_gets_unknown_word() {
        let grammar = normalize_grammar(&phrases(&["sí", "no"]), Some("[unk]"), "CA1");
        assert_eq!(grammar, phrases(&["sí", "no", "[unk]"]));
    }

    #[test]
    fn grammar_is_trimmed_lowered_and_deduplicated() {
        let grammar = normalize_grammar(&phrases(&["  Sí  ", "sí", "De  Acuerdo", ""]), None, "CA1");
        assert_eq!(grammar, phrases(&["sí", "de acuerdo"]));
    }

    #[test]
    fn grammar_drops_phrases_breaking_json() {
        let grammar = normalize_grammar(&phrases(&["sí", "say \"no\"", "a\\b", "nul\u{0}byte"]), None, "CA1");
        assert_eq!(grammar, phrases(&["sí"]));
    }
}
