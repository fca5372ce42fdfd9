//! The acceptance suite fails a careless connector on every count it should: a credential in a
//! plain setting and a plain header, a check that accepts anything, a cursor it ignores, and
//! totals that do not add up.

use credence_plugin_sdk::acceptance::Acceptance;
use credence_plugin_sdk::harness::{Exchange, Harness};
use credence_plugin_sdk::types::{Document, RecordBody, Totals};
use credence_plugin_sdk::{
    ConfigEntry, Description, Ledger, Page, PluginError, SourceRecord, config, http,
};

struct Careless;

impl Ledger for Careless {
    fn describe() -> Description {
        Description::ledger("careless", "0.0.1")
            .stream("invoices", true)
            .setting("base_url", "API", true)
            .setting("api_token", "Token", true)
    }

    fn check(_: Vec<ConfigEntry>) -> Result<(), PluginError> {
        Ok(())
    }

    fn read(_: String, _: Option<String>) -> Result<Page, PluginError> {
        let token = config::get("api_token").unwrap_or_default();
        http::get("https://api.test/invoices")
            .header("Authorization", &format!("Bearer {token}"))
            .send()?;
        let totals = Totals::simple("100", "20", "150");
        let doc = Document::new("INV-1", "c1", "2026-10-01", "EUR", totals);
        Ok(Page {
            records: vec![SourceRecord::new(
                "inv-1",
                Some("2026-10-01T00:00:00Z".into()),
                RecordBody::Invoice(doc),
            )],
            cursor: Some("{}".into()),
            has_more: false,
        })
    }
}

#[test]
fn a_careless_connector_fails_each_check() {
    let failures = Acceptance::<Careless>::new(|| {
        Harness::new()
            .replaying()
            .set("base_url", "https://api.test")
            .set("api_token", "plain-text-token")
            .exchanges(vec![Exchange::get_json(
                "https://api.test/invoices",
                200,
                serde_json::json!({}),
            )])
    })
    .bad_config(
        "no token",
        Harness::new().set("base_url", "https://api.test"),
    )
    .future_cursor("invoices", r#"{"since":"9999-12-31"}"#)
    .run();
    let all = failures.join("\n");
    for expected in [
        "secrets: `api_token` looks like a credential",
        "sends authorization in plain text",
        "bad config: check accepted an empty configuration",
        "bad config: check accepted a bad configuration (no token)",
        "BR-CO-15",
        "future cursor: invoices returned 1 records",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
}

/// A bureau that reports on everyone, with a score outside any decimal and a password in a plain
/// setting.
struct Gossip;

impl credence_plugin_sdk::Bureau for Gossip {
    fn describe() -> Description {
        Description::bureau("gossip", "0.0.1").setting("password", "Password", true)
    }

    fn check(_: Vec<ConfigEntry>) -> Result<(), PluginError> {
        Ok(())
    }

    fn lookup(
        subject: credence_plugin_sdk::CompanySubject,
        _: Option<String>,
    ) -> Result<Page, PluginError> {
        let report = credence_plugin_sdk::types::CreditReport {
            subject_name: subject.name,
            identifiers: Vec::new(),
            report_date: "yesterday".into(),
            source: "gossip".into(),
            score: None,
            rating: None,
            previous_rating: None,
            recommended_limit: Some(credence_plugin_sdk::types::Money {
                amount: "lots".into(),
                currency: "EUR".into(),
            }),
            company_status: None,
            events: Vec::new(),
        };
        Ok(Page {
            records: vec![SourceRecord::new(
                "r",
                None,
                RecordBody::CreditReport(report),
            )],
            cursor: None,
            has_more: false,
        })
    }
}

#[test]
fn a_gossiping_bureau_fails_each_check() {
    use credence_plugin_sdk::CompanySubject;
    use credence_plugin_sdk::acceptance::BureauAcceptance;
    let subject = |name: &str| CompanySubject {
        name: name.into(),
        identifiers: Vec::new(),
        country: None,
    };
    let failures = BureauAcceptance::<Gossip>::new(|| Harness::new().set("password", "x"))
        .known(subject("Acme"))
        .unknown(subject("Nobody at all"))
        .run();
    let all = failures.join("\n");
    for expected in [
        "secrets: `password` looks like a credential",
        "bad config: check accepted an empty configuration",
        "unknown: Nobody at all returned 1 records",
        "report date \"yesterday\" is not ISO 8601",
        "recommended limit \"lots\" is not a decimal",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
}
