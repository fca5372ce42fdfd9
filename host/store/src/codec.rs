//! How records and document facts are written into a database row, shared by the backends so
//! SQLite and PostgreSQL store the same bytes (a digest computed by one matches the other).

use super::StoreError;
use credence_model::{DocumentStatus, Record};
use sha2::{Digest, Sha256};

fn json_err(context: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::Query {
        context,
        message: e.to_string(),
    }
}

/// A record's body serialized once: stored in the history and hashed for change detection
/// (the origin's raw payload and updated-at alone do not make a change: the content does).
pub fn encode(record: &Record) -> Result<(Option<String>, Vec<u8>), StoreError> {
    let body = record
        .body
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(json_err("encoding a record"))?;
    let mut hash = Sha256::new();
    hash.update([u8::from(record.origin.deleted)]);
    hash.update(body.as_deref().unwrap_or_default());
    Ok((body, hash.finalize().to_vec()))
}

pub fn decode(kind: &str, origin: &str, body: Option<String>) -> Result<Record, StoreError> {
    let origin = serde_json::from_str(origin).map_err(json_err("decoding a record"))?;
    let body = body
        .map(|b| serde_json::from_str(&b))
        .transpose()
        .map_err(json_err("decoding a record"))?;
    let kind = serde_json::from_value(serde_json::Value::String(kind.to_string()))
        .map_err(json_err("decoding a record kind"))?;
    Ok(Record { origin, kind, body })
}

/// A date as stored in `document_facts`: days of the common era.
pub fn day_number(d: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce()
}

pub fn status_text(status: DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Draft => "draft",
        DocumentStatus::Open => "open",
        DocumentStatus::Paid => "paid",
        DocumentStatus::Voided => "voided",
    }
}

pub fn status_of(text: &str) -> Option<DocumentStatus> {
    Some(match text {
        "draft" => DocumentStatus::Draft,
        "open" => DocumentStatus::Open,
        "paid" => DocumentStatus::Paid,
        "voided" => DocumentStatus::Voided,
        _ => return None,
    })
}

/// A row the store cannot read back: named with what was being done.
pub fn bad(context: &'static str, what: String) -> StoreError {
    StoreError::Query {
        context,
        message: what,
    }
}

/// A stored date (`YYYY-MM-DD`).
pub fn date(context: &'static str, text: &str) -> Result<chrono::NaiveDate, StoreError> {
    text.parse()
        .map_err(|e| bad(context, format!("{text:?} is not a date: {e}")))
}

/// A list of record keys as a column stores it (a JSON array).
pub(crate) fn keys(keys: &[String]) -> String {
    serde_json::to_string(keys).unwrap_or_else(|_| "[]".into())
}

/// A list of record keys from its column.
pub(crate) fn parse_keys(context: &'static str, text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| bad(context, format!("a list of keys {text:?}: {e}")))
}
