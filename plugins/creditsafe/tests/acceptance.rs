//! The SDK's bureau acceptance suite on the Creditsafe connector, over recorded GlobalData-shaped
//! SOAP answers (requests told apart by their SOAPAction and body).

use credence_plugin_sdk::CompanySubject;
use credence_plugin_sdk::acceptance::BureauAcceptance;
use credence_plugin_sdk::harness::{Exchange, Harness};
use credence_plugin_sdk::types::{IdScheme, PartyIdentifier};
use creditsafe::Creditsafe;
use serde_json::json;

const URL: &str = "https://creditsafe.test/GlobalData/1.3/MainServiceBasic.svc";
const OPS: &str = "http://www.creditsafe.com/globaldata/operations";

fn subject(registration: &str) -> CompanySubject {
    CompanySubject {
        name: "GoCardless".into(),
        identifiers: vec![PartyIdentifier {
            scheme: IdScheme::CompanyRegistration,
            value: registration.into(),
            country: Some("GB".into()),
        }],
        country: None,
    }
}

fn envelope(operation: &str, result: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><{operation}Response xmlns="{OPS}"><{operation}Result xmlns:q1="http://www.creditsafe.com/globaldata/datatypes">{result}</{operation}Result></{operation}Response></s:Body></s:Envelope>"#
    )
}

fn exchange(operation: &str, body_contains: &str, response: String) -> Exchange {
    serde_json::from_value(json!({
        "request": {
            "method": "POST", "url": URL, "body_contains": body_contains,
            "headers": {"SOAPAction": format!("\"{OPS}/CompanyDataAccessService/{operation}\""),
                        "Authorization": "secret:password"}
        },
        "response": {"status": 200, "body_text": response}
    }))
    .expect("exchange")
}

fn harness() -> Harness {
    let found = envelope(
        "FindCompanies",
        r#"<q1:Companies><q1:Company Country="GB" Id="GB003/0/07495895"><q1:Name>GOCARDLESS LTD</q1:Name><q1:RegistrationNumber>07495895</q1:RegistrationNumber></q1:Company></q1:Companies>"#,
    );
    let none = envelope(
        "FindCompanies",
        r#"<q1:Messages><q1:Message Type="Information" Code="10101">There are no results matching specified criteria.</q1:Message></q1:Messages><q1:Companies/>"#,
    );
    let report = envelope(
        "RetrieveCompanyOnlineReport",
        r#"<q1:Reports><q1:Report CompanyId="GB003/0/07495895" ReportCurrency="GBP"><q1:CompanySummary><q1:BusinessName>GOCARDLESS LTD</q1:BusinessName><q1:Country>GB</q1:Country><q1:CompanyRegistrationNumber>07495895</q1:CompanyRegistrationNumber><q1:CompanyStatus Code="Active">Active - Accounts Filed</q1:CompanyStatus></q1:CompanySummary><q1:CreditScore><q1:CurrentCreditRating><q1:CommonValue>B</q1:CommonValue><q1:CreditLimit>250000</q1:CreditLimit><q1:ProviderValue MaxValue="100" MinValue="0">68</q1:ProviderValue></q1:CurrentCreditRating><q1:PreviousCreditRating><q1:CommonValue>A</q1:CommonValue></q1:PreviousCreditRating><q1:DateOfLatestRatingChange>2026-10-29T00:00:00Z</q1:DateOfLatestRatingChange></q1:CreditScore></q1:Report></q1:Reports>"#,
    );
    Harness::new()
        .replaying()
        .set("base_url", URL)
        .set("username", "user")
        .secret("password")
        .now_at("2026-11-25T09:00:00Z")
        .exchanges(vec![
            exchange("FindCompanies", "07495895", found),
            exchange("FindCompanies", "99999999", none),
            exchange("RetrieveCompanyOnlineReport", "GB003/0/07495895", report),
        ])
}

#[test]
fn passes_the_bureau_acceptance_suite() {
    BureauAcceptance::<Creditsafe>::new(harness)
        .bad_config(
            "no user name",
            Harness::new().set("base_url", URL).secret("password"),
        )
        .known(subject("07495895"))
        .unknown(subject("99999999"))
        .assert_passes();
}
