//! Bearer tokens: configured in `[[server.tokens]]`, compared in constant time.
//!
//! Each configured token is kept as its SHA-256; a presented token is hashed and compared
//! against every configured digest with `subtle`, without stopping at the first match, so the
//! time taken says nothing about which token or how many bytes matched.

use credence_app::home::config::{TokenConfig, TokenScope};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The API's tokens.
#[derive(Debug, Default)]
pub struct Tokens {
    entries: Vec<(String, TokenScope, [u8; 32])>,
}

/// Why a request is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or not one of ours: 401.
    Unauthenticated,
    /// A read-only token on an admin endpoint: 403.
    Forbidden { name: String },
}

impl Tokens {
    /// The tokens of `[[server.tokens]]`, reading `token_env` through `env`.
    pub fn from_config(
        tokens: &[TokenConfig],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Tokens, String> {
        let mut entries = Vec::new();
        for t in tokens {
            let digest: [u8; 32] = match (&t.token_env, &t.token_sha256) {
                (Some(var), None) => {
                    let value = env(var).filter(|v| !v.is_empty()).ok_or_else(|| {
                        format!(
                            "[[server.tokens]] {:?}: token_env = {var:?} is not set; export the token",
                            t.name
                        )
                    })?;
                    if value.len() < 16 {
                        return Err(format!(
                            "[[server.tokens]] {:?}: the token in {var} is shorter than 16 characters; use a long random one (e.g. `openssl rand -hex 32`)",
                            t.name
                        ));
                    }
                    Sha256::digest(value.as_bytes()).into()
                }
                (None, Some(hex_digest)) => hex::decode(hex_digest.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| {
                        format!(
                            "[[server.tokens]] {:?}: token_sha256 is not 64 hex digits",
                            t.name
                        )
                    })?,
                _ => {
                    return Err(format!(
                        "[[server.tokens]] {:?}: give exactly one of token_env or token_sha256",
                        t.name
                    ));
                }
            };
            entries.push((t.name.clone(), t.scope, digest));
        }
        Ok(Tokens { entries })
    }

    /// Who presents `authorization` (the header's value), if allowed `needed`.
    pub fn check(
        &self,
        authorization: Option<&str>,
        needed: TokenScope,
    ) -> Result<String, Refusal> {
        let presented = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(Refusal::Unauthenticated)?;
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found: Option<(&str, TokenScope)> = None;
        for (name, scope, expected) in &self.entries {
            if bool::from(digest.ct_eq(expected)) {
                found = Some((name, *scope));
            }
        }
        match found {
            None => Err(Refusal::Unauthenticated),
            Some((name, scope)) if needed == TokenScope::Admin && scope != TokenScope::Admin => {
                Err(Refusal::Forbidden { name: name.into() })
            }
            Some((name, _)) => Ok(name.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        let config = [
            TokenConfig {
                name: "ops".into(),
                scope: TokenScope::Admin,
                token_env: Some("ADMIN".into()),
                token_sha256: None,
            },
            TokenConfig {
                name: "dashboard".into(),
                scope: TokenScope::Read,
                token_env: None,
                token_sha256: Some(hex::encode(Sha256::digest(b"read-token-0123456789"))),
            },
        ];
        Tokens::from_config(&config, &|v| {
            (v == "ADMIN").then(|| "admin-token-0123456789".to_string())
        })
        .expect("tokens")
    }

    #[test]
    fn scopes_and_refusals() {
        let t = tokens();
        let admin = Some("Bearer admin-token-0123456789");
        let read = Some("Bearer read-token-0123456789");
        assert_eq!(t.check(admin, TokenScope::Admin), Ok("ops".into()));
        assert_eq!(t.check(read, TokenScope::Read), Ok("dashboard".into()));
        assert_eq!(
            t.check(read, TokenScope::Admin),
            Err(Refusal::Forbidden {
                name: "dashboard".into()
            })
        );
        for bad in [
            None,
            Some("admin-token-0123456789"),
            Some("Bearer admin-token-012345678"),
            Some("Basic admin-token-0123456789"),
        ] {
            assert_eq!(
                t.check(bad, TokenScope::Read),
                Err(Refusal::Unauthenticated)
            );
        }
    }

    #[test]
    fn misconfigured_tokens_are_refused_with_the_fix() {
        let c = |env: Option<&str>, sha: Option<&str>| TokenConfig {
            name: "x".into(),
            scope: TokenScope::Read,
            token_env: env.map(Into::into),
            token_sha256: sha.map(Into::into),
        };
        let short = |_: &str| Some("short".to_string());
        let unset = |_: &str| None;
        let e = Tokens::from_config(&[c(Some("T"), None)], &unset).unwrap_err();
        assert!(e.contains("is not set"), "{e}");
        let e = Tokens::from_config(&[c(Some("T"), None)], &short).unwrap_err();
        assert!(e.contains("shorter than 16"), "{e}");
        let e = Tokens::from_config(&[c(None, Some("abc"))], &unset).unwrap_err();
        assert!(e.contains("64 hex"), "{e}");
        let e = Tokens::from_config(&[c(None, None)], &unset).unwrap_err();
        assert!(e.contains("exactly one"), "{e}");
    }
}
