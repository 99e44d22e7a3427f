//! Twilio Media Streams: wire messages, request signatures and TwiML.
