//! Bureau connector for GLEIF's LEI records (`api.gleif.org/api/v1`, JSON:API, no credentials).
//!
//! A lookup with an LEI reads `/lei-records/{lei}`; otherwise it searches `/lei-records` by
//! registration number and jurisdiction (`filter[entity.registeredAs]`,
//! `filter[entity.jurisdiction]`) or by legal name (`filter[entity.legalName]`), page by page.
//! Each record becomes a credit report with the legal name, the identifiers and the entity's
//! status. An inactive entity or an expiration (dissolution, corporate action) is an event; a
//! lapsed LEI is reported as what it is, a registration not renewed: not an insolvency.

use credence_plugin_sdk::types::{
    CreditEvent, CreditEventKind, CreditReport, IdScheme, PartyIdentifier, RecordBody,
};
use credence_plugin_sdk::{
    Bureau, CompanySubject, ConfigEntry, Description, ErrorExt, Page, PluginError, SourceRecord,
    config, http, paging,
};
use serde::{Deserialize, Serialize};

/// One JSON:API resource of type `lei-records`.
#[derive(Debug, Deserialize, Serialize)]
pub struct LeiRecord {
    pub id: String,
    pub attributes: Attributes,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attributes {
    pub lei: String,
    pub entity: Entity,
    pub registration: Registration,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    pub legal_name: Name,
    pub status: Option<String>,
    pub jurisdiction: Option<String>,
    pub registered_as: Option<String>,
    pub legal_address: Option<Address>,
    pub expiration: Option<Expiration>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct Name {
    pub name: String,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct Address {
    pub country: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct Expiration {
    pub date: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub status: Option<String>,
    pub last_update_date: Option<String>,
    pub next_renewal_date: Option<String>,
}

#[derive(Debug, Deserialize)]
struct One {
    data: LeiRecord,
}

#[derive(Debug, Deserialize)]
struct Many {
    data: Vec<LeiRecord>,
    meta: Option<Meta>,
}

#[derive(Debug, Deserialize)]
struct Meta {
    pagination: Option<Pagination>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    current_page: u32,
    last_page: u32,
}

fn day(instant: &Option<String>) -> Option<String> {
    instant
        .as_deref()
        .and_then(|t| t.get(..10))
        .map(str::to_string)
}

/// The credit report an LEI record amounts to.
pub fn report(r: LeiRecord) -> SourceRecord {
    let a = r.attributes;
    let e = a.entity;
    let country = e
        .jurisdiction
        .as_deref()
        .or(e.legal_address.as_ref().and_then(|l| l.country.as_deref()))
        .and_then(|j| j.get(..2))
        .map(str::to_ascii_uppercase);
    let mut identifiers = vec![PartyIdentifier {
        scheme: IdScheme::Lei,
        value: a.lei.clone(),
        country: None,
    }];
    if let Some(reg) = e.registered_as.clone().filter(|r| !r.trim().is_empty()) {
        identifiers.push(PartyIdentifier {
            scheme: IdScheme::CompanyRegistration,
            value: reg,
            country: country.clone(),
        });
    }
    let mut events = Vec::new();
    let entity_status = e.status.as_deref().unwrap_or("ACTIVE").to_ascii_uppercase();
    let expiration = e.expiration.as_ref();
    match expiration.and_then(|x| x.reason.as_deref()) {
        Some("DISSOLVED") => events.push(CreditEvent {
            kind: CreditEventKind::Dissolution,
            date: expiration.and_then(|x| day(&x.date)),
            description: "GLEIF records the legal entity as dissolved".into(),
        }),
        Some(reason) => events.push(CreditEvent {
            kind: CreditEventKind::StatusChange,
            date: expiration.and_then(|x| day(&x.date)),
            description: format!(
                "GLEIF records the legal entity as ended: {}",
                reason.to_ascii_lowercase().replace('_', " ")
            ),
        }),
        None if entity_status == "INACTIVE" => events.push(CreditEvent {
            kind: CreditEventKind::StatusChange,
            date: None,
            description: "GLEIF records the legal entity as inactive".into(),
        }),
        None => {}
    }
    let registration = a.registration.status.as_deref().unwrap_or_default();
    if registration == "LAPSED" {
        events.push(CreditEvent {
            kind: CreditEventKind::Other,
            date: day(&a.registration.next_renewal_date),
            description: "the LEI lapsed: its registration was not renewed (an administrative \
                          matter, not an insolvency)"
                .into(),
        });
    }
    let company_status = match (
        entity_status.as_str(),
        expiration.and_then(|x| x.reason.as_deref()),
    ) {
        (_, Some("DISSOLVED")) => "dissolved",
        ("INACTIVE", _) => "inactive",
        _ => "active",
    };
    let report = CreditReport {
        subject_name: e.legal_name.name,
        identifiers,
        report_date: day(&a.registration.last_update_date).unwrap_or_default(),
        source: "gleif".into(),
        score: None,
        rating: None,
        previous_rating: None,
        recommended_limit: None,
        company_status: Some(company_status.into()),
        events,
    };
    SourceRecord::new(
        format!("gleif:{}", a.lei),
        a.registration.last_update_date,
        RecordBody::CreditReport(report),
    )
}

/// Map a response body: one record (`/lei-records/{lei}`) or a search page.
pub fn records(body: &[u8]) -> Result<(Vec<SourceRecord>, bool), PluginError> {
    if let Ok(one) = serde_json::from_slice::<One>(body) {
        return Ok((vec![report(one.data)], false));
    }
    let many: Many = credence_plugin_sdk::json::decode(body, "GLEIF lei-records")?;
    let more = many
        .meta
        .and_then(|m| m.pagination)
        .is_some_and(|p| p.current_page < p.last_page);
    Ok((many.data.into_iter().map(report).collect(), more))
}

fn base() -> String {
    config::get("base_url")
        .unwrap_or_else(|| "https://api.gleif.org/api/v1".into())
        .trim_end_matches('/')
        .to_string()
}

fn page_size() -> Result<u32, PluginError> {
    let text = config::get("page_size").unwrap_or_else(|| "10".into());
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=200).contains(&n) => Ok(n),
        _ => Err(PluginError::bad_config(format!(
            "page_size {text:?} must be a whole number from 1 to 200"
        ))),
    }
}

fn get(url: &str) -> http::RequestBuilder {
    http::get(url).header("Accept", "application/vnd.api+json")
}

/// The connector.
pub struct Gleif;

impl Bureau for Gleif {
    fn describe() -> Description {
        Description::bureau("gleif", env!("CARGO_PKG_VERSION"))
            .setting("base_url", "GLEIF API base URL", false)
            .with_default("https://api.gleif.org/api/v1")
            .setting("page_size", "Records per search page (1 to 200)", false)
            .with_default("10")
    }

    fn check(config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        credence_plugin_sdk::config::check_required(&Self::describe(), &config)?;
        page_size()?;
        get(&format!("{}/lei-records", base()))
            .query("page[size]", "1")
            .send()?
            .success()
            .map(|_| ())
    }

    fn lookup(subject: CompanySubject, cursor: Option<String>) -> Result<Page, PluginError> {
        let page: u32 = paging::decode_cursor::<Option<u32>>(cursor.as_deref())?.unwrap_or(1);
        let lei = subject
            .identifiers
            .iter()
            .find(|i| i.scheme == IdScheme::Lei)
            .map(|i| i.value.trim().to_ascii_uppercase());
        let request = if let Some(lei) = &lei {
            get(&format!("{}/lei-records/{lei}", base()))
        } else {
            let mut r = get(&format!("{}/lei-records", base()))
                .query("page[size]", &page_size()?.to_string())
                .query("page[number]", &page.to_string());
            let registration = subject
                .identifiers
                .iter()
                .find(|i| i.scheme == IdScheme::CompanyRegistration);
            match registration {
                Some(reg) => {
                    r = r.query("filter[entity.registeredAs]", &reg.value);
                    if let Some(country) = reg.country.as_ref().or(subject.country.as_ref()) {
                        r = r.query("filter[entity.jurisdiction]", country);
                    }
                }
                None if !subject.name.trim().is_empty() => {
                    r = r.query("filter[entity.legalName]", subject.name.trim());
                }
                None => {
                    return Err(PluginError::bad_config(
                        "a GLEIF lookup needs an LEI, a registration number or a legal name",
                    ));
                }
            }
            r
        };
        let response = request.send()?;
        if response.status == 404 && lei.is_some() {
            // An unknown LEI: no report, not an error.
            return Ok(paging::last(Vec::new(), &Option::<u32>::None));
        }
        let (records, more) = records(&response.success()?.body)?;
        Ok(if more {
            paging::more(records, &Some(page + 1))
        } else {
            paging::last(records, &Option::<u32>::None)
        })
    }
}

credence_plugin_sdk::export_bureau!(Gleif);
