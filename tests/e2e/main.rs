//! End-to-end tests of `credence` as a user runs it: the real binary, real plugins built from
//! `plugins/` (`cargo xtask plugins`), real HTTP over loopback. One binary, one module per topic.

mod support;

mod bureaus;
mod connections;
mod containment;
mod credit;
mod csv;
mod demo;
mod dunning;
mod einvoice;
mod hostile;
mod http;
mod plugins;
mod quickbooks;
mod serve;
mod sync;
mod terminal;
mod xero;
