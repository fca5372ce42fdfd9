//! The e-invoice connector through `credence sync`: a folder of UBL and CII files, a broken
//! file quarantined and cleared when fixed, incremental re-reads; and every official EN 16931
//! and Peppol BIS 3 example imported through the wasm plugin and the host's validation.

use crate::support::{TestHome, realdata, sync_json, text};
use std::path::Path;
use std::time::{Duration, SystemTime};

fn fixtures() -> std::path::PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("../plugins/einvoice/tests/fixtures")
}

fn add_folder(home: &TestHome, name: &str, folder: &Path) {
    home.ok(&[
        "connection",
        "add",
        name,
        "--plugin",
        "einvoice",
        "--set",
        &format!("folder={}", folder.display()),
    ]);
}

/// (new, updated, unchanged, quarantined) of the `documents` stream of each connection.
fn counts(report: &serde_json::Value) -> Vec<(String, [u64; 4])> {
    report
        .as_array()
        .expect("one entry per connection")
        .iter()
        .map(|c| {
            let s = &c["streams"][0];
            let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
            (
                c["connection"].as_str().unwrap_or_default().to_string(),
                [n("new"), n("updated"), n("unchanged"), n("quarantined")],
            )
        })
        .collect()
}

/// Write `content` to `path` with a modification time `secs` seconds after the epoch base,
/// so the order of files is the test's, not the clock's.
fn write_at(path: &Path, content: &str, secs: u64) {
    std::fs::write(path, content).expect("write");
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000 + secs))
        .expect("set mtime");
}

#[test]
fn a_folder_of_e_invoices_syncs_with_bad_files_quarantined_until_fixed() {
    let folder = tempfile::tempdir().expect("tempdir");
    let ubl = std::fs::read_to_string(fixtures().join("ubl-invoice.xml")).expect("fixture");
    let cii = std::fs::read_to_string(fixtures().join("cii-credit-note.xml")).expect("fixture");
    std::fs::create_dir(folder.path().join("2026-10")).expect("mkdir");
    write_at(&folder.path().join("2026-10/invoice.xml"), &ubl, 1);
    write_at(&folder.path().join("credit.XML"), &cii, 2);
    let broken = ubl.replace(">300.00</cbc:PayableAmount>", ">345.10</cbc:PayableAmount>");
    let broken = broken.replace("INV-2026-0042", "INV-2026-0043");
    write_at(&folder.path().join("wrong-total.xml"), &broken, 3);
    write_at(&folder.path().join("notes.txt"), "not an invoice", 4);

    let home = TestHome::new();
    home.install(&["einvoice"]);
    add_folder(&home, "inbox", folder.path());
    home.ok(&["connection", "check", "inbox"]);

    // The buyer (same VAT on both documents) is one customer: 2 documents + 1 customer new.
    let first = counts(&sync_json(&home, &[]));
    // The credit note names the buyer slightly differently (no trading name): in one page the
    // connector keeps the buyer of the latest document, so the customer is stored once.
    assert_eq!(first, [("inbox".to_string(), [3, 0, 0, 1])]);
    let quarantine = home.ok(&["quarantine", "--json"]);
    assert!(
        quarantine.contains("wrong-total.xml") && quarantine.contains("BR-CO-16"),
        "{quarantine}"
    );
    let invoices = home.ok(&["invoices", "--json"]);
    assert!(invoices.contains("INV-2026-0042"), "{invoices}");
    assert!(!invoices.contains("INV-2026-0043"), "{invoices}");

    // Nothing changed: nothing read.
    assert_eq!(
        counts(&sync_json(&home, &[])),
        [("inbox".to_string(), [0, 0, 0, 0])]
    );

    // The sender corrects the file: it is imported and leaves quarantine.
    let fixed = broken.replace(">345.10</cbc:PayableAmount>", ">300.00</cbc:PayableAmount>");
    write_at(&folder.path().join("wrong-total.xml"), &fixed, 10);
    let third = counts(&sync_json(&home, &[]));
    assert_eq!(
        third,
        [("inbox".to_string(), [1, 1, 0, 0])],
        "new invoice, buyer as the UBL names it"
    );
    let quarantine = home.ok(&["quarantine", "--json"]);
    assert!(!quarantine.contains("wrong-total.xml"), "{quarantine}");
    let customers = home.ok(&["customers", "--json"]);
    assert!(customers.contains("Kunde Handel"), "{customers}");
}

#[test]
fn a_missing_folder_fails_the_check_naming_it() {
    let home = TestHome::new();
    home.install(&["einvoice"]);
    add_folder(&home, "inbox", Path::new("/nonexistent/einvoices"));
    let out = home.fails(&["connection", "check", "inbox"]);
    assert!(out.contains("/nonexistent/einvoices"), "{out}");
}

/// The official examples, each folder one connection, through the real plugin and the host.
const EXAMPLE_DIRS: &[&str] = &[
    "en16931-cen-tc434/ubl/examples",
    "en16931-cen-tc434/cii/examples",
    "en16931-cen-tc434/test/testfiles",
    "peppol-bis-billing-3/rules/examples",
    "peppol-bis-billing-3/rules/national-examples",
    "peppol-bis-billing-3/rules/snippets",
];

/// Official examples the host holds back on purpose, with the rule and why.
const KNOWN_SPECIAL: &[(&str, &str, &str)] = &[
    // Due 2013-05-10 for an invoice issued 2013-08-25: the example's dates are inconsistent,
    // and chasing it would start before it was issued.
    (
        "CII_business_example_02.xml",
        "CR-DATES",
        "due date before issue date",
    ),
    // Due 2021-01-01, issued 2021-01-14: same.
    ("XRechnung-O.xml", "CR-DATES", "due date before issue date"),
];

#[test]
fn every_official_en16931_and_peppol_example_imports() {
    let Some(root) = realdata() else { return };
    let home = TestHome::new();
    home.install(&["einvoice"]);
    let mut files = 0;
    for (i, dir) in EXAMPLE_DIRS.iter().enumerate() {
        let folder = root.join(dir);
        files += std::fs::read_dir(&folder)
            .expect("example folder")
            .flatten()
            .filter(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("xml"))
            })
            .count();
        add_folder(&home, &format!("examples-{i}"), &folder);
    }
    let report = counts(&sync_json(&home, &[]));
    let quarantine: serde_json::Value =
        serde_json::from_str(&home.ok(&["quarantine", "--json"])).expect("json");
    let mut held: Vec<(String, String)> = quarantine
        .as_array()
        .expect("list")
        .iter()
        .map(|q| {
            (
                q["remote_id"].as_str().unwrap_or_default().to_string(),
                q["reasons"].to_string(),
            )
        })
        .collect();
    held.sort();
    let expected: Vec<(String, String)> = KNOWN_SPECIAL
        .iter()
        .map(|(file, rule, _)| (file.to_string(), rule.to_string()))
        .collect();
    assert_eq!(
        held.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>(),
        expected.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>(),
        "only the known special documents are held: {report:?}\n{held:#?}"
    );
    for ((file, reasons), (_, rule)) in held.iter().zip(&expected) {
        assert!(reasons.contains(rule.as_str()), "{file}: {reasons}");
    }
    let invoices: serde_json::Value =
        serde_json::from_str(&home.ok(&["invoices", "--json"])).expect("json");
    let imported = invoices.as_array().map_or(0, Vec::len);
    // Credit notes are not listed as invoices: at least the invoices are there.
    assert!(
        imported > files * 3 / 4,
        "{imported} invoices from {files} files"
    );
    let out = home.run(&["sync"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
