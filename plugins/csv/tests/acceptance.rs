//! The SDK's acceptance suite on the CSV connector, over its sample export.

use credence_plugin_sdk::acceptance::Acceptance;
use credence_plugin_sdk::harness::Harness;
use csv_ledger::CsvLedger;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample");

#[test]
fn passes_the_acceptance_suite() {
    // The sample holds one invoice whose totals are wrong on purpose (I1012): the connector
    // passes it through for the host to quarantine, so the suite reads a sample without it.
    let folder = tempfile::tempdir().expect("tempdir");
    for f in ["customers.csv", "credit-notes.csv", "payments.csv"] {
        std::fs::copy(format!("{SAMPLE}/{f}"), folder.path().join(f)).expect("copy");
    }
    let invoices = std::fs::read_to_string(format!("{SAMPLE}/invoices.csv")).expect("read");
    let kept: Vec<&str> = invoices.lines().filter(|l| !l.contains("I1012")).collect();
    std::fs::write(folder.path().join("invoices.csv"), kept.join("\n") + "\n").expect("write");
    let path = folder.path().to_string_lossy().into_owned();

    let mut suite = Acceptance::<CsvLedger>::new({
        let path = path.clone();
        move || Harness::new().set("folder", &path).folder(&path)
    })
    .bad_config(
        "a folder without any of the four files",
        Harness::new().set("folder", "/").folder("/"),
    )
    .bad_config(
        "a two-character delimiter",
        Harness::new()
            .set("folder", &path)
            .folder(&path)
            .set("delimiter", ";;"),
    );
    for (stream, file) in [
        ("customers", "customers.csv"),
        ("invoices", "invoices.csv"),
        ("credit-notes", "credit-notes.csv"),
        ("payments", "payments.csv"),
    ] {
        // "Read to the end of this very file": the harness reports no modification time.
        let size = std::fs::metadata(folder.path().join(file))
            .map(|m| m.len())
            .unwrap_or(0);
        suite = suite.future_cursor(
            stream,
            &format!(r#"{{"modified":null,"size":{size},"offset":1000000,"done":true}}"#),
        );
    }
    suite.assert_passes();
}
