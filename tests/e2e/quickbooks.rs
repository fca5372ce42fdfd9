//! The QuickBooks Online connector against the local QuickBooks API: STARTPOSITION paging,
//! incremental reads by LastUpdatedTime, sub-customers and multi-currency, faults worded for
//! the user, a broken body quarantined then read again, and the real sandbox records Airbyte
//! published imported without a record held back.

use crate::support::{Server, StreamCounts, TestHome, realdata, row, synced, text};
use credence_fakes::faults::Fault;
use credence_fakes::quickbooks::QuickBooksSandbox;
use std::collections::HashMap;

const TOKEN_VAR: &str = "QBO_TEST_TOKEN";

fn home_for(server: &Server, realm: &str, page_size: u32) -> TestHome {
    let home = TestHome::new();
    home.install(&["quickbooks"]);
    home.ok(&[
        "connection",
        "add",
        "qbo",
        "--plugin",
        "quickbooks",
        "--set",
        &format!("base_url={}", server.url()),
        "--set",
        &format!("realm_id={realm}"),
        "--set",
        &format!("page_size={page_size}"),
        "--secret",
        &format!("access_token={TOKEN_VAR}"),
    ]);
    home
}

fn ok_sync(home: &TestHome) -> Vec<StreamCounts> {
    synced(home, &[(TOKEN_VAR, "tok")])
}

#[test]
fn pages_by_start_position_then_only_what_changed() {
    let qbo = QuickBooksSandbox::generated(500, "tok", "123");
    let server = Server::start(qbo.router());
    let home = home_for(&server, "123", 100);
    assert_eq!(
        ok_sync(&home),
        [
            row("customers", [50, 0, 0, 0, 0]),
            row("invoices", [500, 0, 0, 0, 0]),
            row("credit-notes", [25, 0, 0, 0, 0]),
            row("payments", [125, 0, 0, 0, 0]),
        ]
    );
    qbo.pay(3, 1_800_000_000);
    let second = ok_sync(&home);
    // The newest record of the last read comes back (>=) unchanged; the paid invoice changed.
    assert_eq!(second[1], row("invoices", [0, 1, 1, 0, 0]), "{second:?}");
    assert_eq!(second[3], row("payments", [1, 0, 1, 0, 0]), "{second:?}");

    // Sub-customers keep their parent; EUR invoices keep their rate to the home currency.
    let customer: serde_json::Value =
        serde_json::from_str(&home.ok(&["customers", "--json"])).expect("json");
    let text = customer.to_string();
    assert!(text.contains("Customer 4 Inc"), "{text}");
    let invoices = home.ok(&["invoices", "--json"]);
    assert!(invoices.contains("\"EUR\""), "{invoices}");
}

#[test]
fn refused_tokens_and_broken_bodies_are_explained() {
    let qbo = QuickBooksSandbox::generated(30, "tok", "123");
    let server = Server::start(qbo.router());
    let home = home_for(&server, "123", 100);
    let out = home.run_env(&["connection", "check", "qbo"], &[(TOKEN_VAR, "old")]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success());
    assert!(
        said.contains("AuthenticationFailed") && said.contains("access_token"),
        "{said}"
    );

    // A body that is neither JSON nor XML: quarantined with its text, and read again next time.
    qbo.faults()
        .push([Fault::Body("<html><body>Service Unavailable</html>".into())]);
    let first = ok_sync(&home);
    assert_eq!(first[0], row("customers", [0, 0, 0, 0, 1]), "{first:?}");
    let quarantine = home.ok(&["quarantine", "--json"]);
    assert!(
        quarantine.contains("neither XML nor JSON") && quarantine.contains("Service Unavailable"),
        "{quarantine}"
    );
    let second = ok_sync(&home);
    assert_eq!(second[0], row("customers", [3, 0, 0, 0, 0]), "{second:?}");
}

#[test]
fn airbytes_real_sandbox_records_import() {
    let Some(root) = realdata() else { return };
    let path =
        root.join("quickbooks-online/airbyte-source-quickbooks/expected_records.subset.jsonl");
    let mut records: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    for line in std::fs::read_to_string(path).expect("jsonl").lines() {
        if line.trim().is_empty() {
            continue;
        }
        let row: serde_json::Value = serde_json::from_str(line).expect("json");
        let entity = match row["stream"].as_str() {
            Some("customers") => "Customer",
            Some("invoices") => "Invoice",
            Some("credit_memos") => "CreditMemo",
            Some("payments") => "Payment",
            _ => continue,
        };
        records
            .entry(entity.into())
            .or_default()
            .push(row["data"].clone());
    }
    let server =
        Server::start(QuickBooksSandbox::from_records("tok", "4620816365", records).router());
    let home = home_for(&server, "4620816365", 1000);
    let report = ok_sync(&home);
    let quarantine = home.ok(&["quarantine", "--json"]);
    assert_eq!(
        report,
        [
            row("customers", [5, 0, 0, 0, 0]),
            row("invoices", [5, 0, 0, 0, 0]),
            row("credit-notes", [1, 0, 0, 0, 0]),
            row("payments", [5, 0, 0, 0, 0]),
        ],
        "{quarantine}"
    );
}

#[test]
fn a_rate_limited_api_is_waited_for_and_nothing_is_lost() {
    // Two requests a second, pages of 20: most requests meet a 429 with Retry-After: 1 first.
    let qbo = QuickBooksSandbox::generated(100, "tok", "123");
    qbo.faults().limit_per_second(2);
    let server = Server::start(qbo.router());
    let home = home_for(&server, "123", 20);
    let report = ok_sync(&home);
    let new: Vec<u64> = report.iter().map(|(_, c)| c[0]).collect();
    assert_eq!(new, [10, 100, 5, 25], "{report:?}");
    assert!(
        qbo.faults().served() > 12,
        "the limit should have refused some requests ({} served)",
        qbo.faults().served()
    );
}

#[test]
fn the_sandbox_command_serves_what_the_readme_says() {
    use std::io::BufRead;
    let home = TestHome::new();
    let mut sandbox = home
        .command(&["sandbox", "quickbooks", "--invoices", "30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn sandbox");
    let mut first = String::new();
    std::io::BufReader::new(sandbox.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("the sandbox prints its address");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("an address")
        .to_string();
    home.install(&["quickbooks"]);
    home.ok(&[
        "connection",
        "add",
        "qbo-demo",
        "--plugin",
        "quickbooks",
        "--set",
        &format!("base_url={url}"),
        "--set",
        "realm_id=9130350000000000",
        "--secret",
        "access_token=SANDBOX_TOKEN",
    ]);
    let out = home.run_env(&["sync", "--json"], &[("SANDBOX_TOKEN", "sandbox-token")]);
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report[0]["streams"][1]["new"], 30, "{report}");
}
