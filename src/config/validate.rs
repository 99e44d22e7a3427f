//! Checks of the merged configuration, run once after every layer is applied.

use std::fmt::Display;
use std::path::Path;

use super::{AudioConfig, Config, ConfigError, Secret, SessionConfig, invalid};

/// Duration of one audio frame. Playback is scheduled in whole frames.
const FRAME_MS: u32 = 20;

/// Checks every setting, then the listen address against the access settings.
pub(super) fn validate(config: &Config) -> Result<(), ConfigError> {
    check_paths(config)?;
    check_locale(&config.locale)?;
    if let Some(url) = &config.public_base_url {
        check_base_url(url)?;
    }
    check_secret("twilio.auth_token", config.twilio.auth_token.as_ref())?;
    check_secret("api.bearer_token", config.api.bearer_token.as_ref())?;
    check_payments(&config.payments)?;
    check_handoff(config)?;
    check_audio(&config.audio)?;
    check_session(&config.session)?;
    check_listen(config)
}

fn check_handoff(config: &Config) -> Result<(), ConfigError> {
    let handoff = &config.handoff;
    if handoff.mode != super::HandoffMode::TwilioRedirect {
        return Ok(());
    }
    if handoff.twilio_account_sid.as_deref().is_none_or(|sid| !sid.starts_with("AC")) {
        let value = handoff.twilio_account_sid.clone().unwrap_or_default();
        return Err(invalid("handoff.twilio_account_sid", &value, "the Twilio account SID (AC...), required by handoff.mode = twilio_redirect"));
    }
    if config.twilio.auth_token.is_none() {
        return Err(invalid("twilio.auth_token", "", "the Twilio auth token, required by handoff.mode = twilio_redirect"));
    }
    if handoff.dial_number.is_some() == handoff.dial_sip.is_some() {
        return Err(invalid("handoff.dial_number", handoff.dial_number.as_deref().unwrap_or(""), "exactly one of handoff.dial_number or handoff.dial_sip"));
    }
    Ok(())
}

fn check_payments(payments: &super::PaymentsConfig) -> Result<(), ConfigError> {
    if !payments.link_template.starts_with("https://") && !payments.link_template.starts_with("http://") {
        return Err(invalid("payments.link_template", &payments.link_template, "an http(s) URL template"));
    }
    if let Some(url) = &payments.webhook_url {
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(invalid("payments.webhook_url", url, "an http(s) URL"));
        }
    }
    Ok(())
}

fn check_paths(config: &Config) -> Result<(), ConfigError> {
    let paths: [(&'static str, &Path); 6] = [
        ("data_dir", &config.data_dir),
        ("prompts_dir", &config.prompts_dir),
        ("model_dir", &config.model_dir),
        ("demo_accounts", &config.demo_accounts),
        ("policies_file", &config.policies_file),
        ("keypad_file", &config.keypad_file),
    ];
    for (setting, path) in paths {
        if path.as_os_str().is_empty() {
            return Err(invalid(setting, "", "a non-empty path"));
        }
    }
    Ok(())
}

// Accepts a language subtag of 2 or 3 lower-case letters with an optional region of 2
// upper-case letters or 3 digits, such as `es` or `es-ES`. Script and variant subtags of
// BCP 47 are rejected.
fn check_locale(locale: &str) -> Result<(), ConfigError> {
    let (language, region) = match locale.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (locale, None),
    };
    let language_ok =
        (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
    let region_ok = region.is_none_or(|region| {
        (region.len() == 2 && region.chars().all(|c| c.is_ascii_uppercase()))
            || (region.len() == 3 && region.chars().all(|c| c.is_ascii_digit()))
    });

    if language_ok && region_ok {
        Ok(())
    } else {
        Err(invalid(
            "locale",
            locale,
            "a language tag such as es-ES or es",
        ))
    }
}

fn check_base_url(url: &str) -> Result<(), ConfigError> {
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let valid = host.is_some_and(|host| {
        !host.is_empty() && !host.starts_with('/') && !host.contains(char::is_whitespace)
    });

    if valid {
        Ok(())
    } else {
        Err(invalid(
            "public_base_url",
            url,
            "an http:// or https:// URL with a host, such as https://recobra.example.com",
        ))
    }
}

fn check_secret(setting: &'static str, secret: Option<&Secret>) -> Result<(), ConfigError> {
    match secret {
        Some(secret) if secret.expose().trim().is_empty() => Err(invalid(
            setting,
            "(empty)",
            "a non-empty token, or leave the setting out",
        )),
        _ => Ok(()),
    }
}

fn check_audio(audio: &AudioConfig) -> Result<(), ConfigError> {
    let lead = audio.playback_lead_ms;
    if !(20..=2000).contains(&lead) || !lead.is_multiple_of(FRAME_MS) {
        return Err(invalid(
            "audio.playback_lead_ms",
            &audio.playback_lead_ms.to_string(),
            "20 to 2000, a multiple of 20",
        ));
    }
    check_range(
        "audio.barge_in_min_speech_ms",
        audio.barge_in_min_speech_ms,
        60,
        2000,
    )?;
    check_range(
        "audio.barge_in_threshold_boost_db",
        audio.barge_in_threshold_boost_db,
        0.0,
        40.0,
    )?;
    check_range(
        "audio.trailing_silence_ms",
        audio.trailing_silence_ms,
        200,
        3000,
    )?;
    check_range(
        "audio.no_input_timeout_ms",
        audio.no_input_timeout_ms,
        1000,
        30000,
    )?;
    check_range(
        "audio.max_utterance_ms",
        audio.max_utterance_ms,
        1000,
        60000,
    )
}

// NOTE: the bounds of media_timeout_ms, ping_interval_ms and max_concurrent_calls are
// sanity limits chosen for this project, not limits of Twilio or of the server.
fn check_session(session: &SessionConfig) -> Result<(), ConfigError> {
    check_range(
        "session.media_timeout_ms",
        session.media_timeout_ms,
        1000,
        120000,
    )?;
    check_range(
        "session.ping_interval_ms",
        session.ping_interval_ms,
        1000,
        60000,
    )?;
    check_range(
        "session.max_message_bytes",
        session.max_message_bytes,
        1024,
        1048576,
    )?;
    check_range(
        "session.max_concurrent_calls",
        session.max_concurrent_calls,
        1,
        10000,
    )
}

/// Rejects a non-loopback `listen` unless the API and the Twilio routes are protected.
fn check_listen(config: &Config) -> Result<(), ConfigError> {
    if config.listen.ip().is_loopback() {
        return Ok(());
    }

    let mut missing = Vec::new();
    if config.api.bearer_token.is_none() {
        missing.push("api.bearer_token to protect the call API");
    }
    if config.twilio.auth_token.is_none() && !config.twilio.danger_disable_signature_check {
        missing.push(
            "twilio.auth_token to verify that requests come from Twilio (or, for local tests \
             only, twilio.danger_disable_signature_check = true)",
        );
    }

    if missing.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::UnsafeListen {
            listen: config.listen,
            missing,
        })
    }
}

/// Rejects `value` outside `min..=max`; NaN is outside every range.
fn check_range<T: PartialOrd + Display>(
    setting: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<(), ConfigError> {
    if value >= min && value <= max {
        Ok(())
    } else {
        Err(invalid(
            setting,
            &value.to_string(),
            &format!("{min} to {max}"),
        ))
    }
}
