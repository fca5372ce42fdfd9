//! The acceptance suite every ledger connector passes (in the spirit of Airbyte's connector
//! acceptance tests), run natively on the [`Harness`]:
//!
//! 1. **secrets**: configuration fields that look like credentials are declared secret, have no
//!    default, and credential headers (`Authorization`, `X-API-Key`, `Cookie`…) are only ever
//!    sent as host-injected secrets;
//! 2. **bad config**: `check` fails on an empty configuration and on every bad configuration
//!    the author lists;
//! 3. **repeatable**: two full reads of every stream give the same records;
//! 4. **incremental**: a read from the cursor a full read ended with returns no record older
//!    than the newest one already read;
//! 5. **future cursor**: a read from a far-future cursor (one per stream, from the author, as
//!    cursors are the plugin's own) returns nothing;
//! 6. **records**: every record follows the contract's conventions: an id, a body unless
//!    deleted, no rejection, decimal strings, ISO dates, RFC 3339 instants, ISO 4217 codes, and
//!    document totals that add up (EN 16931 BR-CO-10, 15, 16).
//!
//! Bureau connectors run [`BureauAcceptance`]: the same secrets and configuration checks,
//! repeatable lookups of known subjects whose records follow the conventions, and no report on
//! unknown ones.
//!
//! ```no_run
//! # use credence_plugin_sdk::{acceptance::Acceptance, harness::Harness};
//! # struct MyConnector;
//! # impl credence_plugin_sdk::Ledger for MyConnector {
//! #   fn describe() -> credence_plugin_sdk::Description { unimplemented!() }
//! #   fn read(_: String, _: Option<String>) -> Result<credence_plugin_sdk::Page, credence_plugin_sdk::PluginError> { unimplemented!() }
//! # }
//! Acceptance::<MyConnector>::new(|| Harness::new().set("folder", "tests/data").folder("tests/data"))
//!     .bad_config("no such folder", Harness::new().set("folder", "/nonexistent"))
//!     .future_cursor("invoices", r#"{"after":["9999-12-31T00:00:00Z",""]}"#)
//!     .assert_passes();
//! ```

use crate::harness::Harness;
use crate::types::{Document, RecordBody, SourceRecord};
use crate::{Bureau, CompanySubject, ConfigEntry, Ledger, PluginError};
use std::marker::PhantomData;

/// Most pages one stream may take in the suite (a connector that never stops paging fails).
const MAX_PAGES: usize = 10_000;

/// The suite for connector `L`.
pub struct Acceptance<L: Ledger> {
    good: Box<dyn Fn() -> Harness>,
    bad: Vec<(String, Harness)>,
    future: Vec<(String, String)>,
    _ledger: PhantomData<L>,
}

impl<L: Ledger> std::fmt::Debug for Acceptance<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Acceptance")
    }
}

/// Field names that hold credentials.
const CREDENTIAL_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "private_key",
];
/// Headers that carry credentials.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "proxy-authorization",
];

impl<L: Ledger> Acceptance<L> {
    /// The suite, with a factory for a harness holding a good configuration and the data to
    /// read (folders, or exchanges in [`Harness::replaying`] mode).
    pub fn new(good: impl Fn() -> Harness + 'static) -> Self {
        Acceptance {
            good: Box::new(good),
            bad: Vec::new(),
            future: Vec::new(),
            _ledger: PhantomData,
        }
    }

    /// A configuration `check` must refuse, and why.
    pub fn bad_config(mut self, why: &str, harness: Harness) -> Self {
        self.bad.push((why.to_string(), harness));
        self
    }

    /// A cursor for `stream` that lies after any data: reading from it returns nothing.
    pub fn future_cursor(mut self, stream: &str, cursor: &str) -> Self {
        self.future.push((stream.to_string(), cursor.to_string()));
        self
    }

    /// Run every check; the failures, each naming the check and the stream.
    pub fn run(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let description = L::describe();
        self.secrets(&description, &mut failures);
        self.bad_configs(&description, &mut failures);
        for stream in &description.streams {
            self.stream(&stream.name, stream.incremental, &mut failures);
        }
        for (stream, cursor) in &self.future {
            let h = (self.good)();
            match h.run(|| L::read(stream.clone(), Some(cursor.clone()))) {
                Ok(page) if page.records.is_empty() => {}
                Ok(page) => failures.push(format!(
                    "future cursor: {stream} returned {} records from {cursor}",
                    page.records.len()
                )),
                Err(e) => failures.push(format!("future cursor: {stream} failed: {e:?}")),
            }
        }
        if self.future.is_empty() {
            failures.push(
                "future cursor: none given; add .future_cursor(stream, cursor) for each stream"
                    .into(),
            );
        }
        failures
    }

    /// Run and panic with every failure.
    pub fn assert_passes(&self) {
        assert_none(self.run());
    }

    fn secrets(&self, d: &crate::Description, failures: &mut Vec<String>) {
        declared_secrets(d, failures);
        // Every request of a full read: credentials only as injected secrets.
        let h = (self.good)();
        for stream in &d.streams {
            let _ = read_all::<L>(&h, &stream.name, None);
        }
        let _ = h.run(|| L::check(h.config()));
        plain_credentials(&h, failures);
    }

    fn bad_configs(&self, d: &crate::Description, failures: &mut Vec<String>) {
        refused_configs(d, &self.bad, L::check, failures);
    }

    fn stream(&self, stream: &str, incremental: bool, failures: &mut Vec<String>) {
        let h = (self.good)();
        let first = match read_all::<L>(&h, stream, None) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("read: {stream} failed: {e:?}"));
                return;
            }
        };
        for record in &first.0 {
            for problem in check_record(record) {
                failures.push(format!("records: {stream} {}: {problem}", record.remote_id));
            }
        }
        match read_all::<L>(&(self.good)(), stream, None) {
            Ok(second) if second.0 == first.0 => {}
            Ok(second) => failures.push(format!(
                "repeatable: two full reads of {stream} differ ({} then {} records)",
                first.0.len(),
                second.0.len()
            )),
            Err(e) => failures.push(format!("repeatable: second read of {stream} failed: {e:?}")),
        }
        if !incremental {
            return;
        }
        let newest = first
            .0
            .iter()
            .filter_map(|r| r.remote_updated_at.clone())
            .max();
        match read_all::<L>(&(self.good)(), stream, first.1.clone()) {
            Ok((again, _)) => {
                for r in &again {
                    let older = match (&r.remote_updated_at, &newest) {
                        (Some(t), Some(n)) => t < n,
                        (None, _) => true,
                        (Some(_), None) => false,
                    };
                    if older {
                        failures.push(format!(
                            "incremental: {stream} re-read {} ({:?}) from the saved cursor, older than the newest already read ({newest:?})",
                            r.remote_id, r.remote_updated_at
                        ));
                    }
                }
            }
            Err(e) => failures.push(format!(
                "incremental: reading {stream} from the saved cursor failed: {e:?}"
            )),
        }
    }
}

/// Panic with every failure, one per line.
fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} acceptance check(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Credential-looking fields must be secret, and secrets have no default.
fn declared_secrets(d: &crate::Description, failures: &mut Vec<String>) {
    for field in &d.config_fields {
        let key = field.key.to_ascii_lowercase();
        if CREDENTIAL_WORDS.iter().any(|w| key.contains(w)) && !field.secret {
            failures.push(format!(
                "secrets: `{}` looks like a credential but is not declared secret",
                field.key
            ));
        }
        if field.secret && field.default_value.is_some() {
            failures.push(format!(
                "secrets: secret `{}` has a default value",
                field.key
            ));
        }
    }
}

/// Every request `h` saw carried credential headers only as host-injected secrets.
fn plain_credentials(h: &Harness, failures: &mut Vec<String>) {
    for request in h.sent() {
        for (name, value) in &request.headers {
            if CREDENTIAL_HEADERS.contains(&name.as_str()) && !value.starts_with("secret:") {
                failures.push(format!(
                    "secrets: {} {} sends {name} in plain text; use a secret field",
                    request.method, request.url
                ));
            }
        }
    }
}

/// `check` refuses an empty configuration (when fields are required) and every bad one.
fn refused_configs(
    d: &crate::Description,
    bad: &[(String, Harness)],
    check: fn(Vec<ConfigEntry>) -> Result<(), PluginError>,
    failures: &mut Vec<String>,
) {
    if d.config_fields.iter().any(|f| f.required) {
        let empty = Harness::new();
        if empty.run(|| check(Vec::new())).is_ok() {
            failures.push("bad config: check accepted an empty configuration".into());
        }
    }
    for (why, harness) in bad {
        if harness.run(|| check(harness.config())).is_ok() {
            failures.push(format!(
                "bad config: check accepted a bad configuration ({why})"
            ));
        }
    }
}

/// The suite for bureau connector `B`: secrets and bad configurations as for ledgers; each
/// subject given is looked up twice with the same records, every record following the
/// contract's conventions; each unknown subject given returns no report.
pub struct BureauAcceptance<B: Bureau> {
    good: Box<dyn Fn() -> Harness>,
    bad: Vec<(String, Harness)>,
    known: Vec<CompanySubject>,
    unknown: Vec<CompanySubject>,
    _bureau: PhantomData<B>,
}

impl<B: Bureau> std::fmt::Debug for BureauAcceptance<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BureauAcceptance")
    }
}

impl<B: Bureau> BureauAcceptance<B> {
    /// The suite, with a factory for a harness holding a good configuration and the data.
    pub fn new(good: impl Fn() -> Harness + 'static) -> Self {
        BureauAcceptance {
            good: Box::new(good),
            bad: Vec::new(),
            known: Vec::new(),
            unknown: Vec::new(),
            _bureau: PhantomData,
        }
    }

    /// A configuration `check` must refuse, and why.
    pub fn bad_config(mut self, why: &str, harness: Harness) -> Self {
        self.bad.push((why.to_string(), harness));
        self
    }

    /// A company the bureau has at least one report on.
    pub fn known(mut self, subject: CompanySubject) -> Self {
        self.known.push(subject);
        self
    }

    /// A company the bureau knows nothing about: the lookup returns no report.
    pub fn unknown(mut self, subject: CompanySubject) -> Self {
        self.unknown.push(subject);
        self
    }

    /// Run every check; the failures, each naming the check and the subject.
    pub fn run(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let d = B::describe();
        declared_secrets(&d, &mut failures);
        refused_configs(&d, &self.bad, B::check, &mut failures);
        if self.known.is_empty() || self.unknown.is_empty() {
            failures.push("subjects: give at least one known and one unknown subject".into());
        }
        let h = (self.good)();
        for subject in &self.known {
            let first = lookup_all::<B>(&h, subject);
            let second = lookup_all::<B>(&(self.good)(), subject);
            match (first, second) {
                (Ok(a), Ok(b)) => {
                    if a.is_empty() {
                        failures.push(format!("known: no report about {}", subject.name));
                    }
                    if a != b {
                        failures.push(format!(
                            "repeatable: two lookups of {} differ",
                            subject.name
                        ));
                    }
                    for record in &a {
                        for problem in check_record(record) {
                            failures.push(format!(
                                "records: {} {}: {problem}",
                                subject.name, record.remote_id
                            ));
                        }
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    failures.push(format!("lookup: {} failed: {e:?}", subject.name))
                }
            }
        }
        for subject in &self.unknown {
            match lookup_all::<B>(&h, subject) {
                Ok(r) if r.is_empty() => {}
                Ok(r) => failures.push(format!(
                    "unknown: {} returned {} records",
                    subject.name,
                    r.len()
                )),
                Err(e) => failures.push(format!("unknown: {} failed: {e:?}", subject.name)),
            }
        }
        let _ = h.run(|| B::check(h.config()));
        plain_credentials(&h, &mut failures);
        failures
    }

    /// Run and panic with every failure.
    pub fn assert_passes(&self) {
        assert_none(self.run());
    }
}

/// Every page of a lookup.
fn lookup_all<B: Bureau>(
    h: &Harness,
    subject: &CompanySubject,
) -> Result<Vec<SourceRecord>, PluginError> {
    let mut records = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = h.run(|| B::lookup(subject.clone(), cursor.clone()))?;
        records.extend(page.records);
        cursor = page.cursor;
        if !page.has_more {
            return Ok(records);
        }
    }
    Err(PluginError::Permanent(format!(
        "the lookup of {} still had more after {MAX_PAGES} pages",
        subject.name
    )))
}

/// Every page of `stream` from `cursor`: the records and the last cursor.
fn read_all<L: Ledger>(
    h: &Harness,
    stream: &str,
    mut cursor: Option<String>,
) -> Result<(Vec<SourceRecord>, Option<String>), PluginError> {
    let mut records = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = h.run(|| L::read(stream.to_string(), cursor.clone()))?;
        records.extend(page.records);
        cursor = page.cursor;
        if !page.has_more {
            return Ok((records, cursor));
        }
    }
    Err(PluginError::Permanent(format!(
        "{stream} still had more after {MAX_PAGES} pages"
    )))
}

/// A decimal string as (digits, scale), for exact sums without a decimal library.
fn decimal(text: &str) -> Option<(i128, u32)> {
    let t = text.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || frac.len() > 18
    {
        return None;
    }
    let value: i128 = format!("{int}{frac}").parse().ok()?;
    Some((if negative { -value } else { value }, frac.len() as u32))
}

/// Scale to 18 decimal places.
fn scaled(text: &str) -> Option<i128> {
    let (v, s) = decimal(text)?;
    v.checked_mul(10i128.checked_pow(18 - s)?)
}

fn is_date(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn is_instant(t: &str) -> bool {
    t.len() >= 20
        && is_date(&t[..10])
        && t.as_bytes()[10] == b'T'
        && (t.ends_with('Z') || t[19..].contains(['+', '-']))
}

fn is_currency(c: &str) -> bool {
    c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())
}

/// What is wrong with one record, by the contract's conventions.
pub fn check_record(r: &SourceRecord) -> Vec<String> {
    let mut p = Vec::new();
    if r.remote_id.trim().is_empty() {
        p.push("empty remote-id".to_string());
    }
    if let Some(t) = &r.remote_updated_at
        && !is_instant(t)
    {
        p.push(format!(
            "remote-updated-at {t:?} is not an RFC 3339 instant"
        ));
    }
    match (&r.body, r.deleted) {
        (None, false) => p.push("no body on a live record".into()),
        (Some(RecordBody::Rejected(reason)), _) => p.push(format!("rejected: {reason}")),
        (Some(RecordBody::Invoice(d) | RecordBody::CreditNote(d)), _) => document(d, &mut p),
        (Some(RecordBody::Payment(pay)), _) => {
            if !is_date(&pay.date) {
                p.push(format!("payment date {:?} is not ISO 8601", pay.date));
            }
            if !is_currency(&pay.amount.currency) {
                p.push(format!(
                    "currency {:?} is not ISO 4217",
                    pay.amount.currency
                ));
            }
            let total = scaled(&pay.amount.amount);
            if total.is_none() {
                p.push(format!("amount {:?} is not a decimal", pay.amount.amount));
            }
            for a in &pay.allocations {
                match (scaled(&a.amount), total) {
                    (Some(x), Some(t)) if x > 0 && x <= t.abs() => {}
                    _ => p.push(format!(
                        "allocation {} to {} is not a positive decimal within the payment",
                        a.amount, a.target_remote_id
                    )),
                }
            }
        }
        (Some(RecordBody::Customer(c)), _) => {
            if c.name.trim().is_empty() {
                p.push("customer without a name".into());
            }
            if let Some(cur) = &c.currency
                && !is_currency(cur)
            {
                p.push(format!("currency {cur:?} is not ISO 4217"));
            }
            for a in &c.addresses {
                if let Some(cc) = &a.country
                    && (cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_uppercase()))
                {
                    p.push(format!("country {cc:?} is not ISO 3166-1 alpha-2"));
                }
            }
        }
        (Some(RecordBody::CreditReport(r)), _) => {
            if !is_date(&r.report_date) {
                p.push(format!("report date {:?} is not ISO 8601", r.report_date));
            }
            if let Some(limit) = &r.recommended_limit {
                if scaled(&limit.amount).is_none() {
                    p.push(format!(
                        "recommended limit {:?} is not a decimal",
                        limit.amount
                    ));
                }
                if !is_currency(&limit.currency) {
                    p.push(format!("currency {:?} is not ISO 4217", limit.currency));
                }
            }
            if let Some(s) = &r.score {
                let parts = [&s.value, &s.scale_min, &s.scale_max].map(|v| scaled(v));
                match parts {
                    [Some(v), Some(lo), Some(hi)] if lo < hi && lo <= v && v <= hi => {}
                    _ => p.push(format!(
                        "score {} is not a decimal within its scale {}..{}",
                        s.value, s.scale_min, s.scale_max
                    )),
                }
            }
            for e in &r.events {
                if let Some(d) = &e.date
                    && !is_date(d)
                {
                    p.push(format!("event date {d:?} is not ISO 8601"));
                }
            }
        }
        (None, true) => {}
    }
    p
}

fn document(d: &Document, p: &mut Vec<String>) {
    if !is_currency(&d.currency) {
        p.push(format!("currency {:?} is not ISO 4217", d.currency));
    }
    if !is_date(&d.issue_date) {
        p.push(format!("issue date {:?} is not ISO 8601", d.issue_date));
    }
    if let Some(due) = &d.due_date
        && !is_date(due)
    {
        p.push(format!("due date {due:?} is not ISO 8601"));
    }
    let t = &d.totals;
    let amounts = [
        ("line-total", Some(&t.line_total)),
        ("tax-exclusive", Some(&t.tax_exclusive)),
        ("tax-total", Some(&t.tax_total)),
        ("tax-inclusive", Some(&t.tax_inclusive)),
        ("payable", Some(&t.payable)),
        ("prepaid", t.prepaid.as_ref()),
        ("rounding", t.rounding.as_ref()),
        ("allowance-total", t.allowance_total.as_ref()),
        ("charge-total", t.charge_total.as_ref()),
    ];
    for (name, value) in amounts {
        if let Some(v) = value
            && scaled(v).is_none()
        {
            p.push(format!("{name} {v:?} is not a decimal"));
        }
    }
    let lines: Option<i128> = d.lines.iter().map(|l| scaled(&l.net_amount)).sum();
    let get = |v: &str| scaled(v).unwrap_or(0);
    let opt = |v: &Option<String>| v.as_deref().map_or(0, get);
    if !d.lines.is_empty() && lines != Some(get(&t.line_total)) {
        p.push(format!(
            "BR-CO-10: lines do not add up to the line total {}",
            t.line_total
        ));
    }
    if get(&t.tax_exclusive) + get(&t.tax_total) != get(&t.tax_inclusive) {
        p.push(format!(
            "BR-CO-15: {} + {} is not {}",
            t.tax_exclusive, t.tax_total, t.tax_inclusive
        ));
    }
    if get(&t.tax_inclusive) - opt(&t.prepaid) + opt(&t.rounding) != get(&t.payable) {
        p.push(format!(
            "BR-CO-16: payable {} does not follow from {}",
            t.payable, t.tax_inclusive
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_compare_exactly_at_any_scale() {
        assert_eq!(scaled("1.50"), scaled("1.5"));
        assert_eq!(scaled("-3"), scaled("-3.000"));
        assert_ne!(scaled("0.1"), scaled("0.01"));
        assert_eq!(scaled("1e5"), None);
        assert_eq!(scaled(""), None);
        assert!(is_instant("2026-11-25T10:00:00Z"));
        assert!(is_instant("2013-11-15T15:22:43-08:00"));
        assert!(!is_instant("2026-11-25"));
    }
}
