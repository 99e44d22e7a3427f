//! Media Streams wire messages: parsing what Twilio sends and building what we send back.
//!
//! Twilio sends one JSON text frame per message, in the order `connected`, `start`, many
//! `media` (with `dtmf` and `mark` in between), then `stop`. Twilio writes the counters
//! `sequenceNumber`, `chunk` and `timestamp` as JSON strings, so the parser accepts a
//! string or a number for every numeric field. Fields this module does not use are ignored.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::transport::StreamStart;

/// Maximum decoded size of one inbound `media` payload: 8000 µ-law bytes, which is one
/// second of 8 kHz mono audio. Field reports show Twilio sending 160 bytes (20 ms) per
/// message, far below this limit.
pub const MAX_PAYLOAD_BYTES: usize = 8000;

/// The only audio encoding Media Streams uses.
pub const MULAW_ENCODING: &str = "audio/x-mulaw";

/// The only sample rate Media Streams uses, in hertz.
pub const MULAW_SAMPLE_RATE: u32 = 8000;

/// Maximum number of characters of a rejected message quoted in [`ProtocolError::InvalidJson`].
const EXCERPT_CHARS: usize = 80;

/// A Media Streams message that could not be turned into an [`InboundMessage`].
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The frame is not JSON, or a field has the wrong JSON type.
    #[error("invalid Media Streams message ({source}); message starts with {excerpt:?}")]
    InvalidJson {
        /// The first characters of the message.
        excerpt: String,
        /// The parser's error.
        source: serde_json::Error,
    },

    /// A field this event requires is absent.
    #[error("missing field {field} in Media Streams message with event {event:?}")]
    MissingField {
        /// The event name of the message, empty when `event` itself is missing.
        event: String,
        /// The JSON path of the missing field, such as `start.callSid`.
        field: &'static str,
    },

    /// The `event` field names an event this parser does not know.
    #[error("unknown Media Streams event {0:?}")]
    UnknownEvent(String),

    /// A numeric field contains something other than a non-negative integer.
    #[error("invalid number {value} in field {field}; expected a non-negative integer")]
    InvalidNumber {
        /// The JSON path of the field.
        field: &'static str,
        /// The field's JSON text.
        value: String,
    },

    /// A `media` payload is not valid base64.
    #[error("invalid base64 media payload on stream {stream_sid}: {source}")]
    InvalidBase64 {
        /// The stream the payload belongs to.
        stream_sid: String,
        /// The decoder's error.
        source: base64::DecodeError,
    },

    /// The `start` message announces audio other than µ-law, 8000 Hz, mono.
    #[error(
        "unsupported media format {encoding} at {sample_rate} Hz with {channels} channels; \
         only audio/x-mulaw at 8000 Hz mono is supported"
    )]
    UnsupportedMediaFormat {
        /// The announced encoding.
        encoding: String,
        /// The announced sample rate in hertz.
        sample_rate: u64,
        /// The announced channel count.
        channels: u64,
    },

    /// A `dtmf` message carries something other than one of `0`-`9`, `*` and `#`.
    #[error("invalid DTMF digit {digit:?} on stream {stream_sid}; expected 0-9, * or #")]
    InvalidDtmfDigit {
        /// The stream the digit arrived on.
        stream_sid: String,
        /// The `dtmf.digit` value as received.
        digit: String,
    },

    /// A `media` payload decodes (or would decode) to more than [`MAX_PAYLOAD_BYTES`].
    #[error(
        "media payload of {size} bytes on stream {stream_sid} exceeds the maximum of {max} bytes"
    )]
    OversizePayload {
        /// The stream the payload belongs to.
        stream_sid: String,
        /// The decoded size in bytes, or an upper bound when the payload was not decoded.
        size: usize,
        /// The limit, [`MAX_PAYLOAD_BYTES`].
        max: usize,
    },
}

/// Audio format announced in the `start` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFormat {
    /// MIME type of the audio, always [`MULAW_ENCODING`] once parsed.
    pub encoding: String,
    /// Samples per second, always [`MULAW_SAMPLE_RATE`] once parsed.
    pub sample_rate: u32,
    /// Channel count, always 1 once parsed.
    pub channels: u16,
}

/// The `start` message: the identity of the call and of its media stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartMessage {
    /// Twilio's id of the phone call (`CA…`).
    pub call_sid: String,
    /// Twilio's id of this media stream (`MZ…`).
    pub stream_sid: String,
    /// Twilio's id of the account that owns the call (`AC…`).
    pub account_sid: String,
    /// Tracks Twilio will send: `inbound`, `outbound` or both.
    pub tracks: Vec<String>,
    /// The `<Parameter>` values from the TwiML that started the stream.
    pub custom_parameters: BTreeMap<String, String>,
    /// Audio format of every `media` payload on this stream.
    pub media_format: MediaFormat,
}

impl From<StartMessage> for StreamStart {
    fn from(start: StartMessage) -> Self {
        StreamStart {
            call_sid: start.call_sid,
            stream_sid: start.stream_sid,
            custom_parameters: start.custom_parameters,
        }
    }
}

/// One message Twilio sends on a Media Streams WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundMessage {
    /// First message on the socket, before the stream has an id.
    Connected,
    /// The stream started.
    Start(StartMessage),
    /// Audio from one track.
    Media {
        /// The stream the audio belongs to.
        stream_sid: String,
        /// Position of this message among all messages on the socket, from 1.
        sequence_number: Option<u64>,
        /// Position of this payload among the media messages, from 1.
        chunk: Option<u64>,
        /// Presentation time in milliseconds since the stream started.
        timestamp_ms: Option<u64>,
        /// `inbound` (the caller) or `outbound` (what the call plays).
        track: String,
        /// Raw µ-law bytes at 8 kHz mono, with no header.
        payload: Vec<u8>,
    },
    /// A keypad digit the caller pressed.
    Dtmf {
        /// The stream the digit arrived on.
        stream_sid: String,
        /// One of `0`-`9`, `*` and `#`.
        digit: char,
    },
    /// Echo of a mark we sent: all audio queued before it was played or cleared.
    Mark {
        /// The stream the mark belongs to.
        stream_sid: String,
        /// The name we gave the mark.
        name: String,
    },
    /// The stream stopped, for example because the call ended.
    Stop {
        /// The stream that stopped.
        stream_sid: String,
        /// The call the stream belonged to.
        call_sid: String,
    },
}

/// A JSON number, or a string that should contain one.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum LenientNumber {
    Number(serde_json::Number),
    Text(String),
}

/// The fields every inbound message shares. The event body is parsed once `event` is known,
/// so an unrelated body never makes a message fail.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    event: Option<String>,
    stream_sid: Option<String>,
    sequence_number: Option<LenientNumber>,
    start: Option<serde_json::Value>,
    media: Option<serde_json::Value>,
    dtmf: Option<serde_json::Value>,
    mark: Option<serde_json::Value>,
    stop: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartBody {
    stream_sid: Option<String>,
    call_sid: Option<String>,
    account_sid: Option<String>,
    #[serde(default)]
    tracks: Vec<String>,
    #[serde(default)]
    custom_parameters: BTreeMap<String, String>,
    media_format: Option<MediaFormatBody>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaFormatBody {
    encoding: Option<String>,
    sample_rate: Option<LenientNumber>,
    channels: Option<LenientNumber>,
}

#[derive(Debug, Deserialize)]
struct MediaBody {
    track: Option<String>,
    chunk: Option<LenientNumber>,
    timestamp: Option<LenientNumber>,
    payload: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DtmfBody {
    digit: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MarkBody {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopBody {
    call_sid: Option<String>,
}

/// Parses one text frame from a Media Streams WebSocket.
///
/// Decodes `media` payloads from base64 into raw µ-law bytes and rejects a `start` whose
/// audio format is not µ-law, 8000 Hz, mono.
pub fn parse_inbound(text: &str) -> Result<InboundMessage, ProtocolError> {
    let envelope: Envelope = from_json(text, serde_json::from_str(text))?;
    let event = envelope.event.clone().ok_or(ProtocolError::MissingField {
        event: String::new(),
        field: "event",
    })?;

    match event.as_str() {
        "connected" => Ok(InboundMessage::Connected),
        "start" => parse_start(text, envelope),
        "media" => parse_media(text, envelope),
        "dtmf" => parse_dtmf(text, envelope),
        "mark" => parse_mark(text, envelope),
        "stop" => parse_stop(text, envelope),
        _ => Err(ProtocolError::UnknownEvent(event)),
    }
}

fn parse_start(text: &str, envelope: Envelope) -> Result<InboundMessage, ProtocolError> {
    let body: StartBody = parse_body(text, "start", envelope.start, "start")?;

    // The stream id appears both inside `start` and at the top level, and either will do.
    let stream_sid = body.stream_sid.or(envelope.stream_sid);
    let stream_sid = require("start", stream_sid, "start.streamSid")?;
    let call_sid = require("start", body.call_sid, "start.callSid")?;
    let account_sid = require("start", body.account_sid, "start.accountSid")?;
    let format = require("start", body.media_format, "start.mediaFormat")?;

    Ok(InboundMessage::Start(StartMessage {
        call_sid,
        stream_sid,
        account_sid,
        tracks: body.tracks,
        custom_parameters: body.custom_parameters,
        media_format: check_media_format(format)?,
    }))
}

/// Accepts only the one format Media Streams is documented to use.
fn check_media_format(format: MediaFormatBody) -> Result<MediaFormat, ProtocolError> {
    let encoding = require("start", format.encoding, "start.mediaFormat.encoding")?;
    let sample_rate = require("start", format.sample_rate, "start.mediaFormat.sampleRate")?;
    let sample_rate = to_u64(sample_rate, "start.mediaFormat.sampleRate")?;
    let channels = require("start", format.channels, "start.mediaFormat.channels")?;
    let channels = to_u64(channels, "start.mediaFormat.channels")?;

    if encoding != MULAW_ENCODING || sample_rate != u64::from(MULAW_SAMPLE_RATE) || channels != 1 {
        return Err(ProtocolError::UnsupportedMediaFormat {
            encoding,
            sample_rate,
            channels,
        });
    }

    Ok(MediaFormat {
        encoding,
        sample_rate: MULAW_SAMPLE_RATE,
        channels: 1,
    })
}

fn parse_media(text: &str, envelope: Envelope) -> Result<InboundMessage, ProtocolError> {
    let stream_sid = require("media", envelope.stream_sid, "streamSid")?;
    let sequence_number = optional_u64(envelope.sequence_number, "sequenceNumber")?;
    let body: MediaBody = parse_body(text, "media", envelope.media, "media")?;
    let track = require("media", body.track, "media.track")?;
    let chunk = optional_u64(body.chunk, "media.chunk")?;
    let timestamp_ms = optional_u64(body.timestamp, "media.timestamp")?;
    let encoded = require("media", body.payload, "media.payload")?;

    let payload = decode_payload(&stream_sid, &encoded)?;

    Ok(InboundMessage::Media {
        stream_sid,
        sequence_number,
        chunk,
        timestamp_ms,
        track,
        payload,
    })
}

/// Decodes a base64 payload, refusing to allocate for one larger than
/// [`MAX_PAYLOAD_BYTES`].
fn decode_payload(stream_sid: &str, encoded: &str) -> Result<Vec<u8>, ProtocolError> {
    let oversize = |size| ProtocolError::OversizePayload {
        stream_sid: stream_sid.to_owned(),
        size,
        max: MAX_PAYLOAD_BYTES,
    };

    // The estimate exceeds the decoded size by at most 2 bytes, so a payload that is
    // oversize by a byte or two is only caught after decoding.
    let estimate = base64::decoded_len_estimate(encoded.len());
    if estimate > MAX_PAYLOAD_BYTES + 2 {
        return Err(oversize(estimate));
    }

    let payload = BASE64
        .decode(encoded)
        .map_err(|source| ProtocolError::InvalidBase64 {
            stream_sid: stream_sid.to_owned(),
            source,
        })?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(oversize(payload.len()));
    }
    Ok(payload)
}

fn parse_dtmf(text: &str, envelope: Envelope) -> Result<InboundMessage, ProtocolError> {
    let stream_sid = require("dtmf", envelope.stream_sid, "streamSid")?;
    let body: DtmfBody = parse_body(text, "dtmf", envelope.dtmf, "dtmf")?;
    let digit_text = require("dtmf", body.digit, "dtmf.digit")?;

    let mut chars = digit_text.chars();
    let digit = match (chars.next(), chars.next()) {
        (Some(digit @ ('0'..='9' | '*' | '#')), None) => digit,
        _ => {
            return Err(ProtocolError::InvalidDtmfDigit {
                stream_sid,
                digit: digit_text,
            });
        }
    };

    Ok(InboundMessage::Dtmf { stream_sid, digit })
}

fn parse_mark(text: &str, envelope: Envelope) -> Result<InboundMessage, ProtocolError> {
    let stream_sid = require("mark", envelope.stream_sid, "streamSid")?;
    let body: MarkBody = parse_body(text, "mark", envelope.mark, "mark")?;
    let name = require("mark", body.name, "mark.name")?;
    Ok(InboundMessage::Mark { stream_sid, name })
}

fn parse_stop(text: &str, envelope: Envelope) -> Result<InboundMessage, ProtocolError> {
    let stream_sid = require("stop", envelope.stream_sid, "streamSid")?;
    let body: StopBody = parse_body(text, "stop", envelope.stop, "stop")?;
    let call_sid = require("stop", body.call_sid, "stop.callSid")?;
    Ok(InboundMessage::Stop {
        stream_sid,
        call_sid,
    })
}

/// Deserializes an event body, reporting a missing body as [`ProtocolError::MissingField`].
fn parse_body<T: DeserializeOwned>(
    text: &str,
    event: &str,
    body: Option<serde_json::Value>,
    field: &'static str,
) -> Result<T, ProtocolError> {
    let body = require(event, body, field)?;
    from_json(text, serde_json::from_value(body))
}

fn from_json<T>(text: &str, result: Result<T, serde_json::Error>) -> Result<T, ProtocolError> {
    result.map_err(|source| ProtocolError::InvalidJson {
        excerpt: excerpt(text),
        source,
    })
}

fn require<T>(event: &str, value: Option<T>, field: &'static str) -> Result<T, ProtocolError> {
    value.ok_or_else(|| ProtocolError::MissingField {
        event: event.to_owned(),
        field,
    })
}

fn optional_u64(
    value: Option<LenientNumber>,
    field: &'static str,
) -> Result<Option<u64>, ProtocolError> {
    value.map(|value| to_u64(value, field)).transpose()
}

fn to_u64(value: LenientNumber, field: &'static str) -> Result<u64, ProtocolError> {
    let parsed = match &value {
        LenientNumber::Number(number) => number.as_u64(),
        LenientNumber::Text(text) => text.parse().ok(),
    };
    parsed.ok_or_else(|| ProtocolError::InvalidNumber {
        field,
        value: match value {
            LenientNumber::Number(number) => number.to_string(),
            LenientNumber::Text(text) => format!("{text:?}"),
        },
    })
}

/// Returns the start of a rejected message, so an error never carries a whole frame.
fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Builds a `media` message that queues µ-law audio (8 kHz mono, no header) for playback.
pub fn media_message(stream_sid: &str, mulaw: &[u8]) -> String {
    json!({
        "event": "media",
        "streamSid": stream_sid,
        "media": { "payload": BASE64.encode(mulaw) },
    })
    .to_string()
}

/// Builds a `mark` message. Twilio echoes it once all audio sent before it has played or
/// has been cleared.
pub fn mark_message(stream_sid: &str, name: &str) -> String {
    json!({
        "event": "mark",
        "streamSid": stream_sid,
        "mark": { "name": name },
    })
    .to_string()
}

/// Builds a `clear` message, which drops all queued audio. Twilio then echoes every
/// pending mark.
pub fn clear_message(stream_sid: &str) -> String {
    json!({ "event": "clear", "streamSid": stream_sid }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const STREAM: &str = "MZ18ad3ab5a668481ce02b83e7395059f0";
    const CALL: &str = "CA76c4b3ab2a8d8e1d9b1a8e0c3b2a1f00";
    const ACCOUNT: &str = "AC11111111111111111111111111111111";

    fn start_json(media_format: &str) -> String {
        format!(
            r#"{{"event":"start","sequenceNumber":"1","start":{{"accountSid":"{ACCOUNT}",
            "streamSid":"{STREAM}","callSid":"{CALL}","tracks":["inbound"],
            "customParameters":{{"FirstName":"Jane"}},"mediaFormat":{media_format}}},
            "streamSid":"{STREAM}"}}"#
        )
    }

    fn media_json(sequence: &str, chunk: &str, timestamp: &str, payload: &str) -> String {
        format!(
            r#"{{"event":"media","sequenceNumber":{sequence},"media":{{"track":"inbound",
            "chunk":{chunk},"timestamp":{timestamp},"payload":"{payload}"}},
            "streamSid":"{STREAM}"}}"#
        )
    }

    #[test]
    fn connected_parses() {
        let text = r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#;
        assert_eq!(parse_inbound(text).unwrap(), InboundMessage::Connected);
    }

    #[test]
    fn start_parses() {
        let format = r#"{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}"#;
        let InboundMessage::Start(start) = parse_inbound(&start_json(format)).unwrap() else {
            panic!("expected a start message");
        };

        assert_eq!(start.call_sid, CALL);
        assert_eq!(start.stream_sid, STREAM);
        assert_eq!(start.account_sid, ACCOUNT);
        assert_eq!(start.tracks, vec!["inbound".to_owned()]);
        assert_eq!(start.custom_parameters.get("FirstName").unwrap(), "Jane");
        assert_eq!(start.custom_parameters.len(), 1);
        assert_eq!(start.media_format.encoding, MULAW_ENCODING);
        assert_eq!(start.media_format.sample_rate, 8000);
        assert_eq!(start.media_format.channels, 1);
    }

    #[test]
    fn start_converts_to_stream_start() {
        let format = r#"{"encoding":"audio/x-mulaw","sampleRate":"8000","channels":"1"}"#;
        let InboundMessage::Start(start) = parse_inbound(&start_json(format)).unwrap() else {
            panic!("expected a start message");
        };

        let stream_start = StreamStart::from(start);
        assert_eq!(stream_start.call_sid, CALL);
        assert_eq!(stream_start.stream_sid, STREAM);
        assert_eq!(
            stream_start.custom_parameters.get("FirstName").unwrap(),
            "Jane"
        );
    }

    #[test]
    fn start_takes_top_level_stream_sid() {
        let text = format!(
            r#"{{"event":"start","streamSid":"{STREAM}","start":{{"accountSid":"{ACCOUNT}",
            "callSid":"{CALL}","mediaFormat":{{"encoding":"audio/x-mulaw","sampleRate":8000,
            "channels":1}}}}}}"#
        );
        let InboundMessage::Start(start) = parse_inbound(&text).unwrap() else {
            panic!("expected a start message");
        };

        assert_eq!(start.stream_sid, STREAM);
        assert!(start.tracks.is_empty());
        assert!(start.custom_parameters.is_empty());
    }

    #[test]
    fn media_parses_string_counters() {
        let payload = BASE64.encode([0xFF, 0x7F, 0x00, 0x80]);
        let text = media_json(r#""4""#, r#""2""#, r#""5""#, &payload);

        let expected = InboundMessage::Media {
            stream_sid: STREAM.to_owned(),
            sequence_number: Some(4),
            chunk: Some(2),
            timestamp_ms: Some(5),
            track: "inbound".to_owned(),
            payload: vec![0xFF, 0x7F, 0x00, 0x80],
        };
        assert_eq!(parse_inbound(&text).unwrap(), expected);
    }

    #[test]
    fn media_parses_number_counters() {
        let payload = BASE64.encode([1, 2, 3]);
        let text = media_json("40", "20", "380", &payload);

        let InboundMessage::Media {
            sequence_number,
            chunk,
            timestamp_ms,
            payload,
            ..
        } = parse_inbound(&text).unwrap()
        else {
            panic!("expected a media message");
        };
        assert_eq!(sequence_number, Some(40));
        assert_eq!(chunk, Some(20));
        assert_eq!(timestamp_ms, Some(380));
        assert_eq!(payload, vec![1, 2, 3]);
    }

    #[test]
    fn media_counters_are_optional() {
        let text = format!(
            r#"{{"event":"media","streamSid":"{STREAM}","media":{{"track":"outbound",
            "payload":""}}}}"#
        );

        let expected = InboundMessage::Media {
            stream_sid: STREAM.to_owned(),
            sequence_number: None,
            chunk: None,
            timestamp_ms: None,
            track: "outbound".to_owned(),
            payload: Vec::new(),
        };
        assert_eq!(parse_inbound(&text).unwrap(), expected);
    }

    #[test]
    fn dtmf_parses() {
        for digit in ['0', '5', '9', '*', '#'] {
            let text = format!(
                r#"{{"event":"dtmf","streamSid":"{STREAM}","sequenceNumber":"5",
                "dtmf":{{"track":"inbound_track","digit":"{digit}"}}}}"#
            );
            let expected = InboundMessage::Dtmf {
                stream_sid: STREAM.to_owned(),
                digit,
            };
            assert_eq!(parse_inbound(&text).unwrap(), expected, "digit {digit}");
        }
    }

    #[test]
    fn mark_parses() {
        let text = format!(
            r#"{{"event":"mark","sequenceNumber":"4","streamSid":"{STREAM}",
            "mark":{{"name":"my label"}}}}"#
        );
        let expected = InboundMessage::Mark {
            stream_sid: STREAM.to_owned(),
            name: "my label".to_owned(),
        };
        assert_eq!(parse_inbound(&text).unwrap(), expected);
    }

    #[test]
    fn stop_parses() {
        let text = format!(
            r#"{{"event":"stop","sequenceNumber":"5","stop":{{"accountSid":"{ACCOUNT}",
            "callSid":"{CALL}"}},"streamSid":"{STREAM}"}}"#
        );
        let expected = InboundMessage::Stop {
            stream_sid: STREAM.to_owned(),
            call_sid: CALL.to_owned(),
        };
        assert_eq!(parse_inbound(&text).unwrap(), expected);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let text = format!(
            r#"{{"event":"mark","streamSid":"{STREAM}","extra":{{"a":[1,2]}},
            "media":"not an object","mark":{{"name":"m1","new":true}}}}"#
        );
        let expected = InboundMessage::Mark {
            stream_sid: STREAM.to_owned(),
            name: "m1".to_owned(),
        };
        assert_eq!(parse_inbound(&text).unwrap(), expected);
    }

    #[test]
    fn invalid_json_keeps_short_excerpt() {
        let text = format!("{{\"event\":\"media\",\"payload\":\"{}", "A".repeat(500));

        let error = parse_inbound(&text).unwrap_err();
        let ProtocolError::InvalidJson { excerpt, .. } = &error else {
            panic!("expected InvalidJson, got {error:?}");
        };
        assert!(text.starts_with(excerpt.trim_end_matches('…')));
        assert_eq!(excerpt.chars().count(), EXCERPT_CHARS + 1);
        assert!(error.to_string().len() < 300, "message too long: {error}");
    }

    #[test]
    fn wrong_field_type_is_invalid_json() {
        let text = format!(r#"{{"event":"mark","streamSid":"{STREAM}","mark":{{"name":7}}}}"#);
        let error = parse_inbound(&text).unwrap_err();
        assert!(
            matches!(error, ProtocolError::InvalidJson { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn missing_fields_are_named() {
        let cases = [
            (r#"{"protocol":"Call"}"#.to_owned(), "event"),
            (
                r#"{"event":"stop","stop":{"callSid":"CA1"}}"#.to_owned(),
                "streamSid",
            ),
            (
                format!(r#"{{"event":"stop","streamSid":"{STREAM}"}}"#),
                "stop",
            ),
            (
                format!(r#"{{"event":"stop","streamSid":"{STREAM}","stop":{{}}}}"#),
                "stop.callSid",
            ),
            (
                format!(
                    r#"{{"event":"media","streamSid":"{STREAM}","media":{{"track":"inbound"}}}}"#
                ),
                "media.payload",
            ),
            (
                format!(r#"{{"event":"mark","streamSid":"{STREAM}","mark":{{}}}}"#),
                "mark.name",
            ),
            (
                format!(r#"{{"event":"dtmf","streamSid":"{STREAM}","dtmf":{{}}}}"#),
                "dtmf.digit",
            ),
            (
                format!(
                    r#"{{"event":"start","start":{{"streamSid":"{STREAM}","callSid":"{CALL}"}}}}"#
                ),
                "start.accountSid",
            ),
            (
                format!(
                    r#"{{"event":"start","start":{{"streamSid":"{STREAM}","callSid":"{CALL}",
                    "accountSid":"{ACCOUNT}"}}}}"#
                ),
                "start.mediaFormat",
            ),
            (
                start_json(r#"{"encoding":"audio/x-mulaw","channels":1}"#),
                "start.mediaFormat.sampleRate",
            ),
        ];

        for (text, expected_field) in cases {
            match parse_inbound(&text) {
                Err(ProtocolError::MissingField { field, .. }) => {
                    assert_eq!(field, expected_field, "message {text}");
                }
                other => panic!("expected MissingField for {text}, got {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_event_is_named() {
        let text = format!(r#"{{"event":"transcript","streamSid":"{STREAM}"}}"#);
        match parse_inbound(&text) {
            Err(ProtocolError::UnknownEvent(event)) => assert_eq!(event, "transcript"),
            other => panic!("expected UnknownEvent, got {other:?}"),
        }
    }

    #[test]
    fn invalid_numbers_are_rejected() {
        let payload = BASE64.encode([1]);
        let cases = [
            (
                media_json(r#""four""#, "1", "1", &payload),
                "sequenceNumber",
                r#""four""#,
            ),
            (media_json("1", "-2", "1", &payload), "media.chunk", "-2"),
            (
                media_json("1", "1", "2.5", &payload),
                "media.timestamp",
                "2.5",
            ),
        ];

        for (text, expected_field, expected_value) in cases {
            match parse_inbound(&text) {
                Err(ProtocolError::InvalidNumber { field, value }) => {
                    assert_eq!(field, expected_field);
                    assert_eq!(value, expected_value);
                }
                other => panic!("expected InvalidNumber for {text}, got {other:?}"),
            }
        }
    }

    #[test]
    fn invalid_base64_names_stream() {
        let text = media_json("1", "1", "1", "not base64!");
        match parse_inbound(&text) {
            Err(ProtocolError::InvalidBase64 { stream_sid, .. }) => assert_eq!(stream_sid, STREAM),
            other => panic!("expected InvalidBase64, got {other:?}"),
        }
    }

    #[test]
    fn unsupported_media_formats_are_rejected() {
        let cases = [
            (
                r#"{"encoding":"audio/x-alaw","sampleRate":8000,"channels":1}"#,
                "audio/x-alaw",
                8000,
                1,
            ),
            (
                r#"{"encoding":"audio/x-mulaw","sampleRate":16000,"channels":1}"#,
                "audio/x-mulaw",
                16000,
                1,
            ),
            (
                r#"{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":2}"#,
                "audio/x-mulaw",
                8000,
                2,
            ),
        ];

        for (format, expected_encoding, expected_rate, expected_channels) in cases {
            match parse_inbound(&start_json(format)) {
                Err(ProtocolError::UnsupportedMediaFormat {
                    encoding,
                    sample_rate,
                    channels,
                }) => {
                    assert_eq!(encoding, expected_encoding);
                    assert_eq!(sample_rate, expected_rate);
                    assert_eq!(channels, expected_channels);
                }
                other => panic!("expected UnsupportedMediaFormat for {format}, got {other:?}"),
            }
        }
    }

    #[test]
    fn invalid_dtmf_digits_are_rejected() {
        for digit in ["", "12", "A", "x", " "] {
            let text = format!(
                r#"{{"event":"dtmf","streamSid":"{STREAM}","dtmf":{{"track":"inbound_track",
                "digit":"{digit}"}}}}"#
            );
            match parse_inbound(&text) {
                Err(ProtocolError::InvalidDtmfDigit {
                    stream_sid,
                    digit: received,
                }) => {
                    assert_eq!(stream_sid, STREAM);
                    assert_eq!(received, digit);
                }
                other => panic!("expected InvalidDtmfDigit for {digit:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn payload_at_maximum_is_accepted() {
        let text = media_json("1", "1", "1", &BASE64.encode(vec![0xFF; MAX_PAYLOAD_BYTES]));
        let InboundMessage::Media { payload, .. } = parse_inbound(&text).unwrap() else {
            panic!("expected a media message");
        };
        assert_eq!(payload.len(), MAX_PAYLOAD_BYTES);
    }

    #[test]
    fn oversize_payloads_are_rejected() {
        for size in [MAX_PAYLOAD_BYTES + 1, MAX_PAYLOAD_BYTES * 10] {
            let text = media_json("1", "1", "1", &BASE64.encode(vec![0xFF; size]));
            match parse_inbound(&text) {
                Err(ProtocolError::OversizePayload {
                    stream_sid,
                    size: reported,
                    max,
                }) => {
                    assert_eq!(stream_sid, STREAM);
                    assert!(reported >= size, "reported {reported} for {size}");
                    assert_eq!(max, MAX_PAYLOAD_BYTES);
                }
                other => panic!("expected OversizePayload for {size} bytes, got {other:?}"),
            }
        }
    }

    #[test]
    fn media_message_has_documented_shape() {
        let message: Value =
            serde_json::from_str(&media_message(STREAM, &[0xFF, 0x00, 0x7E])).unwrap();

        let expected = serde_json::json!({
            "event": "media",
            "streamSid": STREAM,
            "media": { "payload": "/wB+" },
        });
        assert_eq!(message, expected);
    }

    #[test]
    fn mark_message_has_documented_shape() {
        let message: Value =
            serde_json::from_str(&mark_message(STREAM, "utt-17 \"quoted\"")).unwrap();

        let expected = serde_json::json!({
            "event": "mark",
            "streamSid": STREAM,
            "mark": { "name": "utt-17 \"quoted\"" },
        });
        assert_eq!(message, expected);
    }

    #[test]
    fn clear_message_has_documented_shape() {
        let message: Value = serde_json::from_str(&clear_message(STREAM)).unwrap();

        let expected = serde_json::json!({ "event": "clear", "streamSid": STREAM });
        assert_eq!(message, expected);
    }

    #[test]
    fn mark_message_round_trips() {
        let inbound = parse_inbound(&mark_message(STREAM, "utt-3")).unwrap();

        let expected = InboundMessage::Mark {
            stream_sid: STREAM.to_owned(),
            name: "utt-3".to_owned(),
        };
        assert_eq!(inbound, expected);
    }
}
