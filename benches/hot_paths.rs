//! Measures the per-frame and per-turn work of a call, without I/O:
//!
//! - G.711 µ-law decode and encode, 8 kHz to 16 kHz resampling, voice activity detection
//!   and in-band DTMF detection, per 20 ms frame;
//! - Spanish NLU per utterance and one step of the debt dialogue;
//! - prompt playback (`Player::poll`) and the whole session (`CallSession::handle_transport`
//!   with a caller frame, silent or speech), per frame.
//!
//! Run with `cargo bench --bench hot_paths`. Each case runs `ROUNDS` rounds of a fixed
//! number of iterations and prints the median time per iteration. Per-frame cases also
//! print the real-time factor: 20 ms divided by that time, which is how many calls one
//! core could carry for that step alone. A hand-written loop with `std::hint::black_box` replaces
//! criterion, whose dependency tree would add much more compile time than this file.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;

use recobra::audio::dtmf::{DtmfConfig, DtmfDetector};
use recobra::audio::g711::{self, G711Law};
use recobra::audio::resample::StreamResampler;
use recobra::audio::vad::{Vad, VadConfig};
use recobra::dialogue::debt::{Account, DebtDialogue, KeypadMap};
use recobra::dialogue::demo::{DemoDialogue, YesNoPhrases};
use recobra::dialogue::policy::PolicySet;
use recobra::dialogue::{CallContext, Dialogue, DialogueEvent, Utterance, nlu};
use recobra::prompts::library::PromptLibrary;
use recobra::session::call::{CallSession, RecognizerCommand, SessionConfig, SessionOutput};
use recobra::session::listener::ListenerConfig;
use recobra::session::player::{Player, PlayerOutput, QueuedPrompt};
use recobra::transport::{FRAME_SAMPLES, TransportCommand, TransportEvent};

/// Rounds per case; the median round is reported.
const ROUNDS: usize = 9;

/// Nanoseconds in one 20 ms frame.
const FRAME_NS: f64 = 20_000_000.0;

fn main() {
    let speech = read_fixture("audio-fixtures/ko/ne-8k.wav");
    let frames: Vec<Vec<i16>> = speech.chunks_exact(FRAME_SAMPLES).map(<[i16]>::to_vec).collect();
    if !timing_run() {
        println!("smoke test only: run `cargo bench --bench hot_paths` for timings");
    }
    println!("{:<44} {:>12} {:>14}", "case", "median", "real-time x");

    bench_g711(&frames);
    bench_resample(&frames);
    bench_vad(&frames);
    bench_dtmf(&frames);
    bench_nlu();
    bench_dialogue();
    bench_player();
    bench_session(&frames);
}

/// Returns true under `cargo bench`, which passes `--bench`. `cargo test --all-targets`
/// runs this binary without it, unoptimised, so every case then runs only a few times as
/// a smoke test.
fn timing_run() -> bool {
    std::env::args().any(|argument| argument == "--bench")
}

/// Runs `body` `iterations` times per round and prints the median nanoseconds per call.
fn measure(name: &str, iterations: usize, per_frame: bool, mut body: impl FnMut()) {
    let (iterations, rounds) = if timing_run() { (iterations, ROUNDS) } else { (iterations / 1000 + 1, 1) };
    for _ in 0..iterations / 10 + 1 {
        body();
    }
    let mut rounds: Vec<f64> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..iterations {
                body();
            }
            started.elapsed().as_nanos() as f64 / iterations as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    let median = rounds[rounds.len() / 2];
    let factor = if per_frame { format!("{:.0}", FRAME_NS / median) } else { "-".to_owned() };
    println!("{name:<44} {:>9.0} ns {factor:>14}", median);
}

fn read_fixture(relative: &str) -> Vec<i16> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let mut reader = hound::WavReader::open(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    reader.samples::<i16>().map(|sample| sample.expect("valid fixture sample")).collect()
}

fn bench_g711(frames: &[Vec<i16>]) {
    let mut codes = Vec::with_capacity(FRAME_SAMPLES);
    let mut decoded = Vec::with_capacity(FRAME_SAMPLES);
    let mut index = 0;
    measure("g711 mu-law encode, per frame", 100_000, true, || {
        codes.clear();
        g711::encode_into(G711Law::Mulaw, black_box(&frames[index % frames.len()]), &mut codes);
        index += 1;
    });
    measure("g711 mu-law decode, per frame", 100_000, true, || {
        decoded.clear();
        g711::decode_into(G711Law::Mulaw, black_box(&codes), &mut decoded);
    });
}

fn bench_resample(frames: &[Vec<i16>]) {
    let mut resampler = StreamResampler::new(8_000, 16_000, FRAME_SAMPLES).expect("8 kHz to 16 kHz resampler");
    let mut output = Vec::with_capacity(resampler.max_output_len(FRAME_SAMPLES));
    let mut index = 0;
    measure("resample 8 kHz -> 16 kHz, per frame", 20_000, true, || {
        output.clear();
        resampler.process(black_box(&frames[index % frames.len()]), &mut output);
        index += 1;
    });
}

fn bench_vad(frames: &[Vec<i16>]) {
    let mut vad = Vad::new(VadConfig::default());
    let mut index = 0;
    measure("VAD classify, per frame", 100_000, true, || {
        black_box(vad.classify(black_box(&frames[index % frames.len()])));
        index += 1;
    });
}

fn bench_dtmf(frames: &[Vec<i16>]) {
    let mut detector = DtmfDetector::new(DtmfConfig::default());
    let mut index = 0;
    measure("DTMF detect (speech input), per frame", 100_000, true, || {
        black_box(detector.process(black_box(&frames[index % frames.len()])));
        index += 1;
    });
}

fn bench_nlu() {
    let utterances = [
        "sí, soy yo",
        "no puedo pagar ahora",
        "quiero pagarlo en tres plazos",
        "le pago el quince de julio",
        "ya lo he pagado",
        "quiero hablar con una persona",
    ];
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("valid date");
    let mut index = 0;
    measure("NLU interpret, per utterance", 5_000, false, || {
        black_box(nlu::interpret(black_box(utterances[index % utterances.len()]), Some("menu"), today));
        index += 1;
    });
}

fn bench_dialogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policies = PolicySet::load(&root.join("config/policies.toml")).expect("policies load");
    let policy = policies.get("standard").expect("standard policy").clone();
    let keypad = KeypadMap::load(&root.join("config/keypad.toml")).expect("keypad loads");
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("valid date");
    let account = Account {
        id: "D-1001".to_owned(),
        full_name: "Lucía Martín Sánchez".to_owned(),
        phone: "+34600111222".to_owned(),
        national_id_last4: "4821".to_owned(),
        creditor: "Finanzas Ejemplo".to_owned(),
        amount_cents: 123_456,
        currency: "EUR".to_owned(),
        due_date: NaiveDate::from_ymd_opt(2026, 9, 30).expect("valid date"),
        policy: "standard".to_owned(),
    };
    let context = CallContext {
        call_sid: "CA-bench".to_owned(),
        caller_number: Some("+34600111222".to_owned()),
        account_id: Some("D-1001".to_owned()),
        speech_available: true,
    };
    let start = || {
        let mut dialogue = DebtDialogue::new(Some(account.clone()), policy.clone(), keypad.clone(), today);
        black_box(dialogue.start(&context));
        dialogue
    };
    measure("debt dialogue new + start", 5_000, false, || {
        black_box(start());
    });
    measure("debt dialogue new + start + one key answer", 5_000, false, || {
        let mut dialogue = start();
        black_box(dialogue.handle(DialogueEvent::Digits("1".to_owned())));
    });
}

fn bench_player() {
    let prompt = QueuedPrompt { label: "bench".to_owned(), audio: tone(60_000), interruptible: true };
    let mut player = Player::new(400);
    let mut out = Vec::new();
    let mut now_ms = 0;
    measure("player poll (prompt playing), per frame", 100_000, true, || {
        if !player.is_playing() {
            player.enqueue(prompt.clone());
        }
        out.clear();
        player.poll(now_ms, &mut out);
        for output in &out {
            if let PlayerOutput::Marker(name) = output {
                black_box(player.marker_reached(name));
            }
        }
        now_ms += 20;
    });
}

/// Builds a 440 Hz tone of `ms` milliseconds at 8 kHz, standing in for prompt audio.
fn tone(ms: usize) -> Arc<[i16]> {
    (0..ms * 8).map(|n| ((n as f32 * 440.0 / 8000.0 * std::f32::consts::TAU).sin() * 6000.0) as i16).collect()
}

/// A session on the demo flow whose prompts are tones, fed caller frames. Markers are
/// echoed right away so that the flow keeps moving, and a new session replaces an ended one.
struct SessionBench {
    session: CallSession,
    markers: Vec<String>,
}

impl SessionBench {
    fn new() -> Self {
        let clips: HashMap<String, Arc<[i16]>> = ["greeting", "ask_yes_no", "heard_yes", "heard_no", "not_understood", "no_input", "goodbye"]
            .into_iter()
            .map(|id| (id.to_owned(), tone(5_000)))
            .collect();
        let prompts = Arc::new(PromptLibrary::from_clips(clips));
        let config = SessionConfig {
            playback_lead_ms: 400,
            listener: ListenerConfig { trailing_silence_ms: 700, barge_in_min_speech_ms: 300 },
            barge_in_threshold_boost_db: 10.0,
            vad: VadConfig::default(),
            speech_available: true,
            queue_phrases: Arc::default(),
        };
        let context = CallContext { call_sid: "CA-bench".to_owned(), speech_available: true, ..CallContext::default() };
        let dialogue = DemoDialogue::new(YesNoPhrases { yes: vec!["sí".to_owned()], no: vec!["no".to_owned()] });
        Self { session: CallSession::new(config, &context, Box::new(dialogue), prompts), markers: Vec::new() }
    }

    fn frame(&mut self, frame: &[i16]) {
        if self.session.is_ended() {
            *self = Self::new();
        }
        self.session.handle_transport(TransportEvent::Audio(frame.to_vec()));
        let mut utterance_ended = false;
        for output in self.session.drain_outputs() {
            match output {
                SessionOutput::Transport(TransportCommand::Marker(name)) => self.markers.push(name),
                SessionOutput::Recognizer(RecognizerCommand::End) => utterance_ended = true,
                _ => {}
            }
        }
        if utterance_ended {
            let utterance = Utterance { text: "sí".to_owned(), confidence: 0.9, alternatives: Vec::new() };
            self.session.handle_recognition(utterance, 1_000, 20);
        }
        for name in std::mem::take(&mut self.markers) {
            self.session.handle_transport(TransportEvent::MarkerReached(name));
        }
    }
}

fn bench_session(frames: &[Vec<i16>]) {
    let silence = vec![0_i16; FRAME_SAMPLES];
    let mut bench = SessionBench::new();
    measure("session handle_transport (silence), per frame", 50_000, true, || {
        bench.frame(black_box(&silence));
    });

    let mut bench = SessionBench::new();
    let mut index = 0;
    measure("session handle_transport (speech), per frame", 50_000, true, || {
        bench.frame(black_box(&frames[index % frames.len()]));
        index += 1;
    });
}
