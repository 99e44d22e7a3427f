//! What a call achieved, as stored and returned by the call API.
//!
//! NOTE: placeholder shapes; the debt dialogue defines the full outcome.

use serde::Serialize;

/// An outcome of the call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Outcome kind in snake_case (`promise_to_pay`, `wrong_party`, ...).
    pub kind: String,
    /// The dialogue step where the outcome was reached.
    pub step: String,
}

/// A request to send the caller a payment link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentLinkRequest {
    /// Account the payment is for.
    pub account_id: String,
    /// Amount to pay, in cents.
    pub amount_cents: i64,
    /// Phone number the link goes to.
    pub phone: String,
}
