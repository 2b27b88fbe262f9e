//! The message an approver's decision leaves on the `CertificateSigningRequest`
//! (`status.conditions[].message`): English, for `kubectl` and API users, written here
//! so the browser can read it back and say it in the page's language.

/// How many characters of the approver's own words a message keeps.
pub const MAX_WORDS: usize = 500;

/// The message of an approval by `approver`, with their words when they wrote some.
pub fn approved(approver: &str, words: Option<&str>) -> String {
    match words.map(str::trim).filter(|w| !w.is_empty()) {
        Some(words) => format!(
            "Approved by {approver} through CertDesk: {}",
            words.chars().take(MAX_WORDS).collect::<String>()
        ),
        None => format!("Approved by {approver} through CertDesk."),
    }
}

/// The message of a denial by `approver` for `reason`.
pub fn denied(approver: &str, reason: &str) -> String {
    format!(
        "Denied by {approver}: {}",
        reason.chars().take(MAX_WORDS).collect::<String>()
    )
}

/// A decision's message read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said<'a> {
    /// An approval.
    Approved {
        /// Who approved, as the cluster named them.
        by: &'a str,
        /// Their words, if they wrote some.
        words: Option<&'a str>,
    },
    /// A denial.
    Denied {
        /// Who denied, as the cluster named them.
        by: &'a str,
        /// Why.
        reason: &'a str,
    },
}

/// Reads a message [`approved`] or [`denied`] wrote; `None` for any other text (a
/// decision made outside CertDesk, or a signer's message), which is then shown as it is.
pub fn read(message: &str) -> Option<Said<'_>> {
    if let Some(rest) = message.strip_prefix("Approved by ") {
        if let Some(by) = rest.strip_suffix(" through CertDesk.") {
            return Some(Said::Approved { by, words: None });
        }
        let (by, words) = rest.split_once(" through CertDesk: ")?;
        return Some(Said::Approved {
            by,
            words: Some(words),
        });
    }
    let rest = message.strip_prefix("Denied by ")?;
    let (by, reason) = rest.split_once(": ")?;
    Some(Said::Denied { by, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_written_reads_back() {
        for by in [
            "local-approver",
            "oidc:alice",
            "system:serviceaccount:certdesk:approver",
        ] {
            assert_eq!(
                read(&approved(by, None)),
                Some(Said::Approved { by, words: None })
            );
            assert_eq!(
                read(&approved(by, Some("  "))),
                Some(Said::Approved { by, words: None })
            );
            let words = "Welcome: read pods in default. through CertDesk: twice";
            assert_eq!(
                read(&approved(by, Some(words))),
                Some(Said::Approved {
                    by,
                    words: Some(words)
                })
            );
            let reason = "not in production: sorry";
            assert_eq!(read(&denied(by, reason)), Some(Said::Denied { by, reason }));
        }
    }

    #[test]
    fn other_messages_are_not_read_as_decisions() {
        for message in [
            "",
            "Approved",
            "Denied by",
            "Approved by x",
            "The signer failed.",
        ] {
            assert_eq!(read(message), None, "{message}");
        }
    }

    #[test]
    fn the_approvers_words_are_capped() {
        let long = "x".repeat(MAX_WORDS + 10);
        let message = approved("a", Some(&long));
        let Some(Said::Approved {
            words: Some(kept), ..
        }) = read(&message)
        else {
            panic!("not read back");
        };
        assert_eq!(kept.chars().count(), MAX_WORDS);
    }
}
