//! The `credence` binary: the command line. Each subcommand lives in its own file; this one
//! parses arguments, sets up logging and the async runtime, and maps errors to exit codes.
//! What a command does lives in the service layer (`credence-app`); this crate parses, prints
//! and picks exit codes.

// First: its `out!` / `outln!` macros are used by every command below.
#[macro_use]
mod output;

mod arrangements;
mod connection;
mod credit;
mod customers;
mod demo;
mod dunning;
mod jobs;
mod law;
mod lookup;
mod monitor;
mod plugin;
mod read;
mod sync;

use clap::{Parser, Subcommand};
use credence_app::home::Home;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "credence",
    version,
    about = "Credit control fed by sandboxed connectors to your ledgers and credit bureaus"
)]
pub struct Cli {
    /// The Credence home (configuration, installed plugins, data).
    #[arg(
        long,
        global = true,
        env = "CREDENCE_HOME",
        default_value = ".credence"
    )]
    home: PathBuf,
    /// Log format on stderr: `text` or `json`. Level from RUST_LOG (default: warn).
    #[arg(long, global = true, default_value = "text")]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a Credence home with a commented credence.toml.
    Init {
        /// Overwrite an existing credence.toml.
        #[arg(long)]
        force: bool,
    },
    /// Install, list, inspect and remove connector plugins.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Configure and check connections (a plugin plus its settings and secrets).
    #[command(subcommand)]
    Connection(connection::ConnectionCommand),
    /// Sync connections into the store: every stream, page by page, validated; counts per stream.
    /// Exits 1 when a connection failed, 3 when none failed but one was skipped because another
    /// credence process is syncing it, 0 otherwise.
    Sync(sync::SyncArgs),
    /// Customer accounts, linked across ledgers by legal identifiers, with open balances.
    Customers {
        #[arg(long)]
        json: bool,
    },
    /// One customer account: its records in every ledger and why they were linked.
    Customer {
        /// CONNECTION/REMOTE-ID of any of its records.
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Invoices and credit notes in the store.
    Invoices {
        /// Only this customer's account (CONNECTION/REMOTE-ID of any of its records).
        #[arg(long)]
        customer: Option<String>,
        /// Only open documents with something outstanding.
        #[arg(long)]
        open: bool,
        #[arg(long)]
        json: bool,
    },
    /// Records held back by validation, with the reasons and the raw payload.
    Quarantine {
        #[arg(long)]
        json: bool,
    },
    /// Read connections' streams through their plugins and report what came back (nothing is stored).
    Read(read::ReadArgs),
    /// Credit decisions for every customer: state, limit, exposure, headroom, score, reasons.
    Evaluate(credit::EvaluateArgs),
    /// One customer's credit decision, explained.
    Credit(credit::CreditArgs),
    /// Look customers up at the bureau connections (on the policy's cadence) and store the
    /// reports; changes become alerts in `credence evaluate`.
    Monitor(monitor::MonitorArgs),
    /// Record a customer's promise to pay by a date (a broken one sets cash-only by policy).
    Promise(credit::PromiseArgs),
    /// Plan the reminder ladder for a day; `--dry-run` shows the messages without queueing.
    Dunning(dunning::DunningArgs),
    /// Deliver the outbox (e-mail over SMTP, letters, webhooks, tasks). Exits 2 when any
    /// action could not be delivered this run (retried later or failed), 0 otherwise.
    Deliver(dunning::DeliverArgs),
    /// Every queued and delivered action, with its status and policy version.
    Outbox(dunning::OutboxArgs),
    /// Calls and other tasks for people; `done` and `snooze` them.
    Tasks(arrangements::TasksArgs),
    /// Record (or resolve) a disputed invoice: reminders for it wait.
    Dispute(arrangements::DisputeArgs),
    /// Record a payment plan: instalments chased on their own due dates.
    PaymentPlan(arrangements::PaymentPlanArgs),
    /// The statutory packs' reference rates: `law update` fetches them from their publishers.
    #[command(subcommand)]
    Law(law::LawCommand),
    /// Letters delivered (from the shared store, whichever instance filed them), or one's text.
    Letters {
        /// A letter's key (or a unique beginning of it): print its text.
        key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Credit holds the dunning ladder delivered: list them, or release a customer's.
    #[command(subcommand)]
    Hold(arrangements::HoldCommand),
    /// Look a company up through a bureau connection and show the reports.
    Lookup(lookup::LookupArgs),
    /// Run the service: scheduled syncs, credit and dunning evaluation, delivery, bureau
    /// monitoring, and the HTTP API (see the README's server section).
    Serve(ServeArgs),
    /// Run the whole job on sample data: bundled plugins, a local vendor sandbox, a throwaway home.
    Demo(demo::DemoArgs),
    /// Print the JSON Schemas of the common model and the config files, or write them to a folder.
    Schema {
        /// Write `*.schema.json` files into this folder instead of printing.
        #[arg(long)]
        write: Option<PathBuf>,
    },
    /// Serve a local vendor sandbox until interrupted: `example` (the SDK's invoicing API) or
    /// `xero` (the Xero Accounting API) or `quickbooks` (QuickBooks Online's query API).
    Sandbox {
        /// Which vendor's API to serve.
        #[arg(value_enum, default_value = "example")]
        vendor: SandboxVendor,
        /// Port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Invoices to generate.
        #[arg(long, default_value_t = 250)]
        invoices: usize,
        /// Bearer token the sandbox accepts.
        #[arg(long, default_value = "sandbox-token")]
        token: String,
        /// Where `smtp` files the messages it accepts.
        #[arg(long, default_value = "mailbox")]
        mailbox: PathBuf,
    },
}

/// `credence serve`'s options over `[server]` of credence.toml.
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address of the API (default `[server] listen`); port 0 picks a free one.
    #[arg(long)]
    listen: Option<String>,
    /// This instance's name in leases, claims and logs (default `[server] instance`, else
    /// host name and process id).
    #[arg(long)]
    instance: Option<String>,
}

/// The vendor APIs `credence sandbox` serves.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SandboxVendor {
    Example,
    Xero,
    Quickbooks,
    /// A mail exchange (SMTP) that files messages into `--mailbox`.
    Smtp,
}

/// The tenant id the Xero sandbox accepts, and the QuickBooks sandbox's company (realm) id.
const SANDBOX_TENANT: &str = "sandbox-tenant";
const SANDBOX_REALM: &str = "9130350000000000";

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // Errors quote plugins, vendors and ledgers: no escape sequence reaches the terminal.
            eprintln!("error: {}", output::safe_text(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init { force } => {
            let home = Home::init(&cli.home, force)?;
            outln!("Created a Credence home in {}", home.root().display());
            outln!(
                "Next: build plugins (`cargo xtask plugins`), then `credence plugin install target/plugins/<id>`."
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugin(command) => plugin::run(&Home::open(&cli.home)?, command).await,
        Command::Connection(command) => connection::run(&Home::open(&cli.home)?, command).await,
        Command::Sync(args) => sync::run(&Home::open(&cli.home)?, args).await,
        Command::Customers { json } => customers::list(&Home::open(&cli.home)?, json).await,
        Command::Customer { id, json } => customers::show(&Home::open(&cli.home)?, &id, json).await,
        Command::Invoices {
            customer,
            open,
            json,
        } => customers::invoices(&Home::open(&cli.home)?, customer.as_deref(), open, json).await,
        Command::Quarantine { json } => sync::quarantine(&Home::open(&cli.home)?, json).await,
        Command::Read(args) => read::run(&Home::open(&cli.home)?, args).await,
        Command::Evaluate(args) => credit::evaluate(&Home::open(&cli.home)?, args).await,
        Command::Credit(args) => credit::show(&Home::open(&cli.home)?, args).await,
        Command::Monitor(args) => monitor::run(&Home::open(&cli.home)?, args).await,
        Command::Promise(args) => credit::promise(&Home::open(&cli.home)?, args).await,
        Command::Dunning(args) => dunning::run(&Home::open(&cli.home)?, args).await,
        Command::Deliver(args) => dunning::deliver(&Home::open(&cli.home)?, args).await,
        Command::Outbox(args) => dunning::outbox(&Home::open(&cli.home)?, args).await,
        Command::Tasks(args) => arrangements::tasks(&Home::open(&cli.home)?, args).await,
        Command::Dispute(args) => arrangements::dispute(&Home::open(&cli.home)?, args).await,
        Command::PaymentPlan(args) => {
            arrangements::payment_plan(&Home::open(&cli.home)?, args).await
        }
        Command::Law(command) => law::run(&Home::open(&cli.home)?, command).await,
        Command::Letters { key, json } => {
            arrangements::letters(&Home::open(&cli.home)?, key, json).await
        }
        Command::Hold(command) => arrangements::hold(&Home::open(&cli.home)?, command).await,
        Command::Lookup(args) => lookup::run(&Home::open(&cli.home)?, args).await,
        Command::Serve(args) => {
            credence_server::run(
                &Home::open(&cli.home)?,
                credence_server::ServeOptions {
                    listen: args.listen,
                    instance: args.instance,
                },
            )
            .await
        }
        Command::Demo(args) => demo::run(args).await,
        Command::Schema { write } => {
            let mut all = credence_app::schema::rendered();
            all.push((
                "openapi.json",
                serde_json::to_string_pretty(&credence_server::openapi_document())? + "\n",
            ));
            for (name, text) in all {
                match &write {
                    Some(dir) => {
                        std::fs::create_dir_all(dir)?;
                        std::fs::write(dir.join(name), text)?;
                        outln!("wrote {}", dir.join(name).display());
                    }
                    None => outln!("// {name}\n{text}"),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sandbox {
            vendor,
            port,
            invoices,
            token,
            mailbox,
        } => {
            let (router, what) = match vendor {
                SandboxVendor::Smtp => {
                    let (addr, handle) = credence_fakes::smtp::serve(port, mailbox.clone()).await?;
                    outln!(
                        "SMTP exchange on {addr}, filing into {}; Ctrl-C to stop",
                        mailbox.display()
                    );
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = handle => {}
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                SandboxVendor::Example => (
                    credence_fakes::example::router(invoices, &token),
                    format!(
                        "example vendor API on http://{{addr}} (token {token:?}, {invoices} invoices)"
                    ),
                ),
                SandboxVendor::Xero => (
                    credence_fakes::xero::XeroSandbox::generated(invoices, &token, SANDBOX_TENANT)
                        .router(),
                    format!(
                        "Xero Accounting API on http://{{addr}}/api.xro/2.0 (access token {token:?}, \
                         tenant {SANDBOX_TENANT:?}, {invoices} invoices)"
                    ),
                ),
                SandboxVendor::Quickbooks => (
                    credence_fakes::quickbooks::QuickBooksSandbox::generated(
                        invoices,
                        &token,
                        SANDBOX_REALM,
                    )
                    .router(),
                    format!(
                        "QuickBooks Online API on http://{{addr}} (access token {token:?}, \
                         realm {SANDBOX_REALM:?}, {invoices} invoices)"
                    ),
                ),
            };
            let (addr, handle) = credence_fakes::serve(router, port).await?;
            outln!(
                "{}; Ctrl-C to stop",
                what.replace("{addr}", &addr.to_string())
            );
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = handle => {}
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
