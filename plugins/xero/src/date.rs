//! Xero's dates: `/Date(1539993600000+0000)/` (milliseconds since the epoch, UTC, plus the
//! organisation's offset for display) in most responses, ISO 8601 in newer ones.

/// Milliseconds since the epoch of a Xero `/Date(ms±hhmm)/`.
fn millis(text: &str) -> Option<i64> {
    let inner = text.trim().strip_prefix("/Date(")?.strip_suffix(")/")?;
    // The offset, when present, starts at the first sign after the leading digits.
    let end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    inner[..end].parse().ok()
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A calendar date (`2018-10-20`) from either form; `None` when it is neither.
pub fn date(text: &str) -> Option<String> {
    if let Some(ms) = millis(text) {
        let (y, m, d) = civil(ms.div_euclid(86_400_000));
        return Some(format!("{y:04}-{m:02}-{d:02}"));
    }
    let t = text.trim();
    let head = t.get(..10)?;
    let ok = head.len() == 10 && head.as_bytes()[4] == b'-' && head.as_bytes()[7] == b'-';
    ok.then(|| head.to_string())
}

/// An RFC 3339 instant (`2018-11-02T16:31:30.160Z`) from either form.
pub fn instant(text: &str) -> Option<String> {
    if let Some(ms) = millis(text) {
        let (y, m, d) = civil(ms.div_euclid(86_400_000));
        let in_day = ms.rem_euclid(86_400_000);
        let (h, min, s, milli) = (
            in_day / 3_600_000,
            in_day / 60_000 % 60,
            in_day / 1000 % 60,
            in_day % 1000,
        );
        return Some(format!(
            "{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z"
        ));
    }
    let t = text.trim();
    if t.len() >= 19 && t.as_bytes().get(10) == Some(&b'T') {
        // Xero's ISO instants are UTC without a zone designator.
        // `get`: byte 19 may fall inside a character of outside text (then it is no instant).
        let has_zone = t.ends_with('Z') || t.get(19..)?.contains(['+', '-']);
        return Some(if has_zone {
            t.to_string()
        } else {
            format!("{t}Z")
        });
    }
    None
}

/// The `If-Modified-Since` value Xero expects: UTC, seconds, no zone (`2019-03-05T18:59:06`).
pub fn modified_since(rfc3339: &str) -> String {
    rfc3339.get(..19).unwrap_or(rfc3339).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xero_dates_read_as_utc() {
        assert_eq!(
            date("/Date(1539993600000+0000)/").as_deref(),
            Some("2018-10-20")
        );
        assert_eq!(date("/Date(1539993600000)/").as_deref(), Some("2018-10-20"));
        assert_eq!(
            date("/Date(-86400000+1300)/").as_deref(),
            Some("1969-12-31")
        );
        assert_eq!(date("2019-03-05T00:00:00").as_deref(), Some("2019-03-05"));
        assert_eq!(date("yesterday"), None);
        assert_eq!(
            instant("/Date(1541176290160+0000)/").as_deref(),
            Some("2018-11-02T16:31:30.160Z")
        );
        assert_eq!(
            instant("2019-03-05T18:59:06").as_deref(),
            Some("2019-03-05T18:59:06Z")
        );
        assert_eq!(
            modified_since("2018-11-02T16:31:30.160Z"),
            "2018-11-02T16:31:30"
        );
        assert_eq!(
            date("/Date(951782400000+0000)/").as_deref(),
            Some("2000-02-29")
        );
    }
}
