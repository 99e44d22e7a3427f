//! The agent console in headless Chromium: tests/e2e/console.mjs drives the pages against
//! a real server on 127.0.0.1 with a fake microphone.
//!
//! Needs /usr/bin/chromium and playwright-core in .deps/node, which `./dev setup --test`
//! installs. The test fails (it does not skip) when either is missing.

#[path = "console/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::process::Command;

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

    let output = Command::new("node")
        .arg(repo_root().join("tests/e2e/console.mjs"))
        .env("CONSOLE_URL", server.url(""))
        .env("CONSOLE_USER", "ana")
        .env("CONSOLE_PASSWORD", "clave-de-ana")
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
