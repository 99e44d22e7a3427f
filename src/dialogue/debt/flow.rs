//! How each step of the debt dialogue reacts to the caller's answers.

use serde_json::{Value, json};
use tracing::{info, warn};

use super::plan::{self, PromiseRejection};
use super::prompts::{self, clip};
use super::verified::VerifiedAccount;
use super::{DebtDialogue, MAX_FAILURES, MAX_VERIFY_ATTEMPTS, Reply, Step};
use crate::dialogue::nlu::Intent;
use crate::dialogue::outcome::{Outcome, OutcomeKind, PaymentLinkRequest};
use crate::dialogue::{Action, CallContext, Prompt, Transfer};

impl DebtDialogue {
    /// Plays the greeting and asks for the account holder, or hands an unknown call over.
    pub(super) fn begin(&mut self, call: &CallContext) -> Vec<Action> {
        let Some(account) = &self.account else {
            return self.unknown_account(call);
        };
        info!(call_sid = %self.call_sid, account_id = %account.id, "debt dialogue started");

        let mut actions = vec![Action::Play(prompts::greeting())];
        actions.extend(self.ask(Step::RightParty, Vec::new()));
        actions
    }

    fn unknown_account(&mut self, call: &CallContext) -> Vec<Action> {
        warn!(call_sid = %call.call_sid, account_id = ?call.account_id, caller = ?call.caller_number,
            "no account for the call; transferring");
        let context = self.unknown_account_context(call);
        let mut outcome = Outcome::new(OutcomeKind::Transferred, "start");
        outcome.reason = Some("system_error: account not found".to_owned());

        let save = self.save(outcome);
        self.step = Step::Transferred;
        vec![
            save,
            Action::Play(Prompt::clip(clip::NO_ACCOUNT)),
            Action::Transfer(Transfer {
                reason: "system_error".to_owned(),
                context,
            }),
        ]
    }

    /// Asks `step`'s question after `lead` (prompts replayed with it on "repeat").
    pub(super) fn ask(&mut self, step: Step, lead: Vec<Prompt>) -> Vec<Action> {
        if step.name() != self.step.name() {
            self.failures = 0;
            self.rejections = 0;
        }
        self.step = step;

        let (question, listen) = self.question(step);
        let mut replay = lead;
        replay.extend(question);
        self.last_question = replay.clone();
        self.last_listen = Some(listen.clone());

        let mut actions: Vec<Action> = replay.into_iter().map(Action::Play).collect();
        actions.push(Action::Listen(listen));
        actions
    }

    /// Replays the last question.
    pub(super) fn repeat(&mut self) -> Vec<Action> {
        let mut actions: Vec<Action> = self
            .last_question
            .iter()
            .cloned()
            .map(Action::Play)
            .collect();
        actions.extend(self.last_listen.clone().map(Action::Listen));
        actions
    }

    /// Reprompts with the keypad hint after silence or an answer that does not fit, and hands
    /// the caller to an agent once the tolerated failures are used up.
    pub(super) fn on_failure(&mut self, reply: &Reply) -> Vec<Action> {
        self.failures += 1;
        if self.failures > MAX_FAILURES {
            if self.step == Step::Satisfaction {
                // The rating is optional: a caller who gives none is not sent to an agent.
                return self.say_goodbye("completed");
            }
            return self.transfer("no_progress", clip::TRANSFER_NO_PROGRESS, None);
        }

        let apology = if matches!(reply, Reply::NoInput) {
            clip::NO_INPUT
        } else {
            clip::NO_MATCH
        };
        let mut actions = vec![
            Action::Play(Prompt::clip(apology)),
            Action::Play(Prompt::clip(self.step.hint())),
        ];
        actions.extend(self.last_listen.clone().map(Action::Listen));
        actions
    }

    /// Records `outcome` as the call's result when none is recorded yet, and returns the action
    /// that saves it.
    pub(super) fn save(&mut self, outcome: Outcome) -> Action {
        info!(call_sid = %self.call_sid, kind = outcome.kind.as_str(), step = %outcome.step, "outcome");
        if self.result.is_none() {
            self.result = Some(outcome.clone());
        }
        Action::SaveOutcome(outcome)
    }

    /// Hands the caller to an agent and ignores every later event. A `transferred` outcome is
    /// saved only when the call has no result yet, so an earlier agreement stays the result.
    pub(super) fn transfer(
        &mut self,
        reason: &str,
        announcement: &str,
        request: Option<Value>,
    ) -> Vec<Action> {
        let context = self.transfer_context(reason, request);
        let mut actions = Vec::new();
        if self.result.is_none() {
            let mut outcome = Outcome::new(OutcomeKind::Transferred, self.step.name());
            outcome.reason = Some(reason.to_owned());
            actions.push(self.save(outcome));
        }
        info!(call_sid = %self.call_sid, reason, step = self.step.name(), "transferring to an agent");

        self.step = Step::Transferred;
        actions.push(Action::Play(Prompt::clip(announcement)));
        actions.push(Action::Transfer(Transfer {
            reason: reason.to_owned(),
            context,
        }));
        actions
    }

    pub(super) fn transfer_requested(&mut self) -> Vec<Action> {
        self.transfer("requested", clip::TRANSFER_REQUESTED, None)
    }

    fn transfer_outside_policy(&mut self, request: Value) -> Vec<Action> {
        self.transfer(
            "outside_policy",
            clip::TRANSFER_OUTSIDE_POLICY,
            Some(request),
        )
    }

    /// Records the hang-up as `abandoned` at the current step, unless the call already has a
    /// result.
    pub(super) fn on_hang_up(&mut self) -> Vec<Action> {
        let step = self.step.name();
        self.step = Step::Ended;
        if self.result.is_some() {
            return Vec::new();
        }
        vec![self.save(Outcome::new(OutcomeKind::Abandoned, step))]
    }

    fn say_goodbye(&mut self, reason: &str) -> Vec<Action> {
        self.step = Step::Ended;
        vec![
            Action::Play(Prompt::clip(clip::GOODBYE)),
            Action::Hangup {
                reason: reason.to_owned(),
            },
        ]
    }

    /// Saves `kind`, plays `message` and ends the call.
    fn end_with(&mut self, kind: OutcomeKind, message: &str) -> Vec<Action> {
        let outcome = Outcome::new(kind, self.step.name());
        let mut actions = vec![self.save(outcome), Action::Play(Prompt::clip(message))];
        self.step = Step::Ended;
        actions.push(Action::Hangup {
            reason: kind.as_str().to_owned(),
        });
        actions
    }

    pub(super) fn is_agent_request(&self, reply: &Reply) -> bool {
        match reply {
            Reply::Keys(keys) => {
                *keys == self.keypad.agent
                    || (self.step == Step::Menu && *keys == self.keypad.menu.agent)
            }
            Reply::Said { meaning, .. } => {
                meaning.intent == Some(Intent::Agent)
                    || self.spoken_menu_key(reply) == Some(self.keypad.menu.agent.as_str())
            }
            Reply::NoInput | Reply::NoMatch => false,
        }
    }

    /// Returns the menu key a caller said as a number ("dos", "la segunda"), because the
    /// menu prompt names its options by key.
    fn spoken_menu_key<'a>(&self, reply: &'a Reply) -> Option<&'a str> {
        match reply {
            Reply::Said { meaning, .. } if self.step == Step::Menu && meaning.intent.is_none() => {
                meaning.digits.as_deref()
            }
            _ => None,
        }
    }

    pub(super) fn is_repeat_request(&self, reply: &Reply) -> bool {
        match reply {
            Reply::Keys(keys) => *keys == self.keypad.repeat,
            Reply::Said { meaning, .. } => meaning.intent == Some(Intent::Repeat),
            Reply::NoInput | Reply::NoMatch => false,
        }
    }

    /// Returns the caller's yes or no, by key or by voice.
    fn yes_no(&self, reply: &Reply) -> Option<bool> {
        match reply {
            Reply::Keys(keys) if *keys == self.keypad.yes => Some(true),
            Reply::Keys(keys) if *keys == self.keypad.no => Some(false),
            Reply::Said { meaning, .. } => match meaning.intent {
                Some(Intent::Yes) => Some(true),
                Some(Intent::No) => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// Handles an answer to the current step; `None` means it does not answer the question.
    pub(super) fn on_reply(&mut self, reply: &Reply) -> Option<Vec<Action>> {
        // Hardship counts while negotiating; in a dispute's free-text reason it is part of
        // the reason, and the satisfaction question is past negotiating.
        let negotiating = matches!(
            self.step,
            Step::Menu
                | Step::InstalmentCount
                | Step::InstalmentConfirm { .. }
                | Step::PromiseDate
                | Step::PromiseConfirm { .. }
        );
        let said_hardship = matches!(reply, Reply::Said { meaning, .. } if meaning.intent == Some(Intent::Hardship));
        if said_hardship && negotiating && self.verified.is_some() {
            return Some(self.on_hardship());
        }

        match self.step {
            Step::RightParty => self.on_right_party(reply),
            Step::ThirdParty => self.on_third_party(reply),
            Step::Verify => self.on_verify(reply),
            Step::Menu => self.on_menu(reply),
            Step::InstalmentCount => self.on_instalment_count(reply),
            Step::InstalmentConfirm { count } => self.on_instalment_confirm(reply, count),
            Step::PromiseDate => self.on_promise_date(reply),
            Step::PromiseConfirm { date } => self.on_promise_confirm(reply, date),
            Step::DisputeReason => Some(self.on_reason(reply, OutcomeKind::Dispute)),
            Step::AlreadyPaidReason => Some(self.on_reason(reply, OutcomeKind::AlreadyPaid)),
            Step::Satisfaction => self.on_satisfaction(reply),
            Step::NotStarted | Step::Transferred | Step::Ended => Some(Vec::new()),
        }
    }

    fn on_right_party(&mut self, reply: &Reply) -> Option<Vec<Action>> {
        if let Reply::Said { meaning, .. } = reply {
            match meaning.intent {
                Some(Intent::CallBackLater) => {
                    return Some(
                        self.end_with(OutcomeKind::NotAvailable, clip::THIRD_PARTY_CALLBACK),
                    );
                }
                Some(Intent::WrongPerson) => return Some(self.ask(Step::ThirdParty, Vec::new())),
                _ => {}
            }
        }
        match self.yes_no(reply)? {
            true => Some(self.ask(Step::Verify, Vec::new())),
            false => Some(self.ask(Step::ThirdParty, Vec::new())),
        }
    }

    /// The person who answered is not the holder: the answer decides between calling back
    /// later and a wrong number. Nothing about the debt is said.
    fn on_third_party(&mut self, reply: &Reply) -> Option<Vec<Action>> {
        let callback = match reply {
            Reply::Said { meaning, .. } if meaning.intent == Some(Intent::CallBackLater) => true,
            Reply::Said { meaning, .. } if meaning.intent == Some(Intent::WrongPerson) => false,
            _ => self.yes_no(reply)?,
        };
        if callback {
            Some(self.end_with(OutcomeKind::NotAvailable, clip::THIRD_PARTY_CALLBACK))
        } else {
            Some(self.end_with(OutcomeKind::WrongParty, clip::THIRD_PARTY_WRONG))
        }
    }

    fn on_verify(&mut self, reply: &Reply) -> Option<Vec<Action>> {
        let digits = match reply {
            Reply::Keys(keys) => keys.clone(),
            // Digits said as one number ("cuatro mil ochocientos veintiuno") come as `number`.
            Reply::Said { meaning, .. } => match (&meaning.digits, meaning.number) {
                (Some(digits), _) => digits.clone(),
                (None, Some(number)) if (0..10_000).contains(&number) => format!("{number:04}"),
                _ => return None,
            },
            Reply::NoInput | Reply::NoMatch => return None,
        };
        if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let account = self.account.as_ref()?;

        if let Some(verified) = VerifiedAccount::check(account, &digits) {
            info!(call_sid = %self.call_sid, account_id = %account.id, "identity verified");
            let disclosure = prompts::disclosure(&verified);
            self.verified = Some(verified);
            let mut actions = vec![Action::Play(Prompt::clip(clip::VERIFY_OK))];
            actions.extend(self.ask(Step::Menu, vec![disclosure]));
            return Some(actions);
        }

        self.verify_attempts += 1;
        warn!(call_sid = %self.call_sid, account_id = %account.id, attempt = self.verify_attempts,
            "identity digits do not match");
        if self.verify_attempts >= MAX_VERIFY_ATTEMPTS {
            return Some(self.verification_failed());
        }
        let mut actions = vec![Action::Play(Prompt::clip(clip::VERIFY_WRONG))];
        actions.extend(self.ask(Step::Verify, Vec::new()));
        Some(actions)
    }

    fn verification_failed(&mut self) -> Vec<Action> {
        self.verification_failed = true;
        let save = self.save(Outcome::new(
            OutcomeKind::VerificationFailed,
            self.step.name(),
        ));
        let mut actions = vec![save];
        if self.policy.verification_failure_to_agent {
            actions.extend(self.transfer(
                "verification_failed",
                clip::VERIFY_FAILED_TRANSFER,
                None,
            ));
        } else {
            actions.push(Action::Play(Prompt::clip(clip::VERIFY_FAILED)));
            actions.push(Action::Hangup {
                reason: OutcomeKind::VerificationFailed.as_str().to_owned(),
            });
            self.step = Step::Ended;
        }
        actions
    }

    fn menu_choice(&self, reply: &Reply) -> Option<Intent> {
        let keys = &self.keypad.menu;
        let key = match reply {
            Reply::Keys(k) => k.as_str(),
            Reply::Said { meaning, .. } => match self.spoken_menu_key(reply) {
                Some(k) => k,
                None => return meaning.intent,
            },
            Reply::NoInput | Reply::NoMatch => return None,
        };
        match key {
            k if k == keys.pay_now => Some(Intent::PayNow),
            k if k == keys.instalments => Some(Intent::Instalments),
            k if k == keys.promise => Some(Intent::Promise),
            k if k == keys.dispute => Some(Intent::Dispute),
            k if k == keys.already_paid => Some(Intent::AlreadyPaid),
            _ => None,
        }
    }

    fn on_menu(&mut self, reply: &Reply) -> Option<Vec<Action>> {
        let verified = self.verified.clone()?;
        let account = verified.account();

        let Some(choice) = self.menu_choice(reply) else {
            // An amount on its own is a partial payment or a discount: a person decides.
            if let Reply::Said { meaning, .. } = reply
                && let Some(amount_cents) = meaning.amount_cents
            {
                let request = json!({ "option": "partial_payment", "amount_cents": amount_cents });
                return Some(self.transfer_outside_policy(request));
            }
            return None;
        };

        let needs_agreement = matches!(
            choice,
            Intent::PayNow | Intent::Instalments | Intent::Promise
        );
        if needs_agreement && account.amount_cents > self.policy.automation_limit_cents {
            let request = json!({
                "option": intent_name(choice),
                "amount_cents": account.amount_cents,
                "limit_cents": self.policy.automation_limit_cents,
            });
            return Some(self.transfer(
                "amount_over_limit",
                clip::TRANSFER_OVER_LIMIT,
                Some(request),
            ));
        }

        // A number said on its own picked the option, so it is no instalment count.
        let (number, date) = match reply {
            Reply::Said { .. } if self.spoken_menu_key(reply).is_some() => (None, None),
            Reply::Said { meaning, .. } => (meaning.number, meaning.date),
            _ => (None, None),
        };
        match choice {
            Intent::PayNow => Some(self.pay_now(&verified)),
            Intent::Instalments => Some(self.start_instalments(&verified, number)),
            Intent::Promise => match date {
                Some(date) => Some(self.choose_promise_date(date)),
                None => Some(self.ask(Step::PromiseDate, Vec::new())),
            },
            Intent::Dispute => Some(self.ask(Step::DisputeReason, Vec::new())),
            Intent::AlreadyPaid => Some(self.ask(Step::AlreadyPaidReason, Vec::new())),
            Intent::No => Some(self.refused()),
            Intent::CallBackLater => Some(self.callback_requested()),
            _ => None,
        }
    }

    fn pay_now(&mut self, verified: &VerifiedAccount) -> Vec<Action> {
        let account = verified.account();
        self.offers
            .push(json!({ "option": "pay_now", "amount_cents": account.amount_cents }));

        let mut outcome = Outcome::new(OutcomeKind::PaymentLinkSent, self.step.name());
        outcome.amount_cents = Some(account.amount_cents);
        outcome.currency = Some(account.currency.clone());
        let request = PaymentLinkRequest {
            account_id: account.id.clone(),
            amount_cents: account.amount_cents,
            phone: account.phone.clone(),
        };

        let mut actions = vec![
            self.save(outcome),
            Action::SendPaymentLink(request),
            Action::Play(Prompt::clip(clip::PAY_NOW_SENT)),
        ];
        actions.extend(self.closing(prompts::closing_payment_link(verified)));
        actions
    }

    fn start_instalments(&mut self, verified: &VerifiedAccount, count: Option<i64>) -> Vec<Action> {
        let max = self
            .policy
            .max_instalments_for(verified.account().amount_cents);
        if max < self.policy.min_instalments {
            self.offers
                .push(json!({ "option": "instalments", "available": false }));
            let mut actions = vec![Action::Play(Prompt::clip(clip::INSTALMENTS_UNAVAILABLE))];
            actions.extend(self.ask(Step::Menu, Vec::new()));
            return actions;
        }
        match count {
            Some(count) => self.choose_instalment_count(verified, count),
            None => self.ask(Step::InstalmentCount, Vec::new()),
        }
    }

    fn on_instalment_count(&mut self, reply: &Reply) -> Option<Vec<Action>> {
        let verified = self.verified.clone()?;
        let count = match reply {
            Reply::Keys(keys) if !keys.is_empty() && keys.chars().all(|c| c.is_ascii_digit()) => {
                keys.parse().ok()?
            }
            Reply::Said { meaning, .. } => meaning.number?,
            _ => return None,
        };
        Some(self.choose_instalment_count(&verified, count))
    }

    /// Offers a plan of `count` instalments, or tells the allowed range; a second count outside
    /// the range goes to an agent.
    fn choose_instalment_count(&mut self, verified: &VerifiedAccount, count: i64) -> Vec<Action> {
        let account = verified.account();
        let min = self.policy.min_instalments;
        let max = self.policy.max_instalments_for(account.amount_cents);

        let allowed = u32::try_from(count)
            .ok()
            .filter(|c| (min..=max).contains(c));
        let Some(count) = allowed else {
            let rejections = if self.step == Step::InstalmentCount {
                self.rejections + 1
            } else {
                1
            };
            if rejections > 1 {
                let request = json!({ "option": "instalments", "count": count, "allowed_min": min, "allowed_max": max });
                return self.transfer_outside_policy(request);
            }
            let mut actions = vec![Action::Play(prompts::instalment_range(min, max))];
            actions.extend(self.ask(Step::InstalmentCount, Vec::new()));
            self.rejections = rejections;
            return actions;
        };

        let first_due = plan::first_instalment_date(self.today);
        let schedule = plan::instalment_schedule(account.amount_cents, count, first_due);
        self.offers
            .push(json!({ "option": "instalments", "count": count, "schedule": schedule }));
        self.ask(Step::InstalmentConfirm { count }, Vec::new())
    }

    fn on_instalment_confirm(&mut self, reply: &Reply, count: u32) -> Option<Vec<Action>> {
        let verified = self.verified.clone()?;
        if !self.yes_no(reply)? {
            return Some(self.back_to_menu());
        }

        let account = verified.account();
        let first_due = plan::first_instalment_date(self.today);
        let schedule = plan::instalment_schedule(account.amount_cents, count, first_due);
        let mut outcome = Outcome::new(OutcomeKind::InstalmentPlan, self.step.name());
        outcome.amount_cents = Some(account.amount_cents);
        outcome.currency = Some(account.currency.clone());
        outcome.instalments = schedule.clone();

        let mut actions = vec![self.save(outcome)];
        actions.extend(self.closing(prompts::closing_instalments(&verified, &schedule)));
        Some(actions)
    }

    fn on_promise_date(&mut self, reply: &Reply) -> Option<Vec<Action>> {
        let date = match reply {
            Reply::Keys(keys) => plan::resolve_day_month(keys, self.today)?,
            Reply::Said { meaning, .. } => meaning.date?,
            Reply::NoInput | Reply::NoMatch => return None,
        };
        Some(self.choose_promise_date(date))
    }

    /// Offers a promise on `date`, or explains why the date is not possible. A past date counts
    /// as a failed answer; a second date beyond the policy goes to an agent.
    fn choose_promise_date(&mut self, date: chrono::NaiveDate) -> Vec<Action> {
        match plan::check_promise_date(date, self.today, self.policy.max_promise_days) {
            Ok(()) => {
                self.offers
                    .push(json!({ "option": "promise", "date": date }));
                self.ask(Step::PromiseConfirm { date }, Vec::new())
            }
            Err(PromiseRejection::Past) => {
                let failures = if self.step == Step::PromiseDate {
                    self.failures + 1
                } else {
                    1
                };
                if failures > MAX_FAILURES {
                    return self.transfer("no_progress", clip::TRANSFER_NO_PROGRESS, None);
                }
                let mut actions = vec![Action::Play(Prompt::clip(clip::PROMISE_PAST))];
                actions.extend(self.ask(Step::PromiseDate, Vec::new()));
                self.failures = failures;
                actions
            }
            Err(PromiseRejection::TooFar { latest }) => {
                let rejections = if self.step == Step::PromiseDate {
                    self.rejections + 1
                } else {
                    1
                };
                if rejections > 1 {
                    let request = json!({ "option": "promise", "date": date, "latest": latest });
                    return self.transfer_outside_policy(request);
                }
                let mut actions = vec![Action::Play(prompts::promise_too_far(latest))];
                actions.extend(self.ask(Step::PromiseDate, Vec::new()));
                self.rejections = rejections;
                actions
            }
        }
    }

    fn on_promise_confirm(
        &mut self,
        reply: &Reply,
        date: chrono::NaiveDate,
    ) -> Option<Vec<Action>> {
        let verified = self.verified.clone()?;
        if !self.yes_no(reply)? {
            return Some(self.back_to_menu());
        }

        let account = verified.account();
        let mut outcome = Outcome::new(OutcomeKind::PromiseToPay, self.step.name());
        outcome.amount_cents = Some(account.amount_cents);
        outcome.currency = Some(account.currency.clone());
        outcome.promise_date = Some(date);

        let mut actions = vec![self.save(outcome)];
        actions.extend(self.closing(prompts::closing_promise(&verified, date)));
        Some(actions)
    }

    /// Stores the caller's explanation of a dispute or an earlier payment; the reason is
    /// optional, so silence or a keypress stores none.
    fn on_reason(&mut self, reply: &Reply, kind: OutcomeKind) -> Vec<Action> {
        let reason = match reply {
            Reply::Said { text, .. } if !text.trim().is_empty() => Some(text.trim().to_owned()),
            _ => None,
        };
        let mut outcome = Outcome::new(kind, self.step.name());
        if let Some(verified) = &self.verified {
            outcome.amount_cents = Some(verified.account().amount_cents);
            outcome.currency = Some(verified.account().currency.clone());
        }
        outcome.reason = reason.clone();

        let mut actions = vec![self.save(outcome)];
        if self.policy.dispute_to_agent {
            let request = json!({ "kind": kind, "reason": reason });
            actions.extend(self.transfer("dispute", clip::TRANSFER_DISPUTE, Some(request)));
            return actions;
        }
        let recorded = match kind {
            OutcomeKind::AlreadyPaid => clip::ALREADY_PAID_RECORDED,
            _ => clip::DISPUTE_RECORDED,
        };
        actions.extend(self.closing(Prompt::clip(recorded)));
        actions
    }

    fn on_hardship(&mut self) -> Vec<Action> {
        if self.policy.hardship_to_agent {
            let request = json!({ "option": "hardship" });
            return self.transfer("hardship", clip::TRANSFER_HARDSHIP, Some(request));
        }
        let mut actions = vec![Action::Play(Prompt::clip(clip::HARDSHIP_ACK))];
        actions.extend(self.ask(Step::Menu, Vec::new()));
        actions
    }

    fn refused(&mut self) -> Vec<Action> {
        let mut actions = self.end_with(OutcomeKind::Refused, clip::REFUSED);
        actions.insert(actions.len() - 1, Action::Play(Prompt::clip(clip::GOODBYE)));
        actions
    }

    fn callback_requested(&mut self) -> Vec<Action> {
        let mut actions = self.end_with(OutcomeKind::CallbackRequested, clip::CALLBACK);
        actions.insert(actions.len() - 1, Action::Play(Prompt::clip(clip::GOODBYE)));
        actions
    }

    fn back_to_menu(&mut self) -> Vec<Action> {
        let mut actions = vec![Action::Play(Prompt::clip(clip::MENU_AGAIN))];
        actions.extend(self.ask(Step::Menu, Vec::new()));
        actions
    }

    /// Says what was agreed, then asks for the satisfaction rating.
    fn closing(&mut self, summary: Prompt) -> Vec<Action> {
        let mut actions = vec![Action::Play(summary)];
        actions.extend(self.ask(Step::Satisfaction, Vec::new()));
        actions
    }

    fn on_satisfaction(&mut self, reply: &Reply) -> Option<Vec<Action>> {
        let score = match reply {
            Reply::Keys(keys) => keys.parse::<i64>().ok()?,
            Reply::Said { meaning, .. } => meaning.number?,
            Reply::NoInput | Reply::NoMatch => return None,
        };
        let score = u8::try_from(score).ok().filter(|s| (1..=5).contains(s))?;

        let mut actions = Vec::new();
        if let Some(result) = &mut self.result {
            result.satisfaction = Some(score);
            actions.push(Action::SaveOutcome(result.clone()));
        }
        info!(call_sid = %self.call_sid, score, "satisfaction");
        actions.push(Action::Play(Prompt::clip(clip::SATISFACTION_THANKS)));
        actions.extend(self.say_goodbye("completed"));
        Some(actions)
    }
}

fn intent_name(intent: Intent) -> &'static str {
    match intent {
        Intent::PayNow => "pay_now",
        Intent::Instalments => "instalments",
        Intent::Promise => "promise",
        _ => "other",
    }
}
