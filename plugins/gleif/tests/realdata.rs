//! GLEIF's real API responses (third-party data read from `../shared/realdata` or
//! `$CREDENCE_REALDATA`): every LEI record maps to a credit report, and the lapsed LEI is
//! reported as a lapsed registration, not as an insolvency.

use credence_plugin_sdk::types::{CreditEventKind, RecordBody};
use std::path::PathBuf;

fn records_dir() -> Option<PathBuf> {
    credence_plugin_sdk::harness::realdata("gleif-api/tests/data/lei_records")
}

#[test]
fn every_lei_record_becomes_a_report_and_a_lapse_is_not_an_insolvency() {
    let Some(dir) = records_dir() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("records")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("single_lei_record_"))
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 12);
    let mut lapsed = 0;
    for path in &files {
        let body = std::fs::read(path).expect("read");
        let (records, more) =
            gleif::records(&body).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert!(!more);
        let [record] = &records[..] else {
            panic!("one record in {}", path.display())
        };
        let Some(RecordBody::CreditReport(report)) = &record.body else {
            panic!("a report: {record:?}")
        };
        assert!(!report.subject_name.is_empty());
        assert_eq!(report.identifiers[0].value.len(), 20, "an LEI");
        assert_eq!(report.report_date.len(), 10);
        assert!(
            report
                .events
                .iter()
                .all(|e| e.kind != CreditEventKind::Insolvency),
            "{report:?}"
        );
        if report
            .events
            .iter()
            .any(|e| e.description.contains("lapsed"))
        {
            lapsed += 1;
            assert_eq!(report.company_status.as_deref(), Some("active"));
        }
    }
    assert_eq!(lapsed, 1, "335800CCCPHKUOXPC332 is the one lapsed LEI");

    let multi = std::fs::read(dir.join("multi_lei_records.json")).expect("multi");
    let (records, _) = gleif::records(&multi).expect("a search page");
    assert!(records.len() > 1, "{records:?}");
}
