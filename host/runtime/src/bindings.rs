//! Host-side bindings of the `credence:plugin@0.1.0` contract.
//!
//! One module owns every generated binding (as in Spin's `world` crate): the `bureau` world
//! reuses the `ledger` world's interface modules, so one implementation of each host import
//! serves both worlds. A future contract version gets its own module here, side by side.
#![allow(missing_docs, clippy::all)]

pub mod ledger {
    wasmtime::component::bindgen!({
        world: "ledger",
        path: "../../schemas/wit/credence-plugin@0.1.0",
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    });
}

pub mod bureau {
    wasmtime::component::bindgen!({
        world: "bureau",
        path: "../../schemas/wit/credence-plugin@0.1.0",
        with: {
            "credence:plugin/types": crate::bindings::ledger::credence::plugin::types,
            "credence:plugin/log": crate::bindings::ledger::credence::plugin::log,
            "credence:plugin/config": crate::bindings::ledger::credence::plugin::config,
            "credence:plugin/clock": crate::bindings::ledger::credence::plugin::clock,
            "credence:plugin/http": crate::bindings::ledger::credence::plugin::http,
            "credence:plugin/files": crate::bindings::ledger::credence::plugin::files,
        },
    });
}

pub use ledger::credence::plugin::{clock, config, files, http, log, types};
