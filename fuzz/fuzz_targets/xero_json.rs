//! The Xero connector: any bytes as a response page of each stream (an `Invoices` page read
//! as contacts too, which exercises the per-item fallback); never a panic (records, rejected
//! items, or an error).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    credence_plugin_sdk::harness::Harness::new().run(|| {
        for stream in ["customers", "invoices", "credit-notes", "payments"] {
            let _ = xero::map_page(stream, data);
        }
    });
});
