//! Messages: minijinja templates per step and language (built in under `templates/`, or the
//! home's own `templates/LANG/NAME.txt`, which win), with amounts and dates written the way
//! each language writes them. A template's first line is `Subject: ...`.

use chrono::{Datelike, NaiveDate};
use credence_model::Currency;
use credence_model::dunning::{Action, ChargeKind};
use minijinja::Environment;
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::Path;

use crate::templates::{CUSTOMER_TEMPLATES, INTERNAL_TEMPLATES};
pub use crate::templates::{INTERNAL_NAMES, LANGUAGES, TEMPLATE_NAMES, has_template, language_for};

/// Why a message could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {name} ({language}): {message}")]
    Template {
        name: String,
        language: String,
        message: String,
    },
    #[error("cannot read the template {path}: {message}")]
    Read { path: String, message: String },
}

/// What the sender puts in every message.
#[derive(Debug, Clone, Default)]
pub struct Sender {
    pub company: String,
    /// Bank details or a payment link, printed under the totals.
    pub payment_instructions: String,
    /// Payment instructions per message language (`[delivery.payment_instructions_by_language]`),
    /// over the default.
    pub payment_by_language: std::collections::BTreeMap<String, String>,
}

impl Sender {
    /// The payment instructions for a message in `language`.
    pub fn payment_for(&self, language: &str) -> &str {
        self.payment_by_language
            .get(language)
            .map_or(&self.payment_instructions, String::as_str)
    }
}

/// The compiled templates.
pub struct Renderer {
    env: Environment<'static>,
    sender: Sender,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").finish_non_exhaustive()
    }
}

fn template_id(language: &str, name: &str) -> String {
    format!("{language}/{name}")
}

impl Renderer {
    /// The built-in templates, overridden by `overrides/LANG/NAME.txt` files when the folder
    /// exists. A broken template is an error naming its file, found here rather than mid-run.
    pub fn new(sender: Sender, overrides: Option<&Path>) -> Result<Renderer, RenderError> {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(true);
        let mut add = |language: &str, name: &str, source: String| {
            env.add_template_owned(template_id(language, name), source)
                .map_err(|e| RenderError::Template {
                    name: name.to_string(),
                    language: language.to_string(),
                    message: e.to_string(),
                })
        };
        for (language, name, source) in CUSTOMER_TEMPLATES {
            add(language, name, (*source).to_string())?;
        }
        for (name, source) in INTERNAL_TEMPLATES {
            add("internal", name, (*source).to_string())?;
        }
        if let Some(dir) = overrides {
            for language in LANGUAGES.iter().chain(std::iter::once(&"internal")) {
                for name in TEMPLATE_NAMES.iter().chain(INTERNAL_NAMES) {
                    let path = dir.join(language).join(format!("{name}.txt"));
                    match std::fs::read_to_string(&path) {
                        Ok(text) => add(language, name, text)?,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(RenderError::Read {
                                path: path.display().to_string(),
                                message: e.to_string(),
                            });
                        }
                    }
                }
            }
        }
        Ok(Renderer { env, sender })
    }

    /// Fill in an action's subject and body.
    pub fn render(
        &self,
        action: &mut Action,
        template: &str,
        law: &str,
    ) -> Result<(), RenderError> {
        let customer_facing = TEMPLATE_NAMES.contains(&template);
        let language = if customer_facing {
            action.language.as_str()
        } else {
            "en"
        };
        let id = if customer_facing {
            template_id(language, template)
        } else {
            template_id("internal", template)
        };
        let error = |message: String| RenderError::Template {
            name: template.to_string(),
            language: language.to_string(),
            message,
        };
        let t = self
            .env
            .get_template(&id)
            .map_err(|e| error(e.to_string()))?;
        let ctx = context(action, language, &self.sender, law);
        let text = t.render(&ctx).map_err(|e| error(e.to_string()))?;
        let (subject, body) = match text.split_once('\n') {
            Some((first, rest)) if first.starts_with("Subject:") => (
                first.trim_start_matches("Subject:").trim().to_string(),
                rest.trim_start_matches('\n').to_string(),
            ),
            _ => (String::new(), text),
        };
        action.subject = subject;
        action.body = body;
        Ok(())
    }
}

#[derive(Serialize)]
struct InvoiceCtx {
    number: String,
    issue: String,
    due: String,
    days_overdue: i64,
    outstanding: String,
    discount: Option<String>,
    discount_until: Option<String>,
    /// For an invoice paid late: the day it was paid.
    paid: Option<String>,
    /// For an instalment: what it is, in the message's language ("Instalment 1/2 of payment
    /// plan 3 of 1 Dec 2026 (invoices F-1, F-2)"), written in place of "Invoice N of DATE".
    plan: Option<String>,
}

#[derive(Serialize)]
struct ChargeCtx {
    label: &'static str,
    number: String,
    amount: String,
    explanation: Vec<String>,
}

#[derive(Serialize)]
struct Ctx<'a> {
    customer: &'a str,
    company: &'a str,
    payment: &'a str,
    law: &'a str,
    numbers: String,
    first_due: String,
    invoices: Vec<InvoiceCtx>,
    charges: Vec<ChargeCtx>,
    credit: Option<String>,
    total: String,
    rep: Option<&'a str>,
    overdue: bool,
    /// Why the action, one sentence each (tasks for people show them).
    why: &'a [String],
    deadline: Option<String>,
    /// Some items are payment-plan instalments: headings speak of amounts, not invoices.
    instalments: bool,
}

fn context<'a>(action: &'a Action, language: &str, sender: &'a Sender, law: &'a str) -> Ctx<'a> {
    let money = |amount: Decimal| format_money(amount, action.currency, language);
    let date = |d: NaiveDate| format_date(d, language);
    Ctx {
        customer: &action.customer_name,
        company: &sender.company,
        payment: sender.payment_for(language),
        law: if law == credence_model::dunning::AGREED_TERMS {
            agreed_terms(language)
        } else {
            law
        },
        numbers: action
            .invoices
            .iter()
            .map(|i| i.number.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        first_due: action
            .invoices
            .iter()
            .map(|i| i.due)
            .min()
            .map(date)
            .unwrap_or_default(),
        invoices: action
            .invoices
            .iter()
            .map(|i| InvoiceCtx {
                number: i.number.clone(),
                issue: date(i.issue),
                due: date(i.due),
                days_overdue: i.days_overdue,
                outstanding: money(i.outstanding),
                discount: i.discount.map(|(p, _)| format!("{} %", p.normalize())),
                discount_until: i.discount.map(|(_, d)| date(d)),
                paid: i.paid_on.map(date),
                plan: i
                    .instalment
                    .as_ref()
                    .map(|p| instalment_text(p, &date(p.agreed_on), language)),
            })
            .collect(),
        charges: action
            .charges
            .iter()
            .map(|c| ChargeCtx {
                label: charge_label(c.kind, language),
                number: c.number.clone(),
                amount: money(c.amount),
                explanation: c
                    .lines
                    .iter()
                    .map(|l| {
                        format!(
                            "{} × {} % × {}/365 ({} – {}) = {}",
                            format_number(l.principal, action.currency, language),
                            format_rate(l.rate, language),
                            l.days,
                            date(l.from),
                            date(l.to),
                            format_number(l.amount, action.currency, language)
                        )
                    })
                    .chain(match (c.kind, &c.fixed) {
                        // Built from figures, in the message's language (no English fragments).
                        (_, _) if !c.lines.is_empty() => None,
                        (ChargeKind::Compensation, Some(f)) if f.currency == action.currency => {
                            Some(format!(
                                "{} ({law})",
                                format_money(f.amount, f.currency, language)
                            ))
                        }
                        (ChargeKind::Compensation, Some(f)) => Some(format!(
                            "{} ({law}) = {}",
                            format_money(f.amount, f.currency, language),
                            money(c.amount)
                        )),
                        // A fee: its label says what it is.
                        _ => None,
                    })
                    .collect(),
            })
            .collect(),
        credit: (!action.credit.is_zero()).then(|| money(action.credit)),
        total: money(action.total),
        rep: action
            .recipient
            .as_deref()
            .filter(|_| action.kind == crate::policy::dunning::ActionKind::SalesRep),
        overdue: action.invoices.iter().any(|i| i.days_overdue > 0),
        why: &action.why,
        deadline: action.deadline.map(date),
        instalments: action.invoices.iter().any(|i| i.instalment.is_some()),
    }
}

/// "The terms agreed with you", as each final notice's sentence needs it.
fn agreed_terms(language: &str) -> &'static str {
    match language {
        "fr" => "l'accord conclu avec vous",
        "de" => "der mit Ihnen getroffenen Vereinbarung",
        "el" => "τη συμφωνία μας",
        "lv" => "mūsu vienošanos",
        "cs" => "naší dohody",
        "ro" => "acordul încheiat cu dumneavoastră",
        _ => credence_model::dunning::AGREED_TERMS,
    }
}

/// An instalment as a message names it.
fn instalment_text(
    p: &credence_model::dunning::InstalmentOf,
    agreed: &str,
    language: &str,
) -> String {
    let (n, count, id) = (p.n, p.count, p.plan);
    let list = p.invoices.join(", ");
    let (head, covers) = match language {
        "fr" => (
            format!("Échéance {n}/{count} de l'échéancier n° {id} du {agreed}"),
            "factures",
        ),
        "de" => (
            format!("Rate {n}/{count} der Ratenzahlungsvereinbarung Nr. {id} vom {agreed}"),
            "Rechnungen",
        ),
        "el" => (
            format!("Δόση {n}/{count} του διακανονισμού αρ. {id} της {agreed}"),
            "τιμολόγια",
        ),
        "lv" => (
            format!("Maksājuma grafika Nr. {id} ({agreed}) {n}./{count} maksājums"),
            "rēķini",
        ),
        "cs" => (
            format!("Splátka {n}/{count} splátkového kalendáře č. {id} ze dne {agreed}"),
            "faktury",
        ),
        "ro" => (
            format!("Rata {n}/{count} din planul de plată nr. {id} din {agreed}"),
            "facturile",
        ),
        _ => (
            format!("Instalment {n}/{count} of payment plan {id} of {agreed}"),
            "invoices",
        ),
    };
    if list.is_empty() {
        head
    } else {
        format!("{head} ({covers} {list})")
    }
}

fn charge_label(kind: ChargeKind, language: &str) -> &'static str {
    match (kind, language) {
        (ChargeKind::Interest, "fr") => "Intérêts de retard",
        (ChargeKind::Interest, "de") => "Verzugszinsen",
        (ChargeKind::Interest, "el") => "Τόκοι υπερημερίας",
        (ChargeKind::Interest, "lv") => "Nokavējuma procenti",
        (ChargeKind::Interest, "cs") => "Úrok z prodlení",
        (ChargeKind::Interest, "ro") => "Dobânzi penalizatoare",
        (ChargeKind::Interest, _) => "Late-payment interest",
        (ChargeKind::Compensation, "fr") => "Indemnité forfaitaire pour frais de recouvrement",
        (ChargeKind::Compensation, "de") => "Verzugspauschale",
        (ChargeKind::Compensation, "el") => "Αποζημίωση εξόδων είσπραξης",
        (ChargeKind::Compensation, "lv") => "Kompensācija par piedziņas izmaksām",
        (ChargeKind::Compensation, "cs") => "Náklady spojené s uplatněním pohledávky",
        (ChargeKind::Compensation, "ro") => "Compensație pentru costurile de recuperare",
        (ChargeKind::Compensation, _) => "Compensation for recovery costs",
        (ChargeKind::Fee, "fr") => "Frais de relance",
        (ChargeKind::Fee, "de") => "Mahngebühr",
        (ChargeKind::Fee, "el") => "Έξοδα όχλησης",
        (ChargeKind::Fee, "lv") => "Atgādinājuma maksa",
        (ChargeKind::Fee, "cs") => "Poplatek za upomínku",
        (ChargeKind::Fee, "ro") => "Taxă de reamintire",
        (ChargeKind::Fee, _) => "Reminder fee",
    }
}

/// Thousands and decimal separators of a language.
fn separators(language: &str) -> (&'static str, char) {
    match language {
        "en" => (",", '.'),
        "fr" | "lv" | "cs" => ("\u{a0}", ','),
        _ => (".", ','),
    }
}

/// A number the way a language writes it, with the currency's decimals ("1 234,50").
pub fn format_number(amount: Decimal, currency: Currency, language: &str) -> String {
    let text = currency.fixed(amount).to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let (thousands, decimal) = separators(language);
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 * 2);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push_str(thousands);
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{decimal}{frac}")
    }
}

/// A percentage with only the decimals it has ("10,15", "12"), in the language's notation.
fn format_rate(rate: Decimal, language: &str) -> String {
    let text = rate.normalize().to_string();
    match separators(language).1 {
        '.' => text,
        decimal => text.replace('.', &decimal.to_string()),
    }
}

/// An amount with its currency, in the language's order ("EUR 1,234.50", "1 234,50 EUR").
pub fn format_money(amount: Decimal, currency: Currency, language: &str) -> String {
    let n = format_number(amount, currency, language);
    if language == "en" {
        format!("{currency} {n}")
    } else {
        format!("{n} {currency}")
    }
}

/// A date the way a language writes it.
pub fn format_date(d: NaiveDate, language: &str) -> String {
    let (y, m, day) = (d.year(), d.month(), d.day());
    match language {
        "en" => d.format("%-d %b %Y").to_string(),
        "fr" | "el" => format!("{day:02}/{m:02}/{y}"),
        "lv" => format!("{day:02}.{m:02}.{y}."),
        "cs" => format!("{day}. {m}. {y}"),
        _ => format!("{day:02}.{m:02}.{y}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_follow_the_language() {
        let eur = Currency::parse("EUR").expect("EUR");
        let n: Decimal = "1234567.5".parse().expect("n");
        assert_eq!(format_money(n, eur, "en"), "EUR 1,234,567.50");
        assert_eq!(format_money(n, eur, "de"), "1.234.567,50 EUR");
        assert_eq!(format_money(n, eur, "fr"), "1\u{a0}234\u{a0}567,50 EUR");
        assert_eq!(format_money(-n, eur, "en"), "EUR -1,234,567.50");
        let d = NaiveDate::from_ymd_opt(2026, 3, 7).expect("date");
        assert_eq!(format_date(d, "en"), "7 Mar 2026");
        assert_eq!(format_date(d, "lv"), "07.03.2026.");
        assert_eq!(format_date(d, "cs"), "7. 3. 2026");
    }

    #[test]
    fn the_language_falls_back_when_it_has_no_templates() {
        assert_eq!(language_for(Some("fr-BE"), "en"), "fr");
        assert_eq!(language_for(Some("pt"), "en"), "en");
        assert_eq!(language_for(None, "de"), "de");
    }
}
