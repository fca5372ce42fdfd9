//! `credence serve` as users run it: real processes on the real PostgreSQL of this machine
//! (`CREDENCE_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`), each test in
//! a schema of its own, against the local vendor servers and SMTP exchange. The loop syncs,
//! evaluates and delivers with no command; the API refuses strangers and read-only tokens on
//! admin routes; two instances share the work, and one killed mid-sync loses nothing and
//! duplicates nothing while the other finishes after the lease runs out.

use crate::support::{Exchange, Server, TestHome, text};
use credence_model::RecordKind;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-26T12:00:00Z";
const ADMIN: &str = "admin-token-e2e-0123456789";
const READER: &str = "read-token-e2e-0123456789";

fn repo(path: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("..")
        .join(path)
}

fn postgres_url() -> String {
    std::env::var("CREDENCE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema of its own on the test database, dropped at the end.
struct Schema {
    name: String,
}

impl Schema {
    fn new(tag: &str) -> Schema {
        let name = format!("credence_e2e_{tag}_{}", std::process::id());
        let schema = Schema { name };
        schema.drop_it();
        schema
    }

    fn drop_it(&self) {
        let status = Command::new("psql")
            .args([
                &postgres_url(),
                "-q",
                "-c",
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
            ])
            .env("PGOPTIONS", "--client-min-messages=warning")
            .stdout(Stdio::null())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "psql cannot reach {}: the server tests need the PostgreSQL server",
            postgres_url()
        );
    }

    fn store(&self) -> Box<dyn credence_store::Store> {
        credence_store::Location::Postgres {
            url: postgres_url(),
            schema: self.name.clone(),
        }
        .open()
        .expect("open the PostgreSQL store")
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.drop_it();
        }
    }
}

fn replace_server_config(home: &TestHome, text: &str) {
    let path = home.path().join("credence.toml");
    let mut config: toml_edit::DocumentMut = std::fs::read_to_string(&path)
        .expect("config")
        .parse()
        .expect("toml");
    // The default config has a [server] table; ours replaces it.
    config.remove("server");
    let config = config.to_string() + text;
    std::fs::write(&path, config).expect("config");
}

/// Point a home at the schema, with tokens and a fast schedule.
fn configure(home: &TestHome, schema: &Schema, smtp_port: u16, lease_s: u64) {
    let path = home.path().join("credence.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    let config = config.replacen(
        "[storage]\n",
        &format!(
            "[storage]\npostgres = \"{}\"\npostgres_schema = \"{}\"\n",
            postgres_url(),
            schema.name
        ),
        1,
    );
    std::fs::write(&path, config).expect("config");
    replace_server_config(
        home,
        &format!(
            r#"
[server]
sync_every_s = 3600
jitter_s = 0
concurrency = 2
lease_s = {lease_s}
evaluate_every_s = 3600
evaluate_settle_s = 1
deliver_every_s = 1

[[server.tokens]]
name = "ops"
scope = "admin"
token_env = "E2E_ADMIN_TOKEN"

[[server.tokens]]
name = "dashboard"
scope = "read"
token_sha256 = "{}"

[delivery.smtp]
host = "127.0.0.1"
port = {smtp_port}
timeout_s = 5
"#,
            sha256_hex(READER)
        ),
    );
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// A running `credence serve`; killed when dropped.
struct Serve {
    child: Child,
    port: u16,
    log: PathBuf,
    /// Kept open: the server prints to it until it stops.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Serve {
    fn start(home: &TestHome, instance: &str) -> Serve {
        Serve::start_env(home, instance, &[])
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, String) {
        http(self.port, method, path, token, body)
    }

    fn json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.request("GET", path, Some(READER), None);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).expect("json")
    }

    fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {signal}");
    }

    fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange on loopback.
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("receive");
    let response = text(&response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Wait until `check` holds, or fail with `what` and the logs.
fn wait_for(what: &str, within: Duration, logs: &[&Serve], mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let logs: Vec<String> = logs.iter().map(|s| s.log()).collect();
    panic!(
        "timed out waiting for {what}; logs:\n{}",
        logs.join("\n----\n")
    );
}

#[test]
fn the_service_syncs_evaluates_and_delivers_on_its_own_and_refuses_strangers() {
    let schema = Schema::new("loop");
    let exchange = Exchange::start(Duration::ZERO);
    let home = TestHome::new();
    home.add_csv_connection("shop", &repo("plugins/csv/sample"));
    home.install(&["bureau-files"]);
    home.ok(&[
        "connection",
        "add",
        "insurer",
        "--plugin",
        "bureau-files",
        "--set",
        &format!("folder={}", repo("plugins/bureau-files/sample").display()),
    ]);
    configure(&home, &schema, exchange.port, 30);
    let mut serve = Serve::start(&home, "solo");

    // No command: the schedule syncs the connection, evaluates, plans and delivers.
    wait_for(
        "six reminders in the mailbox",
        Duration::from_secs(90),
        &[&serve],
        || exchange.messages().len() >= 6,
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(exchange.messages().len(), 6, "each reminder once");
    assert_eq!(
        exchange.transactions().len(),
        6,
        "one SMTP transaction each"
    );
    let dupont = exchange
        .messages()
        .into_values()
        .find(|m| m.contains("compta@atelier-dupont.example"))
        .expect("the French customer's message");
    assert!(dupont.contains("relance de paiement"), "{dupont}");

    // Health answers anyone; everything else wants a token, admin routes an admin one.
    assert_eq!(serve.request("GET", "/health", None, None).0, 200);
    let (status, body) = serve.request("GET", "/ready", None, None);
    assert_eq!(status, 200, "{body}");
    let doc = serve.json("/openapi.json");
    let kept: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schemas/json/openapi.json"))
            .expect("schemas/json/openapi.json"),
    )
    .expect("json");
    assert_eq!(
        doc, kept,
        "schemas/json/openapi.json is stale: run `credence schema --write schemas/json`"
    );
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        let concrete = path
            .replace("{account}", "shop/C001")
            .replace("{key}", "nothing")
            .replace("{name}", "shop");
        for (method, op) in ops.as_object().expect("operations") {
            let method = method.to_uppercase();
            match op["x-scope"].as_str() {
                Some("none") => continue,
                Some("read") | Some("admin") => {}
                other => panic!("{path}: scope {other:?}"),
            }
            for token in [None, Some("wrong-token-0123456789"), Some("")] {
                let (status, body) = serve.request(&method, &concrete, token, Some("{}"));
                assert_eq!(status, 401, "{method} {path} with {token:?}: {body}");
                assert!(body.contains("bearer token"), "{body}");
            }
            if op["x-scope"] == "admin" {
                let (status, body) = serve.request(&method, &concrete, Some(READER), Some("{}"));
                assert_eq!(status, 403, "{method} {path} read-only: {body}");
            } else {
                let (status, body) = serve.request(&method, &concrete, Some(READER), None);
                // A read of one thing by key: the reader gets in; "nothing" is not found.
                let expected = if path.contains("{key}") { 404 } else { 200 };
                assert_eq!(status, expected, "{method} {path}: {body}");
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 15,
        "only {checked} routes in the OpenAPI document"
    );

    // Customers with their state and reasons; one decision validates against its schema.
    let customers = serve.json("/api/v1/customers");
    let list = customers["customers"].as_array().expect("customers");
    assert!(list.len() >= 6, "{customers}");
    assert!(
        list.iter()
            .all(|c| c["state"].is_string() && c["reasons"].is_array())
    );
    let account = list[0]["account"].as_str().expect("account");
    let decision = serve.json(&format!("/api/v1/customers/{account}"));
    let schema_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schemas/json/credit-decision.schema.json")).expect("schema"),
    )
    .expect("schema json");
    let validator = jsonschema::validator_for(&schema_json).expect("schema");
    let errors: Vec<String> = validator
        .iter_errors(&decision)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        serve
            .request("GET", "/api/v1/customers/shop/NOBODY", Some(READER), None)
            .0,
        404
    );
    // The insurer's reports were looked up once the customers had arrived.
    wait_for(
        "bureau reports in the decisions",
        Duration::from_secs(30),
        &[&serve],
        || {
            let customers = serve.json("/api/v1/customers");
            customers["customers"].as_array().is_some_and(|list| {
                list.iter().any(|c| {
                    let account = c["account"].as_str().unwrap_or_default();
                    serve.json(&format!("/api/v1/customers/{account}"))["reports"]
                        .as_array()
                        .is_some_and(|r| !r.is_empty())
                })
            })
        },
    );
    let delivered = serve.json("/api/v1/actions?status=delivered");
    let steps: Vec<String> = delivered["actions"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| format!("{} {}", a["action"]["customer_name"], a["action"]["step"]))
                .collect()
        })
        .unwrap_or_default();
    // Six reminders from the first run; then the bureau reports Müller's insolvency and its
    // invoices leave the ladder for a claim task. Insurer notifications come beside them.
    let ladder: Vec<&String> = steps.iter().filter(|s| !s.contains("insure-")).collect();
    assert_eq!(ladder.len(), 7, "{steps:?}");
    assert!(
        steps
            .iter()
            .any(|s| s.contains("Harbour Foods") && s.contains("insure-invoice")),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.contains("Müller") && s.contains("insolvency-claim")),
        "{steps:?}"
    );
    let invoices = serve.json("/api/v1/invoices?open=true");
    assert!(
        invoices["invoices"]
            .as_array()
            .is_some_and(|i| !i.is_empty())
    );

    // Admin actions: a promise, a dispute, a sync on demand; bad input is named.
    let promise = format!(
        r#"{{"customer":"{account}","amount":"100.00","currency":"EUR","by_date":"2026-12-05","taken_by":"e2e"}}"#
    );
    let (status, body) = serve.request("POST", "/api/v1/promises", Some(ADMIN), Some(&promise));
    assert_eq!(status, 201, "{body}");
    let (status, body) = serve.request(
        "POST",
        "/api/v1/promises",
        Some(ADMIN),
        Some(r#"{"customer":"shop/NOBODY","amount":"1","currency":"EUR","by_date":"2026-12-05","taken_by":"e2e"}"#),
    );
    assert_eq!(status, 404, "{body}");
    let invoice = invoices["invoices"]
        .as_array()
        .and_then(|i| i.iter().find(|i| i["kind"] == "invoice"))
        .and_then(|i| i["number"].as_str())
        .expect("an open invoice");
    let dispute = format!(r#"{{"invoice":"{invoice}","reason":"goods damaged","by":"e2e"}}"#);
    let (status, body) = serve.request("POST", "/api/v1/disputes", Some(ADMIN), Some(&dispute));
    assert_eq!(status, 201, "{body}");
    // What a request names and does not exist is a 404, picked by the error's type.
    let (status, body) = serve.request(
        "POST",
        "/api/v1/disputes",
        Some(ADMIN),
        Some(r#"{"invoice":"NO-SUCH-INVOICE","reason":"goods damaged","by":"e2e"}"#),
    );
    assert_eq!(status, 404, "{body}");
    assert!(
        body.contains("no invoice") && body.contains("NO-SUCH-INVOICE"),
        "{body}"
    );
    let (status, body) = serve.request(
        "GET",
        "/api/v1/invoices?customer=shop/NOBODY",
        Some(READER),
        None,
    );
    assert_eq!(status, 404, "{body}");
    let (status, body) = serve.request(
        "POST",
        "/api/v1/tasks/nothing/snooze",
        Some(ADMIN),
        Some(r#"{"until":"2026-12-01"}"#),
    );
    assert_eq!(status, 404, "{body}");
    let (status, _) = serve.request("POST", "/api/v1/connections/shop/sync", Some(ADMIN), None);
    assert_eq!(status, 202);
    wait_for(
        "the requested sync",
        Duration::from_secs(30),
        &[&serve],
        || {
            http(serve.port, "GET", "/metrics", Some(READER), None)
                .1
                .contains("credence_syncs_total{connection=\"shop\",result=\"ok\"} 2")
        },
    );
    let (_, metrics) = serve.request("GET", "/metrics", Some(READER), None);
    let delivered_total = format!("credence_actions_delivered_total{{}} {}", steps.len());
    for line in [
        delivered_total.as_str(),
        "credence_records_total{connection=\"shop\",change=\"new\"}",
        "credence_http_requests_total{route=\"/api/v1/customers\",status=\"200\"}",
        "credence_sync_seconds_count{connection=\"shop\"} 2",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }

    // SIGTERM: a clean exit.
    serve.signal("-TERM");
    let status = serve
        .wait_exit(Duration::from_secs(20))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}\n{}", serve.log());
    assert_eq!(exchange.transactions().len(), 6, "nothing sent twice");
}

/// Wait until every job of the schedule has run and none is held.
fn all_synced(store: &dyn credence_store::Store, connections: &[String]) -> bool {
    let Ok(jobs) = store.schedule() else {
        return false;
    };
    connections.iter().all(|c| {
        jobs.iter().any(|j| {
            &j.job == c && j.holder.is_none() && j.last_finished.is_some() && j.last_error.is_none()
        })
    })
}

#[test]
fn two_instances_share_the_work_and_one_killed_mid_sync_loses_and_duplicates_nothing() {
    const CONNECTIONS: usize = 4;
    const INVOICES: usize = 2_000;
    let schema = Schema::new("pair");
    let exchange = Exchange::start(Duration::ZERO);
    let vendors: Vec<Server> = (0..CONNECTIONS)
        .map(|_| {
            Server::start(
                credence_fakes::example::Vendor::new(INVOICES, "tok")
                    .with_latency(Duration::from_millis(120))
                    .router(),
            )
        })
        .collect();
    let home = TestHome::new();
    home.add_csv_connection("shop", &repo("plugins/csv/sample"));
    let mut names = vec!["shop".to_string()];
    for (i, v) in vendors.iter().enumerate() {
        let name = format!("vendor{i}");
        home.add_example_connection(&name, &v.url(), "VENDOR_TOKEN");
        names.push(name);
    }
    configure(&home, &schema, exchange.port, 3);
    let run = |instance: &str| Serve::start_env(&home, instance, &[("VENDOR_TOKEN", "tok")]);
    let mut a = run("a");
    let b = run("b");
    let store = schema.store();

    // Kill `a` while it holds a sync with pages committed.
    wait_for(
        "instance a holding a vendor sync",
        Duration::from_secs(60),
        &[&a, &b],
        || {
            store.schedule().is_ok_and(|jobs| {
                jobs.iter()
                    .any(|j| j.job.starts_with("vendor") && j.holder.as_deref() == Some("a"))
            })
        },
    );
    std::thread::sleep(Duration::from_millis(1500));
    let held: Vec<String> = store
        .schedule()
        .expect("schedule")
        .into_iter()
        .filter(|j| j.holder.as_deref() == Some("a"))
        .map(|j| j.job)
        .collect();
    assert!(
        held.iter().any(|c| store
            .cursor(c, "invoices")
            .is_ok_and(|saved| saved.is_some_and(|s| !s.complete))),
        "{held:?}: a killed in the middle of a sync, pages committed"
    );
    a.signal("-KILL");
    a.wait_exit(Duration::from_secs(10)).expect("a is gone");
    assert!(!held.is_empty());

    wait_for(
        "b to finish every connection",
        Duration::from_secs(180),
        &[&b],
        || all_synced(store.as_ref(), &names),
    );
    let log = b.log();
    assert!(
        held.iter().all(|h| log.contains(h.as_str())),
        "b took over {held:?}:\n{log}"
    );

    // Every invoice once, each with one version: pages read again after the takeover changed
    // nothing.
    let invoices = store.records(RecordKind::Invoice).expect("records");
    let versions = store
        .versions(
            RecordKind::Invoice,
            chrono::Utc::now() + chrono::Duration::days(365),
        )
        .expect("versions");
    for name in &names[1..] {
        let current = invoices
            .iter()
            .filter(|r| &r.record.origin.connection == name)
            .count();
        let history = versions
            .iter()
            .filter(|v| &v.record.origin.connection == name)
            .count();
        assert_eq!(current, INVOICES, "{name}: every invoice stored");
        assert_eq!(history, INVOICES, "{name}: no invoice stored twice");
    }
    wait_for("the reminders", Duration::from_secs(60), &[&b], || {
        exchange.messages().len() >= 6
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(exchange.messages().len(), 6, "each reminder once");
    assert!(
        exchange.transactions().len() <= 7,
        "at most one repeated transaction, from the killed instance"
    );
    // The vendors' invoices have no customer records with addresses: letters, each filed once.
    wait_for(
        "every action delivered",
        Duration::from_secs(60),
        &[&b],
        || {
            store
                .outbox(None)
                .is_ok_and(|o| o.iter().all(|e| e.delivered_at.is_some()))
        },
    );
    let outbox = store.outbox(None).expect("outbox");
    let emails = outbox
        .iter()
        .filter(|e| e.action.channel.as_str() == "email")
        .count();
    assert_eq!(emails, 6);
    let letter_actions = outbox
        .iter()
        .filter(|e| e.action.channel.as_str() == "letter")
        .count();
    let letters = std::fs::read_dir(home.path().join("letters")).map_or(0, |d| d.count());
    assert_eq!(letters, letter_actions, "one letter per letter action");

    // The letters live in the shared store too: another home on the same database (another
    // machine, without the filed copies) gives each one's text, the same as the file.
    let other = TestHome::new();
    configure(&other, &schema, exchange.port, 3);
    let letter = outbox
        .iter()
        .find(|e| e.action.channel.as_str() == "letter")
        .expect("a letter");
    let filed = std::fs::read_dir(home.path().join("letters"))
        .expect("letters")
        .filter_map(Result::ok)
        .find(|f| f.file_name().to_string_lossy().contains(&letter.action.key))
        .expect("its file");
    let text = std::fs::read_to_string(filed.path()).expect("letter file");
    let printed = other.ok(&["letters", &letter.action.key[..20]]);
    assert_eq!(printed.trim_end(), text.trim_end());
    assert!(!other.path().join("letters").exists());
    let listed = other.ok(&["letters"]);
    assert!(listed.contains(&letter.action.key), "{listed}");
    let (status, body) = b.request(
        "GET",
        &format!("/api/v1/letters/{}", letter.action.key),
        Some(READER),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.trim_end(), text.trim_end());
    let (status, _) = b.request("GET", "/api/v1/letters/no-such-letter", Some(READER), None);
    assert_eq!(status, 404);
}

impl Serve {
    fn start_env(home: &TestHome, instance: &str, env: &[(&str, &str)]) -> Serve {
        let mut command =
            home.command(&["serve", "--listen", "127.0.0.1:0", "--instance", instance]);
        command
            .env("CREDENCE_NOW", NOW)
            .env("E2E_ADMIN_TOKEN", ADMIN);
        for (k, v) in env {
            command.env(k, v);
        }
        Serve::launch(command, home.path().join(format!("serve-{instance}.log")))
    }

    /// Start `command` (a `credence … serve --listen 127.0.0.1:0`), logging to `log`, and read
    /// the port from the line it prints first.
    fn launch(mut command: Command, log: PathBuf) -> Serve {
        command
            .env("RUST_LOG", "credence=info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        let mut child = command.spawn().expect("start credence serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("read the first line");
        let port = first
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "no address in {first:?}; log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        Serve {
            child,
            port,
            log,
            _stdout: stdout,
        }
    }
}

/// The fenced block of `language` that follows `heading` in the README.
fn readme_block(heading: &str, language: &str) -> String {
    let readme = std::fs::read_to_string(repo("README.md")).expect("README.md");
    let section = &readme[readme.find(heading).expect("the section")..];
    let fence = format!("```{language}\n");
    let start = section.find(&fence).expect("the block") + fence.len();
    section[start..start + section[start..].find("```").expect("its end")].to_string()
}

#[test]
fn the_readme_server_section_works_as_written() {
    let schema = Schema::new("readme");
    let home = TestHome::new();
    home.add_csv_connection("shop", &repo("plugins/csv/sample"));
    // The README's configuration, on this machine's database and a schema of the test's own.
    let written = readme_block("## Running it as a service", "toml");
    let mut ours: toml_edit::DocumentMut = written.parse().expect("the README's TOML parses");
    ours["storage"]["postgres"] = toml_edit::value(postgres_url());
    ours["storage"]["postgres_schema"] = toml_edit::value(schema.name.as_str());
    let path = home.path().join("credence.toml");
    let mut config: toml_edit::DocumentMut = std::fs::read_to_string(&path)
        .expect("config")
        .parse()
        .expect("toml");
    config.remove("storage");
    config.remove("server");
    std::fs::write(&path, config.to_string() + &ours.to_string()).expect("config");

    let commands = readme_block("## Running it as a service", "sh");
    let serve_line = commands
        .lines()
        .find(|l| l.contains(" serve"))
        .expect("the serve command");
    assert!(serve_line.contains("--log-format json"), "{serve_line}");
    let admin = "readme-admin-token-0123456789";
    let dashboard = "readme-dashboard-token-0123456789";
    let mut command = home.command(&["--log-format", "json", "serve", "--listen", "127.0.0.1:0"]);
    command
        .env("CREDENCE_ADMIN_TOKEN", admin)
        .env("CREDENCE_DASHBOARD_TOKEN", dashboard);
    let mut serve = Serve::launch(command, home.path().join("serve.log"));
    wait_for("the first sync", Duration::from_secs(60), &[&serve], || {
        serve
            .request("GET", "/api/v1/customers/shop/C001", Some(dashboard), None)
            .0
            == 200
    });
    // Every curl line of the README, as written (the port is the test's).
    let mut ran = 0;
    for line in commands.lines().filter(|l| l.starts_with("curl ")) {
        let method = if line.contains("-X POST") {
            "POST"
        } else {
            "GET"
        };
        let token = if line.contains("$CREDENCE_ADMIN_TOKEN") {
            Some(admin)
        } else if line.contains("$CREDENCE_DASHBOARD_TOKEN") {
            Some(dashboard)
        } else {
            None
        };
        let path = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("localhost:8640"))
            .expect("a URL");
        let (status, body) = serve.request(method, path, token, None);
        assert!((200..300).contains(&status), "{line}: {status} {body}");
        ran += 1;
    }
    assert!(ran >= 5, "{ran} curl lines");
    serve.signal("-TERM");
    assert!(
        serve
            .wait_exit(Duration::from_secs(20))
            .is_some_and(|s| s.success())
    );
    let log = serve.log();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.iter().any(|l| l.contains("sync finished")),
        "a line per sync:\n{log}"
    );
    for l in lines {
        serde_json::from_str::<serde_json::Value>(l)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}"));
    }
}

#[test]
fn a_rate_limited_connection_waits_as_told_while_the_others_sync() {
    use credence_fakes::faults::Fault;
    let schema = Schema::new("limits");
    let exchange = Exchange::start(Duration::ZERO);
    let xero = credence_fakes::xero::XeroSandbox::generated(50, "tok", "t");
    // A Retry-After longer than the host waits inside a call reaches the plugin as a rate limit.
    xero.faults().push([Fault::TooManyRequests {
        retry_after_seconds: 300,
    }]);
    let vendor = Server::start(xero.router());
    let home = TestHome::new();
    home.add_csv_connection("shop", &repo("plugins/csv/sample"));
    home.install(&["xero"]);
    home.ok(&[
        "connection",
        "add",
        "books",
        "--plugin",
        "xero",
        "--set",
        &format!("base_url={}/api.xro/2.0", vendor.url()),
        "--set",
        "tenant_id=t",
        "--secret",
        "access_token=XERO_TOKEN",
    ]);
    configure(&home, &schema, exchange.port, 30);
    let serve = Serve::start_env(&home, "solo", &[("XERO_TOKEN", "tok")]);
    let store = schema.store();
    let job = |name: &str| {
        store
            .schedule()
            .ok()
            .and_then(|jobs| jobs.into_iter().find(|j| j.job == name))
    };
    wait_for(
        "both connections to have run",
        Duration::from_secs(60),
        &[&serve],
        || {
            ["shop", "books"]
                .iter()
                .all(|c| job(c).is_some_and(|j| j.last_finished.is_some()))
        },
    );
    let books = job("books").expect("books");
    assert_eq!(
        books.failures, 0,
        "a rate limit is not a failure: {books:?}"
    );
    assert!(
        books
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("retry after 300 s")),
        "{books:?}"
    );
    let finished =
        chrono::DateTime::parse_from_rfc3339(books.last_finished.as_deref().unwrap_or_default())
            .expect("time");
    let due = chrono::DateTime::parse_from_rfc3339(&books.next_due).expect("time");
    let wait = (due - finished).num_seconds();
    assert!(
        (299..=331).contains(&wait),
        "waits as told (+ jitter 0): {wait} s"
    );
    let shop = job("shop").expect("shop");
    assert_eq!((shop.failures, shop.last_error), (0, None));
    let (_, metrics) = serve.request("GET", "/metrics", Some(READER), None);
    assert!(
        metrics.contains("credence_limits_hit_total{connection=\"books\",kind=\"rate-limited\"} 1"),
        "{metrics}"
    );
}

#[test]
fn sigterm_mid_sync_stops_after_the_page_in_hand_and_the_next_start_resumes() {
    const INVOICES: usize = 1_500;
    let schema = Schema::new("term");
    let exchange = Exchange::start(Duration::ZERO);
    let vendor = Server::start(
        credence_fakes::example::Vendor::new(INVOICES, "tok")
            .with_latency(Duration::from_millis(300))
            .router(),
    );
    let home = TestHome::new();
    home.add_example_connection("vendor", &vendor.url(), "VENDOR_TOKEN");
    configure(&home, &schema, exchange.port, 30);
    let store = schema.store();
    let mut first = Serve::start_env(&home, "first", &[("VENDOR_TOKEN", "tok")]);
    wait_for(
        "pages committed",
        Duration::from_secs(60),
        &[&first],
        || {
            store
                .cursor("vendor", "invoices")
                .is_ok_and(|c| c.is_some_and(|c| !c.complete))
        },
    );
    let asked = Instant::now();
    first.signal("-TERM");
    let status = first
        .wait_exit(Duration::from_secs(10))
        .expect("stops within a page");
    assert!(status.success(), "{status:?}\n{}", first.log());
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    let job = store
        .schedule()
        .expect("schedule")
        .into_iter()
        .find(|j| j.job == "vendor")
        .expect("the job");
    assert_eq!(job.holder, None, "the lease is given back");
    assert_eq!(job.failures, 0, "a stop is not a failure");
    let stored = store.records(RecordKind::Invoice).expect("records").len();
    assert!(
        0 < stored && stored < INVOICES,
        "{stored} stored before the stop"
    );

    // The next start resumes at once from the last committed page.
    let second = Serve::start_env(&home, "second", &[("VENDOR_TOKEN", "tok")]);
    wait_for(
        "the sync to finish",
        Duration::from_secs(90),
        &[&second],
        || all_synced(store.as_ref(), &["vendor".to_string()]),
    );
    let versions = store
        .versions(
            RecordKind::Invoice,
            chrono::Utc::now() + chrono::Duration::days(365),
        )
        .expect("versions");
    assert_eq!(
        store.records(RecordKind::Invoice).expect("records").len(),
        INVOICES
    );
    assert_eq!(
        versions.len(),
        INVOICES,
        "nothing read twice was stored twice"
    );
}

/// Hostile plugins under `credence serve`: one that sleeps through every call and one that
/// echoes its injected secret run beside a good connection. The good one syncs; the API shows
/// each failure with its limit and no secret value; SIGTERM, sent while the sleeping plugin is
/// in a call, ends the service within its drain time.
#[test]
fn hostile_plugins_are_contained_under_serve_and_sigterm_still_ends_it() {
    use crate::hostile;
    let schema = Schema::new("hostile");
    let exchange = Exchange::start(Duration::ZERO);
    let books = Server::start(credence_fakes::example::router(30, "tok"));
    let vendor = hostile::hostile_vendor(std::sync::Arc::default());
    let home = TestHome::new();
    home.install(&["test-hostile"]);
    home.add_example_connection("books", &books.url(), "BOOKS_TOKEN");
    let folder = hostile::granted_folder(home.path());
    let modes = hostile::LIMIT_CASES
        .iter()
        .map(|(mode, _, _)| *mode)
        .chain(["echo-bearer", "misplace-secret", "duplicate-ids"]);
    for mode in modes {
        hostile::add_hostile(&home, mode, &vendor.url(), &folder);
    }
    configure(&home, &schema, exchange.port, 30);
    let path = home.path().join("credence.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        config.replace(
            "deliver_every_s = 1\n",
            "deliver_every_s = 1\ndrain_s = 5\n",
        ),
    )
    .expect("config");
    let store = schema.store();
    let mut serve = Serve::start_env(&home, "hostile", &hostile::SECRETS_ENV);
    wait_for(
        "the good connection and the echo to sync",
        Duration::from_secs(60),
        &[&serve],
        || {
            all_synced(
                store.as_ref(),
                &["books".to_string(), "hostile-echo-bearer".to_string()],
            )
        },
    );
    wait_for(
        "the sleeping plugin to be stopped",
        Duration::from_secs(60),
        &[&serve],
        || {
            store.schedule().is_ok_and(|jobs| {
                jobs.iter()
                    .any(|j| j.job == "hostile-sleep" && j.failures > 0 && j.holder.is_none())
            })
        },
    );
    let connections = serve.json("/api/v1/connections");
    let sleeping = connections["connections"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == "hostile-sleep")
        .cloned()
        .expect("listed");
    assert!(
        sleeping["schedule"]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("wall-clock limit of 3 s per call hit")
                && e.contains("connection hostile-sleep")),
        "{sleeping}"
    );
    let customers = serve.json("/api/v1/customers");
    assert!(
        customers.to_string().contains("[REDACTED]"),
        "the echo was stored, scrubbed"
    );

    // Ask for the sleeping plugin again, and stop the service while it sleeps.
    let (status, body) = serve.request(
        "POST",
        "/api/v1/connections/hostile-sleep/sync",
        Some(ADMIN),
        None,
    );
    assert_eq!(status, 202, "{body}");
    wait_for(
        "the sleeping plugin's call",
        Duration::from_secs(20),
        &[&serve],
        || {
            store.schedule().is_ok_and(|jobs| {
                jobs.iter()
                    .any(|j| j.job == "hostile-sleep" && j.holder.is_some())
            })
        },
    );
    let asked = Instant::now();
    serve.signal("-TERM");
    let status = serve
        .wait_exit(Duration::from_secs(15))
        .unwrap_or_else(|| panic!("SIGTERM did not end the service\n{}", serve.log()));
    assert!(status.success(), "{status:?}");
    assert!(
        asked.elapsed() < Duration::from_secs(7),
        "ended within drain_s: {:?}",
        asked.elapsed()
    );

    let mut everything = vec![serve.log(), connections.to_string(), customers.to_string()];
    for job in store.schedule().expect("schedule") {
        everything.push(format!("{job:?}"));
    }
    // The whole store, as the database holds it.
    let dump = Command::new("pg_dump")
        .args([&postgres_url(), "--data-only", "--schema", &schema.name])
        .output()
        .expect("pg_dump");
    assert!(dump.status.success(), "{}", text(&dump.stderr));
    let dump = text(&dump.stdout);
    assert!(
        dump.contains("[REDACTED]"),
        "the dump holds the scrubbed echo"
    );
    everything.push(dump);
    let all = everything.join("\n");
    for form in hostile::leaked_forms() {
        assert!(!all.contains(&form), "secret form {form:?} leaked");
    }
}
