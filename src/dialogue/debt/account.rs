//! The debt account a call is about.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A debtor's account, as imported from the creditor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Creditor's account id (`D-1001`).
    pub id: String,
    /// Account holder's full name, spoken in the right-party check.
    pub full_name: String,
    /// Holder's phone number in E.164 form.
    pub phone: String,
    /// Last four digits of the holder's DNI or NIE, for the identity check.
    pub national_id_last4: String,
    /// Creditor the debt is owed to, disclosed only after the identity check.
    pub creditor: String,
    /// Amount owed, in cents.
    pub amount_cents: i64,
    /// ISO 4217 currency code of the amount.
    pub currency: String,
    /// Day the debt fell due.
    pub due_date: NaiveDate,
    /// Name of the negotiation policy in `config/policies.toml`.
    pub policy: String,
}
