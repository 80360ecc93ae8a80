//! What a helper sees of the running program: [`HelperEnv`].

use crate::error::{Access, HelperError};
use crate::interp::{Entry, RunState, Step};
use crate::memory::Region;
use crate::program::Program;
use std::sync::Arc;

/// Maximum number of tail calls in one run, as in the kernel (`MAX_TAIL_CALL_CNT`).
pub const MAX_TAIL_CALLS: u32 = 33;

/// What a helper can see of the running program: its memory (bounds-checked in checked
/// mode), the host state the embedder attached to the run, and the means to grant memory,
/// call back into the program, or tail-call.
pub struct HelperEnv<'e, 'r> {
    pub(crate) run: &'e mut RunState<'r>,
    pub(crate) program: &'e Program,
    /// Slot of the `call` instruction.
    pub(crate) pc: usize,
    pub(crate) stack_low: u64,
    pub(crate) depth: usize,
    pub(crate) checked: bool,
    pub(crate) tail_call: Option<Arc<Program>>,
}

impl<'r> HelperEnv<'_, 'r> {
    /// Checks, in checked mode, that `[addr, addr + len)` is program memory allowing `access`.
    fn check(&self, addr: u64, len: u64, access: Access) -> Result<(), HelperError> {
        if !self.checked {
            return Ok(());
        }
        let stack = self.run.stack_region(self.stack_low);
        if stack.contains(addr, len) || self.run.admits(self.program, addr, len, access) {
            return Ok(());
        }
        Err(self
            .run
            .fault(self.program, addr, len, access, stack)
            .into())
    }

    /// Slot index of the `call` instruction that called the helper.
    pub fn pc(&self) -> usize {
        self.pc
    }

    /// Whether the run is in checked mode (the program is not verified).
    pub fn checked(&self) -> bool {
        self.checked
    }

    /// The worker (CPU) index this run executes on, as set by [`crate::Memory::set_cpu`].
    pub fn cpu(&self) -> usize {
        self.run.memory.cpu()
    }

    /// The host state the embedder gave this run ([`crate::Program::run_with_state`]), if it
    /// has type `T`. It lives as long as the run, so it may be held while the program's
    /// memory is written.
    pub fn host_state<T: 'static>(&self) -> Option<&'r T> {
        let state: &'r dyn std::any::Any = self.run.host_state?;
        state.downcast_ref()
    }

    /// Lets the program access `region` for the rest of the run (e.g. a map value a lookup
    /// returned, or a reserved ring-buffer record). Checked mode refuses accesses to memory
    /// that is neither registered nor granted; an unchecked run needs no grants and ignores
    /// them.
    pub fn grant(&mut self, region: Region) {
        if self.checked {
            self.run.granted.insert(region);
        }
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
    pub fn call_function(&mut self, function: u64, args: [u64; 5]) -> Result<u64, HelperError> {
        let entry = self
            .program
            .function_entry(function)
            .ok_or_else(|| format!("{function:#x} is not a function of this program"))?;
        if self.depth + 1 >= crate::MAX_FRAMES {
            return Err(format!("callback exceeds {} call frames", crate::MAX_FRAMES).into());
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
        match step.map_err(|e| HelperError::Callback(Box::new(e)))? {
            Step::Exit(r0) => Ok(r0),
            Step::TailCall(..) => Err("tail call inside a callback".into()),
        }
    }

    /// Copies `len` bytes the program owns at `addr` (stack or a registered region).
    pub fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, HelperError> {
        // Check before allocating: `len` comes from the program.
        self.check(addr, len as u64, Access::Read)?;
        let mut out = vec![0u8; len];
        self.read_into(addr, &mut out)?;
        Ok(out)
    }

    /// Copies `out.len()` bytes the program owns at `addr` into `out`, without allocating
    /// (for helpers that copy a key or value into a buffer of their own).
    pub fn read_into(&self, addr: u64, out: &mut [u8]) -> Result<(), HelperError> {
        self.check(addr, out.len() as u64, Access::Read)?;
        let src = std::ptr::with_exposed_provenance::<u8>(addr as usize);
        // SAFETY: checked mode proved [addr, addr+len) lies inside the stack or a region the
        // host registered from live memory that outlives this run; an unchecked run is a
        // verified one, whose helper arguments the verifier proved.
        unsafe { std::ptr::copy_nonoverlapping(src, out.as_mut_ptr(), out.len()) };
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
        let start = std::ptr::with_exposed_provenance::<u8>(addr as usize);
        // The program, the stack's one other writer, is suspended in this helper call and can
        // only resume through `&mut self` methods (`call_function`, `write`).
        // SAFETY: [addr, addr+len) lies in this run's stack, which outlives `self`; borrowing
        // `self` excludes every writer while the slice lives.
        Some(unsafe { std::slice::from_raw_parts(start, len) })
    }

    /// Writes `bytes` into writable program memory at `addr`.
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), HelperError> {
        self.check(addr, bytes.len() as u64, Access::Write)?;
        let dst = std::ptr::with_exposed_provenance_mut::<u8>(addr as usize);
        // SAFETY: checked mode proved the destination lies inside writable program memory
        // (the stack or a region registered as writable for this run); an unchecked run is a
        // verified one, whose helper arguments the verifier proved.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len()) };
        Ok(())
    }
}
