//! The mapping of our own fixtures, and the reasons each kind of bad document is refused with.
//! Each case edits a valid fixture in one place and states what the connector must say.

const UBL: &str = include_str!("fixtures/ubl-invoice.xml");
const CII: &str = include_str!("fixtures/cii-credit-note.xml");

#[test]
fn a_ubl_invoice_maps_to_the_document_and_its_buyer() {
    let e = einvoice::parse(UBL.as_bytes()).expect("valid fixture");
    assert!(!e.credit_note);
    assert_eq!(e.buyer_id, "vat:DE123456789");
    assert_eq!(e.buyer.name, "Kunde Handel");
    assert_eq!(e.buyer.legal_name.as_deref(), Some("Kunde Handel AG"));
    let schemes: Vec<String> = e
        .buyer
        .identifiers
        .iter()
        .map(|i| {
            format!(
                "{:?}:{}:{}",
                i.scheme,
                i.value,
                i.country.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        schemes,
        [
            "IdScheme::Vat:DE123456789:DE",
            "IdScheme::CompanyRegistration:HRB 12345:DE",
            "IdScheme::Gln:4000001000005:"
        ]
    );
    let d = &e.document;
    assert_eq!(d.number, "INV-2026-0042");
    assert_eq!(d.customer_remote_id, "vat:DE123456789");
    assert_eq!(
        (d.issue_date.as_str(), d.due_date.as_deref()),
        ("2026-10-01", Some("2026-10-31"))
    );
    assert_eq!(d.lines.len(), 2);
    // The price is per base quantity 10: one unit costs 20.
    assert_eq!(d.lines[0].unit_price.as_deref(), Some("20"));
    assert_eq!(d.allowances_charges.len(), 1);
    assert_eq!(d.totals.prepaid.as_deref(), Some("45.10"));
    assert_eq!(d.totals.payable, "300.00");
    assert_eq!(d.amount_outstanding.as_deref(), Some("300.00"));
    assert_eq!(d.order_reference.as_deref(), Some("PO-778"));
}

#[test]
fn xs_dates_with_a_time_zone_offset_are_the_day_they_name() {
    // xs:date allows an offset (hand-made: no public test document in the shared data has one).
    for (issue, due) in [
        ("2026-10-01+01:00", "2026-10-31-05:00"),
        ("2026-10-01Z", "2026-10-31Z"),
    ] {
        let edited = UBL
            .replace(
                "<cbc:IssueDate>2026-10-01</cbc:IssueDate>",
                &format!("<cbc:IssueDate>{issue}</cbc:IssueDate>"),
            )
            .replace(
                "<cbc:DueDate>2026-10-31</cbc:DueDate>",
                &format!("<cbc:DueDate>{due}</cbc:DueDate>"),
            );
        let e = einvoice::parse(edited.as_bytes()).expect("valid with an offset");
        assert_eq!(
            (
                e.document.issue_date.as_str(),
                e.document.due_date.as_deref()
            ),
            ("2026-10-01", Some("2026-10-31")),
            "{issue} {due}"
        );
    }
    // Not an xs:date: left for the host to refuse with the field named.
    let bad = UBL.replace(
        "<cbc:IssueDate>2026-10-01</cbc:IssueDate>",
        "<cbc:IssueDate>2026-10-01+1</cbc:IssueDate>",
    );
    let e = einvoice::parse(bad.as_bytes()).expect("parsed");
    assert_eq!(e.document.issue_date, "2026-10-01+1");
}

#[test]
fn a_cii_type_381_is_a_credit_note_for_the_same_buyer() {
    let e = einvoice::parse(CII.as_bytes()).expect("valid fixture");
    assert!(e.credit_note);
    assert_eq!(e.buyer_id, "vat:DE123456789");
    assert_eq!(e.document.issue_date, "2026-10-15");
    assert_eq!(
        e.document.preceding_invoice.as_deref(),
        Some("INV-2026-0042")
    );
    assert_eq!(e.document.lines[0].unit_price.as_deref(), Some("20.00"));
}

/// (name, fixture, edits as (text, replacement) applied everywhere, what the refusal must say).
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

const REFUSED: &[Case] = &[
    (
        "truncated file",
        "ubl",
        &[("</Invoice>", "")],
        "not well-formed XML",
    ),
    (
        "not an invoice",
        "ubl",
        &[("Invoice", "Order")],
        "root element is <Order>",
    ),
    (
        "no number",
        "ubl",
        &[("<cbc:ID>INV-2026-0042</cbc:ID>", "")],
        "BT-1 invoice number",
    ),
    (
        "no currency",
        "ubl",
        &[(
            "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
            "",
        )],
        "BT-5 currency",
    ),
    (
        "no buyer name",
        "ubl",
        &[
            (
                "<cac:PartyName><cbc:Name>Kunde Handel</cbc:Name></cac:PartyName>",
                "",
            ),
            (
                "<cbc:RegistrationName>Kunde Handel AG</cbc:RegistrationName>",
                "",
            ),
        ],
        "BT-44 buyer name",
    ),
    (
        "line total wrong",
        "ubl",
        &[(
            ">300.00</cbc:LineExtensionAmount>",
            ">301.00</cbc:LineExtensionAmount>",
        )],
        "BR-CO-10",
    ),
    (
        "allowance not deducted",
        "ubl",
        &[(
            ">290.00</cbc:TaxExclusiveAmount>",
            ">300.00</cbc:TaxExclusiveAmount>",
        )],
        "BR-CO-13",
    ),
    (
        "prepaid ignored",
        "ubl",
        &[(">300.00</cbc:PayableAmount>", ">345.10</cbc:PayableAmount>")],
        "BR-CO-16",
    ),
    (
        "amount not a number",
        "ubl",
        &[(">10.00</cbc:Amount>", ">ten</cbc:Amount>")],
        "\"ten\" is not a decimal amount",
    ),
    (
        "cii no lines",
        "cii",
        &[("IncludedSupplyChainTradeLineItem", "Removed")],
        "BG-25",
    ),
    (
        "cii tax sum wrong",
        "cii",
        &[(">7.60</ram:TaxTotalAmount>", ">7.70</ram:TaxTotalAmount>")],
        "BR-CO-14",
    ),
    (
        "cii no issue date",
        "cii",
        &[(
            "<udt:DateTimeString format=\"102\">20261015</udt:DateTimeString>",
            "",
        )],
        "BT-2 issue date",
    ),
    // Fuzzing finding (fuzz/fuzz_targets/einvoice_parse.rs): amounts whose sum does not fit
    // a decimal panicked in the totals check (`Addition overflowed`); they are refused.
    (
        "line amounts overflow their sum",
        "ubl",
        &[
            (
                ">200.00</cbc:LineExtensionAmount>",
                ">79228162514264337593543950335</cbc:LineExtensionAmount>",
            ),
            (
                ">100.00</cbc:LineExtensionAmount>",
                ">79228162514264337593543950335</cbc:LineExtensionAmount>",
            ),
        ],
        "the sum of line net amounts is too large for a decimal amount",
    ),
    (
        "prepaid overflows the amount due",
        "ubl",
        &[(
            ">45.10</cbc:PrepaidAmount>",
            ">-79228162514264337593543950335</cbc:PrepaidAmount>",
        )],
        "the amount due (total with VAT less paid plus rounding) is too large",
    ),
];

#[test]
fn bad_documents_are_refused_with_the_reason() {
    let mut wrong = Vec::new();
    for (name, fixture, edits, expected) in REFUSED {
        let mut edited = if *fixture == "ubl" { UBL } else { CII }.to_string();
        for (find, replace) in *edits {
            assert!(edited.contains(find), "case {name}: fixture lacks {find:?}");
            edited = edited.replace(find, replace);
        }
        match einvoice::parse(edited.as_bytes()) {
            Ok(_) => wrong.push(format!("{name}: accepted")),
            Err(reason) if !reason.contains(expected) => wrong.push(format!(
                "{name}: said {reason:?}, expected it to mention {expected:?}"
            )),
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn bytes_that_are_not_text_are_refused() {
    let reason = einvoice::parse(&[0xff, 0xfe, 0x00, 0x3c]).expect_err("binary");
    assert!(reason.contains("not UTF-8"), "{reason}");
}
