use clap::{Parser, Subcommand};

/// Recobra: a voice assistant that recovers overdue debt by phone.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install and check speech models.
    #[command(subcommand)]
    Models(ModelsCommand),

    /// Manage the prompt catalog and its audio.
    #[command(subcommand)]
    Prompts(PromptsCommand),
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// Download, verify and unpack a Vosk model into the models folder.
    Fetch(recobra::models::FetchArgs),
}

#[derive(Debug, Subcommand)]
enum PromptsCommand {
    /// Render missing or changed catalog prompts to WAV with espeak-ng.
    Render(recobra::prompts::render::RenderArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Models(ModelsCommand::Fetch(args)) => {
            recobra::models::run_fetch(&args)?;
        }
        Command::Prompts(PromptsCommand::Render(args)) => {
            recobra::prompts::render::run_render(&args)?;
        }
    }
    Ok(())
}
