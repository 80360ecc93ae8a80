//! Program stacks: one 512-byte frame per call depth, reused across runs on a thread.

use std::cell::RefCell;
use std::ptr::NonNull;

/// Bytes of stack per frame, as in the kernel (`MAX_BPF_STACK`).
pub const FRAME_SIZE: u64 = 512;
/// Maximum call depth including the entry function, as in the kernel (`MAX_CALL_FRAMES`).
pub const MAX_FRAMES: usize = 8;

const STACK_BYTES: usize = FRAME_SIZE as usize * MAX_FRAMES;

/// 16-byte aligned so that aligned stack slots are aligned host addresses (atomics need it).
#[repr(C, align(16))]
struct StackMemory([u8; STACK_BYTES]);

thread_local! {
    static SPARE: RefCell<Vec<Box<StackMemory>>> = const { RefCell::new(Vec::new()) };
}

/// A stack for one run, returned to the thread's pool when dropped (so nested runs, e.g.
/// from a helper, get their own). Each frame is zeroed when a function enters it
/// ([`zero_frame`]), so no run sees bytes of an earlier one.
///
/// While checked out, the memory is owned through a raw pointer (the `Box` is taken apart),
/// so the program's writes through addresses derived from it never conflict with a live
/// `Box` or reference.
pub(crate) struct Stack {
    memory: NonNull<StackMemory>,
}

impl Stack {
    pub(crate) fn checkout() -> Stack {
        let boxed = SPARE
            .with(|spare| spare.borrow_mut().pop())
            .unwrap_or_else(|| Box::new(StackMemory([0; STACK_BYTES])));
        Stack {
            memory: NonNull::from(Box::leak(boxed)),
        }
    }

    /// Address one past the highest byte: the entry frame's r10. The provenance of the whole
    /// stack is exposed, since programs address it by integers.
    pub(crate) fn top(&self) -> u64 {
        let start = self.memory.as_ptr().cast::<u8>();
        // `wrapping_add` to one past the end of the allocation keeps the provenance.
        start.wrapping_add(STACK_BYTES).expose_provenance() as u64
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: `memory` came from `Box::leak` in `checkout` and is rebuilt exactly once,
        // here; the run that used it has ended.
        let boxed = unsafe { Box::from_raw(self.memory.as_ptr()) };
        let _ = SPARE.try_with(|spare| spare.borrow_mut().push(boxed));
    }
}

/// Zeroes the frame whose r10 is `frame_top`.
///
/// # Safety
/// `frame_top` must be the top of a frame of a [`Stack`] checked out for the current run:
/// `[frame_top - FRAME_SIZE, frame_top)` lies inside that stack's memory.
#[inline]
pub(crate) unsafe fn zero_frame(frame_top: u64) {
    let start = std::ptr::with_exposed_provenance_mut::<u8>((frame_top - FRAME_SIZE) as usize);
    // SAFETY: guaranteed by the caller; the stack's provenance was exposed by `Stack::top`.
    unsafe { std::ptr::write_bytes(start, 0, FRAME_SIZE as usize) };
}
