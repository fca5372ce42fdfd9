//! From what a connector returned (contract types, strings) to the common model (decimals,
//! dates, currencies), then validated. A record that cannot be normalized or fails validation
//! becomes a [`Quarantined`] entry with every reason found and its raw payload: never dropped,
//! never silently "fixed".

mod convert;
pub mod validate;

use credence_model::{Origin, Record, RecordKind};
use credence_runtime::bindings::types::{RecordBody, SourceRecord};

pub use credence_model::Quarantined;

/// The record kind a stream carries.
pub fn stream_kind(stream: &str) -> Option<RecordKind> {
    match stream {
        "customers" => Some(RecordKind::Customer),
        "invoices" => Some(RecordKind::Invoice),
        "credit-notes" => Some(RecordKind::CreditNote),
        "payments" => Some(RecordKind::Payment),
        "reports" => Some(RecordKind::CreditReport),
        _ => None,
    }
}

/// The source a record withdraws, if it is a withdrawal: a deletion whose remote id is
/// `SOURCE:*` (no body). A connector that reads files keys the rows it cannot parse by location,
/// `SOURCE:LINE`, because such a row has no usable id; once the file is fixed nothing would
/// ever clear those entries, since the fixed row comes back under its real id. So a connector
/// that reads a source again from its start sends this marker first, and the store drops the
/// stream's `SOURCE:LINE` entries; whatever is still broken is quarantined again by the same
/// read. It is never stored as a record.
pub fn withdrawal(record: &SourceRecord) -> Option<&str> {
    if !record.deleted || record.body.is_some() {
        return None;
    }
    record
        .remote_id
        .strip_suffix(":*")
        .filter(|source| !source.is_empty())
}

/// Normalize and validate one record of `stream` from `connection`.
pub fn normalize(
    connection: &str,
    stream: &str,
    record: SourceRecord,
) -> Result<Record, Quarantined> {
    let quarantine = |reasons: Vec<String>, record: &SourceRecord| Quarantined {
        connection: connection.to_string(),
        stream: stream.to_string(),
        remote_id: record.remote_id.clone(),
        reasons,
        raw: record
            .raw
            .clone()
            .or_else(|| serde_json::to_string(record).ok()),
    };
    let mut problems = convert::Problems::default();
    if record.remote_id.trim().is_empty() {
        problems.push("remote-id", "is empty; every record needs the vendor's id");
    }
    let remote_updated_at = record
        .remote_updated_at
        .as_deref()
        .and_then(|t| problems.instant("remote-updated-at", t));
    let origin = Origin {
        connection: connection.to_string(),
        remote_id: record.remote_id.clone(),
        remote_updated_at,
        deleted: record.deleted,
        raw: record.raw.clone(),
    };
    let expected = stream_kind(stream);
    let kind = match (&record.body, expected) {
        (Some(RecordBody::Rejected(reason)), _) => {
            return Err(quarantine(
                vec![format!("the connector could not map it: {reason}")],
                &record,
            ));
        }
        (Some(body), _) => convert::kind_of(body),
        (None, Some(kind)) => kind,
        (None, None) => {
            problems.push(
                "stream",
                &format!("{stream:?} is not a known stream, and a deletion does not say its kind"),
            );
            RecordKind::Customer
        }
    };
    if let Some(expected) = expected
        && kind != expected
    {
        problems.push(
            "body",
            &format!(
                "a {} in stream {stream:?}, which carries {} records",
                kind.as_str(),
                expected.as_str()
            ),
        );
    }
    let body = match (&record.body, record.deleted) {
        (_, true) => None,
        (None, false) => {
            problems.push("body", "is missing on a record that is not deleted");
            None
        }
        (Some(body), false) => convert::body(body, &mut problems),
    };
    if let Some(body) = &body {
        for problem in validate::validate(body) {
            problems.push_rule(problem);
        }
    }
    if problems.is_empty() {
        Ok(Record { origin, kind, body })
    } else {
        Err(quarantine(problems.into_messages(), &record))
    }
}
