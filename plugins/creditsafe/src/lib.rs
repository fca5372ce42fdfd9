//! Bureau connector for the Creditsafe GlobalData web service (SOAP 1.1).
//!
//! A lookup first searches (`FindCompanies`, by registration number and country, else by name),
//! then reads one online report per company found (`RetrieveCompanyOnlineReport`), one page per
//! company. A report gives the score on Creditsafe's scale (higher is better), the common rating
//! (A–E) and the previous one, the recommended credit limit in the report currency, the company
//! status; a rating change and a status other than active are events. "Not found" messages
//! mean no report; SOAP faults and error messages are errors that quote them.

use credence_plugin_sdk::types::{
    CreditEvent, CreditEventKind, CreditReport, IdScheme, Money, PartyIdentifier, RecordBody, Score,
};
use credence_plugin_sdk::xml::roxmltree::{Document, Node};
use credence_plugin_sdk::xml::{at, attr, child, children, own_text, text};
use credence_plugin_sdk::{
    Bureau, CompanySubject, Description, ErrorExt, Page, PluginError, SourceRecord, config, http,
    paging,
};
use serde::{Deserialize, Serialize};

const OPERATIONS: &str = "http://www.creditsafe.com/globaldata/operations";
/// Message codes that mean "nothing to report" rather than a failure.
const NOT_FOUND_CODES: &[&str] = &["10101", "10103", "20101"];

/// A company a search found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Found {
    pub id: String,
    pub name: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn envelope(operation: &str, inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:oper="{OPERATIONS}" xmlns:dat="http://www.creditsafe.com/globaldata/datatypes" xmlns:cred="http://schemas.datacontract.org/2004/07/Creditsafe.GlobalData"><soapenv:Body><oper:{operation}>{inner}</oper:{operation}></soapenv:Body></soapenv:Envelope>"#
    )
}

/// The `FindCompanies` request for a subject.
pub fn find_request(subject: &CompanySubject) -> Result<String, PluginError> {
    let registration = subject
        .identifiers
        .iter()
        .find(|i| i.scheme == IdScheme::CompanyRegistration);
    let country = registration
        .and_then(|r| r.country.clone())
        .or(subject.country.clone())
        .ok_or_else(|| {
            PluginError::bad_config(
                "a Creditsafe search needs a country: give the registration number with its country (company-registration:NUMBER:GB)",
            )
        })?;
    let criteria = match registration {
        Some(r) => format!(
            "<dat:RegistrationNumber>{}</dat:RegistrationNumber>",
            escape(&r.value)
        ),
        None => format!(
            "<dat:Name MatchType=\"MatchBlock\">{}</dat:Name>",
            escape(&subject.name)
        ),
    };
    Ok(envelope(
        "FindCompanies",
        &format!(
            "<oper:countries><cred:CountryCode>{}</cred:CountryCode></oper:countries><oper:searchCriteria>{criteria}</oper:searchCriteria>",
            escape(&country)
        ),
    ))
}

/// The `RetrieveCompanyOnlineReport` request for a company id.
pub fn report_request(company_id: &str) -> String {
    envelope(
        "RetrieveCompanyOnlineReport",
        &format!(
            "<oper:companyId>{}</oper:companyId><oper:reportType>Full</oper:reportType><oper:language>EN</oper:language>",
            escape(company_id)
        ),
    )
}

/// The body of the SOAP envelope, after faults and error messages were turned into errors.
fn result<'a, 'i>(doc: &'a Document<'i>, what: &str) -> Result<Option<Node<'a, 'i>>, PluginError> {
    let body = at(doc.root_element(), "Body")
        .ok_or_else(|| PluginError::permanent(format!("Creditsafe {what}: no SOAP body")))?;
    if let Some(fault) = child(body, "Fault") {
        return Err(PluginError::transient(format!(
            "Creditsafe {what} failed: {} ({})",
            text(fault, "faultstring").unwrap_or_default(),
            text(fault, "faultcode").unwrap_or_default()
        )));
    }
    let response = body.children().find(|n| n.is_element());
    let result = response.and_then(|r| r.children().find(|n| n.is_element()));
    let Some(result) = result else {
        return Ok(None);
    };
    let messages: Vec<(String, String, String)> = child(result, "Messages")
        .into_iter()
        .flat_map(|m| children(m, "Message"))
        .map(|m| {
            (
                m.attribute("Type").unwrap_or_default().to_string(),
                m.attribute("Code").unwrap_or_default().to_string(),
                own_text(m).unwrap_or_default(),
            )
        })
        .collect();
    if messages
        .iter()
        .any(|(_, code, _)| NOT_FOUND_CODES.contains(&code.as_str()))
    {
        return Ok(None);
    }
    if let Some((_, code, message)) = messages.iter().find(|(kind, _, _)| kind == "Error") {
        return Err(PluginError::permanent(format!(
            "Creditsafe {what} refused: {message} (code {code})"
        )));
    }
    Ok(Some(result))
}

fn parse(body: &[u8], what: &str) -> Result<String, PluginError> {
    String::from_utf8(body.to_vec())
        .map_err(|e| PluginError::permanent(format!("Creditsafe {what}: not UTF-8 ({e})")))
}

/// The companies a `FindCompanies` response lists.
pub fn found(body: &[u8]) -> Result<Vec<Found>, PluginError> {
    let text_body = parse(body, "search")?;
    let doc = Document::parse(&text_body)
        .map_err(|e| PluginError::transient(format!("Creditsafe search: not XML ({e})")))?;
    let Some(result) = result(&doc, "search")? else {
        return Ok(Vec::new());
    };
    Ok(child(result, "Companies")
        .into_iter()
        .flat_map(|c| children(c, "Company"))
        .filter_map(|c| {
            Some(Found {
                id: c.attribute("Id")?.to_string(),
                name: text(c, "Name").unwrap_or_default(),
            })
        })
        .collect())
}

fn day(t: Option<String>) -> Option<String> {
    t.and_then(|t| t.get(..10).map(str::to_string))
}

/// The credit report in a `RetrieveCompanyOnlineReport` response; `None` when not found.
pub fn report(body: &[u8], today: &str) -> Result<Option<SourceRecord>, PluginError> {
    let text_body = parse(body, "report")?;
    let doc = Document::parse(&text_body)
        .map_err(|e| PluginError::transient(format!("Creditsafe report: not XML ({e})")))?;
    let Some(result) = result(&doc, "report")? else {
        return Ok(None);
    };
    let Some(r) = at(result, "Reports/Report") else {
        return Ok(None);
    };
    let company_id = r.attribute("CompanyId").unwrap_or_default().to_string();
    let currency = r.attribute("ReportCurrency").map(str::to_string);
    let summary = child(r, "CompanySummary");
    let name = summary
        .and_then(|s| text(s, "BusinessName"))
        .or_else(|| {
            text(
                r,
                "CompanyIdentification/BasicInformation/RegisteredCompanyName",
            )
        })
        .unwrap_or_else(|| company_id.clone());
    let country = summary.and_then(|s| text(s, "Country"));
    let registration = summary
        .and_then(|s| text(s, "CompanyRegistrationNumber"))
        .or_else(|| {
            text(
                r,
                "CompanyIdentification/BasicInformation/CompanyRegistrationNumber",
            )
        });
    let rating = at(r, "CreditScore/CurrentCreditRating")
        .or_else(|| summary.and_then(|s| child(s, "CreditRating")));
    let previous = at(r, "CreditScore/PreviousCreditRating");
    let common = |n: Option<Node<'_, '_>>| n.and_then(|n| text(n, "CommonValue"));
    let score = rating
        .and_then(|n| child(n, "ProviderValue"))
        .and_then(|v| {
            Some(Score {
                value: own_text(v)?,
                scale_min: v.attribute("MinValue").unwrap_or("0").to_string(),
                scale_max: v.attribute("MaxValue").unwrap_or("100").to_string(),
                higher_is_better: true,
            })
        });
    let limit = rating
        .and_then(|n| text(n, "CreditLimit"))
        .zip(currency)
        .map(|(amount, currency)| Money { amount, currency });
    let status_code = summary
        .and_then(|s| attr(s, "CompanyStatus", "Code"))
        .unwrap_or_default();
    let status_text = summary.and_then(|s| text(s, "CompanyStatus"));
    let mut events = Vec::new();
    let (now, before) = (common(rating), common(previous));
    if let (Some(now), Some(before)) = (&now, &before)
        && now != before
    {
        events.push(CreditEvent {
            kind: CreditEventKind::RatingChange,
            date: day(text(r, "CreditScore/DateOfLatestRatingChange")),
            description: format!("Creditsafe rating changed from {before} to {now}"),
        });
    }
    if !status_code.is_empty() && !status_code.eq_ignore_ascii_case("active") {
        events.push(CreditEvent {
            kind: CreditEventKind::StatusChange,
            date: None,
            description: format!(
                "Creditsafe reports the company as {}",
                status_text.clone().unwrap_or_else(|| status_code.clone())
            ),
        });
    }
    let mut identifiers = Vec::new();
    if let Some(reg) = registration {
        identifiers.push(PartyIdentifier {
            scheme: IdScheme::CompanyRegistration,
            value: reg,
            country: country.clone(),
        });
    }
    identifiers.push(PartyIdentifier {
        scheme: IdScheme::Other,
        value: company_id.clone(),
        country: None,
    });
    let report = CreditReport {
        subject_name: name,
        identifiers,
        report_date: today.get(..10).unwrap_or(today).to_string(),
        source: "creditsafe".into(),
        score,
        rating: now,
        previous_rating: before,
        recommended_limit: limit,
        company_status: (!status_code.is_empty()).then(|| status_code.to_ascii_lowercase()),
        events,
    };
    Ok(Some(SourceRecord::new(
        format!("creditsafe:{company_id}"),
        None,
        RecordBody::CreditReport(report),
    )))
}

fn call(operation: &str, body: String) -> Result<Vec<u8>, PluginError> {
    let base = config::get("base_url").unwrap_or_else(|| {
        "https://webservices.creditsafe.com/GlobalData/1.3/MainServiceBasic.svc".into()
    });
    let response = http::post(&base)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header(
            "SOAPAction",
            &format!("\"{OPERATIONS}/CompanyDataAccessService/{operation}\""),
        )
        .basic_auth(
            &config::require("username")?,
            &config::require_secret("password")?,
        )
        .body(body)
        .send()?;
    // A SOAP fault comes with a 500: read the fault rather than the status.
    if response.status == 500 && response.text().contains("Fault") {
        return Ok(response.body);
    }
    response
        .success_or(|r| {
            let hint = if r.status == 401 {
                " (the user name or password was refused: check username and the password secret)"
            } else {
                ""
            };
            format!("Creditsafe answered HTTP {}{hint}", r.status)
        })
        .map(|r| r.body)
}

/// The connector.
pub struct Creditsafe;

impl Bureau for Creditsafe {
    fn describe() -> Description {
        Description::bureau("creditsafe", env!("CARGO_PKG_VERSION"))
            .setting("base_url", "GlobalData service URL", false)
            .with_default("https://webservices.creditsafe.com/GlobalData/1.3/MainServiceBasic.svc")
            .setting("username", "Creditsafe user name", true)
            .secret("password", "Creditsafe password")
    }

    fn lookup(subject: CompanySubject, cursor: Option<String>) -> Result<Page, PluginError> {
        paging::one_per_page(
            cursor.as_deref(),
            || found(&call("FindCompanies", find_request(&subject)?)?),
            |company: Found| {
                let body = call("RetrieveCompanyOnlineReport", report_request(&company.id))?;
                Ok(report(&body, &credence_plugin_sdk::clock::now())?
                    .into_iter()
                    .collect())
            },
        )
    }
}

credence_plugin_sdk::export_bureau!(Creditsafe);
