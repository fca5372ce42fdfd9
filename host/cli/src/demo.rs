//! `credence demo`: the whole job on sample data, in a throwaway home.
//!
//! Installs the bundled plugins built by `cargo xtask plugins`; connects the CSV connector to
//! the sample export and the example connector to a vendor sandbox on loopback (its token kept
//! by the host); syncs everything into the embedded store; shows what was quarantined and which
//! customers were linked; and shows a runaway plugin stopped while the other connections finish.

use anyhow::{Context, bail};
use clap::Args;
use credence_app::home::{ConnectionConfig, Home};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder of built plugins (one sub-folder per plugin).
    #[arg(long, env = "CREDENCE_PLUGINS", default_value = "target/plugins")]
    plugins: PathBuf,
    /// The sample CSV export.
    #[arg(long, default_value = "plugins/csv/sample")]
    sample: PathBuf,
    /// Sample credit reports (an insurer's export in the common schema).
    #[arg(long, default_value = "plugins/bureau-files/sample")]
    bureau_sample: PathBuf,
    /// Keep the demo home in this (new or empty) folder instead of a temporary one.
    #[arg(long)]
    keep_home: Option<PathBuf>,
    /// Invoices the sandbox vendor holds.
    #[arg(long, default_value_t = 1_000)]
    invoices: usize,
}

const TOKEN_VAR: &str = "CREDENCE_DEMO_TOKEN";

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    for id in ["csv-ledger", "example-ledger", "bureau-files"] {
        if !args.plugins.join(id).is_dir() {
            bail!(
                "plugin {id} is not built in {}: run `cargo xtask plugins` first (or pass --plugins DIR)",
                args.plugins.display()
            );
        }
    }
    let bureau_sample = args.bureau_sample.canonicalize().with_context(|| {
        format!(
            "the sample bureau reports {} (pass --bureau-sample DIR)",
            args.bureau_sample.display()
        )
    })?;
    let sample = args.sample.canonicalize().with_context(|| {
        format!(
            "the sample export {} (pass --sample DIR)",
            args.sample.display()
        )
    })?;
    if let Some(dir) = &args.keep_home
        && dir.join(credence_app::home::CONFIG_FILE).exists()
    {
        bail!(
            "{} already holds a Credence home; the demo needs a new or empty folder",
            dir.display()
        );
    }
    let root = args.keep_home.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("credence-demo-{}", std::process::id()))
    });
    let home = Home::init(&root, true)?;
    // The sender the demo's messages are signed by.
    let config = std::fs::read_to_string(home.config_path())?
        .replace("company = \"Credit control\"", "company = \"Demo Supplies Ltd\"")
        .replace(
            "payment_instructions = \"\"",
            "payment_instructions = \"IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX, quoting the invoice numbers.\"",
        );
    std::fs::write(home.config_path(), config)?;
    outln!("Demo home: {}\n", root.display());
    let runtime = home.runtime()?;
    let registry = home.registry();
    for id in [
        "csv-ledger",
        "example-ledger",
        "bureau-files",
        "test-infinite-loop",
    ] {
        let folder = args.plugins.join(id);
        if folder.is_dir() {
            let p = registry
                .install(&runtime, tokio::runtime::Handle::current(), &folder)
                .with_context(|| format!("installing {}", folder.display()))?;
            outln!(
                "Installed plugin {} {} (sha256 {}…)",
                p.manifest.id,
                p.manifest.version,
                &p.pin.wasm_sha256[..12]
            );
        }
    }
    drop(runtime);

    let token = "demo-token";
    let (addr, _server) =
        credence_fakes::serve(credence_fakes::example::router(args.invoices, token), 0).await?;
    outln!(
        "Vendor sandbox on http://{addr} with {} invoices\n",
        args.invoices
    );
    let connection =
        |plugin: &str, settings: &[(&str, String)], secrets: &[(&str, &str)]| ConnectionConfig {
            plugin: plugin.to_string(),
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            secrets: secrets
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            sync_every_s: None,
        };
    home.add_connection(
        "shop",
        &connection(
            "csv-ledger",
            &[("folder", sample.display().to_string())],
            &[],
        ),
    )?;
    home.add_connection(
        "books",
        &connection(
            "example-ledger",
            &[("base_url", format!("http://{addr}"))],
            &[("api_token", TOKEN_VAR)],
        ),
    )?;
    home.add_connection(
        "insurer",
        &connection(
            "bureau-files",
            &[("folder", bureau_sample.display().to_string())],
            &[],
        ),
    )?;
    if registry.get("test-infinite-loop").is_ok() {
        home.add_connection("runaway", &connection("test-infinite-loop", &[], &[]))?;
    }

    outln!("$ credence sync");
    let env = |var: &str| (var == TOKEN_VAR).then(|| token.to_string());
    let outcomes = super::sync::sync_all(&home, &[], true, &env).await?;
    super::sync::report(&outcomes, false)?;
    outln!("\n$ credence quarantine");
    super::sync::quarantine(&home, false).await?;
    outln!("\n$ credence customers");
    super::customers::list(&home, false).await?;
    outln!("\n$ credence monitor");
    let monitored =
        super::monitor::run_with_env(&home, super::monitor::MonitorArgs::all(), &env).await?;
    outln!("\n$ credence evaluate   (the sample export's customers)");
    let mut eval = super::credit::evaluation(&home, None)?;
    let all = eval.customers.len();
    eval.customers.retain(|d| d.account.starts_with("shop/"));
    eval.overdue_reviews.retain(|a| a.starts_with("shop/"));
    out!("{}", super::credit::summary(&eval));
    outln!(
        "({} more accounts come from the example ledger, which has no customer records; `credence evaluate` lists them all)",
        all - eval.customers.len()
    );
    if let Some(d) = eval.customers.iter().find(|d| !d.alerts.is_empty()) {
        outln!("\n$ credence credit {}", d.account);
        out!("{}", super::credit::explain(d, &eval));
    }

    outln!("\n$ credence dunning --dry-run   (the sample export's customers)");
    let store = home.open_store()?;
    let mut plan =
        credence_app::dunning::plan_for(&home, store.as_ref(), credence_app::clock::today()?)?;
    let all = plan.actions.len();
    plan.actions.retain(|a| a.account.starts_with("shop/"));
    out!("{}", super::dunning::actions_table(&plan));
    outln!(
        "({} more actions for the example ledger's accounts, which have no e-mail addresses: letters)",
        all - plan.actions.len()
    );
    // Two of the messages, each in its customer's language.
    let mut shown = Vec::new();
    for a in &plan.actions {
        if shown.len() < 2 && !shown.contains(&a.language) && a.language != "en" {
            shown.push(a.language.clone());
            outln!(
                "\n── {} ({}) → {}\nSubject: {}\n\n{}",
                a.customer_name,
                a.language,
                a.recipient.as_deref().unwrap_or("letter"),
                a.subject,
                a.body.trim_end()
            );
        }
    }
    // A customer in insolvency proceedings gets no reminders: a task to lodge the claim.
    if let Some(a) = plan
        .actions
        .iter()
        .find(|a| a.kind == credence_model::dunning::ActionKind::Claim)
    {
        outln!(
            "\n── task for {}\nSubject: {}\n\n{}",
            a.customer_name,
            a.subject,
            a.body.trim_end()
        );
    }
    drop(store);

    // Only the deliberately broken plugin may fail, and only at its limit.
    let ok = monitored == ExitCode::SUCCESS
        && outcomes.iter().all(|o| match o.connection.as_str() {
            "runaway" => o.error_kind == Some("limit"),
            _ => o.error.is_none(),
        });
    if ok && outcomes.iter().any(|o| o.connection == "runaway") {
        outln!(
            "\nThe runaway connection was stopped at its CPU limit; every other connection completed."
        );
    }
    if args.keep_home.is_none() {
        let _ = std::fs::remove_dir_all(&root);
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
