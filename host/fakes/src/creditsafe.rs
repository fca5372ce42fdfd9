//! A local Creditsafe GlobalData SOAP service for tests and users: HTTP Basic checked, the
//! `SOAPAction` header chooses the operation; `FindCompanies` matches the registration number or
//! the name against the companies it holds and answers in GlobalData's shape;
//! `RetrieveCompanyOnlineReport` answers with the report body it holds for that company (e.g.
//! Creditsafe's own recorded report) or GlobalData's "not found" messages.

use super::faults::{self, Faults};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::sync::Arc;

/// One company the sandbox knows.
#[derive(Clone, Debug)]
pub struct Company {
    pub id: String,
    pub name: String,
    pub registration: String,
    pub country: String,
    /// The full `RetrieveCompanyOnlineReport` response envelope.
    pub report: String,
}

/// A running Creditsafe sandbox.
#[derive(Clone)]
pub struct CreditsafeSandbox {
    basic: Arc<String>,
    companies: Arc<Vec<Company>>,
    faults: Faults,
}

const MESSAGES_NS: &str = "http://www.creditsafe.com/globaldata/datatypes";

impl CreditsafeSandbox {
    /// A sandbox accepting `username` / `password`, holding `companies`.
    pub fn new(username: &str, password: &str, companies: Vec<Company>) -> CreditsafeSandbox {
        CreditsafeSandbox {
            basic: Arc::new(format!(
                "Basic {}",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("{username}:{password}")
                )
            )),
            companies: Arc::new(companies),
            faults: Faults::new(
                r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>a:InternalServiceFault</faultcode><faultstring>The server was unable to process the request due to an internal error.</faultstring></s:Fault></s:Body></s:Envelope>"#,
            ),
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/GlobalData/1.3/MainServiceBasic.svc", post(soap))
            .layer(axum::middleware::from_fn_with_state(
                self.faults.clone(),
                faults::layer,
            ))
            .with_state(self.clone())
    }
}

/// The text of the first element named `name` (any prefix) in `xml`.
fn element(xml: &str, name: &str) -> Option<String> {
    let start = xml
        .find(&format!(":{name}>"))
        .or_else(|| xml.find(&format!("<{name}>")))?;
    let rest = &xml[start..];
    let open_end = rest.find('>')? + 1;
    let close = rest[open_end..].find("</")?;
    Some(rest[open_end..open_end + close].trim().to_string())
}

fn envelope(operation: &str, result: &str) -> Response {
    (
        [("content-type", "text/xml; charset=utf-8")],
        format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><{operation}Response xmlns="http://www.creditsafe.com/globaldata/operations"><{operation}Result xmlns:q1="{MESSAGES_NS}">{result}</{operation}Result></{operation}Response></s:Body></s:Envelope>"#
        ),
    )
        .into_response()
}

async fn soap(State(c): State<CreditsafeSandbox>, headers: HeaderMap, body: String) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(c.basic.as_str()) {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    let action = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_matches('"')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    match action.as_str() {
        "FindCompanies" => {
            let registration = element(&body, "RegistrationNumber");
            let name = element(&body, "Name").map(|n| n.to_lowercase());
            let country = element(&body, "CountryCode");
            let found: Vec<&Company> = c
                .companies
                .iter()
                .filter(|co| country.as_deref().is_none_or(|cc| cc == co.country))
                .filter(|co| match (&registration, &name) {
                    (Some(r), _) => *r == co.registration,
                    (None, Some(n)) => co.name.to_lowercase().contains(n.as_str()),
                    (None, None) => false,
                })
                .collect();
            if found.is_empty() {
                return envelope(
                    "FindCompanies",
                    r#"<q1:Messages><q1:Message Type="Information" Code="10101">There are no results matching specified criteria.</q1:Message></q1:Messages><q1:Companies/>"#,
                );
            }
            let companies: String = found
                .iter()
                .map(|co| {
                    format!(
                        r#"<q1:Company OnlineReports="true" Monitoring="false" Country="{}" Id="{}"><q1:Name>{}</q1:Name><q1:Status>Active</q1:Status><q1:RegistrationNumber>{}</q1:RegistrationNumber></q1:Company>"#,
                        co.country, co.id, co.name, co.registration
                    )
                })
                .collect();
            envelope(
                "FindCompanies",
                &format!("<q1:Companies>{companies}</q1:Companies>"),
            )
        }
        "RetrieveCompanyOnlineReport" => {
            let id = element(&body, "companyId").unwrap_or_default();
            match c.companies.iter().find(|co| co.id == id) {
                Some(co) => (
                    [("content-type", "text/xml; charset=utf-8")],
                    co.report.clone(),
                )
                    .into_response(),
                None => envelope(
                    "RetrieveCompanyOnlineReport",
                    &format!(
                        r#"<Messages xmlns="{MESSAGES_NS}"><Message Type="Information" Code="10101">Company number [{id}] not found</Message><Message Type="Information" Code="10103">Specified report is unavailable.</Message></Messages>"#
                    ),
                ),
            }
        }
        other => (
            StatusCode::BAD_REQUEST,
            format!("unknown SOAPAction operation {other:?}"),
        )
            .into_response(),
    }
}
