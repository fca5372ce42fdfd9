//! The SDK's bureau acceptance suite on the Companies House connector, over answers shaped like
//! the public data API's: the API key goes only through the host (as the Basic user name).

use companies_house::CompaniesHouse;
use credence_plugin_sdk::CompanySubject;
use credence_plugin_sdk::acceptance::BureauAcceptance;
use credence_plugin_sdk::harness::{Exchange, Harness};
use credence_plugin_sdk::types::{IdScheme, PartyIdentifier};
use serde_json::json;

const BASE: &str = "https://api.companies-house.test";

fn subject(number: &str) -> CompanySubject {
    CompanySubject {
        name: "Harbour Foods Ltd".into(),
        identifiers: vec![PartyIdentifier {
            scheme: IdScheme::CompanyRegistration,
            value: number.into(),
            country: Some("GB".into()),
        }],
        country: Some("GB".into()),
    }
}

fn exchange(url: &str, status: u16, body: serde_json::Value) -> Exchange {
    serde_json::from_value(json!({
        "request": {"method": "GET", "url": url, "headers": {"Authorization": "secret:api_key"}},
        "response": {"status": status, "body": body}
    }))
    .expect("exchange")
}

fn harness() -> Harness {
    let profile = json!({
        "company_name": "HARBOUR FOODS LTD", "company_number": "00445790",
        "company_status": "active", "has_insolvency_history": false, "type": "ltd",
        "accounts": {"next_due": "2027-03-31", "overdue": false},
        "confirmation_statement": {"next_due": "2026-12-10", "overdue": true}
    });
    let filings = json!({"items": [
        {"category": "gazette", "type": "GAZ1", "date": "2026-11-03", "description": "gazette-notice-compulsory"}
    ], "total_count": 1, "items_per_page": 25, "start_index": 0});
    Harness::new()
        .replaying()
        .set("base_url", BASE)
        .secret("api_key")
        .now_at("2026-11-26T09:00:00Z")
        .exchanges(vec![
            exchange(&format!("{BASE}/company/00445790"), 200, profile),
            exchange(
                &format!("{BASE}/company/00445790/filing-history?items_per_page=25"),
                200,
                filings,
            ),
            exchange(
                &format!("{BASE}/company/99999999"),
                404,
                json!({"errors": [{"error": "company-profile-not-found", "type": "ch:service"}]}),
            ),
            exchange(
                &format!("{BASE}/search/companies?q=credence&items_per_page=1"),
                200,
                json!({"items": [], "total_results": 0}),
            ),
        ])
}

#[test]
fn passes_the_bureau_acceptance_suite() {
    BureauAcceptance::<CompaniesHouse>::new(harness)
        .bad_config("no API key", Harness::new().set("base_url", BASE))
        .known(subject("445790"))
        .unknown(subject("99999999"))
        .assert_passes();
}
