//! `files`: read-only access to the folders granted to the connection.
//!
//! Only regular files are read: a FIFO, socket or device placed in a granted folder would block
//! the call forever (or stream without end), so a file is opened without blocking, checked to be
//! regular on the open handle (no window to swap it), and read up to the response cap.

use crate::bindings::files::{FileEntry, Host};
use crate::bindings::types::PluginError;
use crate::limits::LimitHit;
use crate::state::HostState;
use chrono::{DateTime, SecondsFormat, Utc};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Open `file` for reading without blocking on it, and only if it is a regular file.
fn open_regular(file: &Path, shown: &str) -> Result<std::fs::File, PluginError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let handle = options
        .open(file)
        .map_err(|e| PluginError::Permanent(format!("cannot read {shown}: {e}")))?;
    let meta = handle
        .metadata()
        .map_err(|e| PluginError::Permanent(format!("cannot read {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(PluginError::Permanent(format!(
            "{shown} is not a regular file (a pipe, socket, device or folder); only regular files are read"
        )));
    }
    Ok(handle)
}

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
            if self.timer.remaining().is_zero() {
                let hit = LimitHit::WallClock {
                    limit_s: self.job.limits.wall_s,
                };
                return Err(self.refuse(hit, &format!("{path} not read")));
            }
            let cap = self.job.limits.response_bytes();
            let handle = open_regular(&file, &path)?;
            let mut bytes = Vec::new();
            handle
                .take(cap as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| PluginError::Permanent(format!("cannot read {path}: {e}")))?;
            if bytes.len() > cap {
                self.limit_hit = Some(LimitHit::ResponseSize {
                    limit_mib: self.job.limits.response_mib,
                    url: path.clone(),
                });
                return Err(PluginError::Permanent(format!(
                    "{path} is over the {} MiB cap for one read",
                    self.job.limits.response_mib
                )));
            }
            self.usage.bytes_read += bytes.len() as u64;
            self.check_bytes_read()?;
            Ok(bytes)
        })();
        self.timer.in_host += started.elapsed();
        result
    }
}
