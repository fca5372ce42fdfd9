//! Records held back by validation: kept with the reasons and the raw payload, never dropped.

use serde::Serialize;

/// A record held back, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quarantined {
    pub connection: String,
    pub stream: String,
    pub remote_id: String,
    /// Every problem found, each naming the field or the EN 16931 rule.
    pub reasons: Vec<String>,
    /// The vendor payload when the connector kept it; otherwise the record as received.
    pub raw: Option<String>,
}
