//! `credence demo`: the whole job on sample data, in a throwaway home.
//!
//! Installs the bundled plugins built by `cargo xtask plugins`, starts the example vendor
//! sandbox on loopback, connects to it with a secret the plugin never sees, reads everything,
//! and shows a misbehaving plugin (if built) being stopped while the good connection completes.

use crate::home::{ConnectionConfig, Home};
use anyhow::{Context, bail};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder of built plugins (one sub-folder per plugin).
    #[arg(long, env = "CREDENCE_PLUGINS", default_value = "target/plugins")]
    plugins: PathBuf,
    /// Keep the demo home here instead of a temporary folder.
    #[arg(long)]
    home: Option<PathBuf>,
    /// Invoices the sandbox vendor holds.
    #[arg(long, default_value_t = 1_000)]
    invoices: usize,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    if !args.plugins.join("example-ledger").is_dir() {
        bail!(
            "no built plugins in {}: run `cargo xtask plugins` first (or pass --plugins DIR)",
            args.plugins.display()
        );
    }
    let root = args.home.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("credence-demo-{}", std::process::id()))
    });
    let home = Home::init(&root, true)?;
    println!("Demo home: {}", root.display());
    let runtime = Arc::new(super::runtime_for(&home)?);
    let registry = home.registry();
    let mut installed = Vec::new();
    for id in ["example-ledger", "test-infinite-loop"] {
        let folder = args.plugins.join(id);
        if folder.is_dir() {
            let p = registry
                .install(&runtime, tokio::runtime::Handle::current(), &folder)
                .with_context(|| format!("installing {}", folder.display()))?;
            println!(
                "Installed {} {} (sha256 {}…)",
                p.manifest.id,
                p.manifest.version,
                &p.pin.wasm_sha256[..12]
            );
            installed.push(id);
        }
    }

    let token = "demo-token";
    let (addr, _server) =
        crate::sandbox::serve(crate::sandbox::example::router(args.invoices, token), 0).await?;
    println!(
        "Sandbox vendor API on http://{addr} with {} invoices",
        args.invoices
    );
    let base_url = format!("http://{addr}");
    let mut connections = vec![("books", "example-ledger")];
    if installed.contains(&"test-infinite-loop") {
        connections.push(("runaway", "test-infinite-loop"));
    }
    for (name, plugin) in &connections {
        let c = ConnectionConfig {
            plugin: plugin.to_string(),
            settings: [("base_url".to_string(), base_url.clone())].into(),
            secrets: if *plugin == "example-ledger" {
                [("api_token".to_string(), "CREDENCE_DEMO_TOKEN".to_string())].into()
            } else {
                Default::default()
            },
        };
        home.add_connection(name, &c)?;
    }

    let mut handles = Vec::new();
    for (name, plugin_id) in connections {
        let installed = registry.get(plugin_id)?;
        let connection = home
            .config()?
            .connections
            .remove(name)
            .context("connection just added")?;
        let env = |var: &str| (var == "CREDENCE_DEMO_TOKEN").then(|| token.to_string());
        let job = crate::connections::job_context(
            name,
            &connection,
            &installed.manifest,
            runtime.cap(),
            super::clock()?,
            &env,
        )?;
        let plugin = registry.load(&runtime, plugin_id)?;
        let handle = tokio::runtime::Handle::current();
        let started = std::time::Instant::now();
        handles.push((
            name,
            tokio::task::spawn_blocking(move || {
                let mut session = plugin.session(job, handle)?;
                let mut cursor: Option<String> = None;
                let (mut pages, mut records) = (0u32, 0usize);
                loop {
                    let page = session.read("invoices", cursor.as_deref())?;
                    pages += 1;
                    records += page.records.len();
                    cursor = page.cursor;
                    if !page.has_more {
                        return Ok::<_, crate::runtime::CallError>((
                            pages,
                            records,
                            started.elapsed(),
                        ));
                    }
                }
            }),
        ));
    }
    let mut ok = true;
    for (name, handle) in handles {
        match handle.await? {
            Ok((pages, records, took)) => println!(
                "{name}: read {records} invoices in {pages} pages ({:.0} ms)",
                took.as_secs_f64() * 1000.0
            ),
            Err(e) if name == "runaway" => println!("{name}: contained as expected: {e}"),
            Err(e) => {
                ok = false;
                println!("{name}: FAILED: {e}");
            }
        }
    }
    if args.home.is_none() {
        let _ = std::fs::remove_dir_all(&root);
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
