//! Installed plugins, kept in `<home>/plugins/<id>/`:
//!
//! - `credence-plugin.toml`: the manifest, as installed, whose sha256 is pinned;
//! - `<name>.wasm`: the component, whose sha256 is pinned;
//! - `compiled.cwasm`: native code precompiled at install (no compilation at start).
//!
//! The pin (digests of the three files, the version of the engine that compiled it, when) is
//! kept outside the plugin's folder, in `<home>/plugins/.pins/<id>.toml`: a folder that could
//! rewrite its own pin could vouch for a widened manifest or for native code of its choosing.
//! Reading a plugin checks its manifest against the pin (the grants shown at install are the
//! only ones honoured); loading checks the wasm too, and the precompiled artifact before it is
//! deserialized, rebuilding it from the pinned wasm if it is stale (a Credence upgrade) or
//! damaged.

use super::manifest::{MANIFEST_FILE, Manifest, ManifestError};
use crate::{JobContext, Plugin, Runtime, RuntimeError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Where a plugin's pin lived before it moved out of the plugin's folder.
const LEGACY_PIN_FILE: &str = "pin.toml";
/// The folder of pins, beside the plugin folders (a dot-name, so never taken for a plugin).
const PINS_DIR: &str = ".pins";
const COMPILED_FILE: &str = "compiled.cwasm";

/// What install recorded about a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    pub manifest_sha256: String,
    pub wasm_sha256: String,
    pub compiled_sha256: String,
    /// `CARGO_PKG_VERSION` of the Credence that compiled the artifact.
    pub compiled_by: String,
    pub installed_at: String,
    pub source: String,
}

/// An installed plugin as listed (nothing compiled or loaded).
#[derive(Debug, Clone, Serialize)]
pub struct InstalledPlugin {
    pub manifest: Manifest,
    pub pin: Pin,
    #[serde(skip)]
    pub folder: PathBuf,
}

/// Why installing, listing or loading a plugin failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}. Check that the Credence home is writable")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no plugin `{0}` is installed; `credence plugin list` shows what is, `credence plugin install PATH` adds one"
    )]
    NotInstalled(String),
    #[error(
        "plugin {id}: its wasm no longer matches the sha256 pinned at install (pinned {pinned}, found {found}); it was changed after install. Refusing to load it: reinstall it from a trusted build with `credence plugin install`"
    )]
    DigestMismatch {
        id: String,
        pinned: String,
        found: String,
    },
    #[error(
        "plugin {id}: its manifest {path} no longer matches the sha256 pinned at install (pinned {pinned}, found {found}); it was edited after install, and its grants may have changed. Refusing to use it: reinstall the plugin with `credence plugin install` to review and accept its manifest"
    )]
    ManifestChanged {
        id: String,
        path: PathBuf,
        pinned: String,
        found: String,
    },
    #[error(
        "plugin {id} was installed by an earlier Credence that kept its pin inside the plugin's folder, where it could be rewritten; reinstall it with `credence plugin install` from its build"
    )]
    LegacyPin { id: String },
    #[error("plugin {id}: {message}")]
    Inconsistent { id: String, message: String },
    #[error("plugin {id}'s install record {path} is damaged: {message}; reinstall the plugin")]
    BadPin {
        id: String,
        path: PathBuf,
        message: String,
    },
}

/// The installed plugins of one Credence home.
#[derive(Debug, Clone)]
pub struct Registry {
    root: PathBuf,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn read(path: &Path) -> Result<Vec<u8>, InstallError> {
    std::fs::read(path).map_err(|source| InstallError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), InstallError> {
    std::fs::write(path, bytes).map_err(|source| InstallError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Write a pin whole or not at all (a temporary file renamed over the old one).
fn write_pin(path: &Path, id: &str, pin: &Pin) -> Result<(), InstallError> {
    let text = toml::to_string(pin).map_err(|e| InstallError::Inconsistent {
        id: id.to_string(),
        message: e.to_string(),
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| InstallError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let staged = path.with_extension(format!("toml.{}", std::process::id()));
    write(&staged, text.as_bytes())?;
    std::fs::rename(&staged, path).map_err(|source| InstallError::Write {
        path: path.to_path_buf(),
        source,
    })
}

impl Registry {
    /// The registry under `root` (usually `<home>/plugins`).
    pub fn new(root: impl Into<PathBuf>) -> Registry {
        Registry { root: root.into() }
    }

    fn folder(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    fn pin_path(&self, id: &str) -> PathBuf {
        self.root.join(PINS_DIR).join(format!("{id}.toml"))
    }

    /// Install (or replace) the plugin built in `source`: check the manifest and contract,
    /// compile, verify the component matches its manifest, then move it into place in one step.
    pub fn install(
        &self,
        runtime: &Runtime,
        tokio: tokio::runtime::Handle,
        source: &Path,
    ) -> Result<InstalledPlugin, InstallError> {
        let (manifest, manifest_text) = Manifest::load_with_text(source)?;
        let id = manifest.id.clone();
        let wasm_path = source.join(&manifest.wasm);
        let wasm = read(&wasm_path)?;
        let compiled = runtime.precompile(&id, &wasm)?;
        let component =
            runtime
                .deserialize(&id, &compiled)
                .ok_or_else(|| InstallError::Inconsistent {
                    id: id.clone(),
                    message: "the freshly compiled artifact does not load".into(),
                })?;
        let plugin = runtime.prepare(&id, manifest.kind, &component)?;
        verify_description(&plugin, &manifest, tokio)?;

        let pin = Pin {
            manifest_sha256: sha256_hex(manifest_text.as_bytes()),
            wasm_sha256: sha256_hex(&wasm),
            compiled_sha256: sha256_hex(&compiled),
            compiled_by: env!("CARGO_PKG_VERSION").into(),
            installed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            source: source
                .canonicalize()
                .unwrap_or_else(|_| source.to_path_buf())
                .display()
                .to_string(),
        };
        std::fs::create_dir_all(&self.root).map_err(|source| InstallError::Write {
            path: self.root.clone(),
            source,
        })?;
        let staging = self
            .root
            .join(format!(".staging-{id}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|source| InstallError::Write {
            path: staging.clone(),
            source,
        })?;
        // The text parsed and checked above is the one pinned and installed.
        write(&staging.join(MANIFEST_FILE), manifest_text.as_bytes())?;
        write(&staging.join(&manifest.wasm), &wasm)?;
        write(&staging.join(COMPILED_FILE), &compiled)?;
        let target = self.folder(&id);
        let old = self.root.join(format!(".old-{id}-{}", std::process::id()));
        if target.exists() {
            std::fs::rename(&target, &old).map_err(|source| InstallError::Write {
                path: target.clone(),
                source,
            })?;
        }
        std::fs::rename(&staging, &target).map_err(|source| InstallError::Write {
            path: target.clone(),
            source,
        })?;
        let _ = std::fs::remove_dir_all(&old);
        // Pinned last: until this rename the folder matches no pin and is refused.
        write_pin(&self.pin_path(&id), &id, &pin)?;
        Ok(InstalledPlugin {
            manifest,
            pin,
            folder: target,
        })
    }

    /// Every installed plugin, sorted by id. Reads manifests and pins only.
    pub fn list(&self) -> Result<Vec<InstalledPlugin>, InstallError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(InstallError::Read {
                    path: self.root.clone(),
                    source,
                });
            }
        };
        let mut plugins = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            plugins.push(self.get(&name)?);
        }
        plugins.sort_by(|a, b| a.manifest.id.cmp(&b.manifest.id));
        Ok(plugins)
    }

    /// One installed plugin's manifest and pin; the manifest must be the one pinned.
    pub fn get(&self, id: &str) -> Result<InstalledPlugin, InstallError> {
        let folder = self.folder(id);
        let manifest_path = folder.join(MANIFEST_FILE);
        if !manifest_path.exists() {
            return Err(InstallError::NotInstalled(id.to_string()));
        }
        let pin_path = self.pin_path(id);
        if !pin_path.exists() {
            return Err(if folder.join(LEGACY_PIN_FILE).exists() {
                InstallError::LegacyPin { id: id.into() }
            } else {
                InstallError::BadPin {
                    id: id.into(),
                    path: pin_path,
                    message: "it is missing".into(),
                }
            });
        }
        let pin_text = String::from_utf8_lossy(&read(&pin_path)?).into_owned();
        let pin: Pin = toml::from_str(&pin_text).map_err(|e| InstallError::BadPin {
            id: id.into(),
            path: pin_path,
            message: e.to_string(),
        })?;
        let manifest_text = read(&manifest_path)?;
        let found = sha256_hex(&manifest_text);
        if found != pin.manifest_sha256 {
            return Err(InstallError::ManifestChanged {
                id: id.into(),
                path: manifest_path,
                pinned: pin.manifest_sha256,
                found,
            });
        }
        let manifest = Manifest::parse(&String::from_utf8_lossy(&manifest_text), &manifest_path)?;
        Ok(InstalledPlugin {
            manifest,
            pin,
            folder,
        })
    }

    /// Remove an installed plugin.
    pub fn remove(&self, id: &str) -> Result<(), InstallError> {
        let folder = self.folder(id);
        if !folder.exists() {
            return Err(InstallError::NotInstalled(id.to_string()));
        }
        std::fs::remove_dir_all(&folder).map_err(|source| InstallError::Write {
            path: folder,
            source,
        })?;
        let pin = self.pin_path(id);
        match std::fs::remove_file(&pin) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(InstallError::Write {
                path: pin,
                source: e,
            }),
            _ => Ok(()),
        }
    }

    /// Load an installed plugin for running: verify its pinned digest, use (or rebuild) the
    /// precompiled artifact, link it.
    pub fn load(&self, runtime: &Runtime, id: &str) -> Result<Plugin, InstallError> {
        let installed = self.get(id)?;
        let wasm = read(&installed.folder.join(&installed.manifest.wasm))?;
        let found = sha256_hex(&wasm);
        if found != installed.pin.wasm_sha256 {
            return Err(InstallError::DigestMismatch {
                id: id.into(),
                pinned: installed.pin.wasm_sha256,
                found,
            });
        }
        let compiled_path = installed.folder.join(COMPILED_FILE);
        let compiled = std::fs::read(&compiled_path)
            .ok()
            .filter(|c| sha256_hex(c) == installed.pin.compiled_sha256);
        let component = match compiled.and_then(|c| runtime.deserialize(id, &c)) {
            Some(component) => component,
            None => {
                tracing::info!(plugin = id, "recompiling from the pinned wasm");
                let compiled = runtime.precompile(id, &wasm)?;
                write(&compiled_path, &compiled)?;
                let pin = Pin {
                    compiled_sha256: sha256_hex(&compiled),
                    compiled_by: env!("CARGO_PKG_VERSION").into(),
                    ..installed.pin.clone()
                };
                write_pin(&self.pin_path(id), id, &pin)?;
                runtime
                    .deserialize(id, &compiled)
                    .ok_or_else(|| InstallError::Inconsistent {
                        id: id.into(),
                        message: "recompiled artifact does not load".into(),
                    })?
            }
        };
        Ok(runtime.prepare(id, installed.manifest.kind, &component)?)
    }
}

/// The component must describe itself as its manifest does: same id, version, kind, and the
/// same secret fields (a field the manifest shows as plain but the plugin treats as secret, or
/// the reverse, would mislead the user about what is protected).
fn verify_description(
    plugin: &Plugin,
    manifest: &Manifest,
    tokio: tokio::runtime::Handle,
) -> Result<(), InstallError> {
    let id = manifest.id.clone();
    let job = JobContext::standalone(&id, "install check", manifest.limits);
    let inconsistent = |message: String| InstallError::Inconsistent {
        id: id.clone(),
        message,
    };
    let mut session = plugin
        .session(job, tokio)
        .map_err(|e| inconsistent(e.to_string()))?;
    let description = session
        .describe()
        .map_err(|e| inconsistent(e.to_string()))?;
    if description.id != manifest.id || description.version != manifest.version {
        return Err(inconsistent(format!(
            "the component says it is {} {}, the manifest says {} {}; rebuild the plugin",
            description.id, description.version, manifest.id, manifest.version
        )));
    }
    let described_kind = match description.kind {
        crate::bindings::types::PluginKind::Ledger => crate::PluginKind::Ledger,
        crate::bindings::types::PluginKind::Bureau => crate::PluginKind::Bureau,
    };
    if described_kind != manifest.kind {
        return Err(inconsistent(format!(
            "the component is a {described_kind} plugin, the manifest says {}",
            manifest.kind
        )));
    }
    for field in &description.config_fields {
        let declared = manifest.config.iter().find(|f| f.key == field.key);
        match declared {
            None => {
                return Err(inconsistent(format!(
                    "the component uses config field `{}`, which the manifest does not declare",
                    field.key
                )));
            }
            Some(d) if d.secret != field.secret => {
                return Err(inconsistent(format!(
                    "config field `{}` is {} in the component but {} in the manifest",
                    field.key,
                    if field.secret { "secret" } else { "plain" },
                    if d.secret { "secret" } else { "plain" }
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
