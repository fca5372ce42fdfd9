//! Project automation: `cargo xtask <task>`.
//!
//! - `plugins`: build every crate in `plugins/` for `wasm32-wasip2` (release) and lay each out
//!   as `target/plugins/<id>/` (manifest + wasm), ready for `credence plugin install`.
//! - `test`: what CI runs: plugins, `cargo fmt --check`, `cargo clippy -D warnings`, every test,
//!   all in the release profile so the workspace is built once.
//! - `demo`: build the plugins and run `credence demo` (the README's first command).
//! - `bench`: the runtime benchmarks (criterion), after building the plugins.

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
            cargo(
                &root,
                &["test", "--release", "--workspace", "--exclude", "xtask"],
            )
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
        _ => {
            eprintln!("usage: cargo xtask <plugins|test|demo|bench>");
            std::process::exit(2);
        }
    }
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
