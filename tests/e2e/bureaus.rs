//! Bureau connectors through `credence lookup`: GLEIF against a local GLEIF API serving GLEIF's
//! own recorded responses (by LEI, by registration number and country, by name, an unknown LEI,
//! the lapsed LEI reported as a lapse, not an insolvency); report files from a folder;
//! Creditsafe against a local GlobalData SOAP service serving Creditsafe's recorded report.
//! Companies House against a local register API serving the register's recorded profiles and
//! insolvency record.

use crate::support::{Server, TestHome, realdata};
use credence_fakes::gleif::GleifSandbox;

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

#[test]
fn report_files_answer_lookups_by_identifier() {
    let folder = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("../plugins/bureau-files/tests/reports");
    let home = TestHome::new();
    home.install(&["bureau-files"]);
    home.ok(&[
        "connection",
        "add",
        "insurer",
        "--plugin",
        "bureau-files",
        "--set",
        &format!("folder={}", folder.display()),
    ]);
    home.ok(&["connection", "check", "insurer"]);
    let out = home.ok(&[
        "lookup",
        "insurer",
        "--name",
        "Kunde",
        "--id",
        "vat:DE123456789:DE",
        "--json",
    ]);
    let records: serde_json::Value = serde_json::from_str(&out).expect("json");
    let reports: Vec<&serde_json::Value> = records
        .as_array()
        .expect("list")
        .iter()
        .filter(|r| r["body"]["CreditReport"].is_object())
        .collect();
    assert_eq!(reports.len(), 1, "{records}");
    let report = &reports[0]["body"]["CreditReport"];
    assert_eq!(report["recommended_limit"]["amount"], "50000");
    assert_eq!(report["score"]["higher_is_better"], false);
    assert!(
        out.contains("broken.json"),
        "the broken file is reported: {out}"
    );
}

#[test]
fn creditsafe_searches_then_reads_the_report() {
    let Some(root) = realdata() else { return };
    let report = std::fs::read_to_string(
        root.join("creditsafe-legacy-soap/spec/fixtures/company-report-successful.xml"),
    )
    .expect("fixture");
    let company = credence_fakes::creditsafe::Company {
        id: "GB003/0/07495895".into(),
        name: "GOCARDLESS LTD".into(),
        registration: "07495895".into(),
        country: "GB".into(),
        report,
    };
    let sandbox = credence_fakes::creditsafe::CreditsafeSandbox::new("user", "pw", vec![company]);
    let server = Server::start(sandbox.router());
    let home = TestHome::new();
    home.install(&["creditsafe"]);
    home.ok(&[
        "connection",
        "add",
        "cs",
        "--plugin",
        "creditsafe",
        "--set",
        &format!(
            "base_url={}/GlobalData/1.3/MainServiceBasic.svc",
            server.url()
        ),
        "--set",
        "username=user",
        "--secret",
        "password=CS_PASSWORD",
    ]);
    let env = [
        ("CS_PASSWORD", "pw"),
        ("CREDENCE_NOW", "2026-11-25T09:00:00Z"),
    ];
    let out = home.run_env(
        &[
            "lookup",
            "cs",
            "--name",
            "GoCardless",
            "--id",
            "company-registration:07495895:GB",
            "--json",
        ],
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        crate::support::text(&out.stderr)
    );
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let report = &records[0]["body"]["CreditReport"];
    assert_eq!(report["subject_name"], "GOCARDLESS LTD");
    assert_eq!(report["rating"], "A");
    assert_eq!(report["recommended_limit"]["amount"], "405000");
    assert_eq!(report["report_date"], "2026-11-25");

    // A search needs a country (GlobalData searches per country): refused, saying so.
    let out = home.run_env(&["lookup", "cs", "--name", "GoCardless", "--json"], &env);
    assert!(
        !out.status.success(),
        "a search without a country is refused"
    );
    assert!(crate::support::text(&out.stderr).contains("country"));

    let wrong = home.run_env(
        &[
            "lookup",
            "cs",
            "--name",
            "x",
            "--id",
            "company-registration:07495895:GB",
        ],
        &[("CS_PASSWORD", "nope")],
    );
    assert!(!wrong.status.success());
    let said = crate::support::text(&wrong.stderr);
    assert!(said.contains("401") && said.contains("password"), "{said}");
}

/// The register's recorded profiles and insolvency record, plus one active company with a
/// strike-off notice, on a local Companies House API.
fn companies_house() -> Option<Server> {
    use credence_fakes::companies_house::{CompaniesHouseSandbox, Company};
    let root = realdata()?.join("companies-house");
    let read = |path: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(root.join(path)).expect("fixture")).expect("json")
    };
    let insolvency =
        read("insolvency-data-api/src/itest/resources/json/output/retrieve_by_company_number.json")
            ["companyInsolvency"]
            .clone();
    let mut companies: Vec<Company> = ["00006402", "00006408"]
        .iter()
        .map(|n| Company {
            profile: read(&format!(
                "company-profile-api/src/itest/resources/json/output/{n}-getCompanyProfile.json"
            )),
            insolvency: Some(insolvency.clone()),
            filings: vec![],
        })
        .collect();
    companies.push(Company {
        profile: serde_json::json!({
            "company_name": "HARBOUR FOODS LTD", "company_number": "00445790",
            "company_status": "active", "type": "ltd", "has_insolvency_history": false,
            "accounts": {"next_due": "2027-03-31", "overdue": false},
            "confirmation_statement": {"next_due": "2026-12-10", "overdue": false}
        }),
        insolvency: None,
        filings: vec![serde_json::json!({
            "category": "gazette", "type": "GAZ1", "date": "2026-11-03",
            "description": "gazette-notice-compulsory"
        })],
    });
    Some(Server::start(
        CompaniesHouseSandbox::new("ch-test-key", companies).router(),
    ))
}

#[test]
fn companies_house_status_insolvency_and_strike_off() {
    let Some(server) = companies_house() else {
        return;
    };
    let home = TestHome::new();
    home.install(&["companies-house"]);
    home.ok(&[
        "connection",
        "add",
        "ch",
        "--plugin",
        "companies-house",
        "--set",
        &format!("base_url={}", server.url()),
        "--secret",
        "api_key=CH_KEY",
    ]);
    let env = [
        ("CH_KEY", "ch-test-key"),
        ("CREDENCE_NOW", "2026-11-26T09:00:00Z"),
    ];
    let lookup = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["lookup", "ch"];
        all.extend_from_slice(args);
        all.push("--json");
        home.run_env(&all, env)
    };
    let ok = |args: &[&str]| -> Vec<serde_json::Value> {
        let out = lookup(args, &env);
        assert!(
            out.status.success(),
            "{}",
            crate::support::text(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .expect("json")
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let check = home.run_env(&["connection", "check", "ch"], &env);
    assert!(
        check.status.success(),
        "{}",
        crate::support::text(&check.stderr)
    );

    // By registration number, written without its leading zeros.
    let found = ok(&["--name", "Renable", "--id", "company-registration:6402:GB"]);
    assert_eq!(found.len(), 1);
    let report = &found[0]["body"]["CreditReport"];
    assert_eq!(report["subject_name"], "RENABLE PHARMA LTD");
    assert_eq!(report["company_status"], "liquidation");
    assert_eq!(report["report_date"], "2026-11-26");
    let kinds: Vec<&str> = report["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        [
            "Liquidation",
            "Liquidation",
            "OverdueFiling",
            "OverdueFiling"
        ]
    );

    // By exact name (the register writes LIMITED as LTD), no number: the search finds it.
    let by_name = ok(&["--name", "Harbour Foods Limited", "--country", "GB"]);
    assert_eq!(by_name.len(), 1);
    let events = &by_name[0]["body"]["CreditReport"]["events"];
    assert_eq!(events[0]["kind"], "StatusChange");
    assert_eq!(events[0]["date"], "2026-11-03");

    // Unknown company: no report, not an error.
    assert!(
        ok(&[
            "--name",
            "Nobody",
            "--id",
            "company-registration:99999999:GB"
        ])
        .is_empty()
    );

    // A wrong key: refused, naming the secret to check.
    let wrong = lookup(
        &[
            "--name",
            "Renable",
            "--id",
            "company-registration:00006402:GB",
        ],
        &[
            ("CH_KEY", "wrong"),
            ("CREDENCE_NOW", "2026-11-26T09:00:00Z"),
        ],
    );
    assert!(!wrong.status.success());
    let err = crate::support::text(&wrong.stderr);
    assert!(err.contains("401") && err.contains("api_key"), "{err}");
}
