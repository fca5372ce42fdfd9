//! Decoding vendor JSON with errors that say what failed where.
//!
//! Money: vendors often send amounts as JSON numbers. [`decimal`] turns a JSON number or string
//! into the contract's decimal string (`-?DIGITS(.DIGITS)?`: no `+`, exponent or separators)
//! without arithmetic. Whole numbers are printed as they are. Other numbers arrive as an `f64`;
//! Rust prints it as the shortest text that reads back to the same value, which is the vendor's
//! own value whenever it had at most 15 significant digits (`123.45` stays `"123.45"`, `1.2e2`
//! becomes `"120"`: same value, plain form). An `f64` needing more digits may already have been
//! rounded by the JSON parser, so it is refused rather than passed on as if exact; a vendor with
//! such amounts must send them as strings. (A number written with more than 17 digits that
//! happens to round to a short `f64` cannot be told apart here: serde_json gives the SDK no
//! text for numbers.)

use crate::{ErrorExt, PluginError};
use serde::{Deserialize, Deserializer};

/// Decode `bytes` as JSON into `T`; the error names `what` and the line and column.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, PluginError> {
    serde_json::from_slice(bytes).map_err(|e| {
        PluginError::permanent(format!("cannot decode {what} as the expected JSON: {e}"))
    })
}

/// Serialize a vendor value back to compact JSON, for the record's `raw` field.
pub fn raw<T: serde::Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// A decimal amount as sent by a vendor: a JSON number or a numeric string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decimal(pub String);

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DecimalVisitor).map(Decimal)
    }
}

/// Visits numbers and numeric strings directly, without building a `serde_json::Value`.
struct DecimalVisitor;

impl serde::de::Visitor<'_> for DecimalVisitor {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a decimal amount (a JSON number or a numeric string)")
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<String, E> {
        float_text(v).map_err(E::custom)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
        if is_decimal_text(v.trim()) {
            Ok(v.trim().to_string())
        } else {
            Err(E::custom(format!(
                "expected a decimal amount like -1234.50 (no `+`, exponent or separators), found {v:?}"
            )))
        }
    }
}

/// Significant digits an `f64` always carries exactly (`f64::DIGITS`).
const EXACT_DIGITS: usize = f64::DIGITS as usize;

/// The plain decimal text of a JSON number parsed as `f64`, when it is surely the vendor's own.
fn float_text(v: f64) -> Result<String, String> {
    if !v.is_finite() {
        return Err(format!("expected a decimal amount, found {v}"));
    }
    let text = v.to_string();
    let significant = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count();
    let significant = if text.contains('.') {
        significant
    } else {
        // Trailing zeros of a whole number are not significant (1e20 is one digit).
        text.trim_end_matches('0')
            .bytes()
            .filter(u8::is_ascii_digit)
            .skip_while(|b| *b == b'0')
            .count()
    };
    if significant > EXACT_DIGITS {
        return Err(format!(
            "the JSON number {text} has more than {EXACT_DIGITS} significant digits, so it may have been rounded when it was read; the vendor must send such amounts as strings"
        ));
    }
    Ok(text)
}

/// The contract's decimal form: `-?DIGITS(.DIGITS)?`.
fn is_decimal_text(t: &str) -> bool {
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match unsigned.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(unsigned),
    }
}

impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// The decimal text of a JSON number or numeric string; `None` for anything else.
pub fn decimal_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i.to_string())
            } else {
                n.as_u64()
                    .map(|u| u.to_string())
                    .or_else(|| n.as_f64().and_then(|f| float_text(f).ok()))
            }
        }
        serde_json::Value::String(s) => is_decimal_text(s.trim()).then(|| s.trim().to_string()),
        _ => None,
    }
}

/// `serde(deserialize_with)` helper for an optional [`Decimal`] given as `Option<String>`.
pub fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Decimal::deserialize(deserializer).map(|d| d.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_their_text() {
        let cases = [
            ("123.45", "123.45"),
            ("100", "100"),
            ("\"-7.10\"", "-7.10"),
            ("0.1", "0.1"),
            ("1e2", "100"),
            ("1.2e2", "120"),
            ("1e20", "100000000000000000000"),
            ("18446744073709551615", "18446744073709551615"),
            ("\" 12.30 \"", "12.30"),
        ];
        for (json, expected) in cases {
            let d: Decimal = serde_json::from_str(json).expect(json);
            assert_eq!(d.0, expected, "{json}");
        }
        for bad in [
            "\"abc\"",
            "null",
            "\"1.2.3\"",
            "\"-\"",
            "\"+100.00\"",
            "\"1_00.00\"",
            "\"1.2e2\"",
            "\"1.\"",
            "\".5\"",
            "\"1,000.00\"",
            "12345678901234567.5",
        ] {
            assert!(
                serde_json::from_str::<Decimal>(bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn decode_errors_name_the_payload() {
        let err = decode::<Vec<u32>>(b"[1, x]", "invoices page 3").unwrap_err();
        assert!(err.message().contains("invoices page 3"), "{err}");
    }
}
