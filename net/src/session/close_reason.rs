//! [`CloseReason`]: the one line a client is told when the server ends its session.
//!
//! The same text travels in the `Disconnect` message and in the close frame, so it must
//! fit the smaller of the two: the 123 bytes a close frame's reason holds. It is often
//! built from text the server does not control (a decoder's multi-line report, an origin
//! or an auth error the peer caused), so the constructor makes it one printable line and
//! cuts it to fit: no call site can send the two a different reason. What does not
//! belong in it goes to the log line only, as its `detail`.

use std::fmt::{self, Display, Formatter};

use tickwire_protocol::untrusted::is_unsafe_in_a_line;

/// The most bytes of reason a close frame holds (RFC 6455 section 5.5: a control frame's
/// payload is at most 125 bytes, two of them the code).
pub(crate) const MAX_CLOSE_REASON_BYTES: usize = 123;

/// What a closed client is told, and what only the log gets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CloseReason {
    /// One printable line of at most [`MAX_CLOSE_REASON_BYTES`].
    line: String,
    /// The full story for the log (a verifier's report, an error's text); unescaped.
    detail: Option<String>,
}

impl CloseReason {
    /// `text` as one line: every run of whitespace, control or formatting characters
    /// becomes one space, and text over [`MAX_CLOSE_REASON_BYTES`] is cut at a character
    /// boundary and ends with "…". If that changed it, `text` itself is the detail.
    pub(crate) fn new(text: &str) -> Self {
        let mut line = String::with_capacity(text.len().min(MAX_CLOSE_REASON_BYTES));
        for word in text.split(|c: char| c.is_whitespace() || is_unsafe_in_a_line(c)) {
            if word.is_empty() {
                continue;
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            if line.len() > MAX_CLOSE_REASON_BYTES {
                break;
            }
        }
        if line.len() > MAX_CLOSE_REASON_BYTES {
            const ELLIPSIS: &str = "…";
            line.truncate(line.floor_char_boundary(MAX_CLOSE_REASON_BYTES - ELLIPSIS.len()));
            line.push_str(ELLIPSIS);
        }
        let detail = (line != text).then(|| text.to_owned());
        Self { line, detail }
    }

    /// The same reason with `detail` for the log line instead.
    pub(crate) fn with_detail(self, detail: impl Display) -> Self {
        Self { detail: Some(detail.to_string()), ..self }
    }

    /// The line the client is told.
    pub(crate) fn as_str(&self) -> &str {
        &self.line
    }

    /// What only the log gets; peer-controlled, so log it through `Untrusted`.
    pub(crate) fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl Display for CloseReason {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

impl From<&str> for CloseReason {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for CloseReason {
    fn from(text: String) -> Self {
        Self::new(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_report_becomes_one_line() {
        let report = "malformed message: Range [2, 6) is out of bounds.\n\twhile verifying \
                      table field `body` at position 4\r\n\x1b[31m\u{202E}";
        let reason = CloseReason::new(report);
        assert_eq!(
            reason.as_str(),
            "malformed message: Range [2, 6) is out of bounds. while verifying table field \
             `body` at position 4 [31m"
        );
    }

    #[test]
    fn a_long_reason_is_cut_to_what_a_close_frame_holds() {
        let reason = CloseReason::new(&"é".repeat(100));
        assert!(reason.as_str().len() <= MAX_CLOSE_REASON_BYTES, "{}", reason.as_str().len());
        assert!(reason.as_str().ends_with('…'), "a cut reason should say it was cut");
        assert_eq!(reason.as_str().chars().filter(|&c| c == 'é').count(), 60);

        let exact = "x".repeat(MAX_CLOSE_REASON_BYTES);
        assert_eq!(CloseReason::new(&exact).as_str(), exact, "a reason that fits is kept");
    }

    #[test]
    fn what_the_line_leaves_out_is_kept_for_the_log() {
        let name = "`mallory\n\x1b[31m` is not a valid player name";
        assert_eq!(CloseReason::new(name).detail(), Some(name), "the raw text is the detail");
        assert_eq!(CloseReason::new("server is full").detail(), None, "nothing was left out");
    }

    #[test]
    fn the_detail_goes_beside_the_line_not_into_it() {
        let reason = CloseReason::new("malformed message").with_detail("line one\nline two");
        assert_eq!(reason.to_string(), "malformed message");
        assert_eq!(reason.detail(), Some("line one\nline two"));
    }
}
