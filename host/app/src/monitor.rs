//! Bureau monitoring (`credence monitor` and the server's loop): look every customer account up at every bureau connection whose last
//! lookup is older than the policy's cadence, and store the reports. The store keeps every
//! version, so a changed report (score drop, rating change, new insolvency event) becomes an
//! alert in the next evaluation, for as long as the policy's alert window lasts.
//!
//! A report belongs to an account when one of its legal identifiers matches the account's;
//! a name-only lookup is accepted only when the bureau returns exactly one company.

use crate::home::Home;
use anyhow::anyhow;
use chrono::NaiveDate;
use credence_model::{Body, Customer, IdScheme, Identifier, Record, RecordKind};
use credence_rules::accounts::{customers_by_key, link, matching_key};
use credence_runtime::PluginKind;
use credence_runtime::bindings::types::{self as wit, CompanySubject, PartyIdentifier};
use credence_store::{PageCommit, Store};
use serde::Serialize;
use std::sync::Arc;

/// Most pages of one company's lookup a bureau plugin may answer.
const MAX_LOOKUP_PAGES: usize = 50;

/// Which bureau connections to use, and whether to ignore the cadence.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Bureau connections to use (empty: every bureau connection).
    pub connections: Vec<String>,
    /// Look everyone up again now, whatever the cadence.
    pub force: bool,
}

/// What one lookup did.
#[derive(Debug, Serialize)]
pub struct LookupOutcome {
    pub account: String,
    pub connection: String,
    /// `stored`, `not-found`, `ambiguous`, `fresh` (skipped: looked up recently) or `failed`.
    pub outcome: &'static str,
    pub reports: usize,
    pub detail: Option<String>,
}

/// The company a bureau is asked about, from an account's customer records.
struct Subject {
    account: String,
    keys: Vec<String>,
    subject: CompanySubject,
}

fn wit_id(id: &Identifier) -> PartyIdentifier {
    PartyIdentifier {
        scheme: match id.scheme {
            IdScheme::Vat => wit::IdScheme::Vat,
            IdScheme::CompanyRegistration => wit::IdScheme::CompanyRegistration,
            IdScheme::Lei => wit::IdScheme::Lei,
            IdScheme::Duns => wit::IdScheme::Duns,
            IdScheme::Gln => wit::IdScheme::Gln,
            IdScheme::Other => wit::IdScheme::Other,
        },
        value: id.value.clone(),
        country: id.country.clone(),
    }
}

fn subjects(store: &dyn Store) -> anyhow::Result<Vec<Subject>> {
    let customers: Vec<Record> = store
        .records(RecordKind::Customer)?
        .into_iter()
        .map(|s| s.record)
        .filter(|r| !r.origin.deleted)
        .collect();
    let by_key = customers_by_key(&customers);
    let find = |connection: &str, remote_id: &str| -> Option<&Customer> {
        by_key.get(&(connection, remote_id)).copied()
    };
    let mut out = Vec::new();
    for account in link(&customers) {
        let members: Vec<&Customer> = account
            .members
            .iter()
            .filter_map(|m| find(&m.connection, &m.remote_id))
            .collect();
        let mut ids: Vec<Identifier> = members
            .iter()
            .flat_map(|c| c.identifiers.iter().cloned())
            .collect();
        ids.sort();
        ids.dedup();
        let name = members
            .iter()
            .find_map(|c| c.legal_name.clone())
            .unwrap_or_else(|| account.name.clone());
        let country = members
            .iter()
            .flat_map(|c| c.addresses.iter())
            .find_map(|a| a.country.clone())
            .or_else(|| ids.iter().find_map(|i| i.country.clone()));
        out.push(Subject {
            account: account.id,
            keys: ids.iter().filter_map(matching_key).collect(),
            subject: CompanySubject {
                name,
                identifiers: ids.iter().map(wit_id).collect(),
                country,
            },
        });
    }
    Ok(out)
}

/// The stream under which one account's lookups at one bureau are stored; its cursor is the
/// date of the last lookup.
fn lookup_stream(account: &str) -> String {
    format!("lookup:{account}")
}

/// Reports that belong to the subject: matching by identifier, or the only one of a name search.
fn belonging(subject: &Subject, reports: Vec<Record>) -> Result<Vec<Record>, &'static str> {
    let matching: Vec<Record> = reports
        .iter()
        .filter(|r| match &r.body {
            Some(Body::CreditReport(c)) => c
                .identifiers
                .iter()
                .filter_map(matching_key)
                .any(|k| subject.keys.contains(&k)),
            _ => false,
        })
        .cloned()
        .collect();
    if !matching.is_empty() {
        return Ok(matching);
    }
    match reports.len() {
        0 => Ok(Vec::new()),
        1 if subject.keys.is_empty() => Ok(reports),
        _ => Err("ambiguous"),
    }
}

/// Look up every customer whose reports are older than the policy's cadence (all with
/// `--force`) at the bureau connections, store what came back; one outcome per customer and
/// bureau.
pub async fn monitor(
    home: &Home,
    scope: &Scope,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> anyhow::Result<Vec<LookupOutcome>> {
    let (policy, _) = home.policy()?;
    let clock = crate::clock::clock()?;
    let today = clock.now().date_naive();
    let config = home.config()?;
    let registry = home.registry();
    let bureaus: Vec<String> = if scope.connections.is_empty() {
        config
            .connections
            .iter()
            .filter(|(_, c)| {
                registry
                    .get(&c.plugin)
                    .is_ok_and(|p| p.manifest.kind == PluginKind::Bureau)
            })
            .map(|(name, _)| name.clone())
            .collect()
    } else {
        scope.connections.clone()
    };
    if bureaus.is_empty() {
        anyhow::bail!(
            "no bureau connection: add one (e.g. `credence connection add NAME --plugin gleif`) first"
        );
    }
    let mut store = home.open_store()?;
    let subjects = subjects(store.as_ref())?;
    let runtime = Arc::new(home.runtime()?);
    // Reports stored by earlier lookups (live ones), to withdraw those no longer given.
    let previous: Vec<Record> = store
        .records(RecordKind::CreditReport)?
        .into_iter()
        .map(|s| s.record)
        .filter(|r| !r.origin.deleted)
        .collect();
    let mut outcomes = Vec::new();
    for bureau in &bureaus {
        let (plugin, job) = crate::connections::open_with_env(home, &runtime, bureau, env)?;
        if plugin.kind() != PluginKind::Bureau {
            anyhow::bail!("connection {bureau} is not a bureau connection");
        }
        let due: Vec<&Subject> = subjects
            .iter()
            .filter(|s| {
                scope.force
                    || !store
                        .cursor(bureau, &lookup_stream(&s.account))
                        .ok()
                        .flatten()
                        .and_then(|c| c.cursor)
                        .and_then(|d| d.parse::<NaiveDate>().ok())
                        .is_some_and(|last| {
                            (today - last).num_days() < i64::from(policy.reports.monitor_every_days)
                        })
            })
            .collect();
        for s in subjects
            .iter()
            .filter(|s| !due.iter().any(|d| d.account == s.account))
        {
            outcomes.push(LookupOutcome {
                account: s.account.clone(),
                connection: bureau.clone(),
                outcome: "fresh",
                reports: 0,
                detail: None,
            });
        }
        let asked: Vec<CompanySubject> = due.iter().map(|s| s.subject.clone()).collect();
        let handle = tokio::runtime::Handle::current();
        let answers = tokio::task::spawn_blocking(move || {
            let mut session = plugin.session(job, handle)?;
            let mut answers = Vec::new();
            for subject in &asked {
                let mut records = Vec::new();
                let mut cursor: Option<String> = None;
                let mut pages = 0;
                let answer = loop {
                    match session.lookup(subject, cursor.as_deref()) {
                        Ok(page) => {
                            records.extend(page.records);
                            pages += 1;
                            // A lookup is about one company: a bureau that keeps saying there
                            // is more (with or without records) is stopped, not followed.
                            if page.has_more && pages >= MAX_LOOKUP_PAGES {
                                break Err(format!(
                                    "plugin {} (connection {}) still had more pages for this company after {MAX_LOOKUP_PAGES}; stopped (a bureau answers one company in a few pages)",
                                    session.job().plugin_id,
                                    session.job().connection
                                ));
                            }
                            cursor = page.cursor;
                            if !page.has_more || records.len() > 1_000 {
                                break Ok(records);
                            }
                        }
                        Err(e) => break Err(e.to_string()),
                    }
                };
                answers.push(answer);
            }
            Ok::<_, credence_runtime::CallError>(answers)
        })
        .await?
        .map_err(|e| anyhow!(e))?;
        for (subject, answer) in due.into_iter().zip(answers) {
            let stream = lookup_stream(&subject.account);
            let mut outcome = LookupOutcome {
                account: subject.account.clone(),
                connection: bureau.clone(),
                outcome: "failed",
                reports: 0,
                detail: None,
            };
            let source_records = match answer {
                Ok(r) => r,
                Err(e) => {
                    outcome.detail = Some(e);
                    outcomes.push(outcome);
                    continue;
                }
            };
            let mut records = Vec::new();
            let mut quarantined = Vec::new();
            for r in source_records {
                match credence_normalize::normalize(bureau, "reports", r) {
                    Ok(mut record) => {
                        record.origin.remote_id =
                            format!("{}#{}", subject.account, record.origin.remote_id);
                        records.push(record);
                    }
                    Err(q) => quarantined.push(q),
                }
            }
            let records = match belonging(subject, records) {
                Ok(r) => r,
                Err(why) => {
                    outcome.outcome = why;
                    outcome.detail = Some(
                        "the bureau found several companies by name; add a legal identifier to the customer"
                            .into(),
                    );
                    outcomes.push(outcome);
                    continue;
                }
            };
            outcome.reports = records.len();
            // A report the bureau no longer gives for this customer is withdrawn (a tombstone;
            // the history keeps it), so a stale report never outlives the lookup that replaced it.
            let prefix = format!("{}#", subject.account);
            let mut records = records;
            let withdrawn: Vec<Record> = previous
                .iter()
                .filter(|r| {
                    r.origin.connection == *bureau && r.origin.remote_id.starts_with(&prefix)
                })
                .filter(|r| {
                    !records
                        .iter()
                        .any(|n| n.origin.remote_id == r.origin.remote_id)
                })
                .map(|r| {
                    let mut gone = r.clone();
                    gone.origin.deleted = true;
                    gone.body = None;
                    gone
                })
                .collect();
            records.extend(withdrawn);
            outcome.outcome = if outcome.reports == 0 {
                "not-found"
            } else {
                "stored"
            };
            store.commit_page(&PageCommit {
                connection: bureau.clone(),
                stream,
                records,
                quarantined,
                cursor: Some(today.to_string()),
                has_more: false,
                received_at: clock.now(),
                withdrawn: vec![],
            })?;
            outcomes.push(outcome);
        }
    }
    outcomes.sort_by(|a, b| (&a.account, &a.connection).cmp(&(&b.account, &b.connection)));
    Ok(outcomes)
}
