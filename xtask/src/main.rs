//! Project automation: `cargo xtask <task>`.
//!
//! - `plugins`: build every crate in `plugins/` for `wasm32-wasip2` (release) and lay each out
//!   as `target/plugins/<id>/` (manifest + wasm), ready for `credence plugin install`.
//! - `test`: what CI runs: plugins, `cargo fmt --check`, `cargo clippy -D warnings`, every test,
//!   all in the release profile so the workspace is built once. The test binaries are built
//!   first and then run side by side (`CREDENCE_TEST_JOBS` at once, the machine's cores by
//!   default), longest first, so the end-to-end suite does not hold the others back.
//! - `demo`: build the plugins and run `credence demo` (the README's first command).
//! - `bench`: the runtime benchmarks (criterion), after building the plugins.
//! - `fuzz [SECONDS] [--host] [TARGET...]`: the plugins' fuzz targets in `fuzz/` (with `--host`
//!   the host's too; or those named) for SECONDS each (60 by default) with cargo-fuzz, then a
//!   table of executions per target. Not in CI.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = workspace_root();
    match task.as_str() {
        "plugins" => build_plugins(&root),
        "test" => {
            build_plugins(&root)?;
            cargo(&root, &["fmt", "--all", "--check"])?;
            cargo(
                &root,
                &[
                    "clippy",
                    "--release",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            )?;
            run_tests(&root)
        }
        "demo" => {
            build_plugins(&root)?;
            cargo(
                &root,
                &[
                    "run",
                    "--release",
                    "--quiet",
                    "-p",
                    "credence",
                    "--",
                    "demo",
                ],
            )
        }
        "bench" => {
            build_plugins(&root)?;
            cargo(&root, &["bench", "-p", "credence"])
        }
        "fuzz" => fuzz(&root, &std::env::args().skip(2).collect::<Vec<_>>()),
        _ => {
            eprintln!(
                "usage: cargo xtask <plugins|test|demo|bench|fuzz [SECONDS] [--host] [TARGET...]>"
            );
            std::process::exit(2);
        }
    }
}

/// One test binary cargo built: what `cargo test` would print for it, and where it runs.
struct TestBinary {
    label: String,
    executable: PathBuf,
    package_dir: PathBuf,
}

/// Build every test binary of the workspace (release, like the rest of CI), then run them
/// side by side and their doc tests; each binary's output is printed whole when it ends, with
/// cargo's own `Running` line and `test result:` lines, so logs read as cargo's do.
fn run_tests(root: &Path) -> anyhow::Result<()> {
    let args = [
        "test",
        "--release",
        "--workspace",
        "--exclude",
        "xtask",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ];
    eprintln!("+ cargo {}", args.join(" "));
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("building the test binaries")?;
    if !out.status.success() {
        bail!("cargo {} failed ({})", args.join(" "), out.status);
    }
    let mut binaries = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some("compiler-artifact"), Some(executable), Some(true)) = (
            message["reason"].as_str(),
            message["executable"].as_str(),
            message["profile"]["test"].as_bool(),
        ) else {
            continue;
        };
        let manifest = PathBuf::from(message["manifest_path"].as_str().unwrap_or_default());
        let package_dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        let src = message["target"]["src_path"].as_str().unwrap_or_default();
        let shown = Path::new(src)
            .strip_prefix(&package_dir)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| src.to_string());
        let kind = message["target"]["kind"][0].as_str().unwrap_or_default();
        let label = match kind {
            "lib" | "bin" => format!("unittests {shown} ({executable})"),
            _ => format!("{shown} ({executable})"),
        };
        binaries.push(TestBinary {
            label,
            executable: PathBuf::from(executable),
            package_dir,
        });
    }
    // Longest first: the end-to-end suite, then the data-driven suites, then the rest.
    let weight = |b: &TestBinary| match b.label.split(' ').next().unwrap_or_default() {
        l if l.contains("e2e/") => 0,
        l if l.contains("dunning") || l.contains("credit") => 1,
        _ => 2,
    };
    binaries.sort_by_key(|b| (weight(b), b.label.clone()));
    let jobs = std::env::var("CREDENCE_TEST_JOBS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    eprintln!("running {} test binaries, {jobs} at a time", binaries.len());
    let queue = std::sync::Mutex::new(binaries.into_iter());
    let failed = std::sync::Mutex::new(Vec::new());
    let print = std::sync::Mutex::new(());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).ok().flatten();
                    let Some(binary) = next else { break };
                    let result = Command::new(&binary.executable)
                        .current_dir(&binary.package_dir)
                        .env("CARGO_MANIFEST_DIR", &binary.package_dir)
                        .output();
                    let _held = print.lock();
                    println!("     Running {}", binary.label);
                    match result {
                        Ok(output) => {
                            use std::io::Write;
                            let _ = std::io::stdout().write_all(&output.stdout);
                            let _ = std::io::stderr().write_all(&output.stderr);
                            if !output.status.success()
                                && let Ok(mut f) = failed.lock()
                            {
                                f.push(binary.label.clone());
                            }
                        }
                        Err(e) => {
                            eprintln!("cannot run {}: {e}", binary.executable.display());
                            if let Ok(mut f) = failed.lock() {
                                f.push(binary.label.clone());
                            }
                        }
                    }
                }
            });
        }
    });
    cargo(
        root,
        &[
            "test",
            "--release",
            "--workspace",
            "--exclude",
            "xtask",
            "--doc",
        ],
    )?;
    let failed = failed.into_inner().unwrap_or_default();
    if !failed.is_empty() {
        bail!("test binaries failed: {}", failed.join(", "));
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

fn cargo(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    eprintln!("+ cargo {}", args.join(" "));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Every plugin crate: `(package name, folder)`.
fn plugin_crates(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(root.join("plugins")).context("reading plugins/")? {
        let dir = entry?.path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest)?;
        let value: toml::Table =
            toml::from_str(&text).with_context(|| format!("parsing {}", manifest.display()))?;
        let name = value
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .with_context(|| format!("{} has no package.name", manifest.display()))?;
        crates.push((name.to_string(), dir));
    }
    crates.sort();
    Ok(crates)
}

/// Plugins are built for `wasm32-wasip2`; add the target on a fresh machine.
fn ensure_wasm_target() -> anyhow::Result<()> {
    let out = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", "wasm32-wasip2"])
        .output()?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if out.status.success() && libdir.is_dir() {
        return Ok(());
    }
    eprintln!("+ rustup target add wasm32-wasip2");
    let status = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .status()
        .context("running rustup")?;
    if !status.success() {
        bail!("`rustup target add wasm32-wasip2` failed; plugins cannot be built without it");
    }
    Ok(())
}

fn build_plugins(root: &Path) -> anyhow::Result<()> {
    ensure_wasm_target()?;
    let crates = plugin_crates(root)?;
    let mut args = vec!["build", "--release", "--target", "wasm32-wasip2"];
    for (name, _) in &crates {
        args.push("-p");
        args.push(name);
    }
    cargo(root, &args)?;
    // The plugins are laid out in the clone's own `target/plugins` (where the tests and the
    // README look), whichever target directory cargo builds into (`CARGO_TARGET_DIR`).
    let out = root.join("target/plugins");
    let built_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
        .join("wasm32-wasip2/release");
    for (name, dir) in &crates {
        let manifest_text = std::fs::read_to_string(dir.join("credence-plugin.toml"))
            .with_context(|| format!("plugin crate {name} has no credence-plugin.toml"))?;
        let manifest: toml::Table = toml::from_str(&manifest_text)?;
        let id = manifest
            .get("id")
            .and_then(|v| v.as_str())
            .with_context(|| format!("{name}: manifest has no id"))?;
        let wasm_name = manifest
            .get("wasm")
            .and_then(|v| v.as_str())
            .unwrap_or("plugin.wasm");
        let built = built_dir.join(format!("{}.wasm", name.replace('-', "_")));
        let dest = out.join(id);
        std::fs::create_dir_all(&dest)?;
        std::fs::copy(&built, dest.join(wasm_name))
            .with_context(|| format!("copying {}", built.display()))?;
        std::fs::write(dest.join("credence-plugin.toml"), manifest_text)?;
    }
    eprintln!("built {} plugins into {}", crates.len(), out.display());
    Ok(())
}

/// A fuzz target: its name in `fuzz/Cargo.toml`, whether it needs the `host` feature (the
/// `credence` crate), the repository's own files that seed it, and the third-party files under
/// the realdata folder that seed it at run time (folder, extension; never copied into the repo).
struct FuzzTarget {
    name: &'static str,
    host: bool,
    own_seeds: &'static [&'static str],
    realdata_seeds: &'static [(&'static str, &'static str)],
}

const FUZZ_TARGETS: &[FuzzTarget] = &[
    FuzzTarget {
        name: "csv_mapping",
        host: false,
        own_seeds: &["plugins/csv/sample"],
        realdata_seeds: &[],
    },
    FuzzTarget {
        name: "einvoice_parse",
        host: false,
        own_seeds: &["plugins/einvoice/tests/fixtures"],
        realdata_seeds: &[
            ("en16931-cen-tc434", "xml"),
            ("peppol-bis-billing-3", "xml"),
        ],
    },
    FuzzTarget {
        name: "xero_json",
        host: false,
        own_seeds: &[],
        realdata_seeds: &[("xero-openapi/extracted-examples", "json")],
    },
    FuzzTarget {
        name: "quickbooks_json",
        host: false,
        own_seeds: &[],
        realdata_seeds: &[],
    },
    FuzzTarget {
        name: "quickbooks_xml",
        host: false,
        own_seeds: &[],
        realdata_seeds: &[(
            "quickbooks-online/quickbooks-ruby-fixtures/spec/fixtures",
            "xml",
        )],
    },
    FuzzTarget {
        name: "normalize",
        host: true,
        own_seeds: &["tests/normalize"],
        realdata_seeds: &[],
    },
    FuzzTarget {
        name: "policy",
        host: true,
        own_seeds: &[
            "host/src/credit/default-policy.toml",
            "host/src/dunning/default-ladder.toml",
        ],
        realdata_seeds: &[],
    },
];

/// Seed files larger than this are left out: they slow every mutation and add little.
const FUZZ_SEED_MAX_BYTES: u64 = 64 * 1024;
/// At most this many seeds from one realdata folder (loading them counts in the run's time).
const FUZZ_SEEDS_PER_FOLDER: usize = 200;

/// What libFuzzer reported for one target.
struct FuzzOutcome {
    name: &'static str,
    seconds: f64,
    executions: Option<u64>,
    exec_per_sec: Option<u64>,
    corpus: usize,
    finding: Option<String>,
}

/// `cargo xtask fuzz [SECONDS] [--host] [TARGET...]`: build the fuzz targets once, seed each
/// corpus, run each target for SECONDS, print runtime and executions. A finding fails the task
/// after every target has run; its input is in `fuzz/artifacts/<target>/`. The host's targets
/// (`normalize`, `policy`) run only with `--host` or by name: their instrumented build compiles
/// wasmtime, over 20 minutes on a 2-core machine.
///
/// cargo-fuzz passes nightly-only flags to rustc (`-Zsanitizer`, `-Cpasses=sancov-module`,
/// `--cfg fuzzing` with `-Z` options); the project pins the stable toolchain, so the fuzz commands
/// run with `RUSTC_BOOTSTRAP=1`, which lets that stable compiler accept them. Only these
/// commands, on the fuzz crate's own target directory (`fuzz/target`); nothing shipped is
/// built that way. The sanitizer is off (`-s none`): the code is safe Rust and the findings
/// sought are panics (overflow checks and debug assertions stay on); 16 codegen units keep
/// the instrumented build short on a small machine.
fn fuzz(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let mut seconds: u64 = 60;
    let mut chosen: Vec<&str> = Vec::new();
    let mut with_host = false;
    for arg in args {
        match arg.parse::<u64>() {
            Ok(n) => seconds = n,
            Err(_) if arg == "--host" => with_host = true,
            Err(_) if FUZZ_TARGETS.iter().any(|t| t.name == arg) => chosen.push(arg),
            Err(_) => bail!(
                "unknown fuzz target {arg:?}; the targets are {}",
                FUZZ_TARGETS
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    let targets: Vec<&FuzzTarget> = FUZZ_TARGETS
        .iter()
        .filter(|t| {
            if chosen.is_empty() {
                with_host || !t.host
            } else {
                chosen.contains(&t.name)
            }
        })
        .collect();
    ensure_cargo_fuzz()?;
    let realdata = std::env::var_os("CREDENCE_REALDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/realdata"));
    let fuzz_dir = root.join("fuzz");
    let logs = fuzz_dir.join("target/xtask-fuzz");
    std::fs::create_dir_all(&logs)?;

    // Build first, so each run's time is fuzzing, not compiling.
    for host in [false, true] {
        let names: Vec<&str> = targets
            .iter()
            .filter(|t| t.host == host)
            .map(|t| t.name)
            .collect();
        if names.is_empty() {
            continue;
        }
        let started = std::time::Instant::now();
        for name in &names {
            let mut build = cargo_fuzz_command(root, "build", name, host);
            eprintln!("+ RUSTC_BOOTSTRAP=1 cargo fuzz build {name}");
            let status = build.status().context("running cargo fuzz build")?;
            if !status.success() {
                bail!("cargo fuzz build {name} failed ({status})");
            }
        }
        eprintln!(
            "built {} in {:.0} s",
            names.join(", "),
            started.elapsed().as_secs_f64()
        );
    }

    let mut outcomes = Vec::new();
    for target in &targets {
        let corpus = fuzz_dir.join("corpus").join(target.name);
        std::fs::create_dir_all(&corpus)?;
        let mut sources = vec![fuzz_dir.join("seeds").join(target.name)];
        sources.extend(target.own_seeds.iter().map(|s| root.join(s)));
        let mut seeded = 0;
        for source in &sources {
            seeded += copy_seeds(source, None, &corpus)?;
        }
        for (folder, ext) in target.realdata_seeds {
            let dir = realdata.join(folder);
            if dir.is_dir() {
                seeded += copy_seeds(&dir, Some(ext), &corpus)?;
            } else {
                eprintln!(
                    "SKIPPED seeds: {} not found (set CREDENCE_REALDATA)",
                    dir.display()
                );
            }
        }
        eprintln!(
            "+ RUSTC_BOOTSTRAP=1 cargo fuzz run {} ({seeded} seeds) -- -max_total_time={seconds}",
            target.name
        );
        let log_path = logs.join(format!("{}.log", target.name));
        let log = std::fs::File::create(&log_path)?;
        let mut run = cargo_fuzz_command(root, "run", target.name, target.host);
        run.arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1");
        // Tokens the mutator would hardly invent: element and column names, extreme amounts.
        let dict = fuzz_dir.join("dicts").join(format!("{}.dict", target.name));
        if dict.is_file() {
            run.arg(format!("-dict={}", dict.display()));
        }
        run.stdout(log.try_clone()?).stderr(log);
        let started = std::time::Instant::now();
        let status = run.status().context("running cargo fuzz run")?;
        let elapsed = started.elapsed().as_secs_f64();
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let stat = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim_start_matches(':').trim().parse::<u64>().ok())
        };
        let finding = (!status.success()).then(|| {
            text.lines()
                .find(|l| l.contains("panicked at") || l.starts_with("==") && l.contains("ERROR"))
                .map(str::to_string)
                .unwrap_or_else(|| format!("exit {status}; see {}", log_path.display()))
        });
        let outcome = FuzzOutcome {
            name: target.name,
            seconds: elapsed,
            executions: stat("stat::number_of_executed_units"),
            exec_per_sec: stat("stat::average_exec_per_sec"),
            corpus: std::fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0),
            finding,
        };
        eprintln!(
            "{}: {:.0} s, {} executions{}",
            outcome.name,
            outcome.seconds,
            outcome.executions.map_or("?".into(), |n| n.to_string()),
            outcome
                .finding
                .as_ref()
                .map_or(String::new(), |f| format!(", FINDING: {f}"))
        );
        outcomes.push(outcome);
    }

    println!("\n| target | seconds | executions | exec/s | corpus | result |");
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    for o in &outcomes {
        println!(
            "| {} | {:.0} | {} | {} | {} | {} |",
            o.name,
            o.seconds,
            o.executions.map_or("?".into(), |n| n.to_string()),
            o.exec_per_sec.map_or("?".into(), |n| n.to_string()),
            o.corpus,
            o.finding.as_deref().unwrap_or("no finding")
        );
    }
    let found: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.finding.is_some())
        .map(|o| o.name)
        .collect();
    if !found.is_empty() {
        bail!(
            "findings in {} (inputs in fuzz/artifacts/, logs in {})",
            found.join(", "),
            logs.display()
        );
    }
    Ok(())
}

/// `cargo fuzz <action> <target>` from the repository root, with the flags every fuzz build
/// shares (see [`fuzz`] for why `RUSTC_BOOTSTRAP=1`).
fn cargo_fuzz_command(root: &Path, action: &str, target: &str, host: bool) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .args([
            "fuzz",
            action,
            target,
            "--sanitizer",
            "none",
            "--codegen-units",
            "16",
        ])
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        // Instrumented builds stay in fuzz/target, whatever the shell says.
        .env_remove("CARGO_TARGET_DIR");
    if host {
        command.args(["--features", "host"]);
    }
    command
}

/// Install cargo-fuzz from crates.io when `cargo fuzz` is not there.
fn ensure_cargo_fuzz() -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let present = Command::new(&cargo)
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    eprintln!("+ cargo install cargo-fuzz --locked");
    let status = Command::new(&cargo)
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .context("running cargo install cargo-fuzz")?;
    if !status.success() {
        bail!("`cargo install cargo-fuzz` failed");
    }
    Ok(())
}

/// Copy seed files (`source` is a file or a folder, searched recursively; `ext` filters by
/// extension) into `corpus` as `seed-<name>`, the smallest first, at most
/// [`FUZZ_SEEDS_PER_FOLDER`] of at most [`FUZZ_SEED_MAX_BYTES`]. Returns how many.
fn copy_seeds(source: &Path, ext: Option<&str>, corpus: &Path) -> anyhow::Result<usize> {
    let mut files: Vec<(u64, PathBuf)> = Vec::new();
    let mut stack = vec![source.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                stack.push(entry?.path());
            }
        } else if path.is_file()
            && ext.is_none_or(|e| path.extension().is_some_and(|x| x == e))
            && let Ok(meta) = path.metadata()
            && meta.len() <= FUZZ_SEED_MAX_BYTES
        {
            files.push((meta.len(), path));
        }
    }
    files.sort();
    files.truncate(FUZZ_SEEDS_PER_FOLDER);
    for (_, path) in &files {
        let name = path
            .strip_prefix(source)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('/', "_");
        let name = if name.is_empty() {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            name
        };
        std::fs::copy(path, corpus.join(format!("seed-{name}")))
            .with_context(|| format!("copying seed {}", path.display()))?;
    }
    Ok(files.len())
}
