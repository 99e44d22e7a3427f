//! Session tests without sockets or audio devices: a simulated phone plays the session's
//! frames in real time and reports markers, while the test feeds caller frames and
//! queue updates.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::*;
use crate::dialogue::{DialogueEvent, Prompt, Utterance};
use crate::prompts::library::PromptLibrary;

/// A dialogue that greets, asks, and hands the caller to a person on key 0.
struct TransferOnZero {
    state: &'static str,
}

impl Dialogue for TransferOnZero {
    fn start(&mut self, _context: &CallContext) -> Vec<Action> {
        vec![Action::Play(Prompt::clip("ask")), Action::Listen(ListenSpec {
            grammar: None,
            dtmf: DtmfSpec::default(),
            no_input_timeout_ms: 60_000,
            max_utterance_ms: 5_000,
        })]
    }

    fn handle(&mut self, event: DialogueEvent) -> Vec<Action> {
        match event {
            DialogueEvent::Digits(digits) if digits == "0" => {
                self.state = "transferred";
                vec![
                    Action::Play(Prompt::clip("transfer")),
                    Action::Transfer(Transfer { reason: "requested".into(), context: serde_json::json!({ "account": "D-1" }) }),
                ]
            }
            DialogueEvent::HangUp => {
                self.state = "hung_up";
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn state(&self) -> &str {
        self.state
    }
}

/// Clips of known lengths, each filled with a distinct sample value.
fn library() -> Arc<PromptLibrary> {
    let mut clips: HashMap<String, Arc<[i16]>> = HashMap::new();
    let lengths = [
        ("ask", 400),
        ("transfer", 200),
        ("queue.hold_intro", 200),
        ("queue.hold_music", 300),
        ("queue.next", 100),
        ("queue.connecting", 100),
        ("queue.callback_offer", 200),
        ("queue.callback_confirmed", 100),
        ("queue.agent_left", 100),
        ("queue.unavailable", 100),
        ("queue.keep_waiting", 100),
        ("queue.callback_window", 200),
    ];
    for (index, (id, ms)) in lengths.iter().enumerate() {
        clips.insert((*id).to_owned(), Arc::from(vec![100 + index as i16; ms * 8]));
    }
    Arc::new(PromptLibrary::from_clips(clips))
}

fn config() -> SessionConfig {
    SessionConfig {
        playback_lead_ms: 100,
        listener: ListenerConfig { trailing_silence_ms: 400, barge_in_min_speech_ms: 200 },
        barge_in_threshold_boost_db: 10.0,
        vad: VadConfig::default(),
        speech_available: false,
        queue_phrases: Arc::new(QueuePhrases {
            callback: vec!["llámenme".into()],
            keep_waiting: vec!["sigo esperando".into()],
            asap: vec!["lo antes posible".into()],
            tomorrow_morning: vec!["por la mañana".into()],
            tomorrow_afternoon: vec!["por la tarde".into()],
        }),
    }
}

/// The session with a simulated phone in front of it.
struct Harness {
    session: CallSession,
    phone: VecDeque<TransportCommand>,
    outputs: Vec<SessionOutput>,
    heard: Vec<i16>,
}

impl Harness {
    fn new() -> Self {
        let context = CallContext { call_sid: "CA-test".into(), ..CallContext::default() };
        let session = CallSession::new(config(), &context, Box::new(TransferOnZero { state: "asking" }), library());
        let mut harness = Self { session, phone: VecDeque::new(), outputs: Vec::new(), heard: Vec::new() };
        harness.collect();
        harness
    }

    fn collect(&mut self) {
        for output in self.session.drain_outputs() {
            match output {
                SessionOutput::Transport(command) => {
                    if command == TransportCommand::Clear {
                        // The platform drops queued audio and reports pending markers at once.
                        let pending: Vec<_> = self.phone.drain(..).collect();
                        for command in pending {
                            if let TransportCommand::Marker(name) = command {
                                self.outputs.push(SessionOutput::Transport(TransportCommand::Marker(name)));
                            }
                        }
                        continue;
                    }
                    self.phone.push_back(command);
                }
                other => self.outputs.push(other),
            }
        }
        let echoes: Vec<String> = self
            .outputs
            .iter()
            .filter_map(|output| match output {
                SessionOutput::Transport(TransportCommand::Marker(name)) => Some(name.clone()),
                _ => None,
            })
            .collect();
        self.outputs.retain(|output| !matches!(output, SessionOutput::Transport(TransportCommand::Marker(_))));
        for name in echoes {
            self.session.handle_transport(TransportEvent::MarkerReached(name));
        }
    }

    /// Advances 20 ms: the phone plays one frame (reporting markers that come due) and the
    /// caller sends one silent frame.
    fn tick(&mut self) {
        while let Some(TransportCommand::Marker(_)) = self.phone.front() {
            let Some(TransportCommand::Marker(name)) = self.phone.pop_front() else { unreachable!() };
            self.session.handle_transport(TransportEvent::MarkerReached(name));
        }
        if let Some(TransportCommand::Audio(frame)) = self.phone.front().cloned() {
            self.phone.pop_front();
            self.heard.extend_from_slice(&frame);
        }
        self.session.handle_transport(TransportEvent::Audio(vec![0; 160]));
        self.collect();
    }

    fn run_ms(&mut self, ms: u64) {
        for _ in 0..ms / 20 {
            self.tick();
        }
    }

    fn key(&mut self, digit: char) {
        self.session.handle_transport(TransportEvent::Dtmf(digit));
        self.collect();
    }

    fn update(&mut self, update: HandoffUpdate) {
        self.session.handle_handoff(update);
        self.collect();
    }

    fn take(&mut self, matches: impl Fn(&SessionOutput) -> bool) -> Vec<SessionOutput> {
        let (taken, kept) = std::mem::take(&mut self.outputs).into_iter().partition(|output| matches(output));
        self.outputs = kept;
        taken
    }

    fn journal_kinds(&self) -> Vec<&'static str> {
        self.outputs.iter().filter_map(|output| match output {
            SessionOutput::Journal { kind, .. } => Some(*kind),
            _ => None,
        }).collect()
    }

    /// Sample value the simulated phone is playing now (0 when silent).
    fn playing(&self) -> i16 {
        self.phone.iter().find_map(|command| match command {
            TransportCommand::Audio(frame) => Some(frame[0]),
            _ => None,
        }).unwrap_or(0)
    }
}

fn hold_music_value() -> i16 {
    100 + 3
}

#[test]
fn transfer_happens_once() {
    let mut harness = Harness::new();
    harness.run_ms(200);

    harness.key('0');
    harness.key('0');
    harness.run_ms(100);
    harness.key('0');

    let transfers = harness.take(|output| matches!(output, SessionOutput::Transfer(_)));
    assert_eq!(transfers.len(), 1, "repeated requests while transferring change nothing");
    assert!(harness.session.is_handed_off());
}

#[test]
fn repeated_transfer_action_ignored() {
    let mut harness = Harness::new();
    let transfer = Transfer { reason: "requested".into(), context: serde_json::json!({}) };

    harness.session.apply_actions(vec![Action::Transfer(transfer.clone()), Action::Transfer(transfer)]);
    harness.collect();

    let transfers = harness.take(|output| matches!(output, SessionOutput::Transfer(_)));
    assert_eq!(transfers.len(), 1, "a dialogue asking twice still transfers once");
}

#[test]
fn waiting_caller_hears_hold_music_then_agent() {
    let mut harness = Harness::new();
    harness.key('0');
    harness.update(HandoffUpdate::Position { position: 2, estimated_wait_secs: 0 });
    harness.run_ms(1_200);
    assert_eq!(harness.playing(), hold_music_value(), "hold music loops after the intro");

    harness.update(HandoffUpdate::Position { position: 1, estimated_wait_secs: 20 });
    assert_ne!(harness.playing(), hold_music_value(), "position message cuts the hold music");
    harness.run_ms(400);

    harness.update(HandoffUpdate::Connected { agent_name: "Ana".into() });
    harness.run_ms(300);
    harness.session.handle_agent_audio(vec![7; 160]);
    harness.collect();
    assert!(harness.phone.iter().any(|command| *command == TransportCommand::Audio(vec![7; 160])), "agent voice reaches the caller");

    harness.tick();
    let to_agent = harness.take(|output| matches!(output, SessionOutput::ToAgent(_)));
    assert!(!to_agent.is_empty(), "caller voice reaches the agent");
}

#[test]
fn hold_music_never_reaches_recogniser() {
    let mut harness = Harness::new();
    harness.key('0');
    harness.update(HandoffUpdate::Position { position: 2, estimated_wait_secs: 0 });
    harness.run_ms(2_000);

    let recogniser = harness.take(|output| matches!(output, SessionOutput::Recognizer(_)));
    assert!(recogniser.is_empty(), "nothing is recognised while waiting: {recogniser:?}");
}

#[test]
fn caller_hangup_while_waiting_leaves_queue() {
    let mut harness = Harness::new();
    harness.key('0');
    harness.update(HandoffUpdate::Position { position: 2, estimated_wait_secs: 0 });
    harness.run_ms(500);

    harness.session.handle_transport(TransportEvent::Stop);
    harness.collect();

    let exits = harness.take(|output| matches!(output, SessionOutput::LeaveQueue(_)));
    assert_eq!(exits, vec![SessionOutput::LeaveQueue(QueueExit::CallerHungUp)]);
    assert!(harness.session.is_ended());
}

#[test]
fn max_wait_offers_callback() {
    let mut harness = Harness::new();
    harness.key('0');
    harness.update(HandoffUpdate::Position { position: 2, estimated_wait_secs: 0 });
    harness.run_ms(600);

    harness.update(HandoffUpdate::MaxWaitReached);
    harness.run_ms(100);
    harness.key('1');
    harness.run_ms(100);
    assert!(harness.take(|output| matches!(output, SessionOutput::LeaveQueue(_))).is_empty(), "the caller picks a time first");
    harness.key('2');
    harness.run_ms(400);

    let exits = harness.take(|output| matches!(output, SessionOutput::LeaveQueue(_)));
    assert_eq!(exits, vec![SessionOutput::LeaveQueue(QueueExit::CallbackRequested { window: "tomorrow_morning".into() })]);
    let outcomes = harness.take(|output| matches!(output, SessionOutput::SaveOutcome(_)));
    assert_eq!(outcomes.len(), 1);
    let hangups = harness.take(|output| matches!(output, SessionOutput::Hangup { .. }));
    assert_eq!(hangups, vec![SessionOutput::Hangup { reason: "callback_requested".into() }]);
}

#[test]
fn unavailable_queue_apologises_and_ends() {
    let mut harness = Harness::new();
    harness.key('0');

    harness.update(HandoffUpdate::Unavailable);
    harness.run_ms(400);

    let hangups = harness.take(|output| matches!(output, SessionOutput::Hangup { .. }));
    assert_eq!(hangups, vec![SessionOutput::Hangup { reason: "transfer_unavailable".into() }]);
    assert!(harness.journal_kinds().contains(&"handoff"));
}

#[test]
fn agent_hangup_ends_call() {
    let mut harness = Harness::new();
    harness.key('0');
    harness.update(HandoffUpdate::Position { position: 2, estimated_wait_secs: 0 });
    harness.update(HandoffUpdate::Connected { agent_name: "Ana".into() });
    harness.run_ms(200);

    harness.update(HandoffUpdate::AgentHungUp);
    harness.run_ms(1_000);

    let hangups = harness.take(|output| matches!(output, SessionOutput::Hangup { .. }));
    assert_eq!(hangups, vec![SessionOutput::Hangup { reason: "agent_hangup".into() }]);
}

/// Reports an utterance as the recogniser's result for speech the caller just finished.
fn say(harness: &mut Harness, text: &str) {
    harness.session.recognizing = true;
    let utterance = Utterance { text: text.into(), confidence: 0.9, alternatives: Vec::new() };
    harness.session.handle_recognition(utterance, 800, 20);
    harness.collect();
}

#[test]
fn callback_accepted_by_voice() {
    let mut harness = Harness::new();
    harness.session.config.speech_available = true;
    harness.key('0');
    harness.update(HandoffUpdate::Position { position: 3, estimated_wait_secs: 300 });
    harness.run_ms(600);
    harness.update(HandoffUpdate::MaxWaitReached);
    harness.run_ms(100);

    let offer_grammar = harness.session.listen.as_ref().and_then(|listen| listen.grammar.clone()).expect("listening after the offer");
    assert!(offer_grammar.contains(&"llámenme".to_owned()), "{offer_grammar:?}");
    say(&mut harness, "llámenme");
    harness.run_ms(100);
    say(&mut harness, "por la tarde");
    harness.run_ms(400);

    let exits = harness.take(|output| matches!(output, SessionOutput::LeaveQueue(_)));
    assert_eq!(exits, vec![SessionOutput::LeaveQueue(QueueExit::CallbackRequested { window: "tomorrow_afternoon".into() })]);
    assert!(harness.journal_kinds().contains(&"handoff_voice"));
}

#[test]
fn unknown_words_while_waiting_change_nothing() {
    let mut harness = Harness::new();
    harness.session.config.speech_available = true;
    harness.key('0');
    harness.update(HandoffUpdate::Position { position: 1, estimated_wait_secs: 30 });
    harness.update(HandoffUpdate::MaxWaitReached);

    say(&mut harness, "quién es");
    harness.run_ms(400);

    assert!(harness.take(|output| matches!(output, SessionOutput::LeaveQueue(_))).is_empty());
    assert!(harness.session.listen.is_some(), "still listening for an answer to the offer");
}
