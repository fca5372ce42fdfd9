//! UN/CEFACT Cross Industry Invoice D16B (EN 16931 CII syntax binding: XRechnung CII,
//! Factur-X / ZUGFeRD XML) to the contract's document and buyer.

use crate::model::{EInvoice, Reader, cii_date, identifiers, party_key, per_unit};
use credence_plugin_sdk::types::{
    Address, AllowanceCharge, Contact, Customer, Document, DocumentLine, DocumentStatus,
    PaymentTerms, TaxSubtotal, Totals,
};
use credence_plugin_sdk::xml::roxmltree::Node;
use credence_plugin_sdk::xml::{at, attr, child, children, own_text, text};

const CREDIT_TYPE_CODES: &[&str] = &["381", "396", "81", "83", "532"];

fn date(node: Node<'_, '_>, path: &str) -> Option<String> {
    let n = at(node, path)?;
    let s = child(n, "DateTimeString")?;
    Some(cii_date(&own_text(s)?, s.attribute("format")))
}

/// Map a CII root element (`CrossIndustryInvoice`).
pub fn parse(root: Node<'_, '_>, r: &mut Reader) -> Option<EInvoice> {
    let header = child(root, "ExchangedDocument");
    let transaction = child(root, "SupplyChainTradeTransaction");
    let (Some(header), Some(transaction)) = (header, transaction) else {
        r.missing("ExchangedDocument and SupplyChainTradeTransaction");
        return None;
    };
    let number = r.required(header, "ID", "BT-1 invoice number");
    let type_code = r.required(header, "TypeCode", "BT-3 invoice type code");
    let credit_note = type_code
        .as_deref()
        .is_some_and(|c| CREDIT_TYPE_CODES.contains(&c));
    let issue_date = date(header, "IssueDateTime");
    if issue_date.is_none() {
        r.missing("BT-2 issue date");
    }
    let agreement = child(transaction, "ApplicableHeaderTradeAgreement");
    let settlement = child(transaction, "ApplicableHeaderTradeSettlement");
    let (Some(agreement), Some(settlement)) = (agreement, settlement) else {
        r.missing("ApplicableHeaderTradeAgreement and ApplicableHeaderTradeSettlement");
        return None;
    };
    r.required(agreement, "SellerTradeParty/Name", "BT-27 seller name");
    let currency = r.required(settlement, "InvoiceCurrencyCode", "BT-5 currency");
    let buyer = child(agreement, "BuyerTradeParty").and_then(|p| buyer(p, r));
    if child(agreement, "BuyerTradeParty").is_none() {
        r.missing("BG-7 buyer");
    }

    let sums = child(
        settlement,
        "SpecifiedTradeSettlementHeaderMonetarySummation",
    );
    if sums.is_none() {
        r.missing("BG-22 document totals (SpecifiedTradeSettlementHeaderMonetarySummation)");
    }
    let mut amount = |name: &str, term: &str| sums.and_then(|s| r.required(s, name, term));
    let line_total = amount("LineTotalAmount", "BT-106 sum of line net amounts");
    let tax_exclusive = amount("TaxBasisTotalAmount", "BT-109 total without VAT");
    let tax_inclusive = amount("GrandTotalAmount", "BT-112 total with VAT");
    let payable = amount("DuePayableAmount", "BT-115 amount due for payment");
    let optional = |name: &str| sums.and_then(|s| text(s, name));
    // BT-110 is the TaxTotalAmount in the invoice currency; BT-111 repeats it in the tax currency.
    let tax_total = sums.and_then(|s| {
        children(s, "TaxTotalAmount")
            .find(|t| {
                t.attribute("currencyID")
                    .is_none_or(|c| Some(c) == currency.as_deref())
            })
            .and_then(own_text)
    });

    let tax_breakdown: Vec<TaxSubtotal> = children(settlement, "ApplicableTradeTax")
        .map(|t| TaxSubtotal {
            category: text(t, "CategoryCode").unwrap_or_default(),
            rate: text(t, "RateApplicablePercent"),
            taxable_amount: text(t, "BasisAmount").unwrap_or_default(),
            tax_amount: text(t, "CalculatedAmount").unwrap_or_default(),
            exemption_reason: text(t, "ExemptionReason"),
        })
        .collect();
    let allowances_charges: Vec<AllowanceCharge> =
        children(settlement, "SpecifiedTradeAllowanceCharge")
            .map(|a| AllowanceCharge {
                is_charge: text(a, "ChargeIndicator/Indicator")
                    .is_some_and(|c| c.eq_ignore_ascii_case("true")),
                amount: text(a, "ActualAmount").unwrap_or_default(),
                reason: text(a, "Reason").or_else(|| text(a, "ReasonCode")),
                tax_category: text(a, "CategoryTradeTax/CategoryCode"),
                tax_rate: text(a, "CategoryTradeTax/RateApplicablePercent"),
            })
            .collect();
    let lines: Vec<DocumentLine> = children(transaction, "IncludedSupplyChainTradeLineItem")
        .enumerate()
        .map(|(i, l)| line(l, i, r))
        .collect();
    if lines.is_empty() {
        r.missing("BG-25 invoice line (at least one)");
    }
    let terms_node = child(settlement, "SpecifiedTradePaymentTerms");
    let due_date = terms_node.and_then(|t| date(t, "DueDateDateTime"));
    let terms = terms_node
        .and_then(|t| text(t, "Description"))
        .map(|d| PaymentTerms {
            description: Some(d),
            net_days: None,
            discount_percent: None,
            discount_days: None,
        });
    let note = children(header, "IncludedNote")
        .filter_map(|n| text(n, "Content"))
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
        tax_total: tax_total.unwrap_or_else(|| "0".into()),
        tax_inclusive: tax_inclusive.unwrap_or_default(),
        prepaid: optional("TotalPrepaidAmount"),
        rounding: optional("RoundingAmount"),
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
    document.order_reference = text(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID");
    document.contract_reference = text(agreement, "ContractReferencedDocument/IssuerAssignedID");
    document.preceding_invoice = text(settlement, "InvoiceReferencedDocument/IssuerAssignedID");
    document.delivery_date = child(transaction, "ApplicableHeaderTradeDelivery")
        .and_then(|d| date(d, "ActualDeliverySupplyChainEvent/OccurrenceDateTime"));
    document.note = (!note.is_empty()).then_some(note);
    Some(EInvoice {
        credit_note,
        buyer_id,
        buyer,
        document,
    })
}

fn line(l: Node<'_, '_>, index: usize, r: &mut Reader) -> DocumentLine {
    let label = format!(
        "line {}",
        text(l, "AssociatedDocumentLineDocument/LineID").unwrap_or_else(|| (index + 1).to_string())
    );
    let net_amount = r
        .required(
            l,
            "SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
            &format!("BT-131 net amount of {label}"),
        )
        .unwrap_or_default();
    let price = at(l, "SpecifiedLineTradeAgreement/NetPriceProductTradePrice");
    DocumentLine {
        description: text(l, "SpecifiedTradeProduct/Name")
            .or_else(|| text(l, "SpecifiedTradeProduct/Description")),
        quantity: text(l, "SpecifiedLineTradeDelivery/BilledQuantity"),
        unit_price: per_unit(
            price.and_then(|p| text(p, "ChargeAmount")),
            price.and_then(|p| text(p, "BasisQuantity")),
        ),
        net_amount,
        tax_category: text(
            l,
            "SpecifiedLineTradeSettlement/ApplicableTradeTax/CategoryCode",
        ),
        tax_rate: text(
            l,
            "SpecifiedLineTradeSettlement/ApplicableTradeTax/RateApplicablePercent",
        ),
        item_id: text(l, "SpecifiedTradeProduct/SellerAssignedID"),
    }
}

fn buyer(p: Node<'_, '_>, r: &mut Reader) -> Option<(String, Customer)> {
    let Some(name) = text(p, "Name") else {
        r.missing("BT-44 buyer name");
        return None;
    };
    let country = text(p, "PostalTradeAddress/CountryID");
    let vat = children(p, "SpecifiedTaxRegistration")
        .find(|t| attr(*t, "ID", "schemeID").is_none_or(|s| s == "VA"))
        .and_then(|t| text(t, "ID"));
    let legal_id = text(p, "SpecifiedLegalOrganization/ID");
    let legal_scheme = attr(p, "SpecifiedLegalOrganization/ID", "schemeID");
    let party_id = text(p, "ID");
    let global_id = text(p, "GlobalID");
    let global_scheme = attr(p, "GlobalID", "schemeID");
    let endpoint = text(p, "URIUniversalCommunication/URIID");
    let endpoint_scheme = attr(p, "URIUniversalCommunication/URIID", "schemeID");
    let ids = identifiers(
        vat.as_deref(),
        legal_id.as_deref().map(|v| (v, legal_scheme.as_deref())),
        [
            global_id.as_deref().map(|v| (v, global_scheme.as_deref())),
            endpoint.as_deref().map(|v| (v, endpoint_scheme.as_deref())),
        ],
        country.as_deref(),
    );
    let key = party_key(
        party_id.as_deref().or(global_id.as_deref()),
        vat.as_deref(),
        legal_id.as_deref(),
        endpoint.as_deref(),
        &name,
    );
    let address = child(p, "PostalTradeAddress").map(|a| Address {
        lines: ["LineOne", "LineTwo", "LineThree"]
            .iter()
            .filter_map(|f| text(a, f))
            .collect(),
        city: text(a, "CityName"),
        postal_code: text(a, "PostcodeCode"),
        region: text(a, "CountrySubDivisionName"),
        country: country.clone(),
    });
    let contact = child(p, "DefinedTradeContact").map(|c| Contact {
        name: text(c, "PersonName"),
        email: text(c, "EmailURIUniversalCommunication/URIID"),
        phone: text(c, "TelephoneUniversalCommunication/CompleteNumber"),
        role: Some("accounts".into()),
    });
    // BT-44 is the legal name; BT-45, the trading name, is what people call the buyer.
    let trading = text(p, "SpecifiedLegalOrganization/TradingBusinessName");
    let mut customer = Customer::named(trading.unwrap_or_else(|| name.clone()));
    customer.legal_name = Some(name);
    customer.identifiers = ids;
    customer.addresses = address.into_iter().collect();
    customer.contacts = contact.into_iter().collect();
    Some((key, customer))
}
