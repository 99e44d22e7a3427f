//! A console server on 127.0.0.1 for the tests, with agents added through the real store,
//! and a small blocking HTTP client that keeps the session cookie.

// Each test crate that includes this file uses a different part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use recobra::agents::{AgentRole, NewAgent, add_agent};
use recobra::queue::{QueueConfig, QueueService};
use recobra::storage::Store;
use recobra::web::console::{ConsoleSettings, ConsoleState, router};

/// A running console server; dropping it stops the server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub store: Store,
    pub queue: Option<QueueService>,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

impl TestServer {
    /// Starts a console with agent `ana` (password `clave-de-ana`) and supervisor `marta`
    /// (password `clave-de-marta`), locking an id after 3 failed logins.
    pub fn start() -> Self {
        Self::start_inner(false)
    }

    /// Starts the same console connected to a real [`QueueService`] on the same database.
    pub fn start_with_queue() -> Self {
        Self::start_inner(true)
    }

    /// Runs `future` on the server's runtime.
    pub fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(&self, future: F) {
        self._runtime.spawn(future);
    }

    /// Runs `future` to completion on the server's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self._runtime.block_on(future)
    }

    fn start_inner(with_queue: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("console.sqlite")).unwrap();
        let spanish = vec!["es".to_owned()];
        add_agent(&store, &NewAgent { id: "ana", name: "Ana García", role: AgentRole::Agent, languages: &spanish }, "clave-de-ana").unwrap();
        add_agent(&store, &NewAgent { id: "marta", name: "Marta Núñez", role: AgentRole::Supervisor, languages: &spanish }, "clave-de-marta").unwrap();

        let settings = ConsoleSettings { failure_delay: Duration::from_millis(10), max_failures: 3, ..ConsoleSettings::default() };
        let mut state = ConsoleState::new(store.clone(), settings).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let queue = with_queue.then(|| {
            let _context = runtime.enter();
            QueueService::start(store.clone(), QueueConfig { offer_timeout_secs: 60, ..QueueConfig::default() })
        });
        if let Some(queue) = &queue {
            state = state.with_queue(queue.clone());
        }
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(listener, router(state)).await });
        Self { addr, store, queue, _dir: dir, _runtime: runtime }
    }

    /// Returns `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// One HTTP response, whatever its status.
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub body: String,
}

/// A client that does not follow redirects, so tests can check them.
pub fn client() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(30)).build()
}

fn into_reply(result: Result<ureq::Response, ureq::Error>) -> Reply {
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed: {error}"),
    };
    Reply {
        status: response.status(),
        location: response.header("location").map(str::to_owned),
        set_cookie: response.header("set-cookie").map(str::to_owned),
        body: response.into_string().unwrap(),
    }
}

/// Sends `GET path` with `cookie` (a `name=value` pair) if given.
pub fn get(server: &TestServer, path: &str, cookie: Option<&str>) -> Reply {
    let mut request = client().get(&server.url(path));
    if let Some(cookie) = cookie {
        request = request.set("Cookie", cookie);
    }
    into_reply(request.call())
}

/// Sends `POST path` with a form body and `cookie` if given.
pub fn post_form(server: &TestServer, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
    let mut request = client().post(&server.url(path));
    if let Some(cookie) = cookie {
        request = request.set("Cookie", cookie);
    }
    into_reply(request.send_form(form))
}

/// Logs in and returns the `name=value` session cookie.
pub fn login(server: &TestServer, username: &str, password: &str) -> String {
    let reply = post_form(server, "/console/login", &[("username", username), ("password", password)], None);
    assert_eq!(reply.status, 303, "login of {username} failed: {}", reply.body);
    let set_cookie = reply.set_cookie.expect("login sets a cookie");
    set_cookie.split(';').next().unwrap().to_owned()
}
