//! Disassemblers: validated [`crate::Instruction`]s back to text.
//!
//! - [`conformance`]: the syntax of the BPF conformance suite, the exact inverse of
//!   [`crate::assemble`].

pub mod conformance;
pub mod llvm;

pub use conformance::disassemble_conformance;
pub use llvm::{disassemble_llvm, LlvmCpu, LlvmDisassembler, LlvmSection};
