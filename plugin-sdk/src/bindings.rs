//! Generated bindings of the `credence:plugin@0.1.0` contract.
//!
//! The SDK owns every binding so that plugin authors never touch `wit-bindgen` themselves and a
//! contract change is made in one place. Both worlds share the ledger world's interface modules.
#![allow(missing_docs, clippy::all, unsafe_code, rust_2018_idioms)]

pub mod ledger {
    wit_bindgen::generate!({
        world: "ledger",
        path: "../schemas/wit/credence-plugin@0.1.0",
        pub_export_macro: true,
        export_macro_name: "export_ledger_world",
        default_bindings_module: "credence_plugin_sdk::bindings::ledger",
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
        generate_all,
    });
}

pub mod bureau {
    wit_bindgen::generate!({
        world: "bureau",
        path: "../schemas/wit/credence-plugin@0.1.0",
        pub_export_macro: true,
        export_macro_name: "export_bureau_world",
        default_bindings_module: "credence_plugin_sdk::bindings::bureau",
        with: {
            "credence:plugin/types@0.1.0": crate::bindings::ledger::credence::plugin::types,
            "credence:plugin/log@0.1.0": crate::bindings::ledger::credence::plugin::log,
            "credence:plugin/config@0.1.0": crate::bindings::ledger::credence::plugin::config,
            "credence:plugin/clock@0.1.0": crate::bindings::ledger::credence::plugin::clock,
            "credence:plugin/http@0.1.0": crate::bindings::ledger::credence::plugin::http,
            "credence:plugin/files@0.1.0": crate::bindings::ledger::credence::plugin::files,
        },
    });
}

pub use ledger::credence::plugin::{clock, config, files, http, log, types};
