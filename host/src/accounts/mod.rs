//! One customer across ledgers: customer records from different connections (or companies)
//! are linked into one account when a legal identifier matches, so exposure can be computed
//! across everything the user sells through. Links are derived from the stored records every
//! time (never hand-edited state) and each one says which identifier made it.
//!
//! Matching keys: VAT number (with its country prefix; Greece's EL and GR are one), company
//! registration number *with* its country, LEI, DUNS. GLN and other identifiers name places or
//! are too loose, and never link.

use crate::model::{Body, IdScheme, Identifier, Record};
use serde::Serialize;
use std::collections::BTreeMap;

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
