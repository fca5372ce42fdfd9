//! Dunning through the CLI: `credence dunning --dry-run` previews messages in each customer's
//! language; `credence dunning` queues (once, however often it runs); `credence deliver` sends
//! e-mails to a real SMTP exchange on loopback, holds to a signed webhook and calls to
//! `credence tasks`; disputes and payment plans change what the next run plans; and a delivery
//! loop killed at random points delivers every message exactly once.

use crate::support::{Exchange, Server, TestHome, text};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

const NOW: &str = "2026-11-26T12:00:00Z";

fn repo(path: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("..")
        .join(path)
}

fn ok(home: &TestHome, args: &[&str]) -> String {
    home.ok_env(args, &[("CREDENCE_NOW", NOW)])
}

/// A home with the CSV export in `folder` synced as connection `shop`.
fn shop(folder: &Path) -> TestHome {
    let home = TestHome::new();
    home.add_csv_connection("shop", folder);
    ok(&home, &["sync"]);
    home
}

fn outbox(home: &TestHome) -> Vec<serde_json::Value> {
    let out = ok(home, &["outbox", "--json"]);
    serde_json::from_str::<serde_json::Value>(&out)
        .expect("outbox json")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn keys_by(entries: &[serde_json::Value], channel: &str) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e["action"]["channel"] == channel)
        .map(|e| e["action"]["key"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_dry_run_shows_the_messages_in_each_customers_language_and_queues_nothing() {
    let home = shop(&repo("plugins/csv/sample"));
    let out = ok(&home, &["dunning", "--dry-run"]);
    for expected in [
        "Sauf erreur de notre part, les factures suivantes restent impayées",
        "nach unseren Unterlagen sind die folgenden Rechnungen noch offen",
        "Σύμφωνα με τα στοιχεία μας",
        "Saskaņā ar mūsu datiem",
        "podle našich záznamů",
        "Conform evidențelor noastre",
        "why: F-2026-1002: 42 days overdue",
        "Dry run: nothing queued.",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
    assert!(outbox(&home).is_empty(), "a dry run queues nothing");

    let plan: serde_json::Value =
        serde_json::from_str(&ok(&home, &["dunning", "--dry-run", "--json"])).expect("json");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schemas/json/dunning-plan.schema.json")).expect("schema"),
    )
    .expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("schema");
    let errors: Vec<String> = validator
        .iter_errors(&plan)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(plan["as_of"], "2026-11-26");
}

#[test]
fn queued_actions_go_out_once_by_smtp_and_calls_become_tasks() {
    let home = shop(&repo("plugins/csv/sample"));
    let exchange = Exchange::start(Duration::ZERO);
    exchange.configure(&home);

    // Six e-mails, and four insurer notifications (the sample's large invoices and exposure).
    let first = ok(&home, &["dunning"]);
    assert!(
        first.contains("Queued 10 new action(s) for 2026-11-26"),
        "{first}"
    );
    let again = ok(&home, &["dunning"]);
    assert!(
        again.contains("Queued 0 new action(s)"),
        "planning twice queues once: {again}"
    );

    let delivered = ok(&home, &["deliver"]);
    assert!(
        delivered.contains("Delivered 10, retrying later 0, failed 0"),
        "{delivered}"
    );
    assert!(ok(&home, &["deliver"]).contains("Delivered 0"));
    let messages = exchange.messages();
    let emails = keys_by(&outbox(&home), "email");
    assert_eq!(emails.len(), 6);
    for key in &emails {
        let id = format!("<{key}@credence.invalid>");
        let message = messages
            .get(&id)
            .unwrap_or_else(|| panic!("{id} not delivered"));
        assert!(message.contains("Subject:"), "{message}");
    }
    let dupont = messages
        .values()
        .find(|m| m.contains("compta@atelier-dupont.example"))
        .expect("the French customer's message");
    assert!(dupont.contains("relance de paiement"), "{dupont}");
    assert_eq!(
        exchange.transactions().len(),
        6,
        "one SMTP transaction per message"
    );

    // Three days later: the call step (8 days after due) for those whose reminder went out.
    let later = [("CREDENCE_NOW", "2026-11-29T12:00:00Z")];
    let out = home.ok_env(&["dunning", "--deliver"], &later);
    assert!(out.contains("call"), "{out}");
    let tasks = home.ok_env(&["tasks"], &later);
    assert!(tasks.contains("Call Atelier Dupont"), "{tasks}");
    assert!(
        tasks.contains("Notify the credit insurer: Harbour Foods"),
        "insurer notifications are tasks, with their deadline: {tasks}"
    );
    let calls: Vec<String> = outbox(&home)
        .iter()
        .filter(|e| e["action"]["kind"] == "call")
        .map(|e| e["action"]["key"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(calls.len() >= 2, "{calls:?}");
    home.ok_env(
        &[
            "tasks",
            "done",
            &calls[0][..12],
            "--note",
            "will pay Friday",
        ],
        &later,
    );
    home.ok_env(
        &["tasks", "snooze", &calls[1], "--until", "2026-12-02"],
        &later,
    );
    let open = home.ok_env(&["tasks", "--json"], &later);
    assert!(
        !open.contains(&calls[0]) && !open.contains(&calls[1]),
        "{open}"
    );
    let after = home.ok_env(
        &["tasks", "--json"],
        &[("CREDENCE_NOW", "2026-12-02T09:00:00Z")],
    );
    assert!(
        after.contains(&calls[1]) && !after.contains(&calls[0]),
        "{after}"
    );
    let wrong = home.fails(&["tasks", "done", "no-such-task"]);
    assert!(wrong.contains("no task \"no-such-task\""), "{wrong}");
}

/// Runs `credence deliver` up to `runs` times, killing each with SIGKILL after a pseudo-random
/// delay unless it finished first; returns how many runs were killed.
fn deliver_with_kills(home: &TestHome, seed: u64, runs: usize) -> usize {
    let mut state = seed;
    let mut kills = 0;
    for _ in 0..runs {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(30 + (state >> 33) % 270);
        let mut child = home
            .command(&["deliver"])
            .env("CREDENCE_NOW", NOW)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn deliver");
        std::thread::sleep(delay);
        match child.try_wait().expect("wait") {
            Some(_) => return kills,
            None => {
                child.kill().expect("SIGKILL");
                child.wait().expect("reap");
                kills += 1;
            }
        }
    }
    kills
}

#[test]
fn a_delivery_loop_killed_at_random_points_delivers_each_message_exactly_once() {
    // 240 customers in seven languages, each with an overdue invoice.
    let dir = tempfile::tempdir().expect("tempdir");
    let languages = ["en", "fr", "de", "el", "lv", "cs", "ro"];
    let mut customers = String::from(
        "id,name,legal_name,vat_number,company_number,country,email,phone,language,currency,payment_terms_days,sales_rep,segment,credit_limit,updated_at\n",
    );
    let mut invoices = String::from(
        "id,number,customer_id,issue_date,due_date,currency,net,tax,total,outstanding,status,terms_days,discount_percent,discount_days,tax_rate,order_reference,updated_at\n",
    );
    for i in 0..240 {
        customers.push_str(&format!(
            "K{i:03},Customer {i},Customer {i} Ltd,,,,ap{i}@customer.example,,{},EUR,30,,,,2026-09-01T08:00:00Z\n",
            languages[i % languages.len()]
        ));
        invoices.push_str(&format!(
            "V{i:03},INV-{i:04},K{i:03},2026-09-01,2026-10-01,EUR,100.00,20.00,120.00,120.00,open,30,,,20,,2026-09-01T10:00:00Z\n"
        ));
    }
    std::fs::write(dir.path().join("customers.csv"), customers).expect("csv");
    std::fs::write(dir.path().join("invoices.csv"), invoices).expect("csv");
    let home = shop(dir.path());
    // A slow exchange: each message is filed 15 ms before its sender hears so, the window in
    // which a kill leaves the sender unsure.
    let exchange = Exchange::start(Duration::from_millis(15));
    exchange.configure(&home);
    let queued = ok(&home, &["dunning"]);
    assert!(queued.contains("Queued 240 new action(s)"), "{queued}");

    let kills = deliver_with_kills(&home, 7, 10);
    assert!(kills >= 3, "the loop was killed mid-run ({kills} kills)");
    let last = ok(&home, &["deliver"]);
    assert!(last.contains("failed 0"), "{last}");

    let entries = outbox(&home);
    assert!(
        entries.iter().all(|e| e["status"] == "delivered"),
        "everything delivered"
    );
    let keys = keys_by(&entries, "email");
    assert_eq!(keys.len(), 240);
    let messages = exchange.messages();
    assert_eq!(
        messages.len(),
        240,
        "each message is in the mailbox once, none lost"
    );
    for key in &keys {
        assert!(
            messages.contains_key(&format!("<{key}@credence.invalid>")),
            "{key} lost"
        );
    }
    // A transaction is repeated only for the message a killed run was sending: at most one
    // per kill, always under the same Message-ID (the exchange keeps the first copy).
    let transactions = exchange.transactions();
    let repeats = transactions.len() - 240;
    assert!(
        repeats <= kills,
        "{repeats} repeated transactions for {kills} kills"
    );
    let distinct: std::collections::BTreeSet<&String> = transactions.iter().collect();
    assert_eq!(
        distinct.len(),
        240,
        "no transaction outside the outbox's messages"
    );
}

#[test]
fn holds_and_hand_offs_go_to_a_signed_webhook_and_failures_are_retried() {
    use axum::http::{HeaderMap, StatusCode};
    use std::sync::{Arc, Mutex};
    let home = shop(&repo("plugins/csv/sample"));
    type Posts = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;
    let received: Posts = Arc::default();
    let calls = Arc::new(Mutex::new(0usize));
    let sink = received.clone();
    let router = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let sink = sink.clone();
            let calls = calls.clone();
            async move {
                let mut n = calls.lock().expect("lock");
                *n += 1;
                if *n == 1 {
                    return StatusCode::SERVICE_UNAVAILABLE; // The first attempt fails.
                }
                sink.lock().expect("lock").push((headers, body.to_vec()));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let server = Server::start(router);
    home.append_config(&format!(
        "\n[delivery.webhook]\nurl = \"{}/hooks\"\nsecret_env = \"TEST_HOOK_SECRET\"\n",
        server.url()
    ));
    // A ladder of one step: hold everything overdue.
    one_step_ladder(
        &home,
        "code = \"hold\"\naction = \"hold\"\nafter = \"due\"\ndays = 1\n",
    );

    // The first retry waits a second of real time.
    home.set_delivery("retry_after_s", "1");
    let env = [("CREDENCE_NOW", NOW), ("TEST_HOOK_SECRET", "s3cret")];
    let out = home.run_env(&["dunning", "--deliver"], &env);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an action not delivered is an error"
    );
    assert!(
        text(&out.stdout).contains("retrying later 1"),
        "the 503 is retried later: {}",
        text(&out.stdout)
    );
    std::thread::sleep(Duration::from_millis(1500));
    let out = home.ok_env(&["deliver"], &env);
    assert!(out.contains("failed 0"), "{out}");
    let received = received.lock().expect("lock");
    let entries = outbox(&home);
    let hooks = keys_by(&entries, "webhook");
    assert_eq!(received.len(), hooks.len(), "each hold posted once");
    assert!(hooks.len() >= 6, "{hooks:?}");
    for (headers, body) in received.iter() {
        use hmac::Mac;
        let key = headers["idempotency-key"].to_str().expect("key");
        assert!(hooks.iter().any(|h| h == key), "{key}");
        let signature = headers["credence-signature"].to_str().expect("signature");
        let (t, v1) = signature
            .strip_prefix("t=")
            .and_then(|s| s.split_once(",v1="))
            .expect("t=..,v1=..");
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").expect("hmac");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            v1,
            "signature of {key}"
        );
        let event: serde_json::Value = serde_json::from_slice(body).expect("json");
        assert_eq!(event["event"], "dunning.hold");
    }
    let missing = home.run_env(&["deliver"], &[("CREDENCE_NOW", NOW)]);
    assert!(
        text(&missing.stderr).contains("TEST_HOOK_SECRET"),
        "a missing secret is named: {}",
        text(&missing.stderr)
    );
}

#[test]
fn disputes_and_payment_plans_change_what_the_next_run_plans() {
    let home = shop(&repo("plugins/csv/sample"));
    let out = ok(
        &home,
        &[
            "dispute",
            "F-2026-1002",
            "--reason",
            "goods damaged",
            "--by",
            "Claire",
        ],
    );
    assert!(
        out.contains("Dispute 1 recorded on invoice F-2026-1002"),
        "{out}"
    );
    let preview = ok(&home, &["dunning", "--dry-run"]);
    assert!(
        preview.contains("F-2026-1002: disputed since 2026-11-26 by Claire: goods damaged"),
        "{preview}"
    );
    assert!(
        preview.contains("why: F-2026-1003: 7 days overdue"),
        "{preview}"
    );
    ok(&home, &["dispute", "--resolve", "1"]);
    assert!(ok(&home, &["dunning", "--dry-run"]).contains("why: F-2026-1002: 42 days overdue"));
    let unknown = home.fails(&["dispute", "F-9999", "--reason", "x", "--by", "y"]);
    assert!(unknown.contains("no invoice \"F-9999\""), "{unknown}");

    let out = ok(
        &home,
        &[
            "payment-plan",
            "shop/C002",
            "--currency",
            "EUR",
            "--instalment",
            "2026-12-15=14280",
            "--instalment",
            "2027-01-15=22015",
            "--invoice",
            "F-2026-1004",
            "--invoice",
            "F-2026-1005",
            "--by",
            "Jonas",
        ],
    );
    assert!(
        out.contains("2 instalment(s), EUR 36295.00 in all"),
        "{out}"
    );
    let preview = ok(&home, &["dunning", "--dry-run"]);
    assert!(
        !preview
            .lines()
            .any(|l| l.starts_with("Müller Maschinenbau ") && !l.contains("insure-")),
        "the plan took C002 off the ladder (its insurer notifications stay):\n{preview}"
    );
    let december = ok(&home, &["dunning", "--dry-run", "--as-of", "2026-12-20"]);
    assert!(
        december.contains("P1-1/2"),
        "the first instalment is chased:\n{december}"
    );
    let bad = home.fails(&[
        "payment-plan",
        "shop/C002",
        "--currency",
        "EUR",
        "--instalment",
        "soon=5",
        "--by",
        "x",
    ]);
    assert!(
        bad.contains("write DATE=AMOUNT") || bad.contains("is not a date"),
        "{bad}"
    );
}

/// A port on loopback where nothing listens: a relay that is down.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn point_smtp_at(home: &TestHome, port: u16) {
    let path = home.path().join("credence.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    let config = match config.find("\n[delivery.smtp]\n") {
        Some(at) => config[..at].to_string(),
        None => config,
    };
    std::fs::write(&path, config).expect("config");
    home.append_config(&format!(
        "\n[delivery.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntimeout_s = 5\n"
    ));
}

#[test]
fn deliver_fails_while_the_relay_is_down_and_retries_after_the_backoff_in_real_time() {
    let home = shop(&repo("plugins/csv/sample"));
    // The business clock stays pinned at NOW throughout; only real time passes.
    home.set_delivery("retry_after_s", "3");
    point_smtp_at(&home, closed_port());
    ok(&home, &["dunning"]);

    let down = home.run_env(&["deliver"], &[("CREDENCE_NOW", NOW)]);
    let (stdout, stderr) = (text(&down.stdout), text(&down.stderr));
    assert_eq!(
        down.status.code(),
        Some(2),
        "every e-mail failed, so deliver fails:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("retrying later 6"), "{stdout}");
    assert!(
        stderr.contains("6 action(s) could not be delivered this run")
            && stderr.contains("credence deliver"),
        "says how many and what to do: {stderr}"
    );

    // The relay comes up; the retries are not due until the backoff has passed in real time.
    let exchange = Exchange::start(Duration::ZERO);
    point_smtp_at(&home, exchange.port);
    let early = ok(&home, &["deliver"]);
    assert!(
        early.contains("Delivered 0, retrying later 0, failed 0"),
        "nothing due yet, and that is not an error: {early}"
    );
    std::thread::sleep(Duration::from_secs(4));
    let retried = ok(&home, &["deliver"]);
    assert!(
        retried.contains("Delivered 6, retrying later 0, failed 0"),
        "retried once the wait elapsed, with CREDENCE_NOW still pinned: {retried}"
    );
    assert_eq!(exchange.messages().len(), 6);
    let entries = outbox(&home);
    assert!(entries.iter().all(|e| e["status"] == "delivered"));
    // Business stamps keep the business clock.
    assert!(
        entries
            .iter()
            .filter(|e| e["action"]["channel"] == "email")
            .all(|e| e["delivered_at"]
                .as_str()
                .is_some_and(|d| d.starts_with("2026-11-26"))),
        "{entries:?}"
    );
}

#[test]
fn a_ledger_carrying_a_customers_vat_number_does_not_take_over_its_reminders_or_limit() {
    let home = shop(&repo("plugins/csv/sample"));
    // Another connection (named to sort first) with Atelier Dupont's VAT number, its own
    // address and a limit of EUR 1.
    let other = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        other.path().join("customers.csv"),
        "id,name,vat_number,country,email,credit_limit,currency\n\
         X1,Atelier Dupont,FR40303265045,FR,pay@attacker.example,1,EUR\n",
    )
    .expect("write");
    home.add_csv_connection("aaa", other.path());
    ok(&home, &["sync"]);

    let plan: serde_json::Value =
        serde_json::from_str(&ok(&home, &["dunning", "--dry-run", "--json"])).expect("json");
    let recipients: Vec<&str> = plan["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["customer_name"] == "Atelier Dupont" && a["channel"] == "email")
        .filter_map(|a| a["recipient"].as_str())
        .collect();
    assert!(!recipients.is_empty(), "{plan}");
    assert!(
        recipients
            .iter()
            .all(|r| *r == "compta@atelier-dupont.example"),
        "reminders still go to the customer's own address: {recipients:?}"
    );

    let account: serde_json::Value =
        serde_json::from_str(&ok(&home, &["customer", "shop/C001", "--json"])).expect("json");
    assert_eq!(account["speaker"]["connection"], "shop", "{account}");
    assert_eq!(account["speaker"]["because"], "open-invoices");
    let conflicts = account["contact_conflicts"].as_array().expect("conflicts");
    let fields: Vec<&str> = conflicts
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(fields, ["email", "credit-limit"], "{account}");
    assert_eq!(conflicts[0]["other"], "aaa/X1");
    assert_eq!(conflicts[0]["used"], "compta@atelier-dupont.example");
    let human = ok(&home, &["customer", "shop/C001"]);
    assert!(
        human.contains("CONFLICT email: aaa/X1 gives pay@attacker.example"),
        "{human}"
    );

    let decisions: serde_json::Value =
        serde_json::from_str(&ok(&home, &["evaluate", "--json"])).expect("json");
    let dupont = decisions["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .find(|d| d["name"] == "Atelier Dupont")
        .cloned()
        .expect("Atelier Dupont");
    // The sample's Atelier Dupont is 42 days overdue (its own hold); the limit is its ledger's.
    assert_eq!(dupont["limit"], "20000.00", "{dupont}");
    let codes: Vec<&str> = dupont["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["code"].as_str())
        .collect();
    assert!(codes.contains(&"contact-conflict"), "{dupont}");
}

#[test]
fn a_delivered_hold_holds_the_credit_state_until_a_person_releases_it() {
    let home = shop(&repo("plugins/csv/sample"));
    // A ladder of one step: hold everything overdue (a task, no webhook).
    one_step_ladder(
        &home,
        "code = \"hold\"\naction = \"hold\"\nafter = \"due\"\ndays = 1\n",
    );
    assert!(ok(&home, &["hold", "list"]).contains("No customer is on a credit hold"));

    ok(&home, &["dunning", "--deliver"]);
    let held: serde_json::Value =
        serde_json::from_str(&ok(&home, &["hold", "list", "--json"])).expect("json");
    let held = held.as_array().cloned().unwrap_or_default();
    assert!(held.len() >= 3, "{held:?}");
    for h in &held {
        // At least hold: a stricter state from the policy's rules stays.
        assert!(
            ["hold", "cash-only", "blocked-new"].contains(&h["state"].as_str().unwrap_or_default()),
            "{h}"
        );
    }
    let account = held[0]["account"].as_str().expect("account").to_string();
    let tasks = ok(&home, &["tasks"]);
    assert!(
        tasks.contains("until the invoices below are paid or a person releases the hold"),
        "{tasks}"
    );

    let bad = home.fails(&[
        "hold",
        "release",
        "shop/NOPE",
        "--by",
        "Jo",
        "--reason",
        "paid",
    ]);
    assert!(bad.contains("no customer \"shop/NOPE\""), "{bad}");
    let out = ok(
        &home,
        &[
            "hold",
            "release",
            &account,
            "--by",
            "Jo (credit manager)",
            "--reason",
            "cleared by phone",
        ],
    );
    assert!(out.contains("Hold release 1 recorded"), "{out}");
    let eval: serde_json::Value =
        serde_json::from_str(&ok(&home, &["evaluate", "--json"])).expect("evaluation");
    let decision = eval["customers"]
        .as_array()
        .and_then(|list| list.iter().find(|d| d["account"] == account.as_str()))
        .expect("the released account");
    let codes: Vec<&str> = decision["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(!codes.contains(&"credit-hold"), "{codes:?}");
    assert!(
        decision["alerts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["code"] == "hold-released"
                && a["sentence"]
                    .as_str()
                    .is_some_and(|s| s.contains("Jo (credit manager)")))),
        "{decision}"
    );
    let still: serde_json::Value =
        serde_json::from_str(&ok(&home, &["hold", "list", "--json"])).expect("json");
    assert_eq!(
        still.as_array().map(Vec::len),
        Some(held.len() - 1),
        "the others stay on hold"
    );
}

/// Replace the home policy's ladder with one step (TOML of a `[[dunning.steps]]` entry).
fn one_step_ladder(home: &TestHome, step: &str) {
    let path = home.path().join("policy.toml");
    let mut policy: toml::Table =
        toml::from_str(&std::fs::read_to_string(&path).expect("policy")).expect("policy toml");
    let step: toml::Table = toml::from_str(step).expect("step");
    policy
        .get_mut("dunning")
        .and_then(|d| d.as_table_mut())
        .expect("dunning section")
        .insert(
            "steps".into(),
            toml::Value::Array(vec![toml::Value::Table(step)]),
        );
    std::fs::write(&path, toml::to_string(&policy).expect("toml")).expect("policy");
}

/// A ladder of one step: a final notice with interest and compensation the day after the due date.
fn final_notice_only(home: &TestHome) {
    one_step_ladder(
        home,
        "code = \"final-notice\"\naction = \"email\"\nafter = \"due\"\ndays = 1\ncharge = [\"interest\", \"compensation\"]\n",
    );
}

#[test]
fn interest_waits_for_a_missing_reference_rate_until_law_update_fetches_it() {
    let home = shop(&repo("plugins/csv/sample"));
    final_notice_only(&home);
    // The built-in ECB table ends with the period from 2026-01-01; Atelier Dupont's invoice
    // (due 15 October 2026) needs the rate from 1 July 2026.
    let before = ok(&home, &["dunning", "--dry-run"]);
    assert!(
        before.contains(
            "F-2026-1002: the final-notice step waits: the ECB main refinancing operations rate for the period from 2026-07-01 is not in the rate table yet"
        ),
        "{before}"
    );
    assert!(!before.contains("Atelier Dupont final-notice"), "{before}");

    // Local stand-ins for the publishers, in their formats. The values are test data.
    let router = axum::Router::new()
        .route(
            "/ecb",
            axum::routing::get(|| async {
                "KEY,FREQ,TIME_PERIOD,OBS_VALUE\nFM.B.U2.EUR.4F.KR.MRR_FR.LEV,B,2025-06-11,2.15\nFM.B.U2.EUR.4F.KR.MRR_FR.LEV,B,2026-06-10,1.90\n"
            }),
        )
        .route(
            "/boe",
            axum::routing::get(|| async { "DATE,IUDBEDR\n18 Dec 2025,3.75\n" }),
        )
        .route(
            "/cnb",
            axum::routing::get(|| async { "VALID_FROM|CNB_REPO_RATE_IN_%\n20250502|3,50\n" }),
        );
    let server = Server::start(router);
    let url = |series: &str, path: &str| format!("{series}={}{path}", server.url());
    let (ecb, boe, cnb) = (
        url("ecb-mro", "/ecb"),
        url("uk-bank-rate", "/boe"),
        url("cz-cnb-repo", "/cnb"),
    );
    let update: Vec<&str> = vec![
        "law",
        "update",
        "ecb-mro",
        "uk-bank-rate",
        "cz-cnb-repo",
        "--url",
        &ecb,
        "--url",
        &boe,
        "--url",
        &cnb,
    ];
    let dry = ok(&home, &[update.as_slice(), &["--dry-run"]].concat());
    assert!(dry.contains("Dry run: nothing written."), "{dry}");
    assert!(!home.path().join("law-rates.toml").exists());
    let out = ok(&home, &update);
    let squeezed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "ecb-mro 2026-07-01 (missing) 1.90 %",
        "uk-bank-rate 2026-07-01 (missing) 3.75 %",
        "cz-cnb-repo 2026-07-01 (missing) 3.50 %",
    ] {
        assert!(squeezed.contains(expected), "{expected:?} in {out}");
    }
    let saved = std::fs::read_to_string(home.path().join("law-rates.toml")).expect("written");
    assert!(
        saved.contains(&format!("source = \"{}/ecb\"", server.url())),
        "{saved}"
    );
    assert!(saved.contains("fetched = \"2026-11-26\""), "{saved}");

    // The notice goes out with the fetched rate, explained.
    let after = ok(&home, &["dunning", "--dry-run", "--json"]);
    let plan: serde_json::Value = serde_json::from_str(&after).expect("plan");
    let dupont = plan["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["customer_name"] == "Atelier Dupont"))
        .expect("Atelier Dupont's notice");
    let explained = dupont["charges"].to_string();
    assert!(
        explained.contains("rate 1.90 % from 2026-07-01"),
        "{explained}"
    );
    // Nothing new the second time; a publisher out of reach is named, and exits 1.
    assert!(ok(&home, &["law", "update", "ecb-mro", "--url", &ecb]).contains("up to date"));
    let gone = home.run_env(
        &[
            "law",
            "update",
            "ecb-mro",
            "--url",
            &format!("ecb-mro=http://127.0.0.1:{}/x", closed_port()),
        ],
        &[("CREDENCE_NOW", NOW)],
    );
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        text(&gone.stdout).contains("not updated: European Central Bank: cannot reach"),
        "{}",
        text(&gone.stdout)
    );
}
