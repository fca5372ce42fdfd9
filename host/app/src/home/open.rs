//! What a home opens for a command or the server: its store, its policy, its runtime.

use super::Home;
use credence_rules::credit::Policy;
use credence_runtime::Runtime;
use credence_store::{Location, Store};

impl Home {
    /// Where this home's store is: `[storage]` of credence.toml.
    pub fn store_location(&self) -> anyhow::Result<Location> {
        let storage = self.config()?.storage;
        Ok(match storage.postgres {
            Some(url) => Location::Postgres {
                url,
                schema: storage.postgres_schema,
            },
            None => Location::Sqlite(self.root().join(&storage.sqlite)),
        })
    }

    /// This home's store, opened (and migrated).
    pub fn open_store(&self) -> anyhow::Result<Box<dyn Store>> {
        Ok(self.store_location()?.open()?)
    }

    /// The home's policy (`[policy] file` in credence.toml) and where it came from.
    /// The home's policy, with the reference rates `credence law update` fetched (where the
    /// policy gives none of its own).
    pub fn policy(&self) -> anyhow::Result<(Policy, String)> {
        let file = self.config()?.policy.file;
        let (mut policy, origin) = crate::credit::load_policy(&self.root().join(file))?;
        crate::law_rates::merge_into(&mut policy, &crate::law_rates::load(self.root())?);
        Ok((policy, origin))
    }

    /// The plugin runtime for this home, with its configured caps.
    pub fn runtime(&self) -> anyhow::Result<Runtime> {
        let config = self.config()?;
        Ok(Runtime::new(config.runtime.limits)?)
    }
}
