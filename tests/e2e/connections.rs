//! Adding and checking connections.

use crate::support::{TestHome, example_vendor};

#[test]
fn connections_are_validated_against_the_plugin_manifest() {
    let home = TestHome::new();
    home.install(&["example-ledger"]);
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--set",
                "base_url=http://x",
                "--set",
                "colour=red",
                "--secret",
                "api_token=T",
            ],
            "no setting `colour`",
        ),
        (
            &["--set", "base_url=http://x", "--set", "api_token=abc"],
            "is a secret",
        ),
        (&["--secret", "api_token=T"], "required setting `base_url`"),
        (
            &["--set", "base_url=http://x"],
            "required secret `api_token`",
        ),
        (&["--set", "base_url"], "must look like KEY=VALUE"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["connection", "add", "books", "--plugin", "example-ledger"];
        all.extend_from_slice(args);
        let err = home.fails(&all);
        assert!(err.contains(expected), "expected {expected:?} in {err}");
    }
    let err = home.fails(&["connection", "add", "books", "--plugin", "xero"]);
    assert!(err.contains("no plugin `xero` is installed"), "{err}");
    assert_eq!(
        home.ok(&["connection", "list", "--json"]).trim(),
        "{}",
        "nothing was written"
    );
}

#[test]
fn check_reaches_the_vendor_with_the_secret() {
    let vendor = example_vendor(5);
    let home = TestHome::new();
    home.install(&["example-ledger"]);
    home.add_example_connection("good", &vendor.url(), "GOOD_TOKEN");
    home.add_example_connection("wrong", &vendor.url(), "WRONG_TOKEN");
    home.add_example_connection("unset", &vendor.url(), "UNSET_TOKEN_VAR");
    let out = home.run_env(
        &["connection", "check", "--json"],
        &[("GOOD_TOKEN", "tok"), ("WRONG_TOKEN", "nope")],
    );
    assert!(!out.status.success());
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let by_name = |n: &str| {
        results
            .as_array()
            .expect("array")
            .iter()
            .find(|r| r["connection"] == n)
            .cloned()
            .expect("present")
    };
    assert_eq!(by_name("good")["ok"], true);
    assert!(
        by_name("wrong")["error"]
            .as_str()
            .unwrap_or_default()
            .contains("authentication error: HTTP 401")
    );
    assert!(
        by_name("unset")["error"]
            .as_str()
            .unwrap_or_default()
            .contains("UNSET_TOKEN_VAR, which is not set")
    );

    let list: serde_json::Value =
        serde_json::from_str(&home.ok(&["connection", "list", "--json"])).expect("json");
    assert_eq!(list["good"]["secrets"]["api_token"], "GOOD_TOKEN");
    home.ok(&["connection", "remove", "unset"]);
    assert!(
        home.fails(&["connection", "remove", "unset"])
            .contains("no connection named \"unset\"")
    );
}

#[test]
fn read_prints_every_record_for_plugin_authors() {
    let vendor = example_vendor(130);
    let home = TestHome::new();
    home.install(&["example-ledger"]);
    home.add_example_connection("books", &vendor.url(), "T");
    let out = home.run_env(&["read", "books", "--records"], &[("T", "tok")]);
    assert!(out.status.success());
    let stdout = crate::support::text(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 130);
    let first = &lines[0]["record"];
    assert_eq!(first["remote_id"], "inv-000000");
    assert_eq!(
        first["body"]["Invoice"]["totals"]["payable"],
        credence_fakes::example::invoice(0)["total"]
    );
    assert!(
        stdout.contains("books       invoices  2      130      130 invoice"),
        "{stdout}"
    );
}
