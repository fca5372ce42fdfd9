//! Reference rates fetched from their publishers (`credence law update`), kept in the home's
//! `law-rates.toml` with where and when each series was fetched. They extend the statutory
//! packs' built-in tables; a rate the policy gives under `[dunning.reference_rates]` wins over
//! both (a person's word over a download).
//!
//! Each series is stored per period, as the packs use it: the rate in force on the period's
//! reference day (1 January / 1 July; for the UK the Bank Rate on 31 December / 30 June). Only
//! periods that have begun are written, and only from what the publisher returned.

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate};
use credence_rules::credit::Policy;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The file in a home.
pub const FILE: &str = "law-rates.toml";

/// What was fetched for one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fetched {
    /// The address it came from.
    pub source: String,
    /// The day it was fetched.
    pub fetched: NaiveDate,
    /// Rate per period start.
    pub rates: BTreeMap<NaiveDate, Decimal>,
}

/// The home's fetched rates, per series code.
pub type LawRates = BTreeMap<String, Fetched>;

/// The fetched rates of a home (none when the file does not exist).
pub fn load(home: &Path) -> anyhow::Result<LawRates> {
    let path = home.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).with_context(|| {
            format!(
                "{}: not a rates file written by `credence law update`; remove it and run the update again",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LawRates::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Write the rates, atomically (a temporary file renamed over the old one).
pub fn save(home: &Path, rates: &LawRates) -> anyhow::Result<()> {
    let path = home.join(FILE);
    let text = format!(
        "# Written by `credence law update`: reference rates per period, from their publishers.\n# The policy's [dunning.reference_rates] win over these.\n\n{}",
        toml::to_string(rates).context("writing the rates")?
    );
    let tmp = home.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))
}

/// Add fetched rates to a policy where it gives none of its own.
pub fn merge_into(policy: &mut Policy, rates: &LawRates) {
    for (code, fetched) in rates {
        let own = policy
            .dunning
            .reference_rates
            .entry(code.clone())
            .or_default();
        for (from, rate) in &fetched.rates {
            own.entry(*from).or_insert(*rate);
        }
    }
}

/// How a publisher's answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SDMX-CSV (ECB, Bundesbank): a header with `TIME_PERIOD` and `OBS_VALUE`.
    SdmxCsv,
    /// The Bank of England's database CSV: `DATE,<series>` with dates like `18 Dec 2025`.
    BoeCsv,
    /// The ČNB's repo-rate history: `VALID_FROM|CNB_REPO_RATE_IN_%` with `YYYYMMDD|rate`.
    CnbText,
}

/// One series' publisher.
#[derive(Debug, Clone, Copy)]
pub struct Publisher {
    pub series: &'static str,
    pub name: &'static str,
    pub url: &'static str,
    pub format: Format,
    /// Days before the period's first day whose rate counts (1 for the UK: 31 Dec / 30 Jun).
    pub reference_days_before: u32,
}

/// The official publishers. (The BNR's reference rate has no machine-readable series known to
/// Credence: it is added by hand.) The addresses can be replaced per run (`--url`).
pub const PUBLISHERS: &[Publisher] = &[
    Publisher {
        series: "ecb-mro",
        name: "European Central Bank",
        url: "https://data-api.ecb.europa.eu/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata",
        format: Format::SdmxCsv,
        reference_days_before: 0,
    },
    Publisher {
        series: "de-basiszins",
        name: "Deutsche Bundesbank",
        url: "https://api.statistiken.bundesbank.de/rest/data/BBK01/SU0115?format=sdmx_csv",
        format: Format::SdmxCsv,
        reference_days_before: 0,
    },
    Publisher {
        series: "uk-bank-rate",
        name: "Bank of England",
        url: "https://www.bankofengland.co.uk/boeapps/database/_iadb-fromshowcolumns.asp?csv.x=yes&Datefrom=01/Jan/2023&Dateto=now&SeriesCodes=IUDBEDR&CSVF=TN&UsingCodes=Y&VPD=Y&VFD=N",
        format: Format::BoeCsv,
        reference_days_before: 1,
    },
    Publisher {
        series: "cz-cnb-repo",
        name: "Česká národní banka",
        url: "https://www.cnb.cz/cs/casto-kladene-dotazy/.galleries/vyvoj_repo_historie.txt",
        format: Format::CnbText,
        reference_days_before: 0,
    },
];

/// Observations (day, rate) from a publisher's answer, oldest first.
pub fn parse(format: Format, text: &str) -> anyhow::Result<Vec<(NaiveDate, Decimal)>> {
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match format {
        Format::SdmxCsv => {
            let header = lines.next().context("the answer is empty")?;
            let sep = if header.contains(';') { ';' } else { ',' };
            let names: Vec<&str> = header.split(sep).map(|n| n.trim_matches('"')).collect();
            let column = |name: &str| {
                names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(name))
                    .with_context(|| format!("the answer has no {name} column"))
            };
            let (period, value) = (column("TIME_PERIOD")?, column("OBS_VALUE")?);
            for line in lines {
                let cells: Vec<&str> = line.split(sep).map(|c| c.trim_matches('"')).collect();
                let (Some(p), Some(v)) = (cells.get(period), cells.get(value)) else {
                    continue;
                };
                if let (Some(day), Ok(rate)) = (period_day(p), v.parse::<Decimal>()) {
                    out.push((day, rate));
                }
            }
        }
        Format::BoeCsv => {
            let header = lines.next().context("the answer is empty")?;
            if !header.to_ascii_uppercase().starts_with("DATE") {
                bail!("the answer does not start with a DATE column: {header:.80}");
            }
            for line in lines {
                let Some((day, rate)) = line.split_once(',') else {
                    continue;
                };
                if let (Ok(day), Ok(rate)) = (
                    NaiveDate::parse_from_str(day.trim_matches('"'), "%d %b %Y"),
                    rate.trim().trim_matches('"').parse::<Decimal>(),
                ) {
                    out.push((day, rate));
                }
            }
        }
        Format::CnbText => {
            for line in lines {
                let Some((day, rate)) = line.split_once('|') else {
                    continue;
                };
                if let (Ok(day), Ok(rate)) = (
                    NaiveDate::parse_from_str(day, "%Y%m%d"),
                    rate.trim().replace(',', ".").parse::<Decimal>(),
                ) {
                    out.push((day, rate));
                }
            }
        }
    }
    if out.is_empty() {
        bail!("no observations could be read from the answer");
    }
    out.sort();
    Ok(out)
}

/// `2025-06-11`, `2026-01` or `2026` as the first day it stands for.
fn period_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok())
}

/// The rate per period (1 January / 1 July) from `since` to the last period begun by `today`,
/// each the rate in force on its reference day; a period before the first observation is left
/// out.
pub fn periods(
    observations: &[(NaiveDate, Decimal)],
    reference_days_before: u32,
    since: NaiveDate,
    today: NaiveDate,
) -> BTreeMap<NaiveDate, Decimal> {
    let mut out = BTreeMap::new();
    let mut start = NaiveDate::from_ymd_opt(since.year(), if since.month() < 7 { 1 } else { 7 }, 1);
    while let Some(s) = start.filter(|s| *s <= today) {
        let reference = s - chrono::Duration::days(i64::from(reference_days_before));
        if let Some((_, rate)) = observations.iter().rev().find(|(d, _)| *d <= reference) {
            out.insert(s, *rate);
        }
        start = if s.month() == 1 {
            NaiveDate::from_ymd_opt(s.year(), 7, 1)
        } else {
            NaiveDate::from_ymd_opt(s.year() + 1, 1, 1)
        };
    }
    out
}

/// A change `credence law update` found for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub series: String,
    pub from: NaiveDate,
    /// What the tables said before (none: the period was missing).
    pub was: Option<Decimal>,
    pub now: Decimal,
}

/// What one publisher gave.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub series: String,
    pub source: String,
    pub changes: Vec<Change>,
    /// Why nothing could be fetched.
    pub error: Option<String>,
}

/// Fetch every publisher's series (or those named), compare with the tables in force (built-in
/// and earlier updates) and record what was fetched. `urls` replaces publishers' addresses.
pub async fn update(
    home: &Path,
    only: &[String],
    urls: &BTreeMap<String, String>,
    today: NaiveDate,
    write: bool,
) -> anyhow::Result<Vec<Outcome>> {
    let mut saved = load(home)?;
    let client = reqwest::Client::builder()
        .user_agent(concat!("credence/", env!("CARGO_PKG_VERSION")))
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let since = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or(today);
    let mut outcomes = Vec::new();
    for p in PUBLISHERS
        .iter()
        .filter(|p| only.is_empty() || only.iter().any(|o| o == p.series))
    {
        let source = urls
            .get(p.series)
            .cloned()
            .unwrap_or_else(|| p.url.to_string());
        let fetched = fetch(&client, &source, p.format).await;
        let observations = match fetched {
            Ok(o) => o,
            Err(e) => {
                outcomes.push(Outcome {
                    series: p.series.into(),
                    source,
                    changes: Vec::new(),
                    error: Some(format!(
                        "{}: {e:#}; without network access, add the published rates under [dunning.reference_rates.{}] in policy.toml",
                        p.name, p.series
                    )),
                });
                continue;
            }
        };
        let rates = periods(&observations, p.reference_days_before, since, today);
        let mut current = credence_rules::law::series(p.series, &BTreeMap::new());
        if let Some(before) = saved.get(p.series) {
            for (d, r) in &before.rates {
                current.from.retain(|(x, _)| x != d);
                current.from.push((*d, *r));
            }
        }
        let changes = rates
            .iter()
            .filter_map(|(from, now)| {
                let was = current
                    .from
                    .iter()
                    .find(|(d, _)| d == from)
                    .map(|(_, r)| *r);
                (was != Some(*now)).then(|| Change {
                    series: p.series.into(),
                    from: *from,
                    was,
                    now: *now,
                })
            })
            .collect();
        saved.insert(
            p.series.into(),
            Fetched {
                source: source.clone(),
                fetched: today,
                rates,
            },
        );
        outcomes.push(Outcome {
            series: p.series.into(),
            source,
            changes,
            error: None,
        });
    }
    if write {
        save(home, &saved)?;
    }
    Ok(outcomes)
}

async fn fetch(
    client: &reqwest::Client,
    url: &str,
    format: Format,
) -> anyhow::Result<Vec<(NaiveDate, Decimal)>> {
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url} answered {status}");
    }
    let text = response.text().await.context("reading the answer")?;
    parse(format, &text).with_context(|| format!("reading {url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn the_uk_period_takes_the_rate_of_the_day_before() {
        let obs = parse(
            Format::BoeCsv,
            "DATE,IUDBEDR\n07 Aug 2025,4.00\n18 Dec 2025,3.75\n",
        )
        .expect("parse");
        let p = periods(&obs, 1, d("2025-07-01"), d("2026-11-30"));
        // 30 June 2025 is before the first observation here: left out.
        assert_eq!(p.get(&d("2025-07-01")), None);
        assert_eq!(p.get(&d("2026-01-01")), Some(&"3.75".parse().expect("n")));
        assert_eq!(p.get(&d("2026-07-01")), Some(&"3.75".parse().expect("n")));
        assert_eq!(p.get(&d("2027-01-01")), None, "not begun by today");
    }

    #[test]
    fn sdmx_and_cnb_answers_are_read_by_their_columns() {
        let ecb = parse(
            Format::SdmxCsv,
            "KEY,FREQ,TIME_PERIOD,OBS_VALUE,OBS_STATUS\nFM.B,B,2025-06-11,2.15,A\nFM.B,B,2025-04-23,2.40,A\n",
        )
        .expect("ecb");
        assert_eq!(
            ecb.first(),
            Some(&(d("2025-04-23"), "2.40".parse().expect("n")))
        );
        let monthly = parse(Format::SdmxCsv, "TIME_PERIOD;OBS_VALUE\n2026-01;1.27\n").expect("bbk");
        assert_eq!(monthly, vec![(d("2026-01-01"), "1.27".parse().expect("n"))]);
        let cnb = parse(
            Format::CnbText,
            "VALID_FROM|CNB_REPO_RATE_IN_%\n20250502|3,50\n",
        )
        .expect("cnb");
        assert_eq!(cnb, vec![(d("2025-05-02"), "3.50".parse().expect("n"))]);
        assert!(parse(Format::SdmxCsv, "<html>maintenance</html>").is_err());
    }
}
