//! A broken or hostile plugin never takes the host down: each misbehaving test plugin runs in
//! the same `credence read` as a good connection; it is stopped with the limit named, and the
//! good connection reads everything. Removing any limit makes its case hang (caught by the
//! run deadline) or succeed, and so fail here.

use crate::support::{Server, TestHome, example_vendor};
use axum::Router;
use axum::routing::get;

struct Case {
    plugin: &'static str,
    kind: &'static str,
    message: &'static str,
}

const CASES: &[Case] = &[
    Case {
        plugin: "test-infinite-loop",
        kind: "limit",
        message: "CPU limit of 300 ms per call hit",
    },
    Case {
        plugin: "test-memory-bomb",
        kind: "limit",
        message: "memory limit of 16 MiB hit",
    },
    Case {
        plugin: "test-panic",
        kind: "crash",
        message: "deliberate panic: this plugin is broken",
    },
    Case {
        plugin: "test-undeclared-host",
        kind: "capability",
        message: "HTTP request to https://exfiltrate.example.net",
    },
    Case {
        plugin: "test-huge-response",
        kind: "limit",
        message: "response-size limit of 1 MiB hit",
    },
];

#[test]
fn misbehaving_plugins_are_stopped_and_others_carry_on() {
    let vendor = example_vendor(450);
    let huge = Server::start(Router::new().route("/huge", get(|| async { vec![b'x'; 8 << 20] })));
    let home = TestHome::new();
    home.install(&["example-ledger"]);
    home.add_example_connection("books", &vendor.url(), "BOOKS_TOKEN");
    for case in CASES {
        home.install(&[case.plugin]);
        home.ok(&[
            "connection",
            "add",
            case.plugin,
            "--plugin",
            case.plugin,
            "--set",
            &format!("base_url={}", huge.url()),
        ]);
    }
    let out = home.run_env(&["read", "--json"], &[("BOOKS_TOKEN", "tok")]);
    assert!(
        !out.status.success(),
        "a failed connection makes the run fail"
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let report = |name: &str| {
        reports
            .as_array()
            .expect("array")
            .iter()
            .find(|r| r["connection"] == name)
            .cloned()
            .expect("connection reported")
    };

    let books = report("books");
    assert_eq!(books["error"], serde_json::Value::Null, "{books}");
    assert_eq!(books["streams"][0]["records"], 450);
    assert_eq!(books["streams"][0]["pages"], 5);

    for case in CASES {
        let r = report(case.plugin);
        assert_eq!(r["error_kind"], case.kind, "{}: {r}", case.plugin);
        let error = r["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(case.message),
            "{}: expected {:?} in {error}",
            case.plugin,
            case.message
        );
        assert!(
            error.contains(&format!(
                "plugin {} (connection {})",
                case.plugin, case.plugin
            )),
            "names plugin and connection: {error}"
        );
    }
}

#[test]
fn a_stopped_plugin_does_not_poison_the_next_job() {
    let vendor = example_vendor(10);
    let home = TestHome::new();
    home.install(&["test-memory-bomb", "example-ledger"]);
    home.ok(&["connection", "add", "bomb", "--plugin", "test-memory-bomb"]);
    home.add_example_connection("books", &vendor.url(), "T");
    for _ in 0..3 {
        let out = home.run_env(&["read", "bomb", "books", "--json"], &[("T", "tok")]);
        let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(reports[0]["error_kind"], "limit");
        assert_eq!(reports[1]["streams"][0]["records"], 10);
    }
}

#[test]
fn the_host_ceiling_caps_what_a_manifest_asks_for() {
    let home = TestHome::new();
    home.install(&["test-memory-bomb", "test-infinite-loop"]);
    home.set_runtime_limit("memory_mib", "8");
    home.set_runtime_limit("cpu_ms", "100");
    home.ok(&["connection", "add", "bomb", "--plugin", "test-memory-bomb"]);
    home.ok(&[
        "connection",
        "add",
        "spin",
        "--plugin",
        "test-infinite-loop",
    ]);
    let inspect: serde_json::Value =
        serde_json::from_str(&home.ok(&["plugin", "inspect", "test-memory-bomb", "--json"]))
            .expect("json");
    assert_eq!(
        inspect["limits"]["memory_mib"], 16,
        "what the manifest asks"
    );
    assert_eq!(
        inspect["effective_limits"]["memory_mib"], 8,
        "what the host grants"
    );
    let out = home.run(&["read", "--json"]);
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        reports[0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("memory limit of 8 MiB hit"),
        "{reports}"
    );
    assert!(
        reports[1]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("CPU limit of 100 ms per call hit"),
        "{reports}"
    );
}
