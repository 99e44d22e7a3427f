use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use recobra::{config, replay, server};

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
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn")))
        .with_writer(std::io::stderr)
        .init();

    match cli.command {
        Command::Serve(args) => {
            let config = config::load(&args, std::env::vars())?;
            runtime()?.block_on(async {
                let server = server::Server::bind(config).await?;
                server.run(server::shutdown_signal()).await
            })
        }
        Command::Replay(args) => runtime()?.block_on(replay::run(&args)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
