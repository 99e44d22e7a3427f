use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use recobra::dialogue::debt::chat::{ChatOptions, run_chat};
use recobra::storage::accounts;

/// Recobra: a voice assistant that recovers overdue debt by phone.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage debt accounts.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Run the debt dialogue in the terminal: type answers, `#1` for keys, an empty line
    /// for silence, `/hangup` to hang up.
    Chat {
        /// Account the conversation is about.
        #[arg(long)]
        account: String,
        /// SQLite database with the accounts (the demo accounts are imported when it has none).
        #[arg(long, default_value = "data/recobra.sqlite")]
        database: PathBuf,
        /// Day taken as today, YYYY-MM-DD (default: the local date).
        #[arg(long)]
        today: Option<NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
enum AccountsCommand {
    /// Import accounts from a CSV file; invalid rows are reported and skipped.
    Import {
        /// CSV file with columns id, full_name, phone, national_id_last4, creditor, amount,
        /// currency, due_date, policy.
        file: PathBuf,
        /// SQLite database to import into.
        #[arg(long, default_value = "data/recobra.sqlite")]
        database: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Accounts {
            command: AccountsCommand::Import { file, database },
        } => import_accounts(&file, &database),
        Command::Chat {
            account,
            database,
            today,
        } => {
            let today = today.unwrap_or_else(|| chrono::Local::now().date_naive());
            let mut options = ChatOptions::new(&account, database, today);
            options.echo_input = !std::io::stdin().is_terminal();
            run_chat(&options, std::io::stdin().lock(), std::io::stdout().lock())?;
            Ok(())
        }
    }
}

fn import_accounts(file: &std::path::Path, database: &std::path::Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(database)
        .with_context(|| format!("cannot open database {}", database.display()))?;
    conn.execute_batch(accounts::SCHEMA)
        .with_context(|| format!("cannot create the accounts table in {}", database.display()))?;

    let report = accounts::import_accounts_csv(&conn, file)?;
    println!(
        "imported {} accounts from {}",
        report.imported,
        file.display()
    );
    for rejected in &report.rejected {
        println!("line {}: skipped: {}", rejected.line, rejected.reason);
    }
    Ok(())
}
