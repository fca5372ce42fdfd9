//! Shared test fixtures: a home, the binary, built plugins, a loopback vendor server.

use axum::Router;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Where `cargo xtask plugins` puts built plugins.
pub fn plugins_dir() -> PathBuf {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("../target/plugins");
    assert!(
        dir.join("example-ledger").is_dir(),
        "built plugins not found in {}: run `cargo xtask plugins` before the tests (`cargo xtask test` does)",
        dir.display()
    );
    dir
}

pub fn plugin(id: &str) -> PathBuf {
    plugins_dir().join(id)
}

/// A fresh Credence home in a temporary folder.
pub struct TestHome {
    pub dir: tempfile::TempDir,
}

impl TestHome {
    pub fn new() -> TestHome {
        let home = TestHome {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        home.ok(&["init"]);
        home
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_credence"));
        cmd.arg("--home")
            .arg(self.path())
            .args(args)
            .env_remove("CREDENCE_HOME")
            .env("RUST_LOG", "warn");
        cmd
    }

    /// Run with a deadline: a hang (e.g. a limit that no longer works) fails the test.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_with_deadline(cmd, Duration::from_secs(120))
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    /// Run and require success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_env(args, &[])
    }

    /// Run with environment variables and require success; returns stdout.
    pub fn ok_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run_env(args, env);
        assert!(
            out.status.success(),
            "credence {args:?} failed:\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Run and require failure; returns stdout + stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "credence {args:?} should have failed:\nstdout: {}",
            text(&out.stdout)
        );
        format!("{}{}", text(&out.stdout), text(&out.stderr))
    }

    pub fn install(&self, ids: &[&str]) {
        for id in ids {
            self.ok(&[
                "plugin",
                "install",
                plugin(id).to_str().expect("utf-8 path"),
            ]);
        }
    }

    /// A connection `name` to the example vendor at `base_url`, its token read from `token_var`.
    pub fn add_example_connection(&self, name: &str, base_url: &str, token_var: &str) {
        self.install_once("example-ledger");
        self.ok(&[
            "connection",
            "add",
            name,
            "--plugin",
            "example-ledger",
            "--set",
            &format!("base_url={base_url}"),
            "--secret",
            &format!("api_token={token_var}"),
        ]);
    }

    fn install_once(&self, id: &str) {
        if !self.path().join("plugins").join(id).is_dir() {
            self.install(&[id]);
        }
    }
    /// A connection `name` of the CSV connector to the export in `folder`.
    pub fn add_csv_connection(&self, name: &str, folder: &std::path::Path) {
        self.install_once("csv-ledger");
        self.ok(&[
            "connection",
            "add",
            name,
            "--plugin",
            "csv-ledger",
            "--set",
            &format!("folder={}", folder.display()),
        ]);
    }

    /// Add `text` at the end of credence.toml.
    pub fn append_config(&self, text: &str) {
        let path = self.path().join("credence.toml");
        let mut config = std::fs::read_to_string(&path).expect("config");
        config.push_str(text);
        std::fs::write(&path, config).expect("config");
    }

    /// Set `key = value` in the `[delivery]` section of credence.toml (TOML text as it is).
    pub fn set_delivery(&self, key: &str, value: &str) {
        let path = self.path().join("credence.toml");
        let config = std::fs::read_to_string(&path).expect("config");
        assert!(config.contains("\n[delivery]\n"), "{config}");
        let config = config.replacen(
            "\n[delivery]\n",
            &format!("\n[delivery]\n{key} = {value}\n"),
            1,
        );
        std::fs::write(&path, config).expect("config");
    }

    /// Lower the host's ceilings in credence.toml (e.g. a short HTTP timeout for a test).
    pub fn set_runtime_limit(&self, key: &str, value: &str) {
        let path = self.path().join("credence.toml");
        let text = std::fs::read_to_string(&path).expect("config");
        let mut out = String::new();
        for line in text.lines() {
            if line.starts_with(&format!("{key} ")) || line.starts_with(&format!("{key}=")) {
                out.push_str(&format!("{key} = {value}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        std::fs::write(path, out).expect("write config");
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn run_with_deadline(mut cmd: Command, deadline: Duration) -> Output {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    let mut child = cmd.spawn().expect("spawn credence");
    // Drain both pipes while waiting, so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let (out, err) = (
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default(),
            );
            panic!(
                "credence did not finish within {deadline:?} (a limit is not enforced?)\nstdout: {}\nstderr: {}",
                text(&out),
                text(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// A runtime of one worker for servers that live as long as a test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// An HTTP server on loopback, on its own thread and runtime, for the life of the test.
pub struct Server {
    pub addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    pub fn start(router: Router) -> Server {
        let runtime = runtime();
        let (addr, _) = runtime
            .block_on(credence_fakes::serve(router, 0))
            .expect("bind loopback");
        Server {
            addr,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The example vendor with `invoices` invoices and token `tok`.
pub fn example_vendor(invoices: usize) -> Server {
    Server::start(credence_fakes::example::router(invoices, "tok"))
}

/// The third-party data folder (`../shared/realdata` beside the repository, or
/// `$CREDENCE_REALDATA`). `None`, with a line saying the test is skipped, when it is absent.
pub fn realdata() -> Option<PathBuf> {
    let dir = std::env::var_os("CREDENCE_REALDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("../../shared/realdata")
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: real data not found at {} (set CREDENCE_REALDATA)",
            dir.display()
        );
        None
    }
}

/// `credence sync --json`, required to succeed.
pub fn sync_json(home: &TestHome, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["sync", "--json"];
    all.extend_from_slice(args);
    let out = home.run(&all);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("sync --json prints JSON")
}

/// One stream's counts from `sync --json`: [new, updated, unchanged, deleted, quarantined].
pub type StreamCounts = (String, [u64; 5]);

/// The counts of every stream of the first connection in a `sync --json` report.
pub fn stream_counts(report: &serde_json::Value) -> Vec<StreamCounts> {
    report[0]["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|s| {
            let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
            (
                s["stream"].as_str().unwrap_or_default().to_string(),
                [
                    n("new"),
                    n("updated"),
                    n("unchanged"),
                    n("deleted"),
                    n("quarantined"),
                ],
            )
        })
        .collect()
}

/// `credence sync --json` with `env`, required to succeed; the counts per stream.
pub fn synced(home: &TestHome, env: &[(&str, &str)]) -> Vec<StreamCounts> {
    let out = home.run_env(&["sync", "--json"], env);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    stream_counts(&serde_json::from_slice(&out.stdout).expect("sync --json prints JSON"))
}

/// An expected row of [`stream_counts`].
pub fn row(stream: &str, counts: [u64; 5]) -> StreamCounts {
    (stream.to_string(), counts)
}

/// A mail exchange on loopback for the life of the test.
pub struct Exchange {
    pub port: u16,
    pub mailbox: PathBuf,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

impl Exchange {
    pub fn start(delay: Duration) -> Exchange {
        let dir = tempfile::tempdir().expect("tempdir");
        let mailbox = dir.path().join("mailbox");
        let runtime = crate::support::runtime();
        let (addr, _) = runtime
            .block_on(credence_fakes::smtp::serve_slowly(
                0,
                mailbox.clone(),
                delay,
            ))
            .expect("bind loopback");
        Exchange {
            port: addr.port(),
            mailbox,
            _dir: dir,
            _runtime: runtime,
        }
    }

    pub fn configure(&self, home: &TestHome) {
        home.append_config(&format!(
            "\n[delivery.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntimeout_s = 10\n",
            self.port
        ));
    }

    /// Message-ID -> message.
    pub fn messages(&self) -> BTreeMap<String, String> {
        credence_fakes::smtp::mailbox(&self.mailbox)
            .unwrap_or_default()
            .into_iter()
            .collect()
    }

    /// Message-ID of every accepted SMTP transaction, repeats included.
    pub fn transactions(&self) -> Vec<String> {
        std::fs::read_to_string(self.mailbox.join("transactions.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(String::from))
            .collect()
    }
}
