//! The invoice the store and credit benchmarks write: three lines of 10.50 x 1, 2, 3 at 20 % VAT
//! (75.60 payable), open or paid.

use chrono::{DateTime, NaiveDate, Utc};
use credence_model::{
    Body, Currency, Document, DocumentLine, DocumentStatus, Origin, Record, RecordKind, Totals,
};
use rust_decimal::Decimal;

/// Invoice `i` of `customer`, issued on `issue` and due 30 days later.
pub fn invoice(
    i: usize,
    customer: String,
    issue: NaiveDate,
    open: bool,
    updated: Option<DateTime<Utc>>,
) -> Record {
    let line = |n: i64| DocumentLine {
        description: Some(format!("Item {n}")),
        quantity: Some(Decimal::new(n, 0)),
        unit_price: Some(Decimal::new(1050, 2)),
        net_amount: Decimal::new(1050 * n, 2),
        tax_category: Some("S".into()),
        tax_rate: Some(Decimal::new(20, 0)),
        item_id: None,
    };
    let net = Decimal::new(1050 * 6, 2);
    let tax = net * Decimal::new(2, 1);
    Record {
        origin: Origin {
            connection: "books".into(),
            remote_id: format!("inv-{i:07}"),
            remote_updated_at: updated,
            deleted: false,
            raw: None,
        },
        kind: RecordKind::Invoice,
        body: Some(Body::Invoice(Document {
            number: format!("INV-{i:07}"),
            customer_remote_id: customer,
            issue_date: issue,
            due_date: Some(issue + chrono::Duration::days(30)),
            currency: Currency::parse("EUR").expect("EUR"),
            lines: vec![line(1), line(2), line(3)],
            allowances_charges: vec![],
            tax_breakdown: vec![],
            totals: Totals {
                line_total: net,
                allowance_total: Decimal::ZERO,
                charge_total: Decimal::ZERO,
                tax_exclusive: net,
                tax_total: tax,
                tax_inclusive: net + tax,
                prepaid: Decimal::ZERO,
                rounding: Decimal::ZERO,
                payable: net + tax,
            },
            amount_outstanding: if open { net + tax } else { Decimal::ZERO },
            outstanding_stated: true,
            status: if open {
                DocumentStatus::Open
            } else {
                DocumentStatus::Paid
            },
            terms: None,
            order_reference: None,
            contract_reference: None,
            preceding_invoice: None,
            delivery_date: None,
            exchange_rate: None,
            note: None,
        })),
    }
}
