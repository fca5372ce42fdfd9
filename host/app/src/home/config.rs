//! `credence.toml`: storage, runtime caps, policy file, connections.

use credence_runtime::limits::Limits;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Written by `credence init`. Every section is documented in place.
pub const DEFAULT_CONFIG: &str = r#"# Credence configuration.
# Paths are relative to this folder (the Credence home). Edit by hand or with `credence connection add`.

[storage]
# Embedded SQLite database file, in this home. The default; nothing to install.
sqlite = "credence.db"
# Server mode: a PostgreSQL URL instead, e.g.
# postgres = "postgres://credence@127.0.0.1:5432/credence"
# postgres_schema = "credence"   # the schema holding Credence's tables (created if missing)

[policy]
# The credit and dunning policy (limits, holds, reminder ladder, fees). Created on first use.
file = "policy.toml"

[runtime.limits]
# Ceilings for every plugin: a plugin's manifest may ask for less, never more.
memory_mib = 256        # linear memory per plugin instance
cpu_ms = 30000          # guest CPU time per call (time waiting for HTTP does not count)
response_mib = 64       # largest HTTP response or file a plugin may read
http_timeout_s = 60     # per HTTP request
http_retries = 4        # retries on 429 / 5xx / connection failures, with backoff
wall_s = 300            # wall-clock time per call, whatever the plugin waits on
http_calls_per_call = 2000
http_calls_per_sync = 200000
sync_pages = 100000     # one sync of one connection, over all its streams:
sync_records = 10000000 #   pages, records,
sync_mib = 8192         #   MiB read from HTTP and files,
sync_minutes = 360      #   and minutes; past any of them the sync stops with what it committed

[delivery]
# Dunning messages: who signs them and how customers pay.
company = "Credit control"
from = "Credit control <credit-control@localhost>"
payment_instructions = ""
# Payment instructions per message language, where the default is not right for it:
# [delivery.payment_instructions_by_language]
# fr = "IBAN FR76 ..., BIC ..., en indiquant les numéros de facture"
# Transient failures (a relay that is down) are retried after retry_after_s seconds of real
# time, twice as long after each further attempt, until max_attempts:
# max_attempts = 8
# retry_after_s = 60
# An SMTP relay for e-mails (without it, e-mails wait in the outbox):
# [delivery.smtp]
# host = "127.0.0.1"
# port = 25
# username = "credence"
# password_env = "CREDENCE_SMTP_PASSWORD"
# Holds and collection hand-offs as signed POSTs (without it, they become tasks):
# [delivery.webhook]
# url = "https://erp.example.com/hooks/credence"
# secret_env = "CREDENCE_WEBHOOK_SECRET"

[server]
# `credence serve`: the HTTP API and the schedule. See the README's server section.
listen = "127.0.0.1:8640"
sync_every_s = 900        # per connection; a connection may set its own sync_every_s
jitter_s = 30
concurrency = 4           # syncs at once in this instance
lease_s = 60              # a dead instance's jobs are taken over after this
evaluate_every_s = 3600   # credit and dunning, also after syncs that changed something:
evaluate_settle_s = 3     # ... once this long has passed without another one finishing
deliver_every_s = 30
drain_s = 30              # on SIGTERM: time for the work in hand to finish before the process exits
# [[server.tokens]]
# name = "ops"
# scope = "admin"         # or "read"
# token_env = "CREDENCE_ADMIN_TOKEN"

# Connections: one table each. `credence connection add NAME --plugin ID --set k=v --secret k=ENV_VAR`
# writes them. Secrets are never stored here: only the name of the environment variable that holds them.
#
# [connections.acme-xero]
# plugin = "xero"
# settings = { tenant_id = "..." }
# secrets = { access_token = "XERO_ACCESS_TOKEN" }
"#;

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CredenceConfig {
    #[serde(default)]
    pub storage: StorageConfig,
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub runtime: RuntimeConfig,
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionConfig>,
    #[serde(default)]
    pub delivery: DeliveryConfig,
    #[serde(default)]
    pub server: ServerConfig,
}

/// `credence serve`: the API and the schedule (see the README's server section).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address of the HTTP API.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// This instance's name in leases, claims and logs (default: host name and process id).
    #[serde(default)]
    pub instance: Option<String>,
    /// Seconds between two syncs of a connection (a connection may set its own `sync_every_s`).
    #[serde(default = "default_sync_every")]
    pub sync_every_s: u64,
    /// Up to this many seconds added at random to each next sync, so connections spread out.
    #[serde(default = "default_jitter")]
    pub jitter_s: u64,
    /// Syncs run at the same time by this instance.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// A job's lease: renewed every third of it while the job runs; another instance takes the
    /// job over once a dead instance's lease has run out.
    #[serde(default = "default_lease")]
    pub lease_s: u64,
    /// After failures in a row a connection waits sync_every_s × 2^failures, at most this.
    #[serde(default = "default_backoff_max")]
    pub backoff_max_s: u64,
    /// Credit evaluation and the dunning plan run after every sync and at least this often.
    #[serde(default = "default_evaluate_every")]
    pub evaluate_every_s: u64,
    /// After a sync changed something, wait this long for more syncs to finish before
    /// evaluating, so a burst of syncs costs one evaluation, not one each.
    #[serde(default = "default_evaluate_settle")]
    pub evaluate_settle_s: u64,
    /// How often bureau reports are checked against the policy's cadence.
    #[serde(default = "default_monitor_every")]
    pub monitor_every_s: u64,
    /// How often the outbox is delivered.
    #[serde(default = "default_deliver_every")]
    pub deliver_every_s: u64,
    /// After SIGTERM, how long the work in hand may take to finish before the process exits
    /// anyway (what was committed stays committed; a sync resumes from its last page).
    #[serde(default = "default_drain")]
    pub drain_s: u64,
    /// Who may call the API; without tokens only /health and /ready answer.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
}

/// A bearer token of the API.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who holds it (logged with every request it makes).
    pub name: String,
    pub scope: TokenScope,
    /// The environment variable holding the token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Or the token's SHA-256, in hex (`printf %s TOKEN | sha256sum`).
    #[serde(default)]
    pub token_sha256: Option<String>,
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TokenScope {
    /// Read everything.
    Read,
    /// Read, and act: complete and snooze tasks, record promises and disputes, trigger syncs.
    Admin,
}

fn default_listen() -> String {
    "127.0.0.1:8640".into()
}
fn default_sync_every() -> u64 {
    900
}
fn default_jitter() -> u64 {
    30
}
fn default_concurrency() -> usize {
    4
}
fn default_lease() -> u64 {
    60
}
fn default_backoff_max() -> u64 {
    3600
}
fn default_evaluate_every() -> u64 {
    3600
}
fn default_evaluate_settle() -> u64 {
    3
}
fn default_monitor_every() -> u64 {
    3600
}
fn default_drain() -> u64 {
    30
}
fn default_deliver_every() -> u64 {
    30
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: default_listen(),
            instance: None,
            sync_every_s: default_sync_every(),
            jitter_s: default_jitter(),
            concurrency: default_concurrency(),
            lease_s: default_lease(),
            backoff_max_s: default_backoff_max(),
            evaluate_every_s: default_evaluate_every(),
            evaluate_settle_s: default_evaluate_settle(),
            monitor_every_s: default_monitor_every(),
            deliver_every_s: default_deliver_every(),
            drain_s: default_drain(),
            tokens: Vec::new(),
        }
    }
}

/// Where dunning actions go (`credence deliver`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Signed under every message.
    #[serde(default = "default_company")]
    pub company: String,
    /// Sender of e-mails, e.g. "Credit control <credit@example.com>".
    #[serde(default = "default_from")]
    pub from: String,
    /// Bank details or a payment link, printed under the totals.
    #[serde(default)]
    pub payment_instructions: String,
    /// The same per message language (`fr = "..."`), where the default is not right for it.
    #[serde(default)]
    pub payment_instructions_by_language: std::collections::BTreeMap<String, String>,
    /// Attempts before an action is marked failed (transient errors are retried with backoff).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Seconds before the first retry of a transient failure (a relay that is down); each
    /// further attempt waits twice as long, at most a day. Real time, whatever CREDENCE_NOW says.
    #[serde(default = "default_retry_after_s")]
    pub retry_after_s: u64,
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
}

fn default_company() -> String {
    "Credit control".into()
}

fn default_from() -> String {
    "Credit control <credit-control@localhost>".into()
}

fn default_attempts() -> u32 {
    8
}

fn default_retry_after_s() -> u64 {
    60
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            company: default_company(),
            from: default_from(),
            payment_instructions: String::new(),
            payment_instructions_by_language: Default::default(),
            max_attempts: default_attempts(),
            retry_after_s: default_retry_after_s(),
            smtp: None,
            webhook: None,
        }
    }
}

/// An SMTP relay (plain SMTP: a local relay such as Postfix on the same host, which does TLS
/// onward).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default)]
    pub username: Option<String>,
    /// Environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// Seconds per SMTP exchange.
    #[serde(default = "default_smtp_timeout")]
    pub timeout_s: u64,
}

fn default_smtp_port() -> u16 {
    25
}

fn default_smtp_timeout() -> u64 {
    30
}

/// A signed HTTP POST per hold and collections hand-off.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    /// Environment variable holding the signing secret (HMAC-SHA256).
    pub secret_env: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// SQLite file, relative to the home.
    #[serde(default = "default_sqlite")]
    pub sqlite: String,
    /// PostgreSQL URL; when set, it is used instead of SQLite.
    #[serde(default)]
    pub postgres: Option<String>,
    /// The PostgreSQL schema Credence's tables live in (created if missing).
    #[serde(default = "default_schema")]
    pub postgres_schema: String,
}

fn default_schema() -> String {
    "credence".into()
}

fn default_sqlite() -> String {
    "credence.db".into()
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            sqlite: default_sqlite(),
            postgres: None,
            postgres_schema: default_schema(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    #[serde(default = "default_policy")]
    pub file: String,
}

fn default_policy() -> String {
    "policy.toml".into()
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            file: default_policy(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    #[serde(default = "host_cap")]
    pub limits: Limits,
}

/// The ceilings when `credence.toml` names none.
pub fn host_cap() -> Limits {
    Limits {
        memory_mib: 256,
        cpu_ms: 30_000,
        response_mib: 64,
        http_timeout_s: 60,
        http_retries: 4,
        wall_s: 300,
        http_calls_per_call: 2_000,
        http_calls_per_sync: 200_000,
        sync_pages: 100_000,
        sync_records: 10_000_000,
        sync_mib: 8_192,
        sync_minutes: 360,
    }
}

/// One connection: a plugin plus its settings and the environment variables of its secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    pub plugin: String,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Secret name → environment variable holding its value.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// `credence serve`: seconds between syncs of this connection (default `[server] sync_every_s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_every_s: Option<u64>,
}

impl CredenceConfig {
    pub fn parse(text: &str) -> Result<CredenceConfig, String> {
        let config: CredenceConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        for name in config.connections.keys() {
            validate_name(name)?;
        }
        config
            .runtime
            .limits
            .check_minimum()
            .map_err(|e| format!("[runtime.limits]: {e}"))?;
        Ok(config)
    }
}

/// Connection names are used in commands, logs and file names.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "connection name {name:?} must be 1-64 letters, digits, `-` or `_`"
        ))
    }
}

pub(crate) fn insert_connection(
    doc: &mut toml_edit::DocumentMut,
    name: &str,
    c: &ConnectionConfig,
) -> Result<(), String> {
    validate_name(name)?;
    let connections = doc
        .entry("connections")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or("`connections` in credence.toml is not a table")?;
    if connections.contains_key(name) {
        return Err(format!(
            "a connection named {name:?} already exists; remove it first with `credence connection remove {name}`"
        ));
    }
    let mut table = toml_edit::Table::new();
    table["plugin"] = toml_edit::value(c.plugin.as_str());
    let inline = |map: &BTreeMap<String, String>| {
        let mut t = toml_edit::InlineTable::new();
        for (k, v) in map {
            t.insert(k, v.as_str().into());
        }
        toml_edit::value(t)
    };
    table["settings"] = inline(&c.settings);
    table["secrets"] = inline(&c.secrets);
    connections.insert(name, toml_edit::Item::Table(table));
    Ok(())
}

pub(crate) fn remove_connection(
    doc: &mut toml_edit::DocumentMut,
    name: &str,
) -> Result<(), String> {
    let removed = doc
        .get_mut("connections")
        .and_then(|c| c.as_table_mut())
        .and_then(|t| t.remove(name));
    removed.map(|_| ()).ok_or_else(|| {
        format!("no connection named {name:?}; `credence connection list` shows them")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ceilings_below_what_a_plugin_can_run_in_are_refused() {
        for (key, value, floor) in [
            ("memory_mib", "0", "4"),
            ("memory_mib", "1", "4"),
            ("cpu_ms", "5", "100"),
            ("wall_s", "0", "1"),
            ("sync_pages", "0", "1"),
        ] {
            let text = DEFAULT_CONFIG.replacen(
                &format!("\n{key} = "),
                &format!("\n{key} = {value} # was "),
                1,
            );
            let err = CredenceConfig::parse(&text).expect_err(key);
            assert!(
                err.contains(&format!("[runtime.limits]: `{key} = {value}` is below the smallest workable value, {floor}")),
                "{key}: {err}"
            );
        }
    }

    #[test]
    fn the_default_config_parses_and_connections_keep_comments() {
        let config = CredenceConfig::parse(DEFAULT_CONFIG).expect("default config parses");
        assert!(config.connections.is_empty());
        assert_eq!(config.runtime.limits, host_cap());
        let mut doc: toml_edit::DocumentMut = DEFAULT_CONFIG.parse().expect("toml");
        let c = ConnectionConfig {
            plugin: "xero".into(),
            settings: [("tenant_id".to_string(), "t-1".to_string())].into(),
            secrets: [("access_token".to_string(), "XERO_TOKEN".to_string())].into(),
            sync_every_s: None,
        };
        insert_connection(&mut doc, "acme", &c).expect("insert");
        let text = doc.to_string();
        assert!(
            text.contains("# Ceilings for every plugin"),
            "comments kept"
        );
        let parsed = CredenceConfig::parse(&text).expect("still valid");
        assert_eq!(parsed.connections["acme"], c);
        assert!(
            insert_connection(&mut doc, "acme", &c)
                .unwrap_err()
                .contains("already exists")
        );
        remove_connection(&mut doc, "acme").expect("remove");
        assert!(
            CredenceConfig::parse(&doc.to_string())
                .expect("valid")
                .connections
                .is_empty()
        );
    }
}
