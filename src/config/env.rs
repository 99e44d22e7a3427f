//! The environment variable layer: `RECOBRA_<SECTION>_<KEY>`, one per setting.
//!
//! Each setting is listed by hand with a parser for its type, because serde cannot tell
//! where a flat name such as `RECOBRA_AUDIO_PLAYBACK_LEAD_MS` splits into section and key.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use super::{Config, ConfigError, Secret, invalid};

/// Prefix of every variable this layer reads.
pub(super) const PREFIX: &str = "RECOBRA_";

/// One setting that an environment variable can override.
struct EnvSetting {
    /// Dotted setting name; the variable is `RECOBRA_` and this name upper-cased, with
    /// dots turned into underscores.
    name: &'static str,
    /// Parses the variable's value and stores it in the configuration.
    apply: fn(&mut Config, &str) -> Result<(), ConfigError>,
}

/// Builds an [`EnvSetting`] that stores `parse(name, value)?` into the given field.
macro_rules! setting {
    ($name:literal => $($field:ident).+ : $parse:expr) => {
        EnvSetting {
            name: $name,
            apply: |config: &mut Config, value: &str| {
                config.$($field).+ = $parse($name, value)?;
                Ok(())
            },
        }
    };
}

const SETTINGS: &[EnvSetting] = &[
    setting!("listen" => listen: parse_socket_addr),
    setting!("data_dir" => data_dir: parse_path),
    setting!("public_base_url" => public_base_url: parse_optional_string),
    setting!("locale" => locale: parse_string),
    setting!("prompts_dir" => prompts_dir: parse_path),
    setting!("model_dir" => model_dir: parse_path),
    setting!("demo_accounts" => demo_accounts: parse_path),
    setting!("policies_file" => policies_file: parse_path),
    setting!("keypad_file" => keypad_file: parse_path),
    setting!("dialogue" => dialogue: parse_dialogue),
    setting!("payments.link_template" => payments.link_template: parse_string),
    setting!("payments.webhook_url" => payments.webhook_url: parse_optional_string),
    setting!("handoff.mode" => handoff.mode: parse_handoff_mode),
    setting!("queue.position_interval_secs" => queue.position_interval_secs: parse_number::<u64>),
    setting!("queue.max_wait_secs" => queue.max_wait_secs: parse_number::<u64>),
    setting!("queue.offer_timeout_secs" => queue.offer_timeout_secs: parse_number::<u64>),
    setting!("queue.wrap_up_secs" => queue.wrap_up_secs: parse_number::<u64>),
    setting!("queue.estimated_handle_secs" => queue.estimated_handle_secs: parse_number::<u64>),
    setting!("queue.high_priority_amount_cents" => queue.high_priority_amount_cents: parse_optional_cents),
    setting!("handoff.twilio_api_base_url" => handoff.twilio_api_base_url: parse_string),
    setting!("handoff.twilio_account_sid" => handoff.twilio_account_sid: parse_optional_string),
    setting!("handoff.dial_number" => handoff.dial_number: parse_optional_string),
    setting!("handoff.dial_sip" => handoff.dial_sip: parse_optional_string),
    setting!("handoff.caller_id" => handoff.caller_id: parse_optional_string),
    setting!("twilio.auth_token" => twilio.auth_token: parse_secret),
    setting!("twilio.trust_forwarded_headers" => twilio.trust_forwarded_headers: parse_bool),
    setting!("twilio.danger_disable_signature_check" => twilio.danger_disable_signature_check: parse_bool),
    setting!("api.bearer_token" => api.bearer_token: parse_secret),
    setting!("recording.enabled" => recording.enabled: parse_bool),
    setting!("audio.playback_lead_ms" => audio.playback_lead_ms: parse_number::<u32>),
    setting!("audio.barge_in_min_speech_ms" => audio.barge_in_min_speech_ms: parse_number::<u32>),
    setting!("audio.barge_in_threshold_boost_db" => audio.barge_in_threshold_boost_db: parse_decibels),
    setting!("audio.trailing_silence_ms" => audio.trailing_silence_ms: parse_number::<u32>),
    setting!("audio.no_input_timeout_ms" => audio.no_input_timeout_ms: parse_number::<u32>),
    setting!("audio.max_utterance_ms" => audio.max_utterance_ms: parse_number::<u32>),
    setting!("session.media_timeout_ms" => session.media_timeout_ms: parse_number::<u32>),
    setting!("session.ping_interval_ms" => session.ping_interval_ms: parse_number::<u32>),
    setting!("session.max_message_bytes" => session.max_message_bytes: parse_number::<usize>),
    setting!("session.max_concurrent_calls" => session.max_concurrent_calls: parse_number::<usize>),
];

fn parse_dialogue(name: &'static str, value: &str) -> Result<super::DialogueKind, ConfigError> {
    match value {
        "debt" => Ok(super::DialogueKind::Debt),
        "demo" => Ok(super::DialogueKind::Demo),
        _ => Err(invalid(name, value, "debt or demo")),
    }
}

fn parse_optional_cents(name: &'static str, value: &str) -> Result<Option<i64>, ConfigError> {
    if value.is_empty() {
        return Ok(None);
    }
    value.parse::<i64>().map(Some).map_err(|_| invalid(name, value, "an amount in cents, or empty to turn it off"))
}

fn parse_handoff_mode(name: &'static str, value: &str) -> Result<super::HandoffMode, ConfigError> {
    match value {
        "queue" => Ok(super::HandoffMode::Queue),
        "twilio_redirect" => Ok(super::HandoffMode::TwilioRedirect),
        _ => Err(invalid(name, value, "queue or twilio_redirect")),
    }
}

/// Applies every `RECOBRA_` variable of `env` that names a setting, in iteration order.
///
/// Returns the names of the `RECOBRA_` variables that name no setting.
pub(super) fn apply(
    config: &mut Config,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, ConfigError> {
    let mut unknown = Vec::new();

    for (variable, value) in env {
        if !variable.starts_with(PREFIX) {
            continue;
        }
        match SETTINGS
            .iter()
            .find(|setting| variable_name(setting.name) == variable)
        {
            Some(setting) => (setting.apply)(config, &value)?,
            None => unknown.push(variable),
        }
    }

    Ok(unknown)
}

/// Returns the environment variable that overrides the dotted setting `name`.
pub(super) fn variable_name(name: &str) -> String {
    format!("{PREFIX}{}", name.replace('.', "_").to_uppercase())
}

fn parse_socket_addr(setting: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        invalid(
            setting,
            value,
            "an IP address and port, such as 127.0.0.1:8080",
        )
    })
}

fn parse_path(_setting: &'static str, value: &str) -> Result<PathBuf, ConfigError> {
    Ok(PathBuf::from(value))
}

fn parse_string(_setting: &'static str, value: &str) -> Result<String, ConfigError> {
    Ok(value.to_owned())
}

fn parse_optional_string(
    _setting: &'static str,
    value: &str,
) -> Result<Option<String>, ConfigError> {
    Ok(Some(value.to_owned()))
}

fn parse_secret(_setting: &'static str, value: &str) -> Result<Option<Secret>, ConfigError> {
    Ok(Some(Secret::new(value)))
}

fn parse_bool(setting: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(invalid(setting, value, "true, false, 1 or 0")),
    }
}

fn parse_number<T: FromStr>(setting: &'static str, value: &str) -> Result<T, ConfigError> {
    value
        .parse()
        .map_err(|_| invalid(setting, value, "a whole number without sign or unit"))
}

fn parse_decibels(setting: &'static str, value: &str) -> Result<f32, ConfigError> {
    value
        .parse()
        .map_err(|_| invalid(setting, value, "a number of decibels, such as 10 or 7.5"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_follow_sections() {
        assert_eq!(variable_name("listen"), "RECOBRA_LISTEN");
        assert_eq!(variable_name("data_dir"), "RECOBRA_DATA_DIR");
        assert_eq!(
            variable_name("audio.playback_lead_ms"),
            "RECOBRA_AUDIO_PLAYBACK_LEAD_MS"
        );
    }

    #[test]
    fn setting_names_unique() {
        for (index, setting) in SETTINGS.iter().enumerate() {
            let duplicates = SETTINGS[index + 1..]
                .iter()
                .filter(|other| variable_name(other.name) == variable_name(setting.name))
                .count();
            assert_eq!(duplicates, 0, "{} is listed twice", setting.name);
        }
    }

    /// A value for every setting, as an environment variable and as a TOML literal, each
    /// different from the default.
    const EXAMPLES: &[(&str, &str, &str)] = &[
        ("listen", "0.0.0.0:9000", "\"0.0.0.0:9000\""),
        ("data_dir", "/var/lib/recobra", "\"/var/lib/recobra\""),
        (
            "public_base_url",
            "https://recobra.example.com",
            "\"https://recobra.example.com\"",
        ),
        ("locale", "es-MX", "\"es-MX\""),
        ("prompts_dir", "/srv/prompts", "\"/srv/prompts\""),
        ("model_dir", "/srv/model", "\"/srv/model\""),
        (
            "demo_accounts",
            "/srv/accounts.csv",
            "\"/srv/accounts.csv\"",
        ),
        (
            "policies_file",
            "/srv/policies.toml",
            "\"/srv/policies.toml\"",
        ),
        ("keypad_file", "/srv/keypad.toml", "\"/srv/keypad.toml\""),
        ("dialogue", "demo", "\"demo\""),
        (
            "payments.link_template",
            "https://pay.example.com/{account_id}",
            "\"https://pay.example.com/{account_id}\"",
        ),
        (
            "payments.webhook_url",
            "https://sms.example.com/send",
            "\"https://sms.example.com/send\"",
        ),
        ("handoff.mode", "twilio_redirect", "\"twilio_redirect\""),
        ("queue.position_interval_secs", "45", "45"),
        ("queue.max_wait_secs", "240", "240"),
        ("queue.offer_timeout_secs", "15", "15"),
        ("queue.wrap_up_secs", "60", "60"),
        ("queue.estimated_handle_secs", "200", "200"),
        ("queue.high_priority_amount_cents", "250000", "250000"),
        ("handoff.twilio_api_base_url", "http://127.0.0.1:9000", "\"http://127.0.0.1:9000\""),
        ("handoff.twilio_account_sid", "AC123", "\"AC123\""),
        ("handoff.dial_number", "+34910000000", "\"+34910000000\""),
        ("handoff.dial_sip", "sip:agents@pbx.example.com", "\"sip:agents@pbx.example.com\""),
        ("handoff.caller_id", "+34910000001", "\"+34910000001\""),
        ("twilio.auth_token", "twilio-token", "\"twilio-token\""),
        ("twilio.trust_forwarded_headers", "true", "true"),
        ("twilio.danger_disable_signature_check", "1", "true"),
        ("api.bearer_token", "api-token", "\"api-token\""),
        ("recording.enabled", "false", "false"),
        ("audio.playback_lead_ms", "200", "200"),
        ("audio.barge_in_min_speech_ms", "120", "120"),
        ("audio.barge_in_threshold_boost_db", "7.5", "7.5"),
        ("audio.trailing_silence_ms", "900", "900"),
        ("audio.no_input_timeout_ms", "8000", "8000"),
        ("audio.max_utterance_ms", "20000", "20000"),
        ("session.media_timeout_ms", "20000", "20000"),
        ("session.ping_interval_ms", "2000", "2000"),
        ("session.max_message_bytes", "131072", "131072"),
        ("session.max_concurrent_calls", "50", "50"),
    ];

    /// Parses a TOML document that sets only the dotted setting `name`.
    fn config_from_toml(name: &str, literal: &str) -> Config {
        let text = match name.split_once('.') {
            Some((section, key)) => format!("[{section}]\n{key} = {literal}\n"),
            None => format!("{name} = {literal}\n"),
        };
        toml::from_str(&text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn env_matches_toml_for_each_setting() {
        assert_eq!(EXAMPLES.len(), SETTINGS.len());

        for setting in SETTINGS {
            let (_, env_value, literal) = EXAMPLES
                .iter()
                .find(|(name, _, _)| *name == setting.name)
                .unwrap_or_else(|| panic!("no example for {}", setting.name));
            let mut from_env = Config::default();

            (setting.apply)(&mut from_env, env_value).unwrap();

            assert_ne!(
                from_env,
                Config::default(),
                "{} changed nothing",
                setting.name
            );
            assert_eq!(
                from_env,
                config_from_toml(setting.name, literal),
                "{}",
                setting.name
            );
        }
    }

    #[test]
    fn unparsable_values_name_setting() {
        let cases = [
            ("listen", "localhost"),
            ("recording.enabled", "yes please"),
            ("audio.playback_lead_ms", "400ms"),
            ("session.max_concurrent_calls", "-1"),
            ("audio.barge_in_threshold_boost_db", "loud"),
        ];
        for (name, value) in cases {
            let setting = SETTINGS
                .iter()
                .find(|setting| setting.name == name)
                .unwrap();

            let error = (setting.apply)(&mut Config::default(), value).unwrap_err();

            let message = error.to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains(value), "{message}");
        }
    }

    #[test]
    fn unknown_variables_returned() {
        let mut config = Config::default();
        let env = [
            ("RECOBRA_LISTEN".to_owned(), "127.0.0.1:9000".to_owned()),
            ("RECOBRA_AUDIO_PLAYBACK_LEAD".to_owned(), "400".to_owned()),
            ("PATH".to_owned(), "/usr/bin".to_owned()),
        ];

        let unknown = apply(&mut config, env).unwrap();

        assert_eq!(unknown, vec!["RECOBRA_AUDIO_PLAYBACK_LEAD".to_owned()]);
        assert_eq!(config.listen, "127.0.0.1:9000".parse().unwrap());
    }
}
