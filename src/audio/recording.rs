//! Call recording: a stereo 16-bit 8 kHz WAV file with the caller on the left channel and the
//! assistant on the right, aligned as the caller heard them.
//!
//! The recorder streams to disk through hound and keeps at most [`MAX_QUEUED_ASSISTANT_SAMPLES`]
//! of audio in memory. Caller frames drive the timeline: the telephony platform plays the
//! assistant's audio in real time alongside the caller's, so each caller sample is paired with
//! the next queued assistant sample, or silence when nothing is playing.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hound::{SampleFormat, WavSpec, WavWriter};

const SAMPLE_RATE_HZ: u32 = 8000;

/// Maximum assistant audio waiting to be paired with caller audio (10 s at 8 kHz).
pub const MAX_QUEUED_ASSISTANT_SAMPLES: usize = 10 * SAMPLE_RATE_HZ as usize;

/// Stereo frames between header updates (1 s), so a crash loses at most about a second.
const FLUSH_INTERVAL_FRAMES: u64 = SAMPLE_RATE_HZ as u64;

/// A failure to create, write or finalize a recording.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The directory for the recording could not be created.
    #[error("failed to create the recording directory {path}: {source}")]
    CreateDirectory { path: PathBuf, source: io::Error },

    /// The recording file could not be created.
    #[error("failed to create the recording file {path}: {source}")]
    Create { path: PathBuf, source: hound::Error },

    /// A write failed (a full disk, for example). The recorder has stopped, and the file keeps
    /// the audio up to the last flush.
    #[error(
        "failed to write the recording {path}, recording stopped with {flushed_audio:?} kept: {source}"
    )]
    Write {
        path: PathBuf,
        /// Length of the audio the file keeps.
        flushed_audio: Duration,
        source: hound::Error,
    },

    /// The final header update failed. The file keeps the audio up to the last flush.
    #[error("failed to finalize the recording {path}: {source}")]
    Finalize { path: PathBuf, source: hound::Error },
}

/// Contents of a finished recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingSummary {
    /// The WAV file.
    pub path: PathBuf,
    /// Stereo frames (samples per channel) that the file's header covers.
    pub frames: u64,
    /// Length of the audio that the file's header covers.
    pub duration: Duration,
    /// Assistant samples dropped because the queue was full, oldest first.
    pub assistant_samples_overflowed: u64,
    /// Assistant samples the caller never heard: cleared by barge-in or still queued at the end.
    pub assistant_samples_discarded: u64,
    /// Whether a write error stopped the recording before the end of the call.
    pub truncated: bool,
}

/// A streaming stereo recorder for one call.
///
/// Writes go through `BufWriter`'s buffer (8 KiB in current Rust), so most calls only copy
/// samples. About every 256 ms of audio a call writes to the file, and once per second it
/// also rewrites the header, both as blocking file I/O.
///
/// Dropping it without [`CallRecorder::finish`] still finalizes the file, but any error is
/// lost.
pub struct CallRecorder {
    path: PathBuf,
    /// The open file, or `None` once a write has failed.
    writer: Option<WavWriter<BufWriter<LatchingFile>>>,
    assistant_queue: VecDeque<i16>,
    frames_written: u64,
    frames_flushed: u64,
    assistant_samples_overflowed: u64,
    assistant_samples_discarded: u64,
}

impl CallRecorder {
    /// Creates the WAV file at `path` (and its parent directories), replacing any file there.
    pub fn create(path: &Path) -> Result<Self, RecordingError> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|source| RecordingError::CreateDirectory {
                path: parent.to_path_buf(),
                source,
            })?;
        }

        let file = File::create(path).map_err(|error| RecordingError::Create {
            path: path.to_path_buf(),
            source: hound::Error::IoError(error),
        })?;
        Self::with_sink(path, Box::new(file))
    }

    /// Starts a recording on any seekable byte sink, named `path` in errors and the summary.
    fn with_sink(path: &Path, sink: Box<dyn Sink>) -> Result<Self, RecordingError> {
        let spec = WavSpec {
            channels: 2,
            sample_rate: SAMPLE_RATE_HZ,
            bits_per_sample: 16,
            sample_format: SampleFormat::Int,
        };
        let writer =
            WavWriter::new(BufWriter::new(LatchingFile::new(sink)), spec).map_err(|source| {
                RecordingError::Create {
                    path: path.to_path_buf(),
                    source,
                }
            })?;

        Ok(Self {
            path: path.to_path_buf(),
            writer: Some(writer),
            assistant_queue: VecDeque::with_capacity(MAX_QUEUED_ASSISTANT_SAMPLES),
            frames_written: 0,
            frames_flushed: 0,
            assistant_samples_overflowed: 0,
            assistant_samples_discarded: 0,
        })
    }

    /// Writes one received caller frame, pairing each sample with the next queued assistant
    /// sample (silence when the queue is empty).
    ///
    /// The first write error stops the recorder and is returned, so the caller can log it with
    /// the call's ids. Later calls do nothing and return `Ok`.
    pub fn push_caller(&mut self, frame: &[i16]) -> Result<(), RecordingError> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };

        for &caller_sample in frame {
            let assistant_sample = self.assistant_queue.pop_front().unwrap_or(0);
            let written = writer
                .write_sample(caller_sample)
                .and_then(|()| writer.write_sample(assistant_sample));
            if let Err(source) = written {
                return Err(self.stop(source));
            }
        }
        self.frames_written += frame.len() as u64;

        if self.frames_written - self.frames_flushed >= FLUSH_INTERVAL_FRAMES {
            if let Err(source) = writer.flush() {
                return Err(self.stop(source));
            }
            self.frames_flushed = self.frames_written;
        }
        Ok(())
    }

    /// Queues audio sent to the caller, to be written alongside the caller audio that arrives
    /// while it plays.
    ///
    /// Beyond [`MAX_QUEUED_ASSISTANT_SAMPLES`] the oldest queued samples are dropped: when
    /// caller audio stops arriving, the platform has still played them, so the newest audio
    /// keeps its alignment.
    pub fn push_assistant(&mut self, samples: &[i16]) {
        if self.writer.is_none() {
            return;
        }

        for &sample in samples {
            if self.assistant_queue.len() == MAX_QUEUED_ASSISTANT_SAMPLES {
                self.assistant_queue.pop_front();
                self.assistant_samples_overflowed += 1;
            }
            self.assistant_queue.push_back(sample);
        }
    }

    /// Drops the queued assistant audio, because playback was cleared (barge-in) and the caller
    /// never heard it.
    pub fn discard_unplayed_assistant(&mut self) {
        self.assistant_samples_discarded += self.assistant_queue.len() as u64;
        self.assistant_queue.clear();
    }

    /// Finalizes the file's header and returns what the recording contains.
    ///
    /// Assistant audio still queued was never heard and is counted as discarded. After an
    /// earlier write error this returns `Ok` with `truncated` set, because that error was
    /// already returned by [`CallRecorder::push_caller`].
    pub fn finish(mut self) -> Result<RecordingSummary, RecordingError> {
        self.discard_unplayed_assistant();

        let truncated = match self.writer.take() {
            None => true,
            Some(writer) => {
                writer
                    .finalize()
                    .map_err(|source| RecordingError::Finalize {
                        path: self.path.clone(),
                        source,
                    })?;
                self.frames_flushed = self.frames_written;
                false
            }
        };

        Ok(RecordingSummary {
            path: self.path,
            frames: self.frames_flushed,
            duration: frames_to_duration(self.frames_flushed),
            assistant_samples_overflowed: self.assistant_samples_overflowed,
            assistant_samples_discarded: self.assistant_samples_discarded,
            truncated,
        })
    }

    /// Turns the recorder off after a write error and returns the error to report.
    fn stop(&mut self, source: hound::Error) -> RecordingError {
        // Dropping the writer closes the file. Its header still covers the last flush,
        // because the latched file rejects the header update that hound tries on drop.
        self.writer = None;
        self.assistant_queue.clear();
        RecordingError::Write {
            path: self.path.clone(),
            flushed_audio: frames_to_duration(self.frames_flushed),
            source,
        }
    }
}

impl std::fmt::Debug for CallRecorder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CallRecorder")
            .field("path", &self.path)
            .field("recording", &self.writer.is_some())
            .field("frames_written", &self.frames_written)
            .field("queued_assistant_samples", &self.assistant_queue.len())
            .finish_non_exhaustive()
    }
}

fn frames_to_duration(frames: u64) -> Duration {
    Duration::from_secs_f64(frames as f64 / SAMPLE_RATE_HZ as f64)
}

/// Destination of a recording's bytes: a file, or an in-memory disk in tests.
trait Sink: Write + Seek + Send {}

impl<T: Write + Seek + Send> Sink for T {}

/// A file that rejects every operation after the first failed one.
///
/// After a write error (a full disk, for example) the file should stay as the last flush left
/// it, with a header that counts whole stereo frames on disk. hound finalizes the header when
/// its writer is dropped, which after a failed write could count half a stereo frame, so every
/// operation after the first error is rejected.
struct LatchingFile {
    file: Box<dyn Sink>,
    failed: bool,
}

impl std::fmt::Debug for LatchingFile {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LatchingFile")
            .field("failed", &self.failed)
            .finish()
    }
}

impl LatchingFile {
    fn new(file: Box<dyn Sink>) -> Self {
        Self {
            file,
            failed: false,
        }
    }

    fn guard<T>(
        &mut self,
        operation: impl FnOnce(&mut Box<dyn Sink>) -> io::Result<T>,
    ) -> io::Result<T> {
        if self.failed {
            return Err(io::Error::other(
                "the recording file had an earlier write error",
            ));
        }
        let result = operation(&mut self.file);
        self.failed = result.is_err();
        result
    }
}

impl Write for LatchingFile {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        self.guard(|file| file.write(buffer))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.guard(|file| file.flush())
    }
}

impl Seek for LatchingFile {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        self.guard(|file| file.seek(position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME_LEN: usize = 160;

    /// Returns `count` samples counting up from `start`, so every sample is recognisable.
    fn ramp(start: i16, count: usize) -> Vec<i16> {
        (0..count)
            .map(|offset| start.wrapping_add(offset as i16))
            .collect()
    }

    fn push_caller_frames(recorder: &mut CallRecorder, caller: &[i16]) {
        for frame in caller.chunks(FRAME_LEN) {
            recorder.push_caller(frame).expect("caller frame written");
        }
    }

    /// Reads a recording back as its left and right channels.
    fn read_channels(path: &Path) -> (Vec<i16>, Vec<i16>) {
        let mut reader = hound::WavReader::open(path).expect("recording readable");
        let spec = reader.spec();
        assert_eq!(spec.channels, 2);
        assert_eq!(spec.sample_rate, 8000);
        assert_eq!(spec.bits_per_sample, 16);
        assert_eq!(spec.sample_format, SampleFormat::Int);

        let samples: Vec<i16> = reader
            .samples::<i16>()
            .map(|s| s.expect("sample"))
            .collect();
        let left = samples.iter().step_by(2).copied().collect();
        let right = samples.iter().skip(1).step_by(2).copied().collect();
        (left, right)
    }

    #[test]
    fn channels_hold_caller_and_assistant() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("calls").join("CA123.wav");
        let caller = ramp(1, 8 * FRAME_LEN);
        let first_prompt = ramp(10_000, 100);
        let second_prompt = ramp(20_000, 300);
        let mut recorder = CallRecorder::create(&path).unwrap();

        recorder.push_assistant(&first_prompt);
        push_caller_frames(&mut recorder, &caller[..2 * FRAME_LEN]);
        recorder.push_assistant(&second_prompt);
        push_caller_frames(&mut recorder, &caller[2 * FRAME_LEN..]);
        let summary = recorder.finish().unwrap();

        // The first prompt plays at once, then silence until the second prompt is sent after
        // the second caller frame, then silence again.
        let mut expected_right = first_prompt.clone();
        expected_right.resize(2 * FRAME_LEN, 0);
        expected_right.extend(&second_prompt);
        expected_right.resize(caller.len(), 0);

        let (left, right) = read_channels(&path);
        assert_eq!(left, caller);
        assert_eq!(right, expected_right);
        assert_eq!(summary.frames, caller.len() as u64);
        assert_eq!(summary.duration, Duration::from_millis(160));
        assert!(!summary.truncated);
        assert_eq!(summary.assistant_samples_discarded, 0);
    }

    #[test]
    fn discard_drops_unplayed_assistant() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("barge-in.wav");
        let prompt = ramp(5_000, 400);
        let mut recorder = CallRecorder::create(&path).unwrap();

        recorder.push_assistant(&prompt);
        push_caller_frames(&mut recorder, &ramp(1, FRAME_LEN));
        recorder.discard_unplayed_assistant();
        push_caller_frames(&mut recorder, &ramp(1_000, 2 * FRAME_LEN));
        let summary = recorder.finish().unwrap();

        let (_, right) = read_channels(&path);
        assert_eq!(right[..FRAME_LEN], prompt[..FRAME_LEN]);
        assert!(right[FRAME_LEN..].iter().all(|&sample| sample == 0));
        assert_eq!(
            summary.assistant_samples_discarded,
            (prompt.len() - FRAME_LEN) as u64
        );
    }

    #[test]
    fn finish_counts_queued_assistant_as_discarded() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hang-up.wav");
        let mut recorder = CallRecorder::create(&path).unwrap();

        recorder.push_assistant(&ramp(1, 500));
        push_caller_frames(&mut recorder, &ramp(1, FRAME_LEN));
        let summary = recorder.finish().unwrap();

        assert_eq!(summary.assistant_samples_discarded, 340);
        assert_eq!(summary.frames, FRAME_LEN as u64);
    }

    #[test]
    fn assistant_queue_keeps_newest_audio() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("overflow.wav");
        let extra = 2 * SAMPLE_RATE_HZ as usize;
        let sent: Vec<i16> = (0..MAX_QUEUED_ASSISTANT_SAMPLES + extra)
            .map(|index| (index % 30_000) as i16)
            .collect();
        let mut recorder = CallRecorder::create(&path).unwrap();

        recorder.push_assistant(&sent);
        push_caller_frames(
            &mut recorder,
            &vec![0; MAX_QUEUED_ASSISTANT_SAMPLES + FRAME_LEN],
        );
        let summary = recorder.finish().unwrap();

        let (_, right) = read_channels(&path);
        assert_eq!(summary.assistant_samples_overflowed, extra as u64);
        assert_eq!(right[..MAX_QUEUED_ASSISTANT_SAMPLES], sent[extra..]);
        assert!(
            right[MAX_QUEUED_ASSISTANT_SAMPLES..]
                .iter()
                .all(|&sample| sample == 0)
        );
    }

    #[test]
    fn flushed_audio_readable_before_finish() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("live.wav");
        let caller = ramp(1, 12_000);
        let mut recorder = CallRecorder::create(&path).unwrap();

        push_caller_frames(&mut recorder, &caller);

        // The flush after the first second updated the header while the call goes on.
        let (left, _) = read_channels(&path);
        assert_eq!(left.len(), FLUSH_INTERVAL_FRAMES as usize);
        assert_eq!(left, caller[..FLUSH_INTERVAL_FRAMES as usize]);

        let summary = recorder.finish().unwrap();
        let (left, _) = read_channels(&path);
        assert_eq!(left, caller);
        assert_eq!(summary.frames, caller.len() as u64);
    }

    #[test]
    fn finish_right_after_flush() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("one-second.wav");
        let caller = ramp(-4_000, FLUSH_INTERVAL_FRAMES as usize);
        let mut recorder = CallRecorder::create(&path).unwrap();

        push_caller_frames(&mut recorder, &caller);
        let summary = recorder.finish().unwrap();

        let (left, right) = read_channels(&path);
        assert_eq!(left, caller);
        assert_eq!(right, vec![0; caller.len()]);
        assert_eq!(summary.duration, Duration::from_secs(1));
    }

    #[test]
    fn empty_recording_is_valid() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("empty.wav");

        let summary = CallRecorder::create(&path).unwrap().finish().unwrap();

        let (left, _) = read_channels(&path);
        assert!(left.is_empty());
        assert_eq!(summary.frames, 0);
    }

    #[test]
    fn file_in_place_of_directory_rejected() {
        let directory = tempfile::tempdir().unwrap();
        let blocker = directory.path().join("recordings");
        std::fs::write(&blocker, b"not a directory").unwrap();
        let path = blocker.join("CA123.wav");

        let error = CallRecorder::create(&path).unwrap_err();

        match error {
            RecordingError::CreateDirectory { path: failed, .. } => assert_eq!(failed, blocker),
            other => panic!("expected CreateDirectory, got {other:?}"),
        }
    }

    #[test]
    fn directory_in_place_of_file_rejected() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("taken.wav");
        std::fs::create_dir(&path).unwrap();

        let error = CallRecorder::create(&path).unwrap_err();

        match error {
            RecordingError::Create { path: failed, .. } => assert_eq!(failed, path),
            other => panic!("expected Create, got {other:?}"),
        }
    }

    /// /dev/full accepts the file creation but fails every write with "no space left on
    /// device", like a full disk.
    #[test]
    fn write_error_stops_recorder_once() {
        let path = Path::new("/dev/full");
        let mut recorder = CallRecorder::create(path).unwrap();
        recorder.push_assistant(&ramp(1, 1_000));

        let results: Vec<_> = (0..100)
            .map(|_| recorder.push_caller(&[1; FRAME_LEN]))
            .collect();

        let errors: Vec<_> = results
            .iter()
            .filter_map(|result| result.as_ref().err())
            .collect();
        assert_eq!(errors.len(), 1, "results: {results:?}");
        match errors[0] {
            RecordingError::Write {
                path: failed,
                flushed_audio,
                ..
            } => {
                assert_eq!(failed, path);
                assert_eq!(*flushed_audio, Duration::ZERO);
            }
            other => panic!("expected Write, got {other:?}"),
        }

        let summary = recorder.finish().unwrap();
        assert!(summary.truncated);
        assert_eq!(summary.frames, 0);
    }

    /// An in-memory disk with room for `capacity` bytes, like a nearly full disk.
    struct SmallDisk {
        bytes: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
        position: usize,
        capacity: usize,
    }

    impl Write for SmallDisk {
        fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
            let room = self.capacity.saturating_sub(self.position);
            if room == 0 {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }

            let count = buffer.len().min(room);
            let mut bytes = self.bytes.lock().unwrap();
            if bytes.len() < self.position + count {
                bytes.resize(self.position + count, 0);
            }
            bytes[self.position..self.position + count].copy_from_slice(&buffer[..count]);
            self.position += count;
            Ok(count)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Seek for SmallDisk {
        fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
            let length = self.bytes.lock().unwrap().len() as i64;
            let target = match position {
                SeekFrom::Start(offset) => offset as i64,
                SeekFrom::End(offset) => length + offset,
                SeekFrom::Current(offset) => self.position as i64 + offset,
            };
            self.position = usize::try_from(target).map_err(io::Error::other)?;
            Ok(self.position as u64)
        }
    }

    #[test]
    fn full_disk_keeps_flushed_audio() {
        const HEADER_BYTES: usize = 44;
        const BYTES_PER_FRAME: usize = 4;
        let bytes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let disk = SmallDisk {
            bytes: bytes.clone(),
            position: 0,
            capacity: HEADER_BYTES + 12_000 * BYTES_PER_FRAME,
        };
        let path = Path::new("small-disk.wav");
        let caller = ramp(1, 24_000);
        let mut recorder = CallRecorder::with_sink(path, Box::new(disk)).unwrap();

        let results: Vec<_> = caller
            .chunks(FRAME_LEN)
            .map(|frame| recorder.push_caller(frame))
            .collect();
        let summary = recorder.finish().unwrap();

        let errors: Vec<_> = results
            .iter()
            .filter_map(|result| result.as_ref().err())
            .collect();
        assert_eq!(errors.len(), 1);
        match errors[0] {
            RecordingError::Write { flushed_audio, .. } => {
                assert_eq!(*flushed_audio, Duration::from_secs(1));
            }
            other => panic!("expected Write, got {other:?}"),
        }
        assert!(summary.truncated);
        assert_eq!(summary.frames, FLUSH_INTERVAL_FRAMES);

        // The header still describes the first second, so the bytes read back as that audio.
        let written = bytes.lock().unwrap().clone();
        let mut reader = hound::WavReader::new(io::Cursor::new(written)).unwrap();
        let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
        let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
        assert_eq!(left, caller[..FLUSH_INTERVAL_FRAMES as usize]);
    }
}
