//! Understanding Spanish answers as a small Vosk model transcribes them.
//!
//! The transcript is normalised into tokens (lower case, accents folded, fillers dropped),
//! then dates, amounts and numbers are read from it in that order, each taking its tokens
//! so the next does not read them again, and finally intent cues are matched. The
//! question being answered (`expecting`) decides how bare numbers are read.

use chrono::NaiveDate;
use serde::Serialize;

mod amounts;
mod dates;
mod intents;
mod normalize;
mod numbers;
mod slots;

pub use normalize::tokens as normalized_tokens;

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
    /// A number spoken on its own ("doce plazos" gives 12). Under `menu`, the option chosen.
    pub number: Option<i64>,
    /// Digits spoken one by one or in pairs ("cuarenta y ocho veintiuno" gives "4821").
    pub digits: Option<String>,
    /// An amount of money, in cents.
    pub amount_cents: Option<i64>,
    /// A date, resolved against today.
    pub date: Option<NaiveDate>,
    /// The words the interpretation was read from: lower case, accents folded (ñ kept),
    /// punctuation and fillers removed.
    pub normalized: String,
}

/// Interprets one utterance; `expecting` names the question being answered (for example
/// `identity_digits` or `promise_date`) so ambiguous answers resolve the likely way.
pub fn interpret(text: &str, expecting: Option<&str>, today: NaiveDate) -> Interpretation {
    let tokens = normalize::tokens(text);
    let slots = slots::read(&tokens, expecting, today);
    let intent = classify(&tokens, expecting, slots.date, today);

    Interpretation {
        intent,
        number: slots.number,
        digits: slots.digits,
        amount_cents: slots.amount_cents,
        date: slots.date,
        normalized: tokens.join(" "),
    }
}

/// Matches intent cues in priority order. A date ahead of today makes a promise when the
/// caller talks about paying or was asked for a date.
fn classify(
    tokens: &[String],
    expecting: Option<&str>,
    date: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<Intent> {
    let first_intent = |rules: &[(Intent, &[&str])]| {
        rules
            .iter()
            .find(|(_, cues)| intents::first_match(tokens, cues).is_some())
            .map(|(intent, _)| *intent)
    };

    if let Some(intent) = first_intent(intents::BEFORE_DATE) {
        return Some(intent);
    }
    if expecting == Some("menu") && intents::first_match(tokens, intents::DISPUTE_AT_MENU).is_some() {
        return Some(Intent::Dispute);
    }

    let talks_of_paying = tokens.iter().any(|token| intents::PAYMENT.contains(&token.as_str()));
    if let Some(date) = date {
        let asked_for_date = expecting == Some("promise_date");
        if (date > today && talks_of_paying) || (date >= today && asked_for_date) {
            return Some(Intent::Promise);
        }
    }

    if intents::first_match(tokens, intents::HARDSHIP).is_some() {
        return Some(Intent::Hardship);
    }
    if talks_of_paying && intents::first_match(tokens, intents::LATER).is_some() {
        return Some(Intent::Promise);
    }
    if let Some(intent) = first_intent(intents::AFTER_DATE) {
        return Some(intent);
    }
    if intents::first_match(tokens, intents::UNSURE).is_some() {
        return None;
    }

    // When both appear, the last one spoken wins: callers correct themselves ("no, no, sí,
    // soy yo").
    let yes = intents::last_match(tokens, intents::YES);
    let no = intents::last_match(tokens, intents::NO);
    match (yes, no) {
        (Some(yes), Some(no)) if no > yes => Some(Intent::No),
        (Some(_), _) => Some(Intent::Yes),
        (None, Some(_)) => Some(Intent::No),
        (None, None) => None,
    }
}

/// Arguments of `recobra nlu`.
#[derive(Debug, clap::Args)]
pub struct NluArgs {
    /// The utterance, as the recogniser wrote it.
    pub text: String,
    /// The question being answered (`right_party`, `identity_digits`, `menu`,
    /// `instalment_count`, `promise_date`, `confirm`, `satisfaction`, `reason`).
    #[arg(long)]
    pub state: Option<String>,
    /// The day relative dates resolve against, as YYYY-MM-DD; defaults to the local date.
    #[arg(long)]
    pub today: Option<NaiveDate>,
}

/// Runs `recobra nlu`: interprets the text and prints the result as pretty JSON.
pub fn run_cli(args: &NluArgs) -> anyhow::Result<()> {
    let today = args.today.unwrap_or_else(|| chrono::Local::now().date_naive());
    let interpretation = interpret(&args.text, args.state.as_deref(), today);
    println!("{}", serde_json::to_string_pretty(&interpretation)?);
    Ok(())
}
