//! Ledger connector for the Xero Accounting API (`/api.xro/2.0`): contacts, sales invoices
//! (`ACCREC`) with line items, customer credit notes and payments with their allocation.
//!
//! - Auth: the OAuth2 access token is a connection secret the host injects as
//!   `Authorization: Bearer …`; the organisation is chosen by the `xero-tenant-id` header.
//! - Paging: `page=N&pageSize=S` (100 by default), ordered by `UpdatedDateUTC`.
//! - Incremental: after a complete read the cursor keeps the newest `UpdatedDateUTC` seen, and
//!   the next sync sends it as `If-Modified-Since`.
//! - Errors: 401/403 are auth errors (renew the token, or the tenant is not connected), 429
//!   carries `Retry-After`, Xero's error body (`Type`, `Message`) is quoted in the error.
//! - A record that cannot be decoded or mapped is returned as rejected with its JSON; the rest of
//!   its page is imported.

pub mod api;
pub mod date;
pub mod map;

use credence_plugin_sdk::http::Response;
use credence_plugin_sdk::{
    ConfigEntry, Description, ErrorExt, Ledger, Page, PluginError, SourceRecord, config, http,
    paging,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The streams, their endpoint and filter.
const STREAMS: &[(&str, &str, Option<&str>)] = &[
    ("customers", "Contacts", None),
    ("invoices", "Invoices", Some("Type==\"ACCREC\"")),
    (
        "credit-notes",
        "CreditNotes",
        Some("Type==\"ACCRECCREDIT\""),
    ),
    (
        "payments",
        "Payments",
        Some("PaymentType==\"ACCRECPAYMENT\""),
    ),
];

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// Next page (1-based, as Xero counts).
    page: u32,
    /// Ask only for records modified since this instant (the newest seen by the last full read).
    #[serde(default)]
    since: Option<String>,
    /// The newest `UpdatedDateUTC` seen in the current read.
    #[serde(default)]
    newest: Option<String>,
}

/// One page, mapped.
#[derive(Debug)]
pub struct Mapped {
    pub records: Vec<SourceRecord>,
    /// Items Xero sent (skipped ones included).
    pub items: usize,
    /// Whether Xero's pagination says more pages follow, when it says.
    pub more: Option<bool>,
    /// The newest `UpdatedDateUTC` among all items, as RFC 3339.
    pub newest: Option<String>,
}

/// Map one page of `stream`.
pub fn map_page(stream: &str, body: &[u8]) -> Result<Mapped, PluginError> {
    match stream {
        "customers" => decode(body, "Contacts", map::contact),
        "invoices" => decode(body, "Invoices", |v| map::document(v, false)),
        "credit-notes" => decode(body, "CreditNotes", |v| map::document(v, true)),
        "payments" => decode(body, "Payments", map::payment),
        other => Err(PluginError::bad_config(format!("unknown stream {other:?}"))),
    }
}

/// Decode a list page. A page that decodes as JSON but holds an item of the wrong shape keeps
/// the other items and rejects that one, with its JSON.
fn decode<T: DeserializeOwned + api::Updated>(
    body: &[u8],
    what: &str,
    map: impl Fn(T) -> Option<SourceRecord>,
) -> Result<Mapped, PluginError> {
    let more = |p: &Option<api::Pagination>| p.as_ref().and_then(|p| Some(p.page? < p.page_count?));
    match serde_json::from_slice::<api::ListPage<T>>(body) {
        Ok(page) => {
            let newest = page
                .items
                .iter()
                .filter_map(|i| i.updated().and_then(date::instant))
                .max();
            Ok(Mapped {
                items: page.items.len(),
                more: more(&page.pagination),
                newest,
                records: page.items.into_iter().filter_map(map).collect(),
            })
        }
        Err(e) if e.is_eof() => Err(PluginError::transient(format!(
            "the {what} response was cut short ({e}); retrying from the same page"
        ))),
        Err(e) if e.is_syntax() => Err(PluginError::permanent(format!(
            "the {what} response is not JSON: {e}"
        ))),
        Err(_) => {
            let page: api::ListPage<serde_json::Value> =
                serde_json::from_slice(body).map_err(|e| {
                    PluginError::permanent(format!("cannot decode the {what} response: {e}"))
                })?;
            let newest = page
                .items
                .iter()
                .filter_map(|i| i.get("UpdatedDateUTC")?.as_str().and_then(date::instant))
                .max();
            let items = page.items.len();
            let more = more(&page.pagination);
            let records = page
                .items
                .into_iter()
                .filter_map(|item| match serde_json::from_value::<T>(item.clone()) {
                    Ok(v) => map(v),
                    Err(e) => {
                        let id = ["ContactID", "InvoiceID", "CreditNoteID", "PaymentID"]
                            .iter()
                            .find_map(|k| item.get(*k).and_then(|v| v.as_str()))
                            .unwrap_or("(no id)")
                            .to_string();
                        Some(SourceRecord::rejected(
                            id.clone(),
                            format!("Xero {what} item {id} has an unexpected shape: {e}"),
                            Some(item.to_string()),
                        ))
                    }
                })
                .collect();
            Ok(Mapped {
                records,
                items,
                more,
                newest,
            })
        }
    }
}

/// Xero's error, worded for the user, with the kind the status calls for.
fn checked(response: Response) -> Result<Response, PluginError> {
    response.success_or(|r| {
        let detail = serde_json::from_slice::<api::ErrorBody>(&r.body)
            .ok()
            .map(|b| {
                [b.kind, b.title, b.message, b.detail]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| r.text().chars().take(200).collect());
        let hint = match r.status {
            401 => {
                " (the access token was refused or expired: renew the connection's access_token secret)"
            }
            403 => {
                " (this token has no access to the tenant: check tenant_id and the app's connections)"
            }
            _ => "",
        };
        format!("Xero answered HTTP {}: {detail}{hint}", r.status)
    })
}

fn page_size() -> Result<u32, PluginError> {
    let text = config::get("page_size").unwrap_or_else(|| "100".into());
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(PluginError::bad_config(format!(
            "page_size {text:?} must be a whole number from 1 to 1000"
        ))),
    }
}

fn base_url() -> Result<String, PluginError> {
    let base = config::get("base_url")
        .unwrap_or_else(|| "https://api.xero.com/api.xro/2.0".into())
        .trim_end_matches('/')
        .to_string();
    Ok(base)
}

fn request(endpoint: &str) -> Result<http::RequestBuilder, PluginError> {
    Ok(http::get(&format!("{}/{endpoint}", base_url()?))
        .header("xero-tenant-id", &config::require("tenant_id")?)
        .header("Accept", "application/json")
        .bearer_secret(&config::require_secret("access_token")?))
}

/// The connector.
pub struct XeroLedger;

impl Ledger for XeroLedger {
    fn describe() -> Description {
        let mut d = Description::ledger("xero", env!("CARGO_PKG_VERSION"));
        for (stream, _, _) in STREAMS {
            d = d.stream(stream, true);
        }
        d.setting("base_url", "Xero Accounting API base URL", false)
            .with_default("https://api.xero.com/api.xro/2.0")
            .setting(
                "tenant_id",
                "Xero tenant id (the organisation, sent as xero-tenant-id)",
                true,
            )
            .secret("access_token", "OAuth2 access token")
            .setting(
                "page_size",
                "Records per page (Xero allows 1 to 1000)",
                false,
            )
            .with_default("100")
    }

    /// Ask for the organisation: a wrong token or tenant fails here, not mid-sync.
    fn check(config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        credence_plugin_sdk::config::check_required(&Self::describe(), &config)?;
        page_size()?;
        checked(request("Organisation")?.send()?).map(|_| ())
    }

    fn read(stream: String, cursor: Option<String>) -> Result<Page, PluginError> {
        let Some((_, endpoint, filter)) = STREAMS.iter().find(|(s, _, _)| *s == stream) else {
            return Err(PluginError::bad_config(format!(
                "unknown stream {stream:?}"
            )));
        };
        let cursor: Cursor = paging::decode_cursor(cursor.as_deref())?;
        let page = cursor.page.max(1);
        let size = page_size()?;
        let mut req = request(endpoint)?
            .query("page", &page.to_string())
            .query("pageSize", &size.to_string())
            .query("order", "UpdatedDateUTC ASC");
        if let Some(filter) = filter {
            req = req.query("where", filter);
        }
        if let Some(since) = &cursor.since {
            req = req.header("If-Modified-Since", &date::modified_since(since));
        }
        let response = checked(req.send()?)?;
        let page_read = map_page(&stream, &response.body)?;
        let records = page_read.records;
        let newest = page_read
            .newest
            .into_iter()
            .chain(cursor.newest.clone())
            .max();
        // Without pagination info (older API versions) a full page means there may be more.
        let more = page_read.more.unwrap_or(page_read.items >= size as usize);
        Ok(if more {
            paging::more(
                records,
                &Cursor {
                    page: page + 1,
                    since: cursor.since,
                    newest,
                },
            )
        } else {
            paging::last(
                records,
                &Cursor {
                    page: 1,
                    since: newest.or(cursor.since),
                    newest: None,
                },
            )
        })
    }
}

credence_plugin_sdk::export_ledger!(XeroLedger);
