//! End to end: a call replayed over the Twilio media socket presses 0, waits in the agent
//! queue with hold audio, and reaches an agent logged in to the console in headless
//! Chromium, whose fake microphone (a 440 Hz tone) is heard on the caller's side; the
//! agent's disposition is stored.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use recobra::agents::{AgentRole, NewAgent, add_agent};
use recobra::config::DialogueKind;
use recobra::replay::client::{CallOptions, run_call};
use recobra::replay::scenario::Scenario;
use recobra::storage::Store;

use common::{repo_root, start_server};

const CHROMIUM: &str = "/usr/bin/chromium";

fn playwright_modules() -> PathBuf {
    let modules = repo_root().join(".deps/node/node_modules");
    assert!(Path::new(CHROMIUM).exists(), "{CHROMIUM} is missing: run `./dev setup --test`");
    assert!(modules.join("playwright-core/package.json").exists(), "playwright-core is missing: run `./dev setup --test`");
    modules
}

/// Writes 20 s of a 440 Hz tone at 48 kHz for Chromium's fake microphone.
fn write_tone_wav(path: &Path) {
    let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..48_000 * 20 {
        let phase = 2.0 * std::f64::consts::PI * 440.0 * f64::from(n) / 48_000.0;
        writer.write_sample((phase.sin() * 12_000.0) as i16).unwrap();
    }
    writer.finalize().unwrap();
}

/// Returns the share of a frame's energy at `frequency` (Goertzel), 0.0 to about 1.0.
fn tone_share(samples: &[i16], frequency: f64) -> f64 {
    let coefficient = 2.0 * (2.0 * std::f64::consts::PI * frequency / 8000.0).cos();
    let (mut previous, mut before) = (0.0, 0.0);
    let mut energy = 0.0;
    for &sample in samples {
        let value = f64::from(sample);
        energy += value * value;
        let current = value + coefficient * previous - before;
        before = previous;
        previous = current;
    }
    let power = previous * previous + before * before - coefficient * previous * before;
    if energy == 0.0 { 0.0 } else { 2.0 * power / (energy * samples.len() as f64) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_call_reaches_browser_agent() {
    let modules = playwright_modules();
    let server = start_server(|config| config.dialogue = DialogueKind::Debt).await;
    let store = Store::open(&server.data_dir.path().join("recobra.sqlite")).unwrap();
    let spanish = vec!["es".to_owned()];
    add_agent(&store, &NewAgent { id: "ana", name: "Ana García", role: AgentRole::Agent, languages: &spanish }, "clave-de-ana").unwrap();

    let scenario = Scenario::load(&repo_root().join("audio-fixtures/scenarios/agent-handoff.toml")).unwrap();
    let options = CallOptions { url: server.media_url(), audio_root: repo_root().join("audio-fixtures"), speed: 2, answer_timeout_ms: 240_000 };
    let caller = tokio::spawn(async move { run_call(&scenario, &options).await });

    let work = tempfile::tempdir().unwrap();
    let wav = work.path().join("fake-mic.wav");
    write_tone_wav(&wav);
    let base = server.http_url("");
    let profile = work.path().join("profile");
    let browser = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(repo_root().join("tests/e2e/console.mjs"))
            .env("CONSOLE_URL", base)
            .env("CONSOLE_USER", "ana")
            .env("CONSOLE_PASSWORD", "clave-de-ana")
            .env("FAKE_AUDIO_WAV", &wav)
            .env("USER_DATA_DIR", profile)
            .env("PLAYWRIGHT_MODULES", modules)
            .env("CONSOLE_SCENARIO", "replayed")
            .output()
            .expect("node runs (install it with `./dev setup --test`)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&browser.stdout);
    let stderr = String::from_utf8_lossy(&browser.stderr);
    assert!(browser.status.success(), "browser side failed\nstdout:\n{stdout}\nstderr:\n{stderr}");

    let report = caller.await.unwrap().expect("call runs");
    assert!(report.closed_by_server, "the server ended the call after the agent hung up");
    let right: Vec<i16> = report.stereo.iter().map(|[_, right]| *right).collect();
    let tone_frames = right.chunks(160).filter(|frame| tone_share(frame, 440.0) > 0.5).count();
    assert!(tone_frames > 25, "the agent's microphone reached the caller ({tone_frames} frames of 440 Hz)");

    let queue = server.queue.clone().unwrap();
    queue.flush().await;
    let stored: (String, String) = store
        .with_connection(|conn| {
            conn.query_row("SELECT disposition, note FROM queue_dispositions WHERE call_sid = ?1", [&report.call_sid], |row| Ok((row.get(0)?, row.get(1)?)))
        })
        .expect("disposition stored for the replayed call");
    assert_eq!(stored, ("callback".to_owned(), "Llamar el lunes por la mañana.".to_owned()));
    let _ = server.stop().await;
}
