//! `recobra agents add`: creates a console user, reading the password from standard input
//! so that it never appears in the shell history or the process list.

use std::io::BufRead;
use std::path::PathBuf;

use super::{AgentError, AgentRole, NewAgent, add_agent};
use crate::storage::Store;

/// Options of `recobra agents add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Login name: ASCII letters, digits, '.', '_' or '-'.
    #[arg(long)]
    pub id: String,
    /// Name shown in the console.
    #[arg(long)]
    pub name: String,
    /// agent (takes calls) or supervisor (also sees the live figures).
    #[arg(long, default_value = "agent")]
    pub role: String,
    /// Language skills, comma-separated, such as es or es,en.
    #[arg(long, value_delimiter = ',', default_value = "es")]
    pub languages: Vec<String>,
    /// SQLite database to add the user to.
    #[arg(long, default_value = "data/recobra.sqlite")]
    pub database: PathBuf,
}

/// A failure of `recobra agents add`.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// Standard input could not be read.
    #[error("failed to read the password from standard input: {0}")]
    ReadPassword(#[source] std::io::Error),
    /// Standard input ended before a password line.
    #[error("no password on standard input: pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | recobra agents add ...`")]
    MissingPassword,
    /// The database could not be opened.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// The user was rejected.
    #[error(transparent)]
    Agent(#[from] AgentError),
}

/// Adds the user described by `args` with the first line of `password_input` as password,
/// and returns the line to print.
pub fn run_add(args: &AddArgs, mut password_input: impl BufRead) -> Result<String, AddError> {
    let role: AgentRole = args.role.parse()?;
    let mut line = String::new();
    let read = password_input.read_line(&mut line).map_err(AddError::ReadPassword)?;
    if read == 0 {
        return Err(AddError::MissingPassword);
    }
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);

    let store = Store::open(&args.database)?;
    let new = NewAgent { id: &args.id, name: &args.name, role, languages: &args.languages };
    let agent = add_agent(&store, &new, password)?;
    Ok(format!(
        "added {} {} ({}) speaking {} to {}",
        agent.role.as_str(),
        agent.id,
        agent.name,
        agent.languages.join(","),
        args.database.display()
    ))
}
