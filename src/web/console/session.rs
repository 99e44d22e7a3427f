//! Server-side login sessions kept in memory, keyed by a random token carried in an
//! HttpOnly, SameSite=Strict cookie. A restart logs everyone out, which is acceptable for
//! a console whose users log in at the start of a shift.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};

use crate::agents::Agent;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "recobra_console";

/// A logged-in console user.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user, as read at login.
    pub agent: Agent,
    last_seen: Instant,
}

/// Every open session; a session expires after `idle_timeout` without a request.
#[derive(Debug)]
pub struct SessionStore {
    sessions: Mutex<HashMap<String, Session>>,
    idle_timeout: Duration,
}

/// A failure to open a session.
#[derive(Debug, thiserror::Error)]
#[error("failed to read random bytes for a session token: {0}")]
pub struct TokenError(getrandom::Error);

impl SessionStore {
    /// Creates an empty store whose sessions end after `idle_timeout` of inactivity.
    pub fn new(idle_timeout: Duration) -> Self {
        Self { sessions: Mutex::new(HashMap::new()), idle_timeout }
    }

    /// Opens a session for `agent` and returns its token: 32 random bytes from the
    /// operating system, hex-encoded.
    pub fn open(&self, agent: Agent) -> Result<String, TokenError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(TokenError)?;
        let token: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let now = Instant::now();
        let mut sessions = self.lock();
        sessions.retain(|_, session| now.duration_since(session.last_seen) < self.idle_timeout);
        sessions.insert(token.clone(), Session { agent, last_seen: now });
        Ok(token)
    }

    /// Returns the session of `token` and renews its idle timer, or `None` when it is
    /// unknown or expired.
    pub fn touch(&self, token: &str) -> Option<Session> {
        let now = Instant::now();
        let mut sessions = self.lock();
        let session = sessions.get_mut(token)?;
        if now.duration_since(session.last_seen) >= self.idle_timeout {
            sessions.remove(token);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    /// Ends the session of `token`, if any.
    pub fn close(&self, token: &str) -> Option<Session> {
        self.lock().remove(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Returns the session token from the request's `Cookie` headers.
pub fn token_from_headers(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
}

/// Builds the `Set-Cookie` value that stores `token`; `secure` adds the Secure attribute
/// for consoles served over HTTPS.
pub fn set_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={token}; Path=/console; HttpOnly; SameSite=Strict{secure}")
}

/// Builds the `Set-Cookie` value that deletes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::AgentRole;

    fn agent() -> Agent {
        Agent { id: "ana".into(), name: "Ana".into(), role: AgentRole::Agent, languages: vec!["es".into()], created_at: chrono::Utc::now() }
    }

    #[test]
    fn open_touch_close_session() {
        let store = SessionStore::new(Duration::from_secs(60));

        let token = store.open(agent()).unwrap();

        assert_eq!(token.len(), 64);
        assert_eq!(store.touch(&token).unwrap().agent.id, "ana");
        assert!(store.touch("not-a-token").is_none());
        assert!(store.close(&token).is_some());
        assert!(store.touch(&token).is_none());
    }

    #[test]
    fn tokens_differ_per_login() {
        let store = SessionStore::new(Duration::from_secs(60));

        assert_ne!(store.open(agent()).unwrap(), store.open(agent()).unwrap());
    }

    #[test]
    fn expired_session_is_rejected() {
        let store = SessionStore::new(Duration::ZERO);

        let token = store.open(agent()).unwrap();

        assert!(store.touch(&token).is_none());
    }

    #[test]
    fn token_found_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "theme=dark; recobra_console=abc123".parse().unwrap());

        assert_eq!(token_from_headers(&headers), Some("abc123"));
        assert_eq!(token_from_headers(&HeaderMap::new()), None);
    }
}
