//! Login and logout, with a per-user limit on failed attempts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tracing::{info, warn};

use super::pages::LOGIN_HTML;
use super::session::{clear_cookie, set_cookie, token_from_headers};
use super::ConsoleState;
use crate::agents::{AgentRole, agent_with_hash, verify_password};

/// A valid Argon2id hash of a random password, checked when the user does not exist so
/// that an unknown user takes as long to reject as a wrong password.
const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$4cQy1Cw7dxmRAVqUFAlb4Gmxq5dyh+5b2Sk0IWZn0G4";

/// The login form's fields.
#[derive(Debug, serde::Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

/// Failed logins per user id within a window; ids that reach the limit are locked until
/// the window ends.
///
/// NOTE: counting per id means anyone who can reach the login form can lock an agent out
/// for one window by guessing wrong on purpose; per-address limits belong in the proxy.
#[derive(Debug)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    max_failures: u32,
    window: Duration,
}

impl LoginLimiter {
    /// Allows `max_failures` failed logins per id within `window`.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self { failures: Mutex::new(HashMap::new()), max_failures, window }
    }

    /// Returns whether `id` has used up its failed attempts.
    pub fn is_locked(&self, id: &str) -> bool {
        let failures = self.lock();
        failures.get(id).is_some_and(|(count, first)| *count >= self.max_failures && first.elapsed() < self.window)
    }

    /// Counts a failed login for `id`.
    pub fn record_failure(&self, id: &str) {
        let mut failures = self.lock();
        let entry = failures.entry(id.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    /// Forgets the failures of `id` after a successful login.
    pub fn clear(&self, id: &str) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `GET /console/login`: the login form, or the console when already logged in.
pub async fn login_page(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    if state.current_session(&headers).is_some() {
        return Redirect::to("/console/agent").into_response();
    }
    state.pages.respond(StatusCode::OK, LOGIN_HTML, &[("error", "")])
}

/// `POST /console/login`: checks the password and opens a session.
///
/// Every failure returns the same message after [`super::ConsoleSettings::failure_delay`],
/// whether the user exists or not; a locked id gets the lock-out message.
pub async fn login_submit(State(state): State<ConsoleState>, Form(form): Form<LoginForm>) -> Response {
    let username = form.username.trim().to_owned();
    if state.limiter.is_locked(&username) {
        warn!(agent_id = %username, "login rejected: too many failed attempts");
        tokio::time::sleep(state.settings.failure_delay).await;
        return login_error(&state, "login_error_locked", StatusCode::TOO_MANY_REQUESTS);
    }

    let store = state.store.clone();
    let id = username.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let found = store.with_connection(|conn| agent_with_hash(conn, &id))?;
        let (agent, hash) = match found {
            Some((agent, hash)) => (Some(agent), hash),
            None => (None, UNKNOWN_USER_HASH.to_owned()),
        };
        let valid = verify_password(&form.password, &hash).unwrap_or(false);
        Ok::<_, crate::storage::StorageError>(agent.filter(|_| valid))
    })
    .await;

    let agent = match checked {
        Ok(Ok(Some(agent))) => agent,
        Ok(Ok(None)) => {
            state.limiter.record_failure(&username);
            warn!(agent_id = %username, "login failed: unknown user or wrong password");
            tokio::time::sleep(state.settings.failure_delay).await;
            return login_error(&state, "login_error_invalid", StatusCode::UNAUTHORIZED);
        }
        Ok(Err(error)) => {
            warn!(agent_id = %username, %error, "login failed: storage error");
            return login_error(&state, "action_failed", StatusCode::INTERNAL_SERVER_ERROR);
        }
        Err(error) => {
            warn!(agent_id = %username, %error, "login check panicked");
            return login_error(&state, "action_failed", StatusCode::INTERNAL_SERVER_ERROR);
        }
    };

    state.limiter.clear(&username);
    let landing = if agent.role == AgentRole::Supervisor { "/console/supervisor" } else { "/console/agent" };
    let token = match state.sessions.open(agent) {
        Ok(token) => token,
        Err(error) => {
            warn!(agent_id = %username, %error, "login failed: no session token");
            return login_error(&state, "action_failed", StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    info!(agent_id = %username, "console login");
    ([(header::SET_COOKIE, set_cookie(&token, state.settings.secure_cookie))], Redirect::to(landing)).into_response()
}

/// `POST /console/logout`: ends the session and clears the cookie.
pub async fn logout(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    if let Some(session) = token_from_headers(&headers).and_then(|token| state.sessions.close(token)) {
        info!(agent_id = %session.agent.id, "console logout");
        state.on_logout(&session.agent.id);
    }
    ([(header::SET_COOKIE, clear_cookie(state.settings.secure_cookie))], Redirect::to("/console/login")).into_response()
}

fn login_error(state: &ConsoleState, key: &str, status: StatusCode) -> Response {
    let message = state.pages.text(key).to_owned();
    state.pages.respond(status, LOGIN_HTML, &[("error", &message)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_user_hash_is_valid_phc() {
        assert!(!verify_password("anything at all", UNKNOWN_USER_HASH).unwrap());
    }

    #[test]
    fn limiter_locks_after_max_failures() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(600));

        limiter.record_failure("ana");
        limiter.record_failure("ana");
        assert!(!limiter.is_locked("ana"));
        limiter.record_failure("ana");

        assert!(limiter.is_locked("ana"));
        assert!(!limiter.is_locked("luis"));
        limiter.clear("ana");
        assert!(!limiter.is_locked("ana"));
    }
}
