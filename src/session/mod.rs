//! The call session: a state machine joining audio, recognition, playback and the dialogue,
//! and the async driver that runs it for one connection.

pub mod call;
pub mod driver;
pub mod listener;
pub mod player;
