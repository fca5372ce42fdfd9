//! End-to-end sync cost (see BENCHMARKS.md): 100,000 invoices from the example vendor sandbox
//! over loopback HTTP, mapped in the wasm connector, validated and stored in SQLite; then a
//! re-sync after 1 % of them changed, which an incremental connector reads alone.
//!
//! Run with `cargo bench -p credence --bench resync` after `cargo xtask plugins`.

use credence_app::sync::sync_connection;
use credence_fakes::example::Vendor;
use credence_runtime::bindings::types::{ConfigEntry, ConfigValue};
use credence_runtime::grants::{Grants, SecretScheme};
use credence_runtime::limits::Limits;
use credence_runtime::{Clock, JobContext, PluginKind, Runtime};
use credence_store::sqlite::SqliteStore;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const INVOICES: usize = 100_000;

fn job(base_url: &str) -> JobContext {
    let settings = [("base_url".to_string(), base_url.to_string())];
    let lookup = |k: &str| {
        settings
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    JobContext {
        plugin_id: "example-ledger".into(),
        connection: "books".into(),
        config: vec![
            ConfigEntry {
                key: "base_url".into(),
                value: ConfigValue::Text(base_url.into()),
            },
            ConfigEntry {
                key: "api_token".into(),
                value: ConfigValue::Secret("api_token".into()),
            },
        ],
        secrets: [("api_token".to_string(), "tok".to_string())].into(),
        grants: {
            let origins = ["{{config.base_url}}".to_string()];
            let mut grants = Grants::resolve(&origins, &[], &lookup, &[]).expect("grants");
            grants
                .bind_secret("api_token", SecretScheme::Bearer, &origins, &lookup)
                .expect("secret binding");
            grants
        },
        limits: Limits::default(),
        clock: Clock::System,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` probes; this benchmark only runs under `cargo bench`.
    }
    let wasm = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/plugins/example-ledger/example_ledger.wasm");
    let wasm = std::fs::read(&wasm)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask plugins` first", wasm.display()));
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio");
    let runtime = Runtime::new(Limits::default()).expect("runtime");
    let plugin = runtime
        .load_bytes("example-ledger", PluginKind::Ledger, &wasm)
        .expect("plugin");
    let vendor = Vendor::new(INVOICES, "tok").with_page_size(1_000);
    let (addr, _server) = tokio
        .block_on(credence_fakes::serve(vendor.router(), 0))
        .expect("serve");
    let base_url = format!("http://{addr}");
    let dir = tempfile::tempdir().expect("tempdir");

    let (mut full, mut resync) = (Vec::new(), Vec::new());
    for round in 0..3 {
        let mut store =
            SqliteStore::open(&dir.path().join(format!("round-{round}.db"))).expect("store");
        let started = Instant::now();
        let outcome = sync_connection(
            &plugin,
            job(&base_url),
            &mut store,
            tokio.handle().clone(),
            &mut |_, _| {},
        );
        full.push(started.elapsed());
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        assert_eq!(outcome.streams[0].counts.new as usize, INVOICES);

        let at = format!("2026-12-0{}T09:00:00Z", round + 1);
        for i in (0..INVOICES).step_by(100) {
            vendor.pay(i, &at);
        }
        let started = Instant::now();
        let outcome = sync_connection(
            &plugin,
            job(&base_url),
            &mut store,
            tokio.handle().clone(),
            &mut |_, _| {},
        );
        resync.push(started.elapsed());
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        let c = outcome.streams[0].counts;
        assert_eq!(
            (c.new, c.updated + c.unchanged),
            (0, (INVOICES / 100) as u64),
            "only the changed 1 % was read"
        );
    }
    let (full, resync) = (median(full), median(resync));
    println!(
        "full sync of {INVOICES} invoices: {:.2} s ({:.0} invoices/s)",
        full.as_secs_f64(),
        INVOICES as f64 / full.as_secs_f64()
    );
    println!(
        "re-sync after 1 % changed: {:.1} ms",
        resync.as_secs_f64() * 1000.0
    );
    println!(
        "re-sync / full sync: {:.1} %",
        100.0 * resync.as_secs_f64() / full.as_secs_f64()
    );
}
