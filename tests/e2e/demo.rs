//! The README's first command works.

use crate::support::{plugins_dir, run_with_deadline, text};
use std::process::Command;
use std::time::Duration;

#[test]
fn the_demo_runs_the_whole_job() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_credence"));
    cmd.current_dir(concat!(concat!(env!("CARGO_MANIFEST_DIR"), "/.."), "/.."));
    cmd.args(["demo", "--invoices", "500", "--plugins"])
        .arg(plugins_dir())
        // The sample's dates are fixed: pin the day the credit states are shown for.
        .env("CREDENCE_NOW", "2026-11-26T12:00:00Z");
    let out = run_with_deadline(cmd, Duration::from_secs(120));
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    // Table columns are padded; compare with single spaces.
    let squeezed = stdout
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "books invoices 5 500 0 0 0 0",
        "shop customers 1 7 0 0 0 0",
        "shop invoices 1 11 0 0 0 1",
        "I1012 BR-CO-15",
        "shop/C007 Harbour Foods",
        "shop/C002 insurer stored 1",
        "shop/C002 Müller Maschinenbau blocked-new 0.00 35700.00 0.00 18.0 insolvency:",
        "shop/C005 Novák Stavby cash-only",
        "shop/C007 Harbour Foods ok 46800.00 12636.00 34164.00",
        "$ credence credit shop/C002",
        "$ credence dunning --dry-run",
        "Atelier Dupont reminder email fr F-2026-1002 F-2026-1003 EUR 3960.00",
        "Novák Stavby reminder email cs F-2026-1009 CZK 181500.00",
        "Sauf erreur de notre part, les factures suivantes restent impayées",
        // Müller is in insolvency proceedings: no reminder, a claim for the administrator.
        "Müller Maschinenbau insolvency-claim task en F-2026-1004 F-2026-1005 EUR 36335.00",
        "Lodge the claim: Müller Maschinenbau, EUR 36,335.00 by 11 Nov 2026",
        // The Basiszinssatz from 1 July 2026 is not in the built-in table: no interest on a guess.
        "interest up to the opening is not included",
        "that date has passed",
        "The runaway connection was stopped at its CPU limit; every other connection completed.",
    ] {
        assert!(
            squeezed.contains(expected),
            "expected {expected:?} in:\n{stdout}"
        );
    }
}
