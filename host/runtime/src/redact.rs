//! Secret values removed from everything that comes back from outside.
//!
//! The host injects secrets into requests; an endpoint that echoes request headers (or a vendor
//! error that quotes them) would hand the value back to the plugin, and from there to logs, the
//! store and the API. So every response body and header, every plugin log line and error
//! message is scrubbed of each of the job's secret values, as written and in the forms an echo
//! takes: percent- and form-encoded, and base64 at any of its three alignments (standard and
//! URL-safe alphabets), which also covers the secret inside `Basic user:password` credentials.

use memchr::memmem::Finder;

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Shortest secret value scrubbed as written (shorter ones would mangle ordinary text).
const MIN_RAW: usize = 4;
/// Shortest base64 fragment scrubbed.
const MIN_BASE64: usize = 8;

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The forms of a job's secrets to scrub, longest first (so a longer form is replaced whole).
#[derive(Default)]
pub struct Redactor {
    finders: Vec<Finder<'static>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} forms)", self.finders.len())
    }
}

impl Redactor {
    /// A redactor for these secret values.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut forms: Vec<Vec<u8>> = Vec::new();
        for secret in secrets {
            let raw = secret.as_bytes();
            if raw.len() < MIN_RAW {
                continue;
            }
            forms.push(raw.to_vec());
            forms.push(percent_encode(raw, b"0123456789ABCDEF", false));
            forms.push(percent_encode(raw, b"0123456789abcdef", false));
            forms.push(percent_encode(raw, b"0123456789ABCDEF", true));
            for alphabet in [STANDARD, URL_SAFE] {
                for offset in 0..3 {
                    let core = base64_core(raw, offset, alphabet);
                    if core.len() >= MIN_BASE64 {
                        forms.push(core);
                    }
                }
            }
        }
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        Redactor {
            finders: forms
                .into_iter()
                .map(|f| Finder::new(&f).into_owned())
                .collect(),
        }
    }

    /// Whether there is anything to scrub.
    pub fn is_empty(&self) -> bool {
        self.finders.is_empty()
    }

    /// `bytes` with every form of every secret replaced by [`REDACTED`].
    pub fn bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        let mut bytes = bytes;
        for finder in &self.finders {
            if finder.find(&bytes).is_none() {
                continue;
            }
            let mut out = Vec::with_capacity(bytes.len());
            let mut rest = 0;
            for at in finder.find_iter(&bytes) {
                if at < rest {
                    continue;
                }
                out.extend_from_slice(&bytes[rest..at]);
                out.extend_from_slice(REDACTED.as_bytes());
                rest = at + finder.needle().len();
            }
            out.extend_from_slice(&bytes[rest..]);
            bytes = out;
        }
        bytes
    }

    /// [`Redactor::bytes`] for text.
    pub fn text(&self, text: String) -> String {
        if self.is_empty() {
            return text;
        }
        match String::from_utf8(self.bytes(text.into_bytes())) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }
}

fn percent_encode(raw: &[u8], hex: &[u8; 16], form: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() * 3);
    for &b in raw {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else if form && b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]);
        }
    }
    out
}

/// The base64 characters that depend only on `raw` when it starts `offset` bytes into an
/// encoded stream: whatever surrounds the secret, these characters appear in the encoding.
fn base64_core(raw: &[u8], offset: usize, alphabet: &[u8; 64]) -> Vec<u8> {
    let mut padded = vec![0u8; offset];
    padded.extend_from_slice(raw);
    let bits_start = offset * 8;
    let bits_end = padded.len() * 8;
    let first = bits_start.div_ceil(6);
    let last = bits_end / 6; // exclusive: characters [first, last) lie wholly inside raw
    let mut out = Vec::new();
    for index in first..last {
        let bit = index * 6;
        let (byte, shift) = (bit / 8, bit % 8);
        let word = (u16::from(padded[byte]) << 8) | u16::from(*padded.get(byte + 1).unwrap_or(&0));
        let value = (word >> (10 - shift)) & 63;
        out.push(alphabet[usize::from(value)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::http::base64;

    const SECRET: &str = "s3cr3t-T0ken/with+odd=chars";

    #[test]
    fn every_echoed_form_is_scrubbed() {
        let r = Redactor::new([SECRET]);
        let echoes = [
            format!("Authorization: Bearer {SECRET}"),
            format!(
                "{{\"headers\":{{\"Authorization\":\"Basic {}\"}}}}",
                base64(&format!("user:{SECRET}"))
            ),
            format!("Basic {}", base64(&format!("{SECRET}:"))),
            format!("Basic {}", base64(&format!("ab:{SECRET}"))),
            format!("Basic {}", base64(&format!("abc:{SECRET}"))),
            format!(
                "x={}",
                percent_encode(SECRET.as_bytes(), b"0123456789ABCDEF", false).escape_ascii()
            ),
            format!(
                "x={}",
                percent_encode(SECRET.as_bytes(), b"0123456789abcdef", false).escape_ascii()
            ),
            format!("q={}", base64(SECRET).replace('+', "-").replace('/', "_")),
        ];
        for echo in echoes {
            let scrubbed = r.text(echo.clone());
            assert!(scrubbed.contains(REDACTED), "nothing scrubbed in {echo}");
            assert!(!scrubbed.contains(SECRET), "{scrubbed}");
            for offset in 0..3 {
                let core = String::from_utf8(base64_core(SECRET.as_bytes(), offset, STANDARD))
                    .expect("ascii");
                assert!(
                    !scrubbed.contains(&core),
                    "base64 at offset {offset} left in {scrubbed}"
                );
            }
        }
    }

    #[test]
    fn text_without_secrets_is_untouched() {
        let r = Redactor::new([SECRET, "ab"]);
        let text = "Invoice 42, total 100.00 EUR, ab".to_string();
        assert_eq!(r.text(text.clone()), text);
        assert!(Redactor::new(Vec::<&str>::new()).is_empty());
    }

    #[test]
    fn base64_cores_match_a_real_encoding() {
        for prefix in ["", "a", "ab", "abc", "user:"] {
            let encoded = base64(&format!("{prefix}{SECRET}"));
            let found = (0..3).any(|o| {
                let core =
                    String::from_utf8(base64_core(SECRET.as_bytes(), o, STANDARD)).expect("ascii");
                encoded.contains(&core)
            });
            assert!(
                found,
                "no core of the secret in base64({prefix}…) = {encoded}"
            );
        }
    }
}
