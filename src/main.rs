use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use recobra::{audio, config, models, prompts, replay, server};

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

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
