//! The e-invoice connector: any bytes as one file, UBL or CII, through the mapping and the
//! BR-CO-10..16 totals; never a panic (a document or the reason it is refused).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    credence_plugin_sdk::harness::Harness::new().run(|| {
        let _ = einvoice::parse(data);
    });
});
