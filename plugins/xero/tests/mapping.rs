//! Pages mapped directly ([`xero::map_page`]): what the fuzz target
//! (`fuzz/fuzz_targets/xero_json.rs`) found stays fixed.

use credence_plugin_sdk::types::RecordBody;

fn outcomes(stream: &str, body: &str) -> Vec<String> {
    let page = xero::map_page(stream, body.as_bytes()).expect("a page");
    page.records
        .iter()
        .map(|r| match &r.body {
            Some(RecordBody::Rejected(reason)) => format!("rejected: {reason}"),
            Some(RecordBody::Invoice(d)) => format!(
                "invoice {} updated {}",
                d.number,
                r.remote_updated_at.as_deref().unwrap_or("-")
            ),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Finding: an `UpdatedDateUTC` whose 20th byte falls inside a character panicked
/// (`byte index 19 is not a char boundary`); it is now no instant, like any other text that is
/// not one.
#[test]
fn an_updated_date_cut_inside_a_character_is_not_an_instant() {
    let body = r#"{"Invoices":[{"Type":"ACCREC","InvoiceID":"i1","InvoiceNumber":"INV-1",
        "Contact":{"ContactID":"c1"},"Date":"2019-03-05","CurrencyCode":"NZD","Total":1,
        "UpdatedDateUTC":"2019-03-05T18:59:0é"}]}"#;
    assert_eq!(outcomes("invoices", body), ["invoice INV-1 updated -"]);
}

/// Finding: line amounts whose sum (or net of an inclusive line) does not fit a decimal
/// panicked (`Addition overflowed`); the invoice is rejected with its JSON, the next one is
/// mapped.
#[test]
fn line_amounts_that_overflow_their_sum_reject_the_invoice() {
    let max = "79228162514264337593543950335";
    let body = format!(
        r#"{{"Invoices":[
        {{"Type":"ACCREC","InvoiceID":"i1","Contact":{{"ContactID":"c1"}},"Date":"2019-03-05",
          "CurrencyCode":"NZD","Total":1,"LineItems":[{{"LineAmount":"{max}"}},{{"LineAmount":"{max}"}}]}},
        {{"Type":"ACCREC","InvoiceID":"i2","Contact":{{"ContactID":"c1"}},"Date":"2019-03-05",
          "CurrencyCode":"NZD","Total":1,"LineAmountTypes":"Inclusive",
          "LineItems":[{{"LineAmount":"{max}","TaxAmount":-1}}]}},
        {{"Type":"ACCREC","InvoiceID":"i3","InvoiceNumber":"INV-3","Contact":{{"ContactID":"c1"}},
          "Date":"2019-03-05","CurrencyCode":"NZD","Total":1,"LineItems":[{{"LineAmount":1}}]}}
        ]}}"#
    );
    let outcomes = outcomes("invoices", &body);
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    for (i, id) in [(0, "i1"), (1, "i2")] {
        assert!(
            outcomes[i].starts_with(&format!("rejected: Xero invoice {id}: "))
                && outcomes[i].contains("do not add up within a decimal"),
            "{outcomes:?}"
        );
    }
    assert_eq!(outcomes[2], "invoice INV-3 updated -");
}
