//! Hostile ledger data in the terminal: names with escape sequences, a bare carriage return, a
//! bell and a 70,000-character name go through `credence sync` and come out of `customers`,
//! `customer`, `invoices` and `evaluate` escaped and cut to size (whole in `--json`); a reader
//! that closes the pipe early ends the process quietly.

use crate::support::{TestHome, text};
use std::io::Read;
use std::process::Stdio;

const NOW: &str = "2026-11-26T12:00:00Z";
const GIANT: usize = 70_000;

/// A CSV export whose customer names (and one invoice number) carry what a terminal acts on.
fn hostile_export(folder: &std::path::Path) {
    let giant = "G".repeat(GIANT);
    let names = [
        "Clear\x1b[2JScreen".to_string(),
        "Red\x1b[31mAlert".to_string(),
        "Carriage\rReturn".to_string(),
        "Bell\x07Ringer".to_string(),
        giant,
    ];
    let mut customers = String::from("id,name,country,currency,payment_terms_days,updated_at\n");
    let mut invoices = String::from(
        "id,number,customer_id,issue_date,due_date,currency,net,tax,total,outstanding,status,tax_rate,updated_at\n",
    );
    for (i, name) in names.iter().enumerate() {
        // Quoted: a CSV field may hold a carriage return when it is.
        customers.push_str(&format!("H{i},\"{name}\",DE,EUR,30,2026-09-01T08:00:00Z\n"));
        invoices.push_str(&format!(
            "I{i},\"INV-\x1b[5m{i}\",H{i},2026-08-01,2026-08-31,EUR,100.00,19.00,119.00,119.00,open,19,2026-09-02T10:00:00Z\n"
        ));
    }
    std::fs::write(folder.join("customers.csv"), customers).expect("customers.csv");
    std::fs::write(folder.join("invoices.csv"), invoices).expect("invoices.csv");
}

fn run(home: &TestHome, args: &[&str]) -> Vec<u8> {
    let out = home.run_env(args, &[("CREDENCE_NOW", NOW)]);
    assert!(
        out.status.success(),
        "credence {args:?} exited {:?}:\n{}",
        out.status,
        text(&out.stderr)
    );
    out.stdout
}

fn assert_terminal_safe(args: &[&str], stdout: &[u8]) {
    for (byte, what) in [(0x1b, "ESC"), (0x07, "BEL"), (0x9b, "C1 CSI")] {
        assert!(
            !stdout.contains(&byte),
            "credence {args:?} printed a raw {what}:\n{}",
            text(stdout)
        );
    }
    for (i, b) in stdout.iter().enumerate() {
        if *b == b'\r' {
            assert_eq!(
                stdout.get(i + 1),
                Some(&b'\n'),
                "credence {args:?} printed a bare CR"
            );
        }
    }
}

#[test]
fn hostile_names_reach_the_terminal_escaped_and_giant_ones_cut_to_size() {
    let folder = tempfile::tempdir().expect("tempdir");
    hostile_export(folder.path());
    let home = TestHome::new();
    home.add_csv_connection("shop", folder.path());
    run(&home, &["sync"]);

    for args in [
        &["customers"][..],
        &["customer", "shop/H0"],
        &["customer", "shop/H4"],
        &["invoices"],
        &["evaluate"],
    ] {
        let stdout = run(&home, args);
        assert_terminal_safe(args, &stdout);
        let shown = text(&stdout);
        assert!(
            !shown.contains(&"G".repeat(MAX_CELL)),
            "credence {args:?} shows the giant name whole"
        );
    }
    let customers = text(&run(&home, &["customers"]));
    for escaped in [
        "Clear\\u{1b}[2JScreen",
        "Red\\u{1b}[31mAlert",
        "Carriage\\u{d}Return",
        "Bell\\u{7}Ringer",
    ] {
        assert!(customers.contains(escaped), "{escaped} in:\n{customers}");
    }
    let cut = format!("{}…", "G".repeat(MAX_CELL - 1));
    assert!(
        customers.contains(&cut),
        "the giant name is cut:\n{customers}"
    );
    let invoices = text(&run(&home, &["invoices"]));
    assert!(invoices.contains("INV-\\u{1b}[5m0"), "{invoices}");

    // --json keeps every value whole; serde escapes the control characters.
    let json: serde_json::Value =
        serde_json::from_slice(&run(&home, &["customers", "--json"])).expect("json");
    let names: Vec<&str> = json
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"Clear\x1b[2JScreen"), "{names:?}");
    assert!(
        names.iter().any(|n| n.len() == GIANT),
        "the giant name is whole in --json"
    );
    let one: serde_json::Value =
        serde_json::from_slice(&run(&home, &["customer", "shop/H4", "--json"])).expect("json");
    assert_eq!(one["name"].as_str().map(str::len), Some(GIANT));
}

/// The width a table cell is cut to (the CLI's `output::MAX_CELL`).
const MAX_CELL: usize = 120;

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_process_quietly() {
    let folder = tempfile::tempdir().expect("tempdir");
    hostile_export(folder.path());
    let home = TestHome::new();
    home.add_csv_connection("shop", folder.path());
    run(&home, &["sync"]);
    // More than a pipe's buffer (the giant name alone is 70 kB), so the write must fail.
    for args in [
        &["customers", "--json"][..],
        &["customer", "shop/H4", "--json"],
    ] {
        let mut child = home
            .command(args)
            .env("CREDENCE_NOW", NOW)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Read a little, as `head -c` would, then go away.
        let mut stdout = child.stdout.take().expect("stdout");
        let mut first = [0u8; 16];
        let _ = stdout.read(&mut first);
        drop(stdout);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("stderr");
        let status = child.wait().expect("wait");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "credence {args:?} complained about the closed pipe: {stderr}"
        );
        assert_eq!(
            status.code(),
            Some(141),
            "credence {args:?} exits 141 (128 + SIGPIPE) on a closed pipe: {stderr}"
        );
    }
}
