//! The helper registry: kernel helper id → implementation.
//!
//! This crate only dispatches; it knows no helper semantics beyond the few in
//! [`Helpers::basic`] that need neither maps nor a program type. The full kernel helper table
//! (with prototypes the verifier reads) is built on top of this registry by the `ebee` crate.

use crate::error::Access;
use crate::interp::{Entry, RunState, Step};
use crate::memory::Region;
use crate::program::Program;
use std::sync::Arc;

/// A helper implementation: receives r1–r5, returns r0, or an error message that stops the run.
pub type HelperFn = dyn Fn(&mut HelperEnv<'_, '_>, [u64; 5]) -> Result<u64, String> + Send + Sync;

/// One registered helper.
#[derive(Clone)]
pub struct Helper {
    /// Kernel helper id (`BPF_FUNC_*`).
    pub id: u32,
    /// Kernel name without the `bpf_` prefix (`ktime_get_ns`).
    pub name: String,
    /// The implementation.
    pub func: Arc<HelperFn>,
}

impl std::fmt::Debug for Helper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Helper({} = {})", self.id, self.name)
    }
}

/// Helper ids below this are stored in a table indexed by id; larger ones in a sorted list.
const DENSE_IDS: usize = 1024;

/// Maximum number of tail calls in one run, as in the kernel (`MAX_TAIL_CALL_CNT`).
pub const MAX_TAIL_CALLS: u32 = 33;

/// What a helper can see of the running program: bounds-checked access to its memory, the
/// host state of the run, and the means to grant memory, call back into the program, or
/// tail-call.
pub struct HelperEnv<'e, 'r> {
    pub(crate) run: &'e mut RunState<'r>,
    pub(crate) program: &'e Program,
    pub(crate) stack_low: u64,
    pub(crate) depth: usize,
    pub(crate) checked: bool,
    pub(crate) tail_call: Option<Arc<Program>>,
}

impl HelperEnv<'_, '_> {
    fn check(&self, addr: u64, len: u64, access: Access) -> Result<(), String> {
        let stack = self.run.stack_region(self.stack_low);
        let run = &self.run;
        if stack.contains(addr, len) || run.granted.allows(run.memory.regions(), addr, len, access)
        {
            return Ok(());
        }
        self.run
            .memory
            .check(0, addr, len, access)
            .map_err(|e| e.to_string())
    }

    /// The worker (CPU) index this run executes on, as set by [`crate::Memory::set_cpu`].
    pub fn cpu(&self) -> usize {
        self.run.memory.cpu()
    }

    /// The host state the embedder attached to this run ([`crate::Memory::set_host_state`]), if it
    /// has type `T`.
    pub fn host_state<T: 'static>(&self) -> Option<&T> {
        self.run.memory.host_state()?.downcast_ref()
    }

    /// Lets the program access `region` for the rest of the run (e.g. a map value a lookup
    /// returned, or a reserved ring-buffer record). Checked mode refuses accesses to memory
    /// that is neither registered nor granted.
    pub fn grant(&mut self, region: Region) {
        self.run.granted.insert(region);
    }

    /// Ends the current program when the helper returns and continues in `target` with the
    /// same context (r1), as `bpf_tail_call` does. Returns false, and does nothing, when the
    /// run already made [`MAX_TAIL_CALLS`] tail calls or the helper runs inside a callback.
    pub fn tail_call(&mut self, target: Arc<Program>) -> bool {
        if self.run.tail_calls >= MAX_TAIL_CALLS || self.depth > 0 {
            return false;
        }
        self.tail_call = Some(target);
        true
    }

    /// Calls the program's function `function` (a value a `lddw` of a function reference
    /// produced, as passed to `bpf_loop` or `bpf_for_each_map_elem`) with `args` in r1–r5,
    /// in a new frame below the caller's, and returns its r0.
    pub fn call_function(&mut self, function: u64, args: [u64; 5]) -> Result<u64, String> {
        let entry = self
            .program
            .function_entry(function)
            .ok_or_else(|| format!("{function:#x} is not a function of this program"))?;
        if self.depth + 1 >= crate::MAX_FRAMES {
            return Err(format!(
                "callback exceeds {} call frames",
                crate::MAX_FRAMES
            ));
        }
        let entry = Entry {
            pc: entry,
            frame_top: self.stack_low,
            depth: self.depth + 1,
        };
        let step = if self.checked {
            self.program.execute_one::<true>(self.run, entry, &args)
        } else {
            self.program.execute_one::<false>(self.run, entry, &args)
        };
        match step.map_err(|e| e.to_string())? {
            Step::Exit(r0) => Ok(r0),
            Step::TailCall(..) => Err("tail call inside a callback".to_string()),
        }
    }

    /// Copies `len` bytes the program owns at `addr` (stack or a registered region).
    pub fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, String> {
        // Check before allocating: `len` comes from the program.
        self.check(addr, len as u64, Access::Read)?;
        let mut out = vec![0u8; len];
        self.read_into(addr, &mut out)?;
        Ok(out)
    }

    /// Copies `out.len()` bytes the program owns at `addr` into `out`, without allocating
    /// (for helpers that copy a key or value into a buffer of their own).
    pub fn read_into(&self, addr: u64, out: &mut [u8]) -> Result<(), String> {
        self.check(addr, out.len() as u64, Access::Read)?;
        // SAFETY: `check` proved [addr, addr+len) lies inside the stack or a region the host
        // registered from a live borrowed slice, which outlives this run.
        unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, out.as_mut_ptr(), out.len()) };
        Ok(())
    }

    /// The `len` bytes at `addr` when they lie in the program's stack (the usual place of a
    /// map key), borrowed rather than copied; `None` elsewhere (use [`HelperEnv::read_into`]).
    #[inline]
    pub fn stack_bytes(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let in_stack = addr >= self.stack_low
            && addr
                .checked_add(len as u64)
                .is_some_and(|end| end <= self.run.stack_top);
        if !in_stack {
            return None;
        }
        // The program, the stack's one other writer, is suspended in this helper call and can
        // only resume through `&mut self` methods (`call_function`, `write`).
        // SAFETY: [addr, addr+len) lies in this run's stack, which outlives `self`; borrowing
        // `self` excludes every writer while the slice lives.
        Some(unsafe { std::slice::from_raw_parts(addr as *const u8, len) })
    }

    /// Writes `bytes` into writable program memory at `addr`.
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), String> {
        self.check(addr, bytes.len() as u64, Access::Write)?;
        // SAFETY: `check` proved the destination lies inside writable program memory (the
        // stack or a region registered from a `&mut` slice borrowed for this run).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
        Ok(())
    }
}

/// Helper id → implementation.
///
/// ```
/// use ebee_vm::Helpers;
/// let mut helpers = Helpers::new();
/// helpers.register(1000, "answer", |_env, _args| Ok(42));
/// assert_eq!(helpers.get(1000).unwrap().name, "answer");
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

    /// The helpers that need no maps and no program type: `ktime_get_ns` (5),
    /// `get_prandom_u32` (7) and `get_smp_processor_id` (8), with kernel ids.
    pub fn basic() -> Self {
        let mut helpers = Self::new();
        helpers.register(5, "ktime_get_ns", |_, _| Ok(monotonic_ns()));
        helpers.register(7, "get_prandom_u32", |_, _| Ok(prandom_u32() as u64));
        helpers.register(8, "get_smp_processor_id", |env, _| Ok(env.cpu() as u64));
        helpers
    }

    /// Registers (or replaces) the helper with kernel id `id`.
    pub fn register<F>(&mut self, id: u32, name: impl Into<String>, func: F)
    where
        F: Fn(&mut HelperEnv<'_, '_>, [u64; 5]) -> Result<u64, String> + Send + Sync + 'static,
    {
        let helper = Helper {
            id,
            name: name.into(),
            func: Arc::new(func),
        };
        let slot = id as usize;
        if slot >= DENSE_IDS {
            match self.sparse.binary_search_by_key(&id, |h| h.id) {
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

    /// The helper with kernel id `id`, if registered.
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

/// Nanoseconds of a monotonic clock (the process's first use is the epoch).
fn monotonic_ns() -> u64 {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    EPOCH
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos() as u64
}

/// A per-thread xorshift generator, seeded from the clock and the thread.
fn prandom_u32() -> u32 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = const { Cell::new(0) };
    }
    STATE.with(|state| {
        let mut x = state.get();
        if x == 0 {
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9e37_79b9_7f4a_7c15);
            x = seed | 1;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        (x >> 32) as u32
    })
}
