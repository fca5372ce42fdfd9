//! Bureau connector for credit reports delivered as files: JSON in the common credit-report
//! schema (`schemas/json/record.schema.json`, `CreditReport`), one report or a list of reports
//! per `.json` file, in a folder the user grants read-only.
//!
//! A lookup returns every report about the subject: a report matches when it shares an
//! identifier with the subject (same scheme and value, ignoring case, spaces and punctuation,
//! and the same country when both give one), or, when the subject has no identifiers, when its
//! legal name is the subject's name. A file that is not such JSON comes back as a rejected
//! record naming the file and the problem.

use credence_plugin_sdk::files;
use credence_plugin_sdk::types::{
    CreditEvent, CreditEventKind, CreditReport, IdScheme, Money, PartyIdentifier, RecordBody, Score,
};
use credence_plugin_sdk::{
    Bureau, CompanySubject, ConfigEntry, Description, Page, PluginError, SourceRecord, config,
    paging,
};
use serde::Deserialize;

/// The common schema's credit report, as files carry it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportFile {
    pub subject_name: String,
    #[serde(default)]
    pub identifiers: Vec<Identifier>,
    pub report_date: String,
    pub source: String,
    pub score: Option<ScoreFile>,
    pub rating: Option<String>,
    pub previous_rating: Option<String>,
    pub recommended_limit: Option<MoneyFile>,
    pub company_status: Option<String>,
    #[serde(default)]
    pub events: Vec<EventFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    pub scheme: Scheme,
    pub value: String,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    Vat,
    CompanyRegistration,
    Lei,
    Duns,
    Gln,
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreFile {
    pub value: String,
    pub scale_min: String,
    pub scale_max: String,
    pub higher_is_better: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyFile {
    pub amount: String,
    pub currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFile {
    pub kind: Kind,
    pub date: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Insolvency,
    Liquidation,
    Administration,
    Dissolution,
    StatusChange,
    OverdueFiling,
    RatingChange,
    Other,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<ReportFile>),
    One(Box<ReportFile>),
}

fn scheme(s: Scheme) -> IdScheme {
    match s {
        Scheme::Vat => IdScheme::Vat,
        Scheme::CompanyRegistration => IdScheme::CompanyRegistration,
        Scheme::Lei => IdScheme::Lei,
        Scheme::Duns => IdScheme::Duns,
        Scheme::Gln => IdScheme::Gln,
        Scheme::Other => IdScheme::Other,
    }
}

fn kind(k: Kind) -> CreditEventKind {
    match k {
        Kind::Insolvency => CreditEventKind::Insolvency,
        Kind::Liquidation => CreditEventKind::Liquidation,
        Kind::Administration => CreditEventKind::Administration,
        Kind::Dissolution => CreditEventKind::Dissolution,
        Kind::StatusChange => CreditEventKind::StatusChange,
        Kind::OverdueFiling => CreditEventKind::OverdueFiling,
        Kind::RatingChange => CreditEventKind::RatingChange,
        Kind::Other => CreditEventKind::Other,
    }
}

/// The contract's report for one file entry.
pub fn to_contract(r: ReportFile) -> CreditReport {
    CreditReport {
        subject_name: r.subject_name,
        identifiers: r
            .identifiers
            .into_iter()
            .map(|i| PartyIdentifier {
                scheme: scheme(i.scheme),
                value: i.value,
                country: i.country,
            })
            .collect(),
        report_date: r.report_date,
        source: r.source,
        score: r.score.map(|s| Score {
            value: s.value,
            scale_min: s.scale_min,
            scale_max: s.scale_max,
            higher_is_better: s.higher_is_better,
        }),
        rating: r.rating,
        previous_rating: r.previous_rating,
        recommended_limit: r.recommended_limit.map(|m| Money {
            amount: m.amount,
            currency: m.currency,
        }),
        company_status: r.company_status,
        events: r
            .events
            .into_iter()
            .map(|e| CreditEvent {
                kind: kind(e.kind),
                date: e.date,
                description: e.description,
            })
            .collect(),
    }
}

/// Upper case, letters and digits only: `GB 123-456` and `gb123456` are the same number.
fn canonical(value: &str) -> String {
    value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Whether `report` is about `subject`.
pub fn matches(report: &CreditReport, subject: &CompanySubject) -> bool {
    if subject.identifiers.is_empty() {
        return report
            .subject_name
            .trim()
            .eq_ignore_ascii_case(subject.name.trim());
    }
    subject.identifiers.iter().any(|wanted| {
        report.identifiers.iter().any(|have| {
            have.scheme == wanted.scheme
                && canonical(&have.value) == canonical(&wanted.value)
                && match (&have.country, &wanted.country) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    _ => true,
                }
        })
    })
}

/// The reports in one file (its records), or one rejection naming the file.
pub fn file_records(name: &str, modified: Option<String>, bytes: &[u8]) -> Vec<SourceRecord> {
    match serde_json::from_slice::<OneOrMany>(bytes) {
        Ok(OneOrMany::One(r)) => vec![SourceRecord::new(
            format!("{name}#0"),
            modified,
            RecordBody::CreditReport(to_contract(*r)),
        )],
        Ok(OneOrMany::Many(list)) => list
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                SourceRecord::new(
                    format!("{name}#{i}"),
                    modified.clone(),
                    RecordBody::CreditReport(to_contract(r)),
                )
            })
            .collect(),
        Err(_) => {
            // Say precisely what is wrong: decode as one report for the message.
            let why = match serde_json::from_slice::<ReportFile>(bytes) {
                Err(e) => e.to_string(),
                Ok(_) => "unreadable".into(),
            };
            vec![SourceRecord::rejected(
                name,
                format!("{name} is not a credit report in the common schema: {why}"),
                Some(
                    String::from_utf8_lossy(bytes)
                        .chars()
                        .take(64 * 1024)
                        .collect(),
                ),
            )]
        }
    }
}

/// The connector.
pub struct BureauFiles;

impl Bureau for BureauFiles {
    fn describe() -> Description {
        Description::bureau("bureau-files", env!("CARGO_PKG_VERSION")).setting(
            "folder",
            "Folder holding the report files (read-only)",
            true,
        )
    }

    fn check(config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        credence_plugin_sdk::config::check_required(&Self::describe(), &config)?;
        files::list_dir(&config::require("folder")?).map(|_| ())
    }

    fn lookup(subject: CompanySubject, cursor: Option<String>) -> Result<Page, PluginError> {
        let _: Option<u32> = paging::decode_cursor(cursor.as_deref())?;
        let folder = config::require("folder")?;
        let mut out = Vec::new();
        for entry in files::list_dir(&folder)? {
            if entry.is_dir || !entry.name.to_ascii_lowercase().ends_with(".json") {
                continue;
            }
            let bytes = files::read(&entry.path)?;
            for record in file_records(&entry.name, entry.modified.clone(), &bytes) {
                let keep = match &record.body {
                    Some(RecordBody::CreditReport(r)) => matches(r, &subject),
                    // A broken file is reported to whoever asks: it may hold their report.
                    _ => true,
                };
                if keep {
                    out.push(record);
                }
            }
        }
        Ok(paging::last(out, &Option::<u32>::None))
    }
}

credence_plugin_sdk::export_bureau!(BureauFiles);
