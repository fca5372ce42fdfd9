//! Bodies mapped directly ([`quickbooks::records_in`]): what the fuzz targets
//! (`fuzz/fuzz_targets/quickbooks_json.rs`, `quickbooks_xml.rs`) found stays fixed.

use credence_plugin_sdk::types::RecordBody;

fn outcomes(body: &str) -> Vec<String> {
    let (records, _) =
        quickbooks::records_in(body.as_bytes(), None, "page", Some("USD")).expect("a page");
    records
        .iter()
        .map(|r| match &r.body {
            Some(RecordBody::Rejected(reason)) => format!("rejected: {reason}"),
            Some(RecordBody::Invoice(d)) => format!("invoice {}", d.number),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Finding: sales lines, discounts or a tax-inclusive total less tax that do not fit a decimal
/// panicked (`Addition overflowed`, `Subtraction overflowed`); the document is rejected with
/// its JSON and the next one is mapped.
#[test]
fn amounts_that_overflow_their_sum_reject_the_document() {
    let max = "79228162514264337593543950335";
    let head = r#""TxnDate":"2026-01-02","CustomerRef":"1","TotalAmt":1"#;
    let sales = format!(r#"{{"Amount":"{max}","DetailType":"SalesItemLineDetail"}}"#);
    let discount = format!(r#"{{"Amount":"{max}","DetailType":"DiscountLineDetail"}}"#);
    let body = format!(
        r#"{{"QueryResponse":{{"Invoice":[
        {{"Id":"1",{head},"Line":[{sales},{sales}]}},
        {{"Id":"2",{head},"Line":[{discount},{{"DetailType":"GroupLineDetail","GroupLineDetail":{{"Line":[{discount}]}}}}]}},
        {{"Id":"3",{head},"Line":[{{"Amount":"-{max}","DetailType":"SalesItemLineDetail"}},{discount}]}},
        {{"Id":"4","TxnDate":"2026-01-02","CustomerRef":"1","TotalAmt":"-{max}",
          "GlobalTaxCalculation":"TaxInclusive","TxnTaxDetail":{{"TotalTax":1}}}},
        {{"Id":"5","DocNumber":"1005",{head},"Line":[{{"Amount":1,"DetailType":"SalesItemLineDetail"}}]}}
        ]}}}}"#
    );
    let outcomes = outcomes(&body);
    assert_eq!(outcomes.len(), 5, "{outcomes:?}");
    for (i, id) in ["1", "2", "3", "4"].iter().enumerate() {
        assert!(
            outcomes[i].starts_with(&format!("rejected: QuickBooks invoice {id}: "))
                && outcomes[i].contains("do not add up within a decimal"),
            "{outcomes:?}"
        );
    }
    assert_eq!(outcomes[4], "invoice 1005");
}
