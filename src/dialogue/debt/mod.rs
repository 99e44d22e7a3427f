//! The debt-collection dialogue: right-party check, identity check, disclosure, options
//! (pay now, instalments, promise to pay, dispute, already paid), closing and satisfaction.
//!
//! [`DebtDialogue`] is a state machine with no I/O. It speaks only catalog clips, the
//! holder's and creditor's names, and values from [`crate::dialogue::speak`]. The debt is
//! disclosed only after the identity check, because disclosure prompts need a
//! [`verified::VerifiedAccount`]. Every agreement is saved ([`Action::SaveOutcome`]) as
//! soon as the caller confirms it, and a later hang-up or transfer never replaces it.

mod account;
pub mod catalog;
pub mod chat;
mod context;
mod flow;
pub mod grammars;
mod keypad;
pub mod plan;
pub mod prompts;
mod steps;
mod verified;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::NaiveDate;

pub use account::Account;
pub use grammars::{GrammarError, Grammars};
pub use keypad::{KeypadError, KeypadMap, MenuKeys};
pub use steps::Step;

use crate::dialogue::nlu::{self, Interpretation};
use crate::dialogue::outcome::Outcome;
use crate::dialogue::policy::Policy;
use crate::dialogue::{Action, CallContext, Dialogue, DialogueEvent, ListenSpec, Prompt};
use verified::VerifiedAccount;

/// NoInput and NoMatch events tolerated per question; the next one goes to an agent.
const MAX_FAILURES: u32 = 2;

/// Wrong identity entries allowed; the third ends the check.
const MAX_VERIFY_ATTEMPTS: u32 = 3;

/// The debt-collection conversation for one call.
pub struct DebtDialogue {
    account: Option<Account>,
    policy: Policy,
    keypad: KeypadMap,
    /// Phrase lists for the closed questions; a question without one uses free recognition.
    grammars: Arc<Grammars>,
    today: NaiveDate,
    call_sid: String,

    step: Step,
    /// Prompts replayed on "repeat", with the listen that followed them.
    last_question: Vec<Prompt>,
    last_listen: Option<ListenSpec>,
    /// NoInput and NoMatch events since the current question was first asked.
    failures: u32,
    /// Requests outside the policy in the current step; the second goes to an agent.
    rejections: u32,
    verify_attempts: u32,
    verification_failed: bool,
    verified: Option<VerifiedAccount>,

    /// Offers made to the caller, for the agent's context.
    offers: Vec<serde_json::Value>,
    /// The first outcome saved: the call's result. Later saves only add the satisfaction.
    result: Option<Outcome>,
}

impl DebtDialogue {
    /// Creates the dialogue for a call about `account` (`None` when the call matched no
    /// account), negotiating within `policy`, with dates resolved against `today`.
    pub fn new(
        account: Option<Account>,
        policy: Policy,
        keypad: KeypadMap,
        today: NaiveDate,
    ) -> Self {
        Self {
            account,
            policy,
            keypad,
            grammars: Arc::new(Grammars::default()),
            today,
            call_sid: String::new(),
            step: Step::NotStarted,
            last_question: Vec::new(),
            last_listen: None,
            failures: 0,
            rejections: 0,
            verify_attempts: 0,
            verification_failed: false,
            verified: None,
            offers: Vec::new(),
            result: None,
        }
    }

    /// Constrains the recogniser on each closed question to that question's phrases.
    pub fn with_grammars(mut self, grammars: Arc<Grammars>) -> Self {
        self.grammars = grammars;
        self
    }

    /// Returns the outcome saved as the call's result so far, if any.
    pub fn result(&self) -> Option<&Outcome> {
        self.result.as_ref()
    }
}

/// One answer of the caller, after the NLU ran on speech.
#[derive(Debug, Clone)]
enum Reply {
    Keys(String),
    Said {
        text: String,
        meaning: Interpretation,
    },
    NoInput,
    NoMatch,
}

impl Dialogue for DebtDialogue {
    fn start(&mut self, context: &CallContext) -> Vec<Action> {
        if self.step != Step::NotStarted {
            return Vec::new();
        }
        self.call_sid = context.call_sid.clone();
        self.begin(context)
    }

    fn handle(&mut self, event: DialogueEvent) -> Vec<Action> {
        if matches!(
            self.step,
            Step::NotStarted | Step::Transferred | Step::Ended
        ) {
            return Vec::new();
        }

        let reply = match event {
            DialogueEvent::HangUp => return self.on_hang_up(),
            DialogueEvent::Digits(keys) => Reply::Keys(keys),
            DialogueEvent::NoInput => Reply::NoInput,
            DialogueEvent::NoMatch => Reply::NoMatch,
            DialogueEvent::Utterance(utterance) => {
                let meaning =
                    nlu::interpret(&utterance.text, Some(self.step.expecting()), self.today);
                Reply::Said {
                    text: utterance.text,
                    meaning,
                }
            }
        };

        if self.is_agent_request(&reply) {
            return self.transfer_requested();
        }
        if self.is_repeat_request(&reply) {
            return self.repeat();
        }

        match self.on_reply(&reply) {
            Some(actions) => actions,
            None => self.on_failure(&reply),
        }
    }

    fn state(&self) -> &str {
        self.step.name()
    }
}
