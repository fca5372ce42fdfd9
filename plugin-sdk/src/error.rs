use crate::PluginError;

/// Short constructors and helpers for [`PluginError`].
pub trait ErrorExt: Sized {
    /// A failure a retry will not fix.
    fn permanent(message: impl Into<String>) -> Self;
    /// A temporary failure; the host retries from the saved cursor.
    fn transient(message: impl Into<String>) -> Self;
    /// A configuration problem the user must fix.
    fn bad_config(message: impl Into<String>) -> Self;
    /// Refused credentials.
    fn auth(message: impl Into<String>) -> Self;
    /// The message, whatever the kind.
    fn message(&self) -> &str;
    /// A stable name of the kind, as the host reports it: `auth`, `rate-limited`...
    fn kind(&self) -> &'static str;
}

impl ErrorExt for PluginError {
    fn permanent(message: impl Into<String>) -> Self {
        PluginError::Permanent(message.into())
    }
    fn transient(message: impl Into<String>) -> Self {
        PluginError::Transient(message.into())
    }
    fn bad_config(message: impl Into<String>) -> Self {
        PluginError::BadConfig(message.into())
    }
    fn auth(message: impl Into<String>) -> Self {
        PluginError::Auth(message.into())
    }
    fn message(&self) -> &str {
        match self {
            PluginError::Auth(m)
            | PluginError::Transient(m)
            | PluginError::BadConfig(m)
            | PluginError::Permanent(m) => m,
            PluginError::RateLimited(r) => &r.message,
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            PluginError::Auth(_) => "auth",
            PluginError::RateLimited(_) => "rate-limited",
            PluginError::Transient(_) => "transient",
            PluginError::BadConfig(_) => "bad-config",
            PluginError::Permanent(_) => "permanent",
        }
    }
}
