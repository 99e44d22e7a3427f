//! Prompts of the debt dialogue, built from clip ids of `prompts/es-ES/debt.toml` and from
//! spoken values.
//!
//! Prompts that carry the debt take a [`VerifiedAccount`], so they cannot be built before
//! the identity check passes.

use chrono::NaiveDate;

use super::account::Account;
use super::verified::VerifiedAccount;
use crate::dialogue::outcome::Instalment;
use crate::dialogue::speak;
use crate::dialogue::{Prompt, Segment};

/// Clip ids of `prompts/es-ES/debt.toml`.
pub mod clip {
    pub const GREETING: &str = "debt.greeting";
    pub const NO_ACCOUNT: &str = "debt.no_account";
    pub const RIGHT_PARTY_ASK: &str = "debt.right_party.ask";
    pub const RIGHT_PARTY_QUESTION: &str = "debt.right_party.question";
    pub const RIGHT_PARTY_HINT: &str = "debt.right_party.hint";
    pub const THIRD_PARTY_ASK: &str = "debt.third_party.ask";
    pub const THIRD_PARTY_HINT: &str = "debt.third_party.hint";
    pub const THIRD_PARTY_CALLBACK: &str = "debt.third_party.callback";
    pub const THIRD_PARTY_WRONG: &str = "debt.third_party.wrong_party";
    pub const VERIFY_ASK: &str = "debt.verify.ask";
    pub const VERIFY_HINT: &str = "debt.verify.hint";
    pub const VERIFY_WRONG: &str = "debt.verify.wrong";
    pub const VERIFY_OK: &str = "debt.verify.ok";
    pub const VERIFY_FAILED: &str = "debt.verify.failed";
    pub const VERIFY_FAILED_TRANSFER: &str = "debt.verify.failed_transfer";
    pub const DISCLOSE_CREDITOR: &str = "debt.disclosure.creditor";
    pub const DISCLOSE_AMOUNT: &str = "debt.disclosure.amount";
    pub const DISCLOSE_DUE: &str = "debt.disclosure.due";
    pub const MENU_ASK: &str = "debt.menu.ask";
    pub const MENU_HINT: &str = "debt.menu.hint";
    pub const MENU_AGAIN: &str = "debt.menu.again";
    pub const PAY_NOW_SENT: &str = "debt.pay_now.sent";
    pub const INSTALMENTS_ASK: &str = "debt.instalments.ask";
    pub const INSTALMENTS_HINT: &str = "debt.instalments.hint";
    pub const INSTALMENTS_UNAVAILABLE: &str = "debt.instalments.unavailable";
    pub const INSTALMENTS_RANGE_FROM: &str = "debt.instalments.range_from";
    pub const INSTALMENTS_RANGE_TO: &str = "debt.instalments.range_to";
    pub const INSTALMENTS_RANGE_UNIT: &str = "debt.instalments.range_unit";
    pub const INSTALMENTS_ONLY: &str = "debt.instalments.only";
    pub const INSTALMENTS_OFFER: &str = "debt.instalments.offer";
    pub const INSTALMENTS_OFFER_MONTHLY: &str = "debt.instalments.offer_monthly";
    pub const INSTALMENTS_OFFER_LAST: &str = "debt.instalments.offer_last";
    pub const INSTALMENTS_FIRST_DUE: &str = "debt.instalments.first_due";
    pub const PROMISE_ASK: &str = "debt.promise.ask";
    pub const PROMISE_HINT: &str = "debt.promise.hint";
    pub const PROMISE_PAST: &str = "debt.promise.past";
    pub const PROMISE_TOO_FAR: &str = "debt.promise.too_far";
    pub const PROMISE_OFFER: &str = "debt.promise.offer";
    pub const CONFIRM_ASK: &str = "debt.confirm.ask";
    pub const CONFIRM_HINT: &str = "debt.confirm.hint";
    pub const DISPUTE_ASK: &str = "debt.dispute.ask";
    pub const ALREADY_PAID_ASK: &str = "debt.already_paid.ask";
    pub const REASON_HINT: &str = "debt.reason.hint";
    pub const DISPUTE_RECORDED: &str = "debt.dispute.recorded";
    pub const ALREADY_PAID_RECORDED: &str = "debt.already_paid.recorded";
    pub const HARDSHIP_ACK: &str = "debt.hardship.ack";
    pub const REFUSED: &str = "debt.refused";
    pub const CALLBACK: &str = "debt.callback";
    pub const TRANSFER_REQUESTED: &str = "debt.transfer.requested";
    pub const TRANSFER_NO_PROGRESS: &str = "debt.transfer.no_progress";
    pub const TRANSFER_OUTSIDE_POLICY: &str = "debt.transfer.outside_policy";
    pub const TRANSFER_OVER_LIMIT: &str = "debt.transfer.amount_over_limit";
    pub const TRANSFER_DISPUTE: &str = "debt.transfer.dispute";
    pub const TRANSFER_HARDSHIP: &str = "debt.transfer.hardship";
    pub const NO_INPUT: &str = "debt.no_input";
    pub const NO_MATCH: &str = "debt.no_match";
    pub const CLOSING_PAYMENT_LINK: &str = "debt.closing.payment_link";
    pub const CLOSING_INSTALMENTS: &str = "debt.closing.instalments";
    pub const CLOSING_INSTALMENTS_FIRST: &str = "debt.closing.instalments_first";
    pub const CLOSING_PROMISE: &str = "debt.closing.promise";
    pub const SATISFACTION_ASK: &str = "debt.satisfaction.ask";
    pub const SATISFACTION_HINT: &str = "debt.satisfaction.hint";
    pub const SATISFACTION_THANKS: &str = "debt.satisfaction.thanks";
    pub const GOODBYE: &str = "debt.goodbye";

    /// Every clip id above, for the catalog check.
    pub const ALL: &[&str] = &[
        GREETING,
        NO_ACCOUNT,
        RIGHT_PARTY_ASK,
        RIGHT_PARTY_QUESTION,
        RIGHT_PARTY_HINT,
        THIRD_PARTY_ASK,
        THIRD_PARTY_HINT,
        THIRD_PARTY_CALLBACK,
        THIRD_PARTY_WRONG,
        VERIFY_ASK,
        VERIFY_HINT,
        VERIFY_WRONG,
        VERIFY_OK,
        VERIFY_FAILED,
        VERIFY_FAILED_TRANSFER,
        DISCLOSE_CREDITOR,
        DISCLOSE_AMOUNT,
        DISCLOSE_DUE,
        MENU_ASK,
        MENU_HINT,
        MENU_AGAIN,
        PAY_NOW_SENT,
        INSTALMENTS_ASK,
        INSTALMENTS_HINT,
        INSTALMENTS_UNAVAILABLE,
        INSTALMENTS_RANGE_FROM,
        INSTALMENTS_RANGE_TO,
        INSTALMENTS_RANGE_UNIT,
        INSTALMENTS_ONLY,
        INSTALMENTS_OFFER,
        INSTALMENTS_OFFER_MONTHLY,
        INSTALMENTS_OFFER_LAST,
        INSTALMENTS_FIRST_DUE,
        PROMISE_ASK,
        PROMISE_HINT,
        PROMISE_PAST,
        PROMISE_TOO_FAR,
        PROMISE_OFFER,
        CONFIRM_ASK,
        CONFIRM_HINT,
        DISPUTE_ASK,
        ALREADY_PAID_ASK,
        REASON_HINT,
        DISPUTE_RECORDED,
        ALREADY_PAID_RECORDED,
        HARDSHIP_ACK,
        REFUSED,
        CALLBACK,
        TRANSFER_REQUESTED,
        TRANSFER_NO_PROGRESS,
        TRANSFER_OUTSIDE_POLICY,
        TRANSFER_OVER_LIMIT,
        TRANSFER_DISPUTE,
        TRANSFER_HARDSHIP,
        NO_INPUT,
        NO_MATCH,
        CLOSING_PAYMENT_LINK,
        CLOSING_INSTALMENTS,
        CLOSING_INSTALMENTS_FIRST,
        CLOSING_PROMISE,
        SATISFACTION_ASK,
        SATISFACTION_HINT,
        SATISFACTION_THANKS,
        GOODBYE,
    ];
}

/// Builds an interruptible prompt from segments.
pub(super) fn prompt(segments: Vec<Segment>) -> Prompt {
    Prompt {
        segments,
        interruptible: true,
    }
}

/// Segments for a catalog clip.
pub(super) fn clips<I: IntoIterator<Item = String>>(ids: I) -> Vec<Segment> {
    ids.into_iter().map(Segment::Clip).collect()
}

fn id(clip_id: &str) -> Segment {
    Segment::Clip(clip_id.to_owned())
}

/// Builds the recording and data-protection notice, which names neither the debt nor the
/// creditor.
pub(super) fn greeting() -> Prompt {
    Prompt {
        segments: vec![id(clip::GREETING)],
        interruptible: false,
    }
}

/// "We would like to talk to <holder>. Is that you?" Only the holder's name is spoken.
pub(super) fn right_party_question(account: &Account) -> Prompt {
    prompt(vec![
        id(clip::RIGHT_PARTY_ASK),
        Segment::Speech(account.full_name.clone()),
        id(clip::RIGHT_PARTY_QUESTION),
    ])
}

/// Builds the disclosure: the creditor, the amount and the due date.
pub(super) fn disclosure(verified: &VerifiedAccount) -> Prompt {
    let account = verified.account();
    let mut segments = vec![
        id(clip::DISCLOSE_CREDITOR),
        Segment::Speech(account.creditor.clone()),
    ];
    segments.push(id(clip::DISCLOSE_AMOUNT));
    segments.extend(clips(speak::amount_clips(account.amount_cents)));
    segments.push(id(clip::DISCLOSE_DUE));
    segments.extend(clips(speak::date_clips(account.due_date)));
    prompt(segments)
}

/// Builds the statement of the allowed range of instalment counts.
pub(super) fn instalment_range(min: u32, max: u32) -> Prompt {
    if min == max {
        let mut segments = vec![id(clip::INSTALMENTS_ONLY)];
        segments.extend(clips(speak::number_clips(u64::from(max))));
        segments.push(id(clip::INSTALMENTS_RANGE_UNIT));
        return prompt(segments);
    }
    let mut segments = vec![id(clip::INSTALMENTS_RANGE_FROM)];
    segments.extend(clips(speak::number_clips(u64::from(min))));
    segments.push(id(clip::INSTALMENTS_RANGE_TO));
    segments.extend(clips(speak::number_clips(u64::from(max))));
    segments.push(id(clip::INSTALMENTS_RANGE_UNIT));
    prompt(segments)
}

/// "That would be N monthly instalments of X (and a last one of Y), the first due on D."
pub(super) fn instalment_offer(_verified: &VerifiedAccount, schedule: &[Instalment]) -> Prompt {
    let (Some(first), Some(last)) = (schedule.first(), schedule.last()) else {
        return prompt(Vec::new());
    };

    let mut segments = vec![id(clip::INSTALMENTS_OFFER)];
    segments.extend(clips(speak::number_clips(schedule.len() as u64)));
    segments.push(id(clip::INSTALMENTS_OFFER_MONTHLY));
    segments.extend(clips(speak::amount_clips(first.amount_cents)));
    if last.amount_cents != first.amount_cents {
        segments.push(id(clip::INSTALMENTS_OFFER_LAST));
        segments.extend(clips(speak::amount_clips(last.amount_cents)));
    }
    segments.push(id(clip::INSTALMENTS_FIRST_DUE));
    segments.extend(clips(speak::date_clips(first.due_date)));
    prompt(segments)
}

/// "You will pay X on D."
pub(super) fn promise_offer(verified: &VerifiedAccount, date: NaiveDate) -> Prompt {
    let mut segments = vec![id(clip::PROMISE_OFFER)];
    segments.extend(clips(speak::amount_clips(verified.account().amount_cents)));
    segments.extend(clips(speak::date_clips(date)));
    prompt(segments)
}

/// "The latest day you can choose is D."
pub(super) fn promise_too_far(latest: NaiveDate) -> Prompt {
    let mut segments = vec![id(clip::PROMISE_TOO_FAR)];
    segments.extend(clips(speak::date_clips(latest)));
    prompt(segments)
}

/// Summary of a payment link sent for the whole debt.
pub(super) fn closing_payment_link(verified: &VerifiedAccount) -> Prompt {
    let mut segments = vec![id(clip::CLOSING_PAYMENT_LINK)];
    segments.extend(clips(speak::amount_clips(verified.account().amount_cents)));
    prompt(segments)
}

/// Summary of an agreed instalment plan.
pub(super) fn closing_instalments(_verified: &VerifiedAccount, schedule: &[Instalment]) -> Prompt {
    let mut segments = vec![id(clip::CLOSING_INSTALMENTS)];
    segments.extend(clips(speak::number_clips(schedule.len() as u64)));
    segments.push(id(clip::CLOSING_INSTALMENTS_FIRST));
    if let Some(first) = schedule.first() {
        segments.extend(clips(speak::date_clips(first.due_date)));
    }
    prompt(segments)
}

/// Summary of an agreed promise to pay.
pub(super) fn closing_promise(verified: &VerifiedAccount, date: NaiveDate) -> Prompt {
    let mut segments = vec![id(clip::CLOSING_PROMISE)];
    segments.extend(clips(speak::amount_clips(verified.account().amount_cents)));
    segments.extend(clips(speak::date_clips(date)));
    prompt(segments)
}
