//! Conformance on the official EN 16931 and Peppol BIS 3 examples (third-party data read from
//! `../shared/realdata` or `$CREDENCE_REALDATA`, never copied into the repository): every
//! example imports, and the totals the connector computes equal the totals each document
//! prints.

use std::path::{Path, PathBuf};

/// The example folders: full business documents, not the schematron unit-test fragments.
const EXAMPLE_DIRS: &[&str] = &[
    "en16931-cen-tc434/ubl/examples",
    "en16931-cen-tc434/cii/examples",
    "en16931-cen-tc434/test/testfiles",
    "peppol-bis-billing-3/rules/examples",
    "peppol-bis-billing-3/rules/national-examples",
    "peppol-bis-billing-3/rules/snippets",
];

/// Documents known to be special, each with why. Everything else must import.
const ALLOWED: &[(&str, &str)] = &[];

fn realdata() -> Option<PathBuf> {
    credence_plugin_sdk::harness::realdata("")
}

/// Every `.xml` file under the example folders, sub-folders included, named by its path.
fn examples(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = EXAMPLE_DIRS.iter().map(|d| root.join(d)).collect();
    for dir in &stack {
        assert!(
            dir.is_dir(),
            "{} is missing from the real data",
            dir.display()
        );
    }
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir)
            .expect("read example folder")
            .flatten()
        {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("xml"))
            {
                let name = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                out.push((name, path));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_official_example_imports_with_totals_that_add_up() {
    let Some(root) = realdata() else { return };
    let docs = examples(&root);
    assert!(docs.len() > 60, "only {} examples found", docs.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, path) in &docs {
        let bytes = std::fs::read(path).expect("read example");
        let allowed = ALLOWED.iter().find(|(n, _)| n == name);
        match (einvoice::parse(&bytes), allowed) {
            (Ok(e), None) => {
                let computed = einvoice::totals::compute(&e.document).expect("amounts parse");
                let printed = &e.document.totals;
                let same = |a: &str, b: &str| {
                    a.parse::<rust_decimal::Decimal>().ok()
                        == b.parse::<rust_decimal::Decimal>().ok()
                };
                for (term, p, c) in [
                    ("line total", &printed.line_total, &computed.line_total),
                    (
                        "tax-exclusive",
                        &printed.tax_exclusive,
                        &computed.tax_exclusive,
                    ),
                    (
                        "tax-inclusive",
                        &printed.tax_inclusive,
                        &computed.tax_inclusive,
                    ),
                    ("payable", &printed.payable, &computed.payable),
                ] {
                    if !same(p, c) {
                        failures.push(format!("{name}: {term} printed {p}, computed {c}"));
                    }
                }
                checked += 1;
            }
            (Err(reason), None) => failures.push(format!("{name}: {reason}")),
            (Ok(_), Some((_, why))) => failures.push(format!(
                "{name} is allow-listed ({why}) but imports: remove it from ALLOWED"
            )),
            (Err(_), Some(_)) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n{}",
        failures.len(),
        docs.len(),
        failures.join("\n")
    );
    eprintln!("{checked} examples imported, totals equal to the printed ones");
}
