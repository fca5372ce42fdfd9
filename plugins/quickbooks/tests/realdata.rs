//! The QuickBooks Online fixtures (third-party data read from `../shared/realdata` or
//! `$CREDENCE_REALDATA`): every customer, invoice, credit memo and payment in the XML API
//! captures and the Airbyte sandbox records maps to the contract; every malformed fixture gives
//! a rejection (quarantine) or a cut-short error, never a panic.

use credence_plugin_sdk::types::RecordBody;
use std::path::PathBuf;

fn realdata() -> Option<PathBuf> {
    credence_plugin_sdk::harness::realdata("quickbooks-online")
}

/// The fixtures that are not well-formed XML (hand-edited upstream), each with how it breaks.
const MALFORMED: &[(&str, bool)] = &[
    // (file, ends early)
    ("company_currency_query.xml", false),
    ("deleted_employee.xml", true),
    ("deleted_purchase_order.xml", true),
    ("exchange_rate.xml", false),
    ("fetch_employee_by_id.xml", true),
    ("purchase_create.xml", true),
    ("tax_agencies.xml", false),
    ("tax_agency.xml", false),
    ("tax_agency_entity.xml", false),
    ("tax_service.xml", false),
    ("tax_service_entity.xml", false),
];

#[test]
fn every_fixture_maps_or_is_refused_with_a_reason() {
    let Some(dir) = realdata() else { return };
    let fixtures = dir.join("quickbooks-ruby-fixtures/spec/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        // Request bodies (what a client would send to create something) are not read.
        .filter(|p| !p.to_string_lossy().contains("_request"))
        .collect();
    files.sort();
    assert!(files.len() >= 150, "{} fixtures", files.len());
    let mut mapped = std::collections::BTreeMap::<&'static str, usize>::new();
    let mut problems = Vec::new();
    let mut malformed_seen = 0;
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let body = std::fs::read(path).expect("read");
        let result = quickbooks::records_in(&body, None, &name, Some("USD"));
        match (MALFORMED.iter().find(|(f, _)| *f == name), result) {
            (Some((_, true)), Err(e)) => {
                assert!(format!("{e:?}").contains("cut short"), "{name}: {e:?}");
                malformed_seen += 1;
            }
            (Some((_, false)), Ok((records, _))) => {
                assert!(
                    matches!(&records[..], [r] if matches!(&r.body, Some(RecordBody::Rejected(reason)) if reason.contains("neither XML nor JSON")) && r.raw.is_some()),
                    "{name}: {records:?}"
                );
                malformed_seen += 1;
            }
            (Some(_), other) => problems.push(format!("{name}: malformed but gave {other:?}")),
            // Faults (validation errors, throttling) are errors the user reads.
            (None, Err(e))
                if format!("{e:?}").contains("Fault") || format!("{e:?}").contains("SERVICE") => {}
            (None, Err(e)) => problems.push(format!("{name}: {e:?}")),
            (None, Ok((records, _))) => {
                for r in records {
                    match &r.body {
                        Some(RecordBody::Rejected(reason)) => {
                            problems.push(format!("{name}: {reason}"))
                        }
                        Some(RecordBody::Customer(_)) => {
                            *mapped.entry("customers").or_default() += 1
                        }
                        Some(RecordBody::Invoice(_)) => *mapped.entry("invoices").or_default() += 1,
                        Some(RecordBody::CreditNote(_)) => {
                            *mapped.entry("credit-notes").or_default() += 1
                        }
                        Some(RecordBody::Payment(_)) => *mapped.entry("payments").or_default() += 1,
                        None if r.deleted => *mapped.entry("deletions").or_default() += 1,
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(malformed_seen, MALFORMED.len());
    eprintln!("XML fixtures mapped: {mapped:?}");
    let expected = [
        ("credit-notes", 1),
        ("customers", 8),
        ("deletions", 10),
        ("invoices", 8),
        ("payments", 6),
    ];
    assert_eq!(
        mapped.into_iter().collect::<Vec<_>>(),
        expected,
        "entities in the fixtures, by kind"
    );
}

#[test]
fn the_airbyte_sandbox_records_map() {
    let Some(dir) = realdata() else { return };
    let text = std::fs::read_to_string(
        dir.join("airbyte-source-quickbooks/expected_records.subset.jsonl"),
    )
    .expect("jsonl");
    let mut mapped = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).expect("json line");
        let entity = match row["stream"].as_str() {
            Some("customers") => "Customer",
            Some("invoices") => "Invoice",
            Some("credit_memos") => "CreditMemo",
            Some("payments") => "Payment",
            _ => continue,
        };
        let body = serde_json::json!({ "QueryResponse": { entity: [row["data"].clone()] } });
        let (records, n) =
            quickbooks::records_in(body.to_string().as_bytes(), Some(entity), "jsonl", None)
                .expect("maps");
        assert_eq!(n, 1);
        assert!(
            !matches!(records[0].body, Some(RecordBody::Rejected(_))),
            "{line}\n{:?}",
            records[0]
        );
        mapped += 1;
    }
    assert_eq!(
        mapped, 16,
        "5 customers, 5 invoices, 1 credit memo, 5 payments"
    );
}
