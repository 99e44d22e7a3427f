//! `recobra models fetch` against a local HTTP server started by each test on 127.0.0.1.

use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread::{self, JoinHandle};

use recobra::models::{FetchArgs, FetchError, run_fetch};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

const MODEL_NAME: &str = "vosk-model-small-es-0.42";

/// A one-shot HTTP server: it reads one request and writes `head` then `body`, then closes.
struct Server {
    url: String,
    handle: JoinHandle<()>,
}

impl Server {
    fn start(head: String, body: Vec<u8>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a local port");
        let url = format!("http://{}/{MODEL_NAME}.zip", listener.local_addr().unwrap());
        let handle = thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accepting the client");
            respond(stream, head.as_bytes(), &body);
        });
        Server { url, handle }
    }

    /// Serves `body` with status 200 and a correct Content-Length.
    fn ok(body: Vec<u8>) -> Server {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        );
        Server::start(head, body)
    }

    fn join(self) {
        self.handle.join().expect("server thread panicked");
    }
}

fn respond(stream: TcpStream, head: &[u8], body: &[u8]) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        let read = reader.read_line(&mut line).expect("reading the request");
        if read == 0 || line == "\r\n" {
            break;
        }
    }

    let mut stream = reader.into_inner();
    // The client may hang up early (on a refused status, say); that is not a server failure.
    let _ = stream.write_all(head);
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// Builds a zip holding `entries` (path, content); paths ending in '/' become folders.
fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (path, content) in entries {
        if path.ends_with('/') {
            writer.add_directory(*path, options).unwrap();
        } else {
            writer.start_file(*path, options).unwrap();
            writer.write_all(content).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

fn fake_model_zip() -> Vec<u8> {
    zip_with(&[
        ("vosk-model-small-es-0.42/", b""),
        (
            "vosk-model-small-es-0.42/am/final.mdl",
            b"fake acoustic model",
        ),
        (
            "vosk-model-small-es-0.42/conf/mfcc.conf",
            b"--sample-frequency=16000\n",
        ),
    ])
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn fetch_args(url: &str, sha256: &str, models_dir: &Path) -> FetchArgs {
    FetchArgs {
        language: "es".to_owned(),
        url: Some(url.to_owned()),
        sha256: Some(sha256.to_owned()),
        models_dir: models_dir.to_owned(),
        force: false,
    }
}

/// Names in `dir`, sorted, so a failed test shows what was left behind.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

#[test]
fn fetch_installs_verified_model() {
    let archive = fake_model_zip();
    let digest = sha256_hex(&archive);
    let server = Server::ok(archive);
    let models = tempfile::tempdir().unwrap();

    let installed = run_fetch(&fetch_args(&server.url, &digest, models.path())).unwrap();
    server.join();

    let target = models.path().join(MODEL_NAME);
    assert_eq!(installed, target);
    assert_eq!(
        std::fs::read(target.join("am/final.mdl")).unwrap(),
        b"fake acoustic model"
    );
    assert!(target.join("conf/mfcc.conf").is_file());
    assert_eq!(listing(models.path()), vec![MODEL_NAME.to_owned()]);
}

#[test]
fn fetch_accepts_archive_without_top_folder() {
    let archive = zip_with(&[("am/final.mdl", b"model"), ("conf/mfcc.conf", b"conf")]);
    let digest = sha256_hex(&archive);
    let server = Server::ok(archive);
    let models = tempfile::tempdir().unwrap();

    run_fetch(&fetch_args(&server.url, &digest, models.path())).unwrap();
    server.join();

    assert!(
        models
            .path()
            .join(MODEL_NAME)
            .join("am/final.mdl")
            .is_file()
    );
    assert_eq!(listing(models.path()), vec![MODEL_NAME.to_owned()]);
}

#[test]
fn fetch_rejects_checksum_mismatch() {
    let server = Server::ok(fake_model_zip());
    let models = tempfile::tempdir().unwrap();
    let wrong = "0".repeat(64);

    let error = run_fetch(&fetch_args(&server.url, &wrong, models.path())).unwrap_err();
    server.join();

    let FetchError::ChecksumMismatch {
        expected, actual, ..
    } = &error
    else {
        panic!("expected a checksum mismatch, got {error}");
    };
    assert_eq!(expected, &wrong);
    assert_eq!(actual, &sha256_hex(&fake_model_zip()));
    assert!(error.to_string().contains(&wrong), "{error}");
    assert_eq!(
        listing(models.path()),
        Vec::<String>::new(),
        "nothing may be installed or left"
    );
}

#[test]
fn fetch_rejects_truncated_download() {
    let archive = fake_model_zip();
    let digest = sha256_hex(&archive);
    let announced = archive.len() + 1000;
    let head =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n");
    let server = Server::start(head, archive.clone());
    let models = tempfile::tempdir().unwrap();

    let error = run_fetch(&fetch_args(&server.url, &digest, models.path())).unwrap_err();
    server.join();

    let FetchError::Truncated {
        received, expected, ..
    } = error
    else {
        panic!("expected a truncated download, got {error}");
    };
    assert_eq!(received, archive.len() as u64);
    assert_eq!(expected, announced as u64);
    assert_eq!(listing(models.path()), Vec::<String>::new());
}

#[test]
fn fetch_reports_http_status() {
    let head =
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\n".to_owned();
    let server = Server::start(head, b"not found".to_vec());
    let models = tempfile::tempdir().unwrap();

    let error = run_fetch(&fetch_args(&server.url, &"0".repeat(64), models.path())).unwrap_err();
    server.join();

    assert!(
        matches!(error, FetchError::HttpStatus { status: 404, .. }),
        "{error}"
    );
    assert_eq!(listing(models.path()), Vec::<String>::new());
}

#[test]
fn fetch_rejects_zip_slip_entry() {
    let archive = zip_with(&[
        ("vosk-model-small-es-0.42/am/final.mdl", b"model"),
        ("vosk-model-small-es-0.42/conf/mfcc.conf", b"conf"),
        ("../evil", b"outside"),
    ]);
    let digest = sha256_hex(&archive);
    let server = Server::ok(archive);
    let parent = tempfile::tempdir().unwrap();
    let models = parent.path().join("models");

    let error = run_fetch(&fetch_args(&server.url, &digest, &models)).unwrap_err();
    server.join();

    assert!(
        matches!(&error, FetchError::UnsafeEntry { entry } if entry == "../evil"),
        "{error}"
    );
    assert!(!parent.path().join("evil").exists());
    assert_eq!(listing(&models), Vec::<String>::new());
}

#[test]
fn fetch_rejects_archive_without_model_files() {
    let archive = zip_with(&[("vosk-model-small-es-0.42/README", b"no model here")]);
    let digest = sha256_hex(&archive);
    let server = Server::ok(archive);
    let models = tempfile::tempdir().unwrap();

    let error = run_fetch(&fetch_args(&server.url, &digest, models.path())).unwrap_err();
    server.join();

    assert!(
        matches!(&error, FetchError::NotAModel { missing, .. } if missing == "am/final.mdl"),
        "{error}"
    );
    assert_eq!(listing(models.path()), Vec::<String>::new());
}

#[test]
fn fetch_rejects_non_zip_body() {
    let body = b"<html>maintenance</html>".to_vec();
    let digest = sha256_hex(&body);
    let server = Server::ok(body);
    let models = tempfile::tempdir().unwrap();

    let error = run_fetch(&fetch_args(&server.url, &digest, models.path())).unwrap_err();
    server.join();

    assert!(matches!(error, FetchError::BadZip { .. }), "{error}");
    assert_eq!(listing(models.path()), Vec::<String>::new());
}

#[test]
fn fetch_force_replaces_existing_model() {
    let archive = fake_model_zip();
    let digest = sha256_hex(&archive);
    let server = Server::ok(archive);
    let models = tempfile::tempdir().unwrap();
    let target = models.path().join(MODEL_NAME);
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("old-file"), b"old").unwrap();

    let mut args = fetch_args(&server.url, &digest, models.path());
    args.force = true;
    run_fetch(&args).unwrap();
    server.join();

    assert!(!target.join("old-file").exists());
    assert!(target.join("am/final.mdl").is_file());
    assert_eq!(listing(models.path()), vec![MODEL_NAME.to_owned()]);
}

#[test]
fn fetch_failure_keeps_existing_model() {
    let server = Server::ok(fake_model_zip());
    let models = tempfile::tempdir().unwrap();
    let target = models.path().join(MODEL_NAME);
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("old-file"), b"old").unwrap();

    let mut args = fetch_args(&server.url, &"0".repeat(64), models.path());
    args.force = true;
    let error = run_fetch(&args).unwrap_err();
    server.join();

    assert!(
        matches!(error, FetchError::ChecksumMismatch { .. }),
        "{error}"
    );
    assert_eq!(std::fs::read(target.join("old-file")).unwrap(), b"old");
    assert_eq!(listing(models.path()), vec![MODEL_NAME.to_owned()]);
}

/// Returns a loopback URL on a port that was just closed, so connecting is refused.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/{MODEL_NAME}.zip")
}

#[test]
fn fetch_reports_unreachable_url() {
    let url = closed_port_url();
    let models = tempfile::tempdir().unwrap();

    let error = run_fetch(&fetch_args(&url, &"0".repeat(64), models.path())).unwrap_err();

    assert!(matches!(error, FetchError::Network { .. }), "{error}");
    assert!(error.to_string().contains(&url), "{error}");
    assert_eq!(listing(models.path()), Vec::<String>::new());
}

fn recobra(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_recobra"))
        .args(arguments)
        .output()
        .unwrap()
}

#[test]
fn cli_reports_unreachable_url() {
    let url = closed_port_url();
    let models = tempfile::tempdir().unwrap();
    let models_dir = models.path().to_str().unwrap();

    let output = recobra(&[
        "models",
        "fetch",
        "es",
        "--url",
        &url,
        "--models-dir",
        models_dir,
    ]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains(&url), "{stderr}");
}

#[test]
fn cli_skips_installed_model() {
    let models = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(models.path().join(MODEL_NAME)).unwrap();
    let models_dir = models.path().to_str().unwrap();
    // The URL is never contacted: an installed model must stop the command first.
    let url = closed_port_url();

    let output = recobra(&[
        "models",
        "fetch",
        "es",
        "--url",
        &url,
        "--models-dir",
        models_dir,
    ]);

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("already installed"), "{stdout}");
}

#[test]
fn cli_lists_known_languages() {
    let models = tempfile::tempdir().unwrap();
    let models_dir = models.path().to_str().unwrap();

    let output = recobra(&["models", "fetch", "xx", "--models-dir", models_dir]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("known languages: es"), "{stderr}");
}
