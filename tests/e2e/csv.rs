//! The CSV ledger connector through `credence sync`: the sample export, incremental re-reads,
//! changes and deletions, paging, and the errors a user gets for a wrong file.

use crate::support::{TestHome, text};
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("../plugins/csv/sample")
}

fn copy_sample(to: &Path) {
    for f in [
        "customers.csv",
        "invoices.csv",
        "credit-notes.csv",
        "payments.csv",
    ] {
        std::fs::copy(sample().join(f), to.join(f)).expect("copy sample");
    }
}

fn sync(home: &TestHome) -> serde_json::Value {
    let out = home.run(&["sync", "--json"]);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn counts(report: &serde_json::Value, stream: &str) -> (u64, u64, u64, u64, u64) {
    let s = report[0]["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .find(|s| s["stream"] == stream)
        .expect("stream")
        .clone();
    let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
    (
        n("new"),
        n("updated"),
        n("unchanged"),
        n("deleted"),
        n("quarantined"),
    )
}

fn home_with_folder(folder: &Path) -> TestHome {
    let home = TestHome::new();
    home.install(&["csv-ledger"]);
    home.ok(&[
        "connection",
        "add",
        "shop",
        "--plugin",
        "csv-ledger",
        "--set",
        &format!("folder={}", folder.display()),
    ]);
    home
}

#[test]
fn the_sample_export_syncs_then_only_changes_are_read() {
    let folder = tempfile::tempdir().expect("tempdir");
    copy_sample(folder.path());
    let home = home_with_folder(folder.path());
    let first = sync(&home);
    assert_eq!(counts(&first, "customers"), (7, 0, 0, 0, 0));
    assert_eq!(
        counts(&first, "invoices"),
        (11, 0, 0, 0, 1),
        "I1012's totals do not add up"
    );
    assert_eq!(counts(&first, "payments"), (3, 0, 0, 0, 0));
    assert_eq!(
        counts(&sync(&home), "invoices"),
        (0, 0, 0, 0, 0),
        "unchanged files are not read again"
    );

    // Fix I1012, change I1003's outstanding amount, delete I1008, add I1013.
    let invoices = std::fs::read_to_string(folder.path().join("invoices.csv")).expect("read");
    let invoices = invoices
        .replace("4000.00,800.00,4900.00,4900.00", "4100.00,800.00,4900.00,4900.00")
        .replace("800.00,160.00,960.00,960.00,open", "800.00,160.00,960.00,460.00,open")
        .replace("I1008,F-2026-1008,C004,2026-10-01,2026-10-31,EUR,6400.00,1344.00,7744.00,7744.00,open,30,,,21,LV-77,2026-10-01T10:00:00Z", "I1008,F-2026-1008,C004,2026-10-01,2026-10-31,EUR,6400.00,1344.00,7744.00,7744.00,void,30,,,21,LV-77,2026-11-02T10:00:00Z")
        + "I1013,F-2026-1013,C004,2026-11-20,2026-12-20,EUR,100.00,21.00,121.00,121.00,open,30,,,21,,2026-11-20T10:00:00Z\n";
    std::fs::write(folder.path().join("invoices.csv"), invoices).expect("write");
    let customers = std::fs::read_to_string(folder.path().join("customers.csv")).expect("read")
        + "C008,Gone Ltd,,,,GB,,,,GBP,30,,,,2026-11-21T08:00:00Z\n";
    std::fs::write(folder.path().join("customers.csv"), customers).expect("write");
    let second = sync(&home);
    assert_eq!(
        counts(&second, "invoices"),
        (2, 2, 9, 0, 0),
        "I1012 (now valid) and I1013 new; I1003 and I1008 updated"
    );
    assert_eq!(counts(&second, "customers"), (1, 0, 7, 0, 0));
    assert_eq!(counts(&second, "payments"), (0, 0, 0, 0, 0));
    let q = home.ok(&["quarantine", "--json"]);
    assert_eq!(q.trim(), "[]", "I1012 left quarantine once valid");
}

#[test]
fn deletions_and_many_pages() {
    let folder = tempfile::tempdir().expect("tempdir");
    let mut csv = String::from("number,customer_id,issue_date,currency,total,updated_at,deleted\n");
    for i in 0..1_234 {
        csv.push_str(&format!(
            "N{i:05},C1,2026-10-01,EUR,{i}.50,2026-10-01T00:00:00Z,\n"
        ));
    }
    std::fs::write(folder.path().join("invoices.csv"), &csv).expect("write");
    let home = home_with_folder(folder.path());
    let first = sync(&home);
    let invoices = first[0]["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .find(|s| s["stream"] == "invoices")
        .cloned()
        .expect("invoices");
    assert_eq!(invoices["pages"], 3, "500 rows a page");
    assert_eq!(invoices["new"], 1_234);
    std::fs::write(
        folder.path().join("invoices.csv"),
        csv.replace(
            "N00007,C1,2026-10-01,EUR,7.50,2026-10-01T00:00:00Z,",
            "N00007,C1,2026-10-01,EUR,7.50,2026-11-01T00:00:00Z,yes",
        ),
    )
    .expect("write");
    assert_eq!(counts(&sync(&home), "invoices"), (0, 0, 1_233, 1, 0));
}

#[test]
fn a_wrong_file_is_explained() {
    let folder = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        folder.path().join("invoices.csv"),
        "Invoice No,Client,Date,Curr,Amount\nA1,C1,2026-10-01,EUR,10\n",
    )
    .expect("write");
    let home = home_with_folder(folder.path());
    let out = home.run(&["sync", "--json"]);
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let error = report[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(
            "invoices.csv has no column for number, customer_id, issue_date, currency, total"
        ),
        "{error}"
    );
    assert!(error.contains("`columns` setting"), "{error}");

    // The user maps the columns; then it syncs.
    home.ok(&["connection", "remove", "shop"]);
    home.ok(&[
        "connection", "add", "shop", "--plugin", "csv-ledger",
        "--set", &format!("folder={}", folder.path().display()),
        "--set", "columns=invoices.number=Invoice No;invoices.customer_id=Client;invoices.issue_date=Date;invoices.currency=Curr;invoices.total=Amount",
    ]);
    assert_eq!(counts(&sync(&home), "invoices"), (1, 0, 0, 0, 0));

    let outside = home.run_env(
        &[
            "connection",
            "add",
            "x",
            "--plugin",
            "csv-ledger",
            "--set",
            "folder=/nonexistent/folder",
        ],
        &[],
    );
    assert!(outside.status.success());
    let check = home.run(&["connection", "check", "x"]);
    assert!(!check.status.success());
    assert!(
        text(&check.stdout).contains("/nonexistent/folder"),
        "{}",
        text(&check.stdout)
    );
}

#[test]
fn customers_are_linked_across_ledgers_by_legal_identifiers() {
    let shop = tempfile::tempdir().expect("tempdir");
    copy_sample(shop.path());
    let branch = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        branch.path().join("customers.csv"),
        "id,name,vat_number,company_number,country\n\
         B-17,Dupont Atelier (Lyon),40303265045,,FR\n\
         B-18,Harbour Foods UK,,00445790,GB\n\
         B-19,Harbour Foods Ireland,,00445790,IE\n",
    )
    .expect("write");
    let home = home_with_folder(shop.path());
    home.ok(&[
        "connection",
        "add",
        "branch",
        "--plugin",
        "csv-ledger",
        "--set",
        &format!("folder={}", branch.path().display()),
    ]);
    home.ok(&["sync"]);

    let account: serde_json::Value =
        serde_json::from_str(&home.ok(&["customer", "branch/B-17", "--json"])).expect("json");
    let members: Vec<&str> = account["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["remote_id"].as_str())
        .collect();
    assert_eq!(members, ["B-17", "C001"], "{account}");
    assert_eq!(account["links"][0]["because"], "vat FR40303265045");

    let human = home.ok(&["customer", "shop/C007"]);
    assert!(
        human.contains("same company-registration GB 00445790"),
        "{human}"
    );
    assert!(
        !human.contains("B-19"),
        "a registration number from another country is another company: {human}"
    );

    let all: serde_json::Value =
        serde_json::from_str(&home.ok(&["customers", "--json"])).expect("json");
    assert_eq!(
        all.as_array().expect("accounts").len(),
        7 + 3 - 2,
        "ten records, two links"
    );
    let err = home.fails(&["customer", "shop/NOPE"]);
    assert!(err.contains("CONNECTION/REMOTE-ID"), "{err}");
}

/// Validate `instance` against `schemas/json/NAME`.
fn assert_matches_schema(name: &str, instance: &serde_json::Value) {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("../schemas/json")
        .join(name);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("schema"))
            .expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "output does not match {name}: {errors:?}"
    );
}

#[test]
fn read_commands_show_open_balances_and_match_their_schemas() {
    let folder = tempfile::tempdir().expect("tempdir");
    copy_sample(folder.path());
    let home = home_with_folder(folder.path());
    sync(&home);

    let customers: serde_json::Value =
        serde_json::from_str(&home.ok(&["customers", "--json"])).expect("json");
    assert_matches_schema("customers.schema.json", &customers);
    let mueller = customers
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["account"] == "shop/C002")
        .expect("C002");
    assert_eq!(
        mueller["open_balances"],
        serde_json::json!([{"currency": "EUR", "amount": "35700.00"}]),
        "14280 + 22015 - 595 credit"
    );
    assert_eq!(mueller["open_invoices"], 2);
    assert_eq!(mueller["oldest_due"], "2026-08-24");

    let one: serde_json::Value =
        serde_json::from_str(&home.ok(&["customer", "shop/C005", "--json"])).expect("json");
    assert_matches_schema("customer.schema.json", &one);
    assert_eq!(one["open_balances"][0]["currency"], "CZK");

    let open: serde_json::Value = serde_json::from_str(&home.ok(&[
        "invoices",
        "--open",
        "--customer",
        "shop/C001",
        "--json",
    ]))
    .expect("json");
    assert_matches_schema("invoices.schema.json", &open);
    let numbers: Vec<&str> = open
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|i| i["number"].as_str())
        .collect();
    assert_eq!(
        numbers,
        ["F-2026-1002", "F-2026-1003"],
        "the paid F-2026-1001 is not open"
    );
    let all: serde_json::Value =
        serde_json::from_str(&home.ok(&["invoices", "--json"])).expect("json");
    assert_matches_schema("invoices.schema.json", &all);
    assert_eq!(
        all.as_array().expect("array").len(),
        12,
        "11 valid invoices and 1 credit note"
    );

    let human = home.ok(&["customers"]);
    assert!(human.contains("181500.00 CZK"), "{human}");

    // The check has teeth: a wrong shape is caught.
    let mut broken = customers.clone();
    broken[0]["open_balances"][0]["currency"] = serde_json::json!(978);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
                .join("../schemas/json/customers.schema.json"),
        )
        .expect("schema"),
    )
    .expect("json");
    assert!(
        !jsonschema::validator_for(&schema)
            .expect("schema")
            .is_valid(&broken)
    );
}

fn open_balance(home: &TestHome, account: &str) -> serde_json::Value {
    let one: serde_json::Value =
        serde_json::from_str(&home.ok(&["customer", account, "--json"])).expect("json");
    one["open_balances"].clone()
}

fn quarantine(home: &TestHome) -> Vec<serde_json::Value> {
    serde_json::from_str::<Vec<serde_json::Value>>(&home.ok(&["quarantine", "--json"]))
        .expect("json")
}

#[test]
fn a_repeated_invoice_number_does_not_take_another_customers_invoice() {
    // An export without an `id` column: the number is the remote id.
    let folder = tempfile::tempdir().expect("tempdir");
    let header = "number,customer_id,issue_date,due_date,currency,total\n";
    std::fs::write(
        folder.path().join("customers.csv"),
        "id,name\nC1,Alpha Ltd\nC2,Beta Ltd\n",
    )
    .expect("write");
    std::fs::write(
        folder.path().join("invoices.csv"),
        format!("{header}INV-1,C1,2026-10-01,2026-10-31,EUR,100.00\n"),
    )
    .expect("write");
    let home = home_with_folder(folder.path());
    sync(&home);
    let alpha = serde_json::json!([{"currency": "EUR", "amount": "100.00"}]);
    assert_eq!(open_balance(&home, "shop/C1"), alpha);

    // The next export repeats INV-1 for another customer.
    std::fs::write(
        folder.path().join("invoices.csv"),
        format!(
            "{header}INV-1,C1,2026-10-01,2026-10-31,EUR,100.00\nINV-2,C2,2026-10-02,2026-11-01,EUR,50.00\nINV-1,C2,2026-10-03,2026-11-02,EUR,7.00\n"
        ),
    )
    .expect("write");
    let report = sync(&home);
    assert_eq!(counts(&report, "invoices"), (1, 0, 0, 0, 1));
    assert_eq!(
        open_balance(&home, "shop/C1"),
        alpha,
        "C1's invoice stays as it was stored"
    );
    let held = quarantine(&home);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["remote_id"], "INV-1");
    let reasons = held[0]["reasons"].to_string();
    assert!(
        reasons.contains("invoices.csv line 2") && reasons.contains("invoices.csv line 4"),
        "both lines are named: {reasons}"
    );
    let raw = held[0]["raw"].as_str().unwrap_or_default();
    assert!(
        raw.contains("100.00") && raw.contains("7.00"),
        "both rows are kept: {raw}"
    );

    // An identical repeat is harmless.
    std::fs::write(
        folder.path().join("invoices.csv"),
        format!(
            "{header}INV-1,C1,2026-10-01,2026-10-31,EUR,100.00\nINV-2,C2,2026-10-02,2026-11-01,EUR,50.00\nINV-1,C1,2026-10-01,2026-10-31,EUR,100.00\n"
        ),
    )
    .expect("write");
    sync(&home);
    assert!(quarantine(&home).is_empty());
    assert_eq!(open_balance(&home, "shop/C1"), alpha);
}

#[test]
fn a_row_that_failed_to_parse_leaves_quarantine_once_the_file_is_fixed() {
    let folder = tempfile::tempdir().expect("tempdir");
    let header = "number,customer_id,issue_date,currency,total\n";
    // Line 3 has no number: it can only be keyed by file and line.
    std::fs::write(
        folder.path().join("invoices.csv"),
        format!("{header}INV-1,C1,2026-10-01,EUR,100.00\n,C1,2026-10-02,EUR,5.00\n"),
    )
    .expect("write");
    let home = home_with_folder(folder.path());
    // `credence read` counts records; the withdrawal marker the file's first page starts with
    // is not one.
    let read = home.ok(&["read", "shop", "--stream", "invoices", "--json"]);
    assert!(
        read.contains("\"records\": 2") || read.contains("\"records\":2"),
        "{read}"
    );
    assert!(!read.contains("deleted"), "{read}");
    sync(&home);
    let held = quarantine(&home);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["remote_id"], "invoices.csv:3");

    std::fs::write(
        folder.path().join("invoices.csv"),
        format!("{header}INV-1,C1,2026-10-01,EUR,100.00\nINV-2,C1,2026-10-02,EUR,5.00\n"),
    )
    .expect("write");
    let report = sync(&home);
    assert_eq!(counts(&report, "invoices"), (1, 0, 1, 0, 0));
    assert!(
        quarantine(&home).is_empty(),
        "the file was read again and parses"
    );
}
