//! Capabilities a plugin holds for one connection: HTTP origins and read-only folders.
//!
//! A manifest declares them as patterns, optionally templated from the connection's plain
//! settings (`{{config.base_url}}`), so a connector for a self-hosted package can reach the URL
//! the user configured and nothing else. Everything not granted here is refused by the host.

use std::path::{Path, PathBuf};
use url::Url;

/// Why a manifest's capability could not be turned into a grant.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GrantError {
    /// `{{config.KEY}}` names a setting the connection does not have.
    #[error(
        "capability {pattern:?} uses `config.{key}`, but the connection has no setting `{key}`; add it with `--set {key}=...`"
    )]
    MissingSetting { pattern: String, key: String },
    /// The pattern is not a host, an origin or a URL.
    #[error("capability {pattern:?} is not a host name, an origin or a URL: {reason}")]
    BadPattern { pattern: String, reason: String },
    /// A granted folder does not exist or cannot be resolved.
    #[error(
        "folder {path:?} granted to the plugin cannot be opened: {reason}; check the connection's setting"
    )]
    BadFolder { path: String, reason: String },
}

/// One allowed HTTP destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpGrant {
    /// `None`: only `https`.
    scheme: Option<String>,
    /// Exact host, or `*.suffix` for any subdomain.
    host: String,
    port: Option<u16>,
    /// Requests must start with this path (`/` for any).
    path_prefix: String,
}

impl HttpGrant {
    fn parse(pattern: &str) -> Result<HttpGrant, GrantError> {
        let bad = |reason: &str| GrantError::BadPattern {
            pattern: pattern.to_string(),
            reason: reason.to_string(),
        };
        if pattern.contains("://") {
            let url = Url::parse(pattern).map_err(|e| bad(&e.to_string()))?;
            let host = url
                .host_str()
                .ok_or_else(|| bad("no host"))?
                .to_ascii_lowercase();
            Ok(HttpGrant {
                scheme: Some(url.scheme().to_string()),
                host,
                port: url.port_or_known_default(),
                path_prefix: url.path().to_string(),
            })
        } else {
            let host = pattern.trim().to_ascii_lowercase();
            if host.is_empty() || host.contains('/') {
                return Err(bad("expected a host name such as api.example.com"));
            }
            Ok(HttpGrant {
                scheme: None,
                host,
                port: None,
                path_prefix: "/".into(),
            })
        }
    }

    fn allows(&self, url: &Url) -> bool {
        let scheme_ok = match &self.scheme {
            Some(s) => s == url.scheme(),
            None => url.scheme() == "https",
        };
        let Some(host) = url.host_str().map(|h| h.to_ascii_lowercase()) else {
            return false;
        };
        let host_ok = match self.host.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => host == self.host,
        };
        let port_ok = match self.port {
            Some(p) => url.port_or_known_default() == Some(p),
            None => url.port().is_none(),
        };
        let path_ok = {
            let prefix = self.path_prefix.trim_end_matches('/');
            let path = url.path();
            prefix.is_empty() || path == prefix || path.starts_with(&format!("{prefix}/"))
        };
        scheme_ok && host_ok && port_ok && path_ok
    }
}

/// What a plugin may touch while serving one connection.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    http: Vec<HttpGrant>,
    folders: Vec<PathBuf>,
}

/// Replace every `{{config.KEY}}` in `pattern` with the connection's plain setting.
pub fn expand(
    pattern: &str,
    setting: &dyn Fn(&str) -> Option<String>,
) -> Result<String, GrantError> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| GrantError::BadPattern {
            pattern: pattern.to_string(),
            reason: "unclosed `{{`".into(),
        })?;
        let name = after[..end].trim();
        let key = name
            .strip_prefix("config.")
            .ok_or_else(|| GrantError::BadPattern {
                pattern: pattern.to_string(),
                reason: format!("only `{{{{config.KEY}}}}` can be templated, not `{name}`"),
            })?;
        let value = setting(key).ok_or_else(|| GrantError::MissingSetting {
            pattern: pattern.to_string(),
            key: key.to_string(),
        })?;
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Grants {
    /// Resolve a manifest's HTTP and folder patterns against a connection's settings.
    pub fn resolve(
        http_patterns: &[String],
        folder_patterns: &[String],
        setting: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Grants, GrantError> {
        let mut grants = Grants::default();
        for pattern in http_patterns {
            grants
                .http
                .push(HttpGrant::parse(&expand(pattern, setting)?)?);
        }
        for pattern in folder_patterns {
            let path = expand(pattern, setting)?;
            let canonical = Path::new(&path)
                .canonicalize()
                .map_err(|e| GrantError::BadFolder {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            grants.folders.push(canonical);
        }
        Ok(grants)
    }

    /// Whether the plugin may send a request to `url`.
    pub fn allows_url(&self, url: &Url) -> bool {
        self.http.iter().any(|g| g.allows(url))
    }

    /// The canonical form of `path` if it lies inside a granted folder (symlinks and `..`
    /// resolved first, so neither can escape).
    pub fn allowed_path(&self, path: &str) -> Option<PathBuf> {
        let canonical = Path::new(path).canonicalize().ok()?;
        self.folders
            .iter()
            .any(|f| canonical.starts_with(f))
            .then_some(canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(key: &str) -> Option<String> {
        match key {
            "base_url" => Some("http://127.0.0.1:8080/api".into()),
            _ => None,
        }
    }

    fn grants(patterns: &[&str]) -> Grants {
        let patterns: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
        Grants::resolve(&patterns, &[], &settings).expect("valid patterns")
    }

    #[test]
    fn http_grants_are_checked_by_scheme_host_port_and_path() {
        let cases = [
            (
                &["api.xero.com"][..],
                "https://api.xero.com/api.xro/2.0/Invoices",
                true,
            ),
            (&["api.xero.com"], "http://api.xero.com/", false),
            (&["api.xero.com"], "https://api.xero.com:8443/", false),
            (&["api.xero.com"], "https://evil.com/?api.xero.com", false),
            (&["api.xero.com"], "https://api.xero.com.evil.com/", false),
            (
                &["*.intuit.com"],
                "https://sandbox-quickbooks.api.intuit.com/v3",
                true,
            ),
            (&["*.intuit.com"], "https://intuit.com.evil.org/", false),
            (
                &["{{config.base_url}}"],
                "http://127.0.0.1:8080/api/invoices?page=2",
                true,
            ),
            (
                &["{{config.base_url}}"],
                "http://127.0.0.1:8080/apix",
                false,
            ),
            (
                &["{{config.base_url}}"],
                "http://127.0.0.1:8081/api/invoices",
                false,
            ),
            (
                &["{{config.base_url}}"],
                "http://localhost:8080/api/invoices",
                false,
            ),
        ];
        for (patterns, url, expected) in cases {
            let url = Url::parse(url).expect("test url");
            assert_eq!(
                grants(patterns).allows_url(&url),
                expected,
                "{patterns:?} vs {url}"
            );
        }
    }

    #[test]
    fn templates_name_the_missing_setting() {
        let err =
            Grants::resolve(&["{{config.tenant_url}}".to_string()], &[], &settings).unwrap_err();
        assert_eq!(
            err,
            GrantError::MissingSetting {
                pattern: "{{config.tenant_url}}".into(),
                key: "tenant_url".into()
            }
        );
        let err = Grants::resolve(&["{{env.HOME}}".to_string()], &[], &settings).unwrap_err();
        assert!(matches!(err, GrantError::BadPattern { .. }));
    }

    #[test]
    fn folders_cannot_be_escaped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let granted = dir.path().join("granted");
        std::fs::create_dir(&granted).expect("mkdir");
        std::fs::write(granted.join("a.csv"), "x").expect("write");
        std::fs::write(dir.path().join("secret.txt"), "x").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), granted.join("link.txt"))
            .expect("symlink");
        let folder = granted.to_string_lossy().into_owned();
        let g = Grants::resolve(&[], std::slice::from_ref(&folder), &|_| None).expect("grant");
        assert!(g.allowed_path(&format!("{folder}/a.csv")).is_some());
        assert!(g.allowed_path(&format!("{folder}/../secret.txt")).is_none());
        #[cfg(unix)]
        assert!(g.allowed_path(&format!("{folder}/link.txt")).is_none());
        assert!(g.allowed_path("/etc/passwd").is_none());
    }
}
