//! The SDK's worked example: a ledger connector for a small JSON invoicing API
//! (`GET {base_url}/invoices?page=N` → `{"invoices": [...], "next_page": N | null}`), with a
//! bearer token kept by the host. Also the payload of the runtime benchmarks: the same
//! [`map_page`] runs natively and inside wasm.

use credence_plugin_sdk::types::Document;
use credence_plugin_sdk::types::{
    DocumentLine, DocumentStatus, PaymentTerms, RecordBody, TaxSubtotal, Totals,
};
use credence_plugin_sdk::{Description, ErrorExt, Ledger, Page, PluginError, SourceRecord};
use credence_plugin_sdk::{config, http, json::Decimal, paging};
use serde::{Deserialize, Serialize};

/// One page of the vendor's invoice list.
#[derive(Debug, Deserialize, Serialize)]
pub struct VendorPage {
    pub invoices: Vec<VendorInvoice>,
    pub next_page: Option<u32>,
}

/// An invoice as the vendor sends it.
#[derive(Debug, Deserialize, Serialize)]
pub struct VendorInvoice {
    pub id: String,
    pub number: String,
    pub customer_id: String,
    pub issued: String,
    pub due: Option<String>,
    pub currency: String,
    pub status: String,
    pub updated_at: String,
    #[serde(default)]
    pub terms_days: Option<u32>,
    pub lines: Vec<VendorLine>,
    pub net: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub balance: Decimal,
}

/// An invoice line as the vendor sends it.
#[derive(Debug, Deserialize, Serialize)]
pub struct VendorLine {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Decimal,
    pub tax_rate: Decimal,
    pub tax_amount: Decimal,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// Page within the current read.
    page: u32,
    /// Read only invoices changed after this instant (the newest seen by the last complete sync).
    #[serde(default)]
    since: Option<String>,
    /// The newest `updated_at` seen so far in the current read.
    #[serde(default)]
    newest: Option<String>,
}

/// Decode one vendor page and map every invoice to the contract (the benchmarked work).
pub fn map_page(body: &[u8]) -> Result<(Vec<SourceRecord>, Option<u32>), PluginError> {
    let page: VendorPage = credence_plugin_sdk::json::decode(body, "invoices page")?;
    Ok((
        page.invoices.into_iter().map(map_invoice).collect(),
        page.next_page,
    ))
}

/// Map one vendor invoice, moving its strings into the contract record (no copies).
fn map_invoice(v: VendorInvoice) -> SourceRecord {
    let status = match v.status.as_str() {
        "draft" => DocumentStatus::Draft,
        "paid" => DocumentStatus::Paid,
        "void" => DocumentStatus::Voided,
        _ => DocumentStatus::Open,
    };
    let rate = v.lines.first().map(|l| l.tax_rate.0.clone());
    let tax_breakdown = vec![TaxSubtotal {
        category: "S".into(),
        rate,
        taxable_amount: v.net.0.clone(),
        tax_amount: v.tax.0.clone(),
        exemption_reason: None,
    }];
    let totals = Totals::simple(&v.net.0, &v.tax.0, &v.total.0);
    let mut doc = Document::new(v.number, v.customer_id, v.issued, v.currency, totals);
    doc.status = status;
    doc.due_date = v.due;
    doc.amount_outstanding = Some(v.balance.0);
    doc.terms = v.terms_days.map(|days| PaymentTerms {
        description: None,
        net_days: Some(days),
        discount_percent: None,
        discount_days: None,
    });
    doc.tax_breakdown = tax_breakdown;
    doc.lines = v
        .lines
        .into_iter()
        .map(|l| DocumentLine {
            description: Some(l.description),
            quantity: Some(l.quantity.0),
            unit_price: Some(l.unit_price.0),
            net_amount: l.amount.0,
            tax_category: Some("S".into()),
            tax_rate: Some(l.tax_rate.0),
            item_id: None,
        })
        .collect();
    SourceRecord::new(v.id, Some(v.updated_at), RecordBody::Invoice(doc))
}

/// The connector.
pub struct ExampleLedger;

impl Ledger for ExampleLedger {
    fn describe() -> Description {
        Description::ledger("example-ledger", env!("CARGO_PKG_VERSION"))
            .stream("invoices", true)
            .setting("base_url", "API base URL", true)
            .secret("api_token", "API token")
    }

    /// Reach the API with the token: a wrong URL or a refused token fails here, not mid-sync.
    fn check(config: Vec<credence_plugin_sdk::ConfigEntry>) -> Result<(), PluginError> {
        config::check_required(&Self::describe(), &config)?;
        let base = config::require("base_url")?;
        http::get(&format!("{base}/invoices"))
            .query("page", "0")
            .bearer_secret(&config::require_secret("api_token")?)
            .send()?
            .success()
            .map(|_| ())
    }

    fn read(stream: String, cursor: Option<String>) -> Result<Page, PluginError> {
        if stream != "invoices" {
            return Err(PluginError::bad_config(format!(
                "unknown stream {stream:?}"
            )));
        }
        let cursor: Cursor = paging::decode_cursor(cursor.as_deref())?;
        let base = config::require("base_url")?;
        let mut request =
            http::get(&format!("{base}/invoices")).query("page", &cursor.page.to_string());
        if let Some(since) = &cursor.since {
            request = request.query("updated_since", since);
        }
        let response = request
            .bearer_secret(&config::require_secret("api_token")?)
            .send()?
            .success()?;
        let (records, next) = map_page(&response.body)?;
        let newest = records
            .iter()
            .filter_map(|r| r.remote_updated_at.clone())
            .chain(cursor.newest.clone())
            .max();
        Ok(match next {
            Some(page) => paging::more(
                records,
                &Cursor {
                    page,
                    since: cursor.since,
                    newest,
                },
            ),
            // Done: the next sync asks only for what changed after the newest invoice seen.
            None => paging::last(
                records,
                &Cursor {
                    page: 0,
                    since: newest.or(cursor.since),
                    newest: None,
                },
            ),
        })
    }
}

credence_plugin_sdk::export_ledger!(ExampleLedger);
