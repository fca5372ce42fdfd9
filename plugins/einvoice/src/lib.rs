//! Ledger connector for EN 16931 e-invoices: UBL 2.1 `Invoice` / `CreditNote` and UN/CEFACT
//! CII `CrossIndustryInvoice` (Peppol BIS Billing 3, XRechnung, Factur-X / ZUGFeRD XML).
//!
//! The user grants one folder (read-only); every `.xml` file in it or its sub-folders is one
//! document. One stream, `documents`, carries each document (invoice or credit note, keyed by
//! its path in the folder) preceded by its buyer as a customer (keyed by the buyer's
//! identifier, so the same buyer on many documents is one customer).
//!
//! A file that is not well-formed XML, is not an e-invoice, lacks a mandatory business term
//! or whose printed totals do not add up is returned as rejected with the reason, and the host
//! quarantines it with its text. The stream is incremental by modification time: the cursor is
//! the (modified, path) of the last file read, files are read in that order.

pub mod cii;
pub mod model;
pub mod totals;
pub mod ubl;

pub use model::EInvoice;

use credence_plugin_sdk::files::{self, FileEntry};
use credence_plugin_sdk::types::RecordBody;
use credence_plugin_sdk::{
    ConfigEntry, Description, ErrorExt, Ledger, Page, PluginError, SourceRecord, config, paging,
};
use serde::{Deserialize, Serialize};

/// Files per page.
pub const PAGE_FILES: usize = 200;
/// Larger files are rejected unread: no e-invoice without attachments comes near this.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// How much of a rejected file's text is kept in quarantine.
const RAW_KEPT_BYTES: usize = 256 * 1024;
/// Sub-folder depth scanned (protects against link cycles inside the granted folder).
const MAX_DEPTH: usize = 16;

/// Parse one e-invoice file: the mapped document and buyer, or why it cannot be imported.
pub fn parse(bytes: &[u8]) -> Result<EInvoice, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 text ({e}); e-invoices are UTF-8 XML"))?;
    let text = text.trim_start_matches('\u{feff}');
    let xml = credence_plugin_sdk::xml::roxmltree::Document::parse(text)
        .map_err(|e| format!("not well-formed XML: {e}"))?;
    let root = xml.root_element();
    let mut reader = model::Reader::default();
    let is_ubl = root
        .tag_name()
        .namespace()
        .is_some_and(|ns| ns.starts_with("urn:oasis:names:specification:ubl:schema:xsd:"));
    let parsed = match root.tag_name().name() {
        "Invoice" | "CreditNote" if is_ubl => ubl::parse(root, &mut reader),
        "CrossIndustryInvoice" => cii::parse(root, &mut reader),
        other => {
            return Err(format!(
                "not an e-invoice: the root element is <{other}>, expected a UBL Invoice or \
                 CreditNote, or a CII CrossIndustryInvoice"
            ));
        }
    };
    if !reader.missing.is_empty() {
        return Err(format!(
            "missing mandatory business terms: {}",
            reader.missing.join(", ")
        ));
    }
    let Some(mut parsed) = parsed else {
        return Err("missing mandatory business terms".into());
    };
    model::plain_amounts(&mut parsed.document);
    match totals::mismatches(&parsed.document) {
        Ok(m) if m.is_empty() => Ok(parsed),
        Ok(m) => Err(format!(
            "the totals do not add up: {}",
            m.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )),
        Err(bad) => Err(bad.join("; ")),
    }
}

/// Where the stream stopped: the last file read, in (modified, path) order.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
struct Cursor {
    after: Option<(String, String)>,
}

/// The connector.
pub struct EInvoiceLedger;

impl Ledger for EInvoiceLedger {
    fn describe() -> Description {
        Description::ledger("einvoice", env!("CARGO_PKG_VERSION"))
            .stream("documents", true)
            .setting(
                "folder",
                "Folder holding the e-invoice XML files (read-only, sub-folders included)",
                true,
            )
    }

    fn check(config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        credence_plugin_sdk::config::check_required(&Self::describe(), &config)?;
        let folder = config::require("folder")?;
        let found = xml_files(&folder)?.len();
        credence_plugin_sdk::log::info(&format!("{folder}: {found} XML files"));
        Ok(())
    }

    fn read(stream: String, cursor: Option<String>) -> Result<Page, PluginError> {
        if stream != "documents" {
            return Err(PluginError::bad_config(format!(
                "unknown stream {stream:?}; this connector has one stream, \"documents\""
            )));
        }
        let folder = config::require("folder")?;
        let saved: Cursor = paging::decode_cursor(cursor.as_deref())?;
        let mut pending: Vec<(String, String, FileEntry)> = xml_files(&folder)?
            .into_iter()
            .map(|(relative, e)| (e.modified.clone().unwrap_or_default(), relative, e))
            .filter(|(modified, relative, _)| {
                saved
                    .after
                    .as_ref()
                    .is_none_or(|(m, p)| (modified, relative) > (m, p))
            })
            .collect();
        if pending.is_empty() {
            return Ok(paging::nothing(cursor));
        }
        pending.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let done = pending.len() <= PAGE_FILES;
        pending.truncate(PAGE_FILES);
        let mut records = Vec::with_capacity(pending.len() * 2);
        let mut last = None;
        for (modified, relative, entry) in pending {
            records.extend(file_records(&relative, &entry)?);
            last = Some((modified, relative));
        }
        latest_buyers_only(&mut records);
        let next = Cursor {
            after: last.or(saved.after),
        };
        Ok(if done {
            paging::last(records, &next)
        } else {
            paging::more(records, &next)
        })
    }
}

/// Keep one buyer per id in a page: the one from its latest document (files are read in
/// modification order). Every document carries its own snapshot of the buyer, and two
/// documents often spell it slightly differently; the host refuses two different records under
/// one id in a page (neither may silently win), so the connector says which one it means.
fn latest_buyers_only(records: &mut Vec<SourceRecord>) {
    let is_buyer = |r: &SourceRecord| matches!(r.body, Some(RecordBody::Customer(_)));
    let mut seen = std::collections::HashSet::new();
    let mut keep: Vec<bool> = records
        .iter()
        .rev()
        .map(|r| !is_buyer(r) || seen.insert(r.remote_id.clone()))
        .collect();
    keep.reverse();
    let mut flags = keep.into_iter();
    records.retain(|_| flags.next().unwrap_or(true));
}

/// The records of one file: its buyer then its document, or one rejection.
fn file_records(relative: &str, entry: &FileEntry) -> Result<Vec<SourceRecord>, PluginError> {
    if entry.size > MAX_FILE_BYTES {
        return Ok(vec![SourceRecord::rejected(
            relative,
            format!(
                "{relative} is {} bytes, over the {MAX_FILE_BYTES}-byte limit for one e-invoice",
                entry.size
            ),
            None,
        )]);
    }
    let bytes = files::read(&entry.path)?;
    Ok(match parse(&bytes) {
        Ok(e) => {
            let updated = entry.modified.clone();
            let body = if e.credit_note {
                RecordBody::CreditNote(e.document)
            } else {
                RecordBody::Invoice(e.document)
            };
            vec![
                SourceRecord::new(e.buyer_id, updated.clone(), RecordBody::Customer(e.buyer)),
                SourceRecord::new(relative, updated, body),
            ]
        }
        Err(reason) => {
            let kept = &bytes[..bytes.len().min(RAW_KEPT_BYTES)];
            vec![SourceRecord::rejected(
                relative,
                format!("{relative}: {reason}"),
                Some(String::from_utf8_lossy(kept).into_owned()),
            )]
        }
    })
}

/// Every `.xml` file under `folder`, with its path relative to it.
fn xml_files(folder: &str) -> Result<Vec<(String, FileEntry)>, PluginError> {
    let mut out = Vec::new();
    let mut stack = vec![(folder.to_string(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        for entry in files::list_dir(&dir)? {
            let relative = if prefix.is_empty() {
                entry.name.clone()
            } else {
                format!("{prefix}/{}", entry.name)
            };
            if entry.is_dir {
                if depth < MAX_DEPTH {
                    stack.push((entry.path.clone(), relative, depth + 1));
                }
            } else if entry.name.to_ascii_lowercase().ends_with(".xml") {
                out.push((relative, entry));
            }
        }
    }
    Ok(out)
}

credence_plugin_sdk::export_ledger!(EInvoiceLedger);
