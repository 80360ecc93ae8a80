//! [`Engine`]: what the objects an embedder loads share: worker count, trace sink,
//! instruction budget, and the embedder's own helpers and kfuncs.

use crate::error::Error;
use crate::host_function::HostFunction;
use crate::network::NetworkEnvironment;
use crate::object::{Object, ObjectBuilder};
use crate::trace_sink::TraceSink;
use ebee_isa::{Instruction, Op};
use ebee_object::ObjectSpec;
use std::sync::Arc;

/// Settings shared by the objects an embedder loads.
///
/// ```no_run
/// let engine = ebee::Engine::new();
/// let object = engine.load_file("xdp_prog.bpf.o")?;
/// for program in object.programs() {
///     println!("{} ({})", program.name(), program.section());
/// }
/// # Ok::<(), ebee::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    ncpus: usize,
    trace: Arc<dyn TraceSink>,
    /// `None`: [`Engine::budget`]'s default.
    budget: Option<u64>,
    backend: ebee_vm::Backend,
    /// The network namespace the helpers answer for.
    network: Arc<NetworkEnvironment>,
    /// Embedder helpers (by id) and kfuncs (by BTF name).
    custom: Vec<Custom>,
}

/// An embedder's helper or kfunc.
#[derive(Clone)]
pub(crate) struct Custom {
    /// `Ok(id)` for a helper, `Err(name)` for a kfunc.
    pub key: Result<u32, String>,
    pub function: HostFunction,
}

/// Helper ids ebee gives kfunc calls it rewrites into helper calls: `KFUNC_IDS + index`.
pub(crate) const KFUNC_IDS: u32 = 1 << 20;

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    /// An engine with as many workers (CPUs of per-CPU maps) as the machine has, and trace
    /// output to standard error.
    pub fn new() -> Engine {
        let ncpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Engine {
            ncpus,
            trace: Arc::new(crate::trace_sink::StderrTrace),
            budget: None,
            backend: ebee_vm::Backend::default(),
            network: Arc::new(NetworkEnvironment::new()),
            custom: Vec::new(),
        }
    }

    /// Adds (or replaces) the helper with id `id` for every program type: programs calling
    /// it load, and the call runs `func` with r1–r5, its result becoming r0. The helper has no
    /// prototype (it may take and write anything); [`Engine::with_function`] registers a
    /// typed one.
    ///
    /// ```
    /// let engine = ebee::Engine::new().with_helper(0x8000, "host_answer", |_env, _args| Ok(42));
    /// # let _ = engine;
    /// ```
    pub fn with_helper<F>(self, id: u32, name: &str, func: F) -> Engine
    where
        F: Fn(&mut ebee_vm::HelperEnv<'_, '_>, [u64; 5]) -> Result<u64, ebee_vm::HelperError>
            + Send
            + Sync
            + 'static,
    {
        self.with_function(id, HostFunction::untyped(name, func))
    }

    /// Provides the kernel function (kfunc) named `name` (its BTF name, as the program
    /// declares it with `__ksym`): calls to it run `func` with r1–r5. Like
    /// [`Engine::with_helper`], without a prototype.
    ///
    /// ```
    /// let engine = ebee::Engine::new().with_kfunc("host_add", |_env, a| Ok(a[0] + a[1]));
    /// # let _ = engine;
    /// ```
    pub fn with_kfunc<F>(self, name: &str, func: F) -> Engine
    where
        F: Fn(&mut ebee_vm::HelperEnv<'_, '_>, [u64; 5]) -> Result<u64, ebee_vm::HelperError>
            + Send
            + Sync
            + 'static,
    {
        self.with_kfunc_function(HostFunction::untyped(name, func))
    }

    /// Adds (or replaces) helper `id`, a host function with a prototype (see
    /// [`HostFunction::wrap`]).
    ///
    /// ```
    /// use ebee::{Engine, HostFunction};
    /// let scale = HostFunction::wrap("host_scale", |x: i64, by: i64| x * by)?;
    /// let engine = Engine::new().with_function(0x8000, scale);
    /// # let _ = engine;
    /// # Ok::<(), ebee::Error>(())
    /// ```
    pub fn with_function(mut self, id: u32, function: HostFunction) -> Engine {
        self.custom.retain(|c| c.key != Ok(id));
        self.custom.push(Custom {
            key: Ok(id),
            function,
        });
        self
    }

    /// Provides the kfunc named by `function`'s name, a host function with a prototype.
    ///
    /// ```
    /// use ebee::{Engine, HostFunction};
    /// let add = HostFunction::wrap("host_add", |a: i32, b: i32| a + b)?;
    /// let engine = Engine::new().with_kfunc_function(add);
    /// # let _ = engine;
    /// # Ok::<(), ebee::Error>(())
    /// ```
    pub fn with_kfunc_function(mut self, function: HostFunction) -> Engine {
        let key = Err(function.name().to_string());
        self.custom.retain(|c| c.key != key);
        self.custom.push(Custom { key, function });
        self
    }

    /// Sets the number of workers per-CPU maps hold values for.
    pub fn with_cpus(mut self, ncpus: usize) -> Engine {
        self.ncpus = ncpus.max(1);
        self
    }

    /// Sends `bpf_trace_printk` output to `trace`.
    pub fn with_trace(mut self, trace: Arc<dyn TraceSink>) -> Engine {
        self.trace = trace;
        self
    }

    /// Limits every run, of every program this engine loads, to `budget` instructions (see
    /// [`Engine::budget`] for the default).
    pub fn with_budget(mut self, budget: u64) -> Engine {
        self.budget = Some(budget);
        self
    }

    /// Chooses the engine programs run on: the JIT (the default on x86-64) or the
    /// interpreter. Both have the same semantics; loading fails if this build has no JIT.
    ///
    /// ```
    /// use ebee::{Backend, Engine};
    /// let engine = Engine::new().with_backend(Backend::Interpreter);
    /// assert_eq!(engine.backend(), Backend::Interpreter);
    /// ```
    pub fn with_backend(mut self, backend: ebee_vm::Backend) -> Engine {
        self.backend = backend;
        self
    }

    /// Sets the network namespace the helpers that ask about the network answer for
    /// (`fib_lookup`, `check_mtu`, `skb_get_tunnel_key`, …); the default is an empty
    /// namespace ([`NetworkEnvironment::new`]). Objects loaded afterwards use it.
    ///
    /// ```
    /// use ebee::network::{Interface, NetworkEnvironment};
    /// let env = NetworkEnvironment::new()
    ///     .with_interface(Interface::ethernet(2, "eth0", [2, 0, 0, 0, 0, 1], 1500));
    /// let engine = ebee::Engine::new().with_network(env);
    /// assert!(engine.network().interface(2).is_some());
    /// ```
    pub fn with_network(mut self, network: NetworkEnvironment) -> Engine {
        self.network = Arc::new(network);
        self
    }

    /// The network namespace the helpers answer for.
    pub fn network(&self) -> Arc<NetworkEnvironment> {
        self.network.clone()
    }

    /// The engine programs run on.
    pub fn backend(&self) -> ebee_vm::Backend {
        self.backend
    }

    /// Number of workers.
    pub fn cpus(&self) -> usize {
        self.ncpus
    }

    /// The instruction budget set with [`Engine::with_budget`], if any. Without one, a
    /// program the verifier proved safe (which proves that it terminates) runs without a
    /// limit, as in Linux, and the JIT charges it nothing; unverified programs
    /// ([`ObjectBuilder::unverified`](crate::ObjectBuilder::unverified), raw bytecode) get
    /// [`ebee_vm::DEFAULT_BUDGET`].
    ///
    /// ```
    /// let engine = ebee::Engine::new();
    /// assert_eq!(engine.budget(), None);
    /// assert_eq!(engine.with_budget(1000).budget(), Some(1000));
    /// ```
    pub fn budget(&self) -> Option<u64> {
        self.budget
    }

    /// Where trace output goes.
    pub fn trace(&self) -> Arc<dyn TraceSink> {
        self.trace.clone()
    }

    /// Whether the embedder registered a helper with this id.
    pub(crate) fn provides_helper(&self, id: u32) -> bool {
        self.custom.iter().any(|c| c.key == Ok(id))
    }

    /// The embedder's helpers and kfuncs.
    pub(crate) fn custom(&self) -> &[Custom] {
        &self.custom
    }

    /// Parses an object without loading it, so globals can be set first.
    pub fn open(&self, bytes: &[u8]) -> Result<ObjectBuilder, Error> {
        Ok(ObjectBuilder::new(self.clone(), ObjectSpec::parse(bytes)?))
    }

    /// Parses and loads an object.
    pub fn load(&self, bytes: &[u8]) -> Result<Object, Error> {
        self.open(bytes)?.load()
    }

    /// Reads, parses and loads an object file.
    pub fn load_file(&self, path: impl AsRef<std::path::Path>) -> Result<Object, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|error| Error::Io {
            path: path.to_path_buf(),
            error,
        })?;
        self.load(&bytes)
    }

    /// Rewrites calls to kfuncs the embedder provides into calls of their helper ids.
    pub(crate) fn bind_kfuncs(
        &self,
        instructions: &mut [Instruction],
        program: &ebee_object::LinkedProgram,
    ) {
        for insn in instructions.iter_mut().filter(|i| i.op == Op::CallKfunc) {
            let name = program
                .kfunc_calls
                .iter()
                .find(|k| k.pc == insn.pc)
                .map(|k| k.name.as_str());
            let index = self
                .custom
                .iter()
                .position(|c| c.key.as_ref().err().map(String::as_str) == name && name.is_some());
            if let Some(index) = index {
                insn.op = Op::CallHelper;
                insn.src = 0;
                insn.off = 0;
                insn.imm = (KFUNC_IDS + index as u32) as i64;
            }
        }
    }

    /// Adds the embedder's helpers and kfuncs to a program's registry.
    pub(crate) fn register_custom(&self, registry: &mut ebee_vm::Helpers) {
        for (index, custom) in self.custom.iter().enumerate() {
            let id = match custom.key {
                Ok(id) => id,
                Err(_) => KFUNC_IDS + index as u32,
            };
            registry.insert(custom.function.helper(id));
        }
    }
}
