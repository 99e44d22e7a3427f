use clap::{Parser, Subcommand};
use recobra::audio::convert::{ConvertArgs, run_convert};

/// Recobra: a voice assistant that recovers overdue debt by phone.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Audio file tools.
    #[command(subcommand)]
    Audio(AudioCommand),
}

#[derive(Debug, Subcommand)]
enum AudioCommand {
    /// Convert an audio file to G.711 or 16-bit PCM for calls.
    Convert(ConvertArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Audio(AudioCommand::Convert(args)) => run_convert(&args),
    }
}
