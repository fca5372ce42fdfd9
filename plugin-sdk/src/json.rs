//! Decoding vendor JSON with errors that say what failed where.
//!
//! Money: vendors often send amounts as JSON numbers. [`decimal`] turns a JSON number or string
//! into the contract's decimal string without going through arithmetic; Rust prints an `f64` as
//! the shortest text that reads back to the same value, so `123.45` stays `"123.45"`.

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
        if v.is_finite() {
            Ok(v.to_string())
        } else {
            Err(E::custom(format!("expected a decimal amount, found {v}")))
        }
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
        if is_decimal_text(v.trim()) {
            Ok(v.trim().to_string())
        } else {
            Err(E::custom(format!("expected a decimal amount, found {v:?}")))
        }
    }
}

fn is_decimal_text(t: &str) -> bool {
    let digits = t.strip_prefix('-').unwrap_or(t);
    !digits.is_empty()
        && digits.bytes().filter(|c| *c == b'.').count() <= 1
        && digits.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        && digits.bytes().any(|c| c.is_ascii_digit())
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
                n.as_f64().filter(|f| f.is_finite()).map(|f| f.to_string())
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
        ];
        for (json, expected) in cases {
            let d: Decimal = serde_json::from_str(json).expect(json);
            assert_eq!(d.0, expected, "{json}");
        }
        for bad in ["\"abc\"", "null", "\"1.2.3\"", "\"-\""] {
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
