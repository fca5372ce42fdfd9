//! The hostile suite: `test-hostile` (built with the SDK, like any third-party plugin) attacks
//! the host one way per connection, through the real CLI, next to a good connection. The host
//! stays up, the good connection completes, each attack is stopped with the plugin, the
//! connection and the limit named, and no secret value appears anywhere: not in the store file,
//! the logs, the CLI's output, nor what the plugin wrote.

use crate::support::{Server, TestHome, example_vendor, plugin, text};
use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const TOKEN: &str = "tok-3f9a1c77e2b54d10a9c8b7e6d5f4a3b2";
pub(crate) const PASSWORD: &str = "pw-Zq8!x/+=secret-7781";
pub(crate) const API_KEY: &str = "key-1b2c3d4e5f60718293a4b5c6d7e8f901";

fn base64(input: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn url_encode(input: &str) -> String {
    input
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every form in which a secret could leak: as is, base64 (alone and inside Basic credentials)
/// and URL-encoded.
pub(crate) fn leaked_forms() -> Vec<String> {
    let mut forms = Vec::new();
    for secret in [TOKEN, PASSWORD, API_KEY] {
        forms.push(secret.to_string());
        forms.push(base64(secret.as_bytes()));
        forms.push(url_encode(secret));
    }
    forms.push(base64(format!("someone:{PASSWORD}").as_bytes()));
    forms
}

/// A vendor that misbehaves on request: `/echo` answers with every request header, also
/// base64- and URL-encoded; `/slow` takes 2 s; `/fast` answers at once. It records what
/// credentials it saw, so the test knows the host really sent them.
pub(crate) fn hostile_vendor(seen: Arc<Mutex<Vec<String>>>) -> Server {
    let echo = move |headers: HeaderMap| {
        let seen = seen.clone();
        async move {
            let mut lines = Vec::new();
            for (name, value) in &headers {
                let value = value.to_str().unwrap_or_default().to_string();
                if matches!(
                    name.as_str(),
                    "authorization" | "x-api-key" | "x-forward-to"
                ) {
                    seen.lock().expect("lock").push(format!("{name}: {value}"));
                }
                lines.push(format!(
                    "{name}={value} b64={} url={}",
                    base64(value.as_bytes()),
                    url_encode(&value)
                ));
            }
            lines.join(" | ")
        }
    };
    Server::start(
        Router::new()
            .route("/echo", get(echo))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    "slow"
                }),
            )
            .route("/fast", get(|| async { "fast" })),
    )
}

/// A folder for the plugin: a plain file and, where the system has `mkfifo`, a FIFO that
/// nobody writes to (reading it would block forever).
pub(crate) fn granted_folder(root: &Path) -> std::path::PathBuf {
    let folder = root.join("granted");
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(folder.join("a.txt"), "Plain Customer").expect("write");
    let made = std::process::Command::new("mkfifo")
        .arg(folder.join("b.fifo"))
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo is needed for the FIFO attack");
    folder
}

pub(crate) fn add_hostile(home: &TestHome, mode: &str, base_url: &str, folder: &Path) {
    home.ok(&[
        "connection",
        "add",
        &format!("hostile-{mode}"),
        "--plugin",
        "test-hostile",
        "--set",
        &format!("mode={mode}"),
        "--set",
        &format!("base_url={base_url}"),
        "--set",
        &format!("folder={}", folder.display()),
        "--secret",
        "token=HOSTILE_TOKEN",
        "--secret",
        "password=HOSTILE_PASSWORD",
        "--secret",
        "api_key=HOSTILE_API_KEY",
    ]);
}

pub(crate) const SECRETS_ENV: [(&str, &str); 4] = [
    ("HOSTILE_TOKEN", TOKEN),
    ("HOSTILE_PASSWORD", PASSWORD),
    ("HOSTILE_API_KEY", API_KEY),
    ("BOOKS_TOKEN", "tok"),
];

/// Attacks that would run forever, with the error kind and message that stop each.
pub(crate) const LIMIT_CASES: &[(&str, &str, &str)] = &[
    ("sleep", "limit", "wall-clock limit of 3 s per call hit"),
    ("slow-http", "limit", "wall-clock limit of 3 s per call hit"),
    (
        "http-flood",
        "limit",
        "limit of 50 HTTP requests per call hit",
    ),
    ("endless", "limit", "sync limit of 40 pages hit"),
    (
        "stuck",
        "limit",
        "returned a cursor it had already returned",
    ),
    ("read-all", "permanent", "b.fifo is not a regular file"),
];

fn report<'a>(reports: &'a serde_json::Value, connection: &str) -> &'a serde_json::Value {
    reports
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["connection"] == connection)
        .unwrap_or_else(|| panic!("{connection} not reported: {reports}"))
}

/// Each attack that would run forever (sleeping, waiting on slow HTTP, flooding, paging without
/// end, a cursor that comes back, a FIFO in a granted folder) is stopped by its own limit, in
/// seconds, while the good connection syncs everything.
#[test]
fn plugins_that_wait_flood_or_page_forever_are_stopped_by_their_limits() {
    let books = example_vendor(450);
    let vendor = hostile_vendor(Arc::default());
    let home = TestHome::new();
    home.install(&["test-hostile"]);
    home.add_example_connection("books", &books.url(), "BOOKS_TOKEN");
    let folder = granted_folder(home.path());
    for (mode, _, _) in LIMIT_CASES {
        add_hostile(&home, mode, &vendor.url(), &folder);
    }
    let started = Instant::now();
    let out = home.run_env(&["sync", "--json"], &SECRETS_ENV);
    let took = started.elapsed();
    assert!(
        !out.status.success(),
        "failed connections make the run fail"
    );
    assert!(
        took < Duration::from_secs(60),
        "the attacks were stopped by their limits, not the test's deadline: {took:?}"
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)));
    let good = report(&reports, "books");
    assert_eq!(good["error"], serde_json::Value::Null, "{good}");
    for (mode, kind, message) in LIMIT_CASES {
        let connection = format!("hostile-{mode}");
        let r = report(&reports, &connection);
        let error = r["error"].as_str().unwrap_or_default();
        assert_eq!(r["error_kind"], *kind, "{mode}: {r}");
        assert!(
            error.contains(message),
            "{mode}: expected {message:?} in {error}"
        );
        assert!(
            error.contains(&format!("plugin test-hostile (connection {connection})")),
            "{mode}: names plugin and connection: {error}"
        );
    }
    // The endless stream's pages up to the limit were committed, not lost.
    let customers = home.ok_env(&["customers", "--json"], &SECRETS_ENV);
    assert!(customers.contains("Endless 39"), "{customers}");
}

/// An endpoint that echoes request headers hands back nothing: every form of every injected
/// secret is scrubbed before the plugin sees the response, so it cannot reach a record, a log,
/// an error or the CLI. A secret asked for in a header its manifest does not bind is refused.
#[test]
fn secrets_never_come_back_through_an_echo() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let books = example_vendor(20);
    let vendor = hostile_vendor(seen.clone());
    let home = TestHome::new();
    home.install(&["test-hostile"]);
    home.add_example_connection("books", &books.url(), "BOOKS_TOKEN");
    let folder = granted_folder(home.path());
    let modes = [
        "echo-bearer",
        "echo-basic",
        "echo-header",
        "misplace-secret",
    ];
    for mode in modes {
        add_hostile(&home, mode, &vendor.url(), &folder);
    }
    let mut env = SECRETS_ENV.to_vec();
    env.push(("RUST_LOG", "info"));
    let sync = home.run_env(&["sync", "--json"], &env);
    let reports: serde_json::Value = serde_json::from_slice(&sync.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&sync.stdout), text(&sync.stderr)));
    assert_eq!(report(&reports, "books")["error"], serde_json::Value::Null);
    assert_eq!(
        report(&reports, "hostile-echo-bearer")["error"],
        serde_json::Value::Null
    );
    assert_eq!(
        report(&reports, "hostile-echo-header")["error"],
        serde_json::Value::Null
    );
    let basic = report(&reports, "hostile-echo-basic");
    assert!(
        basic["error"]
            .as_str()
            .is_some_and(|e| e.contains("loot:") && e.contains("[REDACTED]")),
        "{basic}"
    );
    let misplaced = report(&reports, "hostile-misplace-secret");
    assert_eq!(misplaced["error_kind"], "capability", "{misplaced}");
    assert!(
        misplaced["error"]
            .as_str()
            .is_some_and(|e| e.contains("secret `token` in header X-Forward-To")
                && e.contains("only as Authorization: Bearer")),
        "{misplaced}"
    );

    // The vendor really received each secret, in the place its manifest binds it, and never
    // in a header the plugin picked.
    let seen = seen.lock().expect("lock").clone();
    assert!(
        seen.contains(&format!("authorization: Bearer {TOKEN}")),
        "{seen:?}"
    );
    assert!(seen.contains(&format!("x-api-key: {API_KEY}")), "{seen:?}");
    assert!(
        seen.contains(&format!(
            "authorization: Basic {}",
            base64(format!("someone:{PASSWORD}").as_bytes())
        )),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|s| s.starts_with("x-forward-to")),
        "{seen:?}"
    );

    // What the plugin stored shows the scrubbing happened (the loot is there, redacted).
    let customers_json = home.ok_env(&["customers", "--json"], &env);
    assert!(
        customers_json.matches("[REDACTED]").count() >= 2,
        "{customers_json}"
    );

    let mut everything = vec![text(&sync.stdout), text(&sync.stderr), customers_json];
    for args in [
        &["customers"][..],
        &["customer", "hostile-echo-bearer/LOOT"],
        &["customer", "hostile-echo-header/LOOT", "--json"],
        &["quarantine", "--json"],
        &["connection", "list", "--json"],
    ] {
        let out = home.run_env(args, &env);
        everything.push(text(&out.stdout));
        everything.push(text(&out.stderr));
    }
    for file in ["credence.db", "credence.db-wal", "credence.toml"] {
        if let Ok(bytes) = std::fs::read(home.path().join(file)) {
            everything.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let all = everything.join("\n");
    for form in leaked_forms() {
        assert!(!all.contains(&form), "secret form {form:?} leaked");
    }
}

/// Grants that must never be given are refused at install (a manifest naming a folder itself)
/// and at `connection add` (a setting naming a system folder or the home), with the reason.
#[test]
fn forbidden_grants_are_refused_at_install_and_at_connection_add() {
    let home = TestHome::new();
    let copy = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(plugin("test-hostile")).expect("built plugin") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), copy.path().join(entry.file_name())).expect("copy");
    }
    let manifest = copy.path().join("credence-plugin.toml");
    let text_ = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(
        &manifest,
        text_.replace(
            "folders = [\"{{config.folder}}\"]",
            "folders = [\"/proc/self\"]",
        ),
    )
    .expect("write");
    let err = home.fails(&["plugin", "install", &copy.path().display().to_string()]);
    assert!(err.contains("\"/proc/self\" is not a setting"), "{err}");

    home.install(&["test-hostile"]);
    let home_dir = home.path().display().to_string();
    let parent = home.path().parent().expect("parent").display().to_string();
    for (folder, reason) in [
        ("/proc/self", "system folder (/proc)"),
        ("/", "root of the file system"),
        ("/etc", "system folder (/etc)"),
        ("/dev", "system folder (/dev)"),
        (home_dir.as_str(), "contains the Credence home"),
        (parent.as_str(), "contains the Credence home"),
    ] {
        let err = home.fails(&[
            "connection",
            "add",
            "sneaky",
            "--plugin",
            "test-hostile",
            "--set",
            "mode=read-all",
            "--set",
            &format!("folder={folder}"),
        ]);
        assert!(
            err.contains(reason) && err.contains("cannot be granted to a plugin"),
            "{folder}: {err}"
        );
    }
    let config = std::fs::read_to_string(home.path().join("credence.toml")).expect("config");
    assert!(
        !config.contains("sneaky"),
        "nothing written for a refused connection"
    );
}

/// What is run is what was installed: an edited manifest (wider grants) is refused, and a
/// swapped precompiled artifact, with a pin rewritten beside it, is never loaded.
#[test]
fn an_edited_manifest_or_a_swapped_artifact_is_never_used() {
    let vendor = hostile_vendor(Arc::default());
    let home = TestHome::new();
    home.install(&["test-hostile", "example-ledger"]);
    let folder = granted_folder(home.path());
    add_hostile(&home, "stuck", &vendor.url(), &folder);
    let installed = home.path().join("plugins/test-hostile");
    let manifest = installed.join("credence-plugin.toml");
    let original = std::fs::read_to_string(&manifest).expect("manifest");

    // Widen the grants in the installed manifest: refused, with what to do.
    std::fs::write(
        &manifest,
        original.replace(
            "http = [\"{{config.base_url}}\"]",
            "http = [\"{{config.base_url}}\", \"https://exfiltrate.example.net\"]",
        ),
    )
    .expect("edit");
    let out = home.run_env(&["sync", "--json"], &SECRETS_ENV);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("no longer matches the sha256 pinned at install")
            && all.contains("reinstall the plugin"),
        "{all}"
    );
    std::fs::write(&manifest, &original).expect("restore");

    // Swap in another plugin's native code and forge the pin the old layout kept beside it.
    let other = std::fs::read(home.path().join("plugins/example-ledger/compiled.cwasm"))
        .expect("other artifact");
    std::fs::write(installed.join("compiled.cwasm"), &other).expect("swap");
    std::fs::write(
        installed.join("pin.toml"),
        format!("compiled_sha256 = \"{}\"\n", sha256_hex(&other)),
    )
    .expect("forge");
    let out = home.run_env(&["sync", "--json"], &SECRETS_ENV);
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)));
    let r = report(&reports, "hostile-stuck");
    assert!(
        r["error"]
            .as_str()
            .is_some_and(|e| e.contains("returned a cursor it had already returned")),
        "the pinned plugin ran, not the swapped code: {r}"
    );
    let rebuilt = std::fs::read(installed.join("compiled.cwasm")).expect("artifact");
    assert_ne!(
        rebuilt, other,
        "the swapped artifact was replaced from the pinned wasm"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// What a plugin returns is data, never instructions: names carrying escape sequences, a
/// forged log line and a 70,000-character name come out inert and cut to size, and two
/// different customers under one remote id in one page are held in quarantine together
/// instead of one silently replacing the other.
#[test]
fn hostile_records_are_shown_inert_and_repeated_ids_are_held() {
    let books = example_vendor(20);
    let vendor = hostile_vendor(Arc::default());
    let home = TestHome::new();
    home.install(&["test-hostile"]);
    home.add_example_connection("books", &books.url(), "BOOKS_TOKEN");
    let folder = granted_folder(home.path());
    for mode in ["terminal", "duplicate-ids"] {
        add_hostile(&home, mode, &vendor.url(), &folder);
    }
    let mut env = SECRETS_ENV.to_vec();
    env.push(("RUST_LOG", "info"));
    let sync = home.run_env(&["sync"], &env);
    assert!(sync.status.success(), "{}", text(&sync.stderr));
    let log = text(&sync.stderr);
    assert!(
        !log.lines()
            .any(|l| l.starts_with("2026-11-29T10:00:00.000000Z")),
        "a plugin's log message forged a host log line:\n{log}"
    );
    for args in [
        &["customers"][..],
        &["customer", "hostile-terminal/T1"],
        &["customer", "hostile-terminal/T2"],
    ] {
        let out = home.run_env(args, &env);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        for byte in [0x1b_u8, 0x07, b'\r'] {
            assert!(
                !out.stdout.contains(&byte),
                "{args:?} printed byte {byte:#x}"
            );
        }
        assert!(
            !text(&out.stdout).contains(&"W".repeat(200)),
            "{args:?}: the giant name is cut to size"
        );
    }
    let whole = home.ok_env(&["customer", "hostile-terminal/T2", "--json"], &env);
    assert!(
        whole.contains(&"W".repeat(70_000)),
        "--json keeps the whole name"
    );

    let quarantine: serde_json::Value =
        serde_json::from_str(&home.ok_env(&["quarantine", "--json"], &env)).expect("json");
    let held = quarantine.to_string();
    assert!(
        held.contains("D1") && held.contains("First of two") && held.contains("Second of two"),
        "both versions held together: {quarantine}"
    );
    let customers = home.ok_env(&["customers", "--json"], &env);
    assert!(
        !customers.contains("First of two") && !customers.contains("Second of two"),
        "neither version silently won: {customers}"
    );
}
