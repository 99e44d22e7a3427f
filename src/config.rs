//! Configuration: a TOML file, overridden by RECOBRA_* environment variables and by flags.
