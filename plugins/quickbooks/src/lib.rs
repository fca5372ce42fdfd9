//! Ledger connector for QuickBooks Online (Accounting API v3, query endpoint): customers (with
//! sub-customers), invoices, credit memos and payments with their linked invoices.
//!
//! - Auth: the OAuth2 access token is a connection secret the host injects as a bearer token;
//!   the company is the `realm_id` in the path.
//! - Paging: `STARTPOSITION`/`MAXRESULTS` (1000 by default), ordered by
//!   `MetaData.LastUpdatedTime`; incremental: after a complete read the next sync asks only for
//!   records updated since the newest one seen.
//! - JSON is asked for; XML answers (the API's default, and the published fixtures) read the
//!   same way through [`xml`].
//! - QuickBooks faults (`{"Fault":{"Error":[{"Message","Detail","code"}],"type"}}`) become
//!   errors that quote them; a body cut short is a transient error (the sync resumes from the
//!   same page); a body that is not XML or JSON at all is quarantined with its text, and the
//!   next sync reads that page again.

pub mod api;
pub mod map;
pub mod xml;

use credence_plugin_sdk::http::Response;
use credence_plugin_sdk::{
    ConfigEntry, Description, ErrorExt, Ledger, Page, PluginError, SourceRecord, config, http,
    paging,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Streams and the QuickBooks entity each reads.
pub const STREAMS: &[(&str, &str)] = &[
    ("customers", "Customer"),
    ("invoices", "Invoice"),
    ("credit-notes", "CreditMemo"),
    ("payments", "Payment"),
];

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// Next STARTPOSITION (1-based).
    position: u32,
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    newest: Option<String>,
}

/// What a response body held.
#[derive(Debug)]
pub enum Body {
    /// Entities by name, in document order.
    Entities(Vec<(String, Value)>),
    /// A QuickBooks fault: its type and messages.
    Fault(String),
}

/// Read a response body, JSON or XML. `Err` when it is neither: `cut_short` for a body that
/// ends early (a network failure), else the parser's message.
pub fn read_body(body: &[u8]) -> Result<Body, xml::XmlError> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let (root, value) = if trimmed.starts_with('{') {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => ("IntuitResponse".to_string(), v),
            Err(e) => {
                return Err(xml::XmlError {
                    cut_short: e.is_eof(),
                    message: e.to_string(),
                });
            }
        }
    } else {
        xml::to_json(trimmed)?
    };
    let fault = if root == "Fault" {
        Some(&value)
    } else {
        value.get("Fault")
    };
    if let Some(fault) = fault {
        return Ok(Body::Fault(fault_text(fault)));
    }
    let mut out = Vec::new();
    let container = value
        .get("CDCResponse")
        .and_then(|c| c.get("QueryResponse"))
        .or_else(|| value.get("QueryResponse"))
        .unwrap_or(&value);
    let mut push = |name: &str, v: &Value| match v {
        Value::Array(items) => out.extend(items.iter().map(|i| (name.to_string(), i.clone()))),
        other => out.push((name.to_string(), other.clone())),
    };
    if STREAMS.iter().any(|(_, e)| *e == root) {
        push(&root, &value);
    } else if let Value::Object(map) = container {
        for (name, v) in map {
            if STREAMS.iter().any(|(_, e)| e == name) {
                push(name, v);
            }
        }
    }
    Ok(Body::Entities(out))
}

fn fault_text(fault: &Value) -> String {
    let kind = fault
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("Fault")
        .to_string();
    let errors = match fault.get("Error") {
        Some(Value::Array(e)) => e.clone(),
        Some(e) => vec![e.clone()],
        None => Vec::new(),
    };
    let messages: Vec<String> = errors
        .iter()
        .map(|e| {
            let field = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default();
            let code = e
                .get("code")
                .and_then(Value::as_str)
                .map(|c| format!(" (code {c})"))
                .unwrap_or_default();
            format!("{}: {}{code}", field("Message"), field("Detail"))
        })
        .collect();
    format!("{kind}: {}", messages.join("; "))
}

/// Map the entities of a body to records (only `entity` when given). A body that is not XML
/// or JSON becomes one rejected record named `what`, so it is kept in quarantine.
pub fn records_in(
    body: &[u8],
    entity: Option<&str>,
    what: &str,
    home_currency: Option<&str>,
) -> Result<(Vec<SourceRecord>, usize), PluginError> {
    let entities = match read_body(body) {
        Ok(Body::Entities(e)) => e,
        Ok(Body::Fault(f)) => return Err(PluginError::permanent(format!("QuickBooks {f}"))),
        Err(e) if e.cut_short => {
            return Err(PluginError::transient(format!(
                "the QuickBooks response for {what} was cut short ({}); the next attempt reads it again",
                e.message
            )));
        }
        Err(e) => {
            return Ok((
                vec![SourceRecord::rejected(
                    what,
                    format!(
                        "QuickBooks sent a body that is neither XML nor JSON: {}",
                        e.message
                    ),
                    Some(String::from_utf8_lossy(body).into_owned()),
                )],
                0,
            ));
        }
    };
    let entities: Vec<(String, Value)> = entities
        .into_iter()
        .filter(|(name, _)| entity.is_none_or(|e| e == name))
        .collect();
    let n = entities.len();
    let records = entities
        .into_iter()
        .map(|(name, value)| map_entity(&name, value, home_currency))
        .collect();
    Ok((records, n))
}

fn map_entity(name: &str, value: Value, home: Option<&str>) -> SourceRecord {
    let id = value
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or("(no Id)")
        .to_string();
    // Change data capture (and delete responses) mark removed entities `status="Deleted"`.
    if value.get("status").and_then(Value::as_str) == Some("Deleted") {
        let updated = value
            .pointer("/MetaData/LastUpdatedTime")
            .and_then(Value::as_str)
            .map(str::to_string);
        return SourceRecord::deleted(id, updated);
    }
    let bad = |e: serde_json::Error, value: &Value| {
        SourceRecord::rejected(
            id.clone(),
            format!("QuickBooks {name} {id} has an unexpected shape: {e}"),
            Some(value.to_string()),
        )
    };
    match name {
        "Customer" => match serde_json::from_value(value.clone()) {
            Ok(c) => map::customer(c, home),
            Err(e) => bad(e, &value),
        },
        "Invoice" | "CreditMemo" => match serde_json::from_value(value.clone()) {
            Ok(t) => map::document(t, name == "CreditMemo", home),
            Err(e) => bad(e, &value),
        },
        _ => match serde_json::from_value(value.clone()) {
            Ok(p) => map::payment(p, home),
            Err(e) => bad(e, &value),
        },
    }
}

/// QuickBooks' fault, worded for the user, with the kind the status calls for.
fn checked(response: Response) -> Result<Response, PluginError> {
    response.success_or(|r| {
        let detail = match read_body(&r.body) {
            Ok(Body::Fault(f)) => f,
            _ => r.text().chars().take(200).collect(),
        };
        let hint = match r.status {
            401 => {
                " (the access token was refused or expired: renew the connection's access_token secret)"
            }
            403 => " (this token may not read the company: check realm_id and the app's scopes)",
            _ => "",
        };
        format!("QuickBooks answered HTTP {}: {detail}{hint}", r.status)
    })
}

fn setting_number(key: &str, default: u32, max: u32) -> Result<u32, PluginError> {
    let text = config::get(key).unwrap_or_else(|| default.to_string());
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(PluginError::bad_config(format!(
            "{key} {text:?} must be a whole number from 1 to {max}"
        ))),
    }
}

fn query(statement: &str) -> Result<http::RequestBuilder, PluginError> {
    let base = config::get("base_url")
        .unwrap_or_else(|| "https://quickbooks.api.intuit.com".into())
        .trim_end_matches('/')
        .to_string();
    let realm = config::require("realm_id")?;
    let minor = config::get("minor_version").unwrap_or_else(|| "75".into());
    Ok(http::get(&format!("{base}/v3/company/{realm}/query"))
        .query("query", statement)
        .query("minorversion", &minor)
        .header("Accept", "application/json")
        .bearer_secret(&config::require_secret("access_token")?))
}

/// The SQL-like statement for one page.
pub fn statement(entity: &str, since: Option<&str>, position: u32, size: u32) -> String {
    let filter = since
        .map(|s| format!(" WHERE MetaData.LastUpdatedTime >= '{s}'"))
        .unwrap_or_default();
    format!(
        "SELECT * FROM {entity}{filter} ORDERBY MetaData.LastUpdatedTime STARTPOSITION {position} MAXRESULTS {size}"
    )
}

/// The connector.
pub struct QuickBooksLedger;

impl Ledger for QuickBooksLedger {
    fn describe() -> Description {
        let mut d = Description::ledger("quickbooks", env!("CARGO_PKG_VERSION"));
        for (stream, _) in STREAMS {
            d = d.stream(stream, true);
        }
        d.setting("base_url", "QuickBooks Online API base URL", false)
            .with_default("https://quickbooks.api.intuit.com")
            .setting("realm_id", "Company id (realm id)", true)
            .secret("access_token", "OAuth2 access token")
            .setting(
                "page_size",
                "Records per query page (MAXRESULTS, 1 to 1000)",
                false,
            )
            .with_default("1000")
            .setting("minor_version", "API minor version", false)
            .with_default("75")
            .setting(
                "home_currency",
                "The company's home currency, for records that carry no CurrencyRef",
                false,
            )
    }

    /// One query for one customer: a wrong token or realm fails here, not mid-sync.
    fn check(config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        credence_plugin_sdk::config::check_required(&Self::describe(), &config)?;
        setting_number("page_size", 1000, 1000)?;
        let response = checked(query(&statement("Customer", None, 1, 1))?.send()?)?;
        match read_body(&response.body) {
            Ok(Body::Fault(f)) => Err(PluginError::bad_config(format!("QuickBooks {f}"))),
            _ => Ok(()),
        }
    }

    fn read(stream: String, cursor: Option<String>) -> Result<Page, PluginError> {
        let Some((_, entity)) = STREAMS.iter().find(|(s, _)| *s == stream) else {
            return Err(PluginError::bad_config(format!(
                "unknown stream {stream:?}"
            )));
        };
        let saved: Cursor = paging::decode_cursor(cursor.as_deref())?;
        let position = saved.position.max(1);
        let size = setting_number("page_size", 1000, 1000)?;
        let home = config::get("home_currency").filter(|c| !c.trim().is_empty());
        let response =
            checked(query(&statement(entity, saved.since.as_deref(), position, size))?.send()?)?;
        let what = format!("{entity} query at position {position}");
        let (records, items) = records_in(&response.body, Some(entity), &what, home.as_deref())?;
        if items == 0 && records.iter().any(|r| r.remote_id == what) {
            // An unreadable page: quarantined; the next sync reads this page again.
            return Ok(Page {
                records,
                cursor,
                has_more: false,
            });
        }
        // QuickBooks orders by LastUpdatedTime and writes it in the company's zone (its offset
        // changes with daylight saving), so the newest is the last one, not the greatest text.
        let newest = records
            .iter()
            .rev()
            .find_map(|r| r.remote_updated_at.clone())
            .or(saved.newest.clone());
        Ok(if items >= size as usize {
            paging::more(
                records,
                &Cursor {
                    position: position + size,
                    since: saved.since,
                    newest,
                },
            )
        } else {
            paging::last(
                records,
                &Cursor {
                    position: 1,
                    since: newest.or(saved.since),
                    newest: None,
                },
            )
        })
    }
}

credence_plugin_sdk::export_ledger!(QuickBooksLedger);
