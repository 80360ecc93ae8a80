//! The ebee interpreter: runs validated eBPF instructions with the kernel's semantics.
//!
//! - [`Vm`] holds what programs share (the [`Helpers`] registry, the instruction budget) and
//!   loads bytecode into a [`Program`].
//! - [`Program::run`] executes in **checked mode**: every load and store is bounds-checked
//!   against the program's stack and the [`Memory`] regions the host registered, so even an
//!   unverified program cannot fault the process; an out-of-bounds access is a [`VmError`]
//!   naming the instruction, the address and the nearest region.
//! - Each run has 512 bytes of stack per frame, bpf-to-bpf calls up to [`MAX_FRAMES`] deep
//!   with r6–r9 preserved, and stops with an error when the instruction budget runs out.
//! - The legacy packet loads (`ldabs*`, `ldind*`) reach the packet through the embedder's
//!   [`LegacyPacketLoadFn`] ([`Vm::with_legacy_packet_load`]); the VM itself knows no packets.
//!
//! ```
//! use ebee_vm::{Helpers, Memory, Vm};
//! // ldxw %r0, [%r1+0]; exit
//! let bytes = [0x61, 0x10, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
//! let program = Vm::new(Helpers::new()).load_bytes(&bytes)?;
//! let mut input = 0x1234u32.to_le_bytes().to_vec();
//! let mut memory = Memory::new();
//! let addr = memory.add_mut("input", &mut input);
//! assert_eq!(program.run(&memory, &[addr])?, 0x1234);
//! assert!(program.run(&memory, &[addr + 2]).is_err()); // reads past the input
//! # Ok::<(), ebee_vm::VmError>(())
//! ```
#![warn(missing_docs)]

mod ctx;
mod dataflow;
mod env;
mod error;
mod helpers;
mod interp;
#[cfg(all(target_arch = "x86_64", not(miri)))]
mod jit;
mod legacy_packet;
mod memory;
mod ops;
mod program;
#[cfg(test)]
mod run_tests;
mod stack;
mod verified;

pub use ctx::{ContextLayout, CtxAccess, HostField};
pub use env::{HelperEnv, MAX_TAIL_CALLS};
pub use error::{Access, Fault, HelperError, VmError};
pub use helpers::{Helper, HelperClosure, HelperFn, HelperImpl, Helpers, ALL_ARGS};
pub use interp::Outcome;
pub use legacy_packet::{LegacyPacketLoad, LegacyPacketLoadFn};
pub use memory::{Memory, Region};
pub use program::{Backend, Program, Vm, DEFAULT_BUDGET};
pub use stack::{FRAME_SIZE, MAX_FRAMES};
pub use verified::{ArrayLookup, Proofs};
