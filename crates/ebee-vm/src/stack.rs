//! Program stacks: one 512-byte frame per call depth, reused across runs on a thread.

use std::cell::RefCell;

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
pub(crate) struct Stack {
    memory: Option<Box<StackMemory>>,
}

impl Stack {
    pub(crate) fn checkout() -> Stack {
        let memory = SPARE
            .with(|spare| spare.borrow_mut().pop())
            .unwrap_or_else(|| Box::new(StackMemory([0; STACK_BYTES])));
        Stack {
            memory: Some(memory),
        }
    }

    /// Address one past the highest byte: the entry frame's r10.
    pub(crate) fn top(&self) -> u64 {
        let memory = self.memory.as_ref().expect("present until drop");
        memory.0.as_ptr() as u64 + STACK_BYTES as u64
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(memory) = self.memory.take() {
            SPARE.with(|spare| spare.borrow_mut().push(memory));
        }
    }
}

/// Zeroes the frame whose r10 is `frame_top`.
///
/// # Safety
/// `frame_top` must be the top of a frame of a [`Stack`] checked out for the current run:
/// `[frame_top - FRAME_SIZE, frame_top)` lies inside that stack's memory.
#[inline]
pub(crate) unsafe fn zero_frame(frame_top: u64) {
    let start = (frame_top - FRAME_SIZE) as *mut u8;
    // SAFETY: guaranteed by the caller.
    unsafe { std::ptr::write_bytes(start, 0, FRAME_SIZE as usize) };
}
