//! The pure step of dunning: from the book (as of a date), the credit states, what earlier runs
//! delivered, disputes and plans, to the actions due today. No clock, no I/O: the same inputs
//! give the same actions with the same keys, so a run can be replayed or repeated safely.

use super::render::language_for;
use crate::credit::decision::InsuranceTask;
use crate::credit::facts::{AccountFacts, Book};
use crate::credit::rules::{Insolvency, insolvencies};
use crate::credit::{CreditState, Policy};
use crate::law::{self, RateSource};
use crate::policy::dunning::{ActionKind, Anchor, Charge, Contract, Step};
use chrono::{Datelike, NaiveDate};
use credence_model::dunning::{
    self as action, Action, ActionInvoice, Channel, ChargeKind, ChargeLine, InstalmentOf,
};
use credence_model::history::{Charged, History, Level};
use credence_model::{Currency, Dispute, PaymentPlan};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What else the planner reads besides the book.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub book: &'a Book,
    /// Credit state per account (same order as `book.accounts`).
    pub states: &'a [CreditState],
    /// Insurer notifications each account needs (same order; may be empty).
    pub insurance: &'a [Vec<InsuranceTask>],
    pub history: &'a History,
    pub disputes: &'a [Dispute],
    pub plans: &'a [PaymentPlan],
    /// A webhook is configured (holds and hand-offs go there rather than to the task list).
    pub webhook: bool,
}

/// An invoice left alone today, and why (shown by `--dry-run`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Waiting {
    pub account: String,
    pub customer_name: String,
    pub invoice: String,
    pub reason: String,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Plan {
    pub as_of: NaiveDate,
    pub policy_version: String,
    pub actions: Vec<Action>,
    pub waiting: Vec<Waiting>,
}

/// An invoice or an instalment, as the ladder sees it.
#[derive(Debug, Clone, Copy)]
struct Item<'a> {
    key: &'a str,
    number: &'a str,
    account: u32,
    currency: Currency,
    issue: NaiveDate,
    due: NaiveDate,
    payable: Decimal,
    outstanding: Decimal,
    allocations: &'a [(NaiveDate, Decimal)],
    /// For an instalment: its plan.
    instalment: Option<&'a InstalmentOf>,
}

impl<'a> Item<'a> {
    /// An invoice of the book as the ladder sees it.
    fn of(book: &'a Book, i: &crate::credit::facts::InvoiceFact) -> Item<'a> {
        Item {
            key: book.key(i),
            number: book.number(i),
            account: i.account,
            currency: i.currency,
            issue: i.issue,
            due: i.due,
            payable: i.payable,
            outstanding: i.outstanding,
            allocations: book.allocations(i),
            instalment: None,
        }
    }
}

/// An item due for a step today.
struct Candidate<'a> {
    item: Item<'a>,
    step: usize,
    why: Why<'a>,
    /// What its step charges, and why a charge could not be made (filled once, before the
    /// group is built).
    charges: Vec<ChargeLine>,
    notes: Vec<String>,
}

/// Why an item is due for its step; written out only for the actions that go out.
enum Why<'a> {
    Due,
    AfterLast(&'a Level),
    Escalated(String),
}

impl Why<'_> {
    fn sentence(&self, item: &Item<'_>, as_of: NaiveDate) -> String {
        match self {
            Why::Escalated(s) => format!("{}: {s}", item.number),
            Why::AfterLast(l) => format!(
                "{}: {} days after its last step ({} on {})",
                item.number,
                days(l.on, as_of),
                l.step,
                l.on
            ),
            Why::Due => match days(item.due, as_of) {
                late if late > 0 => format!("{}: {late} days overdue", item.number),
                0 => format!("{}: due today", item.number),
                late => format!("{}: due in {} days", item.number, -late),
            },
        }
    }
}

fn days(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

fn add_days(d: NaiveDate, n: i32) -> NaiveDate {
    d.checked_add_signed(chrono::Duration::days(i64::from(n)))
        .unwrap_or(d)
}

fn end_of_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|first| first.pred_opt())
        .unwrap_or(d)
}

fn money(amount: Decimal, currency: Currency) -> String {
    format!("{currency} {}", currency.fixed(amount))
}

/// A promise's standing on the day, for the invoices it covers.
enum PromiseStanding {
    /// Waiting for the promised date.
    Pending(String),
    /// The date passed without the money: the next step comes forward, once.
    Broken {
        promised_for: NaiveDate,
        sentence: String,
    },
}

/// Which invoices a promise covers: those it names, else every one in its currency issued by
/// the day it was made.
struct Covers<'a> {
    currency: Currency,
    recorded_on: NaiveDate,
    keys: &'a [String],
}

impl Covers<'_> {
    fn covers(&self, item: &Item<'_>) -> bool {
        if self.keys.is_empty() {
            item.currency == self.currency && item.issue <= self.recorded_on
        } else {
            self.keys.iter().any(|k| k == item.key)
        }
    }
}

/// Promises per account: which invoices they cover and where they stand.
fn promises(book: &Book, as_of: NaiveDate) -> HashMap<u32, Vec<(Covers<'_>, PromiseStanding)>> {
    let mut out: HashMap<u32, Vec<_>> = HashMap::new();
    for p in &book.promises {
        let promise = &p.promise;
        let paid = book.paid_towards(p, promise.promised_for.min(as_of));
        if paid >= promise.amount.amount {
            continue;
        }
        let amount = money(promise.amount.amount, promise.amount.currency);
        let standing = if promise.promised_for >= as_of {
            PromiseStanding::Pending(format!(
                "promised {amount} by {} (taken by {} on {})",
                promise.promised_for, promise.by, promise.recorded_on
            ))
        } else {
            PromiseStanding::Broken {
                promised_for: promise.promised_for,
                sentence: format!(
                    "the promise of {amount} by {} was broken ({} paid): the next step comes forward",
                    promise.promised_for,
                    money(paid, promise.amount.currency)
                ),
            }
        };
        out.entry(p.account).or_default().push((
            Covers {
                currency: promise.amount.currency,
                recorded_on: promise.recorded_on,
                keys: &promise.invoices,
            },
            standing,
        ));
    }
    out
}

/// One instalment of a plan, owned here (the ladder's items borrow it).
struct PlanInstalment {
    /// `plan:ID/N`.
    key: String,
    /// `PID-N/COUNT`.
    number: String,
    account: u32,
    currency: Currency,
    agreed_on: NaiveDate,
    due: NaiveDate,
    amount: Decimal,
    open: Decimal,
    of: InstalmentOf,
}

/// Instalments of the plans, with the invoices each plan takes off the ladder.
struct Plans {
    instalments: Vec<PlanInstalment>,
    covered_keys: HashSet<String>,
    /// (account, currency, agreed on) of plans that cover every invoice issued by then.
    covered_all: Vec<(u32, Currency, NaiveDate)>,
}

fn plans(book: &Book, plans: &[PaymentPlan], as_of: NaiveDate) -> Plans {
    let members = book.members();
    // Invoice numbers of the keys plans name.
    let named: HashSet<&str> = plans
        .iter()
        .flat_map(|p| p.invoices.iter().map(String::as_str))
        .collect();
    let numbers: HashMap<&str, &str> = if named.is_empty() {
        HashMap::new()
    } else {
        book.invoices
            .iter()
            .map(|i| (book.key(i), book.number(i)))
            .filter(|(k, _)| named.contains(k))
            .collect()
    };
    let mut out = Plans {
        instalments: Vec::new(),
        covered_keys: HashSet::new(),
        covered_all: Vec::new(),
    };
    for plan in plans.iter().filter(|p| p.agreed_on <= as_of) {
        let Some(&account) = members.get(plan.customer.as_str()) else {
            continue;
        };
        let mut paid: Decimal = book
            .payments
            .iter()
            .filter(|p| {
                p.account == account && p.currency == plan.currency && p.date >= plan.agreed_on
            })
            .map(|p| p.amount)
            .sum();
        let total: Decimal = plan.instalments.iter().map(|i| i.amount.amount).sum();
        if paid >= total {
            continue; // Kept in full: the ladder has nothing to chase.
        }
        if plan.invoices.is_empty() {
            out.covered_all
                .push((account, plan.currency, plan.agreed_on));
        } else {
            out.covered_keys.extend(plan.invoices.iter().cloned());
        }
        let mut instalments = plan.instalments.clone();
        instalments.sort_by_key(|i| i.due);
        let count = instalments.len();
        for (n, i) in instalments.iter().enumerate() {
            let settled = paid.min(i.amount.amount);
            paid -= settled;
            out.instalments.push(PlanInstalment {
                key: format!("plan:{}/{}", plan.id, n + 1),
                number: format!("P{}-{}/{count}", plan.id, n + 1),
                account,
                currency: plan.currency,
                agreed_on: plan.agreed_on,
                due: i.due,
                amount: i.amount.amount,
                open: i.amount.amount - settled,
                of: InstalmentOf {
                    plan: plan.id,
                    n: n as u32 + 1,
                    count: count as u32,
                    agreed_on: plan.agreed_on,
                    invoices: plan
                        .invoices
                        .iter()
                        .map(|k| {
                            numbers
                                .get(k.as_str())
                                .map_or_else(|| k.clone(), |n| (*n).to_string())
                        })
                        .collect(),
                },
            });
        }
    }
    out
}

fn applies(step: &Step, item: &Item<'_>, account: &AccountFacts, state: CreditState) -> bool {
    let w = &step.when;
    if !w.invoice_at_least.is_empty()
        && w.invoice_at_least
            .get(&item.currency)
            .is_none_or(|min| item.outstanding < *min)
    {
        return false;
    }
    if !w.segments.is_empty()
        && !account
            .segment
            .as_ref()
            .is_some_and(|s| w.segments.contains(s))
    {
        return false;
    }
    if !w.states.is_empty() && !w.states.contains(&state) {
        return false;
    }
    true
}

/// The contract agreed with an account, if any.
fn contract<'p>(contracts: &'p [Contract], account: &AccountFacts) -> Option<&'p Contract> {
    contracts
        .iter()
        .find(|c| c.customer == account.id || account.members.contains(&c.customer))
}

/// The level an invoice reaches when the claim that includes it was lodged (its task delivered):
/// it is not claimed twice.
pub const CLAIM_STEP: &str = "insolvency-claim";

/// Plan the dunning run for `as_of`.
pub fn plan(inputs: &Inputs<'_>, policy: &Policy, as_of: NaiveDate) -> Plan {
    let dunning = &policy.dunning;
    let book = inputs.book;
    let history = inputs.history;
    let disputed: HashMap<&str, &Dispute> = inputs
        .disputes
        .iter()
        .filter(|d| d.pauses(as_of))
        .map(|d| (d.invoice.as_str(), d))
        .collect();
    let promised = promises(book, as_of);
    let plans = plans(book, inputs.plans, as_of);
    // Customers in insolvency proceedings leave the ordinary ladder: their open invoices are
    // claimed from the office-holder instead (plans and promises no longer count).
    let insolvent = insolvencies(book);
    let insolvency = |account: u32| insolvent.get(account as usize).and_then(Option::as_ref);
    let mut claims: BTreeMap<(u32, Currency), Vec<Item<'_>>> = BTreeMap::new();
    let mut waiting = Vec::new();
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    let wait = |waiting: &mut Vec<Waiting>, item: &Item<'_>, reason: String| {
        let a = &book.accounts[item.account as usize];
        waiting.push(Waiting {
            account: a.id.clone(),
            customer_name: a.name.clone(),
            invoice: item.number.to_string(),
            reason,
        });
    };

    let items = book
        .invoices
        .iter()
        .filter(|i| i.is_open())
        .filter(|i| {
            insolvency(i.account).is_some()
                || !plans.covered_keys.contains(book.key(i))
                    && !plans
                        .covered_all
                        .iter()
                        .any(|(a, c, on)| *a == i.account && *c == i.currency && i.issue <= *on)
        })
        .map(|i| Item::of(book, i))
        .chain(plans.instalments.iter().map(|i| Item {
            key: &i.key,
            number: &i.number,
            account: i.account,
            currency: i.currency,
            issue: i.agreed_on,
            due: i.due,
            payable: i.amount,
            outstanding: i.open,
            allocations: &[],
            instalment: Some(&i.of),
        }));

    for item in items {
        if item.outstanding <= Decimal::ZERO || item.outstanding < dunning.tolerance(item.currency)
        {
            continue;
        }
        if let Some(ins) = insolvency(item.account) {
            let reason = if item.key.starts_with("plan:") {
                Some(format!(
                    "{}: the plan's invoices are claimed instead",
                    ins.sentence()
                ))
            } else if history.in_flight.contains(item.key) {
                Some("an earlier action for it is waiting for delivery".into())
            } else {
                history
                    .levels
                    .get(item.key)
                    .filter(|l| l.step == CLAIM_STEP)
                    .map(|l| {
                        format!(
                            "off the ladder: {}; its claim was opened on {}",
                            ins.sentence(),
                            l.on
                        )
                    })
            };
            match reason {
                Some(reason) => wait(&mut waiting, &item, reason),
                None => claims
                    .entry((item.account, item.currency))
                    .or_default()
                    .push(item),
            }
            continue;
        }
        if let Some(d) = disputed.get(item.key) {
            let until = d.until.map(|u| format!(" until {u}")).unwrap_or_default();
            wait(
                &mut waiting,
                &item,
                format!(
                    "disputed since {} by {}: {}{until}",
                    d.opened_on, d.by, d.reason
                ),
            );
            continue;
        }
        if history.in_flight.contains(item.key) {
            wait(
                &mut waiting,
                &item,
                "an earlier action for it is waiting for delivery".into(),
            );
            continue;
        }
        let level = history.levels.get(item.key);
        let mut escalate = None;
        if let Some(list) = promised.get(&item.account) {
            let mut paused = None;
            for (covers, standing) in list {
                if !covers.covers(&item) {
                    continue;
                }
                match standing {
                    PromiseStanding::Pending(s) => paused = Some(s.clone()),
                    PromiseStanding::Broken {
                        promised_for,
                        sentence,
                    } => {
                        if level.is_none_or(|l| l.on <= *promised_for) {
                            escalate = Some(sentence.clone());
                        }
                    }
                }
            }
            if let Some(reason) = paused {
                wait(&mut waiting, &item, reason);
                continue;
            }
        }
        let account = &book.accounts[item.account as usize];
        let state = inputs
            .states
            .get(item.account as usize)
            .copied()
            .unwrap_or(CreditState::Ok);
        let start = level
            .and_then(|l| dunning.index(&l.step))
            .map_or(0, |i| i + 1);
        for (s, step) in dunning.steps.iter().enumerate().skip(start) {
            if !applies(step, &item, account, state) {
                continue;
            }
            let anchor = match step.after {
                Anchor::Issue => item.issue,
                Anchor::Due => item.due,
                Anchor::DueEndOfMonth => end_of_month(item.due),
                Anchor::LastReminder => level.map_or(item.due, |l: &Level| l.on),
            };
            if step.until_days.is_some_and(|u| as_of > add_days(anchor, u)) {
                continue; // Its moment has passed.
            }
            let trigger = add_days(anchor, step.days);
            if let Some(why) = escalate.take() {
                candidates.push(Candidate {
                    item,
                    step: s,
                    why: Why::Escalated(why),
                    charges: Vec::new(),
                    notes: Vec::new(),
                });
            } else if trigger <= as_of {
                let why = match (step.after, level) {
                    (Anchor::LastReminder, Some(l)) => Why::AfterLast(l),
                    _ => Why::Due,
                };
                candidates.push(Candidate {
                    item,
                    step: s,
                    why,
                    charges: Vec::new(),
                    notes: Vec::new(),
                });
            }
            break;
        }
    }

    // One action per customer, action kind and currency, at its most advanced invoice's step.
    let mut groups: BTreeMap<(u32, ActionKind, Currency), Vec<Candidate<'_>>> = BTreeMap::new();
    for c in candidates {
        let kind = dunning.steps[c.step].action;
        groups
            .entry((c.item.account, kind, c.item.currency))
            .or_default()
            .push(c);
    }
    // One kind of customer contact per account and run: the most advanced.
    let mut contact_kind: HashMap<u32, (usize, ActionKind)> = HashMap::new();
    for ((account, kind, _), list) in &groups {
        if kind.contacts_customer() {
            let top = list.iter().map(|c| c.step).max().unwrap_or(0);
            let slot = contact_kind.entry(*account).or_insert((top, *kind));
            if top > slot.0 {
                *slot = (top, *kind);
            }
        }
    }

    let version = policy.version();
    let mut credits: HashMap<(u32, Currency), Decimal> = HashMap::new();
    for c in &book.credits {
        *credits.entry((c.account, c.currency)).or_default() += c.amount;
    }
    let context = Context {
        inputs,
        policy,
        as_of,
        version: &version,
        credits: &credits,
    };
    let mut actions = Vec::new();
    for ((account_index, currency), items) in claims {
        let account = &book.accounts[account_index as usize];
        let Some(ins) = insolvency(account_index) else {
            continue;
        };
        if history
            .open_actions
            .contains(&(account.id.clone(), ActionKind::Claim, currency))
        {
            for item in &items {
                wait(
                    &mut waiting,
                    item,
                    "an earlier claim task is waiting for delivery".into(),
                );
            }
            continue;
        }
        actions.push(claim(&context, account, ins, currency, &items));
    }
    for (index, tasks) in inputs.insurance.iter().enumerate() {
        let Some(account) = book.accounts.get(index) else {
            continue;
        };
        for task in tasks {
            let action = insurer(&context, account, task);
            if !history.one_off.contains(&action.key) {
                actions.push(action);
            }
        }
    }
    for ((account_index, kind, currency), list) in groups {
        let account = &book.accounts[account_index as usize];
        // An invoice whose step charges interest for days the rate table does not cover waits
        // (nothing is charged on a guessed rate).
        let terms = (
            contract(&dunning.contracts, account),
            pack_of(account, dunning),
        );
        let mut ready = Vec::with_capacity(list.len());
        for mut c in list {
            let step = &dunning.steps[c.step];
            let (charges, missing) =
                charge_lines(&context, &c.item, &step.charge, terms, as_of, &mut c.notes);
            match missing {
                Some(missing) => wait(
                    &mut waiting,
                    &c.item,
                    format!("the {} step waits: {missing}", step.code),
                ),
                None => {
                    c.charges = charges;
                    ready.push(c);
                }
            }
        }
        let list = ready;
        if list.is_empty() {
            continue;
        }
        let hold_all = |waiting: &mut Vec<Waiting>, reason: &str| {
            for c in &list {
                wait(waiting, &c.item, reason.to_string());
            }
        };
        if history
            .open_actions
            .contains(&(account.id.clone(), kind, currency))
        {
            hold_all(
                &mut waiting,
                "an earlier action of this kind is waiting for delivery",
            );
            continue;
        }
        if kind.contacts_customer() {
            if let Some(last) = history.last_contact.get(&account.id)
                && days(*last, as_of) < i64::from(dunning.min_gap_days)
            {
                hold_all(
                    &mut waiting,
                    &format!(
                        "last contact on {last}; the policy keeps {} days between contacts",
                        dunning.min_gap_days
                    ),
                );
                continue;
            }
            if contact_kind
                .get(&account_index)
                .is_some_and(|(_, k)| *k != kind)
            {
                hold_all(
                    &mut waiting,
                    "another contact with this customer is planned today",
                );
                continue;
            }
        }
        if let Some(action) = build(&context, account, kind, currency, &list) {
            actions.push(action);
        } else {
            hold_all(&mut waiting, "settled by credit on account");
        }
    }
    // After the ladder: a claim for late payment never competes with a reminder.
    if dunning.late_payment.claim {
        late_payments(&context, &mut actions, &mut waiting);
    }
    Plan {
        as_of,
        policy_version: version,
        actions,
        waiting,
    }
}

/// What every action of a run shares.
struct Context<'a> {
    inputs: &'a Inputs<'a>,
    policy: &'a Policy,
    as_of: NaiveDate,
    version: &'a str,
    /// Open credit per account and currency.
    credits: &'a HashMap<(u32, Currency), Decimal>,
}

/// The action for one group, or `None` when credit on account settles it.
fn build(
    context: &Context<'_>,
    account: &AccountFacts,
    kind: ActionKind,
    currency: Currency,
    list: &[Candidate<'_>],
) -> Option<Action> {
    let Context {
        inputs,
        policy,
        as_of,
        ..
    } = *context;
    let dunning = &policy.dunning;
    let top = list.iter().map(|c| c.step).max().unwrap_or(0);
    let step = &dunning.steps[top];
    let contract = contract(&dunning.contracts, account);
    let pack = pack_of(account, dunning);
    let mut invoices = Vec::with_capacity(list.len());
    let mut charges = Vec::new();
    let mut why: Vec<String> = list
        .iter()
        .map(|c| c.why.sentence(&c.item, as_of))
        .collect();
    for c in list {
        let item = &c.item;
        let own = &dunning.steps[c.step];
        invoices.push(ActionInvoice {
            key: item.key.to_string(),
            number: item.number.to_string(),
            issue: item.issue,
            due: item.due,
            days_overdue: days(item.due, as_of).max(0),
            outstanding: item.outstanding,
            step: own.code.clone(),
            discount: None,
            paid_on: None,
            instalment: item.instalment.cloned(),
        });
        charges.extend(c.charges.iter().cloned());
        why.extend(c.notes.iter().cloned());
    }
    let credit: Decimal = if matches!(kind, ActionKind::Email | ActionKind::Letter) {
        list.first()
            .and_then(|c| context.credits.get(&(c.item.account, currency)))
            .copied()
            .unwrap_or_default()
    } else {
        Decimal::ZERO
    };
    let owed: Decimal = invoices.iter().map(|i| i.outstanding).sum::<Decimal>()
        + charges.iter().map(|c| c.amount).sum::<Decimal>();
    let total = owed - credit;
    if matches!(kind, ActionKind::Email | ActionKind::Letter)
        && total < dunning.tolerance(currency).max(currency.minor_unit())
    {
        return None;
    }
    let (channel, recipient) = match kind {
        ActionKind::Email => match &account.contact.email {
            Some(email) => (Channel::Email, Some(email.clone())),
            None => {
                why.push("no e-mail address on the customer record: sent as a letter".into());
                (Channel::Letter, None)
            }
        },
        ActionKind::Letter => (Channel::Letter, None),
        ActionKind::Call => (Channel::Task, account.contact.phone.clone()),
        ActionKind::SalesRep => match &account.contact.sales_rep {
            Some(rep) if rep.contains('@') => (Channel::Email, Some(rep.clone())),
            rep => (Channel::Task, rep.clone()),
        },
        ActionKind::Hold | ActionKind::Collections if inputs.webhook => (Channel::Webhook, None),
        ActionKind::Hold | ActionKind::Collections | ActionKind::Claim | ActionKind::Insurer => {
            (Channel::Task, None)
        }
    };
    let key = action::key(&account.id, &step.code, kind, currency, &invoices);
    let law = (!charges.is_empty())
        .then(|| cited(contract, pack))
        .flatten();
    Some(Action {
        key,
        account: account.id.clone(),
        customer_name: account.name.clone(),
        kind,
        channel,
        step: step.code.clone(),
        currency,
        planned_on: as_of,
        policy_version: context.version.to_string(),
        language: language_for(
            account.contact.language.as_deref(),
            &dunning.fallback_language,
        ),
        recipient,
        invoices,
        charges,
        credit,
        total,
        why,
        // Messages to the customer use the step's template; notes to people, the kind's.
        template: match kind {
            ActionKind::Email | ActionKind::Letter => step.template().to_string(),
            _ => kind.as_str().to_string(),
        },
        law,
        deadline: None,
        subject: String::new(),
        body: String::new(),
    })
}

/// What charges rest on, as messages cite it: the terms agreed with the customer, else the pack.
fn cited(contract: Option<&Contract>, pack: Option<&'static law::Pack>) -> Option<String> {
    match (contract, pack) {
        (Some(_), _) => Some(action::AGREED_TERMS.to_string()),
        (None, Some(p)) => Some(p.cite.clone()),
        (None, None) => None,
    }
}

/// The statutory pack of an account: its country's when the policy says so, else the default.
fn pack_of(
    account: &AccountFacts,
    dunning: &crate::policy::dunning::DunningPolicy,
) -> Option<&'static law::Pack> {
    account
        .contact
        .country
        .as_deref()
        .filter(|_| dunning.law.by_customer_country)
        .and_then(law::pack_for_country)
        .or_else(|| law::pack(&dunning.law.default_pack))
}

/// The charges of `kinds` not made yet on an item, up to `through` (inclusive); a reason it
/// cannot be charged goes to `why`; a reference rate the table lacks comes back beside them
/// (the interest is then left out).
fn charge_lines(
    context: &Context<'_>,
    item: &Item<'_>,
    kinds: &[Charge],
    (contract, pack): (Option<&Contract>, Option<&'static law::Pack>),
    through: NaiveDate,
    why: &mut Vec<String>,
) -> (Vec<ChargeLine>, Option<law::MissingRate>) {
    let mut missing = None;
    let policy = context.policy;
    let currency = item.currency;
    let charged = context
        .inputs
        .history
        .charged
        .get(item.key)
        .cloned()
        .unwrap_or_default();
    let mut charges = Vec::new();
    for charge in kinds {
        match charge {
            Charge::Interest => match interest(item, &charged, contract, pack, policy, through) {
                Ok(Some(line)) => charges.push(line),
                Ok(None) => {}
                Err(m) => missing = Some(m),
            },
            Charge::Compensation => match (contract, pack) {
                (Some(k), _) => {
                    if let Some(fee) = k.fee.filter(|f| !f.is_zero() && !charged.fee) {
                        charges.push(ChargeLine {
                            invoice: item.key.to_string(),
                            number: item.number.to_string(),
                            kind: ChargeKind::Fee,
                            from: None,
                            to: None,
                            amount: currency.fixed(fee),
                            explanation: vec![format!(
                                "fee agreed with the customer: {}",
                                money(fee, currency)
                            )],
                            fixed: None,
                            lines: Vec::new(),
                        });
                    }
                }
                (None, Some(pack)) if !charged.compensation && days(item.due, through) > 0 => {
                    match compensation(pack, item, policy) {
                        Ok(line) => charges.push(line),
                        Err(reason) => why.push(reason),
                    }
                }
                _ => {}
            },
        }
    }
    (charges, missing)
}

/// The task of lodging a claim with the office-holder for a customer's open invoices in one
/// currency: what was owed when the proceedings opened (interest and compensation accrued up to
/// then, as the law allows), with the deadline where the law gives one. A dissolved company has
/// no office-holder: the task says so.
fn claim(
    context: &Context<'_>,
    account: &AccountFacts,
    insolvency: &Insolvency,
    currency: Currency,
    items: &[Item<'_>],
) -> Action {
    let dunning = &context.policy.dunning;
    let as_of = context.as_of;
    let pack = pack_of(account, dunning);
    let contract = contract(&dunning.contracts, account);
    let mut why = vec![format!(
        "{}: the invoices leave the ordinary ladder (no more reminders, calls or holds)",
        insolvency.sentence()
    )];
    let mut deadline = None;
    let mut invoices = Vec::with_capacity(items.len());
    let mut charges = Vec::new();
    let opened = insolvency.opened.min(as_of);
    let through = opened.pred_opt().unwrap_or(opened);
    for item in items {
        invoices.push(ActionInvoice {
            key: item.key.to_string(),
            number: item.number.to_string(),
            issue: item.issue,
            due: item.due,
            days_overdue: days(item.due, as_of).max(0),
            outstanding: item.outstanding,
            step: CLAIM_STEP.to_string(),
            discount: None,
            paid_on: None,
            instalment: None,
        });
        if !insolvency.dissolved() {
            let (lines, missing) = charge_lines(
                context,
                item,
                &[Charge::Interest, Charge::Compensation],
                (contract, pack),
                through,
                &mut why,
            );
            charges.extend(lines);
            if let Some(m) = missing {
                why.push(format!(
                    "{}: interest up to the opening is not included: {m}",
                    item.number
                ));
            }
        }
    }
    if insolvency.dissolved() {
        why.push(
            "the company is dissolved: there is no office-holder to lodge a claim with; write the debt off, or apply to have the company restored to the register if the amount justifies it"
                .into(),
        );
    } else if let Some(pack) = pack {
        deadline = pack.claims.deadline(insolvency.opened);
        match deadline {
            Some(d) => {
                why.push(format!(
                    "lodge the claim by {d}: {} ({})",
                    pack.claims.rule, pack.claims.cite
                ));
                if d < as_of {
                    why.push(
                        "that date has passed: check the published notice of the opening for the real deadline today"
                            .into(),
                    );
                }
            }
            None => why.push(format!("{} ({})", pack.claims.rule, pack.claims.cite)),
        }
    }
    let total = invoices.iter().map(|i| i.outstanding).sum::<Decimal>()
        + charges.iter().map(|c| c.amount).sum::<Decimal>();
    let law = (!charges.is_empty())
        .then(|| cited(contract, pack))
        .flatten();
    Action {
        key: action::key(
            &account.id,
            CLAIM_STEP,
            ActionKind::Claim,
            currency,
            &invoices,
        ),
        account: account.id.clone(),
        customer_name: account.name.clone(),
        kind: ActionKind::Claim,
        channel: Channel::Task,
        step: CLAIM_STEP.to_string(),
        currency,
        planned_on: as_of,
        policy_version: context.version.to_string(),
        language: "en".into(),
        recipient: None,
        invoices,
        charges,
        credit: Decimal::ZERO,
        total,
        why,
        template: if insolvency.dissolved() {
            "dissolved".into()
        } else {
            ActionKind::Claim.as_str().into()
        },
        law,
        deadline,
        subject: String::new(),
        body: String::new(),
    }
}

/// The step (and template) of a message claiming interest and compensation on invoices paid late.
pub const LATE_PAYMENT_STEP: &str = "late-payment";

/// One message per customer and currency claiming what invoices paid late (within the policy's
/// window) still owe: interest up to the day of payment and the compensation, each charged once.
/// Planned only when no other message reaches the customer today and the contact gap allows.
fn late_payments(context: &Context<'_>, actions: &mut Vec<Action>, waiting: &mut Vec<Waiting>) {
    let Context {
        inputs,
        policy,
        as_of,
        ..
    } = *context;
    let (book, history, dunning) = (inputs.book, inputs.history, &policy.dunning);
    let window = i64::from(dunning.late_payment.within_days);
    let mut groups: BTreeMap<(u32, Currency), Vec<(Item<'_>, NaiveDate)>> = BTreeMap::new();
    for inv in &book.invoices {
        let Some(paid) = inv.paid_on else { continue };
        if paid <= inv.due || days(paid, as_of) > window || paid > as_of {
            continue;
        }
        // Paid: nothing is outstanding (`paid_on` is set only then).
        let item = Item::of(book, inv);
        if history.in_flight.contains(item.key) {
            continue;
        }
        groups
            .entry((inv.account, inv.currency))
            .or_default()
            .push((item, paid));
    }
    let contacted: HashSet<&str> = actions
        .iter()
        .filter(|a| a.kind.contacts_customer())
        .map(|a| a.account.as_str())
        .collect();
    let mut planned = Vec::new();
    for ((account_index, currency), items) in groups {
        let account = &book.accounts[account_index as usize];
        let contract = contract(&dunning.contracts, account);
        let pack = pack_of(account, dunning);
        let mut why = Vec::new();
        let mut invoices = Vec::new();
        let mut charges = Vec::new();
        for (item, paid) in &items {
            let (lines, missing) = charge_lines(
                context,
                item,
                &[Charge::Interest, Charge::Compensation],
                (contract, pack),
                *paid,
                &mut why,
            );
            if let Some(m) = missing {
                waiting.push(Waiting {
                    account: account.id.clone(),
                    customer_name: account.name.clone(),
                    invoice: item.number.to_string(),
                    reason: format!("the late-payment claim waits: {m}"),
                });
                continue;
            }
            if lines.is_empty() {
                continue; // Charged in full already.
            }
            why.push(format!(
                "{}: paid on {paid}, {} days after its due date {}",
                item.number,
                days(item.due, *paid),
                item.due
            ));
            invoices.push(ActionInvoice {
                key: item.key.to_string(),
                number: item.number.to_string(),
                issue: item.issue,
                due: item.due,
                days_overdue: days(item.due, *paid),
                outstanding: Decimal::ZERO,
                step: LATE_PAYMENT_STEP.to_string(),
                discount: None,
                paid_on: Some(*paid),
                instalment: None,
            });
            charges.extend(lines);
        }
        let total: Decimal = charges.iter().map(|c| c.amount).sum();
        if invoices.is_empty() || total < dunning.tolerance(currency).max(currency.minor_unit()) {
            continue;
        }
        let reason = if contacted.contains(account.id.as_str()) {
            Some("another message reaches the customer today".to_string())
        } else {
            history
                .last_contact
                .get(&account.id)
                .filter(|last| days(**last, as_of) < i64::from(dunning.min_gap_days))
                .map(|last| {
                    format!(
                        "last contact on {last}; the policy keeps {} days between contacts",
                        dunning.min_gap_days
                    )
                })
        };
        if let Some(reason) = reason {
            for i in &invoices {
                waiting.push(Waiting {
                    account: account.id.clone(),
                    customer_name: account.name.clone(),
                    invoice: i.number.clone(),
                    reason: format!("the late-payment claim waits: {reason}"),
                });
            }
            continue;
        }
        let (channel, recipient) = match &account.contact.email {
            Some(email) => (Channel::Email, Some(email.clone())),
            None => {
                why.push("no e-mail address on the customer record: sent as a letter".into());
                (Channel::Letter, None)
            }
        };
        planned.push(Action {
            key: action::key(
                &account.id,
                LATE_PAYMENT_STEP,
                ActionKind::Email,
                currency,
                &invoices,
            ),
            account: account.id.clone(),
            customer_name: account.name.clone(),
            kind: ActionKind::Email,
            channel,
            step: LATE_PAYMENT_STEP.to_string(),
            currency,
            planned_on: as_of,
            policy_version: context.version.to_string(),
            language: language_for(
                account.contact.language.as_deref(),
                &dunning.fallback_language,
            ),
            recipient,
            invoices,
            charges,
            credit: Decimal::ZERO,
            total,
            why,
            template: LATE_PAYMENT_STEP.to_string(),
            law: cited(contract, pack),
            deadline: None,
            subject: String::new(),
            body: String::new(),
        });
    }
    actions.extend(planned);
}

/// The task of notifying the credit insurer, with its deadline. Its key names the account, the
/// kind of cover, what it is for and the deadline, so each notification is planned once.
fn insurer(context: &Context<'_>, account: &AccountFacts, task: &InsuranceTask) -> Action {
    let currency = context.policy.currency;
    let mut why = vec![
        task.sentence.clone(),
        format!("notify the credit insurer by {}", task.deadline),
    ];
    if task.overdue {
        why.push("that date has passed: notify the insurer today and say why it is late".into());
    }
    let identity = format!("{}:{}:{}", task.code, task.subject, task.deadline);
    Action {
        key: action::key(&account.id, &identity, ActionKind::Insurer, currency, &[]),
        account: account.id.clone(),
        customer_name: account.name.clone(),
        kind: ActionKind::Insurer,
        channel: Channel::Task,
        step: task.code.to_string(),
        currency,
        planned_on: context.as_of,
        policy_version: context.version.to_string(),
        language: "en".into(),
        recipient: None,
        invoices: Vec::new(),
        charges: Vec::new(),
        credit: Decimal::ZERO,
        total: task.amount,
        why,
        template: ActionKind::Insurer.as_str().into(),
        law: None,
        deadline: Some(task.deadline),
        subject: String::new(),
        body: String::new(),
    }
}

/// Interest not charged yet on an item, up to `as_of`.
fn interest(
    item: &Item<'_>,
    charged: &Charged,
    contract: Option<&Contract>,
    pack: Option<&'static law::Pack>,
    policy: &Policy,
    as_of: NaiveDate,
) -> Result<Option<ChargeLine>, law::MissingRate> {
    let source = match (contract, pack) {
        (Some(k), _) => RateSource::Contract {
            annual_rate: k.annual_rate,
        },
        (None, Some(p)) => RateSource::Statutory {
            pack: p,
            series: law::series(&p.reference, &policy.dunning.reference_rates),
        },
        (None, None) => return Ok(None),
    };
    let first = charged
        .interest_through
        .unwrap_or(item.due)
        .max(item.due)
        .succ_opt();
    let Some(first) = first.filter(|f| *f <= as_of) else {
        return Ok(None);
    };
    let allocations = item.allocations;
    let open = item.outstanding;
    let principal = |day: NaiveDate| -> Decimal {
        open + allocations
            .iter()
            .filter(|(d, _)| *d >= day)
            .map(|(_, a)| *a)
            .sum::<Decimal>()
    };
    let lines = law::interest(&source, item.currency, first, as_of, &principal)?;
    let amount: Decimal = lines.iter().map(|l| l.amount).sum();
    if amount.is_zero() {
        return Ok(None);
    }
    Ok(Some(ChargeLine {
        invoice: item.key.to_string(),
        number: item.number.to_string(),
        kind: ChargeKind::Interest,
        from: Some(first),
        to: Some(as_of),
        amount,
        explanation: lines
            .iter()
            .map(|l| {
                format!(
                    "{} × {} % × {} days / 365 ({} to {}) = {}; {}",
                    money(l.principal, item.currency),
                    l.rate.normalize(),
                    l.days,
                    l.from,
                    l.to,
                    money(l.amount, item.currency),
                    l.basis
                )
            })
            .collect(),
        fixed: None,
        lines,
    }))
}

/// The statutory compensation for an item, converted into its currency when the pack fixes it
/// in another (through the policy's rates).
fn compensation(pack: &law::Pack, item: &Item<'_>, policy: &Policy) -> Result<ChargeLine, String> {
    let tier_currency = pack
        .compensation
        .first()
        .map(|t| t.currency)
        .ok_or_else(|| format!("{}: pack {} has no compensation", item.number, pack.code))?;
    let to_policy = |amount: Decimal, c: Currency| policy.convert(amount, c);
    let debt = if item.currency == tier_currency {
        Some(item.payable)
    } else {
        to_policy(item.payable, item.currency).and_then(|p| {
            let per_unit = to_policy(Decimal::ONE, tier_currency)?;
            (!per_unit.is_zero()).then(|| p / per_unit)
        })
    };
    let no_rate = || {
        format!(
            "{}: no compensation: the policy has no rate between {} and {}",
            item.number, item.currency, tier_currency
        )
    };
    let debt = debt.ok_or_else(no_rate)?;
    let tier = law::compensation(pack, debt).ok_or_else(no_rate)?;
    let (amount, how) = if item.currency == tier.currency {
        (
            tier.amount,
            format!("{} ({})", money(tier.amount, tier.currency), pack.cite),
        )
    } else {
        let in_policy = to_policy(tier.amount, tier.currency).ok_or_else(no_rate)?;
        let per_unit = to_policy(Decimal::ONE, item.currency).ok_or_else(no_rate)?;
        if per_unit.is_zero() {
            return Err(no_rate());
        }
        let converted = item.currency.fixed(in_policy / per_unit);
        (
            converted,
            format!(
                "{} ({}) at the policy's rates = {}",
                money(tier.amount, tier.currency),
                pack.cite,
                money(converted, item.currency)
            ),
        )
    };
    Ok(ChargeLine {
        invoice: item.key.to_string(),
        number: item.number.to_string(),
        kind: ChargeKind::Compensation,
        from: None,
        to: None,
        amount: item.currency.fixed(amount),
        explanation: vec![how],
        fixed: Some(credence_model::Money {
            amount: tier.amount,
            currency: tier.currency,
        }),
        lines: Vec::new(),
    })
}
