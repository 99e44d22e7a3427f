//! X-Twilio-Signature on the webhook and the media socket, against a server on 127.0.0.1
//! configured with an auth token: good signatures pass, bad or missing ones get 403
//! before any call exists.

mod common;

use recobra::config::Secret;
use recobra::transport::twilio::signature::compute_signature;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use common::{TestServer, get_text, post_form, start_server};

const TOKEN: &str = "test-auth-token";

async fn signed_server() -> TestServer {
    start_server(|config| config.twilio.auth_token = Some(Secret::new(TOKEN))).await
}

fn webhook_form() -> Vec<(String, String)> {
    vec![
        ("CallSid".to_owned(), "CA0000000000000000000000000000beef".to_owned()),
        ("From".to_owned(), "+34600111222".to_owned()),
        ("To".to_owned(), "+34910000000".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_with_valid_signature_gets_twiml() {
    let server = signed_server().await;
    let url = server.http_url("/twilio/voice");
    let signature = compute_signature(TOKEN, &url, &webhook_form());

    let (status, body) = post_form(&url, webhook_form(), vec![("X-Twilio-Signature".into(), signature)]).await;

    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("<Stream url=\"ws://{}/twilio/media\">", server.addr)), "{body}");
    assert!(body.contains("<Parameter name=\"caller\" value=\"+34600111222\"/>"), "{body}");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_with_bad_signature_rejected() {
    let server = signed_server().await;
    let url = server.http_url("/twilio/voice");
    let mut tampered = webhook_form();
    let signature = compute_signature(TOKEN, &url, &tampered);
    tampered[1].1 = "+34999999999".to_owned();

    let (bad_status, _) = post_form(&url, tampered, vec![("X-Twilio-Signature".into(), signature)]).await;
    let (missing_status, _) = post_form(&url, webhook_form(), Vec::new()).await;

    assert_eq!(bad_status, 403);
    assert_eq!(missing_status, 403);
    let (_, metrics) = get_text(&server.http_url("/metrics")).await;
    assert!(metrics.contains("recobra_rejected_requests_total 2"), "{metrics}");
    let _ = server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_socket_requires_signature() {
    let server = signed_server().await;
    let url = server.media_url();

    let unsigned = tokio_tungstenite::connect_async(url.as_str()).await;
    let mut forged = url.as_str().into_client_request().unwrap();
    forged.headers_mut().insert("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl".parse().unwrap());
    let forged = tokio_tungstenite::connect_async(forged).await;
    let mut signed = url.as_str().into_client_request().unwrap();
    let signature = compute_signature(TOKEN, &url, &[]);
    signed.headers_mut().insert("X-Twilio-Signature", signature.parse().unwrap());
    let signed = tokio_tungstenite::connect_async(signed).await;

    for (name, result) in [("unsigned", unsigned), ("forged", forged)] {
        match result {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403, "{name}"),
            other => panic!("{name} upgrade was not rejected with 403: {other:?}"),
        }
    }
    assert!(signed.is_ok(), "a signed upgrade is accepted: {:?}", signed.err());
    let (_, ready) = common::get_json(&server.http_url("/readyz"), None).await;
    assert_eq!(ready["open_calls"], 1, "only the signed socket became a call");
    drop(signed);
    let _ = server.stop().await;
}
