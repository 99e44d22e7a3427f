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
