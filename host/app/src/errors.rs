//! Errors that mean the same thing to every front end.
//!
//! The CLI prints them and the server maps them to an HTTP status by their type, never by the
//! wording of a message (which is written for people and may change).

/// The record, customer, invoice or task a request names does not exist (or is not unique).
/// The message says what was looked for and how to name it instead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotFound(pub String);
