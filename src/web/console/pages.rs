//! The console's pages and static files, embedded in the binary, and the es-ES text
//! catalog they are filled from.
//!
//! Templates mark text with `{{key}}`. A key is looked up first among the values the
//! handler passes (such as the user's name), then in the catalog, and the result is
//! HTML-escaped. `{{catalog_json}}` inserts the whole catalog as JSON for the page's
//! scripts, escaped so that it cannot close the `<script>` element it sits in.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The es-ES catalog: every text an agent or supervisor sees.
const CATALOG_ES: &str = include_str!("../../../web/console/es-ES.json");

/// Page templates.
pub const LOGIN_HTML: &str = include_str!("../../../web/console/login.html");
/// The agent's page.
pub const AGENT_HTML: &str = include_str!("../../../web/console/agent.html");
/// The supervisor's page.
pub const SUPERVISOR_HTML: &str = include_str!("../../../web/console/supervisor.html");
/// The page shown to a user whose role does not allow the requested page.
pub const FORBIDDEN_HTML: &str = include_str!("../../../web/console/forbidden.html");

/// Static files served under `/console/static/`, with their content types.
const STATIC_FILES: &[(&str, &str, &str)] = &[
    ("console.css", "text/css; charset=utf-8", include_str!("../../../web/console/console.css")),
    ("common.js", "text/javascript; charset=utf-8", include_str!("../../../web/console/common.js")),
    ("agent.js", "text/javascript; charset=utf-8", include_str!("../../../web/console/agent.js")),
    ("audio.js", "text/javascript; charset=utf-8", include_str!("../../../web/console/audio.js")),
    ("mic-worklet.js", "text/javascript; charset=utf-8", include_str!("../../../web/console/mic-worklet.js")),
    ("supervisor.js", "text/javascript; charset=utf-8", include_str!("../../../web/console/supervisor.js")),
];

/// A failure to load the text catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The catalog is not a JSON object of strings.
    #[error("invalid console catalog: {0}")]
    Invalid(#[from] serde_json::Error),
}

/// The console's text catalog and page renderer.
#[derive(Debug, Clone)]
pub struct Pages {
    texts: BTreeMap<String, String>,
    catalog_json: String,
}

impl Pages {
    /// Loads the embedded es-ES catalog.
    pub fn spanish() -> Result<Self, CatalogError> {
        let texts: BTreeMap<String, String> = serde_json::from_str(CATALOG_ES)?;
        let catalog_json = serde_json::to_string(&texts)?.replace('<', "\\u003c");
        Ok(Self { texts, catalog_json })
    }

    /// Returns the catalog text for `key`, or the key itself when it is missing.
    pub fn text<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts.get(key).map_or(key, String::as_str)
    }

    /// Fills `template`; see the module documentation for the placeholder rules.
    pub fn render(&self, template: &str, values: &[(&str, &str)]) -> String {
        let mut output = String::with_capacity(template.len() + 1024);
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            output.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                output.push_str(&rest[start..]);
                return output;
            };
            let key = after[..end].trim();
            self.push_value(&mut output, key, values);
            rest = &after[end + 2..];
        }
        output.push_str(rest);
        output
    }

    fn push_value(&self, output: &mut String, key: &str, values: &[(&str, &str)]) {
        if key == "catalog_json" {
            output.push_str(&self.catalog_json);
            return;
        }
        let value = values.iter().find(|(name, _)| *name == key).map(|(_, value)| *value);
        match value.or_else(|| self.texts.get(key).map(String::as_str)) {
            Some(text) => push_escaped(output, text),
            None => {
                tracing::warn!(key, "console template names a key missing from the catalog");
                push_escaped(output, key);
            }
        }
    }

    /// Renders `template` as an HTML response with `status`.
    pub fn respond(&self, status: StatusCode, template: &str, values: &[(&str, &str)]) -> Response {
        let headers = [(header::CACHE_CONTROL, "no-store")];
        (status, headers, Html(self.render(template, values))).into_response()
    }
}

fn push_escaped(output: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => output.push_str("&amp;"),
            '<' => output.push_str("&lt;"),
            '>' => output.push_str("&gt;"),
            '"' => output.push_str("&quot;"),
            '\'' => output.push_str("&#39;"),
            _ => output.push(c),
        }
    }
}

/// Serves `/console/static/{file}` from the embedded files.
pub async fn static_file(Path(file): Path<String>) -> Response {
    match STATIC_FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "no-cache")], *body).into_response(),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(template: &str) -> Vec<&str> {
        template.split("{{").skip(1).filter_map(|part| part.split_once("}}")).map(|(key, _)| key.trim()).collect()
    }

    #[test]
    fn templates_use_catalog_keys_only() {
        let pages = Pages::spanish().unwrap();
        let handler_values = ["catalog_json", "user_name", "user_role", "error"];

        for template in [LOGIN_HTML, AGENT_HTML, SUPERVISOR_HTML, FORBIDDEN_HTML] {
            for key in placeholders(template) {
                assert!(pages.texts.contains_key(key) || handler_values.contains(&key), "missing catalog key {key}");
            }
        }
    }

    #[test]
    fn scripts_use_catalog_keys_only() {
        let pages = Pages::spanish().unwrap();

        for (name, _, body) in STATIC_FILES {
            for (at, _) in body.match_indices("t(\"") {
                // `text("reason_" + ...)` builds keys at run time and is not checked here.
                if body[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let key = body[at + 3..].split('"').next().unwrap();
                assert!(pages.texts.contains_key(key), "{name} uses missing catalog key {key}");
            }
        }
    }

    #[test]
    fn render_escapes_values_and_catalog_json() {
        let pages = Pages::spanish().unwrap();

        let html = pages.render("<p>{{user_name}}</p><script>{{catalog_json}}</script>{{login_title}}", &[("user_name", "<b>Ana & Co</b>")]);

        assert!(html.starts_with("<p>&lt;b&gt;Ana &amp; Co&lt;/b&gt;</p>"), "{html}");
        assert!(html.ends_with("</script>Iniciar sesión"), "{html}");
        assert_eq!(html.matches("</script>").count(), 1);
    }
}
