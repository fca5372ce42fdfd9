//! The README's first command works.

use crate::support::{plugins_dir, run_with_deadline, text};
use std::process::Command;
use std::time::Duration;

#[test]
fn the_demo_runs_the_whole_job() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_credence"));
    cmd.args(["demo", "--invoices", "500", "--plugins"])
        .arg(plugins_dir());
    let out = run_with_deadline(cmd, Duration::from_secs(120));
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("books: read 500 invoices in 5 pages"),
        "{stdout}"
    );
    assert!(
        stdout.contains("runaway: contained as expected") && stdout.contains("CPU limit"),
        "{stdout}"
    );
}
