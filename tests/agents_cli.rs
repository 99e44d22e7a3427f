//! `recobra agents add` run as a user would: the real binary, the password on stdin.

use std::io::Write;
use std::process::{Command, Stdio};

use recobra::agents::{AgentRole, agent_with_hash, verify_password};
use recobra::storage::Store;

fn agents_add(database: &std::path::Path, extra: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_recobra"))
        .args(["agents", "add", "--database"])
        .arg(database)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start recobra");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn agents_add_stores_verifiable_user() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("console.sqlite");

    let output = agents_add(
        &database,
        &["--id", "marta", "--name", "Marta Núñez", "--role", "supervisor", "--languages", "es,en"],
        "clave-de-marta\n",
    );

    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("added supervisor marta"));
    let store = Store::open(&database).unwrap();
    let (agent, hash) = store.with_connection(|conn| agent_with_hash(conn, "marta")).unwrap().expect("marta stored");
    assert_eq!(agent.name, "Marta Núñez");
    assert_eq!(agent.role, AgentRole::Supervisor);
    assert_eq!(agent.languages, ["es", "en"]);
    assert!(verify_password("clave-de-marta", &hash).unwrap());
    assert!(!verify_password("clave-de-marta\n", &hash).unwrap());
}

#[test]
fn agents_add_rejects_bad_role_and_empty_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("console.sqlite");

    let bad_role = agents_add(&database, &["--id", "pablo", "--name", "Pablo", "--role", "admin"], "clave-de-pablo\n");
    let no_password = agents_add(&database, &["--id", "pablo", "--name", "Pablo"], "");
    let short_password = agents_add(&database, &["--id", "pablo", "--name", "Pablo"], "corta\n");

    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("invalid role \"admin\""));
    assert!(!no_password.status.success());
    assert!(String::from_utf8_lossy(&no_password.stderr).contains("no password on standard input"));
    assert!(!short_password.status.success());
    assert!(String::from_utf8_lossy(&short_password.stderr).contains("use at least 8"));
    let store = Store::open(&database).unwrap();
    assert!(store.with_connection(|conn| agent_with_hash(conn, "pablo")).unwrap().is_none());
}
