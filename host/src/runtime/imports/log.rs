//! `log`: plugin messages become tracing events inside the call's span (plugin, connection).

use crate::runtime::bindings::log::{Host, Level};
use crate::runtime::state::HostState;

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
        let mut message = message;
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
