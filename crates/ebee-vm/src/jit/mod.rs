//! The x86-64 JIT: translates a loaded program's slots to machine code at load time and runs
//! it with the interpreter's semantics, checked mode included (the same bounds checks, budget,
//! frames, helpers, callbacks and tail calls; differential tests hold the two engines to the
//! same results).
//!
//! Machine code is produced with [`dynasmrt`]: its `dynasm!` macro checks instruction forms
//! and operand sizes when ebee is compiled, encodes at run time into a buffer that is
//! writable while code is emitted and is remapped read + execute (never both writable and
//! executable) by `finalize`, and is unmapped when the program is dropped. Hand-written byte
//! tables would be a second, unchecked copy of the x86 encoding rules.

mod compile;
mod state;

use crate::error::VmError;
use crate::interp::{Entry, RunState, Step};
use crate::program::{Program, Slot};
use crate::stack::{zero_frame, FRAME_SIZE};
use crate::verified::ArrayLookup;
use dynasmrt::ExecutableBuffer;
use state::{status, JitState};

/// `extern "sysv64" fn(state, args, function, frame_top) -> r0`, the trampoline's signature.
type Trampoline =
    unsafe extern "sysv64" fn(*mut JitState<'_, '_>, *const u64, *const u8, u64) -> u64;

/// A program's machine code.
pub(crate) struct JitCode {
    buffer: ExecutableBuffer,
    trampoline: Trampoline,
    /// (slot, address) of each function's first instruction, sorted by slot.
    entries: Vec<(usize, *const u8)>,
}

// SAFETY: the machine code is immutable once finalized and keeps no state of its own (every
// invocation brings its own `JitState` and stack), so it may be shared and run by any
// number of threads at once; the raw pointers point into `buffer`, which lives as long.
unsafe impl Send for JitCode {}
// SAFETY: as for `Send`: nothing in `JitCode` is mutated after construction.
unsafe impl Sync for JitCode {}

impl std::fmt::Debug for JitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JitCode({} bytes of x86-64)", self.buffer.len())
    }
}

impl JitCode {
    /// Compiles the slots of a loaded program; `proven`: the accesses emitted unchecked;
    /// `lookups`: the helper calls computed inline; `charge_budget`: whether blocks charge
    /// the instruction budget.
    pub(crate) fn compile(
        code: &[Slot],
        function_entries: &[usize],
        proven: &[bool],
        lookups: &[Option<ArrayLookup>],
        charge_budget: bool,
    ) -> Result<JitCode, VmError> {
        let jit_error = |reason: String| VmError::Jit { reason };
        let compiled = compile::compile(code, function_entries, proven, lookups, charge_budget)
            .map_err(|e| jit_error(format!("cannot map memory for machine code: {e}")))?;
        let buffer = compiled
            .ops
            .finalize()
            .map_err(|_| jit_error("cannot make the machine code executable".to_string()))?;
        let trampoline_ptr = buffer.ptr(compiled.trampoline);
        // SAFETY: the trampoline was emitted at this offset with exactly this signature and
        // calling convention (see `compile::Compiler::trampoline`).
        let trampoline = unsafe { std::mem::transmute::<*const u8, Trampoline>(trampoline_ptr) };
        let entries = compiled
            .entries
            .iter()
            .map(|&(pc, offset)| (pc, buffer.ptr(offset)))
            .collect();
        Ok(JitCode {
            buffer,
            trampoline,
            entries,
        })
    }

    /// Runs `program` (whose machine code this is) from `entry`, as
    /// `Program::interpret` does.
    pub(crate) fn execute(
        &self,
        program: &Program,
        run: &mut RunState<'_>,
        entry: Entry,
        args: &[u64; 5],
    ) -> Result<Step, VmError> {
        let function = match self.entries.binary_search_by_key(&entry.pc, |&(pc, _)| pc) {
            Ok(i) => self.entries[i].1,
            Err(_) => unreachable!("callbacks enter at function entries"),
        };
        // SAFETY: `entry.frame_top` is the run's stack top or, for a callback, the bottom of
        // the caller's frame with a free frame below it (`call_function` checks the depth).
        unsafe { zero_frame(entry.frame_top) };
        let stack_low = entry.frame_top - FRAME_SIZE;
        let mut state = JitState {
            stack_low,
            stack_span: run.stack_top - stack_low,
            budget: run.budget_left,
            pc: 0,
            arg: 0,
            addr: 0,
            depth: entry.depth as u64,
            cpu: run.memory.cpu() as u64,
            entry_rsp: 0,
            status: status::RUNNING,
            read_start: 0,
            read_len: 0,
            write_start: 0,
            write_len: 0,
            run: std::ptr::from_mut(run).cast(),
            program,
            error: None,
            tail_call: None,
            panic: None,
        };
        // The machine code implements the interpreter's checked mode: every access it makes is
        // inside the stack of this run (whose frame below `frame_top` is free) or inside a
        // region `check_access` admitted; it calls back only into `state`'s entry points.
        // SAFETY: so the call touches only memory it may, and `state` outlives the call.
        let r0 = unsafe { (self.trampoline)(&mut state, args.as_ptr(), function, entry.frame_top) };
        run.budget_left = state.budget;
        if let Some(payload) = state.panic.take() {
            std::panic::resume_unwind(payload);
        }
        match state.status {
            status::RUNNING => Ok(Step::Exit(r0)),
            status::TAIL_CALL => {
                let (target, ctx) = state.tail_call.take().expect("a tail call target");
                Ok(Step::TailCall(target, ctx))
            }
            _ => Err(state.error.take().expect("failures record their error")),
        }
    }
}
