//! Capabilities a plugin holds for one connection: HTTP origins and read-only folders.
//!
//! A manifest declares them as patterns, optionally templated from the connection's plain
//! settings (`{{config.base_url}}`), so a connector for a self-hosted package can reach the URL
//! the user configured and nothing else. Everything not granted here is refused by the host.
//!
//! Folders are plain directories the user named: never the file system's root, a system or
//! pseudo file system (`/proc`, `/sys`, `/dev`, `/etc`, `/run`, `/boot`), nor the Credence home
//! or a folder containing it (its database, its plugins, its secrets' files). Secrets are bound
//! to a scheme and to origins of their own ([`SecretGrant`]).

use std::collections::BTreeMap;
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
    /// A folder that must never be granted (system, pseudo file system, the Credence home).
    #[error(
        "folder {path:?} cannot be granted to a plugin: {reason}. Name a folder that holds only the files the plugin should read"
    )]
    ForbiddenFolder { path: String, reason: String },
}

/// Folders no plugin may read, nor any folder inside them.
const SYSTEM_FOLDERS: &[&str] = &["/proc", "/sys", "/dev", "/etc", "/run", "/boot", "/var/run"];

/// Why `folder` (canonical) must not be granted, if it must not.
fn forbidden_folder(folder: &Path, protected: &[PathBuf]) -> Option<String> {
    if folder.parent().is_none() {
        return Some("it is the root of the file system".into());
    }
    if let Some(system) = SYSTEM_FOLDERS.iter().find(|s| folder.starts_with(s)) {
        return Some(format!("it is a system folder ({system})"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata(folder) {
            for pseudo in ["/proc", "/sys", "/dev"] {
                if std::fs::metadata(pseudo).is_ok_and(|p| p.dev() == meta.dev()) {
                    return Some(format!("it is on the same pseudo file system as {pseudo}"));
                }
            }
        }
    }
    for root in protected {
        let root = root.canonicalize().unwrap_or_else(|_| root.clone());
        if root.starts_with(folder) {
            return Some(format!(
                "it is or contains the Credence home {}",
                root.display()
            ));
        }
        if folder.starts_with(root.join("plugins")) {
            return Some(format!(
                "it is inside the plugins of the Credence home {}",
                root.display()
            ));
        }
    }
    None
}

/// How the host places a secret in a request; the plugin cannot choose another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretScheme {
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// Inside HTTP Basic credentials, as the user name or the password.
    Basic,
    /// `<name>: <prefix><secret>`.
    Header { name: String, prefix: String },
}

/// Where and how one secret may be sent.
#[derive(Debug, Clone)]
pub struct SecretGrant {
    pub scheme: SecretScheme,
    origins: Vec<HttpGrant>,
    /// The patterns as the manifest wrote them, expanded: for messages.
    shown: Vec<String>,
}

impl SecretGrant {
    /// Whether the secret may be sent to `url`.
    pub fn allows_url(&self, url: &Url) -> bool {
        self.origins.iter().any(|g| g.allows(url))
    }

    /// The binding as a person reads it.
    pub fn describe(&self) -> String {
        let how = match &self.scheme {
            SecretScheme::Bearer => "Authorization: Bearer".to_string(),
            SecretScheme::Basic => "HTTP Basic credentials".to_string(),
            SecretScheme::Header { name, prefix } => format!("{name}: {prefix}…"),
        };
        format!("{how} to {}", self.shown.join(", "))
    }
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
    secrets: BTreeMap<String, SecretGrant>,
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
    /// Resolve a manifest's HTTP and folder patterns against a connection's settings. No
    /// folder may be, contain or lie in the plugins of a `protected` root (the Credence home).
    pub fn resolve(
        http_patterns: &[String],
        folder_patterns: &[String],
        setting: &dyn Fn(&str) -> Option<String>,
        protected: &[PathBuf],
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
            if !canonical.is_dir() {
                return Err(GrantError::ForbiddenFolder {
                    path,
                    reason: "it is not a folder".into(),
                });
            }
            if let Some(reason) = forbidden_folder(&canonical, protected) {
                return Err(GrantError::ForbiddenFolder { path, reason });
            }
            grants.folders.push(canonical);
        }
        Ok(grants)
    }

    /// Bind secret `name` to `scheme` and the origins its manifest declares.
    pub fn bind_secret(
        &mut self,
        name: &str,
        scheme: SecretScheme,
        origin_patterns: &[String],
        setting: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), GrantError> {
        let mut origins = Vec::new();
        let mut shown = Vec::new();
        for pattern in origin_patterns {
            let expanded = expand(pattern, setting)?;
            origins.push(HttpGrant::parse(&expanded)?);
            shown.push(expanded);
        }
        self.secrets.insert(
            name.to_string(),
            SecretGrant {
                scheme,
                origins,
                shown,
            },
        );
        Ok(())
    }

    /// How and where secret `name` may be sent, if it is bound.
    pub fn secret(&self, name: &str) -> Option<&SecretGrant> {
        self.secrets.get(name)
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
        Grants::resolve(&patterns, &[], &settings, &[]).expect("valid patterns")
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
        let err = Grants::resolve(&["{{config.tenant_url}}".to_string()], &[], &settings, &[])
            .unwrap_err();
        assert_eq!(
            err,
            GrantError::MissingSetting {
                pattern: "{{config.tenant_url}}".into(),
                key: "tenant_url".into()
            }
        );
        let err = Grants::resolve(&["{{env.HOME}}".to_string()], &[], &settings, &[]).unwrap_err();
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
        let g = Grants::resolve(&[], std::slice::from_ref(&folder), &|_| None, &[]).expect("grant");
        assert!(g.allowed_path(&format!("{folder}/a.csv")).is_some());
        assert!(g.allowed_path(&format!("{folder}/../secret.txt")).is_none());
        #[cfg(unix)]
        assert!(g.allowed_path(&format!("{folder}/link.txt")).is_none());
        assert!(g.allowed_path("/etc/passwd").is_none());
    }

    #[test]
    fn system_folders_and_the_home_are_never_granted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join("plugins/x")).expect("mkdir");
        std::fs::create_dir_all(home.join("exports")).expect("mkdir");
        std::fs::write(dir.path().join("file.csv"), "x").expect("write");
        let protected = [home.clone()];
        let cases: Vec<(String, Option<&str>)> = vec![
            ("/".into(), Some("root of the file system")),
            ("/proc/self".into(), Some("system folder (/proc)")),
            ("/etc".into(), Some("system folder (/etc)")),
            ("/dev".into(), Some("system folder (/dev)")),
            ("/sys/kernel".into(), Some("system folder (/sys)")),
            (
                dir.path().display().to_string(),
                Some("contains the Credence home"),
            ),
            (
                home.display().to_string(),
                Some("contains the Credence home"),
            ),
            (
                home.join("plugins/x").display().to_string(),
                Some("inside the plugins"),
            ),
            (
                dir.path().join("file.csv").display().to_string(),
                Some("not a folder"),
            ),
            (home.join("exports").display().to_string(), None),
        ];
        for (folder, expected) in cases {
            let got = Grants::resolve(&[], std::slice::from_ref(&folder), &|_| None, &protected);
            match (expected, got) {
                (None, Ok(_)) => {}
                (Some(reason), Err(e)) => {
                    let e = e.to_string();
                    assert!(e.contains(reason), "{folder}: expected {reason:?} in {e}");
                    assert!(e.contains("cannot be granted"), "{e}");
                }
                (expected, got) => panic!("{folder}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn a_secret_goes_only_to_its_origins() {
        let mut g = grants(&["{{config.base_url}}"]);
        g.bind_secret(
            "token",
            SecretScheme::Bearer,
            &["{{config.base_url}}".to_string()],
            &settings,
        )
        .expect("bind");
        let secret = g.secret("token").expect("bound");
        let ok = Url::parse("http://127.0.0.1:8080/api/x").expect("url");
        let other = Url::parse("http://127.0.0.1:8080/other").expect("url");
        assert!(secret.allows_url(&ok));
        assert!(!secret.allows_url(&other));
        assert!(g.secret("nope").is_none());
        assert_eq!(
            secret.describe(),
            "Authorization: Bearer to http://127.0.0.1:8080/api"
        );
    }
}
