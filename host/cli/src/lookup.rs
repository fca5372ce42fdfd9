//! `credence lookup`: ask a bureau connection about one company and show the reports.

use super::output::{json, table};
use anyhow::{anyhow, bail};
use clap::Args;
use credence_app::home::Home;
use credence_runtime::bindings::types::{
    CompanySubject, IdScheme, PartyIdentifier, RecordBody, SourceRecord,
};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct LookupArgs {
    /// A bureau connection.
    connection: String,
    /// The company's name.
    #[arg(long)]
    name: String,
    /// A legal identifier, SCHEME:VALUE[:COUNTRY], scheme one of vat, company-registration, lei,
    /// duns, gln, other (repeatable). E.g. `--id company-registration:00445790:GB`.
    #[arg(long = "id", value_name = "SCHEME:VALUE[:COUNTRY]")]
    ids: Vec<String>,
    /// ISO 3166-1 alpha-2 country of the company.
    #[arg(long)]
    country: Option<String>,
    /// At most this many pages.
    #[arg(long, default_value_t = 100)]
    max_pages: u32,
    #[arg(long)]
    json: bool,
}

fn identifier(text: &str) -> anyhow::Result<PartyIdentifier> {
    let mut parts = text.splitn(3, ':');
    let (scheme, value) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let scheme = match scheme {
        "vat" => IdScheme::Vat,
        "company-registration" => IdScheme::CompanyRegistration,
        "lei" => IdScheme::Lei,
        "duns" => IdScheme::Duns,
        "gln" => IdScheme::Gln,
        "other" => IdScheme::Other,
        other => bail!(
            "`--id {text}`: unknown scheme {other:?}; use vat, company-registration, lei, duns, gln or other"
        ),
    };
    if value.is_empty() {
        bail!("`--id {text}` must look like SCHEME:VALUE[:COUNTRY]");
    }
    Ok(PartyIdentifier {
        scheme,
        value: value.to_string(),
        country: parts.next().map(str::to_string),
    })
}

pub async fn run(home: &Home, args: LookupArgs) -> anyhow::Result<ExitCode> {
    let subject = CompanySubject {
        name: args.name.clone(),
        identifiers: args
            .ids
            .iter()
            .map(|i| identifier(i))
            .collect::<anyhow::Result<_>>()?,
        country: args.country.clone(),
    };
    let runtime = Arc::new(home.runtime()?);
    let (plugin, job) = credence_app::connections::open(home, &runtime, &args.connection)?;
    let handle = tokio::runtime::Handle::current();
    let max_pages = args.max_pages;
    let records = tokio::task::spawn_blocking(move || {
        let mut session = plugin.session(job, handle)?;
        let (mut records, mut cursor, mut pages) = (Vec::<SourceRecord>::new(), None::<String>, 0);
        loop {
            let page = session.lookup(&subject, cursor.as_deref())?;
            records.extend(page.records);
            pages += 1;
            cursor = page.cursor;
            if !page.has_more || pages >= max_pages {
                return Ok::<_, credence_runtime::CallError>(records);
            }
        }
    })
    .await?
    .map_err(|e| anyhow!(e))?;
    if args.json {
        json(&records)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .filter_map(|r| match &r.body {
            Some(RecordBody::CreditReport(c)) => Some(vec![
                c.report_date.clone(),
                c.source.clone(),
                c.score
                    .as_ref()
                    .map(|s| format!("{} ({}-{})", s.value, s.scale_min, s.scale_max))
                    .unwrap_or_default(),
                c.rating.clone().unwrap_or_default(),
                c.recommended_limit
                    .as_ref()
                    .map(|m| format!("{} {}", m.amount, m.currency))
                    .unwrap_or_default(),
                c.company_status.clone().unwrap_or_default(),
                c.events
                    .iter()
                    .map(|e| e.description.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ]),
            _ => None,
        })
        .collect();
    out!(
        "{}",
        table(
            &[
                "DATE", "SOURCE", "SCORE", "RATING", "LIMIT", "STATUS", "EVENTS"
            ],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}
