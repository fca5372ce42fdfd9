//! One customer across ledgers: customer records from different connections (or companies)
//! are linked into one account when a legal identifier matches, so exposure can be computed
//! across everything the user sells through. Links are derived from the stored records every
//! time (never hand-edited state) and each one says which identifier made it.
//!
//! Matching keys: VAT number (with its country prefix; Greece's EL and GR are one), company
//! registration number *with* its country, LEI, DUNS. GLN and other identifiers name places or
//! are too loose, and never link.

use credence_model::{Body, Customer, IdScheme, Identifier, Record};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A customer record that belongs to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Member {
    pub connection: String,
    pub remote_id: String,
    pub name: String,
}

impl Member {
    /// `connection/remote-id`, how users name a customer record.
    pub fn key(&self) -> String {
        format!("{}/{}", self.connection, self.remote_id)
    }
}

/// Why two records were linked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Link {
    pub from: String,
    pub to: String,
    /// The shared identifier, e.g. `vat FR40303265045`.
    pub because: String,
}

/// Customer records that are one business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// The smallest member key: stable while that record exists.
    pub id: String,
    pub name: String,
    pub members: Vec<Member>,
    pub links: Vec<Link>,
}

/// The matching key of an identifier, if it may link accounts.
pub fn matching_key(id: &Identifier) -> Option<String> {
    let value = id.value.to_ascii_uppercase();
    if value.is_empty() {
        return None;
    }
    match id.scheme {
        IdScheme::Vat => {
            let has_prefix = value.len() > 2 && value[..2].chars().all(|c| c.is_ascii_alphabetic());
            let full = match (&id.country, has_prefix) {
                (_, true) => value,
                (Some(country), false) => format!("{}{value}", country.to_ascii_uppercase()),
                (None, false) => return None,
            };
            // Greek VAT numbers carry EL, the country code is GR.
            let full = full
                .strip_prefix("GR")
                .map(|rest| format!("EL{rest}"))
                .unwrap_or(full);
            Some(format!("vat {full}"))
        }
        IdScheme::CompanyRegistration => id
            .country
            .as_ref()
            .map(|c| format!("company-registration {} {value}", c.to_ascii_uppercase())),
        IdScheme::Lei => Some(format!("lei {value}")),
        IdScheme::Duns => Some(format!("duns {value}")),
        IdScheme::Gln | IdScheme::Other => None,
    }
}

/// Each customer record's body by (connection, remote id), to find an account's members
/// without a scan per member.
pub fn customers_by_key(records: &[Record]) -> HashMap<(&str, &str), &Customer> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            Some(Body::Customer(c)) => Some((
                (r.origin.connection.as_str(), r.origin.remote_id.as_str()),
                c,
            )),
            _ => None,
        })
        .collect()
}

/// Group live customer records into accounts.
pub fn link(customers: &[Record]) -> Vec<Account> {
    let members: Vec<(Member, Vec<String>)> = customers
        .iter()
        .filter(|r| !r.origin.deleted)
        .filter_map(|r| match &r.body {
            Some(Body::Customer(c)) => Some((
                Member {
                    connection: r.origin.connection.clone(),
                    remote_id: r.origin.remote_id.clone(),
                    name: c.name.clone(),
                },
                c.identifiers.iter().filter_map(matching_key).collect(),
            )),
            _ => None,
        })
        .collect();
    let mut parent: Vec<usize> = (0..members.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_with_key: BTreeMap<&str, usize> = BTreeMap::new();
    let mut links = Vec::new();
    for (i, (_, keys)) in members.iter().enumerate() {
        for key in keys {
            match first_with_key.get(key.as_str()) {
                None => {
                    first_with_key.insert(key, i);
                }
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                    links.push((j, i, key.clone()));
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..members.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut accounts: Vec<Account> = groups
        .into_values()
        .map(|idx| {
            let mut group: Vec<Member> = idx.iter().map(|&i| members[i].0.clone()).collect();
            group.sort_by_key(|m| m.key());
            let group_links = links
                .iter()
                .filter(|(a, _, _)| idx.contains(a))
                .map(|(a, b, key)| Link {
                    from: members[*a].0.key(),
                    to: members[*b].0.key(),
                    because: key.clone(),
                })
                .collect();
            Account {
                id: group[0].key(),
                name: group[0].name.clone(),
                members: group,
                links: group_links,
            }
        })
        .collect();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    accounts
}

/// The connection that speaks for an account: its customer record gives the contact details
/// (who receives reminders) and the ledger credit limit.
///
/// Accounts are linked by legal identifiers, which any ledger can carry: a record in another
/// connection with a victim's VAT number joins the victim's account. If contact data and limits
/// were taken from whichever linked record came first (or the lowest limit of all), that
/// record could redirect reminders to its own address or put the account on hold with a limit
/// of 1. So one connection speaks for each account, chosen by configuration or by where the
/// account's business is, never by who linked last; what the others say is shown as a
/// [`ContactConflict`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Speaker {
    pub connection: String,
    /// `primary` (named in the policy's `[accounts] primary_connections`), `open-invoices`
    /// (holds the most open invoices of the account), `only-ledger` or `first-member` (no
    /// open invoices anywhere: the member whose key sorts first).
    pub because: String,
}

/// Choose the speaker among the connections of an account's members (in member key order):
/// the first of `primary` that is one of them; else the one holding the most open invoices
/// (`open_invoices`, ties to the earlier member); else the first member's.
pub fn speaker<'a>(
    connections: impl IntoIterator<Item = &'a str>,
    primary: &[String],
    open_invoices: impl Fn(&str) -> u32,
) -> Option<Speaker> {
    let mut distinct: Vec<&str> = Vec::new();
    for c in connections {
        if !distinct.contains(&c) {
            distinct.push(c);
        }
    }
    let first = *distinct.first()?;
    let chosen = |connection: &str, because: &str| Speaker {
        connection: connection.to_string(),
        because: because.to_string(),
    };
    if let Some(p) = primary.iter().find(|p| distinct.contains(&p.as_str())) {
        return Some(chosen(p, "primary"));
    }
    if distinct.len() == 1 {
        return Some(chosen(first, "only-ledger"));
    }
    let mut best: Option<(&str, u32)> = None;
    for c in &distinct {
        let n = open_invoices(c);
        if n > 0 && best.is_none_or(|(_, m)| n > m) {
            best = Some((c, n));
        }
    }
    Some(match best {
        Some((c, _)) => chosen(c, "open-invoices"),
        None => chosen(first, "first-member"),
    })
}

/// A linked record from another connection that says something else about who to write to or
/// how much credit the ledger allows. It is shown, and raised as an alert; it never replaces
/// what the speaker says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ContactConflict {
    /// `email` or `credit-limit`.
    pub field: String,
    /// What is used, and from which record (`None`: the speaker's records say nothing).
    pub used: Option<String>,
    pub used_from: Option<String>,
    /// The linked record that says otherwise, and what it says.
    pub other: String,
    pub value: String,
}

/// The e-mail address a customer record gives (the first contact with one).
pub fn email_of(c: &credence_model::Customer) -> Option<&str> {
    c.contacts
        .iter()
        .filter_map(|p| p.email.as_deref())
        .map(str::trim)
        .find(|e| !e.is_empty())
}

/// Where the other members of an account disagree with the speaker's records on the e-mail
/// address or the ledger credit limit. `members` are (member key, connection, record), in
/// member key order.
pub fn contact_conflicts(
    members: &[(String, &str, &credence_model::Customer)],
    speaker: &str,
) -> Vec<ContactConflict> {
    let own = members.iter().filter(|(_, c, _)| *c == speaker);
    let used_email = own
        .clone()
        .find_map(|(key, _, c)| email_of(c).map(|e| (key.clone(), e.to_string())));
    let used_limit = own.clone().find_map(|(key, _, c)| {
        c.credit_limit
            .as_ref()
            .map(|m| (key.clone(), format!("{} {}", m.amount, m.currency)))
    });
    let mut out = Vec::new();
    for (key, connection, c) in members {
        if *connection == speaker {
            continue;
        }
        if let Some(email) = email_of(c)
            && used_email
                .as_ref()
                .is_none_or(|(_, used)| !used.eq_ignore_ascii_case(email))
        {
            out.push(ContactConflict {
                field: "email".into(),
                used: used_email.as_ref().map(|(_, e)| e.clone()),
                used_from: used_email.as_ref().map(|(k, _)| k.clone()),
                other: key.clone(),
                value: email.to_string(),
            });
        }
        if let Some(limit) = &c.credit_limit {
            let value = format!("{} {}", limit.amount, limit.currency);
            if used_limit.as_ref().is_none_or(|(_, used)| *used != value) {
                out.push(ContactConflict {
                    field: "credit-limit".into(),
                    used: used_limit.as_ref().map(|(_, l)| l.clone()),
                    used_from: used_limit.as_ref().map(|(k, _)| k.clone()),
                    other: key.clone(),
                    value,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(scheme: IdScheme, value: &str, country: Option<&str>) -> Identifier {
        Identifier {
            scheme,
            value: value.into(),
            country: country.map(str::to_string),
        }
    }

    #[test]
    fn identifiers_match_only_when_they_name_the_same_company() {
        let cases = [
            (
                id(IdScheme::Vat, "FR40303265045", None),
                Some("vat FR40303265045"),
            ),
            (
                id(IdScheme::Vat, "40303265045", Some("FR")),
                Some("vat FR40303265045"),
            ),
            (
                id(IdScheme::Vat, "094014201", Some("GR")),
                Some("vat EL094014201"),
            ),
            (
                id(IdScheme::Vat, "EL094014201", Some("GR")),
                Some("vat EL094014201"),
            ),
            (id(IdScheme::Vat, "12345", None), None),
            (
                id(IdScheme::CompanyRegistration, "00445790", Some("GB")),
                Some("company-registration GB 00445790"),
            ),
            (id(IdScheme::CompanyRegistration, "00445790", None), None),
            (
                id(IdScheme::Lei, "5493001KJTIIGC8Y1R12", None),
                Some("lei 5493001KJTIIGC8Y1R12"),
            ),
            (id(IdScheme::Gln, "4012345000009", None), None),
        ];
        for (identifier, expected) in cases {
            assert_eq!(
                matching_key(&identifier).as_deref(),
                expected,
                "{identifier:?}"
            );
        }
    }
}
