//! Runs the debt dialogue in a terminal (`recobra chat`): prompts print as their Spanish
//! text, typed lines are the caller's answers.
//!
//! Input lines: text is an utterance (confidence 1.0), `#` followed by keys is a keypress
//! (`#1`, `#4821`, `#6#`), an empty line is silence (NoInput) and `/hangup` hangs up.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use chrono::NaiveDate;
use rusqlite::Connection;
use thiserror::Error;

use super::catalog::{CatalogError, TextCatalog};
use super::{DebtDialogue, KeypadError, KeypadMap};
use crate::dialogue::payment::LinkTemplate;
use crate::dialogue::policy::{PolicyError, PolicySet};
use crate::dialogue::{Action, CallContext, Dialogue, DialogueEvent, Utterance};
use crate::storage::{accounts, outcomes};

/// Policy used when the account is not found; that call only transfers to an agent.
const FALLBACK_POLICY: &str = "standard";

/// Files and settings of a chat session.
#[derive(Debug, Clone)]
pub struct ChatOptions {
    /// Account the conversation is about.
    pub account_id: String,
    /// SQLite database with the accounts.
    pub database: PathBuf,
    /// Day the dialogue takes as today.
    pub today: NaiveDate,
    /// Accounts imported when the database has none.
    pub demo_accounts: PathBuf,
    /// Policy file.
    pub policies: PathBuf,
    /// Keypad map.
    pub keypad: PathBuf,
    /// Locale folder of the prompt catalog.
    pub prompts: PathBuf,
    /// Payment link template, with `{account_id}` and `{amount}`.
    pub link_template: String,
    /// Whether to print each input line after the `> ` prompt, for piped input that the
    /// terminal does not show.
    pub echo_input: bool,
}

impl ChatOptions {
    /// Options with the repository's default files, relative to the working directory.
    pub fn new(account_id: &str, database: PathBuf, today: NaiveDate) -> Self {
        Self {
            account_id: account_id.to_owned(),
            database,
            today,
            demo_accounts: PathBuf::from("data/demo-accounts.csv"),
            policies: PathBuf::from("config/policies.toml"),
            keypad: PathBuf::from("config/keypad.toml"),
            prompts: PathBuf::from("prompts/es-ES"),
            link_template: "https://pagos.example.com/p/{account_id}?importe={amount}".to_owned(),
            echo_input: false,
        }
    }
}

/// Error that stops a chat session.
#[derive(Debug, Error)]
pub enum ChatError {
    /// The database could not be brought to the current schema.
    #[error("failed to prepare database {path}: {message}")]
    Migration { path: PathBuf, message: String },
    /// The database failed.
    #[error("database {path}: {source}")]
    Database {
        /// Database file.
        path: PathBuf,
        /// Underlying error.
        source: rusqlite::Error,
    },
    /// Importing the demo accounts failed.
    #[error(transparent)]
    Import(#[from] accounts::ImportError),
    /// Storing an outcome failed.
    #[error(transparent)]
    Outcome(#[from] outcomes::OutcomeStoreError),
    /// The policy file is invalid or lacks the account's policy.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The keypad map is invalid.
    #[error(transparent)]
    Keypad(#[from] KeypadError),
    /// The prompt catalog is invalid.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Reading input or writing output failed.
    #[error("terminal input or output failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs one conversation, reading the caller's lines from `input` and writing the dialogue
/// to `output`. Outcomes are stored in the database's `outcomes` table under call id `chat`.
pub fn run_chat(
    options: &ChatOptions,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<(), ChatError> {
    let conn = open_database(options, &mut output)?;
    let account = accounts::account_by_id(&conn, &options.account_id).map_err(|source| {
        ChatError::Database {
            path: options.database.clone(),
            source,
        }
    })?;
    let policies = PolicySet::load(&options.policies)?;
    let policy_name = account
        .as_ref()
        .map_or(FALLBACK_POLICY, |a| a.policy.as_str());
    let policy = policies.get(policy_name)?.clone();
    let keypad = KeypadMap::load(&options.keypad)?;
    let catalog = TextCatalog::load_dir(&options.prompts)?;
    let template = LinkTemplate::new(&options.link_template);

    let context = CallContext {
        call_sid: "chat".to_owned(),
        caller_number: account.as_ref().map(|a| a.phone.clone()),
        account_id: Some(options.account_id.clone()),
        speech_available: true,
    };
    let terminator = keypad.terminator;
    let mut dialogue = DebtDialogue::new(account, policy, keypad, options.today);
    let printer = Printer {
        catalog: &catalog,
        template: &template,
        conn: &conn,
    };

    let mut actions = dialogue.start(&context);
    let mut lines = input.lines();
    loop {
        let listening = printer.print(&actions, &mut output)?;
        if !listening || matches!(dialogue.state(), "transferred" | "ended") {
            break;
        }
        write!(output, "> ")?;
        output.flush()?;

        let event = match lines.next() {
            Some(line) => {
                let line = line?;
                if options.echo_input {
                    writeln!(output, "{line}")?;
                }
                parse_line(&line, terminator)
            }
            None => DialogueEvent::HangUp,
        };
        let hang_up = event == DialogueEvent::HangUp;
        actions = dialogue.handle(event);
        if hang_up {
            writeln!(output, "[caller hung up]")?;
            printer.print(&actions, &mut output)?;
            break;
        }
    }
    writeln!(output, "[state: {}]", dialogue.state())?;
    Ok(())
}

fn open_database(options: &ChatOptions, output: &mut impl Write) -> Result<Connection, ChatError> {
    let database_error = |source| ChatError::Database {
        path: options.database.clone(),
        source,
    };
    let mut conn = Connection::open(&options.database).map_err(database_error)?;
    crate::storage::schema::migrate(&mut conn, crate::storage::schema::MIGRATIONS)
        .map_err(|error| ChatError::Migration { path: options.database.clone(), message: error.to_string() })?;

    if accounts::count_accounts(&conn).map_err(database_error)? == 0 {
        let report = accounts::import_accounts_csv(&conn, &options.demo_accounts)?;
        writeln!(
            output,
            "[imported {} demo accounts from {}]",
            report.imported,
            options.demo_accounts.display()
        )?;
    }
    Ok(conn)
}

/// Turns a typed line into a dialogue event.
fn parse_line(line: &str, terminator: char) -> DialogueEvent {
    let line = line.trim();
    if line.is_empty() {
        return DialogueEvent::NoInput;
    }
    if line == "/hangup" {
        return DialogueEvent::HangUp;
    }
    if let Some(keys) = line.strip_prefix('#') {
        // The session strips the terminator key from collected digits; do the same here.
        let keys = keys.strip_suffix(terminator).unwrap_or(keys);
        return DialogueEvent::Digits(keys.to_owned());
    }
    DialogueEvent::Utterance(Utterance {
        text: line.to_lowercase(),
        confidence: 1.0,
        alternatives: Vec::new(),
    })
}

/// Writes actions as text.
struct Printer<'a> {
    catalog: &'a TextCatalog,
    template: &'a LinkTemplate,
    conn: &'a Connection,
}

impl Printer<'_> {
    /// Prints `actions` and returns whether the last one waits for the caller.
    fn print(&self, actions: &[Action], output: &mut impl Write) -> Result<bool, ChatError> {
        let mut listening = false;
        for action in actions {
            listening = false;
            match action {
                Action::Play(prompt) => writeln!(output, "{}", self.catalog.render(prompt))?,
                Action::Listen(_) => listening = true,
                Action::Transfer(transfer) => {
                    writeln!(output, "[transfer: {}]", transfer.reason)?;
                    writeln!(output, "[transfer context: {}]", transfer.context)?;
                }
                Action::SaveOutcome(outcome) => {
                    outcomes::save_outcome(self.conn, "chat", outcome)?;
                    let json = serde_json::to_string(outcome).unwrap_or_default();
                    writeln!(output, "[outcome: {json}]")?;
                }
                Action::SendPaymentLink(request) => {
                    let link = self.template.render(request);
                    writeln!(output, "[payment link: {link} to {}]", request.phone)?;
                }
                Action::Hangup { reason } => writeln!(output, "[hangup: {reason}]")?,
            }
        }
        Ok(listening)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_events() {
        assert_eq!(parse_line("", '#'), DialogueEvent::NoInput);
        assert_eq!(parse_line("  ", '#'), DialogueEvent::NoInput);
        assert_eq!(parse_line("/hangup", '#'), DialogueEvent::HangUp);
        assert_eq!(
            parse_line("#4821", '#'),
            DialogueEvent::Digits("4821".to_owned())
        );
        assert_eq!(
            parse_line("#6#", '#'),
            DialogueEvent::Digits("6".to_owned())
        );
        assert_eq!(parse_line("#*", '#'), DialogueEvent::Digits("*".to_owned()));
        let DialogueEvent::Utterance(utterance) = parse_line("Sí, soy YO", '#') else {
            panic!("expected an utterance")
        };
        assert_eq!(utterance.text, "sí, soy yo");
        assert_eq!(utterance.confidence, 1.0);
    }
}
