//! Warm transfer through the built-in agent queue: a replayed caller presses 0, waits with
//! hold audio, an agent (driven through the queue service, as the console does) sees the
//! context card, accepts, both sides hear each other, the agent hangs up and stores a
//! disposition.

mod common;

use std::time::Duration;

use recobra::config::DialogueKind;
use recobra::queue::{AgentEvent, AgentProfile, AgentRole, AgentState, Disposition};
use recobra::replay::client::{CallOptions, run_call};
use recobra::replay::scenario::Scenario;
use recobra::replay::{check_expectations, fetch_call};

use common::{repo_root, start_server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_reaches_agent_and_talks_both_ways() {
    let server = start_server(|config| config.dialogue = DialogueKind::Debt).await;
    let queue = server.queue.clone().expect("the queue is the default handoff");
    queue.register_agent(AgentProfile { id: "ana".into(), name: "Ana".into(), languages: vec!["es".into()], role: AgentRole::Agent });
    let mut agent_events = queue.agent_events("ana").expect("agent registered");
    queue.set_state("ana", AgentState::Available).unwrap();

    let scenario = Scenario::load(&repo_root().join("audio-fixtures/scenarios/agent-handoff.toml")).unwrap();
    let options = CallOptions { url: server.media_url(), audio_root: repo_root().join("audio-fixtures"), speed: 5, answer_timeout_ms: 120_000 };
    let caller = tokio::spawn(async move { run_call(&scenario, &options).await });

    // The offer carries the context card, with nothing about the debt before verification.
    let offered = loop {
        match tokio::time::timeout(Duration::from_secs(60), agent_events.recv()).await {
            Ok(Some(AgentEvent::Offered { call })) => break call,
            Ok(Some(_)) => continue,
            other => panic!("no offer reached the agent: {other:?}"),
        }
    };
    assert_eq!(offered.reason, "requested");
    assert_eq!(offered.context["account_id"], "D-1001");
    assert_eq!(offered.context["verification"], "not_verified");
    assert!(offered.context.get("amount_cents").is_none_or(|amount| amount.is_null()), "no debt details before verification");
    let transcript = offered.context["transcript"].as_array().unwrap_or_else(|| panic!("transcript so far: {}", offered.context));
    assert!(transcript.iter().any(|line| line["speaker"] == "caller" && line["text"] == "[0]"), "{transcript:?}");
    assert!(transcript.iter().any(|line| line["speaker"] == "assistant" && line["text"].as_str().is_some_and(|text| text.contains("Lucía"))), "{transcript:?}");

    // Let the caller hear some hold audio before the agent answers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut link = queue.accept("ana", &offered.call_sid).expect("agent accepts");

    // The agent speaks a tone for 8 s (the caller first hears that they are being put
    // through) and listens to the caller.
    let tone: Vec<i16> = (0..160).map(|n| ((n as f32 * 2.0 * std::f32::consts::PI * 500.0 / 8000.0).sin() * 9000.0) as i16).collect();
    let mut heard_from_caller = 0;
    for _ in 0..400 {
        let _ = link.to_caller.try_send(tone.clone());
        while let Ok(frame) = link.from_caller.try_recv() {
            assert_eq!(frame.len(), 160);
            heard_from_caller += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(heard_from_caller > 10, "caller audio reached the agent ({heard_from_caller} frames)");

    queue.hang_up("ana").unwrap();
    queue.set_disposition("ana", &offered.call_sid, Disposition::Promise, "Pagará el viernes".into()).unwrap();

    let report = caller.await.unwrap().expect("call runs");
    assert!(report.closed_by_server, "the server ended the call after the agent hung up");
    // The tone crossed µ-law twice, so compare with its G.711 round trip.
    use recobra::audio::g711::{decode_mulaw, encode_mulaw};
    let marker = decode_mulaw(encode_mulaw(tone[10]));
    let tone_frames = report.stereo.chunks(160).filter(|chunk| chunk[10][1] == marker && chunk[11][1] == decode_mulaw(encode_mulaw(tone[11]))).count();
    assert!(tone_frames > 10, "the agent's voice reached the caller ({tone_frames} frames)");

    let call = fetch_call(&server.media_url(), &report.call_sid, None).await.unwrap();
    let scenario = Scenario::load(&repo_root().join("audio-fixtures/scenarios/agent-handoff.toml")).unwrap();
    if let Err(error) = check_expectations(&scenario, &call) {
        panic!("{error:#}\n{}", serde_json::to_string_pretty(&call).unwrap());
    }
    let prompts: Vec<String> = call["events"].as_array().unwrap().iter()
        .filter(|event| event["kind"] == "prompt")
        .map(|event| event["data"]["prompt"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(prompts.iter().any(|prompt| prompt == "queue.hold_intro"), "{prompts:?}");
    assert!(prompts.iter().any(|prompt| prompt.starts_with("queue.next") || prompt.starts_with("queue.one_ahead") || prompt.starts_with("queue.ahead")), "position announced: {prompts:?}");

    queue.flush().await;
    let data_dir = server.stop().await;
    let store = recobra::storage::Store::open(&data_dir.path().join("recobra.sqlite")).unwrap();
    let disposition: (String, String) = store
        .with_connection(|conn| conn.query_row("SELECT disposition, note FROM queue_dispositions WHERE call_sid = ?1", [&report.call_sid], |row| Ok((row.get(0)?, row.get(1)?))))
        .expect("disposition stored");
    assert_eq!(disposition, ("promise".to_owned(), "Pagará el viernes".to_owned()));
}
