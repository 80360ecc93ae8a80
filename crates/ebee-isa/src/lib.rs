//! The eBPF instruction set of RFC 9669 (plus the Linux extensions clang emits), as used by
//! every other ebee crate.
//!
//! - [`OPCODES`]: the one opcode table; every other part of ebee reads it.
//! - [`Insn`]: a raw 8-byte slot; [`decode_program`] validates bytecode into [`Instruction`]s
//!   and [`encode_program`] turns them back into identical bytes.
//!
//! ```
//! use ebee_isa::{decode_program, encode_program, slots_from_bytes, Op};
//! let bytes = [
//!     0xb7, 0x00, 0, 0, 7, 0, 0, 0, // mov %r0, 7
//!     0x95, 0x00, 0, 0, 0, 0, 0, 0, // exit
//! ];
//! let program = decode_program(&slots_from_bytes(&bytes)?)?;
//! assert_eq!(program[0].op, Op::Mov64Imm);
//! assert_eq!(ebee_isa::slots_to_bytes(&encode_program(&program)), bytes);
//! # Ok::<(), ebee_isa::IsaError>(())
//! ```
//!
//! Text forms, all driven by the same table:
//!
//! - [`assemble`]: the syntax of the BPF conformance suite's `-- asm` sections, validated like
//!   bytecode; [`disassemble_conformance`] prints it back so that re-assembling gives
//!   byte-identical bytecode.
//! - [`ConformanceTest`]: a parsed conformance-suite `.data` file.
//!
//! ```
//! use ebee_isa::{assemble, disassemble_conformance, encode_program, slots_to_bytes};
//! let program = assemble(
//!     "lddw %r1, 0x1122334455667788  # two slots
//!      stxdw [%r10-8], %r1
//!      ldxw %r0, [%r10-8]
//!      jeq %r0, 0x55667788, done
//!      mov %r0, 0
//!      done:
//!      exit",
//! )?;
//! assert_eq!(program[3].off, 1);
//! let text = disassemble_conformance(&program);
//! assert!(text.starts_with("lddw %r1, 0x1122334455667788\nstxdw [%r10-8], %r1\n"));
//! assert_eq!(
//!     slots_to_bytes(&encode_program(&assemble(&text)?)),
//!     slots_to_bytes(&encode_program(&program))
//! );
//! # Ok::<(), ebee_isa::IsaError>(())
//! ```
//!
//! Dependencies: `thiserror` only, for the error enum.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod asm;
mod conformance_data;
mod decode;
pub mod disasm;
mod error;
mod insn;
mod opcode;
mod semantics;

pub use asm::assemble;
pub use conformance_data::ConformanceTest;
pub use decode::{decode_program, encode_program, Instruction, Validated};
pub use disasm::disassemble_conformance;
pub use disasm::{disassemble_llvm, LlvmCpu, LlvmDisassembler, LlvmSection};
pub use error::IsaError;
pub use insn::{slots_from_bytes, slots_to_bytes, Insn, INSN_SIZE};
pub use opcode::{rows_for_opcode, Op, OpDef, Select, Shape, OPCODES};
pub use semantics::{AluOp, AtomicOp, ByteOrder, CallKind, Cond, Operand, Semantics, Width};

/// Number of general-purpose registers (r0–r10).
pub const NUM_REGS: usize = 11;
/// The read-only frame pointer register.
pub const FRAME_POINTER: u8 = 10;
