//! Twilio Media Streams: wire messages, request signatures and TwiML.
pub mod messages;
