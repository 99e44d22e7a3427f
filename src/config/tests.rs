use std::path::PathBuf;

use super::*;

/// A configuration file in a temporary folder, removed when dropped.
struct ConfigFile {
    _folder: tempfile::TempDir,
    path: PathBuf,
}

fn config_file(text: &str) -> ConfigFile {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("recobra.toml");
    std::fs::write(&path, text).unwrap();
    ConfigFile {
        _folder: folder,
        path,
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn args_with_file(file: &ConfigFile) -> ServeArgs {
    ServeArgs {
        config: Some(file.path.clone()),
        ..ServeArgs::default()
    }
}

#[test]
fn defaults_load() {
    let config = load(&ServeArgs::default(), env(&[("HOME", "/root")])).unwrap();

    assert_eq!(config, Config::default());
    assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(config.database_path(), PathBuf::from("data/recobra.sqlite"));
    assert_eq!(config.recordings_dir(), PathBuf::from("data/recordings"));
    assert_eq!(config.cache_dir(), PathBuf::from("data/cache"));
    assert_eq!(config.audio.playback_lead_ms, 400);
    assert_eq!(config.session.max_message_bytes, 65536);
    assert!(config.recording.enabled);
}

#[test]
fn example_file_documents_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/recobra.example.toml");

    let config = read_file(&path).unwrap();

    assert_eq!(config, Config::default());
}

#[test]
fn layers_apply_in_order() {
    let file = config_file(
        r#"
        listen = "127.0.0.1:9001"
        data_dir = "from-file"
        model_dir = "model-from-file"
        locale = "es-MX"

        [audio]
        playback_lead_ms = 200
        "#,
    );
    let args = ServeArgs {
        listen: Some("127.0.0.1:9003".parse().unwrap()),
        ..args_with_file(&file)
    };
    let variables = env(&[
        ("RECOBRA_LISTEN", "127.0.0.1:9002"),
        ("RECOBRA_DATA_DIR", "from-env"),
        ("RECOBRA_AUDIO_PLAYBACK_LEAD_MS", "300"),
    ]);

    let config = load(&args, variables).unwrap();

    assert_eq!(config.listen, "127.0.0.1:9003".parse().unwrap());
    assert_eq!(config.data_dir, PathBuf::from("from-env"));
    assert_eq!(config.audio.playback_lead_ms, 300);
    assert_eq!(config.model_dir, PathBuf::from("model-from-file"));
    assert_eq!(config.locale, "es-MX");
    assert_eq!(config.prompts_dir, PathBuf::from("prompts"));
}

#[test]
fn flags_override_everything() {
    let file = config_file(
        "model_dir = \"model-from-file\"\n[twilio]\ndanger_disable_signature_check = false\n",
    );
    let args = ServeArgs {
        data_dir: Some(PathBuf::from("data-from-flag")),
        model_dir: Some(PathBuf::from("model-from-flag")),
        danger_disable_signature_check: true,
        ..args_with_file(&file)
    };
    let variables = env(&[
        ("RECOBRA_DATA_DIR", "data-from-env"),
        ("RECOBRA_TWILIO_DANGER_DISABLE_SIGNATURE_CHECK", "false"),
    ]);

    let config = load(&args, variables).unwrap();

    assert_eq!(config.data_dir, PathBuf::from("data-from-flag"));
    assert_eq!(config.model_dir, PathBuf::from("model-from-flag"));
    assert!(config.twilio.danger_disable_signature_check);
}

#[test]
fn missing_config_file_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let args = ServeArgs {
        config: Some(folder.path().join("absent.toml")),
        ..ServeArgs::default()
    };

    let error = load(&args, env(&[])).unwrap_err();

    assert!(matches!(&error, ConfigError::ReadFile { path, .. } if path.ends_with("absent.toml")));
    assert!(error.to_string().contains("absent.toml"), "{error}");
}

#[test]
fn unknown_env_variable_ignored() {
    let variables = env(&[("RECOBRA_LISTN", "0.0.0.0:80")]);

    let config = load(&ServeArgs::default(), variables).unwrap();

    assert_eq!(config, Config::default());
}

#[test]
fn playback_lead_error_exact() {
    let variables = env(&[("RECOBRA_AUDIO_PLAYBACK_LEAD_MS", "15")]);

    let error = load(&ServeArgs::default(), variables).unwrap_err();

    let ConfigError::Invalid {
        setting,
        value,
        allowed,
    } = &error
    else {
        panic!("expected ConfigError::Invalid, got {error:?}");
    };
    assert_eq!(*setting, "audio.playback_lead_ms");
    assert_eq!(value, "15");
    assert_eq!(allowed, "20 to 2000, a multiple of 20");
    assert_eq!(
        error.to_string(),
        "invalid value \"15\" for audio.playback_lead_ms (allowed: 20 to 2000, a multiple of 20)"
    );
}

#[test]
fn invalid_settings_named() {
    let cases = [
        ("audio.playback_lead_ms", "410"),
        ("audio.playback_lead_ms", "2020"),
        ("audio.barge_in_min_speech_ms", "40"),
        ("audio.barge_in_threshold_boost_db", "40.5"),
        ("audio.barge_in_threshold_boost_db", "-1"),
        ("audio.barge_in_threshold_boost_db", "NaN"),
        ("audio.trailing_silence_ms", "100"),
        ("audio.no_input_timeout_ms", "30001"),
        ("audio.max_utterance_ms", "999"),
        ("session.media_timeout_ms", "500"),
        ("session.ping_interval_ms", "100"),
        ("session.max_message_bytes", "1023"),
        ("session.max_message_bytes", "1048577"),
        ("session.max_concurrent_calls", "0"),
        ("locale", "spanish"),
        ("locale", "es_ES"),
        ("public_base_url", "ftp://recobra.example.com"),
        ("public_base_url", "https://"),
        ("public_base_url", "recobra.example.com"),
        ("data_dir", ""),
        ("model_dir", ""),
        ("listen", "localhost:8080"),
        ("recording.enabled", "maybe"),
    ];
    for (name, value) in cases {
        let variables = vec![(env::variable_name(name), value.to_owned())];

        let error = load(&ServeArgs::default(), variables).unwrap_err();

        assert!(
            matches!(&error, ConfigError::Invalid { setting, .. } if *setting == name),
            "{name} = {value:?} gave {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(name), "{message}");
        assert!(message.contains(&format!("\"{value}\"")), "{message}");
        assert!(message.contains("allowed:"), "{message}");
    }
}

#[test]
fn range_bounds_accepted() {
    let variables = env(&[
        ("RECOBRA_AUDIO_PLAYBACK_LEAD_MS", "2000"),
        ("RECOBRA_AUDIO_BARGE_IN_MIN_SPEECH_MS", "60"),
        ("RECOBRA_AUDIO_BARGE_IN_THRESHOLD_BOOST_DB", "0"),
        ("RECOBRA_AUDIO_TRAILING_SILENCE_MS", "3000"),
        ("RECOBRA_SESSION_MAX_MESSAGE_BYTES", "1048576"),
    ]);

    let config = load(&ServeArgs::default(), variables).unwrap();

    assert_eq!(config.audio.playback_lead_ms, 2000);
    assert_eq!(config.audio.barge_in_min_speech_ms, 60);
    assert_eq!(config.audio.barge_in_threshold_boost_db, 0.0);
    assert_eq!(config.audio.trailing_silence_ms, 3000);
    assert_eq!(config.session.max_message_bytes, 1_048_576);
}

#[test]
fn invalid_file_value_named() {
    let file = config_file("[audio]\nplayback_lead_ms = 15\n");

    let error = load(&args_with_file(&file), env(&[])).unwrap_err();

    assert!(matches!(
        error,
        ConfigError::Invalid {
            setting: "audio.playback_lead_ms",
            ..
        }
    ));
}

#[test]
fn wrong_type_in_file_named() {
    let file = config_file("locale = \"es-ES\"\n\n[audio]\nplayback_lead_ms = \"fast\"\n");

    let error = load(&args_with_file(&file), env(&[])).unwrap_err();

    let ConfigError::ParseFile { line, message, .. } = &error else {
        panic!("expected ConfigError::ParseFile, got {error:?}");
    };
    assert_eq!(*line, 4);
    assert!(message.contains("audio.playback_lead_ms"), "{message}");
}

#[test]
fn unknown_file_keys_rejected() {
    let cases = [
        ("lisen = \"127.0.0.1:8080\"\n", "lisen"),
        ("[audio]\nplayback_lead = 400\n", "playback_lead"),
        ("[tts]\nvoice = \"es\"\n", "tts"),
    ];
    for (text, key) in cases {
        let file = config_file(text);

        let error = load(&args_with_file(&file), env(&[])).unwrap_err();

        assert!(matches!(error, ConfigError::ParseFile { .. }), "{error:?}");
        assert!(error.to_string().contains(key), "{error}");
    }
}

#[test]
fn public_base_url_trailing_slash_removed() {
    let variables = env(&[("RECOBRA_PUBLIC_BASE_URL", "https://recobra.example.com/")]);

    let config = load(&ServeArgs::default(), variables).unwrap();

    assert_eq!(
        config.public_base_url.as_deref(),
        Some("https://recobra.example.com")
    );
}

#[test]
fn unsafe_listen_rejected() {
    let variables = env(&[("RECOBRA_LISTEN", "0.0.0.0:8080")]);

    let error = load(&ServeArgs::default(), variables).unwrap_err();

    let ConfigError::UnsafeListen { listen, missing } = &error else {
        panic!("expected ConfigError::UnsafeListen, got {error:?}");
    };
    assert_eq!(*listen, "0.0.0.0:8080".parse().unwrap());
    assert_eq!(missing.len(), 2);
    let message = error.to_string();
    assert!(message.contains("0.0.0.0:8080"), "{message}");
    assert!(message.contains("api.bearer_token"), "{message}");
    assert!(message.contains("twilio.auth_token"), "{message}");
    assert!(message.contains("personal data"), "{message}");
}

#[test]
fn unsafe_listen_names_missing_token() {
    let variables = env(&[
        ("RECOBRA_LISTEN", "[::]:8080"),
        ("RECOBRA_API_BEARER_TOKEN", "api-secret-value"),
    ]);

    let error = load(&ServeArgs::default(), variables).unwrap_err();

    let message = error.to_string();
    assert!(message.contains("twilio.auth_token"), "{message}");
    assert!(!message.contains("api.bearer_token"), "{message}");
    assert!(!message.contains("api-secret-value"), "{message}");
}

#[test]
fn public_listen_accepted_with_tokens() {
    let with_tokens = env(&[
        ("RECOBRA_LISTEN", "0.0.0.0:8080"),
        ("RECOBRA_API_BEARER_TOKEN", "api-token"),
        ("RECOBRA_TWILIO_AUTH_TOKEN", "twilio-token"),
    ]);
    let config = load(&ServeArgs::default(), with_tokens).unwrap();
    assert_eq!(
        config.api.bearer_token.as_ref().map(Secret::expose),
        Some("api-token")
    );
    assert_eq!(
        config.twilio.auth_token.as_ref().map(Secret::expose),
        Some("twilio-token")
    );

    let unsigned = ServeArgs {
        danger_disable_signature_check: true,
        ..ServeArgs::default()
    };
    let bearer_only = env(&[
        ("RECOBRA_LISTEN", "0.0.0.0:8080"),
        ("RECOBRA_API_BEARER_TOKEN", "api-token"),
    ]);
    assert!(load(&unsigned, bearer_only).is_ok());
}

#[test]
fn empty_token_rejected() {
    let variables = env(&[("RECOBRA_API_BEARER_TOKEN", " ")]);

    let error = load(&ServeArgs::default(), variables).unwrap_err();

    assert!(matches!(
        error,
        ConfigError::Invalid {
            setting: "api.bearer_token",
            ..
        }
    ));
}

#[test]
fn secrets_redacted_in_debug() {
    let file = config_file(
        "[api]\nbearer_token = \"api-secret-value\"\n\
         [twilio]\nauth_token = \"twilio-secret-value\"\n",
    );

    let config = load(&args_with_file(&file), env(&[])).unwrap();

    let debug = format!("{config:?}");
    assert!(!debug.contains("api-secret-value"), "{debug}");
    assert!(!debug.contains("twilio-secret-value"), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
    assert_eq!(
        config.twilio.auth_token.as_ref().map(Secret::expose),
        Some("twilio-secret-value")
    );
}

#[test]
fn secrets_hidden_in_file_errors() {
    let file = config_file("[twilio]\nauth_token = 918273645\n");

    let error = load(&args_with_file(&file), env(&[])).unwrap_err();

    let message = error.to_string();
    assert!(message.contains("twilio.auth_token"), "{message}");
    assert!(!message.contains("918273645"), "{message}");
    assert!(!format!("{error:?}").contains("918273645"), "{error:?}");
}
