//! The call session: a state machine joining audio, recognition, playback and the dialogue.

pub mod listener;
pub mod player;
