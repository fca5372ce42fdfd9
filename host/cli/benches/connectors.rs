//! End-to-end connector throughput (see BENCHMARKS.md), each through its real wasm plugin, the
//! host's validation and the SQLite store:
//! - Xero: 100,000 sales invoices (10 lines each) from the local Xero API over loopback HTTP,
//!   pages of 1,000;
//! - e-invoices: 2,000 UBL invoices (10 lines each) from a folder.
//!
//! Run with `cargo bench -p credence --bench connectors` after `cargo xtask plugins`.

use credence_app::sync::{SyncOutcome, sync_connection};
use credence_fakes::xero::XeroSandbox;
use credence_runtime::bindings::types::{ConfigEntry, ConfigValue};
use credence_runtime::grants::{Grants, SecretScheme};
use credence_runtime::limits::Limits;
use credence_runtime::{Clock, JobContext, Plugin, PluginKind, Runtime};
use credence_store::sqlite::SqliteStore;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const XERO_INVOICES: usize = 100_000;
const UBL_DOCUMENTS: usize = 2_000;

fn job(
    plugin: &str,
    settings: &[(&str, &str)],
    secrets: &[(&str, &str)],
    http: &[&str],
    folders: &[&str],
) -> JobContext {
    let owned: Vec<(String, String)> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = |k: &str| {
        owned
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let mut config: Vec<ConfigEntry> = settings
        .iter()
        .map(|(k, v)| ConfigEntry {
            key: k.to_string(),
            value: ConfigValue::Text(v.to_string()),
        })
        .collect();
    config.extend(secrets.iter().map(|(k, _)| ConfigEntry {
        key: k.to_string(),
        value: ConfigValue::Secret(k.to_string()),
    }));
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    JobContext {
        plugin_id: plugin.into(),
        connection: "bench".into(),
        config,
        secrets: secrets
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        grants: {
            let mut grants =
                Grants::resolve(&strings(http), &strings(folders), &lookup, &[]).expect("grants");
            for (key, _) in secrets {
                grants
                    .bind_secret(key, SecretScheme::Bearer, &strings(http), &lookup)
                    .expect("secret binding");
            }
            grants
        },
        limits: Limits::default(),
        clock: Clock::System,
    }
}

fn load(runtime: &Runtime, id: &str, file: &str) -> Plugin {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/plugins/{id}/{file}"));
    let wasm = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask plugins` first", path.display()));
    runtime
        .load_bytes(id, PluginKind::Ledger, &wasm)
        .expect("plugin")
}

/// Three full syncs, each into an empty store: the median time and every outcome (each
/// required to have succeeded).
fn three_syncs(
    plugin: &Plugin,
    dir: &Path,
    name: &str,
    tokio: &tokio::runtime::Runtime,
    job: impl Fn() -> JobContext,
) -> (Duration, Vec<SyncOutcome>) {
    let mut times = Vec::new();
    let mut outcomes = Vec::new();
    for round in 0..3 {
        let mut store = SqliteStore::open(&dir.join(format!("{name}-{round}.db"))).expect("store");
        let started = Instant::now();
        let outcome = sync_connection(
            plugin,
            job(),
            &mut store,
            tokio.handle().clone(),
            &mut |_, _| {},
        );
        times.push(started.elapsed());
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        outcomes.push(outcome);
    }
    times.sort();
    (times[times.len() / 2], outcomes)
}

/// A UBL invoice with ten lines at 20 % whose totals add up.
fn ubl(i: usize) -> String {
    let mut lines = String::new();
    let mut net = 0i64;
    for l in 0..10 {
        let qty = (l % 3 + 1) as i64;
        let price = ((10 + (i * 7 + l * 13) % 90) * 100 + 50) as i64;
        net += qty * price;
        lines.push_str(&format!(
            r#"<cac:InvoiceLine><cbc:ID>{n}</cbc:ID><cbc:InvoicedQuantity unitCode="C62">{qty}</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">{amount}</cbc:LineExtensionAmount><cac:Item><cbc:Name>Item {l} of order {i}</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">{price}</cbc:PriceAmount></cac:Price></cac:InvoiceLine>"#,
            n = l + 1,
            amount = money(qty * price),
            price = money(price),
        ));
    }
    let tax = net / 5;
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
<cbc:ID>INV-{i:06}</cbc:ID><cbc:IssueDate>2026-10-01</cbc:IssueDate><cbc:DueDate>2026-10-31</cbc:DueDate><cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Seller Ltd</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cbc:EndpointID schemeID="0088">{gln}</cbc:EndpointID><cac:PartyName><cbc:Name>Buyer {b}</cbc:Name></cac:PartyName><cac:PostalAddress><cbc:StreetName>{b} Main St</cbc:StreetName><cbc:CityName>Berlin</cbc:CityName><cbc:PostalZone>10115</cbc:PostalZone><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyTaxScheme><cbc:CompanyID>DE{vat:09}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>Buyer {b} GmbH</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount><cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">{net}</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="EUR">{net}</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">{gross}</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">{gross}</cbc:PayableAmount></cac:LegalMonetaryTotal>
{lines}
</Invoice>"#,
        b = i % 200,
        gln = 4_000_001_000_000u64 + (i % 200) as u64,
        vat = 100_000_000 + i % 200,
        tax = money(tax),
        net = money(net),
        gross = money(net + tax),
    )
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn write_folder(dir: &Path) {
    for i in 0..UBL_DOCUMENTS {
        std::fs::write(dir.join(format!("inv-{i:06}.xml")), ubl(i)).expect("write");
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` probes; this benchmark only runs under `cargo bench`.
    }
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio");
    let runtime = Runtime::new(Limits::default()).expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");

    // Xero.
    let xero = load(&runtime, "xero", "xero.wasm");
    let sandbox = XeroSandbox::invoices_only(XERO_INVOICES, "tok", "t");
    let (addr, _server) = tokio
        .block_on(credence_fakes::serve(sandbox.router(), 0))
        .expect("serve");
    let base = format!("http://{addr}/api.xro/2.0");
    let (t, outcomes) = three_syncs(&xero, dir.path(), "xero", &tokio, || {
        job(
            "xero",
            &[
                ("base_url", &base),
                ("tenant_id", "t"),
                ("page_size", "1000"),
            ],
            &[("access_token", "tok")],
            &["{{config.base_url}}"],
            &[],
        )
    });
    for outcome in outcomes {
        let invoices: u64 = outcome.streams.iter().map(|s| s.counts.new).sum();
        assert_eq!(invoices as usize, XERO_INVOICES);
    }
    println!(
        "xero: {XERO_INVOICES} invoices in {:.2} s ({:.0} invoices/s)",
        t.as_secs_f64(),
        XERO_INVOICES as f64 / t.as_secs_f64()
    );

    // E-invoices.
    let einvoice = load(&runtime, "einvoice", "einvoice.wasm");
    let folder = dir.path().join("inbox");
    std::fs::create_dir(&folder).expect("mkdir");
    write_folder(&folder);
    let folder_text = folder.to_string_lossy().into_owned();
    let (t, outcomes) = three_syncs(&einvoice, dir.path(), "ubl", &tokio, || {
        job(
            "einvoice",
            &[("folder", &folder_text)],
            &[],
            &[],
            &["{{config.folder}}"],
        )
    });
    for outcome in outcomes {
        let c = outcome.streams[0].counts;
        assert_eq!(c.quarantined, 0);
        assert_eq!(
            (c.new + c.updated + c.unchanged) as usize,
            UBL_DOCUMENTS * 2,
            "documents and buyers"
        );
    }
    println!(
        "einvoice: {UBL_DOCUMENTS} UBL invoices in {:.3} s ({:.0} documents/s)",
        t.as_secs_f64(),
        UBL_DOCUMENTS as f64 / t.as_secs_f64()
    );
}
