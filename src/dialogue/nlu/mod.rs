//! Understanding Spanish answers as a small Vosk model transcribes them.

use chrono::NaiveDate;
use serde::Serialize;

/// What the caller wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Yes,
    No,
    Agent,
    Repeat,
    PayNow,
    Instalments,
    Promise,
    Dispute,
    AlreadyPaid,
    Hardship,
    WrongPerson,
    CallBackLater,
}

/// The intent and values found in one utterance.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Interpretation {
    /// The caller's intent, when one was found.
    pub intent: Option<Intent>,
    /// A number said on its own ("doce plazos" gives 12).
    pub number: Option<i64>,
    /// Digits said one by one or in pairs ("cuarenta y ocho veintiuno" gives "4821").
    pub digits: Option<String>,
    /// An amount of money, in cents.
    pub amount_cents: Option<i64>,
    /// A date, resolved against today.
    pub date: Option<NaiveDate>,
}

/// Interprets one utterance; `expecting` names the question being answered (for example
/// `identity_digits` or `promise_date`) so ambiguous answers resolve the likely way.
pub fn interpret(text: &str, expecting: Option<&str>, today: NaiveDate) -> Interpretation {
    // TODO: placeholder until the Spanish NLU lands.
    let _ = (text, expecting, today);
    Interpretation::default()
}
