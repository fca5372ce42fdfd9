//! `credence serve` under load, on the PostgreSQL server of this machine
//! (`CREDENCE_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`):
//!
//! - API: requests per second and latency percentiles for one customer's credit state, from
//!   keep-alive connections on loopback, while a sync of a slow 30,000-invoice vendor runs;
//! - scale-out: wall time for 50 connections (each 1,000 invoices behind a vendor answering a
//!   page in 100 ms) to sync with one instance, then with two on one database.
//!
//! `cargo bench -p credence --bench serve` (needs `cargo xtask plugins` first).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "bench-token-0123456789abcdef";

fn postgres_url() -> String {
    std::env::var("CREDENCE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn plugins() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins")
}

fn psql(sql: &str) -> bool {
    Command::new("psql")
        .args([&postgres_url(), "-q", "-c", sql])
        .env("PGOPTIONS", "--client-min-messages=warning")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn credence(home: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_credence"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .expect("run credence");
    assert!(
        out.status.success(),
        "credence {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A home on a fresh schema with `vendors` example connections.
fn home(schema: &str, vendors: &[String], concurrency: usize) -> tempfile::TempDir {
    assert!(psql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")));
    let dir = tempfile::tempdir().expect("tempdir");
    credence(dir.path(), &["init"]);
    let example = plugins().join("example-ledger");
    credence(
        dir.path(),
        &["plugin", "install", example.to_str().expect("path")],
    );
    for (i, url) in vendors.iter().enumerate() {
        credence(
            dir.path(),
            &[
                "connection",
                "add",
                &format!("vendor{i:02}"),
                "--plugin",
                "example-ledger",
                "--set",
                &format!("base_url={url}"),
                "--secret",
                "api_token=VENDOR_TOKEN",
            ],
        );
    }
    let path = dir.path().join("credence.toml");
    let mut config: toml_edit::DocumentMut = std::fs::read_to_string(&path)
        .expect("config")
        .parse()
        .expect("toml");
    config.remove("server");
    let config = config.to_string()
        + &format!(
            "\n[server]\nsync_every_s = 86400\njitter_s = 0\nconcurrency = {concurrency}\nlease_s = 30\nevaluate_every_s = 86400\nevaluate_settle_s = 10\ndeliver_every_s = 3600\n[[server.tokens]]\nname = \"bench\"\nscope = \"admin\"\ntoken_env = \"BENCH_TOKEN\"\n"
        );
    let config = config.replacen(
        "[storage]\n",
        &format!(
            "[storage]\npostgres = \"{}\"\npostgres_schema = \"{schema}\"\n",
            postgres_url()
        ),
        1,
    );
    std::fs::write(&path, config).expect("config");
    dir
}

struct Serve {
    child: Child,
    port: u16,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Serve {
    fn start(home: &Path, instance: &str) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_credence"))
            .arg("--home")
            .arg(home)
            .args(["serve", "--listen", "127.0.0.1:0", "--instance", instance])
            .env("BENCH_TOKEN", TOKEN)
            .env("VENDOR_TOKEN", "tok")
            .env("CREDENCE_NOW", "2026-11-26T12:00:00Z")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("first line");
        let port = line
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .expect("port");
        Serve {
            child,
            port,
            _stdout: stdout,
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on a keep-alive connection; returns the status.
async fn request(stream: &mut tokio::net::TcpStream, path: &str, buf: &mut Vec<u8>) -> u16 {
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n\r\n");
    if stream.write_all(req.as_bytes()).await.is_err() {
        return 0;
    }
    buf.clear();
    let mut chunk = [0u8; 16384];
    loop {
        let Ok(n) = stream.read(&mut chunk).await else {
            return 0;
        };
        if n == 0 {
            return 0;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return text
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            }
        }
    }
}

fn get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, out)
}

fn api(runtime: &tokio::runtime::Runtime) {
    let vendor = credence_fakes::example::Vendor::new(30_000, "tok")
        .with_latency(Duration::from_millis(100));
    let (addr, _) = runtime
        .block_on(credence_fakes::serve(vendor.router(), 0))
        .expect("vendor");
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/csv/sample");
    let dir = home("credence_bench_api", &[format!("http://{addr}")], 2);
    credence(
        dir.path(),
        &[
            "plugin",
            "install",
            plugins().join("csv-ledger").to_str().expect("path"),
        ],
    );
    credence(
        dir.path(),
        &[
            "connection",
            "add",
            "shop",
            "--plugin",
            "csv-ledger",
            "--set",
            &format!("folder={}", shop.display()),
        ],
    );
    let serve = Serve::start(dir.path(), "api");
    let deadline = Instant::now() + Duration::from_secs(120);
    while get(serve.port, "/api/v1/customers/shop/C001").0 != 200 {
        assert!(Instant::now() < deadline, "no customer state");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The vendor's first sync (300 pages, 100 ms each) runs through the measurement.
    let syncing = || {
        get(serve.port, "/api/v1/schedule")
            .1
            .contains("\"holder\":\"api\"")
    };
    let syncing_at_start = syncing();
    const CONNECTIONS: usize = 16;
    const SECONDS: u64 = 10;
    let port = serve.port;
    let latencies = runtime.block_on(async move {
        let until = Instant::now() + Duration::from_secs(SECONDS);
        let mut tasks = Vec::new();
        for _ in 0..CONNECTIONS {
            tasks.push(tokio::spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .expect("connect");
                let _ = stream.set_nodelay(true);
                let mut buf = Vec::new();
                let mut out = Vec::new();
                while Instant::now() < until {
                    let t = Instant::now();
                    let status =
                        request(&mut stream, "/api/v1/customers/shop/C001", &mut buf).await;
                    assert_eq!(status, 200);
                    out.push(t.elapsed());
                }
                out
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("load task"));
        }
        all
    });
    let syncing = syncing_at_start && syncing();
    let mut sorted = latencies.clone();
    sorted.sort();
    let pct = |p: f64| sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
    println!(
        "api: {} requests in {SECONDS} s over {CONNECTIONS} connections = {:.0} req/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; a sync ran throughout: {syncing}",
        sorted.len(),
        sorted.len() as f64 / SECONDS as f64,
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        sorted.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
}

fn scale_out(runtime: &tokio::runtime::Runtime) {
    const CONNECTIONS: usize = 50;
    let mut urls = Vec::new();
    for _ in 0..CONNECTIONS {
        let vendor = credence_fakes::example::Vendor::new(1_000, "tok")
            .with_latency(Duration::from_millis(100));
        let (addr, _) = runtime
            .block_on(credence_fakes::serve(vendor.router(), 0))
            .expect("vendor");
        urls.push(format!("http://{addr}"));
    }
    let mut results = Vec::new();
    for instances in [1usize, 2] {
        let schema = format!("credence_bench_scale_{instances}");
        let dir = home(&schema, &urls, 4);
        let started = Instant::now();
        let servers: Vec<Serve> = (0..instances)
            .map(|i| Serve::start(dir.path(), &format!("i{i}")))
            .collect();
        let port = servers[0].port;
        loop {
            let (_, body) = get(port, "/api/v1/schedule");
            let finished = body.matches("\"last_finished\":\"").count();
            if finished >= CONNECTIONS {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(900), "too slow");
            std::thread::sleep(Duration::from_millis(100));
        }
        let wall = started.elapsed();
        println!("scale-out: {CONNECTIONS} connections, {instances} instance(s): {wall:.2?}");
        for s in &servers {
            let (_, metrics) = get(s.port, "/metrics");
            let (mut sum, mut count) = (0.0, 0.0);
            for line in metrics.lines() {
                let value = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok());
                if line.starts_with("credence_sync_seconds_sum") {
                    sum += value.unwrap_or(0.0);
                } else if line.starts_with("credence_sync_seconds_count") {
                    count += value.unwrap_or(0.0);
                }
            }
            println!(
                "  instance on port {}: {count} syncs, {:.2} s each on average",
                s.port,
                sum / count.max(1.0)
            );
        }
        results.push(wall.as_secs_f64());
        drop(servers);
        psql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
    println!(
        "scale-out: two instances took {:.2} of one instance's wall time",
        results[1] / results[0]
    );
}

fn main() {
    if !psql("SELECT 1") {
        println!("SKIPPED: no PostgreSQL at {}", postgres_url());
        return;
    }
    if !plugins().join("example-ledger").is_dir() {
        println!("SKIPPED: run `cargo xtask plugins` first");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let which = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if which.as_deref().is_none_or(|w| w == "api") {
        api(&runtime);
    }
    if which.as_deref().is_none_or(|w| w == "scale") {
        scale_out(&runtime);
    }
}
