//! Bureau connector for the Companies House public data API (the UK register of companies).
//!
//! A lookup finds the company by its registration number (scheme `company-registration`,
//! country GB or none; numbers are zero-padded to eight characters) or, without one, by an
//! exact name in `/search/companies`. Per company it reads the profile (`/company/{n}`), the
//! insolvency record when the profile says there is one (`/company/{n}/insolvency`) and the
//! latest filings (`/company/{n}/filing-history`), and turns them into one credit report:
//! the company status, each insolvency case with its earliest date, overdue annual accounts
//! and confirmation statements, and a first Gazette notice for compulsory strike-off. The
//! register gives no score or limit: those come from commercial bureaus.
//!
//! The API key is the HTTP Basic user name with an empty password; the host injects it.

use credence_plugin_sdk::types::{
    CreditEvent, CreditEventKind, CreditReport, IdScheme, PartyIdentifier, RecordBody,
};
use credence_plugin_sdk::{
    Bureau, CompanySubject, ConfigEntry, Description, Page, PluginError, SourceRecord, config,
    http, paging,
};
use serde::Deserialize;

/// `GET /company/{company_number}`, the fields a credit report needs.
#[derive(Debug, Deserialize)]
pub struct Profile {
    pub company_name: String,
    pub company_number: String,
    pub company_status: Option<String>,
    pub company_status_detail: Option<String>,
    pub date_of_cessation: Option<String>,
    #[serde(default)]
    pub has_insolvency_history: bool,
    pub accounts: Option<Due>,
    pub confirmation_statement: Option<Due>,
}

/// The `accounts` / `confirmation_statement` blocks.
#[derive(Debug, Deserialize)]
pub struct Due {
    pub next_due: Option<String>,
    #[serde(default)]
    pub overdue: bool,
}

/// `GET /company/{company_number}/insolvency`.
#[derive(Debug, Default, Deserialize)]
pub struct Insolvency {
    #[serde(default)]
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
pub struct Case {
    #[serde(rename = "type")]
    pub case_type: String,
    #[serde(default)]
    pub dates: Vec<CaseDate>,
    pub number: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CaseDate {
    #[serde(rename = "type")]
    pub date_type: String,
    pub date: String,
}

/// `GET /company/{company_number}/filing-history`.
#[derive(Debug, Default, Deserialize)]
pub struct Filings {
    #[serde(default)]
    pub items: Vec<Filing>,
}

#[derive(Debug, Deserialize)]
pub struct Filing {
    pub category: Option<String>,
    #[serde(rename = "type")]
    pub filing_type: Option<String>,
    pub date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Search {
    #[serde(default)]
    items: Vec<SearchItem>,
}

#[derive(Debug, Deserialize)]
struct SearchItem {
    company_number: String,
    title: String,
}

/// Upper-case words without punctuation, "LIMITED" written "LTD": how the register's names
/// compare ("Harbour Foods Limited" = "HARBOUR FOODS LTD.").
fn words(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| match w.to_uppercase() {
            u if u == "LIMITED" => "LTD".to_string(),
            u => u,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A registration number as the register writes it: upper case, eight characters, numeric
/// ones zero-padded ("445790" -> "00445790", "sc 123456" -> "SC123456").
pub fn company_number(text: &str) -> Option<String> {
    let n: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    match n.len() {
        0 => None,
        1..=7 if n.chars().all(|c| c.is_ascii_digit()) => Some(format!("{n:0>8}")),
        8 => Some(n),
        _ => None,
    }
}

fn status_event(profile: &Profile) -> Option<CreditEvent> {
    let status = profile.company_status.as_deref()?;
    let (kind, what) = match status {
        "liquidation" => (CreditEventKind::Liquidation, "in liquidation"),
        "administration" => (CreditEventKind::Administration, "in administration"),
        "receivership" => (CreditEventKind::Insolvency, "in receivership"),
        "insolvency-proceedings" => (CreditEventKind::Insolvency, "in insolvency proceedings"),
        "voluntary-arrangement" => (
            CreditEventKind::Insolvency,
            "under a company voluntary arrangement with its creditors",
        ),
        "dissolved" => (CreditEventKind::Dissolution, "dissolved"),
        "converted-closed" | "closed" | "removed" => (CreditEventKind::StatusChange, "closed"),
        _ => return None,
    };
    let detail = profile
        .company_status_detail
        .as_deref()
        .map(|d| format!(" ({})", d.replace('-', " ")))
        .unwrap_or_default();
    Some(CreditEvent {
        kind,
        date: (status == "dissolved")
            .then(|| profile.date_of_cessation.clone())
            .flatten(),
        description: format!("Companies House lists the company as {what}{detail}"),
    })
}

fn case_event(case: &Case) -> CreditEvent {
    let t = case.case_type.as_str();
    let kind = if t.contains("liquidation") {
        CreditEventKind::Liquidation
    } else if t.contains("administration") || t.contains("administrative") {
        CreditEventKind::Administration
    } else {
        CreditEventKind::Insolvency
    };
    let mut dates: Vec<&CaseDate> = case.dates.iter().collect();
    dates.sort_by(|a, b| a.date.cmp(&b.date));
    let first = dates.first();
    CreditEvent {
        kind,
        date: first.map(|d| d.date.clone()),
        description: format!(
            "insolvency case{}: {}{}",
            case.number
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default(),
            t.replace('-', " "),
            first
                .map(|d| format!(", {} {}", d.date_type.replace('-', " "), d.date))
                .unwrap_or_default()
        ),
    }
}

/// The credit report the register's records amount to, as of `today` (YYYY-MM-DD).
pub fn report(
    profile: Profile,
    insolvency: &Insolvency,
    filings: &Filings,
    today: &str,
) -> SourceRecord {
    let mut events: Vec<CreditEvent> = status_event(&profile).into_iter().collect();
    events.extend(insolvency.cases.iter().map(case_event));
    for (due, what) in [
        (&profile.accounts, "annual accounts"),
        (&profile.confirmation_statement, "confirmation statement"),
    ] {
        if let Some(d) = due.as_ref().filter(|d| d.overdue) {
            events.push(CreditEvent {
                kind: CreditEventKind::OverdueFiling,
                date: d.next_due.clone(),
                description: format!(
                    "{what} overdue{}",
                    d.next_due
                        .as_deref()
                        .map(|n| format!(" (due {n})"))
                        .unwrap_or_default()
                ),
            });
        }
    }
    for f in &filings.items {
        let gazette = f.category.as_deref() == Some("gazette");
        if gazette
            && f.filing_type
                .as_deref()
                .is_some_and(|t| t.starts_with("GAZ1"))
        {
            events.push(CreditEvent {
                kind: CreditEventKind::StatusChange,
                date: f.date.clone(),
                description: "first Gazette notice for compulsory strike-off".into(),
            });
        }
    }
    let number = profile.company_number.clone();
    SourceRecord::new(
        format!("companies-house:{number}"),
        None,
        RecordBody::CreditReport(CreditReport {
            subject_name: profile.company_name,
            identifiers: vec![PartyIdentifier {
                scheme: IdScheme::CompanyRegistration,
                value: number,
                country: Some("GB".into()),
            }],
            report_date: today.to_string(),
            source: "companies-house".into(),
            score: None,
            rating: None,
            previous_rating: None,
            recommended_limit: None,
            company_status: profile.company_status,
            events,
        }),
    )
}

fn base() -> String {
    config::get("base_url")
        .unwrap_or_else(|| "https://api.company-information.service.gov.uk".into())
        .trim_end_matches('/')
        .to_string()
}

/// A GET with the key; `None` for 404 (no such company, no insolvency record).
fn fetch(path: &str, query: &[(&str, &str)]) -> Result<Option<Vec<u8>>, PluginError> {
    let mut request = http::get(&format!("{}{path}", base()))
        .header("Accept", "application/json")
        .basic_auth_key(&config::require_secret("api_key")?);
    for (k, v) in query {
        request = request.query(k, v);
    }
    let response = request.send()?;
    if response.status == 404 {
        return Ok(None);
    }
    response
        .success_or(|r| {
            let hint = match r.status {
                401 => " (the API key was refused: check the `api_key` secret, a Companies House REST API key)",
                403 => " (the API key may not be used from this address: check its restrictions)",
                _ => "",
            };
            format!("Companies House answered HTTP {} for {path}{hint}", r.status)
        })
        .map(|r| Some(r.body))
}

fn decode<T: serde::de::DeserializeOwned + Default>(
    body: Option<Vec<u8>>,
    what: &str,
) -> Result<T, PluginError> {
    match body {
        Some(b) => credence_plugin_sdk::json::decode(&b, what),
        None => Ok(T::default()),
    }
}

fn candidates(subject: &CompanySubject) -> Result<Vec<String>, PluginError> {
    let uk = |c: &Option<String>| c.as_deref().is_none_or(|c| c.eq_ignore_ascii_case("GB"));
    let by_number: Vec<String> = subject
        .identifiers
        .iter()
        .filter(|i| i.scheme == IdScheme::CompanyRegistration && uk(&i.country))
        .filter_map(|i| company_number(&i.value))
        .collect();
    if !by_number.is_empty() {
        return Ok(by_number);
    }
    let name = subject.name.trim();
    if name.is_empty() || !uk(&subject.country) {
        return Ok(Vec::new());
    }
    let found: Search = decode(
        fetch(
            "/search/companies",
            &[("q", name), ("items_per_page", "20")],
        )?,
        "Companies House search",
    )?;
    Ok(found
        .items
        .into_iter()
        .filter(|i| words(&i.title) == words(name))
        .map(|i| i.company_number)
        .collect())
}

/// The connector.
pub struct CompaniesHouse;

impl Bureau for CompaniesHouse {
    fn describe() -> Description {
        Description::bureau("companies-house", env!("CARGO_PKG_VERSION"))
            .setting("base_url", "Companies House API base URL", false)
            .with_default("https://api.company-information.service.gov.uk")
            .secret("api_key", "Companies House REST API key")
    }

    fn check(config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        credence_plugin_sdk::config::check_required(&Self::describe(), &config)?;
        fetch(
            "/search/companies",
            &[("q", "credence"), ("items_per_page", "1")],
        )
        .map(|_| ())
    }

    fn lookup(subject: CompanySubject, cursor: Option<String>) -> Result<Page, PluginError> {
        paging::one_per_page(cursor.as_deref(), || candidates(&subject), read_company)
    }
}

/// One company's report, or nothing when the register does not know the number.
fn read_company(number: String) -> Result<Vec<SourceRecord>, PluginError> {
    let Some(body) = fetch(&format!("/company/{number}"), &[])? else {
        return Ok(Vec::new());
    };
    let profile: Profile =
        credence_plugin_sdk::json::decode(&body, "Companies House company profile")?;
    let insolvent_status = profile.company_status.as_deref().is_some_and(|s| {
        matches!(
            s,
            "liquidation"
                | "administration"
                | "receivership"
                | "insolvency-proceedings"
                | "voluntary-arrangement"
        )
    });
    let insolvency: Insolvency = if profile.has_insolvency_history || insolvent_status {
        decode(
            fetch(&format!("/company/{number}/insolvency"), &[])?,
            "Companies House insolvency",
        )?
    } else {
        Insolvency::default()
    };
    let filings: Filings = decode(
        fetch(
            &format!("/company/{number}/filing-history"),
            &[("items_per_page", "25")],
        )?,
        "Companies House filing history",
    )?;
    let now = credence_plugin_sdk::clock::now();
    let today = now.get(..10).unwrap_or(&now);
    Ok(vec![report(profile, &insolvency, &filings, today)])
}

credence_plugin_sdk::export_bureau!(CompaniesHouse);
