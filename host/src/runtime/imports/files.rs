//! `files`: read-only access to the folders granted to the connection.

use crate::runtime::bindings::files::{FileEntry, Host};
use crate::runtime::bindings::types::PluginError;
use crate::runtime::limits::LimitHit;
use crate::runtime::state::HostState;
use chrono::{DateTime, SecondsFormat, Utc};
use std::time::Instant;

impl HostState {
    fn granted_path(&mut self, path: &str) -> Result<std::path::PathBuf, PluginError> {
        match self.job.grants.allowed_path(path) {
            Some(p) => Ok(p),
            None => {
                self.deny(
                    format!("read of {path}"),
                    "only the folders in its manifest's `folders` capability".into(),
                );
                Err(PluginError::Permanent(format!(
                    "{path} is outside the folders granted to this plugin (or does not exist)"
                )))
            }
        }
    }
}

impl Host for HostState {
    fn list_dir(&mut self, path: String) -> Result<Vec<FileEntry>, PluginError> {
        let started = Instant::now();
        let result = (|| {
            let dir = self.granted_path(&path)?;
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                PluginError::Permanent(format!("cannot list {}: {e}", dir.display()))
            })?;
            let mut out = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| {
                    PluginError::Transient(format!("cannot list {}: {e}", dir.display()))
                })?;
                let Ok(meta) = entry.metadata() else { continue };
                out.push(FileEntry {
                    path: entry.path().to_string_lossy().into_owned(),
                    name: entry.file_name().to_string_lossy().into_owned(),
                    is_dir: meta.is_dir(),
                    size: meta.len(),
                    modified: meta.modified().ok().map(|t| {
                        DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Millis, true)
                    }),
                });
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })();
        self.timer.in_host += started.elapsed();
        result
    }

    fn read(&mut self, path: String) -> Result<Vec<u8>, PluginError> {
        let started = Instant::now();
        let result = (|| {
            let file = self.granted_path(&path)?;
            let cap = self.job.limits.response_bytes();
            let size = std::fs::metadata(&file)
                .map(|m| m.len() as usize)
                .unwrap_or(0);
            if size > cap {
                self.limit_hit = Some(LimitHit::ResponseSize {
                    limit_mib: self.job.limits.response_mib,
                    url: path.clone(),
                });
                return Err(PluginError::Permanent(format!(
                    "{path} is {size} bytes, over the {} MiB cap for one read",
                    self.job.limits.response_mib
                )));
            }
            std::fs::read(&file)
                .map_err(|e| PluginError::Permanent(format!("cannot read {path}: {e}")))
        })();
        self.timer.in_host += started.elapsed();
        result
    }
}
