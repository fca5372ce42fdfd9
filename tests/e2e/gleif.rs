//! The GLEIF bureau connector through `credence lookup`, against a local GLEIF API serving
//! GLEIF's own recorded responses: by LEI, by registration number and country, by name, an
//! unknown LEI, and the lapsed LEI reported as a lapse, not an insolvency.

use crate::support::{Server, TestHome, realdata};
use credence::sandbox::gleif::GleifSandbox;

fn records() -> Option<Vec<serde_json::Value>> {
    let dir = realdata()?.join("gleif-api/tests/data/lei_records");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("records")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("single_lei_record_"))
        {
            let body: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
            out.push(body["data"].clone());
        }
    }
    Some(out)
}

fn lookup(home: &TestHome, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["lookup", "lei"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = home.ok(&all);
    serde_json::from_str::<serde_json::Value>(&out)
        .expect("json")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn lookups_by_lei_registration_and_name() {
    let Some(records) = records() else { return };
    let server = Server::start(GleifSandbox::from_records(records).router());
    let home = TestHome::new();
    home.install(&["gleif"]);
    home.ok(&[
        "connection",
        "add",
        "lei",
        "--plugin",
        "gleif",
        "--set",
        &format!("base_url={}/api/v1", server.url()),
    ]);
    home.ok(&["connection", "check", "lei"]);

    let by_lei = lookup(
        &home,
        &["--name", "Puma", "--id", "lei:529900GRZ2BQY5ZM9N49"],
    );
    assert_eq!(by_lei.len(), 1);
    let report = &by_lei[0]["body"]["CreditReport"];
    assert_eq!(report["subject_name"], "PUMA SE");
    assert_eq!(report["company_status"], "active");
    assert_eq!(report["identifiers"][1]["value"], "HRB 13085");

    let by_registration = lookup(
        &home,
        &["--name", "x", "--id", "company-registration:HRB 13085:DE"],
    );
    assert_eq!(by_registration.len(), 1, "{by_registration:?}");
    assert_eq!(
        by_registration[0]["body"]["CreditReport"]["subject_name"],
        "PUMA SE"
    );

    let by_name = lookup(&home, &["--name", "puma"]);
    assert!(
        by_name
            .iter()
            .any(|r| r["body"]["CreditReport"]["subject_name"] == "PUMA SE")
    );

    let unknown = lookup(&home, &["--name", "x", "--id", "lei:00000000000000000000"]);
    assert!(unknown.is_empty(), "{unknown:?}");

    let lapsed = lookup(&home, &["--name", "x", "--id", "lei:335800CCCPHKUOXPC332"]);
    let events = lapsed[0]["body"]["CreditReport"]["events"].to_string();
    assert!(
        events.contains("lapsed") && events.contains("not an insolvency"),
        "{events}"
    );
    assert!(!events.contains("Insolvency"), "{events}");
}
