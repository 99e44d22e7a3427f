//! Twilio Media Streams: wire messages, request signatures and TwiML.
//!
//! These modules hold the Twilio-specific parts of the transport with no I/O, so the
//! WebSocket and HTTP handlers stay thin:
//!
//! - [`adapter`] turns those frames into transport events and commands back into frames.
//! - [`messages`] parses the JSON frames Twilio sends on the media socket (`connected`,
//!   `start`, `media`, `dtmf`, `mark`, `stop`) and builds the `media`, `mark` and `clear`
//!   frames sent back. Audio on the wire is base64 µ-law, 8 kHz mono.
//! - [`signature`] computes and checks `X-Twilio-Signature` for webhooks and for the
//!   WebSocket handshake.
//! - [`request_url`] rebuilds the public URL Twilio signed, from configuration or headers.
//! - [`twiml`] writes the TwiML that connects a call to the media socket and the TwiML that
//!   dials a human agent.

pub mod adapter;
pub mod messages;
pub mod request_url;
pub mod signature;
pub mod twiml;
