//! A small built-in flow: greet, ask a yes/no question by voice or keypad, confirm what was
//! heard, say goodbye. It exercises the whole call path before the debt dialogue is used,
//! and QA replays it.

use std::path::Path;

use serde::Deserialize;

use super::nlu::{self, Intent};
use super::{Action, CallContext, Dialogue, DialogueEvent, DtmfSpec, ListenSpec, Prompt, Segment};

/// Words that answer the yes/no question by voice, from the locale's `grammars/yes-no.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct YesNoPhrases {
    /// Phrases meaning yes.
    pub yes: Vec<String>,
    /// Phrases meaning no.
    pub no: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct GrammarFile {
    yes_no: YesNoPhrases,
}

impl YesNoPhrases {
    /// Loads the `[yes_no]` table of `prompts/<locale>/grammars/yes-no.toml`.
    pub fn load(path: &Path) -> Result<Self, DemoError> {
        let text = std::fs::read_to_string(path).map_err(|source| DemoError::Read { path: path.display().to_string(), source })?;
        let file: GrammarFile =
            toml::from_str(&text).map_err(|source| DemoError::Parse { path: path.display().to_string(), source })?;
        Ok(file.yes_no)
    }
}

/// Errors loading the demo flow's phrases.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("failed to read grammar file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid grammar file {path}: {source}")]
    Parse { path: String, source: toml::de::Error },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Asking,
    Done,
}

/// Retries after no input or no match before the call ends.
const MAX_RETRIES: u32 = 2;

/// The built-in yes/no flow.
pub struct DemoDialogue {
    phrases: YesNoPhrases,
    state: State,
    retries: u32,
    state_name: &'static str,
}

impl DemoDialogue {
    /// Creates the flow with the voice phrases for yes and no.
    pub fn new(phrases: YesNoPhrases) -> Self {
        Self { phrases, state: State::Start, retries: 0, state_name: "greeting" }
    }

    fn question(&self) -> Vec<Action> {
        let grammar = self.phrases.yes.iter().chain(&self.phrases.no).cloned().collect();
        vec![
            Action::Play(Prompt::clip("ask_yes_no")),
            Action::Listen(ListenSpec {
                grammar: Some(grammar),
                dtmf: DtmfSpec::default(),
                no_input_timeout_ms: 5_000,
                max_utterance_ms: 5_000,
            }),
        ]
    }

    fn answer(&mut self, yes: bool) -> Vec<Action> {
        self.state = State::Done;
        self.state_name = if yes { "confirmed_yes" } else { "confirmed_no" };
        let heard = if yes { "heard_yes" } else { "heard_no" };
        vec![
            Action::Play(Prompt::clip(heard)),
            Action::Play(Prompt::clip("goodbye")),
            Action::Hangup { reason: "completed".to_owned() },
        ]
    }

    fn retry(&mut self, hint: &str) -> Vec<Action> {
        self.retries += 1;
        if self.retries > MAX_RETRIES {
            self.state = State::Done;
            self.state_name = "no_progress";
            return vec![Action::Play(Prompt::clip("goodbye")), Action::Hangup { reason: "no_progress".to_owned() }];
        }
        let mut actions = vec![Action::Play(Prompt::clip(hint))];
        actions.extend(self.question());
        actions
    }

    fn classify(&self, text: &str) -> Option<bool> {
        let text = text.trim();
        if self.phrases.yes.iter().any(|phrase| phrase == text) {
            return Some(true);
        }
        if self.phrases.no.iter().any(|phrase| phrase == text) {
            return Some(false);
        }
        match nlu::interpret(text, Some("confirm"), chrono::Local::now().date_naive()).intent {
            Some(Intent::Yes) => Some(true),
            Some(Intent::No) => Some(false),
            _ => None,
        }
    }
}

impl Dialogue for DemoDialogue {
    fn start(&mut self, context: &CallContext) -> Vec<Action> {
        self.state = State::Asking;
        self.state_name = "asking";
        let greeting = Prompt { segments: vec![Segment::Clip("greeting".to_owned())], interruptible: false };
        let mut actions = vec![Action::Play(greeting)];
        if !context.speech_available {
            actions.push(Action::Play(Prompt::clip("keypad_only")));
        }
        actions.extend(self.question());
        actions
    }

    fn handle(&mut self, event: DialogueEvent) -> Vec<Action> {
        if self.state != State::Asking {
            return Vec::new();
        }
        match event {
            DialogueEvent::Utterance(utterance) => match self.classify(&utterance.text) {
                Some(yes) => self.answer(yes),
                None => self.retry("not_understood"),
            },
            DialogueEvent::Digits(digits) => match digits.as_str() {
                "1" => self.answer(true),
                "2" => self.answer(false),
                _ => self.retry("not_understood"),
            },
            DialogueEvent::NoInput => self.retry("no_input"),
            DialogueEvent::NoMatch => self.retry("not_understood"),
            DialogueEvent::HangUp => {
                self.state = State::Done;
                self.state_name = "hung_up";
                Vec::new()
            }
        }
    }

    fn state(&self) -> &str {
        self.state_name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialogue::Utterance;

    fn dialogue() -> DemoDialogue {
        DemoDialogue::new(YesNoPhrases { yes: vec!["sí".into()], no: vec!["no".into()] })
    }

    fn context() -> CallContext {
        CallContext { call_sid: "CA1".into(), speech_available: true, ..CallContext::default() }
    }

    fn utterance(text: &str) -> DialogueEvent {
        DialogueEvent::Utterance(Utterance { text: text.into(), confidence: 0.9, alternatives: vec![] })
    }

    #[test]
    fn greeting_is_protected_and_question_listens() {
        let mut dialogue = dialogue();
        let actions = dialogue.start(&context());

        let Action::Play(greeting) = &actions[0] else { panic!("first action plays the greeting") };
        assert!(!greeting.interruptible);
        let Some(Action::Listen(listen)) = actions.last() else { panic!("last action listens") };
        assert_eq!(listen.grammar.as_deref(), Some(&["sí".to_owned(), "no".to_owned()][..]));
    }

    #[test]
    fn keypad_only_call_hears_notice() {
        let mut dialogue = dialogue();
        let actions = dialogue.start(&CallContext { speech_available: false, ..context() });

        assert!(actions.contains(&Action::Play(Prompt::clip("keypad_only"))));
    }

    #[test]
    fn voice_yes_confirms_and_hangs_up() {
        let mut dialogue = dialogue();
        dialogue.start(&context());

        let actions = dialogue.handle(utterance("sí"));

        assert_eq!(dialogue.state(), "confirmed_yes");
        assert_eq!(actions[0], Action::Play(Prompt::clip("heard_yes")));
        assert_eq!(actions.last(), Some(&Action::Hangup { reason: "completed".into() }));
    }

    #[test]
    fn key_two_is_no() {
        let mut dialogue = dialogue();
        dialogue.start(&context());

        dialogue.handle(DialogueEvent::Digits("2".into()));

        assert_eq!(dialogue.state(), "confirmed_no");
    }

    #[test]
    fn retries_then_gives_up() {
        let mut dialogue = dialogue();
        dialogue.start(&context());

        let first = dialogue.handle(DialogueEvent::NoInput);
        let second = dialogue.handle(DialogueEvent::NoMatch);
        let third = dialogue.handle(DialogueEvent::NoInput);

        assert_eq!(first[0], Action::Play(Prompt::clip("no_input")));
        assert_eq!(second[0], Action::Play(Prompt::clip("not_understood")));
        assert_eq!(dialogue.state(), "no_progress");
        assert_eq!(third.last(), Some(&Action::Hangup { reason: "no_progress".into() }));
    }
}
