//! The platform's side of one call: opens the media socket like Twilio does, streams the
//! caller's audio in real time, plays back (and echoes marks for) the assistant's audio.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::audio::g711::{self, G711Law};
use crate::transport::FRAME_SAMPLES;

use super::scenario::{Scenario, Turn};

/// How to run a call.
#[derive(Debug, Clone)]
pub struct CallOptions {
    /// `ws://host:port/twilio/media`.
    pub url: String,
    /// Folder that scenario audio paths are relative to.
    pub audio_root: PathBuf,
    /// Speed-up over real time (1 = real time).
    pub speed: u32,
    /// Maximum wait for the assistant, in call milliseconds, before the call fails.
    pub answer_timeout_ms: u64,
}

/// Report of one replayed call.
#[derive(Debug, Clone, Serialize)]
pub struct CallReport {
    /// The call id the replay made up.
    pub call_sid: String,
    /// The stream id the replay made up.
    pub stream_sid: String,
    /// Caller audio (left) and assistant audio as played (right), 8 kHz.
    #[serde(skip)]
    pub stereo: Vec<[i16; 2]>,
    /// Caller actions with their call time in milliseconds.
    pub timeline: Vec<Value>,
    /// Call milliseconds from each turn's last caller frame to the assistant's first reply
    /// frame, for the turns that ended while the assistant was silent.
    pub turn_latencies_ms: Vec<u64>,
    /// The scenario turn (1-based) of each entry of `turn_latencies_ms`.
    pub timed_turns: Vec<usize>,
    /// Outbound frames that arrived after the caller's playback had run dry mid-prompt.
    pub late_frames: u64,
    /// Whether the server closed the call (rather than the replay hanging up or timing out).
    pub closed_by_server: bool,
}

/// Failures of the call itself (expectations are checked elsewhere).
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("failed to connect to {url}: {source}")]
    Connect { url: String, source: Box<tokio_tungstenite::tungstenite::Error> },
    #[error("media socket failed: {0}")]
    Socket(Box<tokio_tungstenite::tungstenite::Error>),
    #[error("failed to read caller audio {path}: {message}")]
    Audio { path: String, message: String },
    #[error("the assistant did not finish speaking within {0} ms of call time before turn {1}")]
    NoAnswer(u64, usize),
    #[error("invalid message from the server: {0}")]
    Protocol(String),
}

/// One entry of the simulated phone's playback buffer.
enum Playback {
    Frame(Vec<i16>),
    Mark(String),
}

/// Generates a unique id with a Twilio-style prefix (`CA`, `MZ`) and 32 hex digits.
pub fn make_sid(prefix: &str) -> String {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let seed = format!("{nanos}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    let digest = Sha256::digest(seed.as_bytes());
    let hex: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
    format!("{prefix}{hex}")
}

struct PhoneCall {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    stream_sid: String,
    playback: VecDeque<Playback>,
    now_ms: u64,
    sequence: u64,
    stereo: Vec<[i16; 2]>,
    /// Call time of the last assistant frame played, and whether any was played since a mark.
    last_assistant_ms: Option<u64>,
    assistant_frames_since_turn: u64,
    waiting_first_reply_since: Option<u64>,
    /// Whether the current turn's reply is timed into `turn_latencies_ms`.
    time_reply: bool,
    turn_latencies_ms: Vec<u64>,
    timed_turns: Vec<usize>,
    /// Scenario turn being played (1-based).
    turn_number: usize,
    /// True while the last played frame was mid-prompt (more frames expected before a mark).
    mid_prompt: bool,
    late_frames: u64,
    closed: bool,
    encode_buffer: Vec<u8>,
    tick: Duration,
    /// Time the next caller frame is due. Frames are paced against this clock, not by
    /// sleeping a fixed tick after each send, so that send and receive time add no drift.
    next_frame_at: tokio::time::Instant,
}

/// Frames the pacing clock may fall behind before it is reset instead of catching up
/// with a burst of frames.
const MAX_PACING_LAG_FRAMES: u32 = 10;

/// Runs one call of `scenario` and returns what happened.
pub async fn run_call(scenario: &Scenario, options: &CallOptions) -> Result<CallReport, CallError> {
    let (socket, _) = tokio_tungstenite::connect_async(options.url.as_str())
        .await
        .map_err(|source| CallError::Connect { url: options.url.clone(), source: Box::new(source) })?;
    let call_sid = make_sid("CA");
    let stream_sid = make_sid("MZ");
    let mut call = PhoneCall {
        socket,
        stream_sid: stream_sid.clone(),
        playback: VecDeque::new(),
        now_ms: 0,
        sequence: 0,
        stereo: Vec::new(),
        last_assistant_ms: None,
        assistant_frames_since_turn: 0,
        waiting_first_reply_since: None,
        time_reply: false,
        turn_latencies_ms: Vec::new(),
        timed_turns: Vec::new(),
        turn_number: 0,
        mid_prompt: false,
        late_frames: 0,
        closed: false,
        encode_buffer: Vec::with_capacity(FRAME_SAMPLES),
        tick: Duration::from_micros(20_000 / u64::from(options.speed.max(1))),
        next_frame_at: tokio::time::Instant::now(),
    };
    let mut timeline = Vec::new();

    call.start(&call_sid, scenario).await?;
    for (index, turn) in scenario.turns.iter().enumerate() {
        if call.closed {
            break;
        }
        call.wait_for_cue(turn, options.answer_timeout_ms, index + 1).await?;
        if call.closed {
            break;
        }
        timeline.push(json!({ "turn": index + 1, "at_ms": call.now_ms, "action": describe(turn) }));
        // A turn that starts while the assistant is speaking has no reply to time, unless
        // the server accepts it as a barge-in and clears the playback (see `receive`).
        call.time_reply = call.playback.is_empty() && !call.mid_prompt;
        call.turn_number = index + 1;
        call.act(turn, &options.audio_root).await?;
        if call.time_reply && turn.keys.is_none() {
            call.waiting_first_reply_since = Some(call.now_ms);
        }
        call.assistant_frames_since_turn = 0;
    }

    // Let the server finish: stream silence until it closes the call, or give up.
    let deadline = call.now_ms + options.answer_timeout_ms;
    while !call.closed && call.now_ms < deadline {
        call.step(&[0; FRAME_SAMPLES]).await?;
    }
    if !call.closed {
        call.hang_up().await?;
    }
    let closed_by_server = call.closed && !timeline.iter().any(|entry| entry["action"] == "hangup");

    Ok(CallReport {
        call_sid,
        stream_sid,
        stereo: call.stereo,
        timeline,
        turn_latencies_ms: call.turn_latencies_ms,
        timed_turns: call.timed_turns,
        late_frames: call.late_frames,
        closed_by_server,
    })
}

fn describe(turn: &Turn) -> String {
    if let Some(audio) = &turn.audio {
        format!("say {}", audio.display())
    } else if let Some(keys) = &turn.keys {
        format!("keys {keys}")
    } else if let Some(tones) = &turn.tones {
        format!("tones {tones}")
    } else if let Some(ms) = turn.silence_ms {
        format!("silence {ms} ms")
    } else {
        "hangup".to_owned()
    }
}

impl PhoneCall {
    async fn start(&mut self, call_sid: &str, scenario: &Scenario) -> Result<(), CallError> {
        let mut parameters = serde_json::Map::new();
        if let Some(caller) = &scenario.caller {
            parameters.insert("caller".into(), caller.clone().into());
        }
        for (name, value) in &scenario.parameters {
            parameters.insert(name.clone(), value.clone().into());
        }
        self.send(json!({ "event": "connected", "protocol": "Call", "version": "1.0.0" })).await?;
        let start = json!({
            "event": "start",
            "sequenceNumber": self.next_sequence(),
            "start": {
                "accountSid": "AC00000000000000000000000000000000",
                "streamSid": self.stream_sid,
                "callSid": call_sid,
                "tracks": ["inbound"],
                "customParameters": parameters,
                "mediaFormat": { "encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1 }
            },
            "streamSid": self.stream_sid,
        });
        self.send(start).await
    }

    /// Streams silence until the turn's cue: the assistant finished (or, for barge-in,
    /// started) speaking.
    async fn wait_for_cue(&mut self, turn: &Turn, timeout_ms: u64, number: usize) -> Result<(), CallError> {
        let deadline = self.now_ms + timeout_ms;
        while !self.closed {
            let cue = if turn.barge_in {
                self.assistant_frames_since_turn * 20 >= turn.pause_ms
            } else {
                // A hang-up does not wait for a reply, only for the line to be quiet.
                (self.assistant_frames_since_turn > 0 || turn.hangup)
                    && self.playback.is_empty()
                    && self.last_assistant_ms.is_none_or(|last| self.now_ms >= last + turn.pause_ms)
            };
            if cue {
                return Ok(());
            }
            if self.now_ms >= deadline {
                return Err(CallError::NoAnswer(timeout_ms, number));
            }
            self.step(&[0; FRAME_SAMPLES]).await?;
        }
        Ok(())
    }

    async fn act(&mut self, turn: &Turn, audio_root: &Path) -> Result<(), CallError> {
        if let Some(path) = &turn.audio {
            let full = audio_root.join(path);
            let samples = crate::audio::decode::decode_file_to_8k(&full)
                .map_err(|error| CallError::Audio { path: full.display().to_string(), message: error.to_string() })?;
            for chunk in samples.chunks(FRAME_SAMPLES) {
                let mut frame = chunk.to_vec();
                frame.resize(FRAME_SAMPLES, 0);
                self.step(&frame).await?;
            }
        } else if let Some(keys) = &turn.keys {
            for key in keys.chars() {
                let message = json!({
                    "event": "dtmf",
                    "streamSid": self.stream_sid,
                    "sequenceNumber": self.next_sequence(),
                    "dtmf": { "track": "inbound_track", "digit": key.to_string() },
                });
                self.send(message).await?;
                // The server replies to a key at once, often within the key's own frames,
                // so the reply is timed from the key sent last.
                if self.time_reply {
                    self.waiting_first_reply_since = Some(self.now_ms);
                }
                for _ in 0..5 {
                    self.step(&[0; FRAME_SAMPLES]).await?;
                }
            }
        } else if let Some(tones) = &turn.tones {
            for key in tones.chars() {
                for frame in dtmf_tone(key, 100).chunks(FRAME_SAMPLES) {
                    self.step(frame).await?;
                }
                for _ in 0..5 {
                    self.step(&[0; FRAME_SAMPLES]).await?;
                }
            }
        } else if let Some(ms) = turn.silence_ms {
            for _ in 0..ms.div_ceil(20) {
                self.step(&[0; FRAME_SAMPLES]).await?;
            }
        } else if turn.hangup {
            self.hang_up().await?;
        }
        Ok(())
    }

    async fn hang_up(&mut self) -> Result<(), CallError> {
        let stop = json!({
            "event": "stop",
            "sequenceNumber": self.next_sequence(),
            "streamSid": self.stream_sid,
            "stop": { "accountSid": "AC00000000000000000000000000000000", "callSid": "" },
        });
        // The server may already have closed; a failed send then changes nothing.
        let _ = self.send(stop).await;

        // Like Twilio, let the server end the call and close first. Closing at once with
        // its media still unread would reset the TCP connection, and a reset can discard
        // the `stop` before the server reads it.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => break,
                Ok(Some(Ok(_))) => {}
            }
        }
        let _ = self.socket.close(None).await;
        self.closed = true;
        Ok(())
    }

    /// Sends one 20 ms caller frame, plays one assistant frame, and reads what the server sent.
    async fn step(&mut self, caller: &[i16]) -> Result<(), CallError> {
        if self.closed {
            return Ok(());
        }
        self.encode_buffer.clear();
        g711::encode_into(G711Law::Mulaw, caller, &mut self.encode_buffer);
        let payload = base64::engine::general_purpose::STANDARD.encode(&self.encode_buffer);
        let chunk = self.now_ms / 20 + 1;
        let media = json!({
            "event": "media",
            "sequenceNumber": self.next_sequence(),
            "media": { "track": "inbound", "chunk": chunk.to_string(), "timestamp": self.now_ms.to_string(), "payload": payload },
            "streamSid": self.stream_sid,
        });
        if let Err(error) = self.send(media).await {
            // A server that hung up closes the socket; that ends the call, not the replay.
            if self.closed {
                return Ok(());
            }
            return Err(error);
        }

        let assistant = self.play_one_frame().await?;
        let caller_frame = caller.iter().copied().chain(std::iter::repeat(0)).take(FRAME_SAMPLES);
        for (left, right) in caller_frame.zip(assistant.iter().copied()) {
            self.stereo.push([left, right]);
        }
        self.now_ms += 20;

        self.next_frame_at += self.tick;
        let now = tokio::time::Instant::now();
        if now > self.next_frame_at + self.tick * MAX_PACING_LAG_FRAMES {
            self.next_frame_at = now;
        }
        let tick = tokio::time::sleep_until(self.next_frame_at);
        tokio::pin!(tick);
        loop {
            // Messages first: a phone that is behind its clock must still read everything
            // the server sent, or the server blocks on a full socket.
            tokio::select! {
                biased;
                message = self.socket.next() => match message {
                    None | Some(Ok(Message::Close(_))) => {
                        self.closed = true;
                        break;
                    }
                    Some(Err(error)) => {
                        self.closed = true;
                        return Err(CallError::Socket(Box::new(error)));
                    }
                    Some(Ok(Message::Text(text))) => self.receive(&text).await?,
                    Some(Ok(_)) => {}
                },
                _ = &mut tick => break,
            }
        }
        Ok(())
    }

    /// Plays the next assistant frame (or silence) and echoes marks that became due.
    async fn play_one_frame(&mut self) -> Result<Vec<i16>, CallError> {
        self.echo_due_marks().await?;
        match self.playback.pop_front() {
            Some(Playback::Frame(frame)) => {
                if let Some(since) = self.waiting_first_reply_since.take() {
                    self.turn_latencies_ms.push(self.now_ms - since);
                    self.timed_turns.push(self.turn_number);
                }
                self.last_assistant_ms = Some(self.now_ms + 20);
                self.assistant_frames_since_turn += 1;
                self.mid_prompt = true;
                self.echo_due_marks().await?;
                Ok(frame)
            }
            Some(Playback::Mark(_)) => unreachable!("echo_due_marks leaves a frame or nothing at the front"),
            None => {
                if self.mid_prompt {
                    self.late_frames += 1;
                }
                Ok(vec![0; FRAME_SAMPLES])
            }
        }
    }

    async fn echo_due_marks(&mut self) -> Result<(), CallError> {
        while let Some(Playback::Mark(_)) = self.playback.front() {
            let Some(Playback::Mark(name)) = self.playback.pop_front() else { break };
            self.mid_prompt = false;
            self.echo_mark(&name).await?;
        }
        Ok(())
    }

    async fn echo_mark(&mut self, name: &str) -> Result<(), CallError> {
        let message = json!({
            "event": "mark",
            "sequenceNumber": self.next_sequence(),
            "streamSid": self.stream_sid,
            "mark": { "name": name },
        });
        self.send(message).await
    }

    async fn receive(&mut self, text: &str) -> Result<(), CallError> {
        let message: Value = serde_json::from_str(text).map_err(|error| CallError::Protocol(error.to_string()))?;
        if message["streamSid"] != self.stream_sid.as_str() {
            return Err(CallError::Protocol(format!("message for another stream: {text:.120}")));
        }
        match message["event"].as_str() {
            Some("media") => {
                let payload = message["media"]["payload"].as_str().unwrap_or_default();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(payload)
                    .map_err(|error| CallError::Protocol(format!("invalid base64 payload: {error}")))?;
                if bytes.len() != FRAME_SAMPLES {
                    return Err(CallError::Protocol(format!("media payload of {} bytes; expected 160", bytes.len())));
                }
                let mut frame = Vec::with_capacity(FRAME_SAMPLES);
                g711::decode_into(G711Law::Mulaw, &bytes, &mut frame);
                self.playback.push_back(Playback::Frame(frame));
            }
            Some("mark") => {
                let name = message["mark"]["name"].as_str().unwrap_or_default().to_owned();
                self.playback.push_back(Playback::Mark(name));
            }
            Some("clear") => {
                // Twilio drops queued audio and reports every pending mark at once.
                let pending: Vec<String> = self
                    .playback
                    .drain(..)
                    .filter_map(|item| match item {
                        Playback::Mark(name) => Some(name),
                        Playback::Frame(_) => None,
                    })
                    .collect();
                self.mid_prompt = false;
                self.time_reply = true;
                for name in pending {
                    self.echo_mark(&name).await?;
                }
            }
            other => return Err(CallError::Protocol(format!("unexpected event {other:?}"))),
        }
        Ok(())
    }

    async fn send(&mut self, message: Value) -> Result<(), CallError> {
        match self.socket.send(Message::Text(message.to_string().into())).await {
            Ok(()) => Ok(()),
            Err(error) => {
                self.closed = true;
                Err(CallError::Socket(Box::new(error)))
            }
        }
    }

    fn next_sequence(&mut self) -> String {
        self.sequence += 1;
        self.sequence.to_string()
    }
}

/// Synthesises a DTMF tone (the key's row and column sines) at 8 kHz.
pub fn dtmf_tone(key: char, duration_ms: u32) -> Vec<i16> {
    const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLUMNS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    const KEYS: [&str; 4] = ["123A", "456B", "789C", "*0#D"];
    let Some((row, column)) = KEYS.iter().enumerate().find_map(|(row, keys)| keys.find(key).map(|column| (row, column))) else {
        return Vec::new();
    };
    let samples = duration_ms as usize * 8;
    (0..samples)
        .map(|n| {
            let t = n as f32 / 8000.0;
            let value = (2.0 * std::f32::consts::PI * ROWS[row] * t).sin() + (2.0 * std::f32::consts::PI * COLUMNS[column] * t).sin();
            (value * 8000.0) as i16
        })
        .collect()
}
