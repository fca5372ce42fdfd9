//! Credit decisions through the CLI: the CSV sample export synced, the sample insurer's reports
//! stored by `credence monitor`, `credence evaluate` / `credence credit` (JSON validated against
//! the published schemas), a broken promise to pay recorded with `credence promise`, a replay
//! of a date before the sync, and the errors a user gets for a wrong policy or customer.
//! The host clock is pinned (CREDENCE_NOW) so the sample's dates mean the same every day.

use crate::support::{TestHome, text};
use std::path::Path;

const NOW: &str = "2026-11-26T12:00:00Z";

fn repo(path: &str) -> String {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("..")
        .join(path)
        .display()
        .to_string()
}

fn ok(home: &TestHome, args: &[&str]) -> String {
    let out = home.run_env(args, &[("CREDENCE_NOW", NOW)]);
    assert!(
        out.status.success(),
        "credence {args:?} failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn fails(home: &TestHome, args: &[&str]) -> String {
    let out = home.run_env(args, &[("CREDENCE_NOW", NOW)]);
    assert!(!out.status.success(), "credence {args:?} should fail");
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

fn schema(name: &str) -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo(&format!("schemas/json/{name}"))).expect("schema"),
    )
    .expect("schema json");
    jsonschema::validator_for(&schema).expect("valid schema")
}

fn states(eval: &serde_json::Value) -> Vec<(String, String, String)> {
    eval["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .map(|d| {
            let decisive = d["reasons"]
                .as_array()
                .and_then(|r| r.iter().find(|r| r["decisive"] == true))
                .map(|r| r["code"].as_str().unwrap_or_default().to_string())
                .unwrap_or_default();
            (
                d["account"].as_str().unwrap_or_default().to_string(),
                d["state"].as_str().unwrap_or_default().to_string(),
                decisive,
            )
        })
        .collect()
}

fn home() -> TestHome {
    let home = TestHome::new();
    home.install(&["bureau-files"]);
    home.add_csv_connection("shop", Path::new(&repo("plugins/csv/sample")));
    // The insurer's export, copied so a test can change it.
    let folder = home.path().join("insurer");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::copy(
        repo("plugins/bureau-files/sample/insurer-export-2026-11.json"),
        folder.join("export.json"),
    )
    .expect("copy");
    let reports = format!("folder={}", folder.display());
    ok(
        &home,
        &[
            "connection",
            "add",
            "insurer",
            "--plugin",
            "bureau-files",
            "--set",
            &reports,
        ],
    );
    ok(&home, &["sync"]);
    home
}

#[test]
fn credit_states_from_the_sample_export_and_the_insurer_reports() {
    let home = home();
    let monitored: serde_json::Value =
        serde_json::from_str(&ok(&home, &["monitor", "--json"])).expect("json");
    let outcomes: Vec<(&str, &str)> = monitored
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| {
            (
                o["account"].as_str().unwrap_or(""),
                o["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("shop/C001", "stored"),
            ("shop/C002", "stored"),
            ("shop/C003", "stored"),
            ("shop/C004", "stored"),
            ("shop/C005", "not-found"),
            ("shop/C006", "not-found"),
            ("shop/C007", "stored"),
        ]
    );
    // Within the cadence nobody is looked up again, unless forced.
    let again = ok(&home, &["monitor", "--json"]);
    assert_eq!(again.matches("\"fresh\"").count(), 7, "{again}");
    let forced = ok(&home, &["monitor", "--force", "--json"]);
    assert_eq!(forced.matches("\"stored\"").count(), 5, "{forced}");

    let out = ok(&home, &["evaluate", "--json"]);
    let eval: serde_json::Value = serde_json::from_str(&out).expect("json");
    let errors: Vec<String> = schema("evaluation.schema.json")
        .iter_errors(&eval)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(eval["as_of"], "2026-11-26");
    let expected = [
        ("shop/C001", "hold", "long-overdue"),
        ("shop/C002", "blocked-new", "insolvency"),
        ("shop/C003", "hold", "long-overdue"),
        ("shop/C004", "cash-only", "new-with-bad-rating"),
        ("shop/C005", "cash-only", "new-without-report"),
        ("shop/C006", "cash-only", "new-without-report"),
        ("shop/C007", "ok", ""),
    ];
    let got = states(&eval);
    assert_eq!(
        got.iter()
            .map(|(a, s, r)| (a.as_str(), s.as_str(), r.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    let c007 = &eval["customers"][6];
    assert_eq!(c007["limit"], "46800.00", "40000 GBP at 1.17");
    assert_eq!(c007["exposure"]["total"], "12636.00", "10800 GBP at 1.17");
    assert_eq!(c007["headroom"], "34164.00");
    // The forced re-lookup changed nothing, so the alerts are those of the first reports.
    let c002 = &eval["customers"][1];
    let alerts: Vec<&str> = c002["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(alerts, ["new-event", "rating-change"]);

    let explained = ok(&home, &["credit", "shop/C002"]);
    for expected in [
        "State on 2026-11-26: blocked-new",
        "* insolvency [blocked-new]: sample-insurer reports insolvency administrator appointed",
        "Alert rating-change",
        "Insurance insure-customer shop/C002",
    ] {
        assert!(
            explained.contains(expected),
            "{expected:?} in:\n{explained}"
        );
    }
    let one: serde_json::Value =
        serde_json::from_str(&ok(&home, &["credit", "shop/C007", "--json"])).expect("json");
    assert!(schema("credit-decision.schema.json").is_valid(&one));
    assert_eq!(one["state"], "ok");

    // A promise to pay by 28 November, not kept: cash only from the 29th.
    ok(
        &home,
        &[
            "promise",
            "shop/C007",
            "--amount",
            "10800",
            "--currency",
            "GBP",
            "--by-date",
            "2026-11-28",
            "--taken-by",
            "Ana",
            "--recorded-on",
            "2026-11-26",
        ],
    );
    let on_28: serde_json::Value = serde_json::from_str(&ok(
        &home,
        &["credit", "shop/C007", "--as-of", "2026-11-28", "--json"],
    ))
    .expect("json");
    assert_eq!(on_28["state"], "ok");
    let on_29: serde_json::Value = serde_json::from_str(&ok(
        &home,
        &["credit", "shop/C007", "--as-of", "2026-11-29", "--json"],
    ))
    .expect("json");
    assert_eq!(on_29["state"], "cash-only");
    assert_eq!(on_29["reasons"][0]["code"], "broken-promise");
    assert_eq!(on_29["behaviour"]["broken_promises"], 1);

    // The insurer drops Harbour Foods from its export: the next lookup withdraws the report
    // (the history keeps it), and the customer, new and now without a report, is cash only.
    let export = home.path().join("insurer/export.json");
    let mut reports: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&export).expect("export")).expect("json");
    reports.retain(|r| r["subject_name"] != "Harbour Foods Ltd");
    std::fs::write(&export, serde_json::to_string(&reports).expect("json")).expect("write");
    let again: serde_json::Value =
        serde_json::from_str(&ok(&home, &["monitor", "--force", "--json"])).expect("json");
    assert_eq!(again[6]["account"], "shop/C007");
    assert_eq!(again[6]["outcome"], "not-found");
    let c007: serde_json::Value =
        serde_json::from_str(&ok(&home, &["credit", "shop/C007", "--json"])).expect("json");
    assert_eq!(c007["reports"].as_array().map(Vec::len), Some(0));
    assert_eq!(c007["state"], "cash-only");
    assert_eq!(c007["reasons"][0]["code"], "new-without-report");

    // Before the sync the store knew nothing: a replay says so.
    let before: serde_json::Value =
        serde_json::from_str(&ok(&home, &["evaluate", "--as-of", "2026-11-01", "--json"]))
            .expect("json");
    assert_eq!(before["customers"].as_array().map(Vec::len), Some(0));
}

#[test]
fn mistakes_get_errors_that_say_what_to_fix() {
    let home = home();
    let unknown = fails(&home, &["credit", "shop/C999"]);
    assert!(unknown.contains("no customer \"shop/C999\""), "{unknown}");
    let promise = fails(
        &home,
        &[
            "promise",
            "shop/C999",
            "--amount",
            "1",
            "--currency",
            "EUR",
            "--by-date",
            "2026-12-01",
            "--taken-by",
            "Ana",
        ],
    );
    assert!(promise.contains("no customer \"shop/C999\""), "{promise}");
    let currency = fails(
        &home,
        &[
            "promise",
            "shop/C001",
            "--amount",
            "1",
            "--currency",
            "EURO",
            "--by-date",
            "2026-12-01",
            "--taken-by",
            "Ana",
        ],
    );
    assert!(currency.contains("--currency"), "{currency}");

    let policy = home.path().join("policy.toml");
    let text = std::fs::read_to_string(&policy).expect("init wrote the default policy");
    std::fs::write(
        &policy,
        text.replace("days_overdue_over = 14", "days_overdue_ovre = 14"),
    )
    .expect("write");
    let err = fails(&home, &["evaluate"]);
    assert!(
        err.contains("policy.toml") && err.contains("days_overdue_ovre"),
        "{err}"
    );
    std::fs::write(
        &policy,
        text.replace("bureau_weight = \"0.6\"", "bureau_weight = \"6\""),
    )
    .expect("write");
    let err = fails(&home, &["evaluate"]);
    assert!(
        err.contains("score.bureau_weight = 6 must be between 0 and 1"),
        "{err}"
    );
}
