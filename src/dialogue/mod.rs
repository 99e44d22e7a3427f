//! The conversation, behind a narrow interface the call session drives.
//!
//! A dialogue is a state machine with no I/O: the session feeds it [`DialogueEvent`]s and
//! carries out the [`Action`]s it returns, in order. The same dialogue runs over a phone
//! call (voice and keypad) and in the terminal (`recobra chat`).

use serde::Serialize;

pub mod debt;
pub mod demo;
pub mod nlu;
pub mod outcome;
pub mod payment;
pub mod policy;
pub mod speak;

/// Call details available to the dialogue when it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallContext {
    /// The platform's call id.
    pub call_sid: String,
    /// The caller's number in E.164 form, when the platform passed it.
    pub caller_number: Option<String>,
    /// The account named by the call set-up (outbound calls), when present.
    pub account_id: Option<String>,
    /// False when no speech model is loaded, so only the keypad works.
    pub speech_available: bool,
}

/// One recognised utterance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Utterance {
    /// Best transcript, lower case, as the recogniser wrote it.
    pub text: String,
    /// Confidence of the best transcript, 0.0 to 1.0.
    pub confidence: f32,
    /// Other transcripts, best first, with their confidence.
    pub alternatives: Vec<(String, f32)>,
}

/// Something that happened on the call, reported to the dialogue.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogueEvent {
    /// The recogniser transcribed the caller's speech.
    Utterance(Utterance),
    /// The caller keyed digits, collected as the last [`ListenSpec`] asked.
    Digits(String),
    /// The caller neither spoke nor keyed anything before the no-input timeout.
    NoInput,
    /// The caller spoke but the recogniser found no words (or only `[unk]`).
    NoMatch,
    /// The caller hung up.
    HangUp,
}

/// Request from the dialogue to the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Play a prompt to the caller.
    Play(Prompt),
    /// Wait for the caller's answer after the queued prompts (barge-in allowed on
    /// interruptible ones).
    Listen(ListenSpec),
    /// Hand the caller to a person.
    Transfer(Transfer),
    /// Store an outcome of the call (an agreement, a refusal, a satisfaction score) now,
    /// so a hang-up right after it loses nothing.
    SaveOutcome(outcome::Outcome),
    /// Send the caller a payment link through the configured sender.
    SendPaymentLink(outcome::PaymentLinkRequest),
    /// End the call after the queued prompts have played.
    Hangup {
        /// Reason the dialogue ended the call, stored as the call's end reason.
        reason: String,
    },
}

/// A prompt: catalog clips and run-time speech played back to back.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// The parts of the prompt, in order.
    pub segments: Vec<Segment>,
    /// Whether caller speech or a keypress may cut the prompt short.
    pub interruptible: bool,
}

impl Prompt {
    /// Builds an interruptible prompt from one catalog clip.
    pub fn clip(id: &str) -> Self {
        Self { segments: vec![Segment::Clip(id.to_owned())], interruptible: true }
    }
}

/// One part of a prompt.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// A clip from the locale's prompt catalog, by id.
    Clip(String),
    /// Text synthesised at run time, for values the catalog cannot hold (a name).
    Speech(String),
    /// Silence, in milliseconds.
    Pause(u32),
}

/// Listening settings for the caller's reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenSpec {
    /// Phrases the recogniser may return; `None` means free recognition.
    pub grammar: Option<Vec<String>>,
    /// Keypad input accepted as an answer.
    pub dtmf: DtmfSpec,
    /// Time to wait for the caller to start answering, in milliseconds.
    pub no_input_timeout_ms: u32,
    /// Maximum utterance length, in milliseconds.
    pub max_utterance_ms: u32,
}

/// Keypad input accepted as an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DtmfSpec {
    /// Digits collected before the answer is complete.
    pub max_digits: usize,
    /// A key that completes the answer early (not included in the digits).
    pub terminator: Option<char>,
    /// Time allowed between two keypresses, in milliseconds.
    pub inter_digit_timeout_ms: u32,
}

impl Default for DtmfSpec {
    fn default() -> Self {
        Self { max_digits: 1, terminator: None, inter_digit_timeout_ms: 3_000 }
    }
}

/// A handoff to a human agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transfer {
    /// Reason the call goes to a person (`requested`, `no_progress`, ...).
    pub reason: String,
    /// Context card shown to the agent before accepting: account, verification, offers,
    /// agreements.
    pub context: serde_json::Value,
}

/// A conversation state machine.
pub trait Dialogue: Send {
    /// Starts the conversation and returns the first actions.
    fn start(&mut self, context: &CallContext) -> Vec<Action>;

    /// Handles one event and returns the actions that follow from it.
    fn handle(&mut self, event: DialogueEvent) -> Vec<Action>;

    /// Name of the current state, for the journal and for replay expectations.
    fn state(&self) -> &str;
}
