//! What both syntaxes map to, and the pieces they share: collecting missing business terms,
//! the buyer's identifiers and key, unit prices.

use credence_plugin_sdk::types::{Customer, Document, IdScheme, PartyIdentifier};
use credence_plugin_sdk::xml::roxmltree::Node;
use rust_decimal::Decimal;
use std::str::FromStr;

/// One e-invoice or credit note, mapped.
#[derive(Debug, Clone)]
pub struct EInvoice {
    /// A credit note (UBL `CreditNote`, or type code 381 and kin).
    pub credit_note: bool,
    /// The buyer's key: the same buyer on two documents gets the same customer record.
    pub buyer_id: String,
    pub buyer: Customer,
    pub document: Document,
}

/// Collects the mandatory business terms a document lacks, so one rejection lists them all.
#[derive(Debug, Default)]
pub struct Reader {
    pub missing: Vec<String>,
}

impl Reader {
    /// The text at `path`, or note `term` (e.g. "BT-1 invoice number") as missing.
    pub fn required(&mut self, node: Node<'_, '_>, path: &str, term: &str) -> Option<String> {
        let value = credence_plugin_sdk::xml::text(node, path);
        if value.is_none() {
            self.missing(term);
        }
        value
    }

    pub fn missing(&mut self, term: &str) {
        self.missing.push(term.to_string());
    }
}

/// ISO 6523 ICD codes (as used in Peppol `schemeID`) the common model knows by name.
fn scheme_of(icd: Option<&str>) -> Option<IdScheme> {
    match icd? {
        "0088" => Some(IdScheme::Gln),
        "0199" => Some(IdScheme::Lei),
        "0060" => Some(IdScheme::Duns),
        _ => None,
    }
}

/// A VAT number's issuing country from its prefix (Greece prints `EL`, ISO says `GR`).
fn vat_country(vat: &str) -> Option<String> {
    let prefix: String = vat.chars().take(2).collect();
    if prefix.len() == 2 && prefix.chars().all(|c| c.is_ascii_alphabetic()) {
        let upper = prefix.to_ascii_uppercase();
        Some(if upper == "EL" { "GR".into() } else { upper })
    } else {
        None
    }
}

/// The buyer's legal identifiers: VAT (BT-48), legal registration (BT-47) and any further
/// identifiers (BT-46, BT-49) whose scheme names a GLN, LEI or DUNS. Duplicates are dropped.
pub fn identifiers(
    vat: Option<&str>,
    legal: Option<(&str, Option<&str>)>,
    others: [Option<(&str, Option<&str>)>; 2],
    country: Option<&str>,
) -> Vec<PartyIdentifier> {
    let mut out: Vec<PartyIdentifier> = Vec::new();
    let mut push = |scheme: IdScheme, value: &str, country: Option<String>| {
        if !out.iter().any(|i| i.scheme == scheme && i.value == value) {
            out.push(PartyIdentifier {
                scheme,
                value: value.to_string(),
                country,
            });
        }
    };
    if let Some(vat) = vat {
        push(
            IdScheme::Vat,
            vat,
            vat_country(vat).or(country.map(str::to_string)),
        );
    }
    if let Some((value, scheme)) = legal {
        match scheme_of(scheme) {
            Some(s) => push(s, value, None),
            None => push(
                IdScheme::CompanyRegistration,
                value,
                country.map(str::to_string),
            ),
        }
    }
    for (value, scheme) in others.into_iter().flatten() {
        if let Some(s) = scheme_of(scheme) {
            push(s, value, None);
        }
    }
    out
}

/// The buyer's key within this connection: its own identifier when the seller gave one,
/// else its VAT number, legal registration, electronic address, and last its name.
pub fn party_key(
    party_id: Option<&str>,
    vat: Option<&str>,
    legal_id: Option<&str>,
    endpoint: Option<&str>,
    name: &str,
) -> String {
    match (party_id, vat, legal_id, endpoint) {
        (Some(id), _, _, _) => format!("id:{id}"),
        (None, Some(vat), _, _) => format!("vat:{vat}"),
        (None, None, Some(legal), _) => format!("reg:{legal}"),
        (None, None, None, Some(endpoint)) => format!("endpoint:{endpoint}"),
        (None, None, None, None) => format!("name:{name}"),
    }
}

/// Net price per one unit: EN 16931 prices are per base quantity (BT-149) when one is given.
pub fn per_unit(price: Option<String>, base: Option<String>) -> Option<String> {
    let price = price?;
    let Some(base) = base else {
        return Some(price);
    };
    match (Decimal::from_str(&price), Decimal::from_str(&base)) {
        (Ok(p), Ok(b)) if !b.is_zero() && b != Decimal::ONE => {
            Some(p.checked_div(b).unwrap_or(p).normalize().to_string())
        }
        _ => Some(price),
    }
}

/// A CII date (`udt:DateTimeString`, format 102 `YYYYMMDD`) as ISO 8601; other formats are
/// passed through and rejected by the host's date check with the field named.
/// An `xs:date` as the contract wants it: `2016-04-04+01:00`, `2016-04-04-05:00` and
/// `2016-04-04Z` are valid `xs:date`s of the day `2016-04-04` (the offset says where, not
/// which day). Anything else is left as it is, for the host to refuse with the field named.
pub fn xs_date(raw: &str) -> String {
    let t = raw.trim();
    let (day, zone) = t.split_at(t.len().min(10));
    let is_day = day.len() == 10
        && day.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':'
            && zone
                .bytes()
                .enumerate()
                .all(|(i, b)| matches!(i, 0 | 3) || b.is_ascii_digit()));
    if is_day && zone_ok {
        day.to_string()
    } else {
        t.to_string()
    }
}

pub fn cii_date(raw: &str, format: Option<&str>) -> String {
    let digits = raw.trim();
    if format.is_none_or(|f| f == "102")
        && digits.len() == 8
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        format!("{}-{}-{}", &digits[0..4], &digits[4..6], &digits[6..8])
    } else {
        digits.to_string()
    }
}

/// An `xsd:decimal` as printed (`+0.10`, `.5`, `5.`) in the contract's plain form (`0.10`,
/// `0.5`, `5`): the same value, digit for digit, so nothing is rounded. Text that is not an
/// `xsd:decimal` at all is left as it is for the host to refuse with the field named.
pub fn plain_decimal(text: &str) -> String {
    let t = text.trim();
    let (sign, unsigned) = match t.as_bytes().first() {
        Some(b'-') => ("-", &t[1..]),
        Some(b'+') => ("", &t[1..]),
        _ => ("", t),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) {
        return t.to_string();
    }
    let int = if int.is_empty() { "0" } else { int };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// Every amount, rate and quantity of `doc` in the contract's plain decimal form.
pub fn plain_amounts(doc: &mut credence_plugin_sdk::types::Document) {
    fn one(v: &mut String) {
        *v = plain_decimal(v);
    }
    fn opt(v: &mut Option<String>) {
        if let Some(v) = v {
            one(v);
        }
    }
    for l in &mut doc.lines {
        opt(&mut l.quantity);
        opt(&mut l.unit_price);
        one(&mut l.net_amount);
        opt(&mut l.tax_rate);
    }
    for a in &mut doc.allowances_charges {
        one(&mut a.amount);
        opt(&mut a.tax_rate);
    }
    for s in &mut doc.tax_breakdown {
        opt(&mut s.rate);
        one(&mut s.taxable_amount);
        one(&mut s.tax_amount);
    }
    let t = &mut doc.totals;
    one(&mut t.line_total);
    opt(&mut t.allowance_total);
    opt(&mut t.charge_total);
    one(&mut t.tax_exclusive);
    one(&mut t.tax_total);
    one(&mut t.tax_inclusive);
    opt(&mut t.prepaid);
    opt(&mut t.rounding);
    one(&mut t.payable);
    opt(&mut doc.amount_outstanding);
    if let Some(terms) = &mut doc.terms {
        opt(&mut terms.discount_percent);
    }
    opt(&mut doc.exchange_rate);
}

#[cfg(test)]
mod plain_tests {
    #[test]
    fn xsd_decimals_become_the_contract_form_digit_for_digit() {
        for (printed, plain) in [
            ("+0.10", "0.10"),
            (".5", "0.5"),
            ("-.5", "-0.5"),
            ("5.", "5"),
            (" 12.30 ", "12.30"),
            ("1e2", "1e2"),
        ] {
            assert_eq!(super::plain_decimal(printed), plain, "{printed}");
        }
    }
}
