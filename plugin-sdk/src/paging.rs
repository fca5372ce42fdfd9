//! Typed cursors and page constructors.
//!
//! A cursor is opaque to the host: the plugin encodes whatever it needs (a page number, a
//! modified-since instant, an offset) as JSON. The host commits it together with the page's
//! records, so a crash resumes exactly there.

use crate::{ErrorExt, Page, PluginError, SourceRecord};
use serde::{Serialize, de::DeserializeOwned};

/// Decode a cursor; `None` gives `T::default()` (a read from the beginning).
pub fn decode_cursor<T: DeserializeOwned + Default>(
    cursor: Option<&str>,
) -> Result<T, PluginError> {
    match cursor {
        None => Ok(T::default()),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            PluginError::permanent(format!(
                "saved cursor {text:?} is not one this plugin version wrote ({e}); reset the stream's cursor to read it again from the start"
            ))
        }),
    }
}

/// Encode a cursor as JSON.
pub fn encode_cursor<T: Serialize>(cursor: &T) -> String {
    serde_json::to_string(cursor).unwrap_or_default()
}

/// A page after which the host should call `read` again with `cursor`.
pub fn more<T: Serialize>(records: Vec<SourceRecord>, cursor: &T) -> Page {
    Page {
        records,
        cursor: Some(encode_cursor(cursor)),
        has_more: true,
    }
}

/// The last page of this sync; `cursor` is where the next sync starts.
pub fn last<T: Serialize>(records: Vec<SourceRecord>, cursor: &T) -> Page {
    Page {
        records,
        cursor: Some(encode_cursor(cursor)),
        has_more: false,
    }
}

/// An empty final page that keeps the cursor as it was.
pub fn nothing(cursor: Option<String>) -> Page {
    Page {
        records: Vec::new(),
        cursor,
        has_more: false,
    }
}

/// The cursor of [`one_per_page`]: the subjects still to read once the search ran.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Pending<T> {
    pending: Option<Vec<T>>,
}

impl<T> Default for Pending<T> {
    fn default() -> Self {
        Pending { pending: None }
    }
}

/// A lookup that finds several companies and reads each one's report on a page of its own (a
/// report costs calls; a crash resumes at the next company): `find` lists them on the first
/// call, the cursor carries the rest, `read` turns one into records.
pub fn one_per_page<T: Serialize + DeserializeOwned>(
    cursor: Option<&str>,
    find: impl FnOnce() -> Result<Vec<T>, PluginError>,
    read: impl FnOnce(T) -> Result<Vec<SourceRecord>, PluginError>,
) -> Result<Page, PluginError> {
    let saved: Pending<T> = decode_cursor(cursor)?;
    let mut pending = match saved.pending {
        Some(p) => p,
        None => find()?,
    };
    if pending.is_empty() {
        return Ok(last(Vec::new(), &Pending::<T>::default()));
    }
    let records = read(pending.remove(0))?;
    Ok(if pending.is_empty() {
        last(records, &Pending::<T>::default())
    } else {
        more(
            records,
            &Pending {
                pending: Some(pending),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Cursor {
        page: u32,
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_named() {
        let page = more(vec![], &Cursor { page: 3 });
        let back: Cursor = decode_cursor(page.cursor.as_deref()).expect("round trip");
        assert_eq!(back, Cursor { page: 3 });
        assert_eq!(
            decode_cursor::<Cursor>(None).expect("default"),
            Cursor::default()
        );
        let err = decode_cursor::<Cursor>(Some("garbage")).unwrap_err();
        assert!(err.message().contains("garbage"));
    }
}
