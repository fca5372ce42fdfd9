//! Read-only access to folders the plugin's manifest declares and the user granted.
//!
//! Paths outside those folders are refused by the host.

pub use crate::bindings::files::FileEntry;
use crate::{ErrorExt, PluginError};

/// List a granted folder (not recursive), sorted by name for stable paging.
pub fn list_dir(path: &str) -> Result<Vec<FileEntry>, PluginError> {
    let mut entries = crate::host::list_dir(path)?;
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// Read a whole file from a granted folder.
pub fn read(path: &str) -> Result<Vec<u8>, PluginError> {
    crate::host::read_file(path)
}

/// Read a whole file as UTF-8 text; the error names the file.
pub fn read_to_string(path: &str) -> Result<String, PluginError> {
    let bytes = read(path)?;
    String::from_utf8(bytes)
        .map_err(|e| PluginError::permanent(format!("{path} is not valid UTF-8 text: {e}")))
}

/// Join a folder and a file name with a single `/`.
pub fn join(folder: &str, name: &str) -> String {
    format!("{}/{}", folder.trim_end_matches('/'), name)
}
