//! The steps of the debt dialogue and the question each one asks.

use chrono::NaiveDate;

use super::prompts::{self, clip};
use super::{DebtDialogue, plan};
use crate::dialogue::{DtmfSpec, ListenSpec, Prompt};

/// Position of the debt dialogue in the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Before `start`.
    NotStarted,
    /// Asking whether the account holder is on the phone.
    RightParty,
    /// Someone else answered: asking whether the holder can be called later.
    ThirdParty,
    /// Asking for the last four digits of the holder's DNI or NIE.
    Verify,
    /// Offering the options after disclosing the debt.
    Menu,
    /// Asking how many instalments.
    InstalmentCount,
    /// Asking to confirm a plan of `count` instalments.
    InstalmentConfirm {
        /// Instalments offered.
        count: u32,
    },
    /// Asking the day of a promise to pay.
    PromiseDate,
    /// Asking to confirm a promise to pay on `date`.
    PromiseConfirm {
        /// Day offered.
        date: NaiveDate,
    },
    /// Asking why the caller disputes the debt.
    DisputeReason,
    /// Asking when and how the caller paid.
    AlreadyPaidReason,
    /// Asking for a 1-to-5 rating of the call.
    Satisfaction,
    /// Handed to an agent; every further event is ignored.
    Transferred,
    /// The call ended.
    Ended,
}

impl Step {
    /// Name of the step, for the journal, outcomes and transfer context.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::RightParty => "right_party",
            Self::ThirdParty => "third_party",
            Self::Verify => "verify",
            Self::Menu => "menu",
            Self::InstalmentCount => "instalment_count",
            Self::InstalmentConfirm { .. } => "instalment_confirm",
            Self::PromiseDate => "promise_date",
            Self::PromiseConfirm { .. } => "promise_confirm",
            Self::DisputeReason => "dispute_reason",
            Self::AlreadyPaidReason => "already_paid_reason",
            Self::Satisfaction => "satisfaction",
            Self::Transferred => "transferred",
            Self::Ended => "ended",
        }
    }

    /// Returns the kind of answer the NLU should expect for this step's question.
    pub fn expecting(&self) -> &'static str {
        match self {
            Self::RightParty | Self::ThirdParty => "yes_no",
            Self::InstalmentConfirm { .. } | Self::PromiseConfirm { .. } => "yes_no",
            Self::Verify => "identity_digits",
            Self::Menu => "menu",
            Self::InstalmentCount => "instalment_count",
            Self::PromiseDate => "promise_date",
            Self::DisputeReason | Self::AlreadyPaidReason => "free_text",
            Self::Satisfaction => "satisfaction",
            Self::NotStarted | Self::Transferred | Self::Ended => "none",
        }
    }

    /// Returns the name of the grammar for this step's question in the grammar file, or
    /// `None` for open questions, which use free recognition.
    pub fn grammar_name(&self) -> Option<&'static str> {
        match self {
            Self::RightParty => Some("right_party"),
            Self::ThirdParty => Some("third_party"),
            Self::Verify => Some("identity_digits"),
            Self::Menu => Some("menu"),
            Self::InstalmentCount => Some("instalment_count"),
            Self::InstalmentConfirm { .. } | Self::PromiseConfirm { .. } => Some("confirm"),
            Self::Satisfaction => Some("satisfaction"),
            Self::PromiseDate | Self::DisputeReason | Self::AlreadyPaidReason => None,
            Self::NotStarted | Self::Transferred | Self::Ended => None,
        }
    }

    /// Clip that tells the caller which keys answer this step, played on NoInput and NoMatch.
    pub(super) fn hint(&self) -> &'static str {
        match self {
            Self::RightParty => clip::RIGHT_PARTY_HINT,
            Self::ThirdParty => clip::THIRD_PARTY_HINT,
            Self::Verify => clip::VERIFY_HINT,
            Self::InstalmentCount => clip::INSTALMENTS_HINT,
            Self::InstalmentConfirm { .. } | Self::PromiseConfirm { .. } => clip::CONFIRM_HINT,
            Self::PromiseDate => clip::PROMISE_HINT,
            Self::DisputeReason | Self::AlreadyPaidReason => clip::REASON_HINT,
            Self::Satisfaction => clip::SATISFACTION_HINT,
            Self::Menu | Self::NotStarted | Self::Transferred | Self::Ended => clip::MENU_HINT,
        }
    }
}

/// Listening for a short answer keyed with up to `max_digits` keys.
fn keyed(max_digits: usize, terminator: Option<char>) -> ListenSpec {
    ListenSpec {
        grammar: None,
        dtmf: DtmfSpec {
            max_digits,
            terminator,
            ..DtmfSpec::default()
        },
        no_input_timeout_ms: 6_000,
        max_utterance_ms: 10_000,
    }
}

/// Listening for a free-speech explanation.
fn free_speech() -> ListenSpec {
    ListenSpec {
        grammar: None,
        dtmf: DtmfSpec::default(),
        no_input_timeout_ms: 8_000,
        max_utterance_ms: 30_000,
    }
}

impl DebtDialogue {
    /// Builds the prompts of `step`'s question and the listen spec for the reply, with the
    /// question's grammar when the grammar file has one.
    pub(super) fn question(&self, step: Step) -> (Vec<Prompt>, ListenSpec) {
        let (prompts, mut listen) = self.question_without_grammar(step);
        listen.grammar = step
            .grammar_name()
            .and_then(|name| self.grammars.phrases(name))
            .map(<[String]>::to_vec);
        (prompts, listen)
    }

    fn question_without_grammar(&self, step: Step) -> (Vec<Prompt>, ListenSpec) {
        match step {
            Step::RightParty => {
                let prompts = self
                    .account
                    .iter()
                    .map(prompts::right_party_question)
                    .collect();
                (prompts, keyed(1, None))
            }
            Step::ThirdParty => (vec![Prompt::clip(clip::THIRD_PARTY_ASK)], keyed(1, None)),
            Step::Verify => (vec![Prompt::clip(clip::VERIFY_ASK)], keyed(4, None)),
            Step::Menu => (vec![Prompt::clip(clip::MENU_ASK)], keyed(1, None)),
            Step::InstalmentCount => (
                vec![Prompt::clip(clip::INSTALMENTS_ASK)],
                keyed(2, Some(self.keypad.terminator)),
            ),
            Step::InstalmentConfirm { count } => {
                let mut prompts = Vec::new();
                if let Some(verified) = &self.verified {
                    let account = verified.account();
                    let first_due = plan::first_instalment_date(self.today);
                    let schedule =
                        plan::instalment_schedule(account.amount_cents, count, first_due);
                    prompts.push(prompts::instalment_offer(verified, &schedule));
                }
                prompts.push(Prompt::clip(clip::CONFIRM_ASK));
                (prompts, keyed(1, None))
            }
            Step::PromiseDate => (vec![Prompt::clip(clip::PROMISE_ASK)], keyed(4, None)),
            Step::PromiseConfirm { date } => {
                let mut prompts = Vec::new();
                if let Some(verified) = &self.verified {
                    prompts.push(prompts::promise_offer(verified, date));
                }
                prompts.push(Prompt::clip(clip::CONFIRM_ASK));
                (prompts, keyed(1, None))
            }
            Step::DisputeReason => (vec![Prompt::clip(clip::DISPUTE_ASK)], free_speech()),
            Step::AlreadyPaidReason => (vec![Prompt::clip(clip::ALREADY_PAID_ASK)], free_speech()),
            Step::Satisfaction => (vec![Prompt::clip(clip::SATISFACTION_ASK)], keyed(1, None)),
            Step::NotStarted | Step::Transferred | Step::Ended => (Vec::new(), keyed(1, None)),
        }
    }
}
