//! The facts the credit rules need, read from the store (through a [`BookSource`]) as it stood at the end of the as-of
//! day and reduced to compact rows: one per account, one per invoice, one per unallocated
//! credit, the reports and promises that belong to each account. Reading is the only part of
//! an evaluation that touches the store; everything after is a pure function of these facts.

use crate::accounts::{
    Account, ContactConflict, Speaker, contact_conflicts, link, matching_key, speaker,
};
use chrono::{DateTime, NaiveDate, Utc};
use credence_model::dunning::OutboxEntry;
use credence_model::stored::{DocumentRow, Version};
use credence_model::{
    Body, CreditReport, Currency, DocumentKind, DocumentStatus, Promise, Record, RecordKind,
};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// An account, with what the rules need to know about its customer records.
#[derive(Debug, Clone)]
pub struct AccountFacts {
    pub id: String,
    pub name: String,
    /// Every `CONNECTION/REMOTE-ID` of the account.
    pub members: Vec<String>,
    pub segment: Option<String>,
    /// The lowest credit limit the speaker's customer records set (see [`Speaker`]).
    pub ledger_limit: Option<credence_model::Money>,
    /// Who to write to and in which language: the speaker's first customer record that says.
    pub contact: ContactFacts,
    /// The connection whose records give `contact` and `ledger_limit`.
    pub speaker: Option<Speaker>,
    /// Linked records of other connections that say otherwise (shown, never used).
    pub conflicts: Vec<ContactConflict>,
}

/// How to reach an account, from its customer records.
#[derive(Debug, Clone, Default)]
pub struct ContactFacts {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub person: Option<String>,
    /// BCP 47.
    pub language: Option<String>,
    /// ISO 3166-1 alpha-2 of the first address.
    pub country: Option<String>,
    pub sales_rep: Option<String>,
}

/// An invoice as the rules see it (amounts in the invoice currency).
#[derive(Debug, Clone)]
pub struct InvoiceFact {
    pub account: u32,
    /// Where its number is in [`Book::numbers`] (one buffer, not a string per invoice).
    pub number: (u32, u32),
    pub currency: Currency,
    pub issue: NaiveDate,
    /// The due date, or the issue date when the ledger gives none (due on receipt).
    pub due: NaiveDate,
    pub payable: Decimal,
    pub outstanding: Decimal,
    /// The date of the last payment applied to it, when the ledger says which payment paid it.
    pub paid_on: Option<NaiveDate>,
    /// Where its `CONNECTION/REMOTE-ID` is in [`Book::keys`].
    pub key: (u32, u32),
    /// Where the payments allocated to it are in [`Book::allocations`].
    pub allocations: (u32, u32),
}

impl InvoiceFact {
    pub fn is_open(&self) -> bool {
        self.outstanding > Decimal::ZERO
    }
}

/// Credit the customer holds: an open credit note or the unapplied part of a payment.
#[derive(Debug, Clone)]
pub struct CreditFact {
    pub account: u32,
    pub currency: Currency,
    /// Positive.
    pub amount: Decimal,
}

/// A payment's date and amount (for promises).
#[derive(Debug, Clone)]
pub struct PaymentFact {
    pub account: u32,
    pub date: NaiveDate,
    pub currency: Currency,
    pub amount: Decimal,
}

/// A report and the version it replaced, if any, with when each was received.
#[derive(Debug, Clone)]
pub struct ReportFact {
    pub account: u32,
    pub connection: String,
    pub report: CreditReport,
    pub received: DateTime<Utc>,
    pub previous: Option<CreditReport>,
}

/// A credit hold the dunning ladder delivered (its task or webhook went out): the customer's
/// state is `hold` until the invoices it names are paid or a person releases it.
#[derive(Debug, Clone)]
pub struct HoldFact {
    pub account: u32,
    /// The day it was delivered.
    pub placed_on: NaiveDate,
    /// The ladder step that placed it.
    pub step: String,
    /// (key, number) of the invoices it was placed for.
    pub invoices: Vec<(String, String)>,
}

/// A person lifted an account's holds.
#[derive(Debug, Clone)]
pub struct ReleaseFact {
    pub account: u32,
    pub release: credence_model::HoldRelease,
}

/// An open invoice whose ledger states more outstanding than its payable amount less the
/// payments allocated to it: money received that the ledger does not show as applied. Shown,
/// never resolved silently (the ledger's figure is used).
#[derive(Debug, Clone, PartialEq)]
pub struct Discrepancy {
    pub account: u32,
    pub number: String,
    pub currency: Currency,
    pub stated: Decimal,
    pub payable: Decimal,
    pub allocated: Decimal,
}

#[derive(Debug, Clone)]
pub struct PromiseFact {
    pub account: u32,
    pub promise: Promise,
    /// The invoices it names, as indexes into `Book::invoices` (resolved once when the book
    /// is read; a key the book does not hold is left out).
    pub invoices: Vec<u32>,
}

/// Everything an evaluation reads, grouped per account by index.
#[derive(Debug, Default, Clone)]
pub struct Book {
    pub accounts: Vec<AccountFacts>,
    pub invoices: Vec<InvoiceFact>,
    /// Every invoice number, back to back.
    pub numbers: String,
    /// Every invoice's `CONNECTION/REMOTE-ID`, back to back.
    pub keys: String,
    /// Payments allocated to invoices (date, amount), grouped per invoice.
    pub allocations: Vec<(NaiveDate, Decimal)>,
    pub credits: Vec<CreditFact>,
    pub payments: Vec<PaymentFact>,
    pub reports: Vec<ReportFact>,
    pub promises: Vec<PromiseFact>,
    /// Promises naming a customer the store does not know (shown, never silently dropped).
    pub unmatched_promises: Vec<Promise>,
    /// Credit holds delivered by the ladder by the end of the day, oldest first.
    pub holds: Vec<HoldFact>,
    /// Hold releases recorded by the end of the day, oldest first.
    pub releases: Vec<ReleaseFact>,
    pub discrepancies: Vec<Discrepancy>,
}

/// The end of the as-of day, UTC: what the store knew by then counts.
pub fn end_of(as_of: NaiveDate) -> DateTime<Utc> {
    let next = as_of.succ_opt().unwrap_or(as_of);
    next.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc() - chrono::Duration::microseconds(1))
        .unwrap_or_else(|| as_of.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// Accounts by member (connection, then remote id: looked up by `&str` without allocating,
/// a million times per evaluation) and by identifier matching key.
#[derive(Default)]
struct Directory {
    /// Connection name -> index in `members`.
    connections: HashMap<String, usize>,
    /// Per connection: remote id -> account.
    members: Vec<HashMap<String, u32>>,
    by_key: HashMap<String, u32>,
    /// The connection asked about last and its index: rows come mostly from one connection,
    /// so its map is found again without hashing the name.
    last: Option<(String, usize)>,
}

impl Directory {
    fn new(accounts: &[Account], customers: &[Record]) -> Directory {
        let mut dir = Directory::default();
        for (i, a) in accounts.iter().enumerate() {
            for m in &a.members {
                dir.insert(&m.connection, &m.remote_id, i as u32);
            }
        }
        for r in customers {
            if let Some(Body::Customer(c)) = &r.body
                && let Some(i) = dir.member(&r.origin.connection, &r.origin.remote_id)
            {
                for key in c.identifiers.iter().filter_map(matching_key) {
                    dir.by_key.entry(key).or_insert(i);
                }
            }
        }
        dir
    }

    fn connection(&mut self, connection: &str) -> Option<usize> {
        if let Some((name, index)) = &self.last
            && name == connection
        {
            return Some(*index);
        }
        let index = *self.connections.get(connection)?;
        self.last = Some((connection.to_string(), index));
        Some(index)
    }

    fn member(&mut self, connection: &str, remote_id: &str) -> Option<u32> {
        let c = self.connection(connection)?;
        self.members[c].get(remote_id).copied()
    }

    /// The same lookup, without the cache, for shared borrows.
    fn find(&self, connection: &str, remote_id: &str) -> Option<u32> {
        let c = *self.connections.get(connection)?;
        self.members[c].get(remote_id).copied()
    }

    fn insert(&mut self, connection: &str, remote_id: &str, account: u32) {
        let c = match self.connection(connection) {
            Some(c) => c,
            None => {
                self.members.push(HashMap::new());
                let c = self.members.len() - 1;
                self.connections.insert(connection.to_string(), c);
                c
            }
        };
        self.members[c].insert(remote_id.to_string(), account);
    }
}

impl Book {
    /// An invoice's number.
    pub fn number(&self, invoice: &InvoiceFact) -> &str {
        let (start, len) = (invoice.number.0 as usize, invoice.number.1 as usize);
        self.numbers.get(start..start + len).unwrap_or_default()
    }

    /// An invoice's `CONNECTION/REMOTE-ID`: stable across runs, so actions keyed on it are
    /// idempotent.
    pub fn key(&self, invoice: &InvoiceFact) -> &str {
        let (start, len) = (invoice.key.0 as usize, invoice.key.1 as usize);
        self.keys.get(start..start + len).unwrap_or_default()
    }
    /// Account index by each `CONNECTION/REMOTE-ID` of its customer records.
    pub fn members(&self) -> HashMap<&str, u32> {
        self.accounts
            .iter()
            .enumerate()
            .flat_map(|(i, a)| a.members.iter().map(move |m| (m.as_str(), i as u32)))
            .collect()
    }

    /// What an account paid towards a promise: payments in the promised currency from the day
    /// it was made up to `until` (inclusive).
    pub fn paid_towards(&self, p: &PromiseFact, until: NaiveDate) -> Decimal {
        let promise = &p.promise;
        if !promise.invoices.is_empty() {
            // What was allocated to the invoices it names, in the window.
            return p
                .invoices
                .iter()
                .filter_map(|i| self.invoices.get(*i as usize))
                .flat_map(|i| self.allocations(i))
                .filter(|(day, _)| *day >= promise.recorded_on && *day <= until)
                .map(|(_, amount)| *amount)
                .sum();
        }
        self.payments
            .iter()
            .filter(|pay| {
                pay.account == p.account
                    && pay.currency == promise.amount.currency
                    && pay.date >= promise.recorded_on
                    && pay.date <= until
            })
            .map(|pay| pay.amount)
            .sum()
    }

    /// The payments allocated to an invoice (date, amount).
    pub fn allocations(&self, invoice: &InvoiceFact) -> &[(NaiveDate, Decimal)] {
        let (start, len) = (
            invoice.allocations.0 as usize,
            invoice.allocations.1 as usize,
        );
        self.allocations.get(start..start + len).unwrap_or_default()
    }
}

/// What the book is read from: the store, seen through the four questions an evaluation asks.
/// (The rules depend on the model only; the service layer answers these from its store.)
pub trait BookSource {
    type Error;
    /// Records of one kind as they stood at `at`.
    fn records_as_of(
        &self,
        kind: RecordKind,
        at: DateTime<Utc>,
    ) -> Result<Vec<Record>, Self::Error>;
    /// Every invoice and credit note as it stood at `at`, visited without decoding.
    fn documents_as_of(
        &self,
        at: DateTime<Utc>,
        each: &mut dyn FnMut(DocumentRow<'_>),
    ) -> Result<(), Self::Error>;
    /// Every version of every record of one kind received up to `at`, grouped by record.
    fn versions(&self, kind: RecordKind, at: DateTime<Utc>) -> Result<Vec<Version>, Self::Error>;
    /// Every promise recorded, oldest first.
    fn promises(&self) -> Result<Vec<Promise>, Self::Error>;
    /// Every delivered credit-hold action, oldest first.
    fn delivered_holds(&self) -> Result<Vec<OutboxEntry>, Self::Error>;
    /// Every hold release, oldest first.
    fn hold_releases(&self) -> Result<Vec<credence_model::HoldRelease>, Self::Error>;
}

/// Read the book as it stood at the end of `as_of`. `primary` is the policy's
/// `[accounts] primary_connections`: which connection speaks for an account (its contact
/// details and ledger limit) when several ledgers share it.
pub fn read<S: BookSource + ?Sized>(
    store: &S,
    as_of: NaiveDate,
    primary: &[String],
) -> Result<Book, S::Error> {
    let at = end_of(as_of);
    let customers = store.records_as_of(RecordKind::Customer, at)?;
    let linked = link(&customers);
    let dir = Directory::new(&linked, &customers);
    let mut segments: HashMap<u32, String> = HashMap::new();
    // Each account's customer records, in member key order.
    let mut records_of: HashMap<u32, Vec<(String, &str, &credence_model::Customer)>> =
        HashMap::new();
    for r in &customers {
        let (Some(Body::Customer(c)), Some(i)) =
            (&r.body, dir.find(&r.origin.connection, &r.origin.remote_id))
        else {
            continue;
        };
        if let Some(segment) = &c.segment {
            segments.entry(i).or_insert_with(|| segment.clone());
        }
        records_of.entry(i).or_default().push((
            format!("{}/{}", r.origin.connection, r.origin.remote_id),
            r.origin.connection.as_str(),
            c,
        ));
    }
    for list in records_of.values_mut() {
        list.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let mut book = Book {
        accounts: linked
            .iter()
            .enumerate()
            .map(|(i, a)| AccountFacts {
                id: a.id.clone(),
                name: a.name.clone(),
                members: a.members.iter().map(|m| m.key()).collect(),
                segment: segments.remove(&(i as u32)),
                ledger_limit: None,
                contact: ContactFacts::default(),
                speaker: None,
                conflicts: Vec::new(),
            })
            .collect(),
        ..Book::default()
    };
    let mut dir = dir;
    // Documents whose customer record is unknown still count: under an account of their own.
    let mut account_of = |book: &mut Book, connection: &str, customer: &str| -> u32 {
        if let Some(i) = dir.member(connection, customer) {
            return i;
        }
        let i = book.accounts.len() as u32;
        let id = format!("{connection}/{customer}");
        book.accounts.push(AccountFacts {
            id: id.clone(),
            name: format!("{id} (no customer record)"),
            members: vec![id],
            segment: None,
            ledger_limit: None,
            contact: ContactFacts::default(),
            speaker: None,
            conflicts: Vec::new(),
        });
        dir.insert(connection, customer, i);
        i
    };

    // Payments first: which invoice was paid when, and what is left unapplied.
    let payments = store.records_as_of(RecordKind::Payment, at)?;
    let mut paid_on: HashMap<String, HashMap<String, Vec<(NaiveDate, Decimal)>>> = HashMap::new();
    for r in &payments {
        let Some(Body::Payment(p)) = &r.body else {
            continue;
        };
        if p.date > as_of {
            continue;
        }
        let mut applied = Decimal::ZERO;
        for a in &p.allocations {
            applied += a.amount;
            paid_on
                .entry(r.origin.connection.clone())
                .or_default()
                .entry(a.target_remote_id.clone())
                .or_default()
                .push((p.date, a.amount));
        }
        if let Some(customer) = &p.customer_remote_id {
            let account = account_of(&mut book, &r.origin.connection, customer);
            book.payments.push(PaymentFact {
                account,
                date: p.date,
                currency: p.amount.currency,
                amount: p.amount.amount,
            });
            let unapplied = p.amount.amount - applied;
            if unapplied > Decimal::ZERO {
                book.credits.push(CreditFact {
                    account,
                    currency: p.amount.currency,
                    amount: unapplied,
                });
            }
        }
    }

    let mut invoices = Vec::new();
    let mut numbers = String::new();
    let mut keys = String::new();
    let mut allocations = Vec::new();
    let mut credits = Vec::new();
    // Invoices whose source does not state what is open (index, connection, number), and the
    // credit applied to invoices by credit notes that name them ((connection, customer, number)).
    let mut derived: Vec<(usize, String, String, String)> = Vec::new();
    let mut credit_applied: HashMap<(String, String, String), Decimal> = HashMap::new();
    let mut discrepancies = Vec::new();
    store.documents_as_of(at, &mut |d: DocumentRow<'_>| {
        if matches!(d.status, DocumentStatus::Draft | DocumentStatus::Voided) || d.issue > as_of {
            return;
        }
        let account = account_of(&mut book, d.connection, d.customer);
        match d.kind {
            DocumentKind::Invoice => {
                let applied = paid_on
                    .get(d.connection)
                    .and_then(|m| m.get(d.remote_id))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let allocated: Decimal = applied.iter().map(|(_, a)| *a).sum();
                let mut applied = applied;
                let outstanding = if d.status == DocumentStatus::Paid {
                    Decimal::ZERO
                } else if d.outstanding_stated {
                    if !applied.is_empty()
                        && d.outstanding
                            > d.payable - allocated + d.currency.minor_unit() / Decimal::TWO
                    {
                        // The ledger's figure counts; its allocations are not part of it (so
                        // interest is not reckoned on them twice).
                        applied = &[];
                        discrepancies.push(Discrepancy {
                            account,
                            number: d.number.to_string(),
                            currency: d.currency,
                            stated: d.outstanding,
                            payable: d.payable,
                            allocated,
                        });
                    }
                    d.outstanding
                } else {
                    derived.push((
                        invoices.len(),
                        d.connection.to_string(),
                        d.customer.to_string(),
                        d.number.to_string(),
                    ));
                    (d.payable - allocated).max(Decimal::ZERO)
                };
                let paid = if outstanding.is_zero() {
                    applied.iter().map(|(day, _)| *day).max()
                } else {
                    None
                };
                let allocated = (allocations.len() as u32, applied.len() as u32);
                allocations.extend_from_slice(applied);
                let key = {
                    let start = keys.len() as u32;
                    keys.push_str(d.connection);
                    keys.push('/');
                    keys.push_str(d.remote_id);
                    (start, keys.len() as u32 - start)
                };
                invoices.push(InvoiceFact {
                    account,
                    paid_on: paid,
                    key,
                    allocations: allocated,
                    number: {
                        let start = numbers.len() as u32;
                        numbers.push_str(d.number);
                        (start, d.number.len() as u32)
                    },
                    currency: d.currency,
                    issue: d.issue,
                    due: d.due.unwrap_or(d.issue),
                    payable: d.payable,
                    outstanding,
                });
            }
            DocumentKind::CreditNote => {
                let refunded: Decimal = paid_on
                    .get(d.connection)
                    .and_then(|m| m.get(d.remote_id))
                    .map_or(Decimal::ZERO, |v| v.iter().map(|(_, a)| *a).sum());
                let open = match (d.outstanding_stated, d.preceding) {
                    (true, _) => d.outstanding.abs(),
                    // Not stated and naming its invoice: applied to it.
                    (false, Some(_)) => Decimal::ZERO,
                    (false, None) => (d.payable.abs() - refunded).max(Decimal::ZERO),
                };
                if let Some(number) = d.preceding
                    && d.status != DocumentStatus::Voided
                {
                    let applied = (d.payable.abs() - open).max(Decimal::ZERO);
                    *credit_applied
                        .entry((
                            d.connection.to_string(),
                            d.customer.to_string(),
                            number.to_string(),
                        ))
                        .or_default() += applied;
                }
                if d.status == DocumentStatus::Open && !open.is_zero() {
                    credits.push(CreditFact {
                        account,
                        currency: d.currency,
                        amount: open,
                    });
                }
            }
        }
    })?;
    // What is open on an invoice the source does not restate: payable - allocations - credit
    // applied by the credit notes that name it.
    for (index, connection, customer, number) in derived {
        let Some(inv) = invoices.get_mut(index) else {
            continue;
        };
        if let Some(credit) = credit_applied.get(&(connection, customer, number)) {
            inv.outstanding = (inv.outstanding - credit).max(Decimal::ZERO);
        }
        if inv.outstanding.is_zero() && inv.paid_on.is_none() {
            let (from, n) = (inv.allocations.0 as usize, inv.allocations.1 as usize);
            inv.paid_on = allocations
                .get(from..from + n)
                .and_then(|a| a.iter().map(|(day, _)| *day).max());
        }
    }
    book.discrepancies = discrepancies;
    book.invoices = invoices;
    book.numbers = numbers;
    book.keys = keys;
    book.allocations = allocations;
    book.credits.extend(credits);

    // Who speaks for each account: its contact details and ledger limit come from one
    // connection (see `accounts::Speaker`). Open invoices are counted only for accounts that
    // several connections share.
    let shared: std::collections::HashSet<u32> = records_of
        .iter()
        .filter(|(_, list)| list.iter().any(|(_, c, _)| *c != list[0].1))
        .map(|(i, _)| *i)
        .collect();
    let mut open_by: HashMap<(u32, String), u32> = HashMap::new();
    if !shared.is_empty() {
        for inv in book.invoices.iter().filter(|i| i.is_open()) {
            if shared.contains(&inv.account) {
                let (start, len) = (inv.key.0 as usize, inv.key.1 as usize);
                let key = book.keys.get(start..start + len).unwrap_or_default();
                let connection = key.split_once('/').map_or(key, |(c, _)| c);
                *open_by
                    .entry((inv.account, connection.to_string()))
                    .or_default() += 1;
            }
        }
    }
    for (i, list) in &records_of {
        let Some(chosen) = speaker(list.iter().map(|(_, c, _)| *c), primary, |c| {
            open_by.get(&(*i, c.to_string())).copied().unwrap_or(0)
        }) else {
            continue;
        };
        let own: Vec<&credence_model::Customer> = list
            .iter()
            .filter(|(_, c, _)| *c == chosen.connection)
            .map(|(_, _, c)| *c)
            .collect();
        if let Some(account) = book.accounts.get_mut(*i as usize) {
            account.contact = contact_from(&own);
            account.ledger_limit = lowest_limit(&own);
            account.conflicts = contact_conflicts(list, &chosen.connection);
            account.speaker = Some(chosen);
        }
    }

    book.reports = reports(store.versions(RecordKind::CreditReport, at)?, &dir);
    let members = book.members();
    let mut promises = Vec::new();
    let mut unmatched = Vec::new();
    let recorded: Vec<Promise> = store
        .promises()?
        .into_iter()
        .filter(|p| p.recorded_on <= as_of)
        .collect();
    // The invoices promises name, found in one pass over the book.
    let named: HashMap<&str, u32> = {
        let wanted: std::collections::HashSet<&str> = recorded
            .iter()
            .flat_map(|p| p.invoices.iter().map(String::as_str))
            .collect();
        if wanted.is_empty() {
            HashMap::new()
        } else {
            book.invoices
                .iter()
                .enumerate()
                .map(|(i, inv)| (book.key(inv), i as u32))
                .filter(|(k, _)| wanted.contains(k))
                .collect()
        }
    };
    for p in recorded {
        match members.get(p.customer.as_str()) {
            Some(&account) => promises.push(PromiseFact {
                account,
                invoices: p
                    .invoices
                    .iter()
                    .filter_map(|k| named.get(k.as_str()).copied())
                    .filter(|i| {
                        book.invoices
                            .get(*i as usize)
                            .is_some_and(|inv| inv.account == account)
                    })
                    .collect(),
                promise: p,
            }),
            None => unmatched.push(p),
        }
    }
    let mut holds = Vec::new();
    let mut releases = Vec::new();
    for entry in store.delivered_holds()? {
        let placed_on = entry
            .delivered_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or(entry.action.planned_on, |t| {
                t.with_timezone(&Utc).date_naive()
            });
        let account = members
            .get(entry.action.account.as_str())
            .copied()
            .or_else(|| {
                book.accounts
                    .iter()
                    .position(|a| a.id == entry.action.account)
                    .map(|i| i as u32)
            });
        if let Some(account) = account
            && placed_on <= as_of
        {
            holds.push(HoldFact {
                account,
                placed_on,
                step: entry.action.step.clone(),
                invoices: entry
                    .action
                    .invoices
                    .iter()
                    .map(|i| (i.key.clone(), i.number.clone()))
                    .collect(),
            });
        }
    }
    for release in store.hold_releases()? {
        if release.released_on > as_of {
            continue;
        }
        if let Some(&account) = members.get(release.customer.as_str()) {
            releases.push(ReleaseFact { account, release });
        }
    }
    book.promises = promises;
    book.unmatched_promises = unmatched;
    book.holds = holds;
    book.releases = releases;
    Ok(book)
}

/// How to reach an account, from its speaker's customer records: each detail from the first
/// record that gives it.
fn contact_from(records: &[&credence_model::Customer]) -> ContactFacts {
    let mut contact = ContactFacts::default();
    let first = |slot: &mut Option<String>, value: Option<&String>| {
        if slot.is_none() {
            *slot = value.filter(|v| !v.trim().is_empty()).cloned();
        }
    };
    for c in records {
        let person = c
            .contacts
            .iter()
            .find(|p| p.email.is_some())
            .or(c.contacts.first());
        first(&mut contact.email, person.and_then(|p| p.email.as_ref()));
        first(
            &mut contact.phone,
            c.contacts.iter().find_map(|p| p.phone.as_ref()),
        );
        first(&mut contact.person, person.and_then(|p| p.name.as_ref()));
        first(&mut contact.language, c.language.as_ref());
        first(
            &mut contact.country,
            c.addresses.iter().find_map(|a| a.country.as_ref()),
        );
        first(&mut contact.sales_rep, c.sales_rep.as_ref());
    }
    contact
}

/// The lowest credit limit the speaker's records set (in the currency of the first that sets
/// one).
fn lowest_limit(records: &[&credence_model::Customer]) -> Option<credence_model::Money> {
    let mut lowest: Option<credence_model::Money> = None;
    for limit in records.iter().filter_map(|c| c.credit_limit) {
        match &mut lowest {
            None => lowest = Some(limit),
            Some(slot) if limit.currency == slot.currency && limit.amount < slot.amount => {
                *slot = limit;
            }
            Some(_) => {}
        }
    }
    lowest
}

/// The latest version of each report with the one before it, matched to an account by legal
/// identifier (or, for reports stored by `credence monitor`, by the account id they were
/// looked up for). Reports matching no account are left out.
fn reports(versions: Vec<Version>, dir: &Directory) -> Vec<ReportFact> {
    let mut per_record: BTreeMap<(String, String), Vec<Version>> = BTreeMap::new();
    for v in versions {
        per_record
            .entry((
                v.record.origin.connection.clone(),
                v.record.origin.remote_id.clone(),
            ))
            .or_default()
            .push(v);
    }
    let mut out = Vec::new();
    for ((connection, remote_id), mut history) in per_record {
        let Some(latest) = history.pop() else {
            continue;
        };
        if latest.record.origin.deleted {
            continue;
        }
        let Some(Body::CreditReport(report)) = latest.record.body else {
            continue;
        };
        let by_id = report
            .identifiers
            .iter()
            .filter_map(matching_key)
            .find_map(|k| dir.by_key.get(&k).copied());
        // `credence monitor` stores reports as `ACCOUNT#BUREAU-ID`.
        let by_lookup = remote_id
            .split_once('#')
            .and_then(|(account, _)| account.split_once('/'))
            .and_then(|(c, r)| dir.find(c, r));
        let Some(account) = by_id.or(by_lookup) else {
            continue;
        };
        let previous = history.into_iter().rev().find_map(|v| match v.record.body {
            Some(Body::CreditReport(r)) if r != report => Some(r),
            _ => None,
        });
        out.push(ReportFact {
            account,
            connection,
            report,
            received: latest.valid_from,
            previous,
        });
    }
    out
}
