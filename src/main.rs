use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use recobra::dialogue::debt::chat::{ChatOptions, run_chat};
use recobra::dialogue::{nlu, speak};
use recobra::storage::{Store, accounts};
use recobra::{agents, audio, config, loadtest, models, prompts, replay, server};

/// Recobra: a voice assistant that recovers overdue debt by phone.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the server (Twilio webhook and media socket, call API, health, metrics).
    Serve(config::ServeArgs),

    /// Play a scenario's caller against a running server and check its expectations.
    Replay(replay::ReplayArgs),

    /// Keep many replayed calls open against a server and report latency, late frames,
    /// and the server's CPU and memory.
    Loadtest(loadtest::LoadtestArgs),

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

    /// Print the intent and values found in a Spanish utterance, as JSON.
    Nlu(nlu::NluArgs),

    /// Print the Spanish words (and recorded clips) that speak an amount, date or number.
    Say(speak::SayArgs),

    /// Manage debtor accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),

    /// Manage agent console users.
    #[command(subcommand)]
    Agents(AgentsCommand),

    /// Audio file tools for operators preparing prompts.
    #[command(subcommand)]
    Audio(AudioCommand),

    /// Install and check speech models.
    #[command(subcommand)]
    Models(ModelsCommand),

    /// Manage the prompt catalog and its audio.
    #[command(subcommand)]
    Prompts(PromptsCommand),
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

#[derive(Debug, Subcommand)]
enum AgentsCommand {
    /// Add an agent or supervisor; the password is read from the first line of stdin.
    Add(agents::cli::AddArgs),
}

#[derive(Debug, Subcommand)]
enum AudioCommand {
    /// Convert an audio file to G.711 or 16-bit PCM for calls.
    Convert(audio::convert::ConvertArgs),
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// Download, verify and unpack a Vosk model into the models folder.
    Fetch(models::FetchArgs),
}

#[derive(Debug, Subcommand)]
enum PromptsCommand {
    /// Render missing or changed catalog prompts to WAV with espeak-ng.
    Render(prompts::render::RenderArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();

    match cli.command {
        Command::Serve(args) => {
            let config = config::load(&args, config::process_env())?;
            runtime()?.block_on(async {
                let server = server::Server::bind(config).await?;
                server.run(server::shutdown_signal()).await
            })?;
        }
        Command::Replay(args) => runtime()?.block_on(replay::run(&args))?,
        Command::Loadtest(args) => runtime()?.block_on(loadtest::run(&args))?,
        Command::Chat { account, database, today } => {
            let today = today.unwrap_or_else(|| chrono::Local::now().date_naive());
            let mut options = ChatOptions::new(&account, database, today);
            options.echo_input = !std::io::stdin().is_terminal();
            run_chat(&options, std::io::stdin().lock(), std::io::stdout().lock())?;
        }
        Command::Nlu(args) => nlu::run_cli(&args)?,
        Command::Say(args) => speak::cli::run(&args)?,
        Command::Accounts(AccountsCommand::Import { file, database }) => import_accounts(&file, &database)?,
        Command::Agents(AgentsCommand::Add(args)) => println!("{}", agents::cli::run_add(&args, std::io::stdin().lock())?),
        Command::Audio(AudioCommand::Convert(args)) => audio::convert::run_convert(&args)?,
        Command::Models(ModelsCommand::Fetch(args)) => {
            models::run_fetch(&args)?;
        }
        Command::Prompts(PromptsCommand::Render(args)) => {
            prompts::render::run_render(&args)?;
        }
    }
    Ok(())
}

fn import_accounts(file: &Path, database: &Path) -> anyhow::Result<()> {
    let store = Store::open(database)?;
    let report = store.with_connection(|conn| Ok(accounts::import_accounts_csv(conn, file)))??;
    println!("imported {} accounts from {}", report.imported, file.display());
    for rejected in &report.rejected {
        println!("line {}: skipped: {}", rejected.line, rejected.reason);
    }
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
