//! The pure rule step: facts + policy + date -> one decision per account. No I/O, no clock:
//! the same book, policy and date always give the same evaluation, which is what makes any
//! past date replayable.
//!
//! Invoices are folded into per-account tallies in one pass (the hot loop); everything after
//! works per account.

use super::behaviour::{PaidTally, one_decimal, summarize};
use super::decision::{
    Alert, Decision, Evaluation, Exposure, InsuranceTask, Reason, ReportSummary, Review,
    StateReason,
};
use super::facts::{Book, HoldFact, ReportFact};
use crate::policy::{Conditions, CreditState, Policy, ReportCondition};
use chrono::{Duration, NaiveDate};
use credence_model::{CreditEventKind, CreditReport, Currency, Score};
use rust_decimal::Decimal;
use std::collections::HashSet;

/// Per-account sums from the invoice pass.
#[derive(Debug, Clone, Default)]
struct Tally {
    not_yet_due: Decimal,
    overdue: Decimal,
    credit: Decimal,
    open: u32,
    overdue_count: u32,
    oldest_overdue_due: Option<NaiveDate>,
    oldest_open_issue: Option<NaiveDate>,
    first_issue: Option<NaiveDate>,
    invoiced_90_days: Decimal,
    paid: PaidTally,
    unconverted: Vec<Currency>,
    /// Open invoices above the insurance threshold: (number, issue date, converted payable).
    to_insure: Vec<(String, NaiveDate, Decimal)>,
}

fn days(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

fn add_days(date: NaiveDate, n: u32) -> NaiveDate {
    date.checked_add_signed(Duration::days(i64::from(n)))
        .unwrap_or(NaiveDate::MAX)
}

fn note_unconverted(t: &mut Tally, c: Currency) {
    if !t.unconverted.contains(&c) {
        t.unconverted.push(c);
    }
}

/// Fold every invoice and credit into its account's tally.
fn tally(book: &Book, policy: &Policy, as_of: NaiveDate) -> Vec<Tally> {
    let mut tallies = vec![Tally::default(); book.accounts.len()];
    let window = i64::from(policy.behaviour.months) * 365 / 12;
    let invoice_threshold = policy.insurance.invoice_over;
    for inv in &book.invoices {
        let t = &mut tallies[inv.account as usize];
        t.first_issue = Some(t.first_issue.map_or(inv.issue, |d| d.min(inv.issue)));
        if days(inv.issue, as_of) < 90 {
            match policy.convert(inv.payable, inv.currency) {
                Some(v) => t.invoiced_90_days += v,
                None => note_unconverted(t, inv.currency),
            }
        }
        if let Some(paid) = inv.paid_on {
            let age = days(paid, as_of);
            if age < window {
                t.paid.add(days(inv.due, paid), age);
            }
        }
        if !inv.is_open() {
            continue;
        }
        let Some(amount) = policy.convert(inv.outstanding, inv.currency) else {
            note_unconverted(t, inv.currency);
            continue;
        };
        t.open += 1;
        t.oldest_open_issue = Some(t.oldest_open_issue.map_or(inv.issue, |d| d.min(inv.issue)));
        if inv.due < as_of {
            t.overdue += amount;
            t.overdue_count += 1;
            t.oldest_overdue_due = Some(t.oldest_overdue_due.map_or(inv.due, |d| d.min(inv.due)));
        } else {
            t.not_yet_due += amount;
        }
        if let Some(threshold) = invoice_threshold
            && let Some(payable) = policy.convert(inv.payable, inv.currency)
            && payable > threshold
        {
            t.to_insure
                .push((book.number(inv).to_string(), inv.issue, payable));
        }
    }
    for c in &book.credits {
        let t = &mut tallies[c.account as usize];
        match policy.convert(c.amount, c.currency) {
            Some(v) => t.credit += v,
            None => note_unconverted(t, c.currency),
        }
    }
    tallies
}

/// The bureau's score on 0-100, higher is better.
pub fn rescale(score: &Score) -> Option<Decimal> {
    let span = score.scale_max - score.scale_min;
    if span <= Decimal::ZERO {
        return None;
    }
    let share = ((score.value - score.scale_min) / span).clamp(Decimal::ZERO, Decimal::ONE);
    let share = if score.higher_is_better {
        share
    } else {
        Decimal::ONE - share
    };
    Some(one_decimal(share * Decimal::from(100)))
}

fn is_insolvency(kind: CreditEventKind) -> bool {
    matches!(
        kind,
        CreditEventKind::Insolvency
            | CreditEventKind::Liquidation
            | CreditEventKind::Administration
            | CreditEventKind::Dissolution
    )
}

/// A customer's insolvency proceedings, as its credit reports show them.
#[derive(Debug, Clone, PartialEq)]
pub struct Insolvency {
    /// The bureau that reports it.
    pub source: String,
    pub kind: CreditEventKind,
    pub description: String,
    /// When the proceedings opened (the event's date, else the report's).
    pub opened: NaiveDate,
}

impl Insolvency {
    /// The company no longer exists: there is no office-holder to lodge a claim with.
    pub fn dissolved(&self) -> bool {
        self.kind == CreditEventKind::Dissolution
    }

    /// "Companies House reports in liquidation (2026-03-02)".
    pub fn sentence(&self) -> String {
        format!(
            "{} reports {} ({})",
            self.source, self.description, self.opened
        )
    }
}

/// Each account's insolvency proceedings (book order): the newest report with an insolvency,
/// liquidation, administration or dissolution event, its earliest such event.
pub fn insolvencies(book: &Book) -> Vec<Option<Insolvency>> {
    let mut out: Vec<Option<(&ReportFact, Insolvency)>> = vec![None; book.accounts.len()];
    for fact in &book.reports {
        let report = &fact.report;
        let Some(event) = report
            .events
            .iter()
            .filter(|e| is_insolvency(e.kind))
            .min_by_key(|e| e.date.unwrap_or(report.report_date))
        else {
            continue;
        };
        let slot = &mut out[fact.account as usize];
        let newer = slot.as_ref().is_none_or(|(f, _)| {
            (report.report_date, &fact.connection) > (f.report.report_date, &f.connection)
        });
        if newer {
            *slot = Some((
                fact,
                Insolvency {
                    source: report.source.clone(),
                    kind: event.kind,
                    description: event.description.clone(),
                    opened: event.date.unwrap_or(report.report_date),
                },
            ));
        }
    }
    out.into_iter().map(|o| o.map(|(_, i)| i)).collect()
}

/// An amount as users read it: "EUR 1200.00" (written where it is used, never allocated).
struct Amount(Decimal, Currency);

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.1, self.1.fixed(self.0))
    }
}

fn money(amount: Decimal, currency: Currency) -> Amount {
    Amount(amount, currency)
}

/// Alerts for linked records of other ledgers that disagree with the one speaking for the
/// account: another e-mail address (a link that would change who gets reminders) or another
/// credit limit. They show as long as the disagreement lasts; nothing is switched meanwhile.
fn conflict_alerts(account: &super::facts::AccountFacts, as_of: NaiveDate) -> Vec<Alert> {
    let Some(speaker) = &account.speaker else {
        return Vec::new();
    };
    account
        .conflicts
        .iter()
        .map(|c| {
            let used = match (&c.used, &c.used_from) {
                (Some(v), Some(from)) => format!("{v} from {from}"),
                _ => format!("nothing (the {} records give none)", speaker.connection),
            };
            let (code, what) = match c.field.as_str() {
                "email" => ("contact-conflict", "e-mail address"),
                _ => ("ledger-limit-conflict", "credit limit"),
            };
            Alert {
                code,
                recorded: as_of,
                sentence: format!(
                    "{} is linked to this account and gives the {what} {}; Credence keeps using {used} (connection {} speaks for the account: {}). Check the link; to trust another ledger, list it in the policy's [accounts] primary_connections",
                    c.other, c.value, speaker.connection, speaker.because
                ),
            }
        })
        .collect()
}

/// Alerts from the change between a report and the version it replaced (or, for a first
/// report, the events it brings), shown while the change is within the alert window.
fn alerts(fact: &ReportFact, policy: &Policy, as_of: NaiveDate) -> Vec<Alert> {
    let recorded = fact.received.date_naive();
    if days(recorded, as_of) > i64::from(policy.alerts.window_days) || recorded > as_of {
        return Vec::new();
    }
    let (now, before) = (&fact.report, fact.previous.as_ref());
    let mut out = Vec::new();
    let alert = |code: &'static str, sentence: String| Alert {
        code,
        recorded,
        sentence,
    };
    if let (Some(new), Some(old)) = (
        now.score.as_ref().and_then(rescale),
        before.and_then(|b| b.score.as_ref()).and_then(rescale),
    ) && old - new >= policy.alerts.score_drop
    {
        out.push(alert(
            "score-drop",
            format!(
                "{} score fell from {old} to {new} (on 0-100), a drop of {}",
                now.source,
                old - new
            ),
        ));
    }
    let old_rating = before
        .and_then(|b| b.rating.clone())
        .or_else(|| now.previous_rating.clone());
    if let (Some(new), Some(old)) = (&now.rating, old_rating)
        && *new != old
    {
        out.push(alert(
            "rating-change",
            format!("{} rating changed from {old} to {new}", now.source),
        ));
    }
    let known: &[credence_model::CreditEvent] = before.map(|b| b.events.as_slice()).unwrap_or(&[]);
    for e in now.events.iter().filter(|e| !known.contains(e)) {
        let serious = is_insolvency(e.kind)
            || matches!(
                e.kind,
                CreditEventKind::StatusChange | CreditEventKind::OverdueFiling
            );
        // A first report's old events are history, not news.
        let recent = before.is_some()
            || e.date
                .is_some_and(|d| days(d, as_of) <= i64::from(policy.alerts.window_days));
        if serious && recent {
            out.push(alert(
                "new-event",
                format!(
                    "{} reports {}{}",
                    now.source,
                    e.description,
                    e.date.map(|d| format!(" ({d})")).unwrap_or_default()
                ),
            ));
        }
    }
    out
}

/// The credit holds the ladder delivered, per account, and which invoices they name are still
/// open: a hold stands until they are paid (below the dunning tolerance) or a person releases it.
struct Holds<'a> {
    of_account: Vec<Vec<&'a HoldFact>>,
    releases: Vec<Vec<&'a credence_model::HoldRelease>>,
    /// Keys of held invoices still open, with their numbers.
    open: HashSet<&'a str>,
}

impl<'a> Holds<'a> {
    fn of(book: &'a Book, policy: &Policy) -> Holds<'a> {
        let mut of_account = vec![Vec::new(); book.accounts.len()];
        let mut releases = vec![Vec::new(); book.accounts.len()];
        let mut held: HashSet<&str> = HashSet::new();
        for h in &book.holds {
            of_account[h.account as usize].push(h);
            held.extend(h.invoices.iter().map(|(k, _)| k.as_str()));
        }
        for r in &book.releases {
            releases[r.account as usize].push(&r.release);
        }
        let open = if held.is_empty() {
            HashSet::new()
        } else {
            book.invoices
                .iter()
                .filter(|inv| {
                    inv.is_open()
                        && inv.outstanding
                            >= policy
                                .dunning
                                .tolerance(inv.currency)
                                .max(inv.currency.minor_unit())
                })
                .map(|inv| book.key(inv))
                .filter(|k| held.contains(k))
                .collect()
        };
        Holds {
            of_account,
            releases,
            open,
        }
    }

    /// The reason an account is on hold (its newest standing hold), and an alert for a
    /// release of holds that would otherwise stand, while it is recent.
    fn standing(
        &self,
        account: usize,
        as_of: NaiveDate,
        window: &crate::policy::AlertsPolicy,
    ) -> (Option<StateReason>, Option<Alert>) {
        let release = self.releases[account].iter().max_by_key(|r| r.released_on);
        let unpaid = |h: &&&HoldFact| {
            h.invoices
                .iter()
                .any(|(k, _)| self.open.contains(k.as_str()))
        };
        let mut released = None;
        let mut standing = None;
        for h in self.of_account[account].iter().filter(unpaid) {
            match release {
                Some(r) if r.released_on >= h.placed_on => released = Some(r),
                _ => standing = Some(*h),
            }
        }
        let reason = standing.map(|h| {
            let open: Vec<&str> = h
                .invoices
                .iter()
                .filter(|(k, _)| self.open.contains(k.as_str()))
                .map(|(_, n)| n.as_str())
                .collect();
            StateReason {
                code: "credit-hold".into(),
                state: CreditState::Hold,
                decisive: false,
                sentence: format!(
                    "the dunning ladder's credit hold (step {}) was delivered on {}: it stands until {} {} paid or a person releases it (credence hold release)",
                    h.step,
                    h.placed_on,
                    open.join(", "),
                    if open.len() == 1 { "is" } else { "are" }
                ),
            }
        });
        let alert = released
            .filter(|r| days(r.released_on, as_of) <= i64::from(window.window_days))
            .map(|r| Alert {
                code: "hold-released",
                recorded: r.released_on,
                sentence: format!(
                    "credit hold released by {} on {}: {}",
                    r.by, r.released_on, r.reason
                ),
            });
        (reason, alert)
    }
}

/// A sentence built from clauses joined by "; ", written in place (no string per clause).
struct Why(String);

impl Default for Why {
    /// Room for a typical sentence up front: growing a string from empty reallocates it four
    /// or five times, for every matched rule of every customer.
    fn default() -> Why {
        Why(String::with_capacity(112))
    }
}

impl Why {
    fn add(&mut self, clause: std::fmt::Arguments<'_>) {
        use std::fmt::Write;
        if !self.0.is_empty() {
            self.0.push_str("; ");
        }
        let _ = self.0.write_fmt(clause);
    }
}

/// The figures a state rule is judged on.
struct Situation<'a> {
    policy: &'a Policy,
    /// Every current report of the account, newest first.
    reports: &'a [&'a ReportFact],
    /// The newest report (freshness).
    newest: Option<&'a CreditReport>,
    /// The newest fresh report with a score, rating or limit (a commercial bureau's).
    scored: Option<&'a CreditReport>,
    report_expired: bool,
    new_customer: bool,
    bureau_score: Option<Decimal>,
    internal_score: Option<Decimal>,
    broken_promise: Option<String>,
    exposure: Decimal,
    limit: Decimal,
    max_days_overdue: i64,
    overdue: Decimal,
}

impl Situation<'_> {
    /// `Some(sentence with the figures)` when every condition holds.
    fn matches(&self, when: &Conditions) -> Option<String> {
        let c = self.policy.currency;
        let mut why = Why::default();
        if let Some(want) = when.insolvency_event {
            let event = self.reports.iter().find_map(|f| {
                f.report
                    .events
                    .iter()
                    .find(|e| is_insolvency(e.kind))
                    .map(|e| (&f.report, e))
            });
            if event.is_some() != want {
                return None;
            }
            if let Some((r, e)) = event {
                why.add(format_args!("{} reports {}", r.source, e.description));
            }
        }
        if let Some(want) = when.new_customer {
            if self.new_customer != want {
                return None;
            }
            if want {
                why.add(format_args!(
                    "a new customer (first invoice less than {} days ago)",
                    self.policy.onboarding.new_for_days
                ));
            } else {
                why.add(format_args!("an established customer"));
            }
        }
        if let Some(want) = when.report {
            let (missing, expired) = (self.newest.is_none(), self.report_expired);
            let holds = match want {
                ReportCondition::Missing => missing,
                ReportCondition::Expired => expired,
                ReportCondition::MissingOrExpired => missing || expired,
            };
            if !holds {
                return None;
            }
            match self.newest {
                None => why.add(format_args!("no credit report")),
                Some(r) => why.add(format_args!(
                    "the {} report of {} is older than {} days",
                    r.source, r.report_date, self.policy.reports.fresh_for_days
                )),
            }
        }
        if let Some(ratings) = &when.rating_in {
            let rating = self.scored.and_then(|r| r.rating.as_deref())?;
            if !ratings.iter().any(|r| r.eq_ignore_ascii_case(rating)) {
                return None;
            }
            why.add(format_args!("rated {rating}"));
        }
        if let Some(below) = when.bureau_score_below {
            let s = self.bureau_score.filter(|s| *s < below)?;
            why.add(format_args!("bureau score {s} is below {below}"));
        }
        if let Some(below) = when.internal_score_below {
            let s = self.internal_score.filter(|s| *s < below)?;
            why.add(format_args!("internal score {s} is below {below}"));
        }
        if let Some(want) = when.broken_promise {
            if self.broken_promise.is_some() != want {
                return None;
            }
            if let Some(p) = &self.broken_promise {
                why.add(format_args!("{p}"));
            }
        }
        if let Some(want) = when.over_limit {
            let over = self.exposure > self.limit;
            if over != want {
                return None;
            }
            if over {
                why.add(format_args!(
                    "exposure {} is over the limit {} by {}",
                    money(self.exposure, c),
                    money(self.limit, c),
                    money(self.exposure - self.limit, c)
                ));
            }
        }
        if let Some(at_least) = when.utilization_at_least {
            if self.limit <= Decimal::ZERO {
                return None;
            }
            // Compared unrounded: 89.99 % is not 90 %.
            let used = self.exposure * Decimal::from(100) / self.limit;
            if used < at_least {
                return None;
            }
            why.add(format_args!(
                "exposure {} uses {} % of the limit {}",
                money(self.exposure, c),
                used.round_dp(1),
                money(self.limit, c)
            ));
        }
        if let Some(n) = when.days_overdue_over {
            if self.max_days_overdue <= i64::from(n) {
                return None;
            }
            why.add(format_args!(
                "the oldest overdue invoice is {} days past due (more than {n})",
                self.max_days_overdue
            ));
        }
        if let Some(over) = when.overdue_amount_over {
            if self.overdue <= over {
                return None;
            }
            why.add(format_args!("{} is overdue", money(self.overdue, c)));
        }
        Some(why.0)
    }
}

/// Evaluate every account.
pub fn evaluate(book: &Book, policy: &Policy, as_of: NaiveDate) -> Evaluation {
    let tallies = tally(book, policy, as_of);
    let currency = policy.currency;
    // Per account: its reports, newest first (by report date, then connection), and alerts.
    let mut per_account: Vec<Vec<&ReportFact>> = vec![Vec::new(); book.accounts.len()];
    let mut alert_lists: Vec<Vec<Alert>> = vec![Vec::new(); book.accounts.len()];
    for fact in &book.reports {
        per_account[fact.account as usize].push(fact);
        alert_lists[fact.account as usize].extend(alerts(fact, policy, as_of));
    }
    for (i, account) in book.accounts.iter().enumerate() {
        alert_lists[i].extend(conflict_alerts(account, as_of));
    }
    for d in &book.discrepancies {
        alert_lists[d.account as usize].push(Alert {
            code: "outstanding-discrepancy",
            recorded: as_of,
            sentence: format!(
                "invoice {}: the ledger states {} outstanding, but {} payable less {} of payments allocated to it leaves {}; Credence uses the ledger's figure: check the allocation in the ledger",
                d.number,
                money(d.stated, d.currency),
                money(d.payable, d.currency),
                money(d.allocated, d.currency),
                money(d.payable - d.allocated, d.currency)
            ),
        });
    }
    for facts in &mut per_account {
        facts.sort_by(|a, b| {
            (b.report.report_date, &b.connection).cmp(&(a.report.report_date, &a.connection))
        });
    }
    // Promises: broken ones (in the window) and the latest still unsettled.
    let window = i64::from(policy.behaviour.months) * 365 / 12;
    let mut broken = vec![0u32; book.accounts.len()];
    let mut unsettled: Vec<Option<String>> = vec![None; book.accounts.len()];
    for p in &book.promises {
        let promise = &p.promise;
        if promise.promised_for >= as_of {
            continue;
        }
        let paid = book.paid_towards(p, promise.promised_for);
        if paid >= promise.amount.amount {
            continue;
        }
        if days(promise.promised_for, as_of) <= window {
            broken[p.account as usize] += 1;
        }
        let still_open = if promise.invoices.is_empty() {
            book.invoices
                .iter()
                .any(|i| i.account == p.account && i.is_open() && i.issue <= promise.promised_for)
        } else {
            p.invoices
                .iter()
                .filter_map(|i| book.invoices.get(*i as usize))
                .any(|i| i.is_open())
        };
        if still_open {
            unsettled[p.account as usize] = Some(format!(
                "promised {} by {} ({} paid by then) and invoices from before are still unpaid",
                money(promise.amount.amount, promise.amount.currency),
                promise.promised_for,
                money(paid, promise.amount.currency)
            ));
        }
    }

    let holds = Holds::of(book, policy);

    let mut customers = Vec::with_capacity(book.accounts.len());
    for (i, account) in book.accounts.iter().enumerate() {
        let t = &tallies[i];
        let facts = &per_account[i];
        let newest = facts.first().map(|f| &f.report);
        let fresh = |r: &CreditReport| add_days(r.report_date, policy.reports.fresh_for_days);
        let report_expired = newest.is_some_and(|r| fresh(r) < as_of);
        let lends = |r: &&CreditReport| {
            r.score.is_some() || r.rating.is_some() || r.recommended_limit.is_some()
        };
        // Only a report still fresh lends its score, rating and recommended limit. An expired
        // one is history: shown, a reason for watch, and a ceiling (losing information never
        // raises a limit), but not a basis for credit.
        let scored = facts
            .iter()
            .map(|f| &f.report)
            .filter(|r| fresh(r) >= as_of)
            .find(lends);
        let expired_basis = match scored {
            Some(_) => None,
            None => facts.iter().map(|f| &f.report).find(lends),
        };
        let bureau_score = scored.and_then(|r| r.score.as_ref()).and_then(rescale);
        let behaviour = summarize(
            &t.paid,
            t.not_yet_due + t.overdue,
            t.invoiced_90_days,
            t.oldest_open_issue.map(|d| days(d, as_of)),
            broken[i],
            &policy.behaviour,
        );
        let weight = policy.score.bureau_weight;
        let internal_score = match (bureau_score, behaviour.score) {
            (Some(b), Some(p)) => Some(one_decimal(b * weight + p * (Decimal::ONE - weight))),
            (b, p) => b.or(p),
        };

        // The limit.
        let mut limit_basis = Vec::new();
        let expired_ceiling = expired_basis.and_then(|r| {
            limit_basis.push(Reason {
                code: "limit-bureau-expired",
                sentence: format!(
                    "the {} report of {} expired after {}: its score, rating and recommended limit are no longer a basis",
                    r.source,
                    r.report_date,
                    fresh(r)
                ),
            });
            let m = r.recommended_limit.as_ref()?;
            let v = policy.convert(m.amount, m.currency)?;
            Some((currency.round(v * policy.limits.bureau_share), r))
        });
        let from_bureau = scored
            .and_then(|r| r.recommended_limit)
            .and_then(|m| policy.convert(m.amount, m.currency).map(|v| (v, m)));
        let bureau_part = from_bureau.map(|(v, m)| {
            let granted = currency.round(v * policy.limits.bureau_share);
            limit_basis.push(Reason {
                code: "limit-from-bureau",
                sentence: format!(
                    "{} x the recommended {} {}",
                    policy.limits.bureau_share, m.currency, m.amount
                ),
            });
            granted
        });
        let band_part = internal_score.map(|s| {
            let band = policy.limits.score_bands.iter().find(|b| s >= b.min_score);
            limit_basis.push(Reason {
                code: "limit-from-score",
                sentence: match band {
                    Some(b) => format!(
                        "internal score {s} is in the band from {}: {}",
                        b.min_score,
                        money(b.limit, currency)
                    ),
                    None => format!("internal score {s} is below every band: no credit line"),
                },
            });
            band.map_or(Decimal::ZERO, |b| b.limit)
        });
        let ledger_part = account
            .ledger_limit
            .filter(|_| policy.limits.ledger_limit)
            .and_then(|m| {
                let v = policy.convert(m.amount, m.currency)?;
                limit_basis.push(Reason {
                    code: "limit-from-ledger",
                    sentence: format!("the ledger sets {} {}", m.currency, m.amount),
                });
                Some(currency.round(v))
            });
        let bases = [bureau_part, band_part, ledger_part];
        let mut limit = bases.into_iter().flatten().min().unwrap_or_else(|| {
            limit_basis.push(Reason {
                code: "no-limit-basis",
                sentence: "no bureau recommendation, score or ledger limit: no credit line".into(),
            });
            Decimal::ZERO
        });
        if let Some((ceiling, r)) = expired_ceiling
            && ceiling < limit
        {
            limit = ceiling;
            limit_basis.push(Reason {
                code: "limit-expired-ceiling",
                sentence: format!(
                    "no higher than the {} the expired {} report supported",
                    money(ceiling, currency),
                    r.source
                ),
            });
        }
        if let Some(segment) = &account.segment
            && let Some(cap) = policy.limits.segment_caps.get(segment)
            && *cap < limit
        {
            limit = *cap;
            limit_basis.push(Reason {
                code: "limit-segment-cap",
                sentence: format!("capped at {} for segment {segment}", money(*cap, currency)),
            });
        }
        let overrides: Vec<_> = policy
            .overrides
            .iter()
            .filter(|o| o.customer == account.id || account.members.contains(&o.customer))
            .collect();
        let active = overrides.iter().rev().find(|o| o.until >= as_of);
        for o in overrides.iter().filter(|o| o.until < as_of) {
            limit_basis.push(Reason {
                code: "override-expired",
                sentence: format!("override by {} ({}) ended on {}", o.by, o.reason, o.until),
            });
        }
        if let Some(o) = active
            && let Some(l) = o.limit
        {
            limit = l;
            limit_basis.push(Reason {
                code: "limit-override",
                sentence: format!(
                    "set to {} by {} until {}: {}",
                    money(l, currency),
                    o.by,
                    o.until,
                    o.reason
                ),
            });
        }

        // Exposure.
        let ex = &policy.exposure;
        let mut total = Decimal::ZERO;
        if ex.not_yet_due {
            total += t.not_yet_due;
        }
        if ex.overdue {
            total += t.overdue;
        }
        if ex.unallocated_credit {
            total -= t.credit;
        }
        let exposure = Exposure {
            not_yet_due: currency.fixed(t.not_yet_due),
            overdue: currency.fixed(t.overdue),
            unallocated_credit: currency.fixed(t.credit),
            total: currency.fixed(total),
            unconverted: t.unconverted.clone(),
        };
        let max_days_overdue = t.oldest_overdue_due.map_or(0, |d| days(d, as_of));
        let new_customer = t
            .first_issue
            .is_none_or(|d| days(d, as_of) < i64::from(policy.onboarding.new_for_days));

        // The state: first matching rule, unless an override says otherwise.
        let situation = Situation {
            policy,
            reports: facts,
            newest,
            scored,
            report_expired,
            new_customer,
            bureau_score,
            internal_score,
            broken_promise: unsettled[i].clone(),
            exposure: exposure.total,
            limit,
            max_days_overdue,
            overdue: exposure.overdue,
        };
        let mut reasons: Vec<StateReason> = policy
            .states
            .iter()
            .filter_map(|rule| {
                situation.matches(&rule.when).map(|sentence| StateReason {
                    code: rule.code.clone(),
                    state: rule.state,
                    decisive: false,
                    sentence,
                })
            })
            .collect();
        if !exposure.unconverted.is_empty() {
            let codes: Vec<&str> = exposure.unconverted.iter().map(|c| c.code()).collect();
            reasons.push(StateReason {
                code: "unconvertible-currency".into(),
                state: CreditState::Watch,
                decisive: false,
                sentence: format!(
                    "amounts in {} are left out of the figures: add them to the policy's [rates]",
                    codes.join(", ")
                ),
            });
        }
        let mut alerts = std::mem::take(&mut alert_lists[i]);
        let (standing, released) = holds.standing(i, as_of, &policy.alerts);
        if let Some(hold) = standing {
            let at = match reasons.first() {
                Some(r) if r.state >= CreditState::Hold => 1,
                _ => 0,
            };
            reasons.insert(at, hold);
        }
        alerts.extend(released);
        let mut state = reasons.first().map_or(CreditState::Ok, |r| r.state);
        if let Some(o) = active
            && let Some(s) = o.state
        {
            state = s;
            reasons.insert(
                0,
                StateReason {
                    code: "override".into(),
                    state: s,
                    decisive: true,
                    sentence: format!("set by {} until {}: {}", o.by, o.until, o.reason),
                },
            );
        } else if let Some(first) = reasons.first_mut() {
            first.decisive = true;
        }
        let headroom = match state {
            CreditState::Ok | CreditState::Watch => (limit - exposure.total).max(Decimal::ZERO),
            _ => Decimal::ZERO,
        };

        // Insurance.
        let ins = &policy.insurance;
        let mut insurance = Vec::new();
        let mut task = |code: &'static str,
                        subject: String,
                        from: NaiveDate,
                        amount: Decimal,
                        sentence: String| {
            let deadline = add_days(from, ins.notify_within_days);
            insurance.push(InsuranceTask {
                code,
                subject,
                deadline,
                overdue: deadline < as_of,
                sentence,
                amount: currency.fixed(amount),
            });
        };
        for (number, issued, payable) in &t.to_insure {
            task(
                "insure-invoice",
                number.clone(),
                *issued,
                *payable,
                format!(
                    "invoice {number} of {} is above the cover threshold {}",
                    money(*payable, currency),
                    money(ins.invoice_over.unwrap_or_default(), currency)
                ),
            );
        }
        if let Some(over) = ins.customer_exposure_over
            && exposure.total > over
        {
            task(
                "insure-customer",
                account.id.clone(),
                t.oldest_open_issue.unwrap_or(as_of),
                exposure.total,
                format!(
                    "exposure {} is above the cover threshold {}",
                    money(exposure.total, currency),
                    money(over, currency)
                ),
            );
        }
        if let Some(r) = scored
            && let Some(rating) = &r.rating
            && ins.ratings.iter().any(|x| x.eq_ignore_ascii_case(rating))
            && exposure.total > Decimal::ZERO
        {
            task(
                "insure-rating",
                account.id.clone(),
                r.report_date
                    .max(t.oldest_open_issue.unwrap_or(r.report_date)),
                exposure.total,
                format!(
                    "rated {rating} by {} with {} open",
                    r.source,
                    money(exposure.total, currency)
                ),
            );
        }

        // Review.
        let last = newest.map(|r| r.report_date).or(t.first_issue);
        let next = add_days(last.unwrap_or(as_of), policy.review.cadence(state));
        alerts.sort_by(|a, b| (a.recorded, &a.code).cmp(&(b.recorded, &b.code)));
        customers.push(Decision {
            account: account.id.clone(),
            name: account.name.clone(),
            members: account.members.clone(),
            segment: account.segment.clone(),
            state,
            currency,
            limit: currency.fixed(limit),
            headroom: currency.fixed(headroom),
            exposure,
            internal_score,
            bureau_score,
            reports: facts
                .iter()
                .map(|f| ReportSummary {
                    connection: f.connection.clone(),
                    source: f.report.source.clone(),
                    report_date: f.report.report_date,
                    fresh_until: fresh(&f.report),
                    expired: fresh(&f.report) < as_of,
                    rating: f.report.rating.clone(),
                    score: f
                        .report
                        .score
                        .as_ref()
                        .map(|s| format!("{} ({}-{})", s.value, s.scale_min, s.scale_max)),
                    company_status: f.report.company_status.clone(),
                })
                .collect(),
            behaviour,
            reasons,
            limit_basis,
            alerts,
            insurance,
            review: Review {
                last,
                next,
                overdue: next < as_of,
            },
            open_invoices: t.open,
            overdue_invoices: t.overdue_count,
            max_days_overdue,
        });
    }
    customers.sort_by(|a, b| a.account.cmp(&b.account));
    Evaluation {
        as_of,
        policy_version: policy.version(),
        currency,
        overdue_reviews: customers
            .iter()
            .filter(|d| d.review.overdue)
            .map(|d| d.account.clone())
            .collect(),
        customers,
        unmatched_promises: book.unmatched_promises.clone(),
    }
}
