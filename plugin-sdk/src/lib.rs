//! # Credence plugin SDK
//!
//! Write a Credence connector in a few dozen lines: implement [`Ledger`] (or [`Bureau`]) for a
//! unit struct, call [`export_ledger!`] (or [`export_bureau!`]), build for `wasm32-wasip2`.
//!
//! - [`http`], [`config`], [`log`](mod@log), [`clock`], [`files`]: safe wrappers of the host imports.
//!   On `wasm32` they call the host; natively they call the [`harness`], so connectors are unit
//!   tested with `cargo test` against recorded HTTP exchanges, without a network.
//! - [`json`] decodes vendor JSON with errors that name the record; [`paging`] keeps cursors typed.
//! - [`types`] are the contract's records (customer, document, payment, credit report...).
#![warn(missing_docs)]
// The README's connector is compiled and its native build checked as a doctest.
#![doc = include_str!("../README.md")]

#[cfg(not(target_arch = "wasm32"))]
pub mod acceptance;
#[doc(hidden)]
pub mod bindings;
pub mod builders;
pub mod clock;
pub mod config;
pub mod files;
#[cfg(not(target_arch = "wasm32"))]
pub mod harness;
pub mod http;
pub mod json;
pub mod log;
pub mod paging;
#[cfg(feature = "xml")]
pub mod xml;

mod error;
mod host;

/// The contract's record types, re-exported for connector code.
pub mod types {
    pub use crate::bindings::types::*;
}

pub use error::ErrorExt;
pub use types::{
    CompanySubject, ConfigEntry, ConfigField, ConfigValue, Description, Page, PluginError,
    PluginKind, RecordBody, SourceRecord, StreamInfo,
};

/// The version of the contract this SDK implements; the host refuses other major versions.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// A connector to an accounting package (world `ledger`).
///
/// Only [`describe`](Ledger::describe) and [`read`](Ledger::read) are required.
pub trait Ledger {
    /// Who the plugin is, the streams it offers and the configuration it needs.
    fn describe() -> Description;

    /// Validate a connection without reading data. The default checks that every required
    /// field declared by [`describe`](Ledger::describe) is present.
    fn check(config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        config::check_required(&Self::describe(), &config)
    }

    /// Read one page of `stream` from `cursor` (`None`: from the beginning).
    fn read(stream: String, cursor: Option<String>) -> Result<Page, PluginError>;
}

/// A connector to a credit bureau (world `bureau`).
pub trait Bureau {
    /// Who the plugin is, the streams it offers and the configuration it needs.
    fn describe() -> Description;

    /// Validate a connection without reading data.
    fn check(config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        config::check_required(&Self::describe(), &config)
    }

    /// Bulk streams; by default a bureau offers none.
    fn read(stream: String, _cursor: Option<String>) -> Result<Page, PluginError> {
        Err(PluginError::BadConfig(format!(
            "this bureau offers no stream named {stream:?}; it answers lookups only"
        )))
    }

    /// One page of reports about `subject`.
    fn lookup(subject: CompanySubject, cursor: Option<String>) -> Result<Page, PluginError>;
}

/// Export a [`Ledger`] implementation as the component's `ledger` world.
#[macro_export]
macro_rules! export_ledger {
    ($connector:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct CredenceLedgerExport;
            impl $crate::bindings::ledger::Guest for CredenceLedgerExport {
                fn describe() -> $crate::Description {
                    <$connector as $crate::Ledger>::describe()
                }
                fn check(config: Vec<$crate::ConfigEntry>) -> Result<(), $crate::PluginError> {
                    <$connector as $crate::Ledger>::check(config)
                }
                fn read(
                    stream: String,
                    cursor: Option<String>,
                ) -> Result<$crate::Page, $crate::PluginError> {
                    <$connector as $crate::Ledger>::read(stream, cursor)
                }
            }
            $crate::bindings::ledger::export_ledger_world!(CredenceLedgerExport with_types_in $crate::bindings::ledger);
        };
    };
}

/// Export a [`Bureau`] implementation as the component's `bureau` world.
#[macro_export]
macro_rules! export_bureau {
    ($connector:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct CredenceBureauExport;
            impl $crate::bindings::bureau::Guest for CredenceBureauExport {
                fn describe() -> $crate::Description {
                    <$connector as $crate::Bureau>::describe()
                }
                fn check(config: Vec<$crate::ConfigEntry>) -> Result<(), $crate::PluginError> {
                    <$connector as $crate::Bureau>::check(config)
                }
                fn read(
                    stream: String,
                    cursor: Option<String>,
                ) -> Result<$crate::Page, $crate::PluginError> {
                    <$connector as $crate::Bureau>::read(stream, cursor)
                }
                fn lookup(
                    subject: $crate::CompanySubject,
                    cursor: Option<String>,
                ) -> Result<$crate::Page, $crate::PluginError> {
                    <$connector as $crate::Bureau>::lookup(subject, cursor)
                }
            }
            $crate::bindings::bureau::export_bureau_world!(CredenceBureauExport with_types_in $crate::bindings::bureau);
        };
    };
}
