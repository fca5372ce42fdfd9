//! The SDK's bureau acceptance suite on the GLEIF connector, over a recorded GLEIF-shaped answer.

use credence_plugin_sdk::CompanySubject;
use credence_plugin_sdk::acceptance::BureauAcceptance;
use credence_plugin_sdk::harness::{Exchange, Harness};
use credence_plugin_sdk::types::{IdScheme, PartyIdentifier};
use gleif::Gleif;
use serde_json::json;

const BASE: &str = "https://api.gleif.test/api/v1";

fn subject(lei: &str) -> CompanySubject {
    CompanySubject {
        name: "Puma".into(),
        identifiers: vec![PartyIdentifier {
            scheme: IdScheme::Lei,
            value: lei.into(),
            country: None,
        }],
        country: None,
    }
}

fn harness() -> Harness {
    let record = json!({"data": {"type": "lei-records", "id": "529900GRZ2BQY5ZM9N49", "attributes": {
        "lei": "529900GRZ2BQY5ZM9N49",
        "entity": {"legalName": {"name": "PUMA SE"}, "status": "ACTIVE", "jurisdiction": "DE",
                   "registeredAs": "HRB 13085", "legalAddress": {"country": "DE"},
                   "expiration": {"date": null, "reason": null}},
        "registration": {"status": "ISSUED", "lastUpdateDate": "2024-08-28T10:36:27Z", "nextRenewalDate": "2025-10-22T22:00:00Z"}
    }}});
    Harness::new()
        .replaying()
        .set("base_url", BASE)
        .set("page_size", "10")
        .exchanges(vec![
            Exchange::get_json(
                &format!("{BASE}/lei-records/529900GRZ2BQY5ZM9N49"),
                200,
                record,
            ),
            Exchange::get_json(
                &format!("{BASE}/lei-records/00000000000000000000"),
                404,
                json!({"errors": [{"status": "404", "title": "Not Found"}]}),
            ),
            Exchange::get_json(
                &format!("{BASE}/lei-records?page%5Bsize%5D=1"),
                200,
                json!({"data": []}),
            ),
        ])
}

#[test]
fn passes_the_bureau_acceptance_suite() {
    BureauAcceptance::<Gleif>::new(harness)
        .bad_config(
            "a page size GLEIF refuses",
            Harness::new().set("base_url", BASE).set("page_size", "500"),
        )
        .known(subject("529900GRZ2BQY5ZM9N49"))
        .unknown(subject("00000000000000000000"))
        .assert_passes();
}
