//! The helper registry: kernel helper id → implementation.
//!
//! This crate only dispatches; it knows no helper semantics. The kernel helper table (with
//! the prototypes the verifier reads) lives in the `ebee` crate and registers plain function
//! pointers here; embedders may also register closures. At load, [`crate::Vm::load`]
//! resolves every `call` to a slot of a dense per-program array, so a call is one indexed
//! function-pointer call; only `callx` looks its id up at run time.
//!
//! Implementations receive what they need of the run through [`HelperEnv`] (memory access,
//! the host state the embedder attached to the run); they capture nothing of the program, so
//! a program never owns what owns it.

use crate::env::HelperEnv;
use crate::error::HelperError;
use std::borrow::Cow;
use std::sync::Arc;

/// A helper implementation as a plain function: r1–r5 in, r0 out.
pub type HelperFn = fn(&mut HelperEnv<'_, '_>, [u64; 5]) -> Result<u64, HelperError>;

/// A helper implementation as a closure (embedders' helpers that carry state).
pub type HelperClosure =
    dyn Fn(&mut HelperEnv<'_, '_>, [u64; 5]) -> Result<u64, HelperError> + Send + Sync;

/// How a helper is implemented.
#[derive(Clone)]
pub enum HelperImpl {
    /// A plain function (the kernel helper table's rows).
    Fn(HelperFn),
    /// A closure.
    Closure(Arc<HelperClosure>),
}

impl HelperImpl {
    #[inline]
    pub(crate) fn call(
        &self,
        env: &mut HelperEnv<'_, '_>,
        args: [u64; 5],
    ) -> Result<u64, HelperError> {
        match self {
            HelperImpl::Fn(f) => f(env, args),
            HelperImpl::Closure(f) => f(env, args),
        }
    }
}

/// One registered helper.
#[derive(Clone)]
pub struct Helper {
    /// Kernel helper id (`BPF_FUNC_*`), or an embedder's id.
    pub id: u32,
    /// Kernel name without the `bpf_` prefix (`ktime_get_ns`).
    pub name: Cow<'static, str>,
    /// The implementation.
    pub imp: HelperImpl,
    /// Bit `i` set: the helper may write memory its argument r(1+i) points to (from its
    /// prototype: `ARG_PTR_TO_UNINIT_MEM`, `ARG_PTR_TO_LONG`, …). The load-time data-flow
    /// forgets what the program spilled there. [`ALL_ARGS`] when unknown.
    pub writes_through: u8,
}

/// Every argument may be written through: what is assumed of a helper without a prototype.
pub const ALL_ARGS: u8 = 0b1_1111;

impl std::fmt::Debug for Helper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Helper({} = {})", self.id, self.name)
    }
}

/// Helper ids below this are stored in a table indexed by id; larger ones in a sorted list.
const DENSE_IDS: usize = 1024;

/// Helper id → implementation.
///
/// ```
/// use ebee_vm::{HelperEnv, HelperError, Helpers};
/// fn answer(_env: &mut HelperEnv<'_, '_>, _args: [u64; 5]) -> Result<u64, HelperError> {
///     Ok(42)
/// }
/// let mut helpers = Helpers::new();
/// helpers.register_fn(1000, "answer", answer);
/// let offset = 7;
/// helpers.register(1001, "plus_offset", move |_env, args| Ok(args[0] + offset));
/// assert_eq!(helpers.get(1000).unwrap().name, "answer");
/// assert!(helpers.get(5).is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Helpers {
    /// Ids below [`DENSE_IDS`], indexed directly (the kernel's helper ids).
    by_id: Vec<Option<Helper>>,
    /// Larger ids (embedders' helpers and kfuncs), sorted by id.
    sparse: Vec<Helper>,
}

impl Helpers {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers (or replaces) a plain-function helper with id `id`, which may write through
    /// any argument.
    pub fn register_fn(&mut self, id: u32, name: impl Into<Cow<'static, str>>, func: HelperFn) {
        self.insert(Helper {
            id,
            name: name.into(),
            imp: HelperImpl::Fn(func),
            writes_through: ALL_ARGS,
        });
    }

    /// Registers (or replaces) a closure helper with id `id`, which may write through any
    /// argument.
    pub fn register<F>(&mut self, id: u32, name: impl Into<Cow<'static, str>>, func: F)
    where
        F: Fn(&mut HelperEnv<'_, '_>, [u64; 5]) -> Result<u64, HelperError> + Send + Sync + 'static,
    {
        self.insert(Helper {
            id,
            name: name.into(),
            imp: HelperImpl::Closure(Arc::new(func)),
            writes_through: ALL_ARGS,
        });
    }

    /// Registers (or replaces) `helper`.
    pub fn insert(&mut self, helper: Helper) {
        let slot = helper.id as usize;
        if slot >= DENSE_IDS {
            match self.sparse.binary_search_by_key(&helper.id, |h| h.id) {
                Ok(i) => self.sparse[i] = helper,
                Err(i) => self.sparse.insert(i, helper),
            }
            return;
        }
        if self.by_id.len() <= slot {
            self.by_id.resize(slot + 1, None);
        }
        self.by_id[slot] = Some(helper);
    }

    /// The helper with id `id`, if registered.
    #[inline]
    pub fn get(&self, id: u32) -> Option<&Helper> {
        match self.by_id.get(id as usize) {
            Some(slot) => slot.as_ref(),
            None => {
                let i = self.sparse.binary_search_by_key(&id, |h| h.id).ok()?;
                self.sparse.get(i)
            }
        }
    }
}
