//! Attacks the host on purpose, one attack per `mode` setting. Used by the hostile suite
//! (`tests/e2e/hostile.rs`); every attack is something a real third-party plugin could do.
//!
//! - `sleep`: sleeps for an hour through the WASI clock (no CPU used).
//! - `slow-http`: calls a slow endpoint again and again (no CPU used).
//! - `http-flood`: sends requests without end, ignoring every error.
//! - `endless`: always says there is one more page, with a fresh cursor.
//! - `stuck`: says there is more, with the cursor it was given.
//! - `read-all`: reads every file of its folder (a FIFO placed there would block a naive host).
//! - `echo-bearer` / `echo-basic` / `echo-header`: asks an echoing endpoint for the request's
//!   headers with a secret injected, then writes what came back everywhere it can: a customer's
//!   name, its e-mail, a log line, stdout and its error.
//! - `misplace-secret`: asks the host to put the bearer token in another header.
//! - `terminal`: customers whose names carry ANSI escapes, newlines and 70,000 characters, and a
//!   log line that forges a host line.
//! - `duplicate-ids`: two different customers under one remote id in one page.

use credence_plugin_sdk::types::{Contact, Customer, RecordBody};
use credence_plugin_sdk::{
    ConfigEntry, Description, Ledger, Page, PluginError, SourceRecord, config, files, http, log,
    paging,
};

/// The connector (public: natively, outside wasm, nothing else refers to it).
pub struct Hostile;

fn customer(id: &str, name: &str, email: Option<&str>) -> SourceRecord {
    let mut customer = Customer::named(name);
    if let Some(email) = email {
        customer.contacts.push(Contact {
            name: None,
            email: Some(email.to_string()),
            phone: None,
            role: None,
        });
    }
    SourceRecord::new(id, None, RecordBody::Customer(customer))
}

/// Write `loot` everywhere a plugin can write: records, logs, stdout, and the page's error.
fn spread(loot: &str, fail: bool) -> Result<Page, PluginError> {
    let loot: String = loot
        .chars()
        .filter(|c| !c.is_control())
        .take(2000)
        .collect();
    log::warn(&format!("loot: {loot}"));
    println!("loot: {loot}");
    if fail {
        return Err(PluginError::Permanent(format!("loot: {loot}")));
    }
    Ok(paging::last(
        vec![customer(
            "LOOT",
            &format!("Loot {loot}"),
            Some("loot@example.com"),
        )],
        &0u32,
    ))
}

impl Ledger for Hostile {
    fn describe() -> Description {
        Description::ledger("test-hostile", env!("CARGO_PKG_VERSION"))
            .stream("customers", false)
            .setting("mode", "Which attack", true)
            .setting("base_url", "Where the test server is", false)
            .with_default("http://127.0.0.1:9")
            .setting("folder", "A folder to read", true)
            .secret("token", "A bearer token")
            .secret("password", "A Basic password")
            .secret("api_key", "An API key sent in X-Api-Key")
    }

    fn check(_config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        Ok(())
    }

    fn read(_stream: String, cursor: Option<String>) -> Result<Page, PluginError> {
        let mode = config::require("mode")?;
        let base = config::require("base_url")?;
        match mode.as_str() {
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                Ok(paging::nothing(None))
            }
            "slow-http" => loop {
                let _ = http::get(&format!("{base}/slow")).send();
            },
            "http-flood" => loop {
                let _ = http::get(&format!("{base}/fast")).send();
            },
            "endless" => {
                let n: u64 = cursor.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0);
                Ok(Page {
                    records: vec![customer(&format!("E{n}"), &format!("Endless {n}"), None)],
                    cursor: Some((n + 1).to_string()),
                    has_more: true,
                })
            }
            "stuck" => Ok(Page {
                records: vec![customer("S1", "Stuck", None)],
                cursor: Some("same".into()),
                has_more: true,
            }),
            "read-all" => {
                let folder = config::require("folder")?;
                let mut records = Vec::new();
                for entry in files::list_dir(&folder)? {
                    let text = files::read_to_string(&entry.path)?;
                    records.push(customer(&entry.name, text.trim(), None));
                }
                Ok(paging::last(records, &0u32))
            }
            "echo-bearer" => {
                let echoed = http::get(&format!("{base}/echo"))
                    .bearer_secret("token")
                    .send()?;
                spread(&echoed.text(), false)
            }
            "echo-basic" => {
                let echoed = http::get(&format!("{base}/echo"))
                    .basic_auth("someone", "password")
                    .send()?;
                spread(&echoed.text(), true)
            }
            "echo-header" => {
                let echoed = http::get(&format!("{base}/echo"))
                    .secret_header("X-Api-Key", "", "api_key")
                    .send()?;
                spread(&echoed.text(), false)
            }
            "misplace-secret" => {
                let echoed = http::get(&format!("{base}/echo"))
                    .secret_header("X-Forward-To", "", "token")
                    .send();
                // Pretends nothing happened: the host must still fail the job.
                let text = echoed.map(|r| r.text()).unwrap_or_default();
                spread(&text, false)
            }
            "terminal" => {
                log::info(
                    "page read\n2026-11-29T10:00:00.000000Z  INFO credence: all good, nothing to see",
                );
                Ok(paging::last(
                    vec![
                        customer(
                            "T1",
                            "\u{1b}[2J\u{1b}[31mEvil\u{1b}[0m Ltd\nFORGED LINE\r",
                            None,
                        ),
                        customer("T2", &"W".repeat(70_000), Some("giant@example.com")),
                        customer("T3", "Bell\u{7} Corp", None),
                    ],
                    &0u32,
                ))
            }
            "duplicate-ids" => Ok(paging::last(
                vec![
                    customer("D1", "First of two", Some("first@example.com")),
                    customer("D1", "Second of two", Some("second@example.com")),
                ],
                &0u32,
            )),
            other => Err(PluginError::BadConfig(format!("unknown mode {other:?}"))),
        }
    }
}

credence_plugin_sdk::export_ledger!(Hostile);
