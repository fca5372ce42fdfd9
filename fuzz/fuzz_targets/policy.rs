//! The credit policy file (with its `[dunning]` ladder): any text, parsed and checked; never a
//! panic (a policy or an error naming the file).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(policy) = credence_rules::policy::Policy::parse(text, "fuzz.toml") {
            let _ = policy.version();
        }
    }
});
