//! Telephony transport adapters.
//!
//! An adapter owns one platform's wire protocol. It turns the platform's messages into
//! [`TransportEvent`]s for the call session and turns [`TransportCommand`]s back into the
//! platform's messages. Audio crosses this boundary as 8 kHz mono 16-bit PCM in 20 ms
//! frames, whatever codec the platform uses on the wire.

use std::collections::BTreeMap;

pub mod twilio;

/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;

/// Call identity announced by the platform when the media stream starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStart {
    /// The platform's id for the phone call.
    pub call_sid: String,
    /// The platform's id for this media stream.
    pub stream_sid: String,
    /// Values passed by the call set-up (caller number, account id, ...).
    pub custom_parameters: BTreeMap<String, String>,
}

/// Something the platform reported about the call.
#[derive(Debug, Clone, PartialEq)]
pub enum TransportEvent {
    /// The media stream started; always the first event of a call.
    Start(StreamStart),
    /// Caller audio: 8 kHz mono PCM, normally one 20 ms frame.
    Audio(Vec<i16>),
    /// A keypad digit (`0`-`9`, `*`, `#`) reported out of band by the platform.
    Dtmf(char),
    /// The platform finished playing (or discarded) all audio sent before the marker with
    /// this name.
    MarkerReached(String),
    /// The platform ended the stream (hang-up or call end).
    Stop,
}

/// Something the call session asks the platform to do.
#[derive(Debug, Clone, PartialEq)]
pub enum TransportCommand {
    /// Play 8 kHz mono PCM, one 20 ms frame ([`FRAME_SAMPLES`] samples).
    Audio(Vec<i16>),
    /// Report back with [`TransportEvent::MarkerReached`] when everything sent so far has
    /// been played.
    Marker(String),
    /// Drop all audio queued for playback; pending markers are reported at once.
    Clear,
}
