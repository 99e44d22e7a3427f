use clap::{Parser, Subcommand};
use recobra::dialogue::{nlu, speak};

/// Recobra: a voice assistant that recovers overdue debt by phone.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Interpret a Spanish utterance and print the result as JSON.
    Nlu(nlu::NluArgs),
    /// Print how an amount, date or number is spoken, as words and as clip ids.
    Say(speak::SayArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Nlu(args) => nlu::run_cli(&args),
        Command::Say(args) => speak::cli::run(&args),
    }
}
