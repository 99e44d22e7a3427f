//! Whole calls over a real WebSocket in Twilio's wire format, against a server started on
//! 127.0.0.1 by each test: keypad flows, barge-in, hang-ups, and bad input.

mod common;

use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use recobra::replay::client::{CallOptions, make_sid, run_call};
use recobra::replay::scenario::Scenario;
use recobra::replay::{check_expectations, fetch_call};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use common::{TestServer, get_json, get_text, repo_root, start_server};

fn options(server: &TestServer) -> CallOptions {
    CallOptions { url: server.media_url(), audio_root: repo_root().join("audio-fixtures"), speed: 20, answer_timeout_ms: 30_000 }
}

async fn replay_scenario(server: &TestServer, name: &str) -> Value {
    let scenario = Scenario::load(&repo_root().join("audio-fixtures/scenarios").join(name)).expect("scenario loads");
    let report = run_call(&scenario, &options(server)).await.expect("call runs");
    let call = fetch_call(&server.media_url(), &report.call_sid, None).await.expect("call is stored");
    if let Err(error) = check_expectations(&scenario, &call) {
        panic!("{name}: {error:#}\njournal: {}", serde_json::to_string_pretty(&call).unwrap());
    }
    call
}

fn events_of<'a>(call: &'a Value, kind: &str) -> Vec<&'a Value> {
    call["events"].as_array().map(|events| events.iter().filter(|event| event["kind"] == kind).collect()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypad_yes_completes_call() {
    let server = start_server(|_| {}).await;

    let call = replay_scenario(&server, "yes-by-keypad.toml").await;

    assert_eq!(call["status"], "ended");
    let greeting = events_of(&call, "prompt").into_iter().find(|event| event["data"]["prompt"] == "greeting").expect("greeting journaled");
    assert_eq!(greeting["data"]["interrupted"], false);
    assert!(events_of(&call, "dtmf").iter().any(|event| event["data"]["digit"] == "1"));
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_band_tone_answers() {
    let server = start_server(|_| {}).await;

    let call = replay_scenario(&server, "yes-by-tones.toml").await;

    let digits: Vec<_> = events_of(&call, "dtmf").into_iter().map(|event| event["data"].clone()).collect();
    assert_eq!(digits, vec![json!({ "digit": "1", "source": "in_band" })]);
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_recorded_as_stereo_wav() {
    let server = start_server(|_| {}).await;
    let call = replay_scenario(&server, "yes-by-keypad.toml").await;
    let call_sid = call["call_sid"].as_str().unwrap().to_owned();

    let data_dir = server.stop().await;

    let path = data_dir.path().join("recordings").join(format!("{call_sid}.wav"));
    let mut reader = hound::WavReader::open(&path).expect("recording written");
    assert_eq!(reader.spec().channels, 2);
    assert_eq!(reader.spec().sample_rate, 8000);
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let assistant_loud = samples.chunks(2).filter(|frame| frame[1].abs() > 1000).count();
    assert!(assistant_loud > 8000, "the right channel has the prompts as heard ({assistant_loud} loud samples)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_command_fails_on_unmet_expectation() {
    let server = start_server(|_| {}).await;
    let url = server.media_url();
    let out = tempfile::tempdir().unwrap();
    let out_path = out.path().to_path_buf();

    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_recobra"))
            .args(["replay", "audio-fixtures/scenarios/wrong-expectation.toml", "--fast", "--url", &url, "--out"])
            .arg(&out_path)
            .current_dir(repo_root())
            .output()
            .expect("recobra runs")
    })
    .await
    .unwrap();

    assert!(!output.status.success(), "an unmet expectation is a failure");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no_such_state"), "the message names the expectation: {stderr}");
    assert!(out.path().join("call.wav").is_file(), "the recording is written even when a check fails");
    assert!(out.path().join("transcript.json").is_file());
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypad_no_completes_call() {
    let server = start_server(|_| {}).await;
    replay_scenario(&server, "no-by-keypad.toml").await;
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_caller_reprompted_then_released() {
    let server = start_server(|_| {}).await;

    let call = replay_scenario(&server, "no-input-gives-up.toml").await;

    assert_eq!(events_of(&call, "no_input").len(), 3);
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypress_barges_in_and_journals_heard_part() {
    let server = start_server(|_| {}).await;

    let call = replay_scenario(&server, "barge-in-keypad.toml").await;

    let interrupted: Vec<_> = events_of(&call, "prompt").into_iter().filter(|event| event["data"]["interrupted"] == true).collect();
    // Without a model the keypad-only notice plays before the question; the key cuts it.
    assert!(!interrupted.is_empty(), "a prompt was cut short");
    assert_eq!(interrupted[0]["data"]["prompt"], "keypad_only");
    assert!(interrupted[1..].iter().all(|event| event["data"]["heard_ms"] == 0), "later prompts were not heard: {interrupted:?}");
    let heard = interrupted[0]["data"]["heard_ms"].as_u64().unwrap();
    let duration = interrupted[0]["data"]["duration_ms"].as_u64().unwrap();
    assert!(heard < duration, "heard {heard} ms of {duration} ms");
    assert!(heard > 0, "some of the question played before the key");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_during_greeting_waits_for_notice() {
    let server = start_server(|_| {}).await;

    let call = replay_scenario(&server, "key-during-greeting.toml").await;

    let greeting = events_of(&call, "prompt").into_iter().find(|event| event["data"]["prompt"] == "greeting").expect("greeting journaled");
    assert_eq!(greeting["data"]["interrupted"], false, "the recording notice is never cut");
    assert_eq!(greeting["data"]["heard_ms"], greeting["data"]["duration_ms"]);
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hangup_mid_prompt_ends_call() {
    let server = start_server(|_| {}).await;
    replay_scenario(&server, "hangup-mid-prompt.toml").await;
    let _ = server.stop().await;
}

/// A raw Media Streams client for bad-input tests.
struct RawStream {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    call_sid: String,
    stream_sid: String,
}

impl RawStream {
    async fn connect(server: &TestServer) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(server.media_url()).await.expect("socket opens");
        Self { socket, call_sid: make_sid("CA"), stream_sid: make_sid("MZ") }
    }

    async fn send_text(&mut self, text: String) {
        self.socket.send(Message::Text(text.into())).await.expect("send");
    }

    async fn start(&mut self) {
        self.send_text(start_message(&self.call_sid, &self.stream_sid, "audio/x-mulaw", 8000)).await;
    }

    async fn media(&mut self, payload: &str) {
        let message = json!({
            "event": "media", "sequenceNumber": "3", "streamSid": self.stream_sid,
            "media": { "track": "inbound", "chunk": "1", "timestamp": "0", "payload": payload },
        });
        self.send_text(message.to_string()).await;
    }

    async fn silence(&mut self, frames: usize) {
        let payload = base64::engine::general_purpose::STANDARD.encode([0xFFu8; 160]);
        for _ in 0..frames {
            self.media(&payload).await;
        }
    }

    /// Reads until the server closes the socket; returns the number of media frames received.
    async fn read_until_closed(&mut self, limit: Duration) -> usize {
        let mut frames = 0;
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => panic!("server did not close the socket within {limit:?}"),
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return frames,
                Ok(Some(Ok(Message::Text(text)))) => {
                    if text.contains("\"media\"") {
                        frames += 1;
                    }
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }
}

fn start_message(call_sid: &str, stream_sid: &str, encoding: &str, rate: u32) -> String {
    json!({
        "event": "start", "sequenceNumber": "1", "streamSid": stream_sid,
        "start": {
            "accountSid": "AC00000000000000000000000000000000", "streamSid": stream_sid, "callSid": call_sid,
            "tracks": ["inbound"], "customParameters": {},
            "mediaFormat": { "encoding": encoding, "sampleRate": rate, "channels": 1 }
        }
    })
    .to_string()
}

async fn stored_call(server: &TestServer, call_sid: &str) -> Value {
    for _ in 0..50 {
        let (status, call) = get_json(&server.http_url(&format!("/api/calls/{call_sid}")), None).await;
        if status == 200 && call["status"] == "ended" {
            return call;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("call {call_sid} was not recorded as ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_are_skipped_and_journaled() {
    let server = start_server(|_| {}).await;
    let mut stream = RawStream::connect(&server).await;

    stream.send_text(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#.into()).await;
    stream.media("AAAA").await; // media before start
    stream.start().await;
    stream.send_text("{not json".into()).await;
    stream.send_text(r#"{"event":"teleport","streamSid":"x"}"#.into()).await;
    stream.media("***not base64***").await;
    stream.silence(25).await;
    stream.send_text(json!({"event": "stop", "streamSid": stream.stream_sid, "stop": {"accountSid": "AC0", "callSid": stream.call_sid}}).to_string()).await;
    let frames = stream.read_until_closed(Duration::from_secs(10)).await;

    let call = stored_call(&server, &stream.call_sid).await;
    assert_eq!(call["end_reason"], "caller_hangup");
    let kinds: Vec<&str> = events_of(&call, "error").iter().filter_map(|event| event["data"]["kind"].as_str()).collect();
    assert!(kinds.contains(&"invalid_json"), "errors: {kinds:?}");
    assert!(kinds.contains(&"unknown_event"), "errors: {kinds:?}");
    assert!(kinds.contains(&"invalid_base64"), "errors: {kinds:?}");
    assert!(frames > 0, "the greeting kept playing despite the bad messages");

    let (_, metrics) = get_text(&server.http_url("/metrics")).await;
    assert!(metrics.contains("before_start"), "media before start is counted:\n{metrics}");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_media_format_closes_call() {
    let server = start_server(|_| {}).await;
    let mut stream = RawStream::connect(&server).await;

    stream.send_text(start_message(&stream.call_sid, &stream.stream_sid, "audio/x-l16", 16000)).await;
    stream.read_until_closed(Duration::from_secs(5)).await;

    let call = stored_call(&server, &stream.call_sid).await;
    assert_eq!(call["end_reason"], "unsupported_media_format");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_message_closes_socket_and_ends_call() {
    let server = start_server(|config| config.session.max_message_bytes = 4096).await;
    let mut stream = RawStream::connect(&server).await;
    stream.start().await;
    stream.silence(5).await;

    let huge = "A".repeat(10_000);
    let _ = stream.socket.send(Message::Text(huge.into())).await;
    stream.read_until_closed(Duration::from_secs(5)).await;

    let call = stored_call(&server, &stream.call_sid).await;
    assert_eq!(call["end_reason"], "connection_error");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_without_stop_ends_call() {
    let server = start_server(|_| {}).await;
    let mut stream = RawStream::connect(&server).await;
    stream.start().await;
    stream.silence(10).await;

    stream.socket.close(None).await.expect("close");

    let call = stored_call(&server, &stream.call_sid).await;
    assert_eq!(call["end_reason"], "connection_closed");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_socket_times_out() {
    let server = start_server(|config| config.session.media_timeout_ms = 1_000).await;
    let mut stream = RawStream::connect(&server).await;
    stream.start().await;
    stream.silence(3).await;

    stream.read_until_closed(Duration::from_secs(10)).await;

    let call = stored_call(&server, &stream.call_sid).await;
    assert_eq!(call["end_reason"], "media_timeout");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_call_does_not_disturb_other_call() {
    let server = start_server(|_| {}).await;
    let mut bad = RawStream::connect(&server).await;
    bad.start().await;

    let scenario = Scenario::load(&repo_root().join("audio-fixtures/scenarios/yes-by-keypad.toml")).unwrap();
    let good = tokio::spawn({
        let options = options(&server);
        async move { run_call(&scenario, &options).await }
    });
    for _ in 0..50 {
        bad.send_text("garbage".into()).await;
        bad.media("%%%").await;
    }
    let report = good.await.unwrap().expect("good call runs");

    let call = stored_call(&server, &report.call_sid).await;
    assert_eq!(call["end_reason"], "completed");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_active_calls() {
    let server = start_server(|_| {}).await;
    let mut stream = RawStream::connect(&server).await;
    stream.start().await;
    stream.silence(5).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let data_dir = server.stop().await;

    let store = recobra::storage::Store::open(&data_dir.path().join("recobra.sqlite")).expect("database opens");
    let call = store.call(&stream.call_sid).unwrap().expect("call stored");
    assert_eq!(call.end_reason.as_deref(), Some("server_shutdown"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_keypad_only_without_model() {
    let server = start_server(|_| {}).await;

    let (status, body) = get_json(&server.http_url("/readyz"), None).await;

    assert_eq!(status, 200);
    assert_eq!(body["speech_recognition"], false);
    assert_eq!(body["mode"], "keypad_only");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_call_is_not_found() {
    let server = start_server(|_| {}).await;

    let (status, body) = get_json(&server.http_url("/api/calls/CAunknown"), None).await;

    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("CAunknown"));
    let _ = server.stop().await;
}
