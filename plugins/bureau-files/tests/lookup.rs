//! Lookups in a folder of report files: by identifier (spacing and case ignored, countries
//! compared when both are given), by name when the subject has no identifier, and a broken
//! file reported with the reason.

use bureau_files::BureauFiles;
use credence_plugin_sdk::harness::Harness;
use credence_plugin_sdk::types::{IdScheme, PartyIdentifier, RecordBody};
use credence_plugin_sdk::{Bureau, CompanySubject};

const REPORTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reports");

fn subject(name: &str, ids: &[(IdScheme, &str, Option<&str>)]) -> CompanySubject {
    CompanySubject {
        name: name.into(),
        identifiers: ids
            .iter()
            .map(|(scheme, value, country)| PartyIdentifier {
                scheme: *scheme,
                value: value.to_string(),
                country: country.map(str::to_string),
            })
            .collect(),
        country: None,
    }
}

/// (subject names of the reports found, rejections).
fn lookup(s: CompanySubject) -> (Vec<String>, Vec<String>) {
    let h = Harness::new().set("folder", REPORTS).folder(REPORTS);
    let page = h.run(|| BureauFiles::lookup(s, None)).expect("lookup");
    assert!(!page.has_more);
    let mut found = Vec::new();
    let mut rejected = Vec::new();
    for r in page.records {
        match r.body {
            Some(RecordBody::CreditReport(report)) => found.push(report.subject_name),
            Some(RecordBody::Rejected(reason)) => rejected.push(reason),
            other => panic!("{other:?}"),
        }
    }
    (found, rejected)
}

#[test]
fn reports_are_found_by_identifier_or_name() {
    let (found, rejected) = lookup(subject(
        "anything",
        &[(IdScheme::Vat, "de 123 456 789", None)],
    ));
    assert_eq!(found, ["Kunde Handel AG"]);
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0].contains("broken.json") && rejected[0].contains("EOF"),
        "{rejected:?}"
    );

    let (found, _) = lookup(subject(
        "x",
        &[(IdScheme::CompanyRegistration, "00445790", Some("GB"))],
    ));
    assert_eq!(found, ["Acme Widgets Ltd"]);
    let (found, _) = lookup(subject(
        "x",
        &[(IdScheme::CompanyRegistration, "00445790", Some("IE"))],
    ));
    assert!(found.is_empty(), "another country's register: {found:?}");

    let (found, _) = lookup(subject("marie dupont conseil", &[]));
    assert_eq!(found, ["Marie Dupont Conseil"]);
    let (found, _) = lookup(subject("Nobody", &[]));
    assert!(found.is_empty());
}

#[test]
fn a_missing_folder_fails_the_check() {
    let h = Harness::new()
        .set("folder", "/nonexistent/reports")
        .folder("/nonexistent/reports");
    assert!(h.run(|| BureauFiles::check(h.config())).is_err());
}
