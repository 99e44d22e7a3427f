//! What a call achieved, as stored and returned by the call API.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The kind of result a call reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// The caller chose to pay everything now and a payment link was sent.
    PaymentLinkSent,
    /// The caller agreed to a monthly instalment plan.
    InstalmentPlan,
    /// The caller promised to pay the whole debt on a date.
    PromiseToPay,
    /// The caller disputes the debt.
    Dispute,
    /// The caller says the debt is already paid.
    AlreadyPaid,
    /// The person who answered is not the account holder and does not know them.
    WrongParty,
    /// The account holder exists but cannot come to the phone now.
    NotAvailable,
    /// The caller failed the identity check.
    VerificationFailed,
    /// The call went to a human agent before any agreement.
    Transferred,
    /// The verified holder asked to be called back later.
    CallbackRequested,
    /// The verified holder declined every option.
    Refused,
    /// The caller hung up before any other outcome was reached.
    Abandoned,
}

impl OutcomeKind {
    /// Returns the snake_case name, as serialized and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentLinkSent => "payment_link_sent",
            Self::InstalmentPlan => "instalment_plan",
            Self::PromiseToPay => "promise_to_pay",
            Self::Dispute => "dispute",
            Self::AlreadyPaid => "already_paid",
            Self::WrongParty => "wrong_party",
            Self::NotAvailable => "not_available",
            Self::VerificationFailed => "verification_failed",
            Self::Transferred => "transferred",
            Self::CallbackRequested => "callback_requested",
            Self::Refused => "refused",
            Self::Abandoned => "abandoned",
        }
    }

    /// Whether this kind is a payment agreement the caller confirmed, which later outcomes
    /// (a hang-up, a transfer) must never replace.
    pub fn is_agreement(self) -> bool {
        matches!(
            self,
            Self::PaymentLinkSent | Self::InstalmentPlan | Self::PromiseToPay
        )
    }
}

/// One payment of an instalment plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    /// Day the payment is due.
    pub due_date: NaiveDate,
    /// Amount of this payment, in cents.
    pub amount_cents: i64,
}

/// An outcome of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Kind of result.
    pub kind: OutcomeKind,
    /// The dialogue step where the outcome was reached (`verify`, `instalment_confirm`...).
    pub step: String,
    /// Amount agreed or disputed, in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_cents: Option<i64>,
    /// ISO 4217 currency of `amount_cents`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Payments of an instalment plan, in due-date order; they add up to `amount_cents`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instalments: Vec<Instalment>,
    /// Day the caller promised to pay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promise_date: Option<NaiveDate>,
    /// Free text: the caller's words for a dispute, or why the call was transferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Caller's rating of the call, 1 (worst) to 5 (best).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<u8>,
}

impl Outcome {
    /// Creates an outcome of `kind` reached at `step`, with no values.
    pub fn new(kind: OutcomeKind, step: &str) -> Self {
        Self {
            kind,
            step: step.to_owned(),
            amount_cents: None,
            currency: None,
            instalments: Vec::new(),
            promise_date: None,
            reason: None,
            satisfaction: None,
        }
    }
}

/// A request to send the caller a payment link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentLinkRequest {
    /// Account the payment is for.
    pub account_id: String,
    /// Amount to pay, in cents.
    pub amount_cents: i64,
    /// Phone number the link goes to.
    pub phone: String,
}
