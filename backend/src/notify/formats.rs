//! Each sink format's message for an event. Every string from a request is data: it is
//! escaped for the format's markup (Slack's `&`, `<` and `>` in plain text; CommonMark
//! backslash escapes in an Adaptive Card; HTML in mail; JSON in the webhook), so a
//! username like `<!channel>`, `*bold*` or `<script>` arrives as literal text.

use serde_json::{Value, json};

use super::event::Event;

/// Slack's limit on one text object.
pub const SLACK_TEXT_MAX: usize = 3000;

/// The envelope's version: receivers can rely on its fields within it.
pub const ENVELOPE_VERSION: &str = "v1";

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Escapes Slack's three control characters (`&`, `<`, `>`), which is all its text
/// needs for a mention or link such as `<!channel>` to show as typed.
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack incoming webhook's Block Kit message: a header, one plain-text section a
/// fact (each text at most 3,000 characters, escaped), and a button to the approval
/// page. The notification's fallback `text` carries no request data.
pub fn slack(event: &Event, link: &str) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": event.kind.title(), "emoji": false},
    })];
    for (label, value) in event.facts() {
        // Escape first, then cut: the entity a cut would split is never sent.
        let text = truncate(
            &format!("{label}: {}", slack_escape(&value)),
            SLACK_TEXT_MAX,
        );
        let text = match text.rfind('&') {
            Some(at) if !text[at..].contains(';') => text[..at].to_owned(),
            _ => text,
        };
        blocks.push(json!({
            "type": "section",
            "text": {"type": "plain_text", "text": text, "emoji": false},
        }));
    }
    blocks.push(json!({
        "type": "actions",
        "elements": [{
            "type": "button",
            "text": {"type": "plain_text", "text": "Open in CertDesk", "emoji": false},
            "url": link,
        }],
    }));
    json!({"text": format!("CertDesk: {}", event.kind.title()), "blocks": blocks})
}

/// Escapes every ASCII punctuation character with a backslash (CommonMark's escape,
/// which Adaptive Cards' markdown follows), so no markdown, link or `{{DATE()}}`
/// function in a value is interpreted.
pub fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Teams Workflows webhook's message: an Adaptive Card (1.4) in `attachments`, with
/// a title, a fact set of escaped values and an action opening the approval page.
pub fn teams(event: &Event, link: &str) -> Value {
    let facts: Vec<Value> = event
        .facts()
        .into_iter()
        .map(|(label, value)| json!({"title": label, "value": markdown_escape(&value)}))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": event.kind.title(), "weight": "Bolder", "size": "Medium", "wrap": true},
                    {"type": "FactSet", "facts": facts},
                ],
                "actions": [{"type": "Action.OpenUrl", "title": "Open in CertDesk", "url": link}],
            },
        }],
    })
}

/// The signed webhook's body: a versioned envelope holding the event as data.
pub fn envelope(id: &str, event: &Event, link: &str) -> Value {
    json!({
        "version": ENVELOPE_VERSION,
        "id": id,
        "type": format!("certdesk.{}", event.kind.as_str()),
        "timestamp": crate::audit::timestamp(event.occurred_at),
        "link": link,
        "data": event,
    })
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A mail's subject, plain text and HTML.
pub struct Mail {
    /// One line, no control characters.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (every value escaped).
    pub html: String,
}

/// The mail for an event.
pub fn email(event: &Event, link: &str) -> Mail {
    let username: String = event
        .username
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let subject = format!("[CertDesk] {}: {username}", event.kind.title());
    let mut text = format!("{}\n\n", event.kind.title());
    let mut rows = String::new();
    for (label, value) in event.facts() {
        text.push_str(&format!("{label}: {value}\n"));
        rows.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            html_escape(label),
            html_escape(&value)
        ));
    }
    text.push_str(&format!("\nOpen in CertDesk: {link}\n"));
    let html = format!(
        "<!doctype html><html><body><h1>{}</h1><table>{rows}</table><p><a href=\"{}\">Open in CertDesk</a></p></body></html>",
        html_escape(event.kind.title()),
        html_escape(link)
    );
    Mail {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::super::event::EventKind;
    use super::*;

    const HOSTILE: &str = "<!channel> *bold* _x_ <script>alert(1)</script> & [a](http://evil) {{DATE(2017-02-14T06:08:39Z, SHORT)}} `c` <@U123>";

    fn hostile() -> Event {
        let mut event = Event::new(EventKind::Submitted, HOSTILE);
        event.note = Some(HOSTILE.to_owned());
        event.groups = vec![HOSTILE.to_owned()];
        event.request = Some("req-1".to_owned());
        event
    }

    fn slack_unescape(text: &str) -> String {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    fn markdown_unescape(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                out.extend(chars.next());
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn slack_shows_hostile_text_literally_and_within_limits() {
        let message = slack(&hostile(), "https://c/admin/requests/req-1");
        let blocks = message["blocks"].as_array().unwrap();
        let mut seen = 0;
        for block in blocks {
            if let Some(text) = block["text"]["text"].as_str() {
                assert_eq!(block["text"]["type"], "plain_text");
                assert!(text.chars().count() <= SLACK_TEXT_MAX);
                assert!(!text.contains('<') && !text.contains('>'), "{text}");
                if slack_unescape(text).ends_with(HOSTILE) {
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 3, "user, groups and note each shown whole");
        assert!(!message["text"].as_str().unwrap().contains('<'));
        let long = Event::new(EventKind::Submitted, &"<".repeat(5000));
        for block in slack(&long, "https://c")["blocks"].as_array().unwrap() {
            if let Some(text) = block["text"]["text"].as_str() {
                assert!(text.chars().count() <= SLACK_TEXT_MAX);
                assert!(!text.contains('<'));
            }
        }
    }

    #[test]
    fn teams_escapes_every_markdown_character() {
        let card = teams(&hostile(), "https://c/admin/requests/req-1");
        let attachment = &card["attachments"][0];
        assert_eq!(
            attachment["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(attachment["content"]["type"], "AdaptiveCard");
        let facts = attachment["content"]["body"][1]["facts"]
            .as_array()
            .unwrap();
        let user = facts[0]["value"].as_str().unwrap();
        assert_eq!(markdown_unescape(user), HOSTILE);
        // Every punctuation character is escaped.
        let mut chars = user.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                chars.next();
            } else {
                assert!(!c.is_ascii_punctuation(), "{c} unescaped in {user}");
            }
        }
    }

    #[test]
    fn email_escapes_html_and_keeps_the_text_part_literal() {
        let mail = email(&hostile(), "https://c/admin/requests/req-1?a=1&b=2");
        assert!(!mail.html.contains("<script>") && !mail.html.contains("<!channel>"));
        assert!(mail.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(
            mail.html
                .contains("href=\"https://c/admin/requests/req-1?a=1&amp;b=2\"")
        );
        assert!(mail.text.contains(HOSTILE));
        let controls = Event::new(EventKind::Submitted, "a\r\nBcc: x@evil");
        assert!(!email(&controls, "l").subject.contains('\n'));
    }

    #[test]
    fn the_envelope_holds_the_event_as_data() {
        let body = envelope("id-1", &hostile(), "https://c/x");
        assert_eq!(body["version"], "v1");
        assert_eq!(body["type"], "certdesk.submitted");
        assert_eq!(body["data"]["username"], HOSTILE);
        assert_eq!(body["data"]["note"], HOSTILE);
    }
}
