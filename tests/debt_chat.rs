//! Runs `recobra chat` and `recobra accounts import` as a user would, with piped input.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn recobra(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_recobra"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("recobra starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Returns the JSON of every `[outcome: …]` line.
fn printed_outcomes(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter_map(|line| line.split_once("[outcome: ").map(|(_, rest)| rest))
        .map(|json| serde_json::from_str(json.strip_suffix(']').unwrap()).unwrap())
        .collect()
}

fn chat(database: &Path, account: &str, input: &str) -> String {
    let database = database.to_str().unwrap();
    let output = recobra(
        &[
            "chat",
            "--account",
            account,
            "--database",
            database,
            "--today",
            "2026-06-01",
        ],
        input,
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn chat_keypad_instalment_plan() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("chat.sqlite");
    let stdout = chat(&database, "D-1001", "#1\n#4821\n#2\n#6#\n#1\n#5\n");

    assert!(stdout.contains("[imported 3 demo accounts"), "{stdout}");
    assert!(stdout.contains("Lucía Martín Sánchez"), "{stdout}");
    assert!(stdout.contains("¿Cómo desea resolverlo?"), "{stdout}");
    assert!(stdout.contains("[hangup: completed]"), "{stdout}");

    let outcomes = printed_outcomes(&stdout);
    assert_eq!(outcomes.len(), 2, "{stdout}");
    let plan = &outcomes[0];
    assert_eq!(plan["kind"], "instalment_plan");
    assert_eq!(plan["amount_cents"], 123_456);
    let instalments = plan["instalments"].as_array().unwrap();
    assert_eq!(instalments.len(), 6);
    let sum: i64 = instalments
        .iter()
        .map(|i| i["amount_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 123_456);
    assert_eq!(outcomes[1]["satisfaction"], 5);
    assert_eq!(outcomes[1]["kind"], "instalment_plan");

    let conn = rusqlite::Connection::open(&database).unwrap();
    let stored: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM outcomes WHERE kind = 'instalment_plan'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 2);
}

#[test]
fn chat_wrong_party_discloses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = chat(&dir.path().join("chat.sqlite"), "D-1002", "#2\n#2\n");

    assert!(!stdout.contains("Finanzas Ejemplo"), "{stdout}");
    assert_eq!(printed_outcomes(&stdout)[0]["kind"], "wrong_party");
    assert!(stdout.contains("[hangup: wrong_party]"), "{stdout}");
}

#[test]
fn chat_end_of_input_abandons() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = chat(&dir.path().join("chat.sqlite"), "D-1001", "#1\n");

    let outcomes = printed_outcomes(&stdout);
    assert_eq!(outcomes[0]["kind"], "abandoned");
    assert_eq!(outcomes[0]["step"], "verify");
}

#[test]
fn chat_unknown_account_transfers() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = chat(&dir.path().join("chat.sqlite"), "D-9999", "");
    assert!(stdout.contains("[transfer: system_error]"), "{stdout}");
}

#[test]
fn import_reports_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("accounts.csv");
    std::fs::write(
        &file,
        "id,full_name,phone,national_id_last4,creditor,amount,currency,due_date,policy\n\
         A-1,Ana Pérez,+34600000001,1234,Banco,10.50,EUR,2026-01-31,standard\n\
         A-2,Bea Gil,+34600000002,1234,Banco,diez,EUR,2026-01-31,standard\n",
    )
    .unwrap();
    let database = dir.path().join("import.sqlite");
    let output = recobra(
        &[
            "accounts",
            "import",
            file.to_str().unwrap(),
            "--database",
            database.to_str().unwrap(),
        ],
        "",
    );
    let stdout = String::from_utf8(output.stdout).unwrap();

    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("imported 1 accounts"), "{stdout}");
    assert!(
        stdout.contains("line 3: skipped: invalid amount"),
        "{stdout}"
    );
}
