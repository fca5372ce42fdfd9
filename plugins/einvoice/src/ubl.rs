//! UBL 2.1 `Invoice` and `CreditNote` (EN 16931 UBL syntax binding, Peppol BIS Billing 3,
//! XRechnung UBL) to the contract's document and buyer.

use crate::model::{EInvoice, Reader, identifiers, party_key, xs_date};
use credence_plugin_sdk::types::{
    Address, AllowanceCharge, Contact, Customer, Document, DocumentLine, DocumentStatus,
    PaymentTerms, TaxSubtotal, Totals,
};
use credence_plugin_sdk::xml::roxmltree::Node;
use credence_plugin_sdk::xml::{at, attr, child, children, own_text, text};

/// UNCL 1001 codes that make an `Invoice` document a credit note.
const CREDIT_TYPE_CODES: &[&str] = &["381", "396", "81", "83", "532"];

/// Map a UBL root element (`Invoice` or `CreditNote`).
pub fn parse(root: Node<'_, '_>, r: &mut Reader) -> Option<EInvoice> {
    let is_credit_root = root.tag_name().name() == "CreditNote";
    let (type_path, line_name, quantity_name) = if is_credit_root {
        ("CreditNoteTypeCode", "CreditNoteLine", "CreditedQuantity")
    } else {
        ("InvoiceTypeCode", "InvoiceLine", "InvoicedQuantity")
    };
    let type_code = r.required(root, type_path, "BT-3 invoice type code");
    let credit_note = is_credit_root
        || type_code
            .as_deref()
            .is_some_and(|c| CREDIT_TYPE_CODES.contains(&c));
    let number = r.required(root, "ID", "BT-1 invoice number");
    let issue_date = r
        .required(root, "IssueDate", "BT-2 issue date")
        .map(|d| xs_date(&d));
    let currency = r.required(root, "DocumentCurrencyCode", "BT-5 currency");
    // BT-27; the trading name stands in when a sender omits it (the Greek Peppol example
    // does): the seller is the user, and its name decides nothing in credit control.
    let seller = at(root, "AccountingSupplierParty/Party");
    if seller
        .and_then(|p| {
            text(p, "PartyLegalEntity/RegistrationName").or_else(|| text(p, "PartyName/Name"))
        })
        .is_none()
    {
        r.missing("BT-27 seller name");
    }

    let buyer_party = at(root, "AccountingCustomerParty/Party");
    let buyer = buyer_party.and_then(|p| buyer(p, r));

    let totals_node = at(root, "LegalMonetaryTotal");
    let amount = |r: &mut Reader, name: &str, term: &str| -> Option<String> {
        match totals_node {
            Some(t) => r.required(t, name, term),
            None => None,
        }
    };
    if totals_node.is_none() {
        r.missing("BG-22 document totals (LegalMonetaryTotal)");
    }
    let line_total = amount(r, "LineExtensionAmount", "BT-106 sum of line net amounts");
    let tax_exclusive = amount(r, "TaxExclusiveAmount", "BT-109 total without VAT");
    let tax_inclusive = amount(r, "TaxInclusiveAmount", "BT-112 total with VAT");
    let payable = amount(r, "PayableAmount", "BT-115 amount due for payment");
    let optional = |name: &str| totals_node.and_then(|t| text(t, name));

    // The tax total in the document currency (BT-110); a second TaxTotal holds BT-111 in the
    // tax accounting currency and has no breakdown.
    let tax_totals: Vec<Node<'_, '_>> = children(root, "TaxTotal").collect();
    let doc_tax_total = tax_totals
        .iter()
        .find(|t| {
            attr(**t, "TaxAmount", "currencyID").as_deref() == currency.as_deref()
                || currency.is_none()
        })
        .or_else(|| tax_totals.first());
    let tax_total = doc_tax_total.and_then(|t| text(*t, "TaxAmount"));
    let tax_breakdown: Vec<TaxSubtotal> = doc_tax_total
        .into_iter()
        .flat_map(|t| children(*t, "TaxSubtotal"))
        .map(|s| TaxSubtotal {
            category: text(s, "TaxCategory/ID").unwrap_or_default(),
            rate: text(s, "TaxCategory/Percent"),
            taxable_amount: text(s, "TaxableAmount").unwrap_or_default(),
            tax_amount: text(s, "TaxAmount").unwrap_or_default(),
            exemption_reason: text(s, "TaxCategory/TaxExemptionReason"),
        })
        .collect();

    let lines: Vec<DocumentLine> = children(root, line_name)
        .enumerate()
        .map(|(i, l)| line(l, i, quantity_name, r))
        .collect();
    if lines.is_empty() {
        r.missing("BG-25 invoice line (at least one)");
    }
    let allowances_charges: Vec<AllowanceCharge> = children(root, "AllowanceCharge")
        .map(|a| AllowanceCharge {
            is_charge: text(a, "ChargeIndicator").is_some_and(|c| c.eq_ignore_ascii_case("true")),
            amount: text(a, "Amount").unwrap_or_default(),
            reason: text(a, "AllowanceChargeReason")
                .or_else(|| text(a, "AllowanceChargeReasonCode")),
            tax_category: text(a, "TaxCategory/ID"),
            tax_rate: text(a, "TaxCategory/Percent"),
        })
        .collect();

    let due_date = text(root, "DueDate")
        .or_else(|| text(root, "PaymentMeans/PaymentDueDate"))
        .map(|d| xs_date(&d));
    let terms = text(root, "PaymentTerms/Note").map(|note| PaymentTerms {
        description: Some(note),
        net_days: None,
        discount_percent: None,
        discount_days: None,
    });
    let note = children(root, "Note")
        .filter_map(own_text)
        .collect::<Vec<_>>()
        .join("\n");

    let (Some(number), Some(issue_date), Some(currency), Some((buyer_id, buyer))) =
        (number, issue_date, currency, buyer)
    else {
        return None;
    };
    let totals = Totals {
        line_total: line_total.unwrap_or_default(),
        allowance_total: optional("AllowanceTotalAmount"),
        charge_total: optional("ChargeTotalAmount"),
        tax_exclusive: tax_exclusive.unwrap_or_default(),
        // A document without VAT (e.g. outside scope) may print no tax amount: zero.
        tax_total: tax_total.unwrap_or_else(|| "0".into()),
        tax_inclusive: tax_inclusive.unwrap_or_default(),
        prepaid: optional("PrepaidAmount"),
        rounding: optional("PayableRoundingAmount"),
        payable: payable.unwrap_or_default(),
    };
    let mut document = Document::new(number, buyer_id.clone(), issue_date, currency, totals);
    document.status = DocumentStatus::Open;
    document.due_date = due_date;
    document.amount_outstanding = Some(document.totals.payable.clone());
    document.lines = lines;
    document.allowances_charges = allowances_charges;
    document.tax_breakdown = tax_breakdown;
    document.terms = terms;
    document.order_reference = text(root, "OrderReference/ID");
    document.contract_reference = text(root, "ContractDocumentReference/ID");
    document.preceding_invoice = text(root, "BillingReference/InvoiceDocumentReference/ID");
    document.delivery_date = text(root, "Delivery/ActualDeliveryDate").map(|d| xs_date(&d));
    document.note = (!note.is_empty()).then_some(note);
    Some(EInvoice {
        credit_note,
        buyer_id,
        buyer,
        document,
    })
}

fn line(l: Node<'_, '_>, index: usize, quantity_name: &str, r: &mut Reader) -> DocumentLine {
    let label = format!(
        "line {}",
        text(l, "ID").unwrap_or_else(|| (index + 1).to_string())
    );
    let net_amount = r
        .required(
            l,
            "LineExtensionAmount",
            &format!("BT-131 net amount of {label}"),
        )
        .unwrap_or_default();
    let price = text(l, "Price/PriceAmount");
    let base = text(l, "Price/BaseQuantity");
    DocumentLine {
        description: text(l, "Item/Name").or_else(|| text(l, "Item/Description")),
        quantity: text(l, quantity_name),
        unit_price: crate::model::per_unit(price, base),
        net_amount,
        tax_category: text(l, "Item/ClassifiedTaxCategory/ID"),
        tax_rate: text(l, "Item/ClassifiedTaxCategory/Percent"),
        item_id: text(l, "Item/SellersItemIdentification/ID"),
    }
}

/// The buyer (BG-7) and the key that identifies it across documents.
fn buyer(p: Node<'_, '_>, r: &mut Reader) -> Option<(String, Customer)> {
    let legal_name = text(p, "PartyLegalEntity/RegistrationName");
    let trading_name = text(p, "PartyName/Name");
    let Some(name) = legal_name.clone().or_else(|| trading_name.clone()) else {
        r.missing("BT-44 buyer name");
        return None;
    };
    let country = text(p, "PostalAddress/Country/IdentificationCode");
    let vat = children(p, "PartyTaxScheme")
        .find(|s| text(*s, "TaxScheme/ID").is_none_or(|id| id.eq_ignore_ascii_case("VAT")))
        .and_then(|s| text(s, "CompanyID"));
    let legal_id = text(p, "PartyLegalEntity/CompanyID");
    let legal_scheme = attr(p, "PartyLegalEntity/CompanyID", "schemeID");
    let party_id = text(p, "PartyIdentification/ID");
    let party_scheme = attr(p, "PartyIdentification/ID", "schemeID");
    let endpoint = text(p, "EndpointID");
    let endpoint_scheme = attr(p, "EndpointID", "schemeID");
    let ids = identifiers(
        vat.as_deref(),
        legal_id.as_deref().map(|v| (v, legal_scheme.as_deref())),
        [
            party_id.as_deref().map(|v| (v, party_scheme.as_deref())),
            endpoint.as_deref().map(|v| (v, endpoint_scheme.as_deref())),
        ],
        country.as_deref(),
    );
    let key = party_key(
        party_id.as_deref(),
        vat.as_deref(),
        legal_id.as_deref(),
        endpoint.as_deref(),
        &name,
    );
    let address = child(p, "PostalAddress").map(|a| Address {
        lines: ["StreetName", "AdditionalStreetName", "AddressLine/Line"]
            .iter()
            .filter_map(|f| text(a, f))
            .collect(),
        city: text(a, "CityName"),
        postal_code: text(a, "PostalZone"),
        region: text(a, "CountrySubentity"),
        country: country.clone(),
    });
    let contact = child(p, "Contact").map(|c| Contact {
        name: text(c, "Name"),
        email: text(c, "ElectronicMail"),
        phone: text(c, "Telephone"),
        role: Some("accounts".into()),
    });
    let mut customer = Customer::named(trading_name.unwrap_or(name));
    customer.legal_name = legal_name;
    customer.identifiers = ids;
    customer.addresses = address.into_iter().collect();
    customer.contacts = contact.into_iter().collect();
    Some((key, customer))
}
