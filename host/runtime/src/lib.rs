//! The plugin runtime: a wasmtime engine that compiles, caches and runs connector components,
//! each job in a store of its own with only what its manifest grants.
//!
//! - One [`Runtime`] per process: engine (pooling allocator, epoch interruption), one linker
//!   with the contract's imports and the small WASI subset Rust's std needs, an HTTP client.
//! - [`Runtime::load`] turns an installed plugin (precompiled at install) into a [`Plugin`]:
//!   a ready `InstancePre`, so starting a job costs microseconds.
//! - [`Plugin::session`] starts a job: a fresh `Store` with the job's grants and limits.
//!   Every call goes through [`Session`], which classifies what went wrong (see [`CallError`]).

pub mod bindings;
pub mod grants;
pub(crate) mod imports;
pub mod limits;
pub mod packages;
pub mod redact;
mod session;
pub mod state;
mod stdio;
mod wasi;

pub use session::{CallError, Session};
pub use state::{Clock, JobContext};

use limits::Limits;
use state::HostState;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; the granularity of the CPU limit.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// What can go wrong setting up the runtime or a plugin, before any plugin code runs.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// wasmtime refused the engine configuration (a bug or an unsupported machine).
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    /// The file is not a valid component, or not for this contract.
    #[error("plugin {plugin}: {detail}")]
    Compile { plugin: String, detail: String },
    /// The component needs imports Credence does not provide.
    #[error(
        "plugin {plugin} cannot be linked: {detail}. Credence provides only the credence:plugin@0.1.0 imports and WASI stdio, clocks and random; rebuild the plugin against the SDK"
    )]
    Link { plugin: String, detail: String },
}

/// The kind of a plugin, matching the contract's worlds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    Ledger,
    Bureau,
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PluginKind::Ledger => "ledger",
            PluginKind::Bureau => "bureau",
        })
    }
}

/// The process-wide plugin runtime.
pub struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    http: reqwest::Client,
    cap: Limits,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// A runtime whose plugins never get more than `cap`.
    pub fn new(cap: Limits) -> Result<Runtime, RuntimeError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(64);
        pool.total_core_instances(512);
        pool.total_memories(128);
        pool.total_tables(128);
        pool.max_memory_size(cap.memory_bytes());
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;

        let mut linker = Linker::new(&engine);
        bindings::ledger::Ledger::add_to_linker::<HostState, wasmtime::component::HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        wasi::add_to_linker(&mut linker).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;

        let http = reqwest::Client::builder()
            .user_agent(concat!("credence/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RuntimeError::Engine(format!("cannot build the HTTP client: {e}")))?;

        let ticker_stop = Arc::new(AtomicBool::new(false));
        let (weak, stop) = (engine.weak(), ticker_stop.clone());
        std::thread::Builder::new()
            .name("credence-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| RuntimeError::Engine(format!("cannot start the epoch thread: {e}")))?;

        Ok(Runtime {
            engine,
            linker,
            http,
            cap,
            ticker_stop,
        })
    }

    /// The limits no plugin may exceed.
    pub fn cap(&self) -> &Limits {
        &self.cap
    }

    /// Compile a component's bytes to this engine's native code, serialized for the cache.
    pub fn precompile(&self, plugin: &str, wasm: &[u8]) -> Result<Vec<u8>, RuntimeError> {
        self.compile(plugin, wasm)?
            .serialize()
            .map_err(|e| RuntimeError::Compile {
                plugin: plugin.to_string(),
                detail: format!("{e:#}"),
            })
    }

    /// Load a precompiled component; `None` if the artifact was made by another engine build
    /// (the caller recompiles from the pinned wasm).
    ///
    /// The bytes must be an artifact this runtime wrote (`precompile`) and whose digest the
    /// caller checked: deserializing runs native code.
    pub fn deserialize(&self, plugin: &str, cwasm: &[u8]) -> Option<Component> {
        // SAFETY: callers pass only artifacts produced by `precompile` into the plugin's own
        // folder in the Credence home, verified against the digest recorded at install.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(&self.engine, cwasm) };
        match component {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::info!(plugin, error = %e, "cached compilation unusable; recompiling");
                None
            }
        }
    }

    /// Link a component and prepare it for fast instantiation.
    pub fn prepare(
        &self,
        id: &str,
        kind: PluginKind,
        component: &Component,
    ) -> Result<Plugin, RuntimeError> {
        let link = |e: wasmtime::Error| RuntimeError::Link {
            plugin: id.to_string(),
            detail: format!("{e:#}"),
        };
        let pre = self.linker.instantiate_pre(component).map_err(link)?;
        let exports = |e: wasmtime::Error| RuntimeError::Compile {
            plugin: id.to_string(),
            detail: format!(
                "does not implement the `{kind}` world of credence:plugin@0.1.0: {e:#}"
            ),
        };
        let pre = match kind {
            PluginKind::Ledger => {
                PluginPre::Ledger(bindings::ledger::LedgerPre::new(pre).map_err(exports)?)
            }
            PluginKind::Bureau => {
                PluginPre::Bureau(bindings::bureau::BureauPre::new(pre).map_err(exports)?)
            }
        };
        Ok(Plugin {
            id: id.to_string(),
            kind,
            pre,
            http: self.http.clone(),
            engine: self.engine.clone(),
        })
    }

    /// Compile and prepare in one go (tests, tools).
    pub fn load_bytes(
        &self,
        id: &str,
        kind: PluginKind,
        wasm: &[u8],
    ) -> Result<Plugin, RuntimeError> {
        let component = self.compile(id, wasm)?;
        self.prepare(id, kind, &component)
    }

    fn compile(&self, plugin: &str, wasm: &[u8]) -> Result<Component, RuntimeError> {
        Component::new(&self.engine, wasm).map_err(|e| RuntimeError::Compile {
            plugin: plugin.to_string(),
            detail: format!("not a valid WebAssembly component: {e:#}"),
        })
    }

    /// The component's imports, for `plugin inspect`.
    pub fn imports(&self, component: &Component) -> Vec<String> {
        component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }
}

enum PluginPre {
    Ledger(bindings::ledger::LedgerPre<HostState>),
    Bureau(bindings::bureau::BureauPre<HostState>),
}

/// A linked plugin, ready to start jobs.
pub struct Plugin {
    id: String,
    kind: PluginKind,
    pre: PluginPre,
    http: reqwest::Client,
    engine: Engine,
}

impl Plugin {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn kind(&self) -> PluginKind {
        self.kind
    }

    /// Start a job for one connection: a fresh store and instance.
    pub fn session(
        &self,
        job: JobContext,
        tokio: tokio::runtime::Handle,
    ) -> Result<Session, CallError> {
        Session::start(self, job, tokio)
    }
}
