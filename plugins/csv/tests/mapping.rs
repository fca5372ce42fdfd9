//! The mapping of rows, called directly on a file's bytes ([`csv_ledger::parse_page`]): what the
//! fuzz target (`fuzz/fuzz_targets/csv_mapping.rs`) found stays fixed.

use credence_plugin_sdk::types::RecordBody;
use csv_ledger::columns::Renames;

fn reasons(file: &str) -> Vec<String> {
    let page = csv_ledger::parse_page(
        "invoices",
        "invoices.csv",
        file.as_bytes(),
        0,
        b',',
        &Renames::default(),
    )
    .expect("the header has the required columns");
    assert!(page.done);
    page.records
        .iter()
        // A read from the first row starts with the file's withdrawal marker (`FILE:*`).
        .filter(|r| !(r.deleted && r.remote_id.ends_with(":*")))
        .map(|r| match &r.body {
            Some(RecordBody::Rejected(reason)) => reason.clone(),
            Some(RecordBody::Invoice(d)) => format!("invoice payable {}", d.totals.payable),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Fuzzing finding: a net, tax or payable worked out from amounts at the edge of what a
/// decimal holds overflowed and panicked (`Subtraction overflowed`); the row is now rejected
/// with the reason, and the rows around it are mapped.
#[test]
fn amounts_whose_difference_overflows_reject_the_row() {
    let max = "79228162514264337593543950335";
    let file = format!(
        "number,customer_id,issue_date,currency,total,tax,net,prepaid\n\
         N1,C1,2026-01-01,EUR,{max},-1,,\n\
         N2,C1,2026-01-01,EUR,-{max},,1,\n\
         N3,C1,2026-01-01,EUR,{max},0,{max},-1\n\
         N4,C1,2026-01-01,EUR,119,19,100,19\n"
    );
    let reasons = reasons(&file);
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons[0].contains("line 2") && reasons[0].contains("net = total less tax"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("tax = total less net"), "{reasons:?}");
    assert!(
        reasons[2].contains("payable = total less prepaid"),
        "{reasons:?}"
    );
    assert_eq!(reasons[3], "invoice payable 100");
}
