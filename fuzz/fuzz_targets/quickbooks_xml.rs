//! The QuickBooks connector on XML bodies (the API's default and the published fixtures),
//! turned into QuickBooks' JSON shape and mapped: any bytes, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        return;
    }
    credence_plugin_sdk::harness::Harness::new().run(|| {
        let _ = quickbooks::records_in(data, None, "fuzz", Some("USD"));
    });
});
