//! What JIT code and the Rust it calls share during one invocation: [`JitState`], reached
//! from machine code through r12, and the `extern "sysv64"` entry points machine code calls
//! for everything that is not straight-line arithmetic (helpers, the out-of-line half of the
//! bounds check, legacy packet loads, errors).
//!
//! Nothing here may unwind into machine code: a panic in a helper is caught, kept in the state
//! and resumed by the driver once the machine code has returned.

use crate::error::{Access, VmError};
use crate::interp::RunState;
use crate::program::Program;
use crate::stack::MAX_FRAMES;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// How an invocation of JIT code ended, in [`JitState::status`].
pub(super) mod status {
    /// Still running, or returned normally.
    pub const RUNNING: u64 = 0;
    /// An error is in [`super::JitState::error`] (or a panic in `panic`).
    pub const FAILED: u64 = 1;
    /// A helper asked for a tail call: [`super::JitState::tail_call`].
    pub const TAIL_CALL: u64 = 2;
    /// A legacy packet load fell outside the packet: the function returns 0.
    pub const OUT_OF_PACKET: u64 = 3;
}

/// What [`fail`] reports, in [`JitState::arg`] with the slot in [`JitState::pc`].
pub(super) mod failure {
    /// The instruction budget ran out in the block starting at `pc`; `addr` holds the
    /// block's instruction count.
    pub const BUDGET: u64 = 0;
    /// A local call at `pc` would exceed the frame limit.
    pub const CALL_DEPTH: u64 = 1;
    // Any other kind is the size (4 or 8) of an atomic at `pc` whose address, in `addr`,
    // is misaligned.
}

/// The per-invocation state. Machine code reads and writes the `u64` fields at the offsets
/// [`offsets`] gives, so the layout is `repr(C)` and those fields come first.
#[repr(C)]
pub(super) struct JitState<'s, 'r> {
    /// Lowest stack byte the current frame may touch (r10 - 512).
    pub stack_low: u64,
    /// `stack_top - stack_low`: the bytes above `stack_low` that are the program's stack.
    pub stack_span: u64,
    /// Instructions left; blocks subtract their length on entry.
    pub budget: u64,
    /// Slot of the instruction that called out (helper call, failure, legacy load).
    pub pc: u64,
    /// The call-out's argument: helper index, `callx` id, or failure kind.
    pub arg: u64,
    /// An address for the failure (misaligned atomics), or a block length (budget).
    pub addr: u64,
    /// Frames in use below the current function (the entry's depth plus local calls).
    pub depth: u64,
    /// The run's CPU ([`crate::Memory::cpu`]), for per-CPU array lookups.
    pub cpu: u64,
    /// The host stack pointer just before the first function was called: errors unwind
    /// to it.
    pub entry_rsp: u64,
    /// One of [`status`].
    pub status: u64,
    /// Start and length of a region reads may use without calling out (the last region an
    /// out-of-line check admitted; empty at first).
    pub read_start: u64,
    pub read_len: u64,
    /// The same for writes (the last writable region admitted).
    pub write_start: u64,
    pub write_len: u64,
    pub run: *mut RunState<'r>,
    pub program: &'s Program,
    pub error: Option<VmError>,
    pub tail_call: Option<(Arc<Program>, u64)>,
    pub panic: Option<Box<dyn Any + Send>>,
}

/// Byte offsets of [`JitState`]'s fields, for machine code.
pub(super) mod offsets {
    use super::JitState;
    use std::mem::offset_of;
    pub const STACK_LOW: i32 = offset_of!(JitState, stack_low) as i32;
    pub const STACK_SPAN: i32 = offset_of!(JitState, stack_span) as i32;
    pub const BUDGET: i32 = offset_of!(JitState, budget) as i32;
    pub const PC: i32 = offset_of!(JitState, pc) as i32;
    pub const ARG: i32 = offset_of!(JitState, arg) as i32;
    pub const ADDR: i32 = offset_of!(JitState, addr) as i32;
    pub const DEPTH: i32 = offset_of!(JitState, depth) as i32;
    pub const CPU: i32 = offset_of!(JitState, cpu) as i32;
    pub const ENTRY_RSP: i32 = offset_of!(JitState, entry_rsp) as i32;
    pub const STATUS: i32 = offset_of!(JitState, status) as i32;
    pub const READ_START: i32 = offset_of!(JitState, read_start) as i32;
    pub const READ_LEN: i32 = offset_of!(JitState, read_len) as i32;
    pub const WRITE_START: i32 = offset_of!(JitState, write_start) as i32;
    pub const WRITE_LEN: i32 = offset_of!(JitState, write_len) as i32;
}

/// Frames a local call may use: a call at `depth >= CALL_DEPTH_LIMIT` fails.
pub(super) const CALL_DEPTH_LIMIT: u64 = MAX_FRAMES as u64 - 1;

impl JitState<'_, '_> {
    /// Records `error`; machine code then unwinds to the driver.
    fn fail_with(&mut self, error: VmError) {
        self.error = Some(error);
        self.status = status::FAILED;
    }

    /// Runs `f` with the run state; a panic is kept for the driver and counts as a failure.
    fn guarded(&mut self, f: impl FnOnce(&mut Self) -> Result<(), VmError>) {
        match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => self.fail_with(error),
            Err(payload) => {
                self.panic = Some(payload);
                self.status = status::FAILED;
            }
        }
    }

    /// Makes the region the run admitted or granted last the one checked inline.
    fn cache_last_hit(&mut self) {
        if let Some((start, len, writable)) = self.run().granted.last_hit() {
            (self.read_start, self.read_len) = (start, len);
            if writable {
                (self.write_start, self.write_len) = (start, len);
            }
        }
    }

    fn run(&mut self) -> &mut RunState<'_> {
        // SAFETY: `run` comes from the `&mut RunState` the driver holds for the whole
        // invocation and does not use while machine code runs; machine code calls out one
        // call at a time, so this is the only live reference.
        unsafe { &mut *self.run.cast::<RunState<'_>>() }
    }
}

/// Derives the state from the pointer machine code passes (its r12).
///
/// # Safety
/// `state` must be the pointer the driver passed to the machine code of this invocation.
unsafe fn state_mut<'a>(state: *mut JitState<'a, 'a>) -> &'a mut JitState<'a, 'a> {
    // SAFETY: guaranteed by the caller: the driver's `JitState` outlives the invocation, and
    // machine code holds no reference to it while Rust code runs.
    unsafe { &mut *state }
}

/// The out-of-line half of a bounds check: `[addr, addr + size)` is neither in the current
/// frame's stack nor in the cached region; checks it against the regions of the run and
/// caches the region that allowed it. Returns non-zero on failure.
pub(super) extern "sysv64" fn check_access(
    state: *mut JitState<'_, '_>,
    addr: u64,
    size: u64,
    write: u64,
    pc: u64,
) -> u64 {
    // SAFETY: machine code passes its r12, the state of this invocation.
    let state = unsafe { state_mut(state.cast()) };
    let access = if write != 0 {
        Access::Write
    } else {
        Access::Read
    };
    let (stack_low, program) = (state.stack_low, state.program);
    state.guarded(|s| {
        s.run()
            .check_regions(program, pc as usize, addr, size, access, stack_low)
    });
    if state.status == status::RUNNING {
        state.cache_last_hit();
    }
    state.status
}

/// A helper call: r1–r5 in the argument registers, the helper's index in [`JitState::arg`]
/// (or, when `by_id` is set, its id, for `callx`). Returns r0.
fn call_helper(state: &mut JitState<'_, '_>, args: [u64; 5], by_id: bool) -> u64 {
    let mut reg = [0u64; 16];
    reg[1..6].copy_from_slice(&args);
    let (pc, arg) = (state.pc as usize, state.arg);
    let (index, id) = if by_id {
        (None, arg)
    } else {
        (Some(arg as usize), 0)
    };
    let (stack_low, depth, budget) = (state.stack_low, state.depth as usize, state.budget);
    let program = state.program;
    let mut r0 = 0;
    state.guarded(|s| {
        let run = s.run();
        run.budget_left = budget;
        let result = program.call_helper::<true>(pc, index, id, &reg, run, stack_low, depth);
        let budget_left = run.budget_left;
        s.budget = budget_left;
        let (value, tail_call) = result?;
        r0 = value;
        // What a helper granted (a map value, a ring-buffer record) is what the program
        // touches next.
        s.cache_last_hit();
        if let Some(target) = tail_call {
            s.tail_call = Some((target, args[0]));
            s.status = status::TAIL_CALL;
        }
        Ok(())
    });
    r0
}

/// `call` of a helper, from machine code.
pub(super) extern "sysv64" fn helper(
    r1: u64,
    r2: u64,
    r3: u64,
    r4: u64,
    r5: u64,
    state: *mut JitState<'_, '_>,
) -> u64 {
    // SAFETY: machine code passes its r12, the state of this invocation.
    let state = unsafe { state_mut(state.cast()) };
    call_helper(state, [r1, r2, r3, r4, r5], false)
}

/// `callx` of a helper by id, from machine code.
pub(super) extern "sysv64" fn helper_by_id(
    r1: u64,
    r2: u64,
    r3: u64,
    r4: u64,
    r5: u64,
    state: *mut JitState<'_, '_>,
) -> u64 {
    // SAFETY: machine code passes its r12, the state of this invocation.
    let state = unsafe { state_mut(state.cast()) };
    call_helper(state, [r1, r2, r3, r4, r5], true)
}

/// A legacy packet load at [`JitState::pc`]: r6 and the offset register in, r0 out
/// ([`status::OUT_OF_PACKET`] when the bytes are outside the packet).
pub(super) extern "sysv64" fn legacy_packet_load(
    ctx: u64,
    src: u64,
    state: *mut JitState<'_, '_>,
) -> u64 {
    // SAFETY: machine code passes its r12, the state of this invocation.
    let state = unsafe { state_mut(state.cast()) };
    let (pc, stack_low, depth) = (state.pc as usize, state.stack_low, state.depth as usize);
    let program = state.program;
    let mut r0 = 0;
    state.guarded(|s| {
        let loaded = program.legacy_packet_load::<true>(pc, ctx, src, s.run(), stack_low, depth)?;
        match loaded {
            Some(value) => r0 = value,
            None => s.status = status::OUT_OF_PACKET,
        }
        Ok(())
    });
    r0
}

/// An error machine code detected itself: the kind in [`JitState::arg`] (see [`failure`]).
pub(super) extern "sysv64" fn fail(state: *mut JitState<'_, '_>) {
    // SAFETY: machine code passes its r12, the state of this invocation.
    let state = unsafe { state_mut(state.cast()) };
    let pc = state.pc as usize;
    let error = match state.arg {
        failure::BUDGET => {
            // The block subtracted its whole length; the interpreter stops at the first
            // instruction the budget does not cover.
            let left = state.budget.wrapping_add(state.addr);
            let code = &state.program.code;
            let mut at = pc;
            for _ in 0..left {
                at += super::compile::slots_of(&code[at]);
            }
            VmError::BudgetExhausted {
                pc: at,
                // Only programs with a budget charge one.
                budget: state.program.budget.unwrap_or(u64::MAX),
            }
        }
        failure::CALL_DEPTH => VmError::CallDepthExceeded {
            pc,
            max: MAX_FRAMES,
        },
        size => VmError::MisalignedAtomic {
            pc,
            addr: state.addr,
            size,
        },
    };
    state.fail_with(error);
}
