//! The CSV connector's mapping: any bytes as the file of a stream, never a panic (records,
//! rejected rows, or an error for a file without the required columns).
//!
//! Building a CSV reader is the costly part of a run (its DFA, under instrumentation), so each
//! input is read only as the streams whose required column names its first line mentions
//! (as `customers` when it mentions none, to exercise the header checks), with `;` as the
//! delimiter when that line has `;` and no `,`.
#![no_main]

use csv_ledger::columns::{COLUMNS, Renames};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let header = String::from_utf8_lossy(first_line).to_ascii_lowercase();
    let delimiter = if header.contains(';') && !header.contains(',') {
        b';'
    } else {
        b','
    };
    let mut streams: Vec<&str> = COLUMNS
        .iter()
        .filter(|(_, required, _)| required.iter().all(|c| header.contains(c)))
        .map(|(stream, _, _)| *stream)
        .collect();
    if streams.is_empty() {
        streams.push("customers");
    }
    let renames = Renames::default();
    credence_plugin_sdk::harness::Harness::new().run(|| {
        for stream in streams {
            let _ = csv_ledger::parse_page(stream, "fuzz.csv", data, 0, delimiter, &renames);
        }
    });
});
