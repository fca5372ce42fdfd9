//! Ledger connector for CSV exports: the simplest way to bring data from any accounting package.
//!
//! The user grants one folder (read-only) holding any of `customers.csv`, `invoices.csv`,
//! `credit-notes.csv`, `payments.csv`, with a header row. Column names are listed in
//! [`columns`]; the `columns` setting renames them (`invoices.number=Invoice No;...`).
//! Values pass through as text: the host validates dates, amounts and currencies and
//! quarantines what is wrong, row by row.
//!
//! Streams are incremental by file: a file whose size and modification time did not change
//! since the last complete read is not read again. Rows are paged by [`PAGE_ROWS`]; a payment
//! spanning several rows (one per allocation, same `id`, consecutive) is never split.
//!
//! A row that cannot be read has no usable id and is quarantined as `FILE:LINE`; each read of a
//! file from its first row starts with the withdrawal marker `FILE:*`, so those entries clear
//! once the file is fixed. Two different rows of one page under one id are both rejected, each
//! naming the other's line: neither silently replaces the other.

pub mod columns;
mod map;

use credence_plugin_sdk::files::{self, FileEntry};
use credence_plugin_sdk::{
    ConfigEntry, Description, ErrorExt, Ledger, Page, PluginError, SourceRecord, config, paging,
};
use serde::{Deserialize, Serialize};

/// Rows per page.
pub const PAGE_ROWS: usize = 500;

/// The streams and their files.
const STREAMS: &[(&str, &str)] = &[
    ("customers", "customers.csv"),
    ("invoices", "invoices.csv"),
    ("credit-notes", "credit-notes.csv"),
    ("payments", "payments.csv"),
];

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
struct Cursor {
    /// The file as last seen: modification time and size.
    modified: Option<String>,
    size: u64,
    /// Next row to read (0-based, header excluded).
    offset: usize,
    /// The file was read to its end.
    done: bool,
}

/// The connector.
pub struct CsvLedger;

impl Ledger for CsvLedger {
    fn describe() -> Description {
        let mut d = Description::ledger("csv-ledger", env!("CARGO_PKG_VERSION"));
        for (stream, _) in STREAMS {
            d = d.stream(stream, true);
        }
        d.setting("folder", "Folder holding the CSV files (read-only)", true)
            .setting("delimiter", "Field delimiter", false)
            .with_default(",")
            .setting(
                "columns",
                "Column renames, e.g. `invoices.number=Invoice No;customers.name=Company`",
                false,
            )
            .with_default("")
    }

    fn check(config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        credence_plugin_sdk::config::check_required(&Self::describe(), &config)?;
        let folder = config::require("folder")?;
        let entries = files::list_dir(&folder)?;
        let found: Vec<&str> = STREAMS
            .iter()
            .map(|(_, f)| *f)
            .filter(|f| entries.iter().any(|e| e.name == *f))
            .collect();
        if found.is_empty() {
            return Err(PluginError::bad_config(format!(
                "{folder} holds none of customers.csv, invoices.csv, credit-notes.csv, payments.csv"
            )));
        }
        columns::Renames::parse(&config::get("columns").unwrap_or_default())?;
        delimiter()?;
        Ok(())
    }

    fn read(stream: String, cursor: Option<String>) -> Result<Page, PluginError> {
        let Some((_, file_name)) = STREAMS.iter().find(|(s, _)| *s == stream) else {
            return Err(PluginError::bad_config(format!(
                "unknown stream {stream:?}"
            )));
        };
        let folder = config::require("folder")?;
        let renames = columns::Renames::parse(&config::get("columns").unwrap_or_default())?;
        let delimiter = delimiter()?;
        let saved: Cursor = paging::decode_cursor(cursor.as_deref())?;
        let Some(entry) = files::list_dir(&folder)?
            .into_iter()
            .find(|e| e.name == *file_name)
        else {
            credence_plugin_sdk::log::debug(&format!(
                "{file_name} is not in {folder}; stream {stream} is empty"
            ));
            return Ok(paging::last(
                Vec::new(),
                &Cursor {
                    done: true,
                    ..Cursor::default()
                },
            ));
        };
        let unchanged = saved.modified == entry.modified && saved.size == entry.size;
        if unchanged && saved.done {
            return Ok(paging::nothing(cursor));
        }
        let offset = if unchanged { saved.offset } else { 0 };
        read_page(&stream, &entry, offset, delimiter, &renames)
    }
}

fn delimiter() -> Result<u8, PluginError> {
    let text = config::get("delimiter").unwrap_or_else(|| ",".into());
    match text.as_bytes() {
        [b] => Ok(*b),
        _ if text == "\\t" || text == "tab" => Ok(b'\t'),
        _ => Err(PluginError::bad_config(format!(
            "delimiter {text:?} must be one character (or `tab`)"
        ))),
    }
}

fn read_page(
    stream: &str,
    entry: &FileEntry,
    offset: usize,
    delimiter: u8,
    renames: &columns::Renames,
) -> Result<Page, PluginError> {
    let bytes = files::read(&entry.path)?;
    let rows = parse_page(stream, &entry.name, &bytes, offset, delimiter, renames)?;
    let cursor = Cursor {
        modified: entry.modified.clone(),
        size: entry.size,
        offset: rows.next,
        done: rows.done,
    };
    Ok(if rows.done {
        paging::last(rows.records, &cursor)
    } else {
        paging::more(rows.records, &cursor)
    })
}

/// One page of a CSV file, mapped.
#[derive(Debug)]
pub struct PageRows {
    pub records: Vec<SourceRecord>,
    /// The row the next page starts at (0-based, header excluded).
    pub next: usize,
    /// The file was read to its end.
    pub done: bool,
}

/// Map the page of `stream`'s file (named `file_name`, its content `bytes`) that starts at
/// row `offset`: at most [`PAGE_ROWS`] rows, more only to keep a payment's rows together.
/// Pure (no host import): `read` gives it the file's bytes, the fuzz target gives it anything.
/// A file without the required columns is an error; a row that cannot be read or mapped is a
/// rejected record.
pub fn parse_page(
    stream: &str,
    file_name: &str,
    bytes: &[u8],
    offset: usize,
    delimiter: u8,
    renames: &columns::Renames,
) -> Result<PageRows, PluginError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| {
            PluginError::permanent(format!("{file_name}: cannot read the header row: {e}"))
        })?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let table = columns::Table::new(stream, file_name, headers, renames)?;
    let mut rows: Vec<map::Row> = Vec::new();
    let mut source = reader.records().enumerate().skip(offset).peekable();
    while let Some((i, row)) = source.next() {
        // Line numbers as a spreadsheet shows them: the header is line 1.
        rows.push(map::Row {
            line: i + 2,
            cells: row
                .map(|r| r.iter().map(str::to_string).collect())
                .map_err(|e| e.to_string()),
        });
        if rows.len() >= PAGE_ROWS {
            let same_payment = stream == "payments"
                && matches!((rows.last(), source.peek()), (Some(last), Some((_, Ok(next)))) if table.id_of_cells(last) == table.id_of(next));
            if !same_payment {
                break;
            }
        }
    }
    let done = source.peek().is_none();
    let next = offset + rows.len();
    let mut records: Vec<SourceRecord> = Vec::with_capacity(rows.len() + 1);
    if offset == 0 {
        // A read from the first row supersedes the rows this file could not give before
        // (quarantined as `FILE:LINE`); what is still wrong is quarantined again below.
        records.push(SourceRecord::deleted(format!("{file_name}:*"), None));
    }
    records.extend(map::records(stream, file_name, &table, rows));
    Ok(PageRows {
        records,
        next,
        done,
    })
}

credence_plugin_sdk::export_ledger!(CsvLedger);
