//! Telephony transfer mode: a caller who asks for a person is redirected through Twilio's
//! REST API, here a mock on 127.0.0.1 that checks the request.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use base64::Engine;
use recobra::config::{DialogueKind, HandoffMode, Secret};
use recobra::replay::client::{CallOptions, run_call};
use recobra::replay::scenario::Scenario;
use recobra::replay::{check_expectations, fetch_call};

use common::{repo_root, start_server};

/// One HTTP request as the mock received it.
struct Received {
    request_line: String,
    authorization: String,
    body: String,
}

/// Serves one request with `status`, then reports it.
fn mock_twilio(status: u16) -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut authorization = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            match name.to_ascii_lowercase().as_str() {
                "authorization" => authorization = value.trim().to_owned(),
                "content-length" => length = value.trim().parse().unwrap(),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let reply = format!("HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}");
        let mut stream = stream;
        stream.write_all(reply.as_bytes()).unwrap();
        sender.send(Received { request_line, authorization, body: String::from_utf8(body).unwrap() }).unwrap();
    });
    (base, receiver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_request_redirects_call() {
    let (base, received) = mock_twilio(200);
    let server = start_server(move |config| {
        config.dialogue = DialogueKind::Debt;
        config.handoff.mode = HandoffMode::TwilioRedirect;
        config.handoff.twilio_api_base_url = base;
        config.handoff.twilio_account_sid = Some("AC0123".into());
        config.handoff.dial_number = Some("+34910000000".into());
        config.twilio.auth_token = Some(Secret::new("token-for-tests"));
        // The replay does not sign its requests.
        config.twilio.danger_disable_signature_check = true;
    })
    .await;
    let scenario = Scenario::load(&repo_root().join("audio-fixtures/scenarios/transfer-redirect.toml")).unwrap();
    let options = CallOptions { url: server.media_url(), audio_root: repo_root().join("audio-fixtures"), speed: 20, answer_timeout_ms: 60_000 };

    let report = match run_call(&scenario, &options).await {
        Ok(report) => report,
        Err(error) => {
            let store = recobra::storage::Store::open(&server.data_dir.path().join("recobra.sqlite")).unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let calls: Vec<String> = store.with_connection(|conn| {
                let mut statement = conn.prepare("SELECT kind, data FROM call_events ORDER BY id")?;
                let rows = statement.query_map([], |row| Ok(format!("{}: {}", row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
                rows.collect()
            }).unwrap();
            panic!("call failed: {error}; journal:\n{}", calls.join("\n"));
        }
    };

    let request = received.recv_timeout(std::time::Duration::from_secs(10)).expect("Twilio API called");
    assert_eq!(request.request_line.trim(), format!("POST /2010-04-01/Accounts/AC0123/Calls/{}.json HTTP/1.1", report.call_sid));
    let expected_auth = base64::engine::general_purpose::STANDARD.encode("AC0123:token-for-tests");
    assert_eq!(request.authorization, format!("Basic {expected_auth}"));
    let form: Vec<(String, String)> = url_decode_form(&request.body);
    let twiml = &form.iter().find(|(name, _)| name == "Twiml").expect("Twiml field").1;
    assert!(twiml.contains("<Dial><Number>+34910000000</Number></Dial>"), "{twiml}");

    let call = fetch_call(&server.media_url(), &report.call_sid, None).await.expect("call stored");
    if let Err(error) = check_expectations(&scenario, &call) {
        panic!("{error:#}\n{}", serde_json::to_string_pretty(&call).unwrap());
    }
    let transfer = call["events"].as_array().unwrap().iter().find(|event| event["kind"] == "transfer").expect("transfer journaled");
    assert_eq!(transfer["data"]["reason"], "requested");
    assert!(transfer["data"]["context"].is_object(), "the context card stays readable by call id");
    let _ = server.stop().await;
}

fn url_decode_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (decode(name), decode(value)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() + 1 => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                index += 2;
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8(out).unwrap()
}
