//! A test bureau: answers every lookup with two pages of reports derived from the subject.

use credence_plugin_sdk::types::{
    CreditEvent, CreditEventKind, CreditReport, Money, RecordBody, Score,
};
use credence_plugin_sdk::{
    Bureau, CompanySubject, Description, Page, PluginError, SourceRecord, paging,
};

/// The connector (public: natively, outside wasm, nothing else refers to it).
pub struct TestBureau;

impl Bureau for TestBureau {
    fn describe() -> Description {
        Description::bureau("test-bureau", env!("CARGO_PKG_VERSION")).stream("reports", false)
    }

    fn lookup(subject: CompanySubject, cursor: Option<String>) -> Result<Page, PluginError> {
        let page: u32 = paging::decode_cursor(cursor.as_deref())?;
        let report = CreditReport {
            subject_name: subject.name.clone(),
            identifiers: subject.identifiers.clone(),
            report_date: credence_plugin_sdk::clock::now().chars().take(10).collect(),
            source: "test-bureau".into(),
            score: Some(Score {
                value: if page == 0 { "72".into() } else { "41".into() },
                scale_min: "0".into(),
                scale_max: "100".into(),
                higher_is_better: true,
            }),
            rating: Some(if page == 0 { "B".into() } else { "D".into() }),
            previous_rating: (page == 1).then(|| "B".into()),
            recommended_limit: Some(Money {
                amount: "25000".into(),
                currency: "EUR".into(),
            }),
            company_status: Some("active".into()),
            events: if page == 1 {
                vec![CreditEvent {
                    kind: CreditEventKind::RatingChange,
                    date: None,
                    description: "rating lowered from B to D".into(),
                }]
            } else {
                Vec::new()
            },
        };
        let id = subject
            .identifiers
            .first()
            .map(|i| i.value.clone())
            .unwrap_or_else(|| subject.name.clone());
        let record = SourceRecord::new(
            format!("{id}#{page}"),
            None,
            RecordBody::CreditReport(report),
        );
        Ok(if page == 0 {
            paging::more(vec![record], &1u32)
        } else {
            paging::last(vec![record], &page)
        })
    }
}

credence_plugin_sdk::export_bureau!(TestBureau);
