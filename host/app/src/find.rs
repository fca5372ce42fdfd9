//! Records as a user names them: a customer by `CONNECTION/REMOTE-ID`, an invoice by number
//! or key. Not found is a typed [`NotFound`] (the API answers 404 with it).

use crate::errors::NotFound;
use credence_model::DocumentKind;
use credence_store::Store;

/// Fail unless `key` (`CONNECTION/REMOTE-ID`) is a live customer record.
pub fn customer(store: &dyn Store, key: &str) -> anyhow::Result<()> {
    let found = match key.split_once('/') {
        Some((connection, remote_id)) => {
            store.record(credence_model::RecordKind::Customer, connection, remote_id)?
        }
        None => None,
    };
    if found.is_none_or(|r| r.origin.deleted) {
        return Err(NotFound(format!(
            "no customer {key:?}: name it as CONNECTION/REMOTE-ID (see `credence customers`)"
        ))
        .into());
    }
    Ok(())
}

/// Find an invoice by number or key, as the store knows it today: (key, number).
pub fn invoice(store: &dyn Store, wanted: &str) -> anyhow::Result<(String, String)> {
    let mut found = Vec::new();
    let now = credence_rules::credit::facts::end_of(crate::clock::today()?);
    store.documents_as_of(now, &mut |d| {
        if d.kind != DocumentKind::Invoice {
            return;
        }
        let key = format!("{}/{}", d.connection, d.remote_id);
        if key == wanted || d.number == wanted {
            found.push((key, d.number.to_string()));
        }
    })?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(NotFound(format!(
            "no invoice {wanted:?}: give its number or CONNECTION/REMOTE-ID (see `credence invoices`)"
        ))
        .into()),
        _ => Err(NotFound(format!(
            "{wanted:?} names {} invoices ({}): give CONNECTION/REMOTE-ID",
            found.len(),
            found
                .iter()
                .map(|f| f.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}
