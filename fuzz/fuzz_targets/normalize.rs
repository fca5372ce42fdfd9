//! The host's normalizer: a contract record as a plugin returns it (the golden-file shape
//! `{"stream", "record"}`, see tests/normalize/), normalized and validated; never a panic (a
//! record or a quarantine entry). What a plugin returns is outside data to the host.
#![no_main]

use credence_runtime::bindings::types::SourceRecord;
use libfuzzer_sys::fuzz_target;

#[derive(serde::Deserialize)]
struct Case {
    stream: String,
    record: SourceRecord,
}

fuzz_target!(|data: &[u8]| {
    if let Ok(case) = serde_json::from_slice::<Case>(data) {
        let _ = credence_normalize::normalize("fuzz", &case.stream, case.record);
    }
});
