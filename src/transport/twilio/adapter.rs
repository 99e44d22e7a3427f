//! The Twilio adapter: Media Streams messages in, [`TransportEvent`]s out, and back.
//!
//! Twilio sends µ-law payloads of any size (normally 160 bytes); the adapter decodes them
//! to PCM and re-cuts the audio into exact 20 ms frames, so the rest of the call never sees
//! µ-law, JSON or marks.

use crate::audio::g711::{self, G711Law};
use crate::transport::{FRAME_SAMPLES, StreamStart, TransportCommand, TransportEvent};

use super::messages::{self, InboundMessage, ProtocolError};

/// A message the adapter could not use.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// The message itself is malformed or unsupported.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// Audio, a digit or a mark arrived before the `start` message.
    #[error("{event} message before the stream started")]
    BeforeStart {
        /// The event name.
        event: &'static str,
    },
    /// A message names a stream other than the one this socket carries.
    #[error("message for stream {received} on the socket of stream {expected}")]
    WrongStream {
        /// The stream this socket started.
        expected: String,
        /// The stream named in the message.
        received: String,
    },
    /// A second `start` message on the same socket.
    #[error("second start message on stream {stream_sid}")]
    DuplicateStart {
        /// The stream already started.
        stream_sid: String,
    },
}

impl AdapterError {
    /// Returns true when the call cannot go on after this error (the stream's audio format
    /// is unusable), false when only the one message is skipped.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Protocol(ProtocolError::UnsupportedMediaFormat { .. }))
    }

    /// A short snake_case name for the journal and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Protocol(ProtocolError::InvalidJson { .. }) => "invalid_json",
            Self::Protocol(ProtocolError::MissingField { .. }) => "missing_field",
            Self::Protocol(ProtocolError::UnknownEvent(_)) => "unknown_event",
            Self::Protocol(ProtocolError::InvalidNumber { .. }) => "invalid_number",
            Self::Protocol(ProtocolError::InvalidBase64 { .. }) => "invalid_base64",
            Self::Protocol(ProtocolError::UnsupportedMediaFormat { .. }) => "unsupported_media_format",
            Self::Protocol(ProtocolError::InvalidDtmfDigit { .. }) => "invalid_dtmf_digit",
            Self::Protocol(ProtocolError::OversizePayload { .. }) => "oversize_payload",
            Self::BeforeStart { .. } => "before_start",
            Self::WrongStream { .. } => "wrong_stream",
            Self::DuplicateStart { .. } => "duplicate_start",
        }
    }
}

/// One socket's Twilio protocol state.
#[derive(Debug, Default)]
pub struct TwilioAdapter {
    stream_sid: Option<String>,
    /// Decoded caller audio not yet cut into a whole frame.
    pending: Vec<i16>,
    encode_buffer: Vec<u8>,
}

impl TwilioAdapter {
    /// Creates the adapter for a new socket.
    pub fn new() -> Self {
        Self { stream_sid: None, pending: Vec::with_capacity(FRAME_SAMPLES * 4), encode_buffer: Vec::with_capacity(FRAME_SAMPLES) }
    }

    /// The stream id, once `start` arrived.
    pub fn stream_sid(&self) -> Option<&str> {
        self.stream_sid.as_deref()
    }

    /// Handles one text message, appending the events it carries to `events`.
    pub fn handle_text(&mut self, text: &str, events: &mut Vec<TransportEvent>) -> Result<(), AdapterError> {
        match messages::parse_inbound(text)? {
            InboundMessage::Connected => Ok(()),
            InboundMessage::Start(start) => {
                if let Some(stream_sid) = &self.stream_sid {
                    return Err(AdapterError::DuplicateStart { stream_sid: stream_sid.clone() });
                }
                self.stream_sid = Some(start.stream_sid.clone());
                events.push(TransportEvent::Start(StreamStart::from(start)));
                Ok(())
            }
            InboundMessage::Media { stream_sid, track, payload, .. } => {
                self.check_stream("media", &stream_sid)?;
                // A bidirectional stream only carries the caller's track; anything else is not
                // the caller's voice.
                if track != "inbound" {
                    return Ok(());
                }
                g711::decode_into(G711Law::Mulaw, &payload, &mut self.pending);
                let whole = self.pending.len() / FRAME_SAMPLES * FRAME_SAMPLES;
                for frame in self.pending[..whole].chunks_exact(FRAME_SAMPLES) {
                    events.push(TransportEvent::Audio(frame.to_vec()));
                }
                self.pending.drain(..whole);
                Ok(())
            }
            InboundMessage::Dtmf { stream_sid, digit } => {
                self.check_stream("dtmf", &stream_sid)?;
                events.push(TransportEvent::Dtmf(digit));
                Ok(())
            }
            InboundMessage::Mark { stream_sid, name } => {
                self.check_stream("mark", &stream_sid)?;
                events.push(TransportEvent::MarkerReached(name));
                Ok(())
            }
            InboundMessage::Stop { stream_sid, .. } => {
                self.check_stream("stop", &stream_sid)?;
                events.push(TransportEvent::Stop);
                Ok(())
            }
        }
    }

    /// Encodes a command as a Twilio message; `None` before the stream started.
    pub fn encode(&mut self, command: &TransportCommand) -> Option<String> {
        let stream_sid = self.stream_sid.as_deref()?;
        let message = match command {
            TransportCommand::Audio(samples) => {
                self.encode_buffer.clear();
                g711::encode_into(G711Law::Mulaw, samples, &mut self.encode_buffer);
                messages::media_message(stream_sid, &self.encode_buffer)
            }
            TransportCommand::Marker(name) => messages::mark_message(stream_sid, name),
            TransportCommand::Clear => messages::clear_message(stream_sid),
        };
        Some(message)
    }

    fn check_stream(&self, event: &'static str, stream_sid: &str) -> Result<(), AdapterError> {
        match &self.stream_sid {
            None => Err(AdapterError::BeforeStart { event }),
            Some(expected) if expected != stream_sid => {
                Err(AdapterError::WrongStream { expected: expected.clone(), received: stream_sid.to_owned() })
            }
            Some(_) => Ok(()),
        }
    }
}
