//! Golden-file tests of normalization and validation: each `tests/normalize/NAME.json` is a
//! contract record as a connector returns it (`{"stream", "record"}`); `NAME.expected.json` is
//! what Credence makes of it: the normalized record, or the quarantine entry with its reasons.
//! After an intended change, regenerate with `CREDENCE_BLESS=1 cargo test --release --test normalize`
//! and review the diff.

use credence_normalize::normalize;
use credence_runtime::bindings::types::SourceRecord;
use std::path::Path;

#[derive(serde::Deserialize)]
struct Case {
    stream: String,
    record: SourceRecord,
}

#[test]
fn normalization_matches_the_golden_files() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("../tests/normalize");
    let bless = std::env::var_os("CREDENCE_BLESS").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/normalize")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p.to_string_lossy().ends_with(".expected.json")
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "the cases are there");
    let mut failures = Vec::new();
    for path in cases {
        let case: Case = serde_json::from_str(&std::fs::read_to_string(&path).expect("read case"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = match normalize("books", &case.stream, case.record) {
            Ok(record) => serde_json::json!({ "normalized": record }),
            Err(quarantined) => serde_json::json!({ "quarantined": quarantined }),
        };
        let actual = serde_json::to_string_pretty(&outcome).expect("json") + "\n";
        let expected_path = path.with_extension("expected.json");
        if bless {
            std::fs::write(&expected_path, &actual).expect("write golden file");
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                path.display()
            )),
            Err(_) => failures.push(format!(
                "{} has no golden file; run with CREDENCE_BLESS=1 and review it",
                path.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
