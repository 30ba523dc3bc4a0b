//! [`Untrusted`]: text a peer controls, made safe to write into a log line.
//!
//! Anything a client can choose (a close reason it sent, an auth token's player name, an
//! `Origin`, a decoder's report on its bytes) may carry a newline that forges a log line,
//! ANSI escapes that repaint a terminal, or bidirectional overrides that reorder what an
//! operator reads. Every log field holding such text goes through [`Untrusted`], so the
//! line stays one line and shows exactly what was sent.

use std::fmt::{self, Display, Formatter, Write};

/// Displays peer-controlled text escaped for a log: control characters, line and
/// paragraph separators and bidirectional controls as Rust escapes (`\n`, `\u{1b}`), a
/// backslash doubled so an escape can never be forged; everything else as it is.
///
/// ```
/// use tickwire_protocol::Untrusted;
/// let name = "mallory\n\x1b[31mINFO forged";
/// assert_eq!(Untrusted(name).to_string(), r"mallory\n\u{1b}[31mINFO forged");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Untrusted<'a>(pub &'a str);

impl Display for Untrusted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c == '\\' || is_unsafe_in_a_line(c) {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Whether `c` could break a line of text or change how the rest of it is shown:
/// control characters (newlines, escapes), line and paragraph separators, zero-width and
/// bidirectional formatting characters, the byte order mark.
pub fn is_unsafe_in_a_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_terminal_escapes_are_shown_not_obeyed() {
        let forged = "alice\r\n2026-11-26T12:00:00Z  INFO forged line\x1b[31m\u{202E}\u{0}";
        let shown = Untrusted(forged).to_string();
        assert_eq!(
            shown, r"alice\r\n2026-11-26T12:00:00Z  INFO forged line\u{1b}[31m\u{202e}\u{0}",
            "control and bidirectional characters should be escaped"
        );
        assert!(!shown.chars().any(is_unsafe_in_a_line), "the result should be one plain line");
    }

    #[test]
    fn ordinary_text_is_unchanged_and_escapes_cannot_be_forged() {
        assert_eq!(
            Untrusted("https://play.example — é 漢").to_string(),
            "https://play.example — é 漢"
        );
        assert_eq!(
            Untrusted(r"a\nb").to_string(),
            r"a\\nb",
            "a literal backslash-n should not read like an escaped newline"
        );
    }
}
