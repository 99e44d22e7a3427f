//! The async driver of one call: reads the platform's WebSocket, runs the [`CallSession`]
//! state machine, and carries out its outputs (socket, recogniser, journal, recording).
//!
//! Everything slow runs elsewhere: Vosk decodes on the call's own blocking thread and the
//! journal writes on the storage writer thread, so this task only moves frames.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::audio::recording::CallRecorder;
use crate::audio::resample::StreamResampler;
use crate::dialogue::payment::{LinkTemplate, PaymentLinkSender};
use crate::queue::{AgentLink, HandoffEvent, HandoffRequest, LeaveReason};
use crate::dialogue::{CallContext, Utterance};
use crate::storage::outcomes::save_outcome;
use crate::recognition::{RecognitionEvent, RecognizerHandle, SpeechModel, spawn_recognizer};
use crate::storage::{CallStart, Journal};
use crate::transport::twilio::adapter::{AdapterError, TwilioAdapter};
use crate::transport::{StreamStart, TransportCommand, TransportEvent};
use crate::web::metrics::Metrics;

use super::call::{CallSession, HandoffUpdate, PromptAudio, QueueExit, RecognizerCommand, SessionConfig, SessionOutput};

/// Builds the dialogue for a new call. It may read the database, so the driver calls it
/// on a blocking thread.
pub trait DialogueFactory: Send + Sync {
    /// Creates the dialogue for the call described by `context`.
    fn create(&self, context: &CallContext) -> Box<dyn crate::dialogue::Dialogue>;
}

/// The conversation of a call whose dialogue could not be created: an apology, then the
/// end of the call, rather than a dead line.
struct SystemErrorDialogue;

impl crate::dialogue::Dialogue for SystemErrorDialogue {
    fn start(&mut self, _context: &CallContext) -> Vec<crate::dialogue::Action> {
        vec![
            crate::dialogue::Action::Play(crate::dialogue::Prompt::clip("system_error")),
            crate::dialogue::Action::Hangup { reason: "system_error".to_owned() },
        ]
    }

    fn handle(&mut self, _event: crate::dialogue::DialogueEvent) -> Vec<crate::dialogue::Action> {
        Vec::new()
    }

    fn state(&self) -> &str {
        "system_error"
    }
}

/// Destination of handed-off calls: the agent queue behind a narrow interface, so the
/// driver does not depend on how the queue is built.
pub trait HandoffQueue: Send + Sync {
    /// Puts a call in the queue; the receiver reports what happens to it.
    fn enqueue(&self, request: HandoffRequest) -> Result<(Box<dyn QueueTicket>, mpsc::UnboundedReceiver<HandoffEvent>), String>;
}

/// A call's place in the queue.
pub trait QueueTicket: Send {
    /// Takes the call out of the queue (or ends its agent call).
    fn leave(self: Box<Self>, reason: LeaveReason);
}

/// Sends payment links: renders the link and hands it to the configured sender.
pub struct PaymentLinks {
    /// Builds the link URL.
    pub template: LinkTemplate,
    /// Delivers the link (outbox table or webhook).
    pub sender: Arc<dyn PaymentLinkSender>,
}

/// Services shared by every call.
pub struct CallServices {
    /// Session settings (the same for every call).
    pub session: SessionConfig,
    /// Journal of calls and events.
    pub journal: Journal,
    /// Server metrics.
    pub metrics: Arc<Metrics>,
    /// The speech model, when one loaded.
    pub model: Option<SpeechModel>,
    /// Decoded prompt audio.
    pub prompts: Arc<dyn PromptAudio>,
    /// Creates each call's dialogue.
    pub dialogues: Arc<dyn DialogueFactory>,
    /// Sender of the payment links the dialogue requests.
    pub payment_links: Option<PaymentLinks>,
    /// The agent queue for handoffs; `None` means callers cannot reach a person here.
    pub handoff_queue: Option<Arc<dyn HandoffQueue>>,
    /// Language skill handed-off calls need (the locale's language, such as `es`).
    pub language: String,
    /// Folder for call recordings; `None` turns recording off.
    pub recordings_dir: Option<std::path::PathBuf>,
    /// No message from the platform for this long ends the call.
    pub media_timeout: Duration,
    /// Interval of WebSocket pings to the platform.
    pub ping_interval: Duration,
    /// Becomes true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// Cause of a read loop that stopped before the session ended.
enum Disconnect {
    Closed,
    TimedOut,
    Failed(String),
    Shutdown,
}

impl Disconnect {
    fn reason(&self) -> &'static str {
        match self {
            Self::Closed => "connection_closed",
            Self::TimedOut => "media_timeout",
            Self::Failed(_) => "connection_error",
            Self::Shutdown => "server_shutdown",
        }
    }
}

/// Runs one Twilio Media Streams socket until the call ends.
pub async fn run_twilio_call(mut socket: WebSocket, services: Arc<CallServices>) {
    let mut adapter = TwilioAdapter::new();
    let Some(start) = wait_for_start(&mut socket, &mut adapter, &services).await else {
        return;
    };
    let span = info_span!("call", call_sid = %start.call_sid, stream_sid = %start.stream_sid);
    let driver = CallDriver::new(socket, adapter, start, services).instrument(span.clone()).await;
    driver.run().instrument(span).await;
}

/// Reads messages until `start`; returns `None` when the socket ends or sends junk first.
async fn wait_for_start(socket: &mut WebSocket, adapter: &mut TwilioAdapter, services: &CallServices) -> Option<StreamStart> {
    let mut events = Vec::new();
    loop {
        let message = match tokio::time::timeout(services.media_timeout, socket.recv()).await {
            Err(_) => {
                warn!("media socket sent no start message in time; closed");
                return None;
            }
            Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(message))) => message,
        };
        let Message::Text(text) = message else { continue };
        match adapter.handle_text(&text, &mut events) {
            Ok(()) => {}
            Err(error) => {
                Metrics::count(&services.metrics.bad_messages, error.kind());
                if error.is_fatal() {
                    record_rejected_start(&text, &error, services);
                    let _ = socket.send(close_message(1003, "unsupported media format")).await;
                    return None;
                }
                warn!(%error, "message before the stream started skipped");
                continue;
            }
        }
        for event in events.drain(..) {
            if let TransportEvent::Start(start) = event {
                return Some(start);
            }
        }
    }
}

/// Records a call whose start message was unusable, so it does not vanish without trace.
fn record_rejected_start(text: &str, error: &AdapterError, services: &CallServices) {
    let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let call_sid = value["start"]["callSid"].as_str().unwrap_or_default().to_owned();
    let stream_sid = value["streamSid"].as_str().unwrap_or_default().to_owned();
    warn!(%call_sid, %stream_sid, %error, "call rejected at start");
    if call_sid.is_empty() {
        return;
    }
    services.journal.call_started(CallStart {
        call_sid: call_sid.clone(),
        stream_sid,
        transport: "twilio".to_owned(),
        caller_number: None,
        account_id: None,
        started_at: chrono::Utc::now(),
    });
    services.journal.event(&call_sid, "error", json!({ "error": error.to_string() }));
    services.journal.call_ended(&call_sid, error.kind());
    Metrics::count(&services.metrics.calls_ended, error.kind());
}

fn close_message(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

struct CallDriver {
    socket: WebSocket,
    adapter: TwilioAdapter,
    services: Arc<CallServices>,
    call_sid: String,
    session: CallSession,
    recognizer: Option<RecognizerHandle>,
    recognition_events: Option<mpsc::UnboundedReceiver<RecognitionEvent>>,
    ticket: Option<Box<dyn QueueTicket>>,
    handoff_events: Option<mpsc::UnboundedReceiver<HandoffEvent>>,
    agent_link: Option<AgentLink>,
    resampler: Option<StreamResampler>,
    resampled: Vec<i16>,
    recorder: Option<CallRecorder>,
    late_frames_reported: u64,
    /// True once a send failed; later sends are skipped.
    send_failed: bool,
    end_reason: Option<String>,
}

impl CallDriver {
    async fn new(socket: WebSocket, adapter: TwilioAdapter, start: StreamStart, services: Arc<CallServices>) -> Self {
        let caller_number = start.custom_parameters.get("caller").or_else(|| start.custom_parameters.get("From")).cloned();
        let account_id = start.custom_parameters.get("account_id").cloned();
        info!(caller = ?caller_number, account = ?account_id, "call started");

        services.journal.call_started(CallStart {
            call_sid: start.call_sid.clone(),
            stream_sid: start.stream_sid.clone(),
            transport: "twilio".to_owned(),
            caller_number: caller_number.clone(),
            account_id: account_id.clone(),
            started_at: chrono::Utc::now(),
        });
        services.metrics.active_calls.inc();

        let (recognizer, recognition_events, resampler) = match &services.model {
            Some(model) => {
                let (handle, events) = spawn_recognizer(model.clone(), start.call_sid.clone());
                let resampler = StreamResampler::new(8_000, model.sample_rate(), crate::transport::FRAME_SAMPLES)
                    .map_err(|error| warn!(%error, "resampler unavailable; call is keypad-only"))
                    .ok();
                (Some(handle), Some(events), resampler)
            }
            None => (None, None, None),
        };
        let speech_available = recognizer.is_some() && resampler.is_some();

        let recorder = services.recordings_dir.as_ref().and_then(|dir| {
            let path = dir.join(format!("{}.wav", start.call_sid));
            CallRecorder::create(&path)
                .map_err(|error| warn!(%error, path = %path.display(), "call recording unavailable"))
                .ok()
        });

        let context = CallContext { call_sid: start.call_sid.clone(), caller_number, account_id, speech_available };
        let mut config = services.session.clone();
        config.speech_available = speech_available;
        let session = start_session(&services, config, context).await;

        Self {
            socket,
            adapter,
            call_sid: start.call_sid,
            services,
            session,
            recognizer,
            recognition_events,
            ticket: None,
            handoff_events: None,
            agent_link: None,
            resampler,
            resampled: Vec::with_capacity(crate::transport::FRAME_SAMPLES * 4),
            recorder,
            late_frames_reported: 0,
            send_failed: false,
            end_reason: None,
        }
    }

    async fn run(mut self) {
        let mut shutdown = self.services.shutdown.clone();
        let mut ping = tokio::time::interval(self.services.ping_interval);
        ping.tick().await;
        let mut last_message = Instant::now();
        let mut events = Vec::new();

        self.carry_out_outputs().await;
        while self.end_reason.is_none() {
            let media_deadline = tokio::time::Instant::from_std(last_message + self.services.media_timeout);
            let disconnect = tokio::select! {
                message = self.socket.recv() => {
                    last_message = Instant::now();
                    match message {
                        None => Some(Disconnect::Closed),
                        Some(Err(error)) => Some(Disconnect::Failed(error.to_string())),
                        Some(Ok(Message::Close(_))) => Some(Disconnect::Closed),
                        Some(Ok(Message::Text(text))) => {
                            self.handle_text(&text, &mut events);
                            None
                        }
                        Some(Ok(Message::Binary(bytes))) => {
                            warn!(bytes = bytes.len(), "binary message skipped; Media Streams sends text only");
                            Metrics::count(&self.services.metrics.bad_messages, "binary_message");
                            None
                        }
                        Some(Ok(_)) => None,
                    }
                }
                Some(event) = recv_optional(&mut self.recognition_events) => {
                    self.handle_recognition(event);
                    None
                }
                Some(event) = recv_optional(&mut self.handoff_events) => {
                    self.handle_handoff_event(event);
                    None
                }
                Some(frame) = recv_agent_audio(&mut self.agent_link) => {
                    self.session.handle_agent_audio(frame);
                    None
                }
                _ = ping.tick() => {
                    if self.socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                        Some(Disconnect::Failed("ping failed".to_owned()))
                    } else {
                        None
                    }
                }
                _ = tokio::time::sleep_until(media_deadline) => Some(Disconnect::TimedOut),
                _ = shutdown.changed() => Some(Disconnect::Shutdown),
            };

            if let Some(disconnect) = disconnect {
                if let Disconnect::Failed(error) = &disconnect {
                    warn!(%error, "media socket failed");
                }
                self.session.handle_disconnect(disconnect.reason());
            }
            self.carry_out_outputs().await;
        }
        self.finish().await;
    }

    fn handle_text(&mut self, text: &str, events: &mut Vec<TransportEvent>) {
        if let Err(error) = self.adapter.handle_text(text, events) {
            Metrics::count(&self.services.metrics.bad_messages, error.kind());
            if error.is_fatal() {
                warn!(%error, "call closed: unusable message");
                self.session.handle_disconnect(error.kind());
            } else {
                debug!(%error, "message skipped");
                self.services.journal.event(&self.call_sid, "error", json!({ "error": error.to_string(), "kind": error.kind() }));
            }
        }
        for event in events.drain(..) {
            if let (TransportEvent::Audio(frame), Some(recorder)) = (&event, self.recorder.as_mut()) {
                // The recorder reports a write error once and then stops recording; the call
                // goes on and the audio already written stays readable.
                if let Err(error) = recorder.push_caller(frame) {
                    warn!(%error, "call recording stopped");
                    self.services.journal.event(&self.call_sid, "error", json!({ "error": error.to_string(), "kind": "recording" }));
                }
            }
            self.session.handle_transport(event);
        }
    }

    fn handle_recognition(&mut self, event: RecognitionEvent) {
        let RecognitionEvent::Final(result) = event else { return };
        self.services.metrics.recognition_seconds.observe(f64::from(result.decode_ms) / 1000.0);
        debug!(text = %result.text, confidence = result.confidence, decode_ms = result.decode_ms, "recognised");
        let utterance = Utterance { text: result.text, confidence: result.confidence, alternatives: result.alternatives };
        self.session.handle_recognition(utterance, result.audio_ms, result.decode_ms);
    }

    async fn carry_out_outputs(&mut self) {
        let outputs: Vec<SessionOutput> = self.session.drain_outputs().collect();
        for output in outputs {
            match output {
                SessionOutput::Transport(command) => self.send(command).await,
                SessionOutput::Recognizer(command) => self.feed_recognizer(command),
                SessionOutput::Journal { kind, data } => {
                    if kind == "barge_in" {
                        self.services.metrics.barge_ins.inc();
                    }
                    self.services.journal.event(&self.call_sid, kind, data);
                }
                SessionOutput::TurnLatency { processing_ms, .. } => {
                    self.services.metrics.turn_processing_seconds.observe(processing_ms as f64 / 1000.0);
                }
                SessionOutput::SaveOutcome(outcome) => {
                    info!(kind = outcome.kind.as_str(), step = %outcome.step, "outcome reached");
                    let call_sid = self.call_sid.clone();
                    self.services.journal.run(self.call_sid.clone(), move |conn| {
                        save_outcome(conn, &call_sid, &outcome)
                            .map(|_| ())
                            .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))
                    });
                }
                SessionOutput::SendPaymentLink(request) => self.send_payment_link(request),
                SessionOutput::Transfer(transfer) => self.enqueue_handoff(transfer),
                SessionOutput::LeaveQueue(exit) => self.leave_queue(exit),
                SessionOutput::ToAgent(frame) => {
                    if let Some(link) = &self.agent_link {
                        // A slow agent connection loses frames rather than delaying the call.
                        let _ = link.to_agent.try_send(frame);
                    }
                }
                SessionOutput::Hangup { reason } => self.end_reason = Some(reason),
            }
        }

        let late = self.session.late_frames();
        if late > self.late_frames_reported {
            self.services.metrics.late_outbound_frames.inc_by(late - self.late_frames_reported);
            self.late_frames_reported = late;
        }
    }

    fn enqueue_handoff(&mut self, transfer: crate::dialogue::Transfer) {
        info!(reason = %transfer.reason, "transfer requested");
        Metrics::count(&self.services.metrics.transfers, &transfer.reason);
        let Some(queue) = &self.services.handoff_queue else {
            warn!(reason = %transfer.reason, "no agent queue is configured; the caller cannot be transferred");
            self.session.handle_handoff(HandoffUpdate::Unavailable);
            return;
        };
        let request = HandoffRequest {
            call_sid: self.call_sid.clone(),
            reason: transfer.reason,
            context: transfer.context,
            language: self.services.language.clone(),
            priority: 0,
        };
        match queue.enqueue(request) {
            Ok((ticket, events)) => {
                self.ticket = Some(ticket);
                self.handoff_events = Some(events);
            }
            Err(error) => {
                warn!(%error, "the agent queue rejected the call");
                self.session.handle_handoff(HandoffUpdate::Unavailable);
            }
        }
    }

    fn handle_handoff_event(&mut self, event: HandoffEvent) {
        let update = match event {
            HandoffEvent::Position { position, estimated_wait_secs } => HandoffUpdate::Position { position, estimated_wait_secs },
            HandoffEvent::Connected { agent_id, agent_name, link } => {
                info!(agent = %agent_id, "agent connected");
                self.agent_link = Some(link);
                HandoffUpdate::Connected { agent_name }
            }
            HandoffEvent::Hold(on_hold) => HandoffUpdate::Hold(on_hold),
            HandoffEvent::AgentHungUp => {
                self.agent_link = None;
                self.ticket = None;
                HandoffUpdate::AgentHungUp
            }
            HandoffEvent::MaxWaitReached => HandoffUpdate::MaxWaitReached,
            HandoffEvent::Redirected => {
                self.ticket = None;
                HandoffUpdate::Redirected
            }
            HandoffEvent::Failed { error } => {
                warn!(%error, "handoff failed");
                self.ticket = None;
                HandoffUpdate::Unavailable
            }
        };
        self.session.handle_handoff(update);
    }

    fn leave_queue(&mut self, exit: QueueExit) {
        self.agent_link = None;
        self.handoff_events = None;
        let Some(ticket) = self.ticket.take() else { return };
        let reason = match exit {
            QueueExit::CallerHungUp => LeaveReason::CallerHungUp,
            QueueExit::CallbackRequested { window } => LeaveReason::CallbackRequested { window },
        };
        ticket.leave(reason);
    }

    /// Sends a payment link on a blocking thread (the sender may write to the database or
    /// call a webhook) and journals the result.
    fn send_payment_link(&self, request: crate::dialogue::outcome::PaymentLinkRequest) {
        let Some(links) = &self.services.payment_links else {
            warn!(account = %request.account_id, "payment link requested but no sender is configured");
            return;
        };
        let link = links.template.render(&request);
        let sender = links.sender.clone();
        let journal = self.services.journal.clone();
        let call_sid = self.call_sid.clone();
        tokio::task::spawn_blocking(move || {
            let result = sender.send(&request, &link);
            let data = match &result {
                Ok(()) => json!({ "account_id": request.account_id, "amount_cents": request.amount_cents, "link": link, "sent": true }),
                Err(error) => {
                    warn!(%call_sid, account = %request.account_id, %error, "payment link not sent");
                    json!({ "account_id": request.account_id, "amount_cents": request.amount_cents, "sent": false, "error": error.to_string() })
                }
            };
            journal.event(&call_sid, "payment_link", data);
        });
    }

    async fn send(&mut self, command: TransportCommand) {
        if let Some(recorder) = self.recorder.as_mut() {
            match &command {
                TransportCommand::Audio(frame) => recorder.push_assistant(frame),
                TransportCommand::Clear => recorder.discard_unplayed_assistant(),
                TransportCommand::Marker(_) => {}
            }
        }
        if self.send_failed {
            return;
        }
        let Some(text) = self.adapter.encode(&command) else { return };
        if let Err(error) = self.socket.send(Message::Text(text.into())).await {
            // The platform may have sent `stop` and closed just before, so keep reading: the
            // call then ends with the platform's reason (or times out), not with this error.
            warn!(%error, "send to the platform failed; reading what is left of the stream");
            self.send_failed = true;
        }
    }

    fn feed_recognizer(&mut self, command: RecognizerCommand) {
        let (Some(recognizer), Some(resampler)) = (self.recognizer.as_ref(), self.resampler.as_mut()) else { return };
        match command {
            RecognizerCommand::Begin { grammar } => recognizer.begin_utterance(grammar),
            RecognizerCommand::Audio(frame) => {
                self.resampled.clear();
                resampler.process(&frame, &mut self.resampled);
                if !self.resampled.is_empty() {
                    recognizer.push_audio(self.resampled.clone());
                }
            }
            RecognizerCommand::End => {
                self.resampled.clear();
                resampler.flush(&mut self.resampled);
                if !self.resampled.is_empty() {
                    recognizer.push_audio(self.resampled.clone());
                }
                recognizer.end_utterance();
            }
            RecognizerCommand::Cancel => {
                self.resampled.clear();
                resampler.flush(&mut self.resampled);
                recognizer.cancel_utterance();
            }
        }
    }

    async fn finish(mut self) {
        let reason = self.end_reason.take().unwrap_or_else(|| "unknown".to_owned());
        info!(%reason, state = %self.session.dialogue_state(), "call ended");

        let _ = self.socket.send(close_message(1000, "call ended")).await;
        self.services.journal.call_ended(&self.call_sid, &reason);
        self.services.metrics.active_calls.dec();
        Metrics::count(&self.services.metrics.calls_ended, &reason);

        if let Some(recorder) = self.recorder.take() {
            if let Err(error) = recorder.finish() {
                warn!(%error, "call recording could not be finished");
            }
        }
        // A call that ends any other way while queued (shutdown, timeout) leaves the queue too.
        if let Some(ticket) = self.ticket.take() {
            ticket.leave(LeaveReason::Ended { reason: reason.clone() });
        }
        // Dropping the handle stops the recogniser thread and frees its Vosk recognizer.
        drop(self.recognizer.take());
    }
}

/// Creates the dialogue and the session on a blocking thread: the dialogue reads the
/// account from the database, and the first prompt may synthesise the debtor's name.
async fn start_session(services: &Arc<CallServices>, config: SessionConfig, context: CallContext) -> CallSession {
    let factory = services.dialogues.clone();
    let prompts = services.prompts.clone();
    let fallback_config = config.clone();
    let fallback_context = context.clone();
    let started = tokio::task::spawn_blocking(move || {
        let dialogue = factory.create(&context);
        CallSession::new(config, &context, dialogue, prompts)
    })
    .await;
    match started {
        Ok(session) => session,
        Err(error) => {
            warn!(%error, "creating the dialogue failed; the caller hears an apology");
            CallSession::new(fallback_config, &fallback_context, Box::new(SystemErrorDialogue), services.prompts.clone())
        }
    }
}

async fn recv_optional<T>(receiver: &mut Option<mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match receiver {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

async fn recv_agent_audio(link: &mut Option<AgentLink>) -> Option<Vec<i16>> {
    match link {
        Some(link) => link.from_agent.recv().await,
        None => std::future::pending().await,
    }
}
