//! `log`: plugin messages become tracing events inside the call's span (plugin, connection).
//!
//! A message is the plugin's text, not the host's: control characters (a newline would start
//! what looks like a host log line; an ANSI escape would drive the operator's terminal) are
//! written as escapes, and any secret value is scrubbed.

use crate::bindings::log::{Host, Level};
use crate::state::HostState;

/// Lines accepted per call; past that the plugin is muted for the call, with one warning.
const MAX_LINES_PER_CALL: u32 = 10_000;
/// Longest message kept, in bytes.
const MAX_MESSAGE: usize = 4096;

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) {
        self.log_lines += 1;
        if self.log_lines > MAX_LINES_PER_CALL {
            if self.log_lines == MAX_LINES_PER_CALL + 1 {
                tracing::warn!(target: "plugin", "plugin logged more than {MAX_LINES_PER_CALL} lines in one call; muted until the call ends");
            }
            return;
        }
        let mut message = escape_controls(&self.redactor.text(message));
        if message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        match level {
            Level::Trace => tracing::trace!(target: "plugin", "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", "{message}"),
            Level::Info => tracing::info!(target: "plugin", "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", "{message}"),
            Level::Error => tracing::error!(target: "plugin", "{message}"),
        }
    }
}

/// `text` with every control character written as an escape (`\n`, `\u{1b}`…).
pub(crate) fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_cannot_forge_lines_or_drive_terminals() {
        let forged = "page read\n2026-11-29T10:00:00Z  INFO credence: sync finished\u{1b}[2J";
        let escaped = super::escape_controls(forged);
        assert!(
            !escaped.contains('\n') && !escaped.contains('\u{1b}'),
            "{escaped}"
        );
        assert!(
            escaped.contains("\\n2026") && escaped.contains("\\u{1b}[2J"),
            "{escaped}"
        );
        assert_eq!(super::escape_controls("plain text é"), "plain text é");
    }
}
