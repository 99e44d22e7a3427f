//! The `X-Twilio-Signature` header, which proves a request came from Twilio.
//!
//! Twilio computes `base64(HMAC-SHA1(key = auth token, message))`. The message is the full
//! URL it requested, query string included, followed by every form parameter of a POST,
//! sorted by name, each written as name then value with no separators. The WebSocket
//! handshake of a Media Stream is a GET signed over the `wss://` URL from the TwiML, with no
//! parameters.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use super::request_url::default_port_variants;

/// The HTTP header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// Computes the signature Twilio sends for a request to `url` with the form parameters
/// `params` (empty for a GET).
///
/// Parameters are sorted by name, byte-wise, and repeated names by value, as Twilio's own
/// validators do.
pub fn compute_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();

    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC-SHA1 accepts a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }

    BASE64.encode(mac.finalize().into_bytes())
}

/// Checks a webhook's `X-Twilio-Signature` in constant time.
///
/// `url` is the public URL Twilio requested (see [`super::request_url::public_url`]) and
/// `params` its form parameters. The URL is also tried with the scheme's default port added
/// or removed, because Twilio does not always sign the URL as written. An empty signature
/// is always rejected.
pub fn validate_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    if signature.is_empty() {
        return false;
    }

    let mut candidates = vec![url.to_owned()];
    candidates.extend(default_port_variants(url));

    // Check every candidate, not only up to the first match, so the time taken does not
    // depend on which spelling matched.
    let mut valid = subtle::Choice::from(0);
    for candidate in &candidates {
        let expected = compute_signature(auth_token, candidate, params);
        valid |= expected.as_bytes().ct_eq(signature.as_bytes());
    }
    valid.into()
}

/// Checks the `X-Twilio-Signature` of a Media Streams WebSocket handshake, which Twilio
/// signs over the `wss://` URL written in the TwiML `<Stream url>`, with no parameters.
pub fn validate_websocket_signature(auth_token: &str, wss_url: &str, signature: &str) -> bool {
    validate_signature(auth_token, wss_url, &[], signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "12345";
    const URL: &str = "https://example.com/myapp.php?foo=1&bar=2";
    const EXPECTED: &str = "L/OH5YylLD5NRKLltdqwSvS0BnU=";

    /// Parameters of the test vector Twilio publishes, deliberately out of order.
    fn vector_params() -> Vec<(String, String)> {
        [
            ("To", "+18005551212"),
            ("CallSid", "CA1234567890ABCDE"),
            ("From", "+14158675310"),
            ("Digits", "1234"),
            ("Caller", "+14158675310"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    fn replace_param(params: &mut [(String, String)], name: &str, value: &str) {
        let param = params.iter_mut().find(|(n, _)| n == name).unwrap();
        param.1 = value.to_owned();
    }

    #[test]
    fn published_vector_matches() {
        assert_eq!(compute_signature(TOKEN, URL, &vector_params()), EXPECTED);
        assert!(validate_signature(TOKEN, URL, &vector_params(), EXPECTED));
    }

    #[test]
    fn tampered_param_is_rejected() {
        let mut params = vector_params();
        replace_param(&mut params, "Digits", "1235");
        assert!(!validate_signature(TOKEN, URL, &params, EXPECTED));

        let mut params = vector_params();
        params.push(("Extra".to_owned(), String::new()));
        assert!(!validate_signature(TOKEN, URL, &params, EXPECTED));
    }

    #[test]
    fn tampered_url_is_rejected() {
        let url = "https://example.com/myapp.php?foo=1&bar=3";
        assert!(!validate_signature(TOKEN, url, &vector_params(), EXPECTED));

        let url = "http://example.com/myapp.php?foo=1&bar=2";
        assert!(!validate_signature(TOKEN, url, &vector_params(), EXPECTED));
    }

    #[test]
    fn tampered_signature_is_rejected() {
        let tampered = "L/OH5YylLD5NRKLltdqwSvS0BnV=";
        assert!(!validate_signature(TOKEN, URL, &vector_params(), tampered));
        assert!(!validate_signature(
            TOKEN,
            URL,
            &vector_params(),
            &EXPECTED[..27]
        ));
        assert!(!validate_signature(
            "54321",
            URL,
            &vector_params(),
            EXPECTED
        ));
    }

    #[test]
    fn empty_signature_is_rejected() {
        assert!(!validate_signature(TOKEN, URL, &vector_params(), ""));
        assert!(!validate_websocket_signature(
            TOKEN,
            "wss://example.com/media",
            ""
        ));
    }

    #[test]
    fn default_port_added_or_removed() {
        let signed_with_port = compute_signature(TOKEN, "https://example.com:443/myapp.php", &[]);
        assert!(validate_signature(
            TOKEN,
            "https://example.com/myapp.php",
            &[],
            &signed_with_port
        ));

        let signed_without_port = compute_signature(TOKEN, "https://example.com/myapp.php", &[]);
        let url_with_port = "https://example.com:443/myapp.php";
        assert!(validate_signature(
            TOKEN,
            url_with_port,
            &[],
            &signed_without_port
        ));
    }

    #[test]
    fn other_port_is_not_removed() {
        let signed = compute_signature(TOKEN, "https://example.com/myapp.php", &[]);
        assert!(!validate_signature(
            TOKEN,
            "https://example.com:8443/myapp.php",
            &[],
            &signed
        ));
    }

    #[test]
    fn repeated_names_sort_by_value() {
        let params = [
            ("b".to_owned(), "2".to_owned()),
            ("a".to_owned(), "z".to_owned()),
            ("a".to_owned(), "y".to_owned()),
            ("B".to_owned(), "1".to_owned()),
        ];

        // Byte-wise order puts upper case before lower case.
        let mut mac = Hmac::<Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
        mac.update(b"https://example.com/hookB1ayazb2");
        let expected = BASE64.encode(mac.finalize().into_bytes());

        assert_eq!(
            compute_signature(TOKEN, "https://example.com/hook", &params),
            expected
        );
    }

    #[test]
    fn websocket_handshake_signature() {
        let wss_url = "wss://voice.example.com/twilio/media";
        let signature = compute_signature(TOKEN, wss_url, &[]);

        assert!(validate_websocket_signature(TOKEN, wss_url, &signature));
        assert!(validate_websocket_signature(
            TOKEN,
            "wss://voice.example.com:443/twilio/media",
            &signature
        ));
        assert!(!validate_websocket_signature(
            TOKEN,
            "https://voice.example.com/twilio/media",
            &signature
        ));
    }
}
