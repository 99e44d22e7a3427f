//! Prompt playback: paces prompt audio out in whole 20 ms frames, tracks which prompts the
//! caller actually heard, and handles `clear` (barge-in).
//!
//! The platform plays the audio it receives in order and in real time. The player keeps its
//! own copy of that playout timeline (`playout_end_ms`), so it knows at any moment how much
//! of each prompt has reached the caller's ear, and it never sends more than `lead_ms` of
//! audio ahead of it. Every prompt ends with a marker; the platform reports the marker once
//! the prompt has finished playing. After a clear the platform also reports every pending
//! marker at once. The clear has already dropped those prompts and reported how much of
//! each was heard, and new prompts get new marker names, so those late reports match
//! nothing and are ignored.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::transport::FRAME_SAMPLES;

/// Duration of one frame, in milliseconds.
pub const FRAME_MS: u64 = 20;

/// A prompt ready to play: audio at 8 kHz and how it may be interrupted.
#[derive(Debug, Clone)]
pub struct QueuedPrompt {
    /// Label for the journal (the catalog ids of its segments, joined).
    pub label: String,
    /// 8 kHz mono PCM.
    pub audio: Arc<[i16]>,
    /// Whether caller speech or a keypress may cut it short.
    pub interruptible: bool,
}

/// Report of a prompt's playback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybackReport {
    /// The prompt's label.
    pub label: String,
    /// Milliseconds of audio in the prompt.
    pub duration_ms: u64,
    /// Milliseconds the caller heard before it finished or was cleared.
    pub heard_ms: u64,
    /// True when a clear cut the prompt short.
    pub interrupted: bool,
}

/// Something the player asks the transport to send.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerOutput {
    /// One 20 ms frame of 8 kHz PCM.
    Frame(Vec<i16>),
    /// A marker after the last frame of a prompt.
    Marker(String),
}

#[derive(Debug)]
struct Playing {
    prompt: QueuedPrompt,
    marker: String,
    /// Samples already sent.
    sent: usize,
    /// Call time at which the prompt's first frame starts playing at the phone, once sent.
    playout_start_ms: Option<u64>,
    /// True once the marker went out.
    marker_sent: bool,
}

/// The prompt player of one call.
#[derive(Debug)]
pub struct Player {
    lead_ms: u64,
    queue: VecDeque<Playing>,
    next_marker: u64,
    /// Call time at which everything sent so far will have finished playing.
    playout_end_ms: u64,
    /// Frames sent after the phone had already run out of audio in the middle of a prompt.
    late_frames: u64,
}

impl Player {
    /// Creates a player that keeps at most `lead_ms` of audio queued at the platform.
    pub fn new(lead_ms: u64) -> Self {
        Self {
            lead_ms,
            queue: VecDeque::new(),
            next_marker: 1,
            playout_end_ms: 0,
            late_frames: 0,
        }
    }

    /// Queues a prompt after those already queued.
    pub fn enqueue(&mut self, prompt: QueuedPrompt) {
        let marker = format!("prompt-{}", self.next_marker);
        self.next_marker += 1;
        self.queue.push_back(Playing { prompt, marker, sent: 0, playout_start_ms: None, marker_sent: false });
    }

    /// Sends the frames (and markers) due at call time `now_ms`, appending them to `out`.
    pub fn poll(&mut self, now_ms: u64, out: &mut Vec<PlayerOutput>) {
        let mid_prompt = self.queue.front().is_some_and(|playing| playing.sent > 0 && !playing.marker_sent);
        if mid_prompt && self.playout_end_ms < now_ms {
            // The phone played everything sent and waited for more: an audible gap.
            self.late_frames += (now_ms - self.playout_end_ms).div_ceil(FRAME_MS);
        }
        self.playout_end_ms = self.playout_end_ms.max(now_ms);

        for playing in self.queue.iter_mut() {
            if playing.marker_sent {
                continue;
            }

            while playing.sent < playing.prompt.audio.len() && self.playout_end_ms < now_ms + self.lead_ms {
                if playing.playout_start_ms.is_none() {
                    playing.playout_start_ms = Some(self.playout_end_ms);
                }
                let end = (playing.sent + FRAME_SAMPLES).min(playing.prompt.audio.len());
                let mut frame = playing.prompt.audio[playing.sent..end].to_vec();
                // The platform plays only whole frames, so the last one is padded with silence.
                frame.resize(FRAME_SAMPLES, 0);
                out.push(PlayerOutput::Frame(frame));
                playing.sent = end;
                self.playout_end_ms += FRAME_MS;
            }

            if playing.sent < playing.prompt.audio.len() {
                return;
            }

            if playing.playout_start_ms.is_none() {
                playing.playout_start_ms = Some(self.playout_end_ms);
            }
            out.push(PlayerOutput::Marker(playing.marker.clone()));
            playing.marker_sent = true;
        }
    }

    /// Handles a marker reported by the platform. Returns the report of the prompt it
    /// closes, or `None` for a marker of a prompt a clear already dropped.
    pub fn marker_reached(&mut self, name: &str) -> Option<PlaybackReport> {
        let index = self.queue.iter().position(|playing| playing.marker == name)?;
        // Markers come back in order, so every prompt before this one has finished too.
        let mut report = None;
        for playing in self.queue.drain(..=index) {
            report = Some(PlaybackReport {
                duration_ms: duration_ms(playing.prompt.audio.len()),
                heard_ms: duration_ms(playing.prompt.audio.len()),
                label: playing.prompt.label,
                interrupted: false,
            });
        }
        report
    }

    /// Drops all queued audio after a barge-in at call time `now_ms` and returns what the
    /// caller heard of each dropped prompt. The caller must send a clear to the platform.
    pub fn clear(&mut self, now_ms: u64) -> Vec<PlaybackReport> {
        let mut reports = Vec::new();
        for playing in self.queue.drain(..) {
            let sent_ms = duration_ms(playing.sent);
            let heard_ms = match playing.playout_start_ms {
                Some(start) => now_ms.saturating_sub(start).min(sent_ms),
                None => 0,
            };
            let duration_ms = duration_ms(playing.prompt.audio.len());
            reports.push(PlaybackReport { label: playing.prompt.label, duration_ms, heard_ms, interrupted: heard_ms < duration_ms });
        }
        self.playout_end_ms = now_ms;
        reports
    }

    /// Frames that reached the phone after its audio ran out mid-prompt, since the call began.
    pub fn late_frames(&self) -> u64 {
        self.late_frames
    }

    /// Removes the queued prompts that have not started to play (none of their audio was
    /// sent), keeping the one at the caller's ear; no clear is needed for them.
    pub fn drop_unstarted(&mut self) -> Vec<String> {
        let mut dropped = Vec::new();
        let mut index = 0;
        while index < self.queue.len() {
            if index > 0 && self.queue[index].sent == 0 {
                if let Some(playing) = self.queue.remove(index) {
                    dropped.push(playing.prompt.label);
                }
            } else {
                index += 1;
            }
        }
        dropped
    }

    /// Returns true while any queued prompt has not been reported as played.
    pub fn is_playing(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Label of the prompt at the caller's ear (or next to play).
    pub fn current_label(&self) -> Option<&str> {
        self.queue.front().map(|playing| playing.prompt.label.as_str())
    }

    /// Returns true while the prompt at the caller's ear (or next to play) may be cut short.
    pub fn is_interruptible(&self) -> bool {
        self.queue.front().is_some_and(|playing| playing.prompt.interruptible)
    }
}

fn duration_ms(samples: usize) -> u64 {
    samples as u64 * 1000 / 8000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(label: &str, ms: usize, interruptible: bool) -> QueuedPrompt {
        let audio: Vec<i16> = (0..ms * 8).map(|i| (i % 100) as i16 + 1).collect();
        QueuedPrompt { label: label.to_owned(), audio: audio.into(), interruptible }
    }

    fn frames(out: &[PlayerOutput]) -> usize {
        out.iter().filter(|o| matches!(o, PlayerOutput::Frame(_))).count()
    }

    #[test]
    fn lead_limits_frames_ahead() {
        let mut player = Player::new(400);
        player.enqueue(prompt("long", 2_000, true));

        let mut out = Vec::new();
        player.poll(0, &mut out);
        assert_eq!(frames(&out), 20, "400 ms of lead is 20 frames");

        out.clear();
        player.poll(20, &mut out);
        assert_eq!(frames(&out), 1, "each 20 ms of call time releases one frame");

        out.clear();
        player.poll(20, &mut out);
        assert_eq!(frames(&out), 0, "no new call time, no new frame");
    }

    #[test]
    fn gap_in_polling_counts_late_frames() {
        let mut player = Player::new(100);
        player.enqueue(prompt("long", 1_000, true));
        let mut out = Vec::new();
        player.poll(0, &mut out);
        assert_eq!(player.late_frames(), 0);

        player.poll(300, &mut out);

        assert_eq!(player.late_frames(), 10, "200 ms of silence at the phone is 10 frames");
    }

    #[test]
    fn drop_unstarted_keeps_current_prompt() {
        let mut player = Player::new(100);
        player.enqueue(prompt("current", 1_000, false));
        player.enqueue(prompt("next", 500, true));
        player.enqueue(prompt("later", 500, true));
        let mut out = Vec::new();
        player.poll(0, &mut out);

        let dropped = player.drop_unstarted();

        assert_eq!(dropped, ["next", "later"]);
        assert_eq!(player.current_label(), Some("current"));
    }

    #[test]
    fn frames_are_whole_and_padded() {
        let mut player = Player::new(400);
        player.enqueue(prompt("short", 25, true));

        let mut out = Vec::new();
        player.poll(0, &mut out);

        assert_eq!(frames(&out), 2);
        for output in &out {
            if let PlayerOutput::Frame(frame) = output {
                assert_eq!(frame.len(), FRAME_SAMPLES);
            }
        }
        let PlayerOutput::Frame(last) = &out[1] else { panic!("second output is a frame") };
        assert!(last[40..].iter().all(|&s| s == 0), "padding after the last 5 ms is silence");
        assert_eq!(out[2], PlayerOutput::Marker("prompt-1".into()));
    }

    #[test]
    fn marker_reports_full_playback() {
        let mut player = Player::new(400);
        player.enqueue(prompt("a", 100, true));
        let mut out = Vec::new();
        player.poll(0, &mut out);

        let report = player.marker_reached("prompt-1").expect("marker closes the prompt");

        assert_eq!(report.heard_ms, 100);
        assert!(!report.interrupted);
        assert!(!player.is_playing());
    }

    #[test]
    fn clear_reports_heard_part_and_ignores_stale_markers() {
        let mut player = Player::new(400);
        player.enqueue(prompt("first", 200, true));
        player.enqueue(prompt("second", 1_000, true));
        let mut out = Vec::new();
        for now in (0..=300).step_by(20) {
            player.poll(now, &mut out);
        }

        let reports = player.clear(300);

        assert_eq!(reports.len(), 2);
        assert_eq!(reports[0].label, "first");
        assert_eq!(reports[0].heard_ms, 200, "first prompt played out before the clear");
        assert!(!reports[0].interrupted, "a prompt heard in full was not interrupted");
        assert_eq!(reports[1].label, "second");
        assert_eq!(reports[1].heard_ms, 100, "second prompt started playing at 200 ms");
        assert!(reports[1].interrupted);
        assert_eq!(player.marker_reached("prompt-1"), None, "echo after clear is not a finished prompt");
        assert!(!player.is_playing());
    }

    #[test]
    fn prompt_after_clear_gets_fresh_marker() {
        let mut player = Player::new(400);
        player.enqueue(prompt("a", 40, true));
        let mut out = Vec::new();
        player.poll(0, &mut out);
        player.clear(10);

        player.enqueue(prompt("b", 40, true));
        out.clear();
        player.poll(10, &mut out);

        assert_eq!(out.last(), Some(&PlayerOutput::Marker("prompt-2".into())));
        assert_eq!(player.marker_reached("prompt-1"), None);
        assert_eq!(player.marker_reached("prompt-2").map(|r| r.label), Some("b".into()));
    }
}
