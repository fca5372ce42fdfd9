//! The register's own recorded responses (third-party data read from `../shared/realdata` or
//! `$CREDENCE_REALDATA`): each public company profile, with the recorded insolvency records,
//! becomes a credit report with the status, the cases and the overdue filings as events.

use companies_house::{Filings, Insolvency, Profile, report};
use credence_plugin_sdk::types::{CreditEventKind, RecordBody};
use std::path::{Path, PathBuf};

fn root() -> Option<PathBuf> {
    credence_plugin_sdk::harness::realdata("companies-house")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// The recorded insolvency records, in their public shape (the fixtures wrap it).
fn insolvency_records(root: &Path) -> Vec<(String, Insolvency)> {
    let dir = root.join("insolvency-data-api/src/itest/resources/json/output");
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("insolvency outputs")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let body = json(&path);
        let public = body.get("companyInsolvency").cloned().unwrap_or(body);
        let record: Insolvency =
            serde_json::from_value(public).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((path.display().to_string(), record));
    }
    out
}

#[test]
fn recorded_profiles_and_insolvency_records_become_reports() {
    let Some(root) = root() else { return };
    let dir = root.join("company-profile-api/src/itest/resources/json/output");
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("profile outputs")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("getCompanyProfile.json"))
        .collect();
    profiles.sort();
    assert_eq!(profiles.len(), 2, "{profiles:?}");
    let insolvency = insolvency_records(&root);
    assert_eq!(insolvency.len(), 4);
    // Each recorded case type becomes the event it is.
    for (name, record) in &insolvency {
        let active: Profile = serde_json::from_value(serde_json::json!({
            "company_name": "X LTD", "company_number": "00000001", "company_status": "active"
        }))
        .expect("profile");
        let r = report(active, record, &Filings::default(), "2026-11-26");
        let Some(RecordBody::CreditReport(r)) = &r.body else {
            panic!("{name}")
        };
        let expected = if name.contains("receivership") {
            CreditEventKind::Insolvency
        } else {
            CreditEventKind::Liquidation
        };
        assert!(!r.events.is_empty(), "{name}");
        assert!(
            r.events.iter().all(|e| e.kind == expected),
            "{name}: {:?}",
            r.events
        );
    }
    for path in &profiles {
        let profile: Profile = serde_json::from_value(json(path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let number = profile.company_number.clone();
        let record = report(profile, &insolvency[0].1, &Filings::default(), "2026-11-26");
        assert_eq!(record.remote_id, format!("companies-house:{number}"));
        let Some(RecordBody::CreditReport(r)) = &record.body else {
            panic!("a report: {record:?}")
        };
        assert_eq!(r.subject_name, "RENABLE PHARMA LTD");
        assert_eq!(r.company_status.as_deref(), Some("liquidation"));
        assert_eq!(r.identifiers[0].value, number);
        let kinds: Vec<CreditEventKind> = r.events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                CreditEventKind::Liquidation,
                CreditEventKind::Liquidation,
                CreditEventKind::OverdueFiling,
                CreditEventKind::OverdueFiling,
            ],
            "{path:?}: {:?}",
            r.events
        );
        let described: Vec<&str> = r.events.iter().map(|e| e.description.as_str()).collect();
        assert_eq!(
            described,
            [
                "Companies House lists the company as in liquidation",
                "insolvency case 3: compulsory liquidation, instrumented on 2022-01-01",
                "annual accounts overdue (due 2022-09-30)",
                "confirmation statement overdue (due 2022-03-18)",
            ]
        );
        assert_eq!(r.events[1].date.as_deref(), Some("2022-01-01"));
    }
}

#[test]
fn registration_numbers_are_written_as_the_register_does() {
    for (given, expected) in [
        ("445790", Some("00445790")),
        ("00445790", Some("00445790")),
        ("sc 123456", Some("SC123456")),
        ("SC123456", Some("SC123456")),
        ("", None),
        ("123456789", None),
    ] {
        assert_eq!(
            companies_house::company_number(given).as_deref(),
            expected,
            "{given:?}"
        );
    }
}
