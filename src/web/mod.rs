//! The HTTP server: Twilio webhook and media socket, call API, health and metrics.
//!
//! Routes:
//! - `POST /twilio/voice`: inbound-call webhook; returns TwiML connecting the call to the
//!   media socket.
//! - `GET /twilio/media`: the Media Streams WebSocket.
//! - `GET /api/calls/{call_sid}`: a call with its journal and outcome, as JSON.
//! - `GET /healthz`, `GET /readyz`, `GET /metrics`.
//! - `/console/...`: the agent console for agents and supervisors (see [`console`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tracing::{info, warn};

use crate::session::driver::{CallServices, run_twilio_call};
use crate::storage::Store;
use crate::transport::twilio::request_url::{public_url, websocket_url};
use crate::transport::twilio::{signature, twiml};

pub mod console;
pub mod metrics;

/// Settings the HTTP layer checks on each request.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Public base URL (`https://host`), when configured.
    pub public_base_url: Option<String>,
    /// Twilio auth token for request signatures; `None` disables the checks.
    pub twilio_auth_token: Option<String>,
    /// Whether `X-Forwarded-Proto` and `X-Forwarded-Host` describe the public URL.
    pub trust_forwarded_headers: bool,
    /// Bearer token for `/api`; `None` leaves it open (loopback only).
    pub api_bearer_token: Option<String>,
    /// Largest WebSocket message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Calls accepted at once; further media sockets get 503.
    pub max_concurrent_calls: usize,
    /// Folder of the speech model, shown by `/readyz`.
    pub model_dir: String,
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    /// Per-request settings.
    pub settings: Arc<WebSettings>,
    /// Services shared by every call.
    pub services: Arc<CallServices>,
    /// Read access to stored calls.
    pub store: Store,
    /// Media sockets currently open.
    pub open_calls: Arc<AtomicUsize>,
    /// The built-in agent queue, when handoffs go to it.
    pub queue: Option<crate::queue::QueueService>,
}

/// Builds the router with every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/twilio/voice", post(twilio_voice))
        .route("/twilio/media", get(twilio_media))
        .route("/api/calls/{call_sid}", get(call_by_sid))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

/// Returns, for the inbound-call webhook, TwiML that connects the call to the media socket.
async fn twilio_voice(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    let path_and_query = uri.path_and_query().map_or("/twilio/voice", |pq| pq.as_str());
    let settings = &state.settings;
    let Ok(request_url) = public_url(settings.public_base_url.as_deref(), &headers, path_and_query, settings.trust_forwarded_headers)
    else {
        return (StatusCode::BAD_REQUEST, "cannot tell the public URL: no Host header\n").into_response();
    };

    if let Some(token) = &settings.twilio_auth_token {
        let provided = headers.get("x-twilio-signature").and_then(|value| value.to_str().ok()).unwrap_or("");
        if !signature::validate_signature(token, &request_url, &params, provided) {
            warn!(url = %request_url, "webhook rejected: invalid or missing X-Twilio-Signature");
            state.services.metrics.rejected_requests.inc();
            return (StatusCode::FORBIDDEN, "invalid signature\n").into_response();
        }
    }

    let param = |name: &str| params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let call_sid = param("CallSid").unwrap_or("");
    let caller = param("From").unwrap_or("");
    info!(call_sid, caller, "inbound call webhook");

    let Ok(stream_url) = public_url(settings.public_base_url.as_deref(), &headers, "/twilio/media", settings.trust_forwarded_headers)
    else {
        return (StatusCode::BAD_REQUEST, "cannot tell the public URL: no Host header\n").into_response();
    };
    let stream_url = to_websocket_url(&stream_url);
    let mut parameters = vec![("caller", caller)];
    if let Some(account) = param("account_id") {
        parameters.push(("account_id", account));
    }
    let body = twiml::connect_stream(&stream_url, &parameters);
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// Turns `https://host/path` into `wss://host/path` (and `http` into `ws`).
fn to_websocket_url(url: &str) -> String {
    websocket_url(url).unwrap_or_else(|_| url.to_owned())
}

/// Upgrades the Media Streams socket after checking its signature.
async fn twilio_media(State(state): State<AppState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let settings = &state.settings;
    if let Some(token) = &settings.twilio_auth_token {
        let Ok(url) = public_url(settings.public_base_url.as_deref(), &headers, "/twilio/media", settings.trust_forwarded_headers)
        else {
            return (StatusCode::BAD_REQUEST, "cannot tell the public URL: no Host header\n").into_response();
        };
        let wss_url = to_websocket_url(&url);
        let provided = headers.get("x-twilio-signature").and_then(|value| value.to_str().ok()).unwrap_or("");
        if !signature::validate_websocket_signature(token, &wss_url, provided) {
            warn!(url = %wss_url, "media socket rejected: invalid or missing X-Twilio-Signature");
            state.services.metrics.rejected_requests.inc();
            return (StatusCode::FORBIDDEN, "invalid signature\n").into_response();
        }
    }

    let open = state.open_calls.fetch_add(1, Ordering::SeqCst);
    if open >= settings.max_concurrent_calls {
        state.open_calls.fetch_sub(1, Ordering::SeqCst);
        warn!(open, limit = settings.max_concurrent_calls, "media socket rejected: call limit reached");
        return (StatusCode::SERVICE_UNAVAILABLE, "call limit reached\n").into_response();
    }

    let services = state.services.clone();
    let open_calls = state.open_calls.clone();
    upgrade
        .max_message_size(settings.max_message_bytes)
        .max_frame_size(settings.max_message_bytes)
        .on_upgrade(move |socket| async move {
            run_twilio_call(socket, services).await;
            open_calls.fetch_sub(1, Ordering::SeqCst);
        })
}

/// Returns a call with its journal and outcome.
async fn call_by_sid(State(state): State<AppState>, headers: HeaderMap, Path(call_sid): Path<String>) -> Response {
    if let Some(rejection) = check_bearer(&state, &headers) {
        return rejection;
    }
    state.services.journal.flush().await;
    let store = state.store.clone();
    let sid = call_sid.clone();
    match tokio::task::spawn_blocking(move || call_with_outcomes(&store, &sid)).await {
        Ok(Ok(Some(call))) => axum::Json(call).into_response(),
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, axum::Json(json!({ "error": format!("call {call_sid} not found") }))).into_response(),
        Ok(Err(error)) => {
            warn!(%call_sid, %error, "reading a call failed");
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "error": "storage error" }))).into_response()
        }
        Err(error) => {
            warn!(%call_sid, %error, "reading a call panicked");
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "error": "internal error" }))).into_response()
        }
    }
}

/// Reads a call and adds its outcomes: `outcome` is the call's result (the first outcome
/// stored, with the latest satisfaction score), `outcomes` every outcome in order.
fn call_with_outcomes(store: &Store, call_sid: &str) -> Result<Option<serde_json::Value>, crate::storage::StorageError> {
    let Some(call) = store.call(call_sid)? else { return Ok(None) };
    let outcomes = store.with_connection(|conn| {
        crate::storage::outcomes::outcomes_for_call(conn, call_sid).map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))
    })?;
    let mut value = serde_json::to_value(&call).unwrap_or_default();
    let result = outcomes.first().cloned().map(|mut first| {
        if let Some(score) = outcomes.iter().rev().find_map(|outcome| outcome.satisfaction) {
            first.satisfaction = Some(score);
        }
        first
    });
    value["outcome"] = serde_json::to_value(result).unwrap_or_default();
    value["outcomes"] = serde_json::to_value(&outcomes).unwrap_or_default();
    Ok(Some(value))
}

fn check_bearer(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let expected = state.settings.api_bearer_token.as_ref()?;
    let provided = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    if subtle::ConstantTimeEq::ct_eq(provided.as_bytes(), expected.as_bytes()).into() {
        return None;
    }
    state.services.metrics.rejected_requests.inc();
    Some((StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "missing or invalid bearer token\n").into_response())
}

/// Reports whether the server takes calls, and whether speech recognition is available.
async fn readyz(State(state): State<AppState>) -> Response {
    let speech = state.services.model.is_some();
    axum::Json(json!({
        "ready": true,
        "speech_recognition": speech,
        "mode": if speech { "voice_and_keypad" } else { "keypad_only" },
        "model_dir": state.settings.model_dir,
        "open_calls": state.open_calls.load(Ordering::SeqCst),
    }))
    .into_response()
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.services.metrics.render(),
    )
        .into_response()
}
