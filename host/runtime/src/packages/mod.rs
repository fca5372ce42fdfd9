//! Plugin packages: the manifest next to a component, and the installed-plugin registry in
//! the Credence home (pinned digests, precompiled artifacts).

pub mod manifest;
pub mod registry;

pub use manifest::{Manifest, ManifestError};
pub use registry::{InstallError, InstalledPlugin, Registry};
