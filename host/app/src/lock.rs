//! One sync per connection per home at a time, across processes.
//!
//! Two `credence sync` started at once on one home (a cron job overlapping a slow run, an
//! operator syncing by hand while `credence serve` runs on SQLite) would both read the vendor
//! from the same cursor in full: twice the vendor's quota for nothing, and two writers queueing
//! on one SQLite file. So the sync of a connection holds an OS file lock on
//! `<home>/locks/<connection>.lock` while it runs; another process that finds it held skips that
//! connection at once, naming the holder's pid. The OS releases the lock when the holder exits,
//! however it exits (a killed sync leaves no stale lock behind; the pid in the file is only
//! informative). `credence serve`'s leases coordinate instances on PostgreSQL; this lock is
//! what keeps processes sharing one home from overlapping.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The `error_kind` of a sync skipped because another process holds the connection's lock.
pub const LOCKED: &str = "locked";

/// A held connection lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct ConnectionLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug)]
pub enum NotLocked {
    /// Another process is syncing the connection: the message says which pid and that it was
    /// skipped.
    Busy(String),
    /// The lock file cannot be used (permissions, a full disk): the message names the file.
    Io(String),
}

impl NotLocked {
    pub fn message(self) -> String {
        match self {
            NotLocked::Busy(m) | NotLocked::Io(m) => m,
        }
    }
}

fn path(home: &Path, connection: &str) -> PathBuf {
    // Connection names are 1-64 letters, digits, `-` or `_` (`home::config::validate_name`),
    // so they are safe as file names.
    home.join("locks").join(format!("{connection}.lock"))
}

/// Take the lock of `connection`'s sync in the home at `home` without waiting.
pub fn try_lock(home: &Path, connection: &str) -> Result<ConnectionLock, NotLocked> {
    let path = path(home, connection);
    let io = |e: std::io::Error| {
        NotLocked::Io(format!(
            "cannot use the lock file {} of connection {connection}: {e}; check that the home is writable",
            path.display()
        ))
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    // Not truncated on open: the holder's pid must stay readable by whoever finds it busy.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {
            let pid = std::process::id().to_string();
            file.set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| file.write_all(pid.as_bytes()))
                .map_err(io)?;
            Ok(ConnectionLock { _file: file })
        }
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let pid = if !holder.is_empty() && holder.chars().all(|c| c.is_ascii_digit()) {
                format!("pid {holder}")
            } else {
                "pid not known yet".to_string()
            };
            Err(NotLocked::Busy(format!(
                "connection {connection} is being synced by another credence process ({pid}); skipped"
            )))
        }
        Err(TryLockError::Error(e)) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid_until_it_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path();
        let first = try_lock(home, "shop").expect("first lock");
        let busy = match try_lock(home, "shop") {
            Err(NotLocked::Busy(m)) => m,
            other => panic!("expected busy, got {other:?}"),
        };
        assert_eq!(
            busy,
            format!(
                "connection shop is being synced by another credence process (pid {}); skipped",
                std::process::id()
            )
        );
        assert!(try_lock(home, "other").is_ok(), "one lock per connection");
        drop(first);
        assert!(try_lock(home, "shop").is_ok(), "released when dropped");
    }
}
