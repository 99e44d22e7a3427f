//! The agent console in headless Chromium: tests/e2e/console.mjs drives the pages against
//! a real server on 127.0.0.1 with a fake microphone.
//!
//! Needs /usr/bin/chromium and playwright-core in .deps/node, which `./dev setup --test`
//! installs. The test fails (it does not skip) when either is missing.

#[path = "console/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use recobra::queue::{AgentLink, HandoffEvent, HandoffRequest};
use serde_json::json;
use tokio::sync::mpsc;

const CHROMIUM: &str = "/usr/bin/chromium";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn playwright_modules() -> PathBuf {
    let modules = repo_root().join(".deps/node/node_modules");
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run `./dev setup --test` (it runs `apt-get install chromium`)"
    );
    assert!(
        modules.join("playwright-core/package.json").exists(),
        "playwright-core is missing from {}: run `./dev setup --test` (it runs `npm install playwright-core@1`)",
        modules.display()
    );
    modules
}

/// Writes a 440 Hz tone, 3 s of 48 kHz mono 16-bit PCM, for Chromium's fake microphone.
fn write_tone_wav(path: &Path) {
    let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..48_000 * 3 {
        let phase = 2.0 * std::f64::consts::PI * 440.0 * f64::from(n) / 48_000.0;
        writer.write_sample((phase.sin() * 12_000.0) as i16).unwrap();
    }
    writer.finalize().unwrap();
}

/// Runs the browser script for `scenario` against `server` and fails with its output.
fn run_browser(server: &server::TestServer, scenario: &str) {
    let modules = playwright_modules();
    let work = tempfile::tempdir().unwrap();
    let wav = work.path().join("fake-mic.wav");
    write_tone_wav(&wav);

    let mut command = Command::new("node");
    if let Some(folder) = std::env::var_os("CONSOLE_SCREENSHOT_DIR") {
        command.env("CONSOLE_SCREENSHOT_DIR", folder);
    }
    let output = command
        .arg(repo_root().join("tests/e2e/console.mjs"))
        .env("CONSOLE_URL", server.url(""))
        .env("CONSOLE_USER", "ana")
        .env("CONSOLE_PASSWORD", "clave-de-ana")
        .env("CONSOLE_SUPERVISOR_USER", "marta")
        .env("CONSOLE_SUPERVISOR_PASSWORD", "clave-de-marta")
        .env("FAKE_AUDIO_WAV", &wav)
        .env("USER_DATA_DIR", work.path().join("profile"))
        .env("PLAYWRIGHT_MODULES", &modules)
        .env("CONSOLE_SCENARIO", scenario)
        .output()
        .expect("node runs (install it with `./dev setup --test`)");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "browser scenario {scenario} failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
}

#[test]
fn browser_login_and_spanish_pages() {
    let server = server::TestServer::start();

    run_browser(&server, "login");
}

/// What the simulated caller's side of the audio link saw.
#[derive(Default)]
struct CallerSide {
    connected: AtomicBool,
    hold_seen: AtomicBool,
    agent_hung_up: AtomicBool,
    frames_from_agent: AtomicUsize,
    loud_frames_from_agent: AtomicUsize,
    frames_to_agent: AtomicUsize,
}

/// 20 ms of a 300 Hz tone at 8 kHz, the caller's voice in this test.
fn caller_frame(index: usize) -> Vec<i16> {
    (0..160)
        .map(|n| {
            let t = (index * 160 + n) as f64 / 8_000.0;
            ((2.0 * std::f64::consts::PI * 300.0 * t).sin() * 8_000.0) as i16
        })
        .collect()
}

/// Plays the caller's side of a handed-over call: sends a tone to the agent every 20 ms
/// once connected and counts the agent's frames until the agent hangs up.
async fn simulate_caller(mut events: mpsc::UnboundedReceiver<HandoffEvent>, side: Arc<CallerSide>) {
    let mut link = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut sent = 0;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(HandoffEvent::Connected { link: agent_link, .. }) => {
                    side.connected.store(true, Ordering::SeqCst);
                    link = Some(agent_link);
                }
                Some(HandoffEvent::Hold(true)) => side.hold_seen.store(true, Ordering::SeqCst),
                Some(HandoffEvent::AgentHungUp) => {
                    side.agent_hung_up.store(true, Ordering::SeqCst);
                    return;
                }
                Some(_) => {}
                None => return,
            },
            _ = tick.tick() => {
                if let Some(link) = &link {
                    if link.to_agent.try_send(caller_frame(sent)).is_ok() {
                        side.frames_to_agent.fetch_add(1, Ordering::SeqCst);
                    }
                    sent += 1;
                }
            }
            Some(frame) = recv_agent(&mut link) => {
                side.frames_from_agent.fetch_add(1, Ordering::SeqCst);
                if frame.iter().any(|sample| sample.unsigned_abs() > 300) {
                    side.loud_frames_from_agent.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    }
}

async fn recv_agent(link: &mut Option<AgentLink>) -> Option<Vec<i16>> {
    match link {
        Some(link) => link.from_agent.recv().await,
        None => std::future::pending().await,
    }
}

#[test]
fn browser_takes_handed_over_call() {
    let server = server::TestServer::start_with_queue();
    let queue = server.queue.clone().unwrap();
    let context = json!({
        "account_found": true,
        "account_id": "ACC-E2E-7",
        "holder_name": "Lucía Fernández",
        "verification": "verified",
        "amount_cents": 1_234_567,
        "currency": "EUR",
        "due_date": "2026-09-15",
        "offered": [{ "option": "instalments", "count": 6 }],
        "agreed": null,
        "reason": "dispute",
        "transcript": [
            { "speaker": "assistant", "text": "¿Podría confirmarme su fecha de nacimiento?" },
            { "speaker": "caller", "text": "Esa deuda no es mía." }
        ],
    });
    let request = HandoffRequest { call_sid: "CA-e2e".into(), reason: "dispute".into(), context, language: "es".into(), priority: 0 };
    let (ticket, events) = server.block_on(async { queue.enqueue(request) }).unwrap();
    let side = Arc::new(CallerSide::default());
    server.spawn(simulate_caller(events, side.clone()));

    run_browser(&server, "call");

    assert!(side.connected.load(Ordering::SeqCst), "the agent never connected");
    assert!(side.hold_seen.load(Ordering::SeqCst), "the caller was never put on hold");
    assert!(side.agent_hung_up.load(Ordering::SeqCst), "the agent never hung up");
    assert!(side.frames_to_agent.load(Ordering::SeqCst) > 25, "caller frames sent: {}", side.frames_to_agent.load(Ordering::SeqCst));
    let from_agent = side.frames_from_agent.load(Ordering::SeqCst);
    let loud = side.loud_frames_from_agent.load(Ordering::SeqCst);
    assert!(from_agent > 25, "agent frames received by the caller: {from_agent}");
    assert!(loud > 0, "none of the {from_agent} agent frames carries the microphone tone");

    server.block_on(queue.flush());
    let stored: (String, String, String) = server
        .store
        .with_connection(|conn| {
            conn.query_row("SELECT agent_id, disposition, note FROM queue_dispositions WHERE call_sid = 'CA-e2e'", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
        })
        .expect("a disposition is stored for CA-e2e");
    assert_eq!(stored, ("ana".to_owned(), "promise".to_owned(), "Pagará el día 15.".to_owned()));
    drop(ticket);
}
