//! Dunning over the store: plan a day's run (reading the book, the history and the
//! arrangements), render its messages, and deliver the outbox ([`deliver`]).

pub mod deliver;

use crate::home::Home;
use crate::home::config::DeliveryConfig;
use chrono::NaiveDate;
use credence_model::dunning as action;
use credence_rules::credit::Policy;
use credence_rules::dunning::render::{Renderer, Sender};
use credence_rules::dunning::{Plan, credit_view, plan, render};
use credence_store::{Store, StoreError};

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
    let book = crate::credit::read_book(store, policy, as_of)?;
    let history = store.dunning_history()?;
    let disputes = store.disputes()?;
    let plans = store.payment_plans()?;
    let (states, insurance) = credit_view(&book, policy, as_of);
    let inputs = plan::Inputs {
        book: &book,
        states: &states,
        insurance: &insurance,
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
            store.record(credence_model::RecordKind::Invoice, connection, remote_id)?
        else {
            continue;
        };
        if let Some(credence_model::Body::Invoice(doc)) = record.body
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

/// The message renderer of a home: its sender details and its own templates, which win.
pub fn renderer(home: &Home, delivery: DeliveryConfig) -> anyhow::Result<Renderer> {
    Ok(Renderer::new(
        Sender {
            company: delivery.company,
            payment_instructions: delivery.payment_instructions,
            payment_by_language: delivery.payment_instructions_by_language,
        },
        Some(&home.root().join("templates")),
    )?)
}

/// Plan the run for `as_of` in `home`: its policy, its delivery settings, its templates.
pub fn plan_for(home: &Home, store: &dyn Store, as_of: NaiveDate) -> anyhow::Result<Plan> {
    let (policy, origin) = home.policy()?;
    tracing::info!(policy = %origin, version = %policy.version(), %as_of, "planning dunning");
    let delivery = home.config()?.delivery;
    let webhook = delivery.webhook.is_some();
    Ok(plan_run(
        store,
        &policy,
        &renderer(home, delivery)?,
        as_of,
        webhook,
    )?)
}
