//! Every Xero example payload from the published OpenAPI document (third-party data read from
//! `../shared/realdata` or `$CREDENCE_REALDATA`) maps to the contract: contacts, invoices,
//! credit notes and payments, none rejected.

use credence_plugin_sdk::types::RecordBody;
use std::path::PathBuf;

fn examples() -> Option<PathBuf> {
    credence_plugin_sdk::harness::realdata("xero-openapi/extracted-examples")
}

#[test]
fn every_published_example_maps_to_the_common_model() {
    let Some(dir) = examples() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("__response200"))
        .collect();
    files.sort();
    let mut mapped = std::collections::BTreeMap::<&str, usize>::new();
    let mut problems = Vec::new();
    for path in &files {
        let body = std::fs::read(path).expect("read");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("example is JSON");
        for (key, stream) in [
            ("Contacts", "customers"),
            ("Invoices", "invoices"),
            ("CreditNotes", "credit-notes"),
            ("Payments", "payments"),
        ] {
            // Only the endpoint's own responses: `ContactGroups/{id}/Contacts` lists bare
            // ContactIDs (group membership), not contacts.
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if json.get(key).is_none() || !name.is_some_and(|n| n.starts_with(key)) {
                continue;
            }
            let page = xero::map_page(stream, &body)
                .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
            for r in page.records {
                match &r.body {
                    Some(RecordBody::Rejected(reason)) => {
                        problems.push(format!("{}: {reason}", path.display()))
                    }
                    Some(_) => *mapped.entry(stream).or_default() += 1,
                    None => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The examples hold 7 contacts, 7 sales invoices, 2 customer credit notes (4 more are
    // supplier credits, ACCPAYCREDIT, which credit control skips) and 4 customer payments.
    for (stream, at_least) in [
        ("customers", 7),
        ("invoices", 7),
        ("credit-notes", 2),
        ("payments", 4),
    ] {
        assert!(
            mapped.get(stream).copied().unwrap_or(0) >= at_least,
            "too few {stream} examples mapped: {mapped:?}"
        );
    }
    eprintln!("mapped {mapped:?}");
}
