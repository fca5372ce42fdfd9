//! Runtime benchmarks (see BENCHMARKS.md): instantiation, a no-op call, and a page of 1,000
//! vendor invoices decoded and mapped inside the plugin versus the same code compiled natively.
//!
//! Run with `cargo xtask bench` (builds the plugins first).

use credence_runtime::bindings::types::{ConfigEntry, ConfigValue};
use credence_runtime::grants::{Grants, SecretScheme};
use credence_runtime::limits::Limits;
use credence_runtime::{Clock, JobContext, PluginKind, Runtime};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn plugin_wasm(id: &str, file: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/plugins")
        .join(id)
        .join(file);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask plugins` first", path.display()))
}

fn job(id: &str, base_url: &str, extra: &[(&str, &str)]) -> JobContext {
    let settings = [("base_url".to_string(), base_url.to_string())];
    let lookup = |k: &str| {
        settings
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let mut config = vec![
        ConfigEntry {
            key: "base_url".into(),
            value: ConfigValue::Text(base_url.into()),
        },
        ConfigEntry {
            key: "api_token".into(),
            value: ConfigValue::Secret("api_token".into()),
        },
    ];
    config.extend(extra.iter().map(|(k, v)| ConfigEntry {
        key: k.to_string(),
        value: ConfigValue::Text(v.to_string()),
    }));
    JobContext {
        plugin_id: id.into(),
        connection: "bench".into(),
        config,
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

fn benches(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio");
    let runtime = Runtime::new(Limits::default()).expect("runtime");
    let noop = runtime
        .load_bytes(
            "test-panic",
            PluginKind::Ledger,
            &plugin_wasm("test-panic", "test_panic.wasm"),
        )
        .expect("plugin");
    let example = runtime
        .load_bytes(
            "example-ledger",
            PluginKind::Ledger,
            &plugin_wasm("example-ledger", "example_ledger.wasm"),
        )
        .expect("plugin");

    let (addr, _server) = tokio
        .block_on(credence_fakes::serve(
            credence_fakes::example::router_with_page_size(1_000, "tok", 1_000),
            0,
        ))
        .expect("sandbox");
    let base_url = format!("http://{addr}");
    let handle = || tokio.handle().clone();

    c.bench_function("instantiate/test-panic", |b| {
        b.iter(|| {
            black_box(
                noop.session(job("test-panic", &base_url, &[]), handle())
                    .expect("session"),
            )
        })
    });
    c.bench_function("instantiate/example-ledger", |b| {
        b.iter(|| {
            black_box(
                example
                    .session(job("example-ledger", &base_url, &[]), handle())
                    .expect("session"),
            )
        })
    });

    let mut session = noop
        .session(job("test-panic", &base_url, &[]), handle())
        .expect("session");
    c.bench_function("call/no-op check", |b| {
        b.iter(|| session.check(black_box(&[])).expect("check"))
    });

    // The page body the plugin receives, fetched once for the native side.
    let body = tokio
        .block_on(async {
            let client = reqwest::Client::new();
            client
                .get(format!("{base_url}/invoices?page=0"))
                .bearer_auth("tok")
                .send()
                .await?
                .bytes()
                .await
        })
        .expect("page");
    let mut group = c.benchmark_group("page-1000-invoices");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("native map_page", |b| {
        b.iter(|| black_box(example_ledger::map_page(black_box(&body)).expect("map")))
    });
    let mut session = example
        .session(job("example-ledger", &base_url, &[]), handle())
        .expect("session");
    group.bench_function("wasm guest time (decode + map + return)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let page = session.read("invoices", None).expect("read");
                assert_eq!(page.records.len(), 1_000);
                total += session.last_guest_time();
            }
            total
        })
    });
    let mut session = example
        .session(job("example-ledger", &base_url, &[]), handle())
        .expect("session");
    group.bench_function("wasm end to end (HTTP over loopback included)", |b| {
        b.iter(|| black_box(session.read("invoices", None).expect("read")))
    });
    group.finish();

    // Scrubbing a job's secrets from that page, as the host does with every response when the
    // connection has secrets (three, of OAuth-token length), beside a plain copy of the bytes.
    let redactor = credence_runtime::redact::Redactor::new([
        "ya29.a0AfH6SMBx3f9a1c77e2b54d10a9c8b7e6d5f4a3b2c1d0e9f8",
        "pw-Zq8!x/+=secret-7781-longer-than-most",
        "key-1b2c3d4e5f60718293a4b5c6d7e8f901",
    ]);
    let mut group = c.benchmark_group("redact-page-1000-invoices");
    group.throughput(criterion::Throughput::Bytes(body.len() as u64));
    group.bench_function("copy only", |b| b.iter(|| black_box(body.to_vec())));
    group.bench_function("copy and scrub 3 secrets", |b| {
        b.iter(|| black_box(redactor.bytes(body.to_vec())))
    });
    group.finish();

    cli_startup(c, &runtime, &tokio);
}

/// `credence plugin list` / `inspect` as a user runs them, with 10 installed plugins.
fn cli_startup(c: &mut Criterion, runtime: &Runtime, tokio: &tokio::runtime::Runtime) {
    let home = std::env::temp_dir().join(format!("credence-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    credence_app::home::Home::init(&home, true).expect("home");
    let registry = credence_runtime::packages::Registry::new(home.join("plugins"));
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins");
    // Ten of the built plugins (there are more than ten; `list` reads manifests and pins only).
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&built)
        .expect("built plugins")
        .flatten()
        .map(|e| e.path())
        .collect();
    folders.sort();
    assert!(
        folders.len() >= 10,
        "build the plugins first (cargo xtask plugins)"
    );
    for folder in folders.iter().take(10) {
        registry
            .install(runtime, tokio.handle().clone(), folder)
            .expect("install");
    }
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_credence"))
            .arg("--home")
            .arg(&home)
            .args(args)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    assert_eq!(
        String::from_utf8_lossy(&run(&["plugin", "list"]).stdout)
            .lines()
            .count(),
        11,
        "ten plugins listed"
    );
    let mut group = c.benchmark_group("cli");
    group.sample_size(30);
    group.bench_function("credence plugin list (10 plugins)", |b| {
        b.iter(|| run(&["plugin", "list"]))
    });
    group.bench_function("credence plugin inspect (cached artifact)", |b| {
        b.iter(|| run(&["plugin", "inspect", "example-ledger"]))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&home);
}

criterion_group!(runtime_benches, benches);
criterion_main!(runtime_benches);
