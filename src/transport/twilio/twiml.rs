//! TwiML documents the server returns to Twilio's voice webhooks.
//!
//! The documents are small and fixed in shape, so they are written as strings with every
//! attribute value and text node escaped, rather than through an XML library.

use tracing::warn;

/// Twilio's limit on one `<Parameter>`: its name and value together must be shorter than
/// this many characters.
pub const MAX_PARAMETER_CHARS: usize = 500;

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Destination of a human hand-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    /// A phone number, in E.164 form such as `+34600000000`.
    Number(String),
    /// A SIP URI such as `sip:agent@pbx.example.com`.
    Sip(String),
}

/// Builds TwiML that connects the call to a bidirectional Media Stream at `stream_url`
/// (a `wss://` URL) and passes `parameters` to the stream's `start` message.
///
/// Twilio drops query strings from the stream URL, so per-call values belong in
/// `parameters`. A parameter whose name and value together reach
/// [`MAX_PARAMETER_CHARS`] characters is left out with a warning, because Twilio rejects it.
pub fn connect_stream(stream_url: &str, parameters: &[(&str, &str)]) -> String {
    if !stream_url.starts_with("wss://") || stream_url.contains('?') {
        warn!(
            stream_url,
            "Media Stream URL should be a wss:// URL without a query string"
        );
    }

    let mut xml = String::from(XML_DECLARATION);
    xml.push_str("<Response><Connect><Stream url=\"");
    xml.push_str(&escape_xml(stream_url));
    xml.push_str("\">");

    for (name, value) in parameters {
        let length = name.chars().count() + value.chars().count();
        if length >= MAX_PARAMETER_CHARS {
            warn!(
                parameter = name,
                length,
                max = MAX_PARAMETER_CHARS - 1,
                "Media Stream parameter too long; left out of the TwiML"
            );
            continue;
        }
        xml.push_str("<Parameter name=\"");
        xml.push_str(&escape_xml(name));
        xml.push_str("\" value=\"");
        xml.push_str(&escape_xml(value));
        xml.push_str("\"/>");
    }

    xml.push_str("</Stream></Connect></Response>");
    xml
}

/// Builds TwiML that dials `target`, used to hand a live call to a human agent.
///
/// `caller_id` sets the number shown to the agent. Without it, Twilio shows the caller's
/// number.
pub fn redirect_dial(target: &DialTarget, caller_id: Option<&str>) -> String {
    let mut xml = String::from(XML_DECLARATION);
    xml.push_str("<Response><Dial");
    if let Some(caller_id) = caller_id {
        xml.push_str(" callerId=\"");
        xml.push_str(&escape_xml(caller_id));
        xml.push('"');
    }
    xml.push('>');

    let (noun, address) = match target {
        DialTarget::Number(number) => ("Number", number),
        DialTarget::Sip(uri) => ("Sip", uri),
    };
    xml.push_str(&format!("<{noun}>{}</{noun}>", escape_xml(address)));

    xml.push_str("</Dial></Response>");
    xml
}

/// Escapes text for an XML attribute value or text node.
///
/// Tab, line feed and carriage return become character references so attribute-value
/// normalization keeps them. Other control characters cannot appear in XML 1.0 at all,
/// so they are dropped.
fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' => escaped.push_str("&#9;"),
            '\n' => escaped.push_str("&#10;"),
            '\r' => escaped.push_str("&#13;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            _ => escaped.push(character),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM_URL: &str = "wss://voice.example.com/twilio/media";

    /// Checks that every tag is closed in order and that no text or attribute holds a raw
    /// `<`, `>` or an `&` outside a known reference. Returns the tag names in order.
    fn check_well_formed(xml: &str) -> Vec<String> {
        let body = xml
            .strip_prefix(XML_DECLARATION)
            .expect("XML declaration first");
        let mut open: Vec<String> = Vec::new();
        let mut names = Vec::new();
        let mut rest = body;

        while let Some(start) = rest.find('<') {
            check_references(&rest[..start]);
            let end = rest[start..].find('>').expect("tag closed") + start;
            let tag = &rest[start + 1..end];
            assert!(!tag.contains('<'), "raw < inside tag {tag:?}");
            check_references(tag);

            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop().as_deref(), Some(name), "unbalanced </{name}>");
            } else {
                let name = tag.split([' ', '/']).next().unwrap().to_owned();
                assert_eq!(tag.matches('"').count() % 2, 0, "unpaired quote in {tag:?}");
                names.push(name.clone());
                if !tag.ends_with('/') {
                    open.push(name);
                }
            }
            rest = &rest[end + 1..];
        }

        assert!(
            rest.trim().is_empty(),
            "text after the root element: {rest:?}"
        );
        assert!(open.is_empty(), "unclosed elements {open:?}");
        names
    }

    fn check_references(text: &str) {
        for (index, _) in text.match_indices('&') {
            let reference = &text[index..];
            let known = [
                "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#9;", "&#10;", "&#13;",
            ];
            assert!(
                known.iter().any(|entity| reference.starts_with(entity)),
                "raw & in {text:?}"
            );
        }
    }

    /// Returns the unescaped values of every `attribute="…"` in `xml`.
    fn attribute_values(xml: &str, attribute: &str) -> Vec<String> {
        let marker = format!(" {attribute}=\"");
        xml.match_indices(&marker)
            .map(|(index, _)| {
                let start = index + marker.len();
                let end = xml[start..].find('"').unwrap() + start;
                unescape(&xml[start..end])
            })
            .collect()
    }

    fn unescape(text: &str) -> String {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&#9;", "\t")
            .replace("&#10;", "\n")
            .replace("&#13;", "\r")
            .replace("&amp;", "&")
    }

    #[test]
    fn connect_stream_shape() {
        let xml = connect_stream(STREAM_URL, &[("from", "+34910000000"), ("tenant", "acme")]);

        let expected = concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<Response><Connect><Stream url="wss://voice.example.com/twilio/media">"#,
            r#"<Parameter name="from" value="+34910000000"/>"#,
            r#"<Parameter name="tenant" value="acme"/>"#,
            r#"</Stream></Connect></Response>"#,
        );
        assert_eq!(xml, expected);
        check_well_formed(&xml);
    }

    #[test]
    fn connect_stream_without_parameters() {
        let xml = connect_stream(STREAM_URL, &[]);

        let names = check_well_formed(&xml);
        assert_eq!(names, ["Response", "Connect", "Stream"]);
        assert_eq!(attribute_values(&xml, "url"), [STREAM_URL]);
    }

    #[test]
    fn attribute_values_are_escaped() {
        let tricky = r#"a&b<c>d"e'f"#;
        let xml = connect_stream("wss://example.com/m&x", &[(tricky, tricky)]);

        assert!(
            xml.contains(r#"name="a&amp;b&lt;c&gt;d&quot;e&apos;f""#),
            "{xml}"
        );
        check_well_formed(&xml);
        assert_eq!(attribute_values(&xml, "url"), ["wss://example.com/m&x"]);
        assert_eq!(attribute_values(&xml, "name"), [tricky]);
        assert_eq!(attribute_values(&xml, "value"), [tricky]);
    }

    #[test]
    fn whitespace_kept_and_controls_dropped() {
        let xml = connect_stream(STREAM_URL, &[("note", "line 1\nline\t2\r\u{0}\u{7}end")]);

        check_well_formed(&xml);
        assert_eq!(attribute_values(&xml, "value"), ["line 1\nline\t2\rend"]);
        assert!(!xml.contains('\n'), "raw line feed in {xml:?}");
    }

    #[test]
    fn long_parameters_are_skipped() {
        // "account" and "edge" take 7 and 4 characters of the limit.
        let too_long_value = "x".repeat(MAX_PARAMETER_CHARS - 7);
        let longest_value = "v".repeat(MAX_PARAMETER_CHARS - 1 - 4);
        let parameters = [
            ("first", "1"),
            ("account", too_long_value.as_str()),
            ("edge", longest_value.as_str()),
            ("last", "2"),
        ];

        let xml = connect_stream(STREAM_URL, &parameters);

        check_well_formed(&xml);
        assert_eq!(attribute_values(&xml, "name"), ["first", "edge", "last"]);
        assert!(!xml.contains(&too_long_value));
    }

    #[test]
    fn parameter_limit_counts_characters() {
        // 499 characters, but more bytes: "ñ" takes two bytes in UTF-8.
        let value = "ñ".repeat(MAX_PARAMETER_CHARS - 2);
        let xml = connect_stream(STREAM_URL, &[("n", value.as_str())]);
        assert_eq!(attribute_values(&xml, "value"), [value]);
    }

    #[test]
    fn dial_number_shape() {
        let target = DialTarget::Number("+34600000000".to_owned());
        let xml = redirect_dial(&target, Some("+34910000000"));

        let expected = concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<Response><Dial callerId="+34910000000"><Number>+34600000000</Number>"#,
            r#"</Dial></Response>"#,
        );
        assert_eq!(xml, expected);
        check_well_formed(&xml);
    }

    #[test]
    fn dial_sip_shape() {
        let target = DialTarget::Sip("sip:agent@pbx.example.com;transport=tls".to_owned());
        let xml = redirect_dial(&target, None);

        let expected = concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<Response><Dial><Sip>sip:agent@pbx.example.com;transport=tls</Sip>"#,
            r#"</Dial></Response>"#,
        );
        assert_eq!(xml, expected);
        check_well_formed(&xml);
    }

    #[test]
    fn dial_escapes_text_and_caller_id() {
        let target = DialTarget::Sip("sip:a@b?x=1&y=<2>".to_owned());
        let xml = redirect_dial(&target, Some("\"Acme\" <+34>"));

        assert!(
            xml.contains("<Sip>sip:a@b?x=1&amp;y=&lt;2&gt;</Sip>"),
            "{xml}"
        );
        assert_eq!(attribute_values(&xml, "callerId"), ["\"Acme\" <+34>"]);
        check_well_formed(&xml);
    }
}
