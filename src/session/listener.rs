//! Turn-taking on the caller's side: when an answer starts and ends, and when speech over
//! a prompt is a real barge-in.
//!
//! The listener sees one voice-activity decision per 20 ms frame. It does no signal
//! processing itself, so it can be driven in tests with plain booleans.

/// Timing settings, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerConfig {
    /// Silence after speech that ends an utterance.
    pub trailing_silence_ms: u64,
    /// Continuous speech over an interruptible prompt needed to accept a barge-in.
    pub barge_in_min_speech_ms: u64,
}

/// Turn-taking event caused by one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnEvent {
    /// Nothing changed.
    None,
    /// Speech started; the frames from `pre_roll_frames` back belong to the utterance.
    SpeechStarted,
    /// The utterance ended after trailing silence (or the maximum length).
    SpeechEnded,
    /// The caller waited past the no-input timeout.
    NoInput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not waiting for an answer.
    Idle,
    /// Waiting for the caller to start; the no-input timer runs once prompts finish.
    Waiting { no_input_deadline_ms: Option<u64> },
    /// The caller is speaking.
    Speaking { started_ms: u64, last_speech_ms: u64 },
}

/// Per-call turn-taking state.
#[derive(Debug)]
pub struct Listener {
    config: ListenerConfig,
    phase: Phase,
    no_input_timeout_ms: u64,
    max_utterance_ms: u64,
    /// Consecutive speech frames seen, in milliseconds, for barge-in.
    speech_run_ms: u64,
}

impl Listener {
    /// Creates an idle listener.
    pub fn new(config: ListenerConfig) -> Self {
        Self { config, phase: Phase::Idle, no_input_timeout_ms: 0, max_utterance_ms: 0, speech_run_ms: 0 }
    }

    /// Starts waiting for an answer. The no-input timer starts with [`Self::prompts_finished`].
    pub fn listen(&mut self, no_input_timeout_ms: u64, max_utterance_ms: u64) {
        self.no_input_timeout_ms = no_input_timeout_ms;
        self.max_utterance_ms = max_utterance_ms;
        self.phase = Phase::Waiting { no_input_deadline_ms: None };
        self.speech_run_ms = 0;
    }

    /// Starts the no-input timer at call time `now_ms`, if waiting and not yet started.
    pub fn prompts_finished(&mut self, now_ms: u64) {
        if let Phase::Waiting { no_input_deadline_ms: None } = self.phase {
            self.phase = Phase::Waiting { no_input_deadline_ms: Some(now_ms + self.no_input_timeout_ms) };
        }
    }

    /// Stops listening (an answer was taken, or the dialogue moved on).
    pub fn stop(&mut self) {
        self.phase = Phase::Idle;
        self.speech_run_ms = 0;
    }

    /// Returns true while waiting for or hearing an answer.
    pub fn is_listening(&self) -> bool {
        self.phase != Phase::Idle
    }

    /// Returns true while the caller is speaking an utterance.
    pub fn is_speaking(&self) -> bool {
        matches!(self.phase, Phase::Speaking { .. })
    }

    /// Feeds one frame's voice-activity decision at call time `now_ms` (the frame's end).
    ///
    /// `prompt_playing` tells whether a prompt is still playing: speech then must last
    /// `barge_in_min_speech_ms` before it counts, so "mhm" or line echo does not cut the
    /// prompt.
    pub fn frame(&mut self, speech: bool, prompt_playing: bool, now_ms: u64) -> TurnEvent {
        self.speech_run_ms = if speech { self.speech_run_ms + super::player::FRAME_MS } else { 0 };

        match self.phase {
            Phase::Idle => TurnEvent::None,

            Phase::Waiting { no_input_deadline_ms } => {
                let needed_ms = if prompt_playing { self.config.barge_in_min_speech_ms } else { super::player::FRAME_MS };
                if speech && self.speech_run_ms >= needed_ms {
                    let started_ms = now_ms.saturating_sub(self.speech_run_ms);
                    self.phase = Phase::Speaking { started_ms, last_speech_ms: now_ms };
                    return TurnEvent::SpeechStarted;
                }
                match no_input_deadline_ms {
                    Some(deadline) if now_ms >= deadline => {
                        self.phase = Phase::Idle;
                        TurnEvent::NoInput
                    }
                    _ => TurnEvent::None,
                }
            }

            Phase::Speaking { started_ms, last_speech_ms } => {
                let last_speech_ms = if speech { now_ms } else { last_speech_ms };
                let silence_ms = now_ms - last_speech_ms;
                if silence_ms >= self.config.trailing_silence_ms || now_ms - started_ms >= self.max_utterance_ms {
                    self.phase = Phase::Idle;
                    return TurnEvent::SpeechEnded;
                }
                self.phase = Phase::Speaking { started_ms, last_speech_ms };
                TurnEvent::None
            }
        }
    }

    /// Milliseconds of speech the listener needed before reporting [`TurnEvent::SpeechStarted`]
    /// (the frames to take from the pre-roll buffer).
    pub fn speech_run_ms(&self) -> u64 {
        self.speech_run_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: ListenerConfig = ListenerConfig { trailing_silence_ms: 200, barge_in_min_speech_ms: 100 };

    /// Feeds frames (true = speech) from call time `start_ms` and returns the events with times.
    fn feed(listener: &mut Listener, start_ms: u64, frames: &[bool], playing: bool) -> Vec<(u64, TurnEvent)> {
        let mut events = Vec::new();
        for (i, &speech) in frames.iter().enumerate() {
            let now = start_ms + (i as u64 + 1) * 20;
            let event = listener.frame(speech, playing, now);
            if event != TurnEvent::None {
                events.push((now, event));
            }
        }
        events
    }

    #[test]
    fn utterance_ends_after_trailing_silence() {
        let mut listener = Listener::new(CONFIG);
        listener.listen(5_000, 10_000);
        listener.prompts_finished(0);

        let mut frames = vec![true; 10];
        frames.extend([false; 12]);
        let events = feed(&mut listener, 0, &frames, false);

        assert_eq!(events, vec![(20, TurnEvent::SpeechStarted), (400, TurnEvent::SpeechEnded)]);
    }

    #[test]
    fn short_speech_over_prompt_is_not_barge_in() {
        let mut listener = Listener::new(CONFIG);
        listener.listen(5_000, 10_000);

        let events = feed(&mut listener, 0, &[true, true, true, false, true, true, false], true);

        assert!(events.is_empty(), "60 ms bursts are below the 100 ms barge-in minimum: {events:?}");
    }

    #[test]
    fn sustained_speech_over_prompt_is_barge_in() {
        let mut listener = Listener::new(CONFIG);
        listener.listen(5_000, 10_000);

        let events = feed(&mut listener, 0, &[true; 5], true);

        assert_eq!(events, vec![(100, TurnEvent::SpeechStarted)]);
        assert_eq!(listener.speech_run_ms(), 100);
    }

    #[test]
    fn no_input_timer_starts_after_prompts() {
        let mut listener = Listener::new(CONFIG);
        listener.listen(1_000, 10_000);

        let before = feed(&mut listener, 0, &[false; 100], true);
        assert!(before.is_empty(), "no-input never fires while a prompt plays");

        listener.prompts_finished(2_000);
        let after = feed(&mut listener, 2_000, &[false; 60], false);
        assert_eq!(after, vec![(3_000, TurnEvent::NoInput)]);
        assert!(!listener.is_listening());
    }

    #[test]
    fn max_utterance_ends_long_speech() {
        let mut listener = Listener::new(CONFIG);
        listener.listen(5_000, 1_000);
        listener.prompts_finished(0);

        let events = feed(&mut listener, 0, &[true; 100], false);

        assert_eq!(events, vec![(20, TurnEvent::SpeechStarted), (1_000, TurnEvent::SpeechEnded)]);
    }

    #[test]
    fn idle_listener_ignores_speech() {
        let mut listener = Listener::new(CONFIG);

        assert!(feed(&mut listener, 0, &[true; 50], false).is_empty());
    }
}
