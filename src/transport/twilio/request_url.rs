//! The public URL of a request, as Twilio saw it when it signed the request.
//!
//! Twilio signs the exact URL it requested, so the server must rebuild that URL from its
//! configuration or from the request headers. Twilio is also inconsistent about writing
//! the default port, so [`default_port_variants`] lists the spellings to check.

use std::str::FromStr;

use axum::http::uri::Authority;
use axum::http::{HeaderMap, Uri};

/// A public URL that could not be rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicUrlError {
    /// The configured public base URL is not an absolute http, https, ws or wss URL
    /// without a query.
    #[error(
        "invalid public base URL {0:?}; expected an absolute http(s) or ws(s) URL such as \
         https://voice.example.com"
    )]
    InvalidBase(String),

    /// The request has no usable `Host` header (nor `X-Forwarded-Host`, when trusted).
    #[error("missing Host header; set a public base URL in the configuration")]
    MissingHost,

    /// A host header contains something that is not a host with an optional port.
    #[error("invalid host {value:?} in header {header}")]
    InvalidHost {
        /// The header the value came from.
        header: &'static str,
        /// The header value, lossily decoded as UTF-8.
        value: String,
    },

    /// `X-Forwarded-Proto` names a scheme other than http, https, ws or wss.
    #[error("unsupported scheme {0:?} in X-Forwarded-Proto; expected http or https")]
    UnsupportedForwardedProto(String),

    /// A URL whose scheme has no WebSocket counterpart was given to [`websocket_url`].
    #[error("cannot turn {0:?} into a WebSocket URL; expected an http(s) or ws(s) URL")]
    UnsupportedScheme(String),

    /// The request path does not start with `/`.
    #[error("invalid request path {0:?}; expected a path starting with /")]
    InvalidPath(String),
}

const FORWARDED_PROTO: &str = "x-forwarded-proto";
const FORWARDED_HOST: &str = "x-forwarded-host";
const HOST: &str = "host";

/// Rebuilds the public URL of a request, the URL Twilio signs.
///
/// A configured `base` (such as `https://voice.example.com` or
/// `https://example.com/recobra`) wins, and `path_and_query` is appended to it. Otherwise the
/// scheme and host come from `X-Forwarded-Proto` and `X-Forwarded-Host`, but only when
/// `trust_forwarded` is true, because any client can send those headers. Without them the
/// URL is `http://` plus the `Host` header.
pub fn public_url(
    base: Option<&str>,
    headers: &HeaderMap,
    path_and_query: &str,
    trust_forwarded: bool,
) -> Result<String, PublicUrlError> {
    if !path_and_query.starts_with('/') {
        return Err(PublicUrlError::InvalidPath(path_and_query.to_owned()));
    }

    if let Some(base) = base {
        check_base(base)?;
        return Ok(format!("{}{path_and_query}", base.trim_end_matches('/')));
    }

    let mut scheme = "http".to_owned();
    let mut host = None;
    if trust_forwarded {
        if let Some(proto) = first_header_value(headers, FORWARDED_PROTO) {
            scheme = check_scheme(&proto)?;
        }
        host = first_header_value(headers, FORWARDED_HOST)
            .map(|value| check_host(FORWARDED_HOST, value))
            .transpose()?;
    }
    let host = match host {
        Some(host) => host,
        None => {
            let value = first_header_value(headers, HOST).ok_or(PublicUrlError::MissingHost)?;
            check_host(HOST, value)?
        }
    };

    Ok(format!("{scheme}://{host}{path_and_query}"))
}

/// Turns an `https://` URL into `wss://` and an `http://` URL into `ws://`, and returns
/// ws(s) URLs unchanged. Twilio signs the WebSocket handshake with the ws(s) URL.
pub fn websocket_url(url: &str) -> Result<String, PublicUrlError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| PublicUrlError::UnsupportedScheme(url.to_owned()))?;

    let websocket_scheme = match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => "wss",
        "http" | "ws" => "ws",
        _ => return Err(PublicUrlError::UnsupportedScheme(url.to_owned())),
    };
    Ok(format!("{websocket_scheme}://{rest}"))
}

/// Returns the other spelling of `url` that Twilio may have signed. A URL without a port
/// gets the scheme's default port (443 for https and wss, 80 for http and ws). A URL that
/// names the default port loses it. Other URLs have no variant.
///
/// Twilio's own validators (twilio-python `RequestValidator`) also try both spellings. That
/// one removes any port, but this removes only the default port, so a signature never
/// covers a URL that points elsewhere.
pub fn default_port_variants(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => 443,
        "http" | "ws" => 80,
        _ => return Vec::new(),
    };

    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_and_port = &authority[host_start..];

    match split_port(host_and_port) {
        None => {
            vec![format!("{scheme}://{authority}:{default_port}{tail}")]
        }
        Some((host, port)) if port.parse::<u16>() == Ok(default_port) => {
            let user_info = &authority[..host_start];
            vec![format!("{scheme}://{user_info}{host}{tail}")]
        }
        Some(_) => Vec::new(),
    }
}

/// Splits `host:port` into its parts, minding IPv6 literals such as `[::1]:8080`. Returns
/// `None` when no port is written.
fn split_port(host_and_port: &str) -> Option<(&str, &str)> {
    let colon = host_and_port.rfind(':')?;
    if host_and_port[colon..].contains(']') {
        return None;
    }
    if host_and_port.starts_with('[') && !host_and_port[..colon].ends_with(']') {
        return None;
    }
    Some((&host_and_port[..colon], &host_and_port[colon + 1..]))
}

fn check_base(base: &str) -> Result<(), PublicUrlError> {
    let invalid = || PublicUrlError::InvalidBase(base.to_owned());
    let uri = Uri::from_str(base).map_err(|_| invalid())?;

    let scheme_ok = uri
        .scheme_str()
        .is_some_and(|scheme| check_scheme(scheme).is_ok());
    if !scheme_ok || uri.authority().is_none() || uri.query().is_some() {
        return Err(invalid());
    }
    Ok(())
}

fn check_scheme(value: &str) -> Result<String, PublicUrlError> {
    let scheme = value.to_ascii_lowercase();
    match scheme.as_str() {
        "http" | "https" | "ws" | "wss" => Ok(scheme),
        _ => Err(PublicUrlError::UnsupportedForwardedProto(value.to_owned())),
    }
}

/// Accepts a host with an optional port, but no user info, path or spaces.
fn check_host(header: &'static str, value: String) -> Result<String, PublicUrlError> {
    let valid = !value.contains('@') && Authority::from_str(&value).is_ok();
    if valid {
        Ok(value)
    } else {
        Err(PublicUrlError::InvalidHost { header, value })
    }
}

/// Returns the first comma-separated element of a header, trimmed, because proxies append
/// their own value to a list that the client may have started.
fn first_header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let first = text.split(',').next().unwrap_or_default().trim();
    (!first.is_empty()).then(|| first.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn configured_base_wins() {
        let request = headers(&[
            ("host", "10.0.0.5:3000"),
            ("x-forwarded-host", "evil.example"),
        ]);

        let url = public_url(
            Some("https://voice.example.com/"),
            &request,
            "/twilio/voice?a=1",
            true,
        );
        assert_eq!(url.unwrap(), "https://voice.example.com/twilio/voice?a=1");

        let url = public_url(
            Some("https://example.com/recobra"),
            &request,
            "/media",
            false,
        );
        assert_eq!(url.unwrap(), "https://example.com/recobra/media");
    }

    #[test]
    fn invalid_base_is_rejected() {
        let request = headers(&[("host", "example.com")]);
        for base in [
            "example.com",
            "ftp://example.com",
            "https://example.com/?x=1",
            "",
        ] {
            assert_eq!(
                public_url(Some(base), &request, "/media", false),
                Err(PublicUrlError::InvalidBase(base.to_owned())),
                "base {base:?}"
            );
        }
    }

    #[test]
    fn host_header_gives_http_url() {
        let request = headers(&[("host", "voice.example.com:8080")]);
        let url = public_url(None, &request, "/twilio/voice", false);
        assert_eq!(url.unwrap(), "http://voice.example.com:8080/twilio/voice");
    }

    #[test]
    fn forwarded_headers_ignored_unless_trusted() {
        let request = headers(&[
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "voice.example.com"),
        ]);

        let untrusted = public_url(None, &request, "/media", false);
        assert_eq!(untrusted.unwrap(), "http://127.0.0.1:3000/media");

        let trusted = public_url(None, &request, "/media", true);
        assert_eq!(trusted.unwrap(), "https://voice.example.com/media");
    }

    #[test]
    fn forwarded_lists_use_first_value() {
        let request = headers(&[
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-proto", "HTTPS, http"),
            ("x-forwarded-host", "voice.example.com, proxy.internal"),
        ]);
        let url = public_url(None, &request, "/media", true);
        assert_eq!(url.unwrap(), "https://voice.example.com/media");
    }

    #[test]
    fn trusted_proto_without_forwarded_host() {
        let request = headers(&[
            ("host", "voice.example.com"),
            ("x-forwarded-proto", "https"),
        ]);
        let url = public_url(None, &request, "/media", true);
        assert_eq!(url.unwrap(), "https://voice.example.com/media");
    }

    #[test]
    fn bad_headers_are_rejected() {
        assert_eq!(
            public_url(None, &HeaderMap::new(), "/media", false),
            Err(PublicUrlError::MissingHost)
        );

        let request = headers(&[("host", "user@example.com")]);
        assert_eq!(
            public_url(None, &request, "/media", false),
            Err(PublicUrlError::InvalidHost {
                header: "host",
                value: "user@example.com".to_owned(),
            })
        );

        let request = headers(&[("host", "example.com"), ("x-forwarded-host", "a b")]);
        assert_eq!(
            public_url(None, &request, "/media", true),
            Err(PublicUrlError::InvalidHost {
                header: "x-forwarded-host",
                value: "a b".to_owned(),
            })
        );

        let request = headers(&[("host", "example.com"), ("x-forwarded-proto", "gopher")]);
        assert_eq!(
            public_url(None, &request, "/media", true),
            Err(PublicUrlError::UnsupportedForwardedProto(
                "gopher".to_owned()
            ))
        );
    }

    #[test]
    fn relative_path_is_rejected() {
        let request = headers(&[("host", "example.com")]);
        assert_eq!(
            public_url(None, &request, "media", false),
            Err(PublicUrlError::InvalidPath("media".to_owned()))
        );
    }

    #[test]
    fn websocket_url_maps_schemes() {
        assert_eq!(
            websocket_url("https://a.example/media").unwrap(),
            "wss://a.example/media"
        );
        assert_eq!(
            websocket_url("http://a.example/media").unwrap(),
            "ws://a.example/media"
        );
        assert_eq!(
            websocket_url("wss://a.example/media").unwrap(),
            "wss://a.example/media"
        );
        assert_eq!(
            websocket_url("ftp://a.example"),
            Err(PublicUrlError::UnsupportedScheme(
                "ftp://a.example".to_owned()
            ))
        );
    }

    #[test]
    fn port_variants_add_and_remove_default() {
        let cases = [
            (
                "https://example.com/a?b=1",
                vec!["https://example.com:443/a?b=1"],
            ),
            ("https://example.com:443/a", vec!["https://example.com/a"]),
            ("wss://example.com", vec!["wss://example.com:443"]),
            ("http://example.com?x", vec!["http://example.com:80?x"]),
            ("ws://example.com:80/m", vec!["ws://example.com/m"]),
            (
                "https://u:p@example.com:443/a",
                vec!["https://u:p@example.com/a"],
            ),
            ("https://[::1]/a", vec!["https://[::1]:443/a"]),
            ("https://[::1]:443/a", vec!["https://[::1]/a"]),
        ];
        for (url, expected) in cases {
            assert_eq!(default_port_variants(url), expected, "url {url}");
        }
    }

    #[test]
    fn port_variants_keep_other_ports() {
        for url in [
            "https://example.com:8443/a",
            "http://example.com:443/",
            "ftp://example.com/",
        ] {
            assert!(default_port_variants(url).is_empty(), "url {url}");
        }
    }
}
