//! The handoff part of the call session: waiting in the agent queue with hold audio and
//! position messages, the callback offer after the maximum wait, and the call bridged to
//! an agent.
//!
//! The driver owns the queue ticket and the agent's audio channels; it reports what the
//! queue does as [`HandoffUpdate`]s and carries out [`SessionOutput::LeaveQueue`] and
//! [`SessionOutput::ToAgent`].

use serde::Deserialize;
use serde_json::json;

use crate::dialogue::outcome::{Outcome, OutcomeKind};
use crate::dialogue::{DtmfSpec, ListenSpec, Segment, Transfer, speak};
use crate::transport::TransportCommand;

use super::{CallSession, SessionOutput};

/// Voice answers understood while the caller waits for a person, by meaning, from the
/// locale's `grammars/queue.toml`. The recogniser gets them as its grammar, so hold audio
/// or line noise cannot turn into anything else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuePhrases {
    /// Accepts a callback ("llámenme").
    pub callback: Vec<String>,
    /// Keeps waiting ("sigo esperando").
    pub keep_waiting: Vec<String>,
    /// Callback as soon as possible.
    pub asap: Vec<String>,
    /// Callback tomorrow morning.
    pub tomorrow_morning: Vec<String>,
    /// Callback tomorrow afternoon.
    pub tomorrow_afternoon: Vec<String>,
}

impl QueuePhrases {
    /// Loads the phrases from a TOML file.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|error| format!("failed to read {}: {error}", path.display()))?;
        toml::from_str(&text).map_err(|error| format!("invalid queue phrases in {}: {error}", path.display()))
    }

    fn grammar(&self) -> Vec<String> {
        [&self.callback, &self.keep_waiting, &self.asap, &self.tomorrow_morning, &self.tomorrow_afternoon]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// Returns the key a phrase stands for in the current menu: 1 or 2 for the callback
    /// offer, 1 to 3 for the callback window.
    fn key_for(&self, text: &str, choosing_window: bool) -> Option<char> {
        let text = text.trim();
        let matches = |phrases: &[String]| phrases.iter().any(|phrase| phrase == text);
        if choosing_window {
            return [(&self.asap, '1'), (&self.tomorrow_morning, '2'), (&self.tomorrow_afternoon, '3')]
                .into_iter()
                .find_map(|(phrases, key)| matches(phrases).then_some(key));
        }
        if matches(&self.callback) {
            Some('1')
        } else if matches(&self.keep_waiting) {
            Some('2')
        } else {
            None
        }
    }
}

/// Catalog clip looped while the caller waits.
const HOLD_MUSIC: &str = "queue.hold_music";

/// Change in the call's handoff, as the driver reports it from the agent queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffUpdate {
    /// The call's place in the queue (1 = next) and the estimated wait in seconds; the
    /// first one also means the call joined the queue.
    Position { position: usize, estimated_wait_secs: u64 },
    /// An agent accepted the call.
    Connected { agent_name: String },
    /// The agent put the caller on hold (`true`) or took them back (`false`).
    Hold(bool),
    /// The agent ended the call.
    AgentHungUp,
    /// The call waited the maximum time; the caller is offered a callback.
    MaxWaitReached,
    /// No queue can take the call (none configured, or it refused the call).
    Unavailable,
    /// The telephony platform took the call elsewhere; its stream will stop.
    Redirected,
}

/// Way a call left the queue, for the driver's ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueExit {
    /// The caller hung up.
    CallerHungUp,
    /// The caller accepted a callback in this time window (`asap`, `tomorrow_morning`,
    /// `tomorrow_afternoon`).
    CallbackRequested { window: String },
}

/// Stage of the call's handoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HandoffState {
    /// The dialogue is in charge.
    None,
    /// The dialogue requested a person, and the queue has not reported back yet.
    Requested,
    /// Waiting for an agent, with hold audio.
    Waiting { callback_offered: bool },
    /// The caller accepted a callback and is choosing when (still in the queue).
    ChoosingCallbackWindow,
    /// Talking to an agent.
    Bridged { on_hold: bool },
    /// The platform took the call to another destination; the stream is about to stop.
    Redirected,
    /// The handoff is over and the call is ending.
    Finished,
}

impl CallSession {
    /// Handles what the agent queue did with the call.
    pub fn handle_handoff(&mut self, update: HandoffUpdate) {
        if self.ended {
            return;
        }
        self.journal("handoff", json!({ "update": format!("{update:?}") }));
        match (update, self.handoff) {
            (HandoffUpdate::Position { position, estimated_wait_secs }, HandoffState::Requested) => {
                self.handoff = HandoffState::Waiting { callback_offered: false };
                self.queue_prompt(&[Segment::Clip("queue.hold_intro".to_owned())], false);
                self.queue_prompt(&position_segments(position, estimated_wait_secs), false);
            }
            (HandoffUpdate::Position { position, estimated_wait_secs }, HandoffState::Waiting { callback_offered: false }) => {
                self.stop_hold_music();
                let segments = position_segments(position, estimated_wait_secs);
                self.queue_prompt(&segments, false);
            }
            (HandoffUpdate::MaxWaitReached, HandoffState::Waiting { .. }) => {
                self.stop_hold_music();
                self.handoff = HandoffState::Waiting { callback_offered: true };
                self.queue_prompt(&[Segment::Clip("queue.callback_offer".to_owned())], true);
                self.listen_while_waiting();
            }
            (HandoffUpdate::Connected { agent_name }, HandoffState::Waiting { .. } | HandoffState::Requested) => {
                // The call is answered: waiting messages still queued are skipped, and queue
                // audio already playing is cut; a dialogue sentence in progress finishes.
                if self.player.current_label().is_some_and(|label| label.starts_with("queue.")) {
                    let reports = self.player.clear(self.now_ms);
                    self.outputs.push(SessionOutput::Transport(TransportCommand::Clear));
                    for report in &reports {
                        self.journal_playback(report);
                    }
                } else {
                    self.player.drop_unstarted();
                }
                self.handoff = HandoffState::Bridged { on_hold: false };
                self.journal("agent_connected", json!({ "agent": agent_name }));
                self.queue_prompt(&[Segment::Clip("queue.connecting".to_owned())], false);
            }
            (HandoffUpdate::Hold(on_hold), HandoffState::Bridged { .. }) => {
                self.handoff = HandoffState::Bridged { on_hold };
                if !on_hold {
                    self.stop_hold_music();
                }
            }
            (HandoffUpdate::AgentHungUp, HandoffState::Bridged { .. }) => {
                self.stop_hold_music();
                self.handoff = HandoffState::Finished;
                self.queue_prompt(&[Segment::Clip("queue.agent_left".to_owned())], false);
                self.hang_up_after_playback("agent_hangup");
            }
            (HandoffUpdate::Redirected, HandoffState::Requested | HandoffState::Waiting { .. }) => {
                self.stop_hold_music();
                self.handoff = HandoffState::Redirected;
            }
            (HandoffUpdate::Unavailable, HandoffState::Requested | HandoffState::Waiting { .. }) => {
                self.stop_hold_music();
                self.handoff = HandoffState::Finished;
                self.queue_prompt(&[Segment::Clip("queue.unavailable".to_owned())], false);
                self.hang_up_after_playback("transfer_unavailable");
            }
            (update, state) => {
                tracing::debug!(call_sid = %self.call_sid, ?update, ?state, "handoff update ignored in this state");
            }
        }
        self.pump_playback();
    }

    /// Plays one 20 ms frame of the agent's voice to the caller.
    pub fn handle_agent_audio(&mut self, frame: Vec<i16>) {
        // The caller hears the "connecting" message first, and nothing of the agent while
        // on hold.
        if self.handoff != (HandoffState::Bridged { on_hold: false }) || self.player.is_playing() {
            return;
        }
        self.outputs.push(SessionOutput::Transport(TransportCommand::Audio(frame)));
    }

    /// Returns true once the platform took the call to another destination.
    pub(super) fn is_redirected(&self) -> bool {
        self.handoff == HandoffState::Redirected
    }

    /// Returns true once the dialogue handed the call to the agent queue.
    pub fn is_handed_off(&self) -> bool {
        self.handoff != HandoffState::None
    }

    /// Starts the handoff the dialogue asked for; later requests change nothing, so a
    /// caller repeating "agente" never triggers a second transfer.
    pub(super) fn start_handoff(&mut self, mut transfer: Transfer) {
        if self.handoff != HandoffState::None {
            return;
        }
        if let Some(context) = transfer.context.as_object_mut() {
            context.insert("transcript".to_owned(), serde_json::Value::Array(self.transcript.clone()));
        }
        self.journal("transfer", json!({ "reason": transfer.reason, "context": transfer.context }));
        self.handoff = HandoffState::Requested;
        if self.listener.is_speaking() || self.recognizing {
            self.outputs.push(SessionOutput::Recognizer(super::RecognizerCommand::Cancel));
            self.recognizing = false;
        }
        self.listener.stop();
        self.listen = None;
        self.outputs.push(SessionOutput::Transfer(transfer));
    }

    /// Handles a caller frame during the handoff. Returns false when turn-taking should
    /// handle it instead: the dialogue's, or the short queue grammar after a callback offer.
    pub(super) fn handoff_audio(&mut self, frame: &[i16]) -> bool {
        match self.handoff {
            HandoffState::None => false,
            HandoffState::Waiting { callback_offered: true } | HandoffState::ChoosingCallbackWindow => !self.config.speech_available,
            HandoffState::Bridged { on_hold: false } => {
                self.outputs.push(SessionOutput::ToAgent(frame.to_vec()));
                true
            }
            _ => true,
        }
    }

    /// Handles a keypress during the handoff; returns false when the dialogue should get it.
    pub(super) fn handoff_digit(&mut self, digit: char) -> bool {
        match self.handoff {
            HandoffState::None => false,
            HandoffState::ChoosingCallbackWindow => {
                let window = match digit {
                    '1' => "asap",
                    '2' => "tomorrow_morning",
                    '3' => "tomorrow_afternoon",
                    _ => return true,
                };
                self.accept_callback(window);
                true
            }
            HandoffState::Waiting { callback_offered: true } => {
                match digit {
                    '1' => {
                        self.stop_hold_music();
                        self.handoff = HandoffState::ChoosingCallbackWindow;
                        self.queue_prompt(&[Segment::Clip("queue.callback_window".to_owned())], true);
                        self.listen_while_waiting();
                    }
                    '2' => {
                        self.stop_hold_music();
                        self.handoff = HandoffState::Waiting { callback_offered: false };
                        self.queue_prompt(&[Segment::Clip("queue.keep_waiting".to_owned())], false);
                    }
                    _ => {}
                }
                true
            }
            _ => true,
        }
    }

    /// Listens for the short queue grammar (and keys) after a callback offer; speech over
    /// hold audio is not listened to before that.
    pub(super) fn listen_while_waiting(&mut self) {
        if !self.config.speech_available {
            return;
        }
        let spec = ListenSpec {
            grammar: Some(self.config.queue_phrases.grammar()),
            dtmf: DtmfSpec::default(),
            // The caller may think about it; silence is no reason to end anything here.
            no_input_timeout_ms: 60_000,
            max_utterance_ms: 5_000,
        };
        self.listener.listen(u64::from(spec.no_input_timeout_ms), u64::from(spec.max_utterance_ms));
        if !self.player.is_playing() {
            self.listener.prompts_finished(self.now_ms);
        }
        self.listen = Some(spec);
    }

    /// Handles what the caller said after a callback offer, as the key it stands for.
    pub(super) fn handoff_utterance(&mut self, text: &str) {
        let choosing_window = self.handoff == HandoffState::ChoosingCallbackWindow;
        match self.config.queue_phrases.key_for(text, choosing_window) {
            Some(key) => {
                self.journal("handoff_voice", json!({ "text": text, "key": key.to_string() }));
                self.handoff_digit(key);
            }
            None => self.listen_while_waiting(),
        }
    }

    /// Returns the queue exit to report when the caller hangs up during the handoff.
    pub(super) fn handoff_exit_on_hangup(&mut self) -> Option<QueueExit> {
        match self.handoff {
            HandoffState::Requested | HandoffState::Waiting { .. } | HandoffState::ChoosingCallbackWindow | HandoffState::Bridged { .. } => {
                self.handoff = HandoffState::Finished;
                Some(QueueExit::CallerHungUp)
            }
            HandoffState::None | HandoffState::Redirected | HandoffState::Finished => None,
        }
    }

    /// Keeps hold audio looping while the caller waits or is on hold.
    pub(super) fn keep_hold_music(&mut self) {
        let waiting = matches!(self.handoff, HandoffState::Waiting { .. } | HandoffState::Bridged { on_hold: true });
        if waiting && !self.player.is_playing() && self.pending_hangup.is_none() {
            self.queue_prompt(&[Segment::Clip(HOLD_MUSIC.to_owned())], true);
        }
    }

    fn accept_callback(&mut self, window: &str) {
        if self.player.is_playing() {
            let reports = self.player.clear(self.now_ms);
            self.outputs.push(SessionOutput::Transport(TransportCommand::Clear));
            for report in &reports {
                self.journal_playback(report);
            }
        }
        self.handoff = HandoffState::Finished;
        self.outputs.push(SessionOutput::LeaveQueue(QueueExit::CallbackRequested { window: window.to_owned() }));
        let mut outcome = Outcome::new(OutcomeKind::CallbackRequested, "queue");
        outcome.reason = Some(window.to_owned());
        self.journal("outcome", json!({ "kind": outcome.kind, "step": outcome.step }));
        self.outputs.push(SessionOutput::SaveOutcome(outcome));
        self.queue_prompt(&[Segment::Clip("queue.callback_confirmed".to_owned())], false);
        self.hang_up_after_playback("callback_requested");
    }

    /// Cuts the hold audio at the current frame, if it is what is playing.
    fn stop_hold_music(&mut self) {
        if self.player.is_playing() && self.player.current_label() == Some(HOLD_MUSIC) {
            self.player.clear(self.now_ms);
            self.outputs.push(SessionOutput::Transport(TransportCommand::Clear));
        }
    }
}

/// Builds "there are N calls ahead of yours; the estimated wait is M minutes".
fn position_segments(position: usize, estimated_wait_secs: u64) -> Vec<Segment> {
    let clip = |id: &str| Segment::Clip(id.to_owned());
    let mut segments = Vec::new();
    match position.saturating_sub(1) {
        0 => segments.push(clip("queue.next")),
        1 => segments.push(clip("queue.one_ahead")),
        ahead => {
            segments.push(clip("queue.ahead_before"));
            segments.extend(speak::number_clips(ahead as u64).into_iter().map(Segment::Clip));
            segments.push(clip("queue.ahead_after"));
        }
    }
    match estimated_wait_secs.div_ceil(60) {
        0 => {}
        1 => segments.push(clip("queue.wait_one_minute")),
        minutes => {
            segments.push(clip("queue.wait_before"));
            segments.extend(speak::number_clips(minutes).into_iter().map(Segment::Clip));
            segments.push(clip("queue.wait_after"));
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(segments: &[Segment]) -> Vec<String> {
        segments.iter().map(|segment| match segment {
            Segment::Clip(id) => id.clone(),
            other => format!("{other:?}"),
        }).collect()
    }

    #[test]
    fn next_in_queue_under_a_minute() {
        assert_eq!(ids(&position_segments(1, 0)), ["queue.next"]);
    }

    #[test]
    fn several_ahead_with_minutes() {
        let segments = ids(&position_segments(4, 150));
        assert_eq!(segments.first().map(String::as_str), Some("queue.ahead_before"));
        assert!(segments.contains(&"num.3".to_owned()), "{segments:?}");
        assert!(segments.contains(&"queue.wait_before".to_owned()));
        assert_eq!(segments.last().map(String::as_str), Some("queue.wait_after"));
    }

    #[test]
    fn one_ahead_one_minute() {
        assert_eq!(ids(&position_segments(2, 60)), ["queue.one_ahead", "queue.wait_one_minute"]);
    }
}
