//! The Credence home: a folder holding `credence.toml`, installed plugins and (later) the
//! embedded database. Chosen by `--home`, else `CREDENCE_HOME`, else `./.credence`.

pub mod config;
mod open;

pub use config::{ConnectionConfig, CredenceConfig};

use credence_runtime::packages::Registry;
use std::path::{Path, PathBuf};

/// File name of the configuration inside a home.
pub const CONFIG_FILE: &str = "credence.toml";

/// Why a home could not be used.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error(
        "no Credence home at {0}: run `credence init` (or pass `--home DIR` / set CREDENCE_HOME)"
    )]
    Missing(PathBuf),
    #[error("{0} already holds a Credence home; pass --force to overwrite its credence.toml")]
    Exists(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{0}")]
    Connection(String),
}

/// An opened home.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The home at `root`, which must have been initialised.
    pub fn open(root: &Path) -> Result<Home, HomeError> {
        if !root.join(CONFIG_FILE).is_file() {
            return Err(HomeError::Missing(root.to_path_buf()));
        }
        Ok(Home {
            root: root.to_path_buf(),
        })
    }

    /// Create a home with a commented default configuration.
    pub fn init(root: &Path, force: bool) -> Result<Home, HomeError> {
        let config = root.join(CONFIG_FILE);
        if config.exists() && !force {
            return Err(HomeError::Exists(root.to_path_buf()));
        }
        std::fs::create_dir_all(root.join("plugins")).map_err(|source| HomeError::Write {
            path: root.to_path_buf(),
            source,
        })?;
        std::fs::write(&config, config::DEFAULT_CONFIG).map_err(|source| HomeError::Write {
            path: config.clone(),
            source,
        })?;
        let policy = root.join(crate::credit::POLICY_FILE);
        if !policy.exists() {
            std::fs::write(&policy, credence_rules::policy::DEFAULT_POLICY).map_err(|source| {
                HomeError::Write {
                    path: policy.clone(),
                    source,
                }
            })?;
        }
        Ok(Home {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// Parse `credence.toml`.
    pub fn config(&self) -> Result<CredenceConfig, HomeError> {
        let path = self.config_path();
        let text = std::fs::read_to_string(&path).map_err(|source| HomeError::Read {
            path: path.clone(),
            source,
        })?;
        CredenceConfig::parse(&text).map_err(|message| HomeError::Invalid { path, message })
    }

    /// The installed plugins.
    pub fn registry(&self) -> Registry {
        Registry::new(self.root.join("plugins"))
    }

    /// Add a connection to `credence.toml`, keeping the file's comments and layout.
    pub fn add_connection(
        &self,
        name: &str,
        connection: &ConnectionConfig,
    ) -> Result<(), HomeError> {
        self.edit_config(|doc| config::insert_connection(doc, name, connection))
    }

    /// Remove a connection from `credence.toml`.
    pub fn remove_connection(&self, name: &str) -> Result<(), HomeError> {
        self.edit_config(|doc| config::remove_connection(doc, name))
    }

    fn edit_config(
        &self,
        edit: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<(), String>,
    ) -> Result<(), HomeError> {
        let path = self.config_path();
        let text = std::fs::read_to_string(&path).map_err(|source| HomeError::Read {
            path: path.clone(),
            source,
        })?;
        let mut doc: toml_edit::DocumentMut =
            text.parse()
                .map_err(|e: toml_edit::TomlError| HomeError::Invalid {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
        edit(&mut doc).map_err(HomeError::Connection)?;
        let new_text = doc.to_string();
        CredenceConfig::parse(&new_text).map_err(|message| HomeError::Invalid {
            path: path.clone(),
            message,
        })?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, new_text).map_err(|source| HomeError::Write {
            path: tmp.clone(),
            source,
        })?;
        std::fs::rename(&tmp, &path).map_err(|source| HomeError::Write { path, source })
    }
}
