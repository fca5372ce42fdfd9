//! Dunning: the reminder ladder, fees and interest, messages, and their delivery.
//!
//! - [`ladder`]: the `[dunning]` section of the policy;
//! - [`law`]: statutory interest and compensation by country (data with legal sources);
//! - [`plan`]: the pure step from the book and the ladder's memory to today's actions;
//! - [`render`]: messages from templates, per language;
//! - [`action`] and [`history`]: what is queued and what earlier runs did;
//! - [`deliver`]: the outbox's delivery loop (SMTP, letters, webhooks, tasks).
//!
//! Invariants: planning reads the store and writes nothing; every action has a deterministic
//! key, so queueing a run twice queues once; charges are recorded with the action that makes
//! them, so each is charged once; an invoice climbs only when its action was delivered.

pub mod action;
pub mod deliver;
pub mod history;
pub mod ladder;
pub mod law;
pub mod plan;
pub mod render;

pub use ladder::DunningPolicy;
pub use plan::Plan;

use crate::credit::{CreditState, Policy, facts, rules};
use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use std::collections::HashMap;

/// Why a dunning run could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum DunningError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Render(#[from] render::RenderError),
}

/// Plan the run for `as_of` from the store and render every action's message.
pub fn plan_run(
    store: &dyn Store,
    policy: &Policy,
    renderer: &render::Renderer,
    as_of: NaiveDate,
    webhook: bool,
) -> Result<Plan, DunningError> {
    let mut plan = plan_actions(store, policy, as_of, webhook)?;
    for action in &mut plan.actions {
        discounts(store, action, as_of)?;
        let template = action.template.clone();
        let law = action.law.clone().unwrap_or_default();
        renderer.render(action, &template, &law)?;
    }
    Ok(plan)
}

/// Plan the run for `as_of` without rendering the messages (subjects and bodies empty).
pub fn plan_actions(
    store: &dyn Store,
    policy: &Policy,
    as_of: NaiveDate,
    webhook: bool,
) -> Result<Plan, StoreError> {
    let book = facts::read(store, as_of, &policy.accounts.primary_connections)?;
    let history = store.dunning_history()?;
    let disputes = store.disputes()?;
    let plans = store.payment_plans()?;
    let states = credit_states(&book, policy, as_of);
    let inputs = plan::Inputs {
        book: &book,
        states: &states,
        history: &history,
        disputes: &disputes,
        plans: &plans,
        webhook,
    };
    Ok(plan::plan(&inputs, policy, as_of))
}

/// Early-payment discounts still open on the invoices of a message (read from the documents
/// themselves: only messages before the due date mention them, a handful per run).
fn discounts(
    store: &dyn Store,
    action: &mut action::Action,
    as_of: NaiveDate,
) -> Result<(), StoreError> {
    if action.invoices.iter().all(|i| i.due < as_of) {
        return Ok(());
    }
    for invoice in &mut action.invoices {
        let Some((connection, remote_id)) = invoice.key.split_once('/') else {
            continue;
        };
        let Some(record) =
            store.record(crate::model::RecordKind::Invoice, connection, remote_id)?
        else {
            continue;
        };
        if let Some(crate::model::Body::Invoice(doc)) = record.body
            && let Some(terms) = doc.terms
            && let (Some(percent), Some(days)) = (terms.discount_percent, terms.discount_days)
        {
            let until = doc.issue_date + chrono::Duration::days(i64::from(days));
            if until >= as_of && percent > rust_decimal::Decimal::ZERO {
                invoice.discount = Some((percent, until));
            }
        }
    }
    Ok(())
}

/// Each account's credit state (book order), from the credit policy.
pub fn credit_states(book: &facts::Book, policy: &Policy, as_of: NaiveDate) -> Vec<CreditState> {
    let evaluation = rules::evaluate(book, policy, as_of);
    let by_id: HashMap<&str, CreditState> = evaluation
        .customers
        .iter()
        .map(|d| (d.account.as_str(), d.state))
        .collect();
    book.accounts
        .iter()
        .map(|a| by_id.get(a.id.as_str()).copied().unwrap_or(CreditState::Ok))
        .collect()
}
