//! `clock`: the host's time, pinned in tests and replays.

use crate::bindings::clock::Host;
use crate::state::HostState;
use chrono::SecondsFormat;

impl Host for HostState {
    fn now(&mut self) -> String {
        self.job
            .clock
            .now()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    fn now_millis(&mut self) -> i64 {
        self.job.clock.now().timestamp_millis()
    }
}
