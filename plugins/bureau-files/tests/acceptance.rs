//! The SDK's bureau acceptance suite on the report-files connector (the good files only: the
//! broken one is reported to every lookup on purpose, see `lookup.rs`).

use bureau_files::BureauFiles;
use credence_plugin_sdk::CompanySubject;
use credence_plugin_sdk::acceptance::BureauAcceptance;
use credence_plugin_sdk::harness::Harness;
use credence_plugin_sdk::types::{IdScheme, PartyIdentifier};

const REPORTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reports");

fn vat(value: &str) -> CompanySubject {
    CompanySubject {
        name: "subject".into(),
        identifiers: vec![PartyIdentifier {
            scheme: IdScheme::Vat,
            value: value.into(),
            country: Some("DE".into()),
        }],
        country: None,
    }
}

#[test]
fn passes_the_bureau_acceptance_suite() {
    let folder = tempfile::tempdir().expect("tempdir");
    for f in ["insurer-2026-11.json", "sole-trader.json"] {
        std::fs::copy(format!("{REPORTS}/{f}"), folder.path().join(f)).expect("copy");
    }
    let path = folder.path().to_string_lossy().into_owned();
    BureauAcceptance::<BureauFiles>::new(move || Harness::new().set("folder", &path).folder(&path))
        .bad_config(
            "a folder that does not exist",
            Harness::new()
                .set("folder", "/nonexistent/reports")
                .folder("/nonexistent/reports"),
        )
        .known(vat("DE123456789"))
        .unknown(vat("DE999999999"))
        .assert_passes();
}
