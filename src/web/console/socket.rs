//! The agent's WebSocket, `GET /console/ws`: JSON text messages for control and binary
//! messages for call audio.
//!
//! Binary messages carry 16-bit little-endian mono PCM at 16 kHz in both directions. The
//! socket converts to and from the call's 8 kHz 20 ms frames with [`StreamResampler`].
//!
//! Messages from the browser (`type` field): `set_state` {state}, `accept` {call_sid},
//! `mute` {muted}, `hold` {on}, `hang_up`, `disposition` {call_sid, disposition, note},
//! `refresh`. Messages to the browser: `state` {state}, `waiting` {calls}, `offered`
//! {call}, `offer_withdrawn` {call_sid}, `connected` {call_sid}, `hold` {on}, `caller_left`
//! {call_sid}, `call_ended` {call_sid}, `disposition_saved` {call_sid}, `error` {code,
//! detail}.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{info, warn};

use crate::agents::{Agent, AgentRole};
use crate::audio::resample::StreamResampler;
use crate::queue::{self, AgentCallLink, AgentEvent, AgentProfile, AgentState, Disposition, QueueService};

/// Browser audio rate, in Hz.
pub const BROWSER_RATE_HZ: u32 = 16_000;
/// Call audio rate, in Hz.
const CALL_RATE_HZ: u32 = 8_000;
/// Samples in one 20 ms call frame.
const CALL_FRAME_SAMPLES: usize = 160;
/// Samples in one 20 ms browser frame.
const BROWSER_FRAME_SAMPLES: usize = 320;
/// Largest message accepted from the browser, in bytes; a 20 ms frame is 640 bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// How often the waiting-call list is sent while it changes.
const WAITING_REFRESH: Duration = Duration::from_secs(2);

/// A control message from the browser.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    SetState { state: AgentState },
    Accept { call_sid: String },
    Mute { muted: bool },
    Hold { on: bool },
    HangUp,
    Disposition { call_sid: String, disposition: Disposition, note: String },
    Refresh,
}

/// The agent's call in progress, with both resamplers.
struct ActiveCall {
    call_sid: String,
    link: AgentCallLink,
    muted: bool,
    on_hold: bool,
    /// Browser microphone, 16 kHz, to the caller at 8 kHz.
    to_call: StreamResampler,
    to_call_pending: Vec<i16>,
    /// Caller audio, 8 kHz, to the browser at 16 kHz.
    to_browser: StreamResampler,
    dropped_frames: u64,
}

impl ActiveCall {
    fn new(call_sid: String, link: AgentCallLink) -> Result<Self, crate::audio::resample::ResampleError> {
        Ok(Self {
            call_sid,
            link,
            muted: false,
            on_hold: false,
            to_call: StreamResampler::new(BROWSER_RATE_HZ, CALL_RATE_HZ, BROWSER_FRAME_SAMPLES)?,
            to_call_pending: Vec::with_capacity(CALL_FRAME_SAMPLES * 4),
            to_browser: StreamResampler::new(CALL_RATE_HZ, BROWSER_RATE_HZ, CALL_FRAME_SAMPLES)?,
            dropped_frames: 0,
        })
    }

    /// Resamples one binary message of browser audio and sends whole 8 kHz frames to the
    /// caller. Nothing is sent while muted or on hold.
    fn microphone(&mut self, bytes: &[u8]) {
        if self.muted || self.on_hold {
            return;
        }
        let samples: Vec<i16> = bytes.chunks_exact(2).map(|pair| i16::from_le_bytes([pair[0], pair[1]])).collect();
        self.to_call.process(&samples, &mut self.to_call_pending);
        while self.to_call_pending.len() >= CALL_FRAME_SAMPLES {
            let frame: Vec<i16> = self.to_call_pending.drain(..CALL_FRAME_SAMPLES).collect();
            // The channel has room for about a second of audio; a full channel means the call side is stuck,
            // and late audio is worse than lost audio.
            if self.link.to_caller.try_send(frame).is_err() {
                self.dropped_frames += 1;
                if self.dropped_frames.is_power_of_two() {
                    warn!(call_sid = %self.call_sid, dropped = self.dropped_frames, "agent audio dropped: the call is not reading it");
                }
            }
        }
    }

    /// Resamples one caller frame to 16 kHz little-endian bytes for the browser.
    fn caller_frame(&mut self, frame: &[i16]) -> Vec<u8> {
        let mut resampled = Vec::with_capacity(self.to_browser.max_output_len(frame.len()));
        self.to_browser.process(frame, &mut resampled);
        resampled.iter().flat_map(|sample| sample.to_le_bytes()).collect()
    }
}

/// Runs the socket of `agent` until the browser closes it or another tab of the same
/// agent takes over the event stream.
pub async fn run_agent_socket(mut socket: WebSocket, queue: QueueService, agent: Agent) {
    queue.register_agent(profile(&agent));
    let mut events = match queue.agent_events(&agent.id) {
        Ok(events) => events,
        Err(error) => {
            warn!(agent_id = %agent.id, %error, "agent event stream unavailable");
            return;
        }
    };
    info!(agent_id = %agent.id, "agent console connected");

    let mut connection = Connection { agent_id: agent.id.clone(), queue: queue.clone(), call: None, last_waiting: Value::Null };
    let mut replaced = false;
    let mut refresh = tokio::time::interval(WAITING_REFRESH);
    if let Some(state) = connection.current_state() {
        if socket.send(state).await.is_err() {
            connection.disconnect();
            return;
        }
    }
    loop {
        let outgoing = tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => connection.control(text.as_str()),
                Some(Ok(Message::Binary(bytes))) => {
                    if let Some(call) = &mut connection.call {
                        call.microphone(&bytes);
                    }
                    Vec::new()
                }
                Some(Ok(_)) => Vec::new(),
                Some(Err(_)) | None => break,
            },
            event = events.recv() => match event {
                Some(event) => connection.queue_event(event),
                None => {
                    info!(agent_id = %agent.id, "agent console replaced by a newer connection");
                    replaced = true;
                    break;
                }
            },
            Some(frame) = recv_caller(&mut connection.call) => {
                let Some(call) = &mut connection.call else { continue };
                let bytes = call.caller_frame(&frame);
                vec![Message::Binary(bytes.into())]
            }
            _ = refresh.tick() => connection.waiting_if_changed(false),
        };
        for message in outgoing {
            if socket.send(message).await.is_err() {
                break;
            }
        }
    }

    // A newer tab owns the agent now, so its state and call are left alone.
    if !replaced {
        connection.disconnect();
    }
    info!(agent_id = %agent.id, "agent console disconnected");
}

/// Waits for the next caller frame; pending forever without a call, so `select!` skips it.
async fn recv_caller(call: &mut Option<ActiveCall>) -> Option<Vec<i16>> {
    match call {
        Some(call) => call.link.from_caller.recv().await,
        None => std::future::pending().await,
    }
}

fn profile(agent: &Agent) -> AgentProfile {
    let role = match agent.role {
        AgentRole::Agent => queue::AgentRole::Agent,
        AgentRole::Supervisor => queue::AgentRole::Supervisor,
    };
    AgentProfile { id: agent.id.clone(), name: agent.name.clone(), languages: agent.languages.clone(), role }
}

/// The queue side of one agent socket.
struct Connection {
    agent_id: String,
    queue: QueueService,
    call: Option<ActiveCall>,
    last_waiting: Value,
}

impl Connection {
    /// Carries out one control message and returns the replies.
    fn control(&mut self, text: &str) -> Vec<Message> {
        let message: ClientMessage = match serde_json::from_str(text) {
            Ok(message) => message,
            Err(error) => {
                warn!(agent_id = %self.agent_id, %error, "invalid console message");
                return vec![error_message("invalid_message", &error.to_string())];
            }
        };
        let result = match message {
            ClientMessage::SetState { state } => self.queue.set_state(&self.agent_id, state).map(|()| Vec::new()),
            ClientMessage::Accept { call_sid } => return self.accept(call_sid),
            ClientMessage::Mute { muted } => {
                if let Some(call) = &mut self.call {
                    call.muted = muted;
                }
                Ok(Vec::new())
            }
            ClientMessage::Hold { on } => self.hold(on),
            ClientMessage::HangUp => self.hang_up(),
            ClientMessage::Disposition { call_sid, disposition, note } => self
                .queue
                .set_disposition(&self.agent_id, &call_sid, disposition, note)
                .map(|()| vec![json_message(json!({ "type": "disposition_saved", "call_sid": call_sid }))]),
            ClientMessage::Refresh => Ok(self.waiting_if_changed(true)),
        };
        result.unwrap_or_else(|error| {
            warn!(agent_id = %self.agent_id, %error, "console action rejected");
            let mut replies = vec![error_message("rejected", &error.to_string())];
            // The page's state selector already shows the rejected choice, so resend the state.
            replies.extend(self.current_state());
            replies
        })
    }

    fn accept(&mut self, call_sid: String) -> Vec<Message> {
        let link = match self.queue.accept(&self.agent_id, &call_sid) {
            Ok(link) => link,
            Err(error) => {
                warn!(agent_id = %self.agent_id, %call_sid, %error, "accept rejected");
                return vec![error_message("accept_rejected", &error.to_string())];
            }
        };
        match ActiveCall::new(call_sid.clone(), link) {
            Ok(call) => self.call = Some(call),
            Err(error) => {
                warn!(agent_id = %self.agent_id, %call_sid, %error, "audio link cannot be resampled; hanging up");
                let _ = self.queue.hang_up(&self.agent_id);
                return vec![error_message("audio_unavailable", &error.to_string())];
            }
        }
        info!(agent_id = %self.agent_id, %call_sid, "agent accepted the call");
        vec![json_message(json!({ "type": "connected", "call_sid": call_sid }))]
    }

    fn hold(&mut self, on: bool) -> Result<Vec<Message>, queue::QueueError> {
        self.queue.hold(&self.agent_id, on)?;
        if let Some(call) = &mut self.call {
            call.on_hold = on;
        }
        Ok(vec![json_message(json!({ "type": "hold", "on": on }))])
    }

    fn hang_up(&mut self) -> Result<Vec<Message>, queue::QueueError> {
        self.queue.hang_up(&self.agent_id)?;
        let call_sid = self.call.take().map(|call| call.call_sid);
        info!(agent_id = %self.agent_id, call_sid = ?call_sid, "agent hung up");
        Ok(vec![json_message(json!({ "type": "call_ended", "call_sid": call_sid }))])
    }

    fn current_state(&self) -> Option<Message> {
        let snapshot = self.queue.agents().into_iter().find(|snapshot| snapshot.profile.id == self.agent_id)?;
        Some(json_message(json!({ "type": "state", "state": snapshot.state })))
    }

    /// Turns a queue event into messages for the browser.
    fn queue_event(&mut self, event: AgentEvent) -> Vec<Message> {
        let mut messages = match &event {
            AgentEvent::CallerLeft { call_sid } => {
                if self.call.as_ref().is_some_and(|call| &call.call_sid == call_sid) {
                    self.call = None;
                }
                vec![json_message(json!({ "type": "caller_left", "call_sid": call_sid }))]
            }
            AgentEvent::StateChanged { state } => vec![json_message(json!({ "type": "state", "state": state }))],
            _ => vec![json_message(serde_json::to_value(&event).unwrap_or(Value::Null))],
        };
        messages.extend(self.waiting_if_changed(false));
        messages
    }

    /// Returns the waiting-call list when it changed since last sent, or always if `force`.
    /// The list leaves out the context cards: an agent sees a card when the call is offered.
    fn waiting_if_changed(&mut self, force: bool) -> Vec<Message> {
        let calls: Vec<Value> = self
            .queue
            .waiting_calls()
            .into_iter()
            .map(|call| {
                json!({
                    "call_sid": call.call_sid,
                    "reason": call.reason,
                    "waited_secs": call.waited_secs,
                    "priority": call.priority,
                    "position": call.position,
                    "offered_to": call.offered_to,
                })
            })
            .collect();
        let list = Value::Array(calls);
        if !force && list == self.last_waiting {
            return Vec::new();
        }
        self.last_waiting = list.clone();
        vec![json_message(json!({ "type": "waiting", "calls": list }))]
    }

    /// Hangs up a call left open and sets the agent away, so that no call is offered to a
    /// closed console.
    fn disconnect(&mut self) {
        if self.call.take().is_some()
            && let Err(error) = self.queue.hang_up(&self.agent_id)
        {
            warn!(agent_id = %self.agent_id, %error, "hang-up on disconnect failed");
        }
        if let Err(error) = self.queue.set_state(&self.agent_id, AgentState::Away) {
            warn!(agent_id = %self.agent_id, %error, "setting the agent away on disconnect failed");
        }
    }
}

fn json_message(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

fn error_message(code: &str, detail: &str) -> Message {
    json_message(json!({ "type": "error", "code": code, "detail": detail }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    fn call_with_link() -> (ActiveCall, mpsc::Receiver<Vec<i16>>, mpsc::Sender<Vec<i16>>) {
        let (to_caller, caller_receives) = mpsc::channel(100);
        let (caller_sends, from_caller) = mpsc::channel(100);
        let call = ActiveCall::new("CA1".into(), AgentCallLink { from_caller, to_caller }).unwrap();
        (call, caller_receives, caller_sends)
    }

    fn browser_bytes(samples: usize) -> Vec<u8> {
        (0..samples).flat_map(|n| (((n as f64 * 0.1).sin() * 10_000.0) as i16).to_le_bytes()).collect()
    }

    #[test]
    fn microphone_becomes_call_frames() {
        let (mut call, mut caller_receives, _) = call_with_link();

        for _ in 0..10 {
            call.microphone(&browser_bytes(BROWSER_FRAME_SAMPLES));
        }

        let mut samples = 0;
        while let Ok(frame) = caller_receives.try_recv() {
            assert_eq!(frame.len(), CALL_FRAME_SAMPLES);
            samples += frame.len();
        }
        // 200 ms at 8 kHz is 1600 samples, less what the resampler still buffers.
        assert!((1_000..=1_600).contains(&samples), "{samples} samples");
    }

    #[test]
    fn muted_or_held_microphone_sends_nothing() {
        let (mut call, mut caller_receives, _) = call_with_link();

        call.muted = true;
        call.microphone(&browser_bytes(BROWSER_FRAME_SAMPLES * 5));
        call.muted = false;
        call.on_hold = true;
        call.microphone(&browser_bytes(BROWSER_FRAME_SAMPLES * 5));

        assert!(caller_receives.try_recv().is_err());
    }

    #[test]
    fn caller_frame_doubles_rate() {
        let (mut call, _, _) = call_with_link();
        let frame: Vec<i16> = (0..CALL_FRAME_SAMPLES).map(|n| ((n as f64 * 0.2).sin() * 8_000.0) as i16).collect();

        let mut bytes = 0;
        for _ in 0..10 {
            bytes += call.caller_frame(&frame).len();
        }

        // 10 frames of 160 samples at 8 kHz are 3200 samples (6400 bytes) at 16 kHz, less
        // the resampler's buffered tail.
        assert!((4_000..=6_400).contains(&bytes), "{bytes} bytes");
        assert_eq!(bytes % 2, 0);
    }

    #[test]
    fn control_message_parses_disposition() {
        let message: ClientMessage =
            serde_json::from_str(r#"{"type":"disposition","call_sid":"CA1","disposition":"plan_agreed","note":"6 plazos"}"#).unwrap();

        assert!(matches!(message, ClientMessage::Disposition { disposition: Disposition::PlanAgreed, .. }));
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"set_state","state":"on_call"}"#).is_ok());
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"explode"}"#).is_err());
    }
}
