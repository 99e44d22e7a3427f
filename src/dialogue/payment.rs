//! Sending payment links: the link URL, an outbox table and an HTTP webhook.

use std::sync::Mutex;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rusqlite::{Connection, params};
use serde::Serialize;
use thiserror::Error;
use tracing::{info, warn};

use crate::dialogue::outcome::PaymentLinkRequest;

/// Creates the outbox table the [`OutboxSender`] writes to; safe to run more than once.
pub const OUTBOX_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   TEXT NOT NULL,
    phone        TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    link         TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    sent_at      TEXT
);
";

/// Error sending a payment link.
#[derive(Debug, Error)]
pub enum SendError {
    /// Writing to the outbox failed.
    #[error("cannot write payment link for account {account_id} to the outbox: {source}")]
    Outbox {
        /// Account of the request.
        account_id: String,
        /// Database error.
        source: rusqlite::Error,
    },
    /// The webhook returned an error status.
    #[error("payment link webhook {url} returned HTTP {status}")]
    Status {
        /// Webhook URL.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// The webhook could not be reached.
    #[error("payment link webhook {url} failed: {message}")]
    Transport {
        /// Webhook URL.
        url: String,
        /// What failed.
        message: String,
    },
}

/// Something that delivers payment links to callers.
pub trait PaymentLinkSender: Send + Sync {
    /// Sends `link` for `request` to the caller's phone.
    fn send(&self, request: &PaymentLinkRequest, link: &str) -> Result<(), SendError>;
}

/// Builds link URLs from a template with `{account_id}` and `{amount}` placeholders, like
/// `https://pagos.example.com/p/{account_id}?importe={amount}`; `{amount}` is written in
/// units with two decimals (`1234.56`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTemplate {
    template: String,
}

impl LinkTemplate {
    /// Creates a template.
    pub fn new(template: &str) -> Self {
        Self {
            template: template.to_owned(),
        }
    }

    /// Returns the link for `request`; the account id is percent-encoded.
    pub fn render(&self, request: &PaymentLinkRequest) -> String {
        let cents = request.amount_cents;
        let amount = format!(
            "{}{}.{:02}",
            if cents < 0 { "-" } else { "" },
            cents.abs() / 100,
            cents.abs() % 100
        );
        self.template
            .replace("{account_id}", &percent_encode(&request.account_id))
            .replace("{amount}", &amount)
    }
}

/// Characters kept as they are in a path segment or query value: RFC 3986 unreserved ones.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// Queues payment links in the `outbox` table, for a separate process that sends the SMS.
pub struct OutboxSender {
    conn: Mutex<Connection>,
}

impl OutboxSender {
    /// Creates the sender on a connection whose database has [`OUTBOX_SCHEMA`].
    pub fn new(conn: Connection) -> Self {
        Self {
            conn: Mutex::new(conn),
        }
    }
}

impl PaymentLinkSender for OutboxSender {
    fn send(&self, request: &PaymentLinkRequest, link: &str) -> Result<(), SendError> {
        let outbox_error = |source| SendError::Outbox {
            account_id: request.account_id.clone(),
            source,
        };
        // A poisoned lock only means another sender thread panicked; the connection is fine.
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        conn.execute(
            "INSERT INTO outbox (account_id, phone, amount_cents, link) VALUES (?1, ?2, ?3, ?4)",
            params![
                request.account_id,
                request.phone,
                request.amount_cents,
                link
            ],
        )
        .map_err(outbox_error)?;
        info!(account_id = %request.account_id, amount_cents = request.amount_cents, %link, "payment link queued");
        Ok(())
    }
}

/// Body the [`WebhookSender`] posts.
#[derive(Debug, Serialize)]
struct WebhookBody<'a> {
    account_id: &'a str,
    phone: &'a str,
    amount_cents: i64,
    link: &'a str,
}

/// Posts payment links as JSON to an HTTP endpoint that sends the SMS.
pub struct WebhookSender {
    url: String,
    agent: ureq::Agent,
}

impl WebhookSender {
    /// Creates a sender posting to `url`, giving up after `timeout`.
    pub fn new(url: &str, timeout: std::time::Duration) -> Self {
        let agent = ureq::AgentBuilder::new().timeout(timeout).build();
        Self {
            url: url.to_owned(),
            agent,
        }
    }
}

impl PaymentLinkSender for WebhookSender {
    fn send(&self, request: &PaymentLinkRequest, link: &str) -> Result<(), SendError> {
        let body = WebhookBody {
            account_id: &request.account_id,
            phone: &request.phone,
            amount_cents: request.amount_cents,
            link,
        };
        let json = serde_json::to_string(&body).map_err(|error| SendError::Transport {
            url: self.url.clone(),
            message: error.to_string(),
        })?;

        let response = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/json")
            .send_string(&json);
        match response {
            Ok(_) => {
                info!(account_id = %request.account_id, url = %self.url, "payment link posted");
                Ok(())
            }
            Err(ureq::Error::Status(status, _)) => {
                warn!(account_id = %request.account_id, url = %self.url, status, "payment link webhook rejected the link");
                Err(SendError::Status {
                    url: self.url.clone(),
                    status,
                })
            }
            Err(error) => {
                warn!(account_id = %request.account_id, url = %self.url, %error, "payment link webhook failed");
                Err(SendError::Transport {
                    url: self.url.clone(),
                    message: error.to_string(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    fn request() -> PaymentLinkRequest {
        PaymentLinkRequest {
            account_id: "D-1001".to_owned(),
            amount_cents: 123_456,
            phone: "+34600111222".to_owned(),
        }
    }

    #[test]
    fn link_template_renders() {
        let template =
            LinkTemplate::new("https://pagos.example.com/p/{account_id}?importe={amount}");
        assert_eq!(
            template.render(&request()),
            "https://pagos.example.com/p/D-1001?importe=1234.56"
        );

        let mut odd = request();
        odd.account_id = "A 1/ñ".to_owned();
        odd.amount_cents = 8_705;
        assert_eq!(
            template.render(&odd),
            "https://pagos.example.com/p/A%201%2F%C3%B1?importe=87.05"
        );
    }

    #[test]
    fn outbox_stores_link() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(OUTBOX_SCHEMA).unwrap();
        let sender = OutboxSender::new(conn);
        sender
            .send(
                &request(),
                "https://pagos.example.com/p/D-1001?importe=1234.56",
            )
            .unwrap();

        let conn = sender.conn.lock().unwrap();
        let row: (String, String, i64, String) = conn
            .query_row(
                "SELECT account_id, phone, amount_cents, link FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(row.0, "D-1001");
        assert_eq!(row.1, "+34600111222");
        assert_eq!(row.2, 123_456);
        assert_eq!(row.3, "https://pagos.example.com/p/D-1001?importe=1234.56");
    }

    #[test]
    fn outbox_without_table_fails() {
        let sender = OutboxSender::new(Connection::open_in_memory().unwrap());
        let error = sender.send(&request(), "https://x").unwrap_err();
        assert!(
            matches!(error, SendError::Outbox { ref account_id, .. } if account_id == "D-1001"),
            "{error}"
        );
    }

    /// Serves one HTTP request on loopback with `status`, and passes its body back.
    fn one_shot_server(status: &'static str) -> (String, mpsc::Receiver<(String, String)>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/links", listener.local_addr().unwrap());
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();

            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();

            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            sender
                .send((request_line, String::from_utf8(body).unwrap()))
                .unwrap();
        });
        (url, receiver)
    }

    #[test]
    fn webhook_posts_json() {
        let (url, received) = one_shot_server("200 OK");
        let sender = WebhookSender::new(&url, Duration::from_secs(5));
        sender
            .send(
                &request(),
                "https://pagos.example.com/p/D-1001?importe=1234.56",
            )
            .unwrap();

        let (request_line, body) = received.recv().unwrap();
        assert!(request_line.starts_with("POST /links "), "{request_line}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["account_id"], "D-1001");
        assert_eq!(json["phone"], "+34600111222");
        assert_eq!(json["amount_cents"], 123_456);
        assert_eq!(
            json["link"],
            "https://pagos.example.com/p/D-1001?importe=1234.56"
        );
    }

    #[test]
    fn webhook_error_status() {
        let (url, _received) = one_shot_server("503 Service Unavailable");
        let sender = WebhookSender::new(&url, Duration::from_secs(5));
        let error = sender.send(&request(), "https://x").unwrap_err();
        assert!(
            matches!(error, SendError::Status { status: 503, .. }),
            "{error}"
        );
    }

    #[test]
    fn webhook_unreachable() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/links", listener.local_addr().unwrap());
        drop(listener);
        let sender = WebhookSender::new(&url, Duration::from_secs(5));
        let error = sender.send(&request(), "https://x").unwrap_err();
        assert!(matches!(error, SendError::Transport { .. }), "{error}");
    }
}
