//! The delivery loop: claims actions from the outbox one at a time and hands each to its
//! channel. An action is claimed (`sending`) in one transaction before anything leaves and
//! marked delivered in another as soon as the channel accepts it; a loop killed in between
//! leaves it `sending`, and the next loop delivers it again under the same Message-ID /
//! Idempotency-Key, which receivers use to drop the copy. Nothing is lost; nothing is
//! delivered twice to a receiver that honours the key.

use super::action::{Action, Channel, OutboxEntry};
use crate::home::config::{DeliveryConfig, SmtpConfig, WebhookConfig};
use chrono::{DateTime, Utc};
use credence_store::{Lease, OutboxStore, StoreError};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use std::path::PathBuf;

/// Why one delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Retrying may help (connection refused, 4xx SMTP, 5xx HTTP, timeouts).
    #[error("{0}")]
    Transient(String),
    /// Retrying will not help until someone fixes it (bad address, 5xx SMTP, 4xx HTTP).
    #[error("{0}")]
    Permanent(String),
}

/// Why the loop stopped.
#[derive(Debug, thiserror::Error)]
pub enum LoopError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("delivery is not configured: {0}")]
    Config(String),
}

/// The channels, configured.
pub struct Channels {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    webhook: Option<(reqwest::Client, String, Vec<u8>)>,
    letters: PathBuf,
    max_attempts: u32,
    /// The first wait before a transient failure is retried; it doubles with each attempt.
    retry_after_s: u64,
    /// How long a claim holds an action: longer than any one delivery can take.
    claim_seconds: u64,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channels")
            .field("smtp", &self.smtp.is_some())
            .field("webhook", &self.webhook.as_ref().map(|w| &w.1))
            .finish_non_exhaustive()
    }
}

fn smtp_transport(c: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, LoopError> {
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host)
        .port(c.port)
        .timeout(Some(std::time::Duration::from_secs(c.timeout_s)));
    if let Some(user) = &c.username {
        let password = match &c.password_env {
            Some(var) => std::env::var(var).map_err(|_| {
                LoopError::Config(format!(
                    "[delivery.smtp] password_env = {var:?}, which is not set; export it"
                ))
            })?,
            None => String::new(),
        };
        b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(
            user.clone(),
            password,
        ));
    }
    Ok(b.build())
}

fn webhook(c: &WebhookConfig) -> Result<(reqwest::Client, String, Vec<u8>), LoopError> {
    let secret = std::env::var(&c.secret_env).map_err(|_| {
        LoopError::Config(format!(
            "[delivery.webhook] secret_env = {:?}, which is not set; export the signing secret",
            c.secret_env
        ))
    })?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| LoopError::Config(format!("cannot build the HTTP client: {e}")))?;
    Ok((client, c.url.clone(), secret.into_bytes()))
}

impl Channels {
    /// The channels of a home's `[delivery]` section; letters go to `letters`.
    pub fn new(config: &DeliveryConfig, letters: PathBuf) -> Result<Channels, LoopError> {
        let from: Mailbox = config.from.parse().map_err(|e| {
            LoopError::Config(format!(
                "[delivery] from = {:?} is not an address ({e}); write e.g. \"Credit control <credit@example.com>\"",
                config.from
            ))
        })?;
        Ok(Channels {
            smtp: config.smtp.as_ref().map(smtp_transport).transpose()?,
            from,
            webhook: config.webhook.as_ref().map(webhook).transpose()?,
            letters,
            max_attempts: config.max_attempts.max(1),
            retry_after_s: config.retry_after_s.max(1),
            claim_seconds: 2 * config
                .smtp
                .as_ref()
                .map_or(5, |c| c.timeout_s.max(5))
                .max(if config.webhook.is_some() { 30 } else { 0 })
                + 10,
        })
    }

    /// The wait after the `attempts`-th failed attempt: `retry_after_s` (60 s by default) after
    /// the first, doubling with each attempt, at most a day. Real time: see [`run`].
    pub fn backoff(&self, attempts: u32) -> chrono::Duration {
        let base = i64::try_from(self.retry_after_s).unwrap_or(86_400);
        let doublings = attempts.saturating_sub(1).min(20);
        chrono::Duration::seconds(base.saturating_mul(1i64 << doublings).min(86_400))
    }

    /// Deliver one action; returns the receipt (what the channel answered).
    pub async fn deliver(&self, action: &Action) -> Result<String, DeliveryError> {
        match action.channel {
            Channel::Email => self.email(action).await,
            Channel::Letter => self.letter(action),
            Channel::Webhook => self.post(action).await,
            Channel::Task => Ok("added to the task list".into()),
        }
    }

    async fn email(&self, action: &Action) -> Result<String, DeliveryError> {
        let Some(smtp) = &self.smtp else {
            return Err(DeliveryError::Transient(
                "no [delivery.smtp] relay in credence.toml: the e-mail waits in the outbox".into(),
            ));
        };
        let to = action.recipient.as_deref().unwrap_or_default();
        let to: Mailbox = to.parse().map_err(|e| {
            DeliveryError::Permanent(format!(
                "{to:?} ({}) is not an e-mail address ({e}); correct the customer record",
                action.customer_name
            ))
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(action.subject.clone())
            .message_id(Some(message_id(&action.key)))
            .header(ContentType::TEXT_PLAIN)
            .body(action.body.clone())
            .map_err(|e| DeliveryError::Permanent(format!("cannot build the e-mail: {e}")))?;
        match smtp.send(message).await {
            Ok(response) => Ok(format!(
                "SMTP {} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(e) if e.is_permanent() => Err(DeliveryError::Permanent(format!("SMTP: {e}"))),
            Err(e) => Err(DeliveryError::Transient(format!("SMTP: {e}"))),
        }
    }

    /// A letter is filed in this instance's `letters/` for printing; its text stays in the
    /// shared store's outbox, so any instance can give it again ([`letter_text`]).
    fn letter(&self, action: &Action) -> Result<String, DeliveryError> {
        let io = |e: std::io::Error| {
            DeliveryError::Transient(format!("cannot write to {}: {e}", self.letters.display()))
        };
        std::fs::create_dir_all(&self.letters).map_err(io)?;
        let path = self
            .letters
            .join(format!("{}-{}.txt", action.planned_on, action.key));
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, letter_text(action)).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(format!("letter {}", path.display()))
    }

    async fn post(&self, action: &Action) -> Result<String, DeliveryError> {
        let Some((client, url, secret)) = &self.webhook else {
            return Err(DeliveryError::Transient(
                "no [delivery.webhook] in credence.toml: the action waits in the outbox".into(),
            ));
        };
        let body = serde_json::to_vec(&WebhookEvent::from(action))
            .map_err(|e| DeliveryError::Permanent(format!("cannot encode the event: {e}")))?;
        let timestamp = Utc::now().timestamp();
        let signature = sign(secret, timestamp, &body);
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("idempotency-key", &action.key)
            .header(
                "credence-signature",
                format!("t={timestamp},v1={signature}"),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| DeliveryError::Transient(format!("POST {url}: {e}")))?;
        let status = response.status();
        if status.is_success() {
            Ok(format!("HTTP {}", status.as_u16()))
        } else if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            Err(DeliveryError::Permanent(format!(
                "POST {url}: {status}; check the receiver"
            )))
        } else {
            Err(DeliveryError::Transient(format!("POST {url}: {status}")))
        }
    }
}

/// The Message-ID of an action's e-mail: the same on every attempt.
pub fn message_id(key: &str) -> String {
    format!("<{key}@credence.invalid>")
}

/// `hex(HMAC-SHA256(secret, "{timestamp}.{body}"))`, sent as
/// `Credence-Signature: t={timestamp},v1={signature}`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm is unreachable.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// What a webhook receives.
#[derive(Debug, Serialize)]
pub struct WebhookEvent<'a> {
    pub event: String,
    pub key: &'a str,
    pub account: &'a str,
    pub customer_name: &'a str,
    pub step: &'a str,
    pub currency: &'a str,
    pub total: String,
    pub planned_on: chrono::NaiveDate,
    pub invoices: &'a [super::action::ActionInvoice],
    pub charges: &'a [super::action::ChargeLine],
    pub subject: &'a str,
    pub body: &'a str,
}

impl<'a> From<&'a Action> for WebhookEvent<'a> {
    fn from(a: &'a Action) -> Self {
        WebhookEvent {
            event: format!("dunning.{}", a.kind.as_str()),
            key: &a.key,
            account: &a.account,
            customer_name: &a.customer_name,
            step: &a.step,
            currency: a.currency.code(),
            total: a.currency.fixed(a.total).to_string(),
            planned_on: a.planned_on,
            invoices: &a.invoices,
            charges: &a.charges,
            subject: &a.subject,
            body: &a.body,
        }
    }
}

/// What a delivery pass did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Claims of a dead loop put back at the start.
    pub resumed: usize,
    pub errors: Vec<String>,
}

/// Deliver everything due now (or at most `limit` actions) as `holder`. Claims `holder` left
/// behind when it died are taken back first; another holder's claims are left to run out
/// (that loop may still be sending), after which any loop takes them over.
///
/// Two clocks, as everywhere (ARCHITECTURE.md, "Business time and process time are different
/// clocks"): `business_now` (the host clock, pinned by `CREDENCE_NOW`) stamps what the ledger's
/// story remembers, the day a reminder was delivered and so when the next step is due; the
/// outbox's next-attempt times and claims are process time (the real clock), because a backoff
/// is a wait in the real world. Computing the backoff on a pinned clock left every failed
/// action waiting for a moment that never came.
pub async fn run(
    store: &mut dyn OutboxStore,
    channels: &Channels,
    business_now: impl Fn() -> DateTime<Utc>,
    limit: Option<usize>,
    holder: &str,
) -> Result<Report, LoopError> {
    let mut report = Report {
        resumed: store.release_claims(holder)?,
        ..Report::default()
    };
    while limit.is_none_or(|l| report.delivered + report.retrying + report.failed < l) {
        let lease = Lease::for_seconds(holder, channels.claim_seconds);
        let Some(entry) = store.claim_action(lease.now, &lease)? else {
            break;
        };
        let OutboxEntry {
            action, attempts, ..
        } = entry;
        let span = tracing::info_span!("deliver", key = %action.key, channel = action.channel.as_str(), account = %action.account);
        let _guard = span.enter();
        match channels.deliver(&action).await {
            Ok(receipt) => {
                store.action_delivered(&action.key, business_now(), &receipt)?;
                tracing::info!(%receipt, "delivered");
                report.delivered += 1;
            }
            Err(e) => {
                let message = format!("{} ({}): {e}", action.key, action.customer_name);
                tracing::warn!(error = %e, attempts, "delivery failed");
                let give_up =
                    matches!(e, DeliveryError::Permanent(_)) || attempts >= channels.max_attempts;
                if give_up {
                    store.action_failed(&action.key, &e.to_string(), None)?;
                    report.failed += 1;
                } else {
                    let wait = channels.backoff(attempts);
                    store.action_failed(&action.key, &e.to_string(), Some(Utc::now() + wait))?;
                    report.retrying += 1;
                }
                report.errors.push(message);
            }
        }
    }
    Ok(report)
}

/// The text of a letter action, as filed for printing: the same from the outbox of the shared
/// store on any instance (`credence letters KEY`, `GET /api/v1/letters/{key}`).
pub fn letter_text(action: &Action) -> String {
    format!(
        "{}\n\n{}\n\n{}",
        action.customer_name, action.subject, action.body
    )
}

/// The delivered letter whose key is `key` or starts with it, from the store's outbox.
pub fn find_letter(
    store: &dyn credence_store::Store,
    key: &str,
) -> anyhow::Result<credence_model::dunning::OutboxEntry> {
    let mut found: Vec<_> = store
        .delivered(credence_model::dunning::ActionKind::Email)?
        .into_iter()
        .chain(store.delivered(credence_model::dunning::ActionKind::Letter)?)
        .filter(|e| e.action.channel == credence_model::dunning::Channel::Letter)
        .filter(|e| e.action.key.starts_with(key))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(crate::errors::NotFound(format!(
            "no delivered letter {key:?}: see `credence letters` for the keys"
        ))
        .into()),
        n => Err(crate::errors::NotFound(format!(
            "{key:?} matches {n} letters: give more of the key"
        ))
        .into()),
    }
}
