//! The call session: one call's state machine, with no I/O.
//!
//! The driver feeds it transport events and recognition results; it returns
//! [`SessionOutput`]s for the driver to carry out (send to the platform, feed the
//! recogniser, write the journal). Time is the call's media clock: each 20 ms of caller
//! audio received advances it by 20 ms. The platform streams caller audio continuously and
//! in real time, so that clock paces playback like a wall clock does, yet a test or a
//! `--fast` replay can run a whole call in milliseconds.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::json;

use crate::audio::dtmf::{DtmfConfig, DtmfDetector};
use crate::audio::vad::{Vad, VadConfig};
use crate::dialogue::outcome::{Outcome, PaymentLinkRequest};
use crate::dialogue::{Action, CallContext, Dialogue, DialogueEvent, DtmfSpec, ListenSpec, Segment, Transfer, Utterance};
use crate::transport::{TransportCommand, TransportEvent};

use super::listener::{Listener, ListenerConfig, TurnEvent};

mod handoff;

pub use handoff::QueuePhrases;
#[cfg(test)]
mod tests;

pub use handoff::{HandoffUpdate, QueueExit};
use handoff::HandoffState;
use super::player::{FRAME_MS, PlaybackReport, Player, PlayerOutput, QueuedPrompt};

/// Settings of a call session.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Audio sent ahead of real time, in milliseconds.
    pub playback_lead_ms: u64,
    /// Turn-taking timings.
    pub listener: ListenerConfig,
    /// How much the speech threshold rises while a prompt plays, in dB.
    pub barge_in_threshold_boost_db: f32,
    /// Voice activity detection settings.
    pub vad: VadConfig,
    /// Whether a speech recogniser is available; without one the call is keypad-only.
    pub speech_available: bool,
    /// Voice answers understood while the caller waits for a person.
    pub queue_phrases: Arc<QueuePhrases>,
}

/// Audio for prompt segments, decoded to 8 kHz once and shared by every call.
pub trait PromptAudio: Send + Sync {
    /// Returns the audio of one segment, or `None` when it has none.
    fn segment_audio(&self, segment: &Segment) -> Option<Arc<[i16]>>;

    /// Returns the words a segment speaks, for transcripts.
    fn segment_text(&self, segment: &Segment) -> Option<String> {
        match segment {
            Segment::Speech(text) => Some(text.clone()),
            _ => None,
        }
    }
}

/// Most transcript lines kept for the agent's context card.
const TRANSCRIPT_MAX_LINES: usize = 200;

/// A request to the call's speech recogniser.
#[derive(Debug, Clone, PartialEq)]
pub enum RecognizerCommand {
    /// Start an utterance, with a phrase list or free recognition.
    Begin { grammar: Option<Vec<String>> },
    /// 8 kHz caller audio of the utterance.
    Audio(Vec<i16>),
    /// The utterance ended; a final result must follow.
    End,
    /// Drop the utterance without a result.
    Cancel,
}

/// Something the driver must do for the session.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionOutput {
    /// Send to the telephony platform.
    Transport(TransportCommand),
    /// Pass to the speech recogniser.
    Recognizer(RecognizerCommand),
    /// Append an event to the call's journal.
    Journal { kind: &'static str, data: serde_json::Value },
    /// Store an outcome now.
    SaveOutcome(Outcome),
    /// Send a payment link.
    SendPaymentLink(PaymentLinkRequest),
    /// Hand the caller to a person (put the call in the agent queue).
    Transfer(Transfer),
    /// Take the call out of the agent queue.
    LeaveQueue(QueueExit),
    /// 8 kHz caller audio for the agent of a bridged call.
    ToAgent(Vec<i16>),
    /// Time from the end of the caller's speech to the first frame of the reply.
    TurnLatency { end_of_speech_ms: u64, processing_ms: u64 },
    /// End the call.
    Hangup { reason: String },
}

/// Maximum keypresses kept while no answer is expected (type-ahead).
const TYPE_AHEAD_MAX: usize = 16;
/// Caller audio kept from before speech was detected, so the recogniser hears the onset.
const PRE_ROLL_MS: u64 = 300;
/// A digit reported both in band and by the platform within this window counts once.
const DTMF_DUPLICATE_WINDOW_MS: u64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DigitSource {
    Platform,
    InBand,
}

/// One call's session state.
pub struct CallSession {
    config: SessionConfig,
    call_sid: String,
    dialogue: Box<dyn Dialogue>,
    prompts: Arc<dyn PromptAudio>,
    player: Player,
    listener: Listener,
    vad: Vad,
    dtmf: DtmfDetector,
    /// The answer being waited for, if any.
    listen: Option<ListenSpec>,
    digits: String,
    digit_deadline_ms: Option<u64>,
    last_digit: Option<(char, u64, DigitSource)>,
    type_ahead: String,
    pre_roll: VecDeque<Vec<i16>>,
    /// Call time at which the last utterance ended, until the reply starts playing.
    awaiting_reply_since_ms: Option<u64>,
    recognizing: bool,
    pending_hangup: Option<String>,
    handoff: HandoffState,
    /// Transcript so far, as `{speaker, text}` lines, for the agent's context card.
    transcript: Vec<serde_json::Value>,
    dialogue_state: String,
    now_ms: u64,
    ended: bool,
    outputs: Vec<SessionOutput>,
    player_outputs: Vec<PlayerOutput>,
}

impl CallSession {
    /// Creates the session and starts the dialogue.
    pub fn new(
        config: SessionConfig,
        context: &CallContext,
        mut dialogue: Box<dyn Dialogue>,
        prompts: Arc<dyn PromptAudio>,
    ) -> Self {
        let player = Player::new(config.playback_lead_ms);
        let listener = Listener::new(config.listener);
        let vad = Vad::new(config.vad.clone());
        let first_actions = dialogue.start(context);
        let dialogue_state = dialogue.state().to_owned();

        let mut session = Self {
            config,
            call_sid: context.call_sid.clone(),
            dialogue,
            prompts,
            player,
            listener,
            vad,
            dtmf: DtmfDetector::new(DtmfConfig::default()),
            listen: None,
            digits: String::new(),
            digit_deadline_ms: None,
            last_digit: None,
            type_ahead: String::new(),
            pre_roll: VecDeque::new(),
            awaiting_reply_since_ms: None,
            recognizing: false,
            pending_hangup: None,
            handoff: HandoffState::None,
            transcript: Vec::new(),
            dialogue_state,
            now_ms: 0,
            ended: false,
            outputs: Vec::new(),
            player_outputs: Vec::new(),
        };
        session.journal("state", json!({ "state": session.dialogue_state }));
        session.apply_actions(first_actions);
        session.pump_playback();
        session
    }

    /// Handles one event from the transport.
    pub fn handle_transport(&mut self, event: TransportEvent) {
        if self.ended {
            return;
        }
        match event {
            // The driver creates the session from the start event; a repeated one is ignored.
            TransportEvent::Start(_) => {}
            TransportEvent::Audio(frame) => self.handle_audio(frame),
            TransportEvent::Dtmf(digit) => self.handle_digit(digit, DigitSource::Platform),
            TransportEvent::MarkerReached(name) => self.handle_marker(&name),
            TransportEvent::Stop => self.end_by_caller("caller_hangup"),
        }
    }

    /// Handles the recogniser's final result for the last utterance.
    pub fn handle_recognition(&mut self, utterance: Utterance, audio_ms: u32, decode_ms: u32) {
        if self.ended || !self.recognizing {
            return;
        }
        self.recognizing = false;
        self.journal(
            "recognition",
            json!({
                "text": utterance.text,
                "confidence": utterance.confidence,
                "alternatives": utterance.alternatives,
                "audio_ms": audio_ms,
                "decode_ms": decode_ms,
            }),
        );

        if !utterance.text.trim().is_empty() {
            self.add_transcript("caller", utterance.text.clone());
        }
        if self.is_handed_off() {
            self.handoff_utterance(&utterance.text);
            return;
        }
        let event = if utterance.text.trim().is_empty() {
            DialogueEvent::NoMatch
        } else {
            DialogueEvent::Utterance(utterance)
        };
        self.dispatch(event);
    }

    /// Ends the session because the connection closed or timed out, with that reason.
    pub fn handle_disconnect(&mut self, reason: &str) {
        self.end_by_caller(reason);
    }

    /// Takes the outputs produced since the last call.
    pub fn drain_outputs(&mut self) -> std::vec::Drain<'_, SessionOutput> {
        self.outputs.drain(..)
    }

    /// Returns true once the call has ended.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Outbound frames that reached the phone late, since the call began.
    pub fn late_frames(&self) -> u64 {
        self.player.late_frames()
    }

    /// Name of the dialogue's current state.
    pub fn dialogue_state(&self) -> &str {
        &self.dialogue_state
    }

    /// Returns the call's media clock, in milliseconds of caller audio received.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    fn handle_audio(&mut self, frame: Vec<i16>) {
        self.now_ms += (frame.len() as u64 * 1000 / 8000).max(1);

        // In-band keypad tones.
        if let Some(digit) = self.dtmf.process(&frame) {
            self.handle_digit(digit, DigitSource::InBand);
        }

        if self.handoff_audio(&frame) {
            self.check_digit_timeout();
            self.pump_playback();
            return;
        }

        // Voice activity, with a raised threshold while the assistant talks.
        let playing = self.player.is_playing();
        let boost = if playing { self.config.barge_in_threshold_boost_db } else { 0.0 };
        self.vad.set_threshold_boost_db(boost);
        let class = self.vad.classify(&frame);
        // Without a recogniser speech cannot be understood, and over a protected prompt it
        // must not interrupt, so in both cases the listener gets silence.
        let protected = playing && !self.player.is_interruptible();
        let speech = class.speech && self.config.speech_available && !protected;

        let event = self.listener.frame(speech, playing, self.now_ms);
        self.handle_turn_event(event, &frame);

        self.remember_pre_roll(frame);
        self.check_digit_timeout();
        self.pump_playback();
    }

    fn handle_turn_event(&mut self, event: TurnEvent, frame: &[i16]) {
        match event {
            TurnEvent::None => {
                if self.listener.is_speaking() {
                    self.outputs.push(SessionOutput::Recognizer(RecognizerCommand::Audio(frame.to_vec())));
                }
            }
            TurnEvent::SpeechStarted => {
                if self.player.is_playing() {
                    self.barge_in("speech");
                }
                let grammar = self.listen.as_ref().and_then(|listen| listen.grammar.clone());
                self.outputs.push(SessionOutput::Recognizer(RecognizerCommand::Begin { grammar }));
                let onset_frames = (self.listener.speech_run_ms() / FRAME_MS) as usize;
                let pre_roll_frames = (PRE_ROLL_MS / FRAME_MS) as usize;
                let skip = self.pre_roll.len().saturating_sub(onset_frames + pre_roll_frames);
                for earlier in self.pre_roll.iter().skip(skip) {
                    self.outputs.push(SessionOutput::Recognizer(RecognizerCommand::Audio(earlier.clone())));
                }
                self.outputs.push(SessionOutput::Recognizer(RecognizerCommand::Audio(frame.to_vec())));
            }
            TurnEvent::SpeechEnded => {
                self.outputs.push(SessionOutput::Recognizer(RecognizerCommand::End));
                self.recognizing = true;
                self.awaiting_reply_since_ms = Some(self.now_ms);
                self.listen = None;
            }
            TurnEvent::NoInput if self.is_handed_off() => self.listen_while_waiting(),
            TurnEvent::NoInput => {
                self.listen = None;
                self.journal("no_input", json!({}));
                self.dispatch(DialogueEvent::NoInput);
            }
        }
    }

    fn remember_pre_roll(&mut self, frame: Vec<i16>) {
        // Pre-roll covers the barge-in run plus the onset margin.
        let capacity = ((PRE_ROLL_MS + self.config.listener.barge_in_min_speech_ms) / FRAME_MS) as usize + 1;
        if self.pre_roll.len() >= capacity {
            self.pre_roll.pop_front();
        }
        self.pre_roll.push_back(frame);
    }

    fn handle_digit(&mut self, digit: char, source: DigitSource) {
        if let Some((last, at_ms, last_source)) = self.last_digit {
            if last == digit && last_source != source && self.now_ms.saturating_sub(at_ms) <= DTMF_DUPLICATE_WINDOW_MS {
                return;
            }
        }
        self.last_digit = Some((digit, self.now_ms, source));
        let source_name = match source {
            DigitSource::Platform => "platform",
            DigitSource::InBand => "in_band",
        };
        self.journal("dtmf", json!({ "digit": digit.to_string(), "source": source_name }));
        if self.handoff_digit(digit) {
            return;
        }

        let Some(listen) = self.listen.clone() else {
            if self.type_ahead.len() < TYPE_AHEAD_MAX {
                self.type_ahead.push(digit);
            }
            return;
        };

        if self.player.is_playing() {
            if !self.player.is_interruptible() {
                if self.type_ahead.len() < TYPE_AHEAD_MAX {
                    self.type_ahead.push(digit);
                }
                return;
            }
            self.barge_in("dtmf");
        }
        if self.listener.is_speaking() {
            self.outputs.push(SessionOutput::Recognizer(RecognizerCommand::Cancel));
        }
        self.listener.stop();
        self.collect_digit(digit, &listen.dtmf);
    }

    fn collect_digit(&mut self, digit: char, spec: &DtmfSpec) {
        if spec.terminator == Some(digit) {
            self.finish_digits();
            return;
        }
        self.digits.push(digit);
        if self.digits.len() >= spec.max_digits {
            self.finish_digits();
        } else {
            self.digit_deadline_ms = Some(self.now_ms + u64::from(spec.inter_digit_timeout_ms));
        }
    }

    fn check_digit_timeout(&mut self) {
        if self.digit_deadline_ms.is_some_and(|deadline| self.now_ms >= deadline) {
            self.finish_digits();
        }
    }

    fn finish_digits(&mut self) {
        self.digit_deadline_ms = None;
        self.listen = None;
        let digits = std::mem::take(&mut self.digits);
        if digits.is_empty() {
            self.dispatch(DialogueEvent::NoMatch);
        } else {
            self.awaiting_reply_since_ms = Some(self.now_ms);
            self.add_transcript("caller", format!("[{digits}]"));
            self.dispatch(DialogueEvent::Digits(digits));
        }
    }

    fn handle_marker(&mut self, name: &str) {
        if let Some(report) = self.player.marker_reached(name) {
            self.journal_playback(&report);
        }
        self.take_type_ahead_after_protected_prompt();
        if self.player.is_playing() {
            return;
        }
        self.listener.prompts_finished(self.now_ms);
        if let Some(reason) = self.pending_hangup.take() {
            self.finish(&reason);
        }
    }

    /// Keys pressed during a protected prompt wait until it has played, then answer the
    /// question (cutting short any interruptible prompt after it).
    fn take_type_ahead_after_protected_prompt(&mut self) {
        if self.type_ahead.is_empty() || (self.player.is_playing() && !self.player.is_interruptible()) {
            return;
        }
        let Some(listen) = self.listen.clone() else { return };
        if self.player.is_playing() {
            self.barge_in("dtmf");
        }
        self.listener.stop();
        let typed = std::mem::take(&mut self.type_ahead);
        for digit in typed.chars() {
            if self.listen.is_none() {
                break;
            }
            self.collect_digit(digit, &listen.dtmf);
        }
    }

    fn barge_in(&mut self, trigger: &str) {
        let reports = self.player.clear(self.now_ms);
        self.outputs.push(SessionOutput::Transport(TransportCommand::Clear));
        self.journal("barge_in", json!({ "trigger": trigger, "at_ms": self.now_ms }));
        for report in &reports {
            self.journal_playback(report);
        }
        self.listener.prompts_finished(self.now_ms);
    }

    fn journal_playback(&mut self, report: &PlaybackReport) {
        self.journal(
            "prompt",
            json!({
                "prompt": report.label,
                "duration_ms": report.duration_ms,
                "heard_ms": report.heard_ms,
                "interrupted": report.interrupted,
            }),
        );
    }

    fn dispatch(&mut self, event: DialogueEvent) {
        let actions = self.dialogue.handle(event);
        let state = self.dialogue.state();
        if state != self.dialogue_state {
            self.dialogue_state = state.to_owned();
            self.journal("state", json!({ "state": self.dialogue_state }));
        }
        self.apply_actions(actions);
    }

    fn apply_actions(&mut self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Play(prompt) => self.queue_prompt(&prompt.segments, prompt.interruptible),
                Action::Listen(spec) => self.start_listening(spec),
                Action::SaveOutcome(outcome) => {
                    self.journal("outcome", json!({ "kind": outcome.kind, "step": outcome.step }));
                    self.outputs.push(SessionOutput::SaveOutcome(outcome));
                }
                Action::SendPaymentLink(request) => self.outputs.push(SessionOutput::SendPaymentLink(request)),
                Action::Transfer(transfer) => self.start_handoff(transfer),
                Action::Hangup { reason } => self.hang_up_after_playback(&reason),
            }
        }
    }

    fn hang_up_after_playback(&mut self, reason: &str) {
        if self.player.is_playing() {
            self.pending_hangup = Some(reason.to_owned());
        } else {
            self.finish(reason);
        }
    }

    fn add_transcript(&mut self, speaker: &str, text: String) {
        if self.transcript.len() < TRANSCRIPT_MAX_LINES {
            self.transcript.push(json!({ "speaker": speaker, "text": text }));
        }
    }

    fn queue_prompt(&mut self, segments: &[Segment], interruptible: bool) {
        let words: Vec<String> = segments.iter().filter_map(|segment| self.prompts.segment_text(segment)).collect();
        if !words.is_empty() {
            self.add_transcript("assistant", words.join(" "));
        }
        let mut audio: Vec<i16> = Vec::new();
        let mut labels = Vec::new();
        for segment in segments {
            let label = match segment {
                Segment::Clip(id) => id.clone(),
                Segment::Speech(_) => "speech".to_owned(),
                Segment::Pause(ms) => format!("pause {ms} ms"),
            };
            match self.prompts.segment_audio(segment) {
                Some(samples) => audio.extend_from_slice(&samples),
                None => {
                    tracing::warn!(call_sid = %self.call_sid, segment = %label, "prompt segment has no audio; skipped");
                    self.journal("error", json!({ "error": "prompt segment has no audio", "segment": label }));
                }
            }
            labels.push(label);
        }
        if audio.is_empty() {
            return;
        }
        self.player.enqueue(QueuedPrompt { label: labels.join(" "), audio: audio.into(), interruptible });
    }

    fn start_listening(&mut self, spec: ListenSpec) {
        self.listener.listen(u64::from(spec.no_input_timeout_ms), u64::from(spec.max_utterance_ms));
        if !self.player.is_playing() {
            self.listener.prompts_finished(self.now_ms);
        }
        let dtmf = spec.dtmf.clone();
        self.listen = Some(spec);

        // Keys pressed before the question was asked answer it.
        let typed = std::mem::take(&mut self.type_ahead);
        for digit in typed.chars() {
            if self.listen.is_none() {
                break;
            }
            self.listener.stop();
            self.collect_digit(digit, &dtmf);
        }
    }

    fn pump_playback(&mut self) {
        self.keep_hold_music();
        self.player.poll(self.now_ms, &mut self.player_outputs);
        for output in self.player_outputs.drain(..) {
            match output {
                PlayerOutput::Frame(frame) => {
                    if let Some(since) = self.awaiting_reply_since_ms.take() {
                        self.outputs.push(SessionOutput::TurnLatency {
                            end_of_speech_ms: self.config.listener.trailing_silence_ms,
                            processing_ms: self.now_ms.saturating_sub(since),
                        });
                    }
                    self.outputs.push(SessionOutput::Transport(TransportCommand::Audio(frame)));
                }
                PlayerOutput::Marker(name) => self.outputs.push(SessionOutput::Transport(TransportCommand::Marker(name))),
            }
        }
        if !self.player.is_playing() {
            if let Some(reason) = self.pending_hangup.take() {
                self.finish(&reason);
            }
        }
    }

    fn end_by_caller(&mut self, reason: &str) {
        if self.ended {
            return;
        }
        // After a redirect the platform stops the stream because the call moved on.
        let reason = if self.is_redirected() { "transferred" } else { reason };
        if self.recognizing || self.listener.is_speaking() {
            self.outputs.push(SessionOutput::Recognizer(RecognizerCommand::Cancel));
        }
        // Prompts still playing were heard only up to now.
        for report in self.player.clear(self.now_ms) {
            self.journal_playback(&report);
        }
        self.journal("hangup", json!({ "state": self.dialogue_state, "reason": reason }));
        if let Some(exit) = self.handoff_exit_on_hangup() {
            self.outputs.push(SessionOutput::LeaveQueue(exit));
        }
        let actions = self.dialogue.handle(DialogueEvent::HangUp);
        // The caller is gone: keep what the dialogue stores, drop what it would say or ask.
        let keep = actions
            .into_iter()
            .filter(|action| matches!(action, Action::SaveOutcome(_) | Action::SendPaymentLink(_)))
            .collect();
        self.apply_actions(keep);
        self.finish(reason);
    }

    fn finish(&mut self, reason: &str) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.outputs.push(SessionOutput::Hangup { reason: reason.to_owned() });
    }

    fn journal(&mut self, kind: &'static str, data: serde_json::Value) {
        self.outputs.push(SessionOutput::Journal { kind, data });
    }
}
