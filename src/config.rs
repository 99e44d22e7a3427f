//! Configuration: a TOML file, overridden by RECOBRA_* environment variables and by flags.
//!
//! Layers, lowest first: built-in defaults (which work from the repository root), the
//! `--config` file, `RECOBRA_<SECTION>_<KEY>` environment variables, then command-line
//! flags. The result is validated as a whole, and any invalid setting stops start-up with
//! a message naming the setting, its value and the allowed values.
//! `config/recobra.example.toml` documents every setting.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod env;
mod secret;
mod validate;

pub use secret::Secret;

/// Everything `recobra serve` can be configured with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// Folder for the database, recordings and caches.
    pub data_dir: PathBuf,
    /// Public http(s) base URL of the server, without a trailing slash, as Twilio reaches
    /// it. `None` leaves the web server to derive it from each request.
    pub public_base_url: Option<String>,
    /// Language tag of the prompts and recognition, such as `es-ES`.
    pub locale: String,
    /// Folder of the per-locale prompt catalogs.
    pub prompts_dir: PathBuf,
    /// Folder of the Vosk recognition model.
    pub model_dir: PathBuf,
    /// CSV file of demo debtor accounts.
    pub demo_accounts: PathBuf,
    /// TOML file of debt-collection policies.
    pub policies_file: PathBuf,
    /// TOML file of the keypad keys the dialogue accepts.
    pub keypad_file: PathBuf,
    /// Conversation each call runs: `debt` (the debt-collection dialogue) or `demo` (the
    /// built-in yes/no flow used to check the call path).
    pub dialogue: DialogueKind,
    /// Payment link settings.
    pub payments: PaymentsConfig,
    /// Where handed-off calls go.
    pub handoff: HandoffConfig,
    /// Timings of the built-in agent queue.
    pub queue: crate::queue::QueueConfig,
    /// Twilio webhook and media stream settings.
    pub twilio: TwilioConfig,
    /// Call API settings.
    pub api: ApiConfig,
    /// Call recording settings.
    pub recording: RecordingConfig,
    /// Prompt playback, barge-in and end-of-speech settings.
    pub audio: AudioConfig,
    /// Media stream session limits.
    pub session: SessionConfig,
}

/// Settings of the `[twilio]` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TwilioConfig {
    /// Auth token that signs Twilio's requests (`X-Twilio-Signature`).
    pub auth_token: Option<Secret>,
    /// Rebuilds the request URL from `X-Forwarded-Proto` and `X-Forwarded-Host`, which is
    /// safe only behind a reverse proxy that sets them.
    pub trust_forwarded_headers: bool,
    /// Accepts unsigned requests. Only for local tests without a Twilio account.
    pub danger_disable_signature_check: bool,
}

/// Settings of the `[api]` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Token that clients send as `Authorization: Bearer <token>` to read calls.
    pub bearer_token: Option<Secret>,
}

/// Settings of the `[recording]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingConfig {
    /// Whether calls are recorded to WAV files under `<data_dir>/recordings/`.
    pub enabled: bool,
}

/// Settings of the `[audio]` section. Durations are in milliseconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioConfig {
    /// Prompt audio sent ahead of real time, so that network jitter does not starve the
    /// platform's playback. A multiple of the 20 ms frame.
    pub playback_lead_ms: u32,
    /// Caller speech needed during a prompt before the prompt is interrupted.
    pub barge_in_min_speech_ms: u32,
    /// Extra energy, in dB above the normal speech threshold, that caller audio needs to
    /// count as speech while a prompt plays, so that echo of the prompt does not.
    pub barge_in_threshold_boost_db: f32,
    /// Silence after speech that ends an utterance.
    pub trailing_silence_ms: u32,
    /// Silence after a prompt before the caller counts as not answering.
    pub no_input_timeout_ms: u32,
    /// Maximum utterance length. Recognition is finalized when it is reached.
    pub max_utterance_ms: u32,
}

/// The conversation a call runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogueKind {
    /// The debt-collection dialogue.
    Debt,
    /// The built-in yes/no flow.
    Demo,
}

/// Where handed-off calls go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffMode {
    /// The built-in agent queue and web console (warm transfer).
    Queue,
    /// Redirect the live call through Twilio's REST API to the contact centre's own ACD.
    TwilioRedirect,
}

/// Settings of the `[handoff]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandoffConfig {
    /// `queue` or `twilio_redirect`.
    pub mode: HandoffMode,
    /// Base URL of Twilio's REST API, used by `twilio_redirect`.
    pub twilio_api_base_url: String,
    /// Twilio account SID (`AC...`), required by `twilio_redirect`.
    pub twilio_account_sid: Option<String>,
    /// Phone number (E.164) the redirect dials; set this or `dial_sip`.
    pub dial_number: Option<String>,
    /// SIP URI the redirect dials; set this or `dial_number`.
    pub dial_sip: Option<String>,
    /// Caller id presented on the redirected call.
    pub caller_id: Option<String>,
}

impl Default for HandoffConfig {
    fn default() -> Self {
        HandoffConfig {
            mode: HandoffMode::Queue,
            twilio_api_base_url: "https://api.twilio.com".to_owned(),
            twilio_account_sid: None,
            dial_number: None,
            dial_sip: None,
            caller_id: None,
        }
    }
}

/// Settings of the `[payments]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsConfig {
    /// Payment link sent to the caller; `{account_id}` and `{amount}` (as 1234.56) are
    /// filled in.
    pub link_template: String,
    /// URL that receives each payment link as a JSON POST (an SMS gateway); `None` writes
    /// the links to the database's `outbox` table instead.
    pub webhook_url: Option<String>,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            link_template: "https://pagos.example.com/p/{account_id}?importe={amount}".to_owned(),
            webhook_url: None,
        }
    }
}

/// Settings of the `[session]` section. Durations are in milliseconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Time without any message from the platform after which the call ends with reason
    /// `media_timeout`.
    pub media_timeout_ms: u32,
    /// Interval between WebSocket pings sent to the platform.
    pub ping_interval_ms: u32,
    /// Maximum WebSocket message size accepted, in bytes.
    pub max_message_bytes: usize,
    /// Maximum number of calls handled at once. Further media streams are rejected.
    pub max_concurrent_calls: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            data_dir: PathBuf::from("data"),
            public_base_url: None,
            locale: "es-ES".to_owned(),
            prompts_dir: PathBuf::from("prompts"),
            model_dir: PathBuf::from("models/vosk-model-small-es-0.42"),
            demo_accounts: PathBuf::from("data/demo-accounts.csv"),
            policies_file: PathBuf::from("config/policies.toml"),
            keypad_file: PathBuf::from("config/keypad.toml"),
            dialogue: DialogueKind::Debt,
            payments: PaymentsConfig::default(),
            handoff: HandoffConfig::default(),
            queue: crate::queue::QueueConfig::default(),
            twilio: TwilioConfig::default(),
            api: ApiConfig::default(),
            recording: RecordingConfig::default(),
            audio: AudioConfig::default(),
            session: SessionConfig::default(),
        }
    }
}

impl Default for RecordingConfig {
    fn default() -> Self {
        RecordingConfig { enabled: true }
    }
}

impl Default for AudioConfig {
    fn default() -> Self {
        AudioConfig {
            playback_lead_ms: 400,
            barge_in_min_speech_ms: 300,
            barge_in_threshold_boost_db: 10.0,
            trailing_silence_ms: 700,
            no_input_timeout_ms: 5000,
            max_utterance_ms: 15000,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            media_timeout_ms: 10000,
            ping_interval_ms: 5000,
            max_message_bytes: 65536,
            max_concurrent_calls: 200,
        }
    }
}

impl Config {
    /// Returns the path of the SQLite database, `<data_dir>/recobra.sqlite`.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("recobra.sqlite")
    }

    /// Returns the folder of call recordings, `<data_dir>/recordings`.
    pub fn recordings_dir(&self) -> PathBuf {
        self.data_dir.join("recordings")
    }

    /// Returns the folder of derived files that can be rebuilt, `<data_dir>/cache`.
    pub fn cache_dir(&self) -> PathBuf {
        self.data_dir.join("cache")
    }
}

/// Command-line flags of `recobra serve`. Each one overrides every other layer.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file (see config/recobra.example.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Address and port to listen on, such as 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Folder for the database, recordings and caches.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Folder of the Vosk recognition model.
    #[arg(long, value_name = "DIR")]
    pub model_dir: Option<PathBuf>,

    /// Accept Twilio requests without a valid signature. Only for local tests.
    #[arg(long)]
    pub danger_disable_signature_check: bool,
}

/// A configuration that cannot be used; start-up stops with this message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The `--config` file is missing or unreadable.
    #[error("failed to read the configuration file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The `--config` file is not valid TOML or does not match the settings.
    #[error("invalid configuration file {path}, line {line}, column {column}: {message}")]
    ParseFile {
        path: PathBuf,
        line: usize,
        column: usize,
        /// The parser's message, prefixed with the setting when it is known.
        message: String,
    },

    /// A setting has a value outside its allowed values.
    #[error("invalid value \"{value}\" for {setting} (allowed: {allowed})")]
    Invalid {
        /// Dotted setting name, such as `audio.playback_lead_ms`.
        setting: &'static str,
        /// The rejected value, or a placeholder for secrets.
        value: String,
        /// Description of the allowed values.
        allowed: String,
    },

    /// The server would listen beyond loopback without protecting its routes.
    #[error(
        "listen = {listen} is not a loopback address, and the server's routes carry personal \
         data (caller numbers, call journals, recordings). Set {}, or listen on 127.0.0.1",
        missing.join(" and ")
    )]
    UnsafeListen {
        listen: SocketAddr,
        /// Settings to add, each with the reason it is needed.
        missing: Vec<&'static str>,
    },
}

/// Builds the configuration from defaults, the `--config` file, `env` and the flags, and
/// validates it.
///
/// `env` is usually [`process_env`]. Variables that start with `RECOBRA_` but name no
/// setting are logged as warnings and ignored, so a typo does not stop the server.
pub fn load(
    args: &ServeArgs,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut config = match &args.config {
        Some(path) => read_file(path)?,
        None => Config::default(),
    };

    let unknown = env::apply(&mut config, env)?;
    for variable in unknown {
        tracing::warn!(
            variable,
            "ignoring unknown RECOBRA_ environment variable (config/recobra.example.toml lists the settings)"
        );
    }

    apply_flags(&mut config, args);

    validate::validate(&config)?;

    // Trimmed after validation, so that "https://" is reported as given.
    if let Some(url) = &mut config.public_base_url {
        let trimmed_len = url.trim_end_matches('/').len();
        url.truncate(trimmed_len);
    }
    Ok(config)
}

/// Returns the process environment, skipping variables that are not valid UTF-8 (with a
/// warning for `RECOBRA_` ones), where [`std::env::vars`] would panic.
pub fn process_env() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().filter_map(|(name, value)| {
        match (name.into_string(), value.into_string()) {
            (Ok(name), Ok(value)) => Some((name, value)),
            (Ok(name), Err(_)) if name.starts_with(env::PREFIX) => {
                tracing::warn!(
                    variable = name,
                    "ignoring environment variable that is not UTF-8"
                );
                None
            }
            _ => None,
        }
    })
}

/// Reads and parses a configuration file. Settings it leaves out keep their defaults.
pub fn read_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    parse_toml(&text).map_err(|error| {
        let (line, column) = error.position;
        ConfigError::ParseFile {
            path: path.to_path_buf(),
            line,
            column,
            message: error.message,
        }
    })
}

/// A TOML error reduced to a position and a message.
struct TomlError {
    position: (usize, usize),
    message: String,
}

// `toml::de::Error`'s Display quotes the offending line, which could contain a secret, so
// only its message and position are kept. `serde_path_to_error` adds the setting's name to
// type errors, whose toml message leaves it out.
fn parse_toml(text: &str) -> Result<Config, TomlError> {
    let deserializer = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let position = error
            .inner()
            .span()
            .map(|span| line_and_column(text, span.start))
            .unwrap_or((1, 1));
        let message = if path == "." || path.is_empty() {
            error.inner().message().to_owned()
        } else {
            format!("{path}: {}", error.inner().message())
        };
        TomlError { position, message }
    })
}

/// Converts a byte offset into a 1-based line and column (in characters).
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Builds a [`ConfigError::Invalid`].
fn invalid(setting: &'static str, value: &str, allowed: &str) -> ConfigError {
    ConfigError::Invalid {
        setting,
        value: value.to_owned(),
        allowed: allowed.to_owned(),
    }
}

fn apply_flags(config: &mut Config, args: &ServeArgs) {
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(data_dir) = &args.data_dir {
        config.data_dir = data_dir.clone();
    }
    if let Some(model_dir) = &args.model_dir {
        config.model_dir = model_dir.clone();
    }
    if args.danger_disable_signature_check {
        config.twilio.danger_disable_signature_check = true;
    }
}

#[cfg(test)]
mod tests;
