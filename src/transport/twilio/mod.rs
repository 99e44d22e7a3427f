//! Twilio Media Streams: wire messages, request signatures and TwiML.
pub mod messages;
pub mod request_url;
pub mod signature;
