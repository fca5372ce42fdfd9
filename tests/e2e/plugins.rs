//! Installing, listing, inspecting, removing plugins; pinned digests.

use crate::support::{TestHome, plugin, plugins_dir};

#[test]
fn install_list_inspect_remove() {
    let home = TestHome::new();
    let out = home.ok(&[
        "plugin",
        "install",
        plugin("example-ledger").to_str().expect("path"),
    ]);
    assert!(
        out.contains("example-ledger 0.1.0 (ledger plugin, contract credence:plugin@0.1.0)"),
        "{out}"
    );
    assert!(
        out.contains("grants: http to {{config.base_url}}; read-only folders (none)"),
        "install prints the grants: {out}"
    );
    assert!(out.contains("api_token (secret, required)"), "{out}");
    assert!(
        out.contains("api_token: Authorization: Bearer … to {{config.base_url}}"),
        "install prints where each secret may go: {out}"
    );
    assert!(
        out.contains("and 120 s per call"),
        "install prints the wall-clock limit: {out}"
    );

    let list: serde_json::Value =
        serde_json::from_str(&home.ok(&["plugin", "list", "--json"])).expect("json");
    assert_eq!(list[0]["id"], "example-ledger");
    assert_eq!(list[0]["kind"], "ledger");
    assert_eq!(list[0]["wasm_sha256"].as_str().map(str::len), Some(64));

    let inspect: serde_json::Value =
        serde_json::from_str(&home.ok(&["plugin", "inspect", "example-ledger", "--json"]))
            .expect("json");
    assert_eq!(inspect["streams"][0]["name"], "invoices");
    assert_eq!(inspect["capabilities"]["http"][0], "{{config.base_url}}");
    assert_eq!(inspect["effective_limits"]["memory_mib"], 64);

    home.ok(&["plugin", "remove", "example-ledger"]);
    assert_eq!(home.ok(&["plugin", "list", "--json"]).trim(), "[]");
    let err = home.fails(&["plugin", "inspect", "example-ledger"]);
    assert!(
        err.contains("no plugin `example-ledger` is installed"),
        "{err}"
    );
}

#[test]
fn a_plugin_in_use_is_not_removed_without_force() {
    let home = TestHome::new();
    home.install(&["example-ledger"]);
    home.add_example_connection("books", "http://127.0.0.1:9", "T");
    let err = home.fails(&["plugin", "remove", "example-ledger"]);
    assert!(err.contains("used by connection(s) books"), "{err}");
    home.ok(&["plugin", "remove", "example-ledger", "--force"]);
}

#[test]
fn a_tampered_wasm_is_refused_and_a_damaged_cache_is_rebuilt() {
    let home = TestHome::new();
    home.install(&["test-panic"]);
    home.ok(&["connection", "add", "p", "--plugin", "test-panic"]);
    let installed = home.path().join("plugins/test-panic");

    // A damaged precompiled artifact is not trusted: it is rebuilt from the pinned wasm.
    std::fs::write(installed.join("compiled.cwasm"), b"garbage").expect("write");
    let out = home.ok(&["connection", "check", "p"]);
    assert!(out.contains("p: ok"), "{out}");
    assert!(
        std::fs::metadata(installed.join("compiled.cwasm"))
            .expect("cwasm")
            .len()
            > 1000,
        "artifact rebuilt"
    );

    // A changed wasm no longer matches its pin: refused.
    let wasm = installed.join("test_panic.wasm");
    let mut bytes = std::fs::read(&wasm).expect("wasm");
    bytes.extend_from_slice(b"\0tampered");
    std::fs::write(&wasm, bytes).expect("write");
    let err = home.fails(&["connection", "check", "p"]);
    assert!(
        err.contains("no longer matches the sha256 pinned at install"),
        "{err}"
    );
    assert!(err.contains("test-panic"), "{err}");
}

#[test]
fn bad_plugin_folders_are_refused_with_the_reason() {
    let home = TestHome::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let src = plugin("test-panic");
    let copy = |manifest: &str| {
        std::fs::copy(
            src.join("test_panic.wasm"),
            dir.path().join("test_panic.wasm"),
        )
        .expect("copy");
        std::fs::write(dir.path().join("credence-plugin.toml"), manifest).expect("write");
    };
    let original = std::fs::read_to_string(src.join("credence-plugin.toml")).expect("manifest");
    let cases = [
        (
            original.replace("contract = \"0.1.0\"", "contract = \"2.0.0\""),
            "supports 0.1.0",
        ),
        (
            original.replace("kind = \"ledger\"", "kind = \"bureau\""),
            "does not implement the `bureau` world",
        ),
        (
            original.replace("version = \"0.1.0\"", "version = \"9.9.9\""),
            "the manifest says test-panic 9.9.9",
        ),
        (
            original.replace("[limits]", "[limits]\ncpu_millis = 5"),
            "unknown field `cpu_millis`",
        ),
        (
            original.replace("test_panic.wasm", "missing.wasm"),
            "missing.wasm",
        ),
    ];
    for (manifest, expected) in cases {
        copy(&manifest);
        let err = home.fails(&["plugin", "install", dir.path().to_str().expect("path")]);
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
    let not_a_plugin = home.fails(&[
        "plugin",
        "install",
        plugins_dir()
            .parent()
            .expect("target")
            .to_str()
            .expect("path"),
    ]);
    assert!(
        not_a_plugin.contains("credence-plugin.toml"),
        "{not_a_plugin}"
    );
    assert_eq!(
        home.ok(&["plugin", "list", "--json"]).trim(),
        "[]",
        "nothing half-installed"
    );
}

#[test]
fn a_bureau_plugin_answers_lookups_page_by_page() {
    let home = TestHome::new();
    home.install(&["test-bureau"]);
    home.ok(&["connection", "add", "bureau", "--plugin", "test-bureau"]);
    let out = home.run_env(
        &[
            "lookup",
            "bureau",
            "--name",
            "Acme Ltd",
            "--id",
            "company-registration:00445790:GB",
            "--json",
        ],
        &[("CREDENCE_NOW", "2026-03-01T09:00:00Z")],
    );
    assert!(
        out.status.success(),
        "{}",
        crate::support::text(&out.stderr)
    );
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let reports = records.as_array().expect("array");
    assert_eq!(reports.len(), 2, "both pages read: {records}");
    let second = &reports[1]["body"]["CreditReport"];
    assert_eq!(second["subject_name"], "Acme Ltd");
    assert_eq!(
        second["report_date"], "2026-03-01",
        "the pinned clock reached the plugin"
    );
    assert_eq!(second["rating"], "D");
    assert_eq!(second["identifiers"][0]["value"], "00445790");
    let err = home.fails(&["lookup", "bureau", "--name", "X", "--id", "passport:1"]);
    assert!(err.contains("unknown scheme \"passport\""), "{err}");

    home.install(&["example-ledger"]);
    home.add_example_connection("books", "http://127.0.0.1:9", "T");
    let out = home.run_env(&["lookup", "books", "--name", "X"], &[("T", "x")]);
    assert!(!out.status.success());
    let err = crate::support::text(&out.stderr);
    assert!(err.contains("lookups need a bureau plugin"), "{err}");
}
