//! The agent console: a small web application where agents log in, take handed-over calls
//! with their browser's microphone and record the outcome, and supervisors watch the queue.
//!
//! Routes (all under `/console`):
//! - `GET /console`: sends the user to the agent page or to the login form.
//! - `GET /console/login`, `POST /console/login` (form `username`, `password`):
//!   opens a session and sets an HttpOnly, SameSite=Strict cookie.
//! - `POST /console/logout`: ends the session.
//! - `GET /console/agent`: the agent page (any logged-in user).
//! - `GET /console/supervisor`: the live figures (supervisors only).
//! - `GET /console/api/stats`: the live figures as JSON (supervisors only).
//! - `GET /console/ws`: the agent's WebSocket (see [`socket`]).
//! - `GET /console/static/{file}`: scripts and styles.
//!
//! Every text a user sees comes from the es-ES catalog in `web/console/es-ES.json`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use axum::extract::ws::WebSocketUpgrade;

use crate::agents::AgentRole;
use crate::queue::{AgentState, QueueService};
use crate::storage::Store;

pub mod login;
pub mod pages;
pub mod session;
pub mod socket;

use login::LoginLimiter;
use pages::{AGENT_HTML, FORBIDDEN_HTML, Pages, SUPERVISOR_HTML};
use session::{Session, SessionStore, token_from_headers};

/// Console settings.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// Adds the Secure attribute to the session cookie; set it when the console is served
    /// over HTTPS.
    pub secure_cookie: bool,
    /// A session ends after this long without a request.
    pub session_idle_timeout: Duration,
    /// Pause before answering a failed login, which slows down password guessing.
    pub failure_delay: Duration,
    /// Failed logins allowed per user id within [`Self::lockout_window`].
    pub max_failures: u32,
    /// How long failed logins count against a user id.
    pub lockout_window: Duration,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            secure_cookie: false,
            session_idle_timeout: Duration::from_secs(12 * 3600),
            failure_delay: Duration::from_millis(500),
            max_failures: 5,
            lockout_window: Duration::from_secs(15 * 60),
        }
    }
}

/// Shared state of the console's handlers.
#[derive(Clone)]
pub struct ConsoleState {
    /// The database with the `agents` table.
    pub store: Store,
    /// Open sessions.
    pub sessions: Arc<SessionStore>,
    /// Failed-login counts.
    pub limiter: Arc<LoginLimiter>,
    /// Catalog and templates.
    pub pages: Arc<Pages>,
    /// Settings.
    pub settings: Arc<ConsoleSettings>,
    /// The agent queue; without it the pages work but no call can be taken.
    pub queue: Option<QueueService>,
}

impl ConsoleState {
    /// Builds the console state on `store` with the embedded es-ES catalog.
    pub fn new(store: Store, settings: ConsoleSettings) -> Result<Self, pages::CatalogError> {
        Ok(Self {
            store,
            sessions: Arc::new(SessionStore::new(settings.session_idle_timeout)),
            limiter: Arc::new(LoginLimiter::new(settings.max_failures, settings.lockout_window)),
            pages: Arc::new(Pages::spanish()?),
            settings: Arc::new(settings),
            queue: None,
        })
    }

    /// Connects the console to the agent queue.
    pub fn with_queue(mut self, queue: QueueService) -> Self {
        self.queue = Some(queue);
        self
    }

    /// Returns the session named by the request's cookie, if it is open.
    pub fn current_session(&self, headers: &HeaderMap) -> Option<Session> {
        token_from_headers(headers).and_then(|token| self.sessions.touch(token))
    }

    /// Sets a logged-out agent away so that no call is offered to them. An agent the
    /// queue does not know yet (never opened the agent page) is not an error.
    fn on_logout(&self, agent_id: &str) {
        let Some(queue) = &self.queue else { return };
        if let Err(error) = queue.set_state(agent_id, AgentState::Away) {
            tracing::debug!(agent_id, %error, "agent not set away on logout");
        }
    }
}

/// Builds the console's routes, to be merged into the server's router.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/agent") }))
        .route("/console/login", get(login::login_page).post(login::login_submit))
        .route("/console/logout", axum::routing::post(login::logout))
        .route("/console/agent", get(agent_page))
        .route("/console/supervisor", get(supervisor_page))
        .route("/console/api/stats", get(stats))
        .route("/console/ws", get(agent_socket))
        .route("/console/static/{file}", get(pages::static_file))
        .with_state(state)
}

/// The outcome of checking a request's session against a required role.
pub(crate) enum Access {
    /// The session may see the page.
    Granted(Session),
    /// Not logged in (or the session expired).
    LoggedOut,
    /// Logged in, but the role is not enough.
    Forbidden(Session),
}

pub(crate) fn check_access(state: &ConsoleState, headers: &HeaderMap, supervisor_only: bool) -> Access {
    match state.current_session(headers) {
        None => Access::LoggedOut,
        Some(session) if supervisor_only && session.agent.role != AgentRole::Supervisor => Access::Forbidden(session),
        Some(session) => Access::Granted(session),
    }
}

async fn agent_page(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let Access::Granted(session) = check_access(&state, &headers, false) else {
        return Redirect::to("/console/login").into_response();
    };
    let values = [("user_name", session.agent.name.as_str()), ("user_role", session.agent.role.as_str())];
    state.pages.respond(StatusCode::OK, AGENT_HTML, &values)
}

async fn supervisor_page(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    match check_access(&state, &headers, true) {
        Access::Granted(session) => {
            let values = [("user_name", session.agent.name.as_str()), ("user_role", session.agent.role.as_str())];
            state.pages.respond(StatusCode::OK, SUPERVISOR_HTML, &values)
        }
        Access::Forbidden(session) => {
            tracing::warn!(agent_id = %session.agent.id, "supervisor page refused to a non-supervisor");
            let values = [("user_name", session.agent.name.as_str()), ("user_role", session.agent.role.as_str())];
            state.pages.respond(StatusCode::FORBIDDEN, FORBIDDEN_HTML, &values)
        }
        Access::LoggedOut => Redirect::to("/console/login").into_response(),
    }
}

async fn stats(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    match check_access(&state, &headers, true) {
        Access::Granted(session) => {
            let Some(queue) = &state.queue else {
                return json_error(StatusCode::SERVICE_UNAVAILABLE, "no agent queue configured");
            };
            match queue.stats().await {
                Ok(stats) => axum::Json(stats).into_response(),
                Err(error) => {
                    tracing::warn!(agent_id = %session.agent.id, %error, "queue figures unavailable");
                    json_error(StatusCode::INTERNAL_SERVER_ERROR, "queue figures unavailable")
                }
            }
        }
        Access::Forbidden(_) => json_error(StatusCode::FORBIDDEN, "supervisors only"),
        Access::LoggedOut => json_error(StatusCode::UNAUTHORIZED, "not logged in"),
    }
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// `GET /console/ws`: upgrades a logged-in user's request to the agent socket.
async fn agent_socket(State(state): State<ConsoleState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let Access::Granted(session) = check_access(&state, &headers, false) else {
        return json_error(StatusCode::UNAUTHORIZED, "not logged in");
    };
    if !same_origin(&headers) {
        tracing::warn!(agent_id = %session.agent.id, "agent socket rejected: Origin differs from Host");
        return json_error(StatusCode::FORBIDDEN, "cross-origin socket");
    }
    let Some(queue) = state.queue.clone() else {
        return json_error(StatusCode::SERVICE_UNAVAILABLE, "no agent queue configured");
    };
    upgrade
        .max_message_size(socket::MAX_MESSAGE_BYTES)
        .max_frame_size(socket::MAX_MESSAGE_BYTES)
        .on_upgrade(move |websocket| socket::run_agent_socket(websocket, queue, session.agent))
}

/// Returns whether the request's `Origin` (when a browser sends one) names the same host
/// as `Host`, so that another site's page cannot open a socket with the agent's cookie.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(axum::http::header::ORIGIN).and_then(|value| value.to_str().ok()) else {
        return true;
    };
    let host = headers.get(axum::http::header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}
