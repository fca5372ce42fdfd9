//! The records of one vendor endpoint, kept serialized and ordered by last change then id, as
//! the vendors page them: what the Xero and QuickBooks sandboxes serve and tests change.

use serde_json::Value;

/// One record: the fields the API sorts and filters on, and its JSON.
#[derive(Debug, Clone)]
pub struct Row {
    pub updated_ms: i64,
    pub id: String,
    /// The vendor's type field (`Type`, `PaymentType`), for filters; empty when unused.
    pub kind: String,
    pub json: Vec<u8>,
}

/// Rows in (last change, id) order.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    pub fn new(mut rows: Vec<Row>) -> Table {
        rows.sort_by(|a, b| (a.updated_ms, &a.id).cmp(&(b.updated_ms, &b.id)));
        Table { rows }
    }

    /// Take out the record with `id` as JSON, for the caller to change and [`put`](Self::put)
    /// back.
    pub fn take(&mut self, id: &str) -> Option<Value> {
        let pos = self.rows.iter().position(|r| r.id == id)?;
        serde_json::from_slice(&self.rows.remove(pos).json).ok()
    }

    /// Add a record where its last change puts it.
    pub fn put(&mut self, row: Row) {
        let at = self
            .rows
            .partition_point(|r| (r.updated_ms, &r.id) <= (row.updated_ms, &row.id));
        self.rows.insert(at, row);
    }

    /// The records changed at or after `ms`.
    pub fn since(&self, ms: i64) -> &[Row] {
        &self.rows[self.rows.partition_point(|r| r.updated_ms < ms)..]
    }

    /// Every record.
    pub fn all(&self) -> &[Row] {
        &self.rows
    }
}
