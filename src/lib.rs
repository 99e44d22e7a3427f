//! Recobra: a voice assistant that recovers overdue debt by phone.
//!
//! # Layout
//!
//! - [`transport`]: telephony adapters (Twilio Media Streams first) that turn a platform's
//!   media stream into [`transport::TransportEvent`]s and back. Nothing platform-specific
//!   (JSON shapes, codecs, marks) passes this layer.
//! - [`audio`]: G.711 codecs, resampling, voice activity detection, in-band DTMF, prompt
//!   decoding and call recording.
//! - [`recognition`]: offline speech recognition with Vosk on blocking threads.
//! - [`session`]: the call session, a state machine that joins audio, recognition, prompt
//!   playback and the dialogue, plus the async task that drives it.
//! - [`dialogue`]: the conversation behind a narrow trait; a small built-in flow and the debt
//!   dialogue.
//! - [`prompts`]: the per-locale prompt catalog and its rendered audio.
//! - [`queue`]: the human handoff: calls waiting for agents, and the warm-transfer audio link.
//! - [`agents`]: console users (agents and supervisors) and their password hashes.
//! - [`storage`]: SQLite persistence for calls, their event journal, accounts and outcomes.
//! - [`web`]: the HTTP server: Twilio webhook and media socket, call API, health and metrics.
//! - [`replay`]: the QA tool that plays the telephony platform against a running server.
//! - [`models`]: fetching and checking speech models.
//! - [`config`]: configuration from a TOML file, `RECOBRA_*` variables and flags.

pub mod agents;
pub mod audio;
pub mod config;
pub mod dialogue;
pub mod models;
pub mod prompts;
pub mod queue;
pub mod recognition;
pub mod loadtest;
pub mod replay;
pub mod server;
pub mod session;
pub mod storage;
pub mod transport;
pub mod web;
