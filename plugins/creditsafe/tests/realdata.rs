//! Creditsafe's recorded GlobalData SOAP responses (third-party data read from
//! `../shared/realdata` or `$CREDENCE_REALDATA`): a full report, searches with one, many and no
//! companies, error messages with and without text, a SOAP fault, a report not found.

use credence_plugin_sdk::PluginError;
use credence_plugin_sdk::types::RecordBody;

fn fixture(name: &str) -> Option<Vec<u8>> {
    let path =
        credence_plugin_sdk::harness::realdata("creditsafe-legacy-soap/spec/fixtures")?.join(name);
    std::fs::read(&path)
        .map_err(|e| panic!("{}: {e}", path.display()))
        .ok()
}

#[test]
fn a_full_report_gives_score_rating_limit_and_status() {
    let Some(body) = fixture("company-report-successful.xml") else {
        return;
    };
    let record = creditsafe::report(&body, "2026-11-25T10:00:00Z")
        .expect("parses")
        .expect("a report");
    assert_eq!(record.remote_id, "creditsafe:GB003/0/07495895");
    let Some(RecordBody::CreditReport(r)) = record.body else {
        panic!("a report")
    };
    assert_eq!(r.subject_name, "GOCARDLESS LTD");
    assert_eq!(r.report_date, "2026-11-25");
    assert_eq!(
        (r.rating.as_deref(), r.previous_rating.as_deref()),
        (Some("A"), Some("A"))
    );
    let limit = r.recommended_limit.expect("limit");
    assert_eq!(
        (limit.amount.as_str(), limit.currency.as_str()),
        ("405000", "GBP")
    );
    let score = r.score.expect("score");
    assert_eq!(
        (
            score.value.as_str(),
            score.scale_min.as_str(),
            score.scale_max.as_str()
        ),
        ("96", "0", "100")
    );
    assert_eq!(r.company_status.as_deref(), Some("active"));
    assert_eq!(r.identifiers[0].value, "07495895");
    assert_eq!(r.identifiers[0].country.as_deref(), Some("GB"));
    assert!(r.events.is_empty(), "A to A is no change: {:?}", r.events);
}

#[test]
fn searches_list_companies_or_none() {
    let Some(one) = fixture("find-companies-successful.xml") else {
        return;
    };
    let found = creditsafe::found(&one).expect("search");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "GB003/0/07495895");
    let many = creditsafe::found(&fixture("find-companies-successful-multi.xml").expect("fixture"))
        .expect("search");
    assert!(many.len() > 1, "{many:?}");
    let none = creditsafe::found(&fixture("find-companies-none-found.xml").expect("fixture"))
        .expect("search");
    assert!(none.is_empty());
    let missing = creditsafe::report(
        &fixture("company-report-not-found.xml").expect("fixture"),
        "2026-11-25",
    )
    .expect("parses");
    assert!(missing.is_none());
}

#[test]
fn errors_and_faults_are_quoted() {
    let Some(error) = fixture("find-companies-error.xml") else {
        return;
    };
    match creditsafe::found(&error) {
        Err(PluginError::Permanent(m)) => {
            assert!(
                m.contains("Invalid countries list specified") && m.contains("30102"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    match creditsafe::found(&fixture("find-companies-error-no-text.xml").expect("fixture")) {
        Err(PluginError::Permanent(m)) => assert!(m.contains("30102"), "{m}"),
        other => panic!("{other:?}"),
    }
    match creditsafe::report(&fixture("error-fault.xml").expect("fixture"), "2026-11-25") {
        Err(PluginError::Transient(m)) => assert!(m.contains("InternalServiceFault"), "{m}"),
        other => panic!("{other:?}"),
    }
}
