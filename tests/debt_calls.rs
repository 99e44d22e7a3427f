//! Whole debt-collection calls by keypad. Every scenario under
//! `audio-fixtures/scenarios/debt/` is replayed over a real WebSocket in Twilio's wire format
//! against one debt-dialogue server on 127.0.0.1. Each stored call is then checked: the
//! scenario's own expectations, the call's stored outcome, and that no prompt before the
//! identity check carried the debt.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use futures_util::StreamExt;
use recobra::config::DialogueKind;
use recobra::replay::check_expectations;
use recobra::replay::client::{CallOptions, run_call};
use recobra::replay::scenario::Scenario;
use serde_json::Value;

use common::{TestServer, get_json, repo_root, start_server};

/// Folder of the debt scenarios, relative to the repository.
const SCENARIO_DIR: &str = "audio-fixtures/scenarios/debt";

/// Calls replayed at once; each call is paced by its own media clock, so running several
/// together changes only the wall time.
const CONCURRENT_CALLS: usize = 8;

/// Lucía's debt (account D-1001), in cents.
const LUCIA_CENTS: i64 = 123_456;

/// Jorge's debt (account D-1002), in cents.
const JORGE_CENTS: i64 = 8_710;

/// Clip id prefixes of spoken values (numbers, amounts, dates).
const VALUE_CLIP_PREFIXES: &[&str] = &["num.", "word.", "month.", "weekday."];

fn options(server: &TestServer) -> CallOptions {
    CallOptions { url: server.media_url(), audio_root: repo_root().join("audio-fixtures"), speed: 20, answer_timeout_ms: 60_000 }
}

/// File names of every scenario in the folder, sorted.
fn scenario_names() -> Vec<String> {
    let dir = repo_root().join(SCENARIO_DIR);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.expect("folder entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    names
}

/// Replays one scenario and returns the stored call, or why the replay or its expectations
/// failed.
async fn replay(server: &TestServer, name: String) -> (String, Result<Value, String>) {
    let path = repo_root().join(SCENARIO_DIR).join(&name);
    let result = async {
        let scenario = Scenario::load(&path).map_err(|error| error.to_string())?;
        let started = std::time::Instant::now();
        let report = run_call(&scenario, &options(server)).await.map_err(|error| format!("call failed: {error}"))?;
        let call_ms = report.stereo.len() / 8;
        eprintln!("{name}: {call_ms} ms of call in {} ms", started.elapsed().as_millis());
        let call = ended_call(server, &report.call_sid).await?;
        check_expectations(&scenario, &call)
            .map_err(|error| format!("{error:#}\njournal: {}", serde_json::to_string_pretty(&call).unwrap_or_default()))?;
        Ok(call)
    }
    .await;
    (name, result)
}

/// Reads the call once the server has recorded its end, so every outcome and event queued
/// before the end is stored too.
async fn ended_call(server: &TestServer, call_sid: &str) -> Result<Value, String> {
    for _ in 0..50 {
        let (status, call) = get_json(&server.http_url(&format!("/api/calls/{call_sid}")), None).await;
        if status == 200 && call["status"] == "ended" {
            return Ok(call);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("call {call_sid} was not recorded as ended"))
}

fn events_of<'a>(call: &'a Value, kind: &str) -> Vec<&'a Value> {
    call["events"].as_array().map(|events| events.iter().filter(|event| event["kind"] == kind).collect()).unwrap_or_default()
}

/// Labels of the prompts played (space-separated clip ids), in journal order.
fn prompt_labels(call: &Value) -> Vec<String> {
    events_of(call, "prompt").iter().filter_map(|event| event["data"]["prompt"].as_str()).map(str::to_owned).collect()
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn days_ahead(days: u64) -> String {
    today().checked_add_days(Days::new(days)).expect("date in range").format("%Y-%m-%d").to_string()
}

fn instalment_amounts(call: &Value) -> Vec<i64> {
    call["outcome"]["instalments"].as_array().map(|list| list.iter().filter_map(|item| item["amount_cents"].as_i64()).collect()).unwrap_or_default()
}

/// Checks that no prompt journaled before the dialogue reached the menu (the identity check
/// passed) has a value clip or a disclosure clip. Queue announcements (place in the queue,
/// minutes to wait) speak numbers that say nothing about the debt, so they are exempt.
fn assert_no_disclosure_before_verification(name: &str, call: &Value) {
    let events = call["events"].as_array().expect("events");
    let verified_at = events.iter().position(|event| event["kind"] == "state" && event["data"]["state"] == "menu").unwrap_or(events.len());

    for event in events[..verified_at].iter().filter(|event| event["kind"] == "prompt") {
        let label = event["data"]["prompt"].as_str().unwrap_or_default();
        if label.starts_with("queue.") {
            continue;
        }
        for clip in label.split(' ') {
            let is_value = VALUE_CLIP_PREFIXES.iter().any(|prefix| clip.starts_with(prefix));
            assert!(!is_value, "{name}: value clip {clip} played before verification in {label:?}");
            assert!(!clip.starts_with("debt.disclosure."), "{name}: disclosure {clip} played before verification");
        }
    }
}

fn check_wrong_party(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "wrong_party");
    assert_eq!(call["outcome"]["step"], "third_party");
    assert!(prompt_labels(call).iter().any(|label| label == "debt.third_party.wrong_party"));
}

fn check_not_available(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "not_available");
    assert_eq!(call["outcome"]["step"], "third_party");
}

fn check_verification_failed(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "verification_failed");
    assert_eq!(call["outcome"]["step"], "verify");
    let wrong = prompt_labels(call).iter().filter(|label| *label == "debt.verify.wrong").count();
    assert_eq!(wrong, 2, "two retries before the third failure ends the check");
    assert!(prompt_labels(call).iter().any(|label| label == "debt.verify.failed"));
}

fn check_pay_now(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "payment_link_sent");
    assert_eq!(call["outcome"]["amount_cents"], LUCIA_CENTS);
    assert_eq!(call["outcome"]["currency"], "EUR");
    assert_eq!(call["outcome"]["satisfaction"], 5);

    let links = events_of(call, "payment_link");
    assert_eq!(links.len(), 1, "one payment link: {links:?}");
    assert_eq!(links[0]["data"]["sent"], true);
    assert_eq!(links[0]["data"]["account_id"], "D-1001");
    assert_eq!(links[0]["data"]["amount_cents"], LUCIA_CENTS);
}

fn check_instalments(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "instalment_plan");
    assert_eq!(call["outcome"]["step"], "instalment_confirm");
    assert_eq!(call["outcome"]["amount_cents"], LUCIA_CENTS);
    assert_eq!(call["outcome"]["satisfaction"], 4);

    let amounts = instalment_amounts(call);
    assert_eq!(amounts.len(), 6);
    assert_eq!(amounts.iter().sum::<i64>(), LUCIA_CENTS);
    let dates: Vec<&str> = call["outcome"]["instalments"].as_array().unwrap().iter().filter_map(|item| item["due_date"].as_str()).collect();
    assert!(dates.windows(2).all(|pair| pair[0] < pair[1]), "due dates ascend: {dates:?}");

    // The satisfaction score is saved as a second outcome; the API merges it into the first.
    let kinds: Vec<&Value> = call["outcomes"].as_array().unwrap().iter().map(|outcome| &outcome["kind"]).collect();
    assert_eq!(kinds, vec!["instalment_plan", "instalment_plan"]);
}

fn check_instalments_outside_policy(call: &Value) {
    let range = "debt.instalments.range_from num.2 debt.instalments.range_to num.12 debt.instalments.range_unit";
    assert!(prompt_labels(call).iter().any(|label| label == range), "range prompt: {:?}", prompt_labels(call));
    assert_eq!(call["outcome"]["kind"], "instalment_plan");
    let amounts = instalment_amounts(call);
    assert_eq!(amounts.len(), 12);
    assert_eq!(amounts.iter().sum::<i64>(), LUCIA_CENTS);
    assert_eq!(call["outcome"]["satisfaction"], 3);
}

fn check_small_debt_instalments(call: &Value) {
    let only = "debt.instalments.only num.2 debt.instalments.range_unit";
    assert!(prompt_labels(call).iter().any(|label| label == only), "limit prompt: {:?}", prompt_labels(call));
    assert_eq!(call["outcome"]["kind"], "instalment_plan");
    assert_eq!(call["outcome"]["amount_cents"], JORGE_CENTS);
    assert_eq!(instalment_amounts(call), vec![4_355, 4_355]);
}

fn check_promise(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "promise_to_pay");
    assert_eq!(call["outcome"]["step"], "promise_confirm");
    assert_eq!(call["outcome"]["promise_date"], days_ahead(10));
    assert_eq!(call["outcome"]["amount_cents"], LUCIA_CENTS);
    assert_eq!(call["outcome"]["satisfaction"], 5);
}

fn check_promise_too_far(call: &Value) {
    let too_far = prompt_labels(call).into_iter().find(|label| label.starts_with("debt.promise.too_far"));
    assert!(too_far.is_some(), "too-far prompt: {:?}", prompt_labels(call));
    assert_eq!(call["account_id"], "D-1001");
    assert_eq!(call["outcome"]["kind"], "promise_to_pay");
    assert_eq!(call["outcome"]["promise_date"], days_ahead(20));
    assert_eq!(call["outcome"]["satisfaction"], 2);
}

fn check_dispute(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "dispute");
    assert_eq!(call["outcome"]["step"], "dispute_reason");
    assert_eq!(call["outcome"]["amount_cents"], LUCIA_CENTS);
    assert!(call["outcome"]["reason"].is_null(), "no reason without speech: {}", call["outcome"]);
    let transfers = events_of(call, "transfer");
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0]["data"]["reason"], "dispute");
}

fn check_already_paid(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "already_paid");
    assert_eq!(call["outcome"]["step"], "already_paid_reason");
    assert_eq!(call["outcome"]["amount_cents"], JORGE_CENTS);
    assert_eq!(events_of(call, "transfer")[0]["data"]["reason"], "dispute");
}

fn check_agent_from_menu(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "transferred");
    assert_eq!(call["outcome"]["step"], "menu");
    assert_eq!(call["outcome"]["reason"], "requested");
    assert_eq!(events_of(call, "transfer")[0]["data"]["reason"], "requested");
}

fn check_repeat_menu(call: &Value) {
    let menus = prompt_labels(call).iter().filter(|label| *label == "debt.menu.ask").count();
    assert_eq!(menus, 2, "the menu is asked again after *: {:?}", prompt_labels(call));
    assert_eq!(call["outcome"]["kind"], "payment_link_sent");
}

fn check_no_input(call: &Value) {
    assert_eq!(events_of(call, "no_input").len(), 3);
    let hints = prompt_labels(call).iter().filter(|label| *label == "debt.right_party.hint").count();
    assert_eq!(hints, 2, "the keypad hint follows each of the first two timeouts");
    assert_eq!(call["outcome"]["kind"], "transferred");
    assert_eq!(call["outcome"]["step"], "right_party");
    assert_eq!(call["outcome"]["reason"], "no_progress");
}

fn check_hangup_at_menu(call: &Value) {
    assert_eq!(call["outcome"]["kind"], "abandoned");
    assert_eq!(call["outcome"]["step"], "menu");
    let hangups = events_of(call, "hangup");
    assert_eq!(hangups.len(), 1);
    assert_eq!(hangups[0]["data"]["state"], "menu");
}

fn check_unknown_caller(call: &Value) {
    assert!(call["account_id"].is_null());
    assert_eq!(call["outcome"]["kind"], "transferred");
    assert_eq!(call["outcome"]["step"], "start");
    assert_eq!(call["outcome"]["reason"], "system_error: account not found");
    let prompts = prompt_labels(call);
    assert_eq!(prompts.first().map(String::as_str), Some("debt.no_account"));
    assert!(prompts[1..].iter().all(|prompt| prompt.starts_with("queue.")), "only the queue speaks after: {prompts:?}");
}

/// Checks of the stored call for each scenario, by file name.
const CHECKS: &[(&str, fn(&Value))] = &[
    ("wrong-party.toml", check_wrong_party),
    ("not-available.toml", check_not_available),
    ("verification-failed.toml", check_verification_failed),
    ("pay-now.toml", check_pay_now),
    ("instalments.toml", check_instalments),
    ("instalments-outside-policy.toml", check_instalments_outside_policy),
    ("small-debt-instalments.toml", check_small_debt_instalments),
    ("promise.toml", check_promise),
    ("promise-too-far.toml", check_promise_too_far),
    ("dispute.toml", check_dispute),
    ("already-paid.toml", check_already_paid),
    ("agent-from-menu.toml", check_agent_from_menu),
    ("repeat-menu.toml", check_repeat_menu),
    ("no-input.toml", check_no_input),
    ("hangup-at-menu.toml", check_hangup_at_menu),
    ("unknown-caller.toml", check_unknown_caller),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debt_scenarios_store_outcomes() {
    let server = start_server(|config| config.dialogue = DialogueKind::Debt).await;
    let names = scenario_names();
    for (name, _) in CHECKS {
        assert!(names.contains(&name.to_string()), "scenario {name} is missing from {SCENARIO_DIR}");
    }

    let results: BTreeMap<String, Result<Value, String>> =
        futures_util::stream::iter(names).map(|name| replay(&server, name)).buffer_unordered(CONCURRENT_CALLS).collect().await;
    let failures: Vec<String> = results.iter().filter_map(|(name, result)| result.as_ref().err().map(|error| format!("{name}: {error}"))).collect();
    assert!(failures.is_empty(), "{} of {} scenarios failed:\n{}", failures.len(), results.len(), failures.join("\n\n"));

    for (name, result) in &results {
        let call = result.as_ref().expect("checked above");
        assert_no_disclosure_before_verification(name, call);
        if let Some((_, check)) = CHECKS.iter().find(|(check_name, _)| check_name == name) {
            eprintln!("checking the stored call of {name}");
            check(call);
        }
    }
    let _ = server.stop().await;
}
