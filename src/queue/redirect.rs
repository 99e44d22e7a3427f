//! Telephony transfer mode: for contact centres that keep their own ACD, a handoff
//! redirects the live call through Twilio's REST API to a number or SIP URI instead of
//! the built-in queue.
//!
//! The request is `POST {api_base}/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`
//! with HTTP Basic auth (account SID and auth token) and a form field `Twiml` holding
//! `<Response><Dial>...</Dial></Response>`. Updating the call's TwiML ends the media
//! stream. For a SIP target, the transfer reason and call id travel as SIP URI headers
//! (`X-Recobra-Reason`, `X-Recobra-Call`); for a number they cannot, so the agent's desk
//! reads the context card by call id from `GET /api/calls/{call_sid}`.

use std::time::Duration;

use base64::Engine;
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::session::driver::{HandoffQueue, QueueTicket};
use crate::transport::twilio::twiml::{self, DialTarget};

use super::{HandoffEvent, HandoffRequest, LeaveReason};

/// Settings of the Twilio redirect.
#[derive(Debug, Clone)]
pub struct RedirectSettings {
    /// Base URL of Twilio's REST API (`https://api.twilio.com`; a local mock in tests).
    pub api_base_url: String,
    /// The Twilio account SID (`AC...`).
    pub account_sid: String,
    /// The Twilio auth token, the password of the Basic auth.
    pub auth_token: String,
    /// Destination of the redirected call.
    pub target: DialTarget,
    /// Caller id shown to the agent's phone, when set.
    pub caller_id: Option<String>,
}

/// A [`HandoffQueue`] that redirects calls to the contact centre's ACD.
pub struct TwilioRedirect {
    settings: RedirectSettings,
    agent: ureq::Agent,
}

impl TwilioRedirect {
    /// Creates the redirect with a 10 s request timeout.
    pub fn new(settings: RedirectSettings) -> Self {
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
        Self { settings, agent }
    }

    /// Builds the TwiML that dials the target, with the context as SIP headers if possible.
    pub fn twiml(&self, request: &HandoffRequest) -> String {
        let target = match &self.settings.target {
            DialTarget::Sip(uri) => {
                let separator = if uri.contains('?') { '&' } else { '?' };
                let reason = percent_encode(&request.reason);
                let call = percent_encode(&request.call_sid);
                DialTarget::Sip(format!("{uri}{separator}X-Recobra-Reason={reason}&X-Recobra-Call={call}"))
            }
            number => number.clone(),
        };
        twiml::redirect_dial(&target, self.settings.caller_id.as_deref())
    }

    fn redirect(&self, request: &HandoffRequest) -> Result<(), String> {
        let settings = &self.settings;
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Calls/{}.json",
            settings.api_base_url.trim_end_matches('/'),
            settings.account_sid,
            request.call_sid
        );
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", settings.account_sid, settings.auth_token));
        let twiml = self.twiml(request);
        match self.agent.post(&url).set("Authorization", &format!("Basic {credentials}")).send_form(&[("Twiml", twiml.as_str())]) {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(status, _)) => Err(format!("Twilio returned HTTP {status} for {url}")),
            Err(error) => Err(format!("request to {url} failed: {error}")),
        }
    }
}

/// Encodes a SIP URI header value (RFC 3261 allows unreserved characters unescaped).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

struct RedirectTicket;

impl QueueTicket for RedirectTicket {
    fn leave(self: Box<Self>, _reason: LeaveReason) {
        // The platform owns the call after a redirect; nothing is queued here.
    }
}

impl HandoffQueue for std::sync::Arc<TwilioRedirect> {
    fn enqueue(&self, request: HandoffRequest) -> Result<(Box<dyn QueueTicket>, mpsc::UnboundedReceiver<HandoffEvent>), String> {
        let (events, receiver) = mpsc::unbounded_channel();
        let redirect = self.clone();
        tokio::task::spawn_blocking(move || {
            let event = match redirect.redirect(&request) {
                Ok(()) => {
                    info!(call_sid = %request.call_sid, reason = %request.reason, "call redirected to the contact centre");
                    HandoffEvent::Redirected
                }
                Err(error) => {
                    warn!(call_sid = %request.call_sid, %error, "redirecting the call failed");
                    HandoffEvent::Failed { error }
                }
            };
            let _ = events.send(event);
        });
        Ok((Box::new(RedirectTicket), receiver))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect(target: DialTarget) -> TwilioRedirect {
        TwilioRedirect::new(RedirectSettings {
            api_base_url: "http://127.0.0.1:9".into(),
            account_sid: "AC123".into(),
            auth_token: "secret".into(),
            target,
            caller_id: None,
        })
    }

    fn request() -> HandoffRequest {
        HandoffRequest { call_sid: "CA1".into(), reason: "requested".into(), context: serde_json::json!({}), language: "es".into(), priority: 0 }
    }

    #[test]
    fn sip_target_carries_context_headers() {
        let twiml = redirect(DialTarget::Sip("sip:agents@pbx.example.com".into())).twiml(&request());

        assert!(twiml.contains("<Sip>sip:agents@pbx.example.com?X-Recobra-Reason=requested&amp;X-Recobra-Call=CA1</Sip>"), "{twiml}");
    }

    #[test]
    fn number_target_dials_number() {
        let twiml = redirect(DialTarget::Number("+34910000000".into())).twiml(&request());

        assert!(twiml.contains("<Dial><Number>+34910000000</Number></Dial>"), "{twiml}");
    }

    #[test]
    fn unreachable_api_is_an_error() {
        let error = redirect(DialTarget::Number("+34910000000".into())).redirect(&request()).unwrap_err();

        assert!(error.contains("127.0.0.1:9"), "{error}");
    }
}
