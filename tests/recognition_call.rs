//! The real recognition path over the Twilio endpoint: a replayed caller says a Korean word
//! as 8 kHz µ-law media messages, and the server, running the Korean test model, recognises
//! it with the question's grammar and answers.

mod common;

use std::path::Path;

use recobra::replay::client::{CallOptions, run_call};
use recobra::replay::scenario::Scenario;
use recobra::replay::{check_expectations, fetch_call};

use common::{TestServer, korean_model, repo_root, start_server};

/// Locale folder for the test: the Spanish prompts with a Korean yes/no grammar.
const LOCALE: &str = "ko-KR";

fn korean_prompts(root: &Path) -> std::path::PathBuf {
    let prompts = root.join("prompts");
    let locale_dir = prompts.join(LOCALE);
    copy_dir(&repo_root().join("prompts/es-ES"), &locale_dir);
    std::fs::write(
        locale_dir.join("grammars/yes-no.toml"),
        "[yes_no]\nyes = [\"네\", \"좋아요\"]\nno = [\"아니요\"]\n",
    )
    .expect("grammar written");
    prompts
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

async fn korean_server(scratch: &Path) -> TestServer {
    let prompts = korean_prompts(scratch);
    let model = korean_model();
    start_server(move |config| {
        config.prompts_dir = prompts;
        config.locale = LOCALE.to_owned();
        config.model_dir = model;
    })
    .await
}

async fn replay(server: &TestServer, name: &str, speed: u32) {
    let scenario = Scenario::load(&repo_root().join("audio-fixtures/scenarios").join(name)).unwrap();
    let options = CallOptions { url: server.media_url(), audio_root: repo_root().join("audio-fixtures"), speed, answer_timeout_ms: 30_000 };
    let report = run_call(&scenario, &options).await.expect("call runs");
    let call = fetch_call(&server.media_url(), &report.call_sid, None).await.expect("call stored");
    if let Err(error) = check_expectations(&scenario, &call) {
        panic!("{name}: {error:#}\njournal: {}", serde_json::to_string_pretty(&call).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_yes_recognised_over_twilio_stream() {
    let scratch = tempfile::tempdir().unwrap();
    let server = korean_server(scratch.path()).await;

    let (status, ready) = common::get_json(&server.http_url("/readyz"), None).await;
    assert_eq!(status, 200);
    assert_eq!(ready["speech_recognition"], true);

    replay(&server, "ko-yes-by-voice.toml", 1).await;
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_no_recognised_in_fast_replay() {
    let scratch = tempfile::tempdir().unwrap();
    let server = korean_server(scratch.path()).await;

    replay(&server, "ko-no-by-voice.toml", 5).await;
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_speech_barges_in() {
    let scratch = tempfile::tempdir().unwrap();
    let server = korean_server(scratch.path()).await;

    replay(&server, "ko-barge-in-by-voice.toml", 5).await;
    let _ = server.stop().await;
}
