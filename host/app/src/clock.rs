//! The business clock: what "now" and "today" are for syncs, evaluations and plans. One place
//! reads it, so the CLI and the server agree and a replay can pin it.

use credence_runtime::Clock;

/// The clock plugins see: `CREDENCE_NOW` (RFC 3339) pins it, for tests and replays.
pub fn clock() -> anyhow::Result<Clock> {
    match std::env::var("CREDENCE_NOW") {
        Ok(text) => {
            let t = chrono::DateTime::parse_from_rfc3339(&text).map_err(|e| {
                anyhow::anyhow!("CREDENCE_NOW={text:?} is not an RFC 3339 instant: {e}")
            })?;
            Ok(Clock::Fixed(t.with_timezone(&chrono::Utc)))
        }
        Err(_) => Ok(Clock::System),
    }
}

/// Today, or the day `CREDENCE_NOW` pins.
pub fn today() -> anyhow::Result<chrono::NaiveDate> {
    Ok(clock()?.now().date_naive())
}
