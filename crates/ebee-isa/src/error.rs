//! The one error type of `ebee-isa`.

use thiserror::Error;

/// Why bytecode or assembly was rejected. Every variant names where: the instruction index
/// (slot) for bytecode, the line for assembly.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IsaError {
    /// The bytecode length is not a multiple of 8.
    #[error("bytecode is {len} bytes, not a multiple of the 8-byte instruction size")]
    TruncatedBytecode {
        /// Length in bytes.
        len: usize,
    },
    /// The program has no instructions.
    #[error("program has no instructions")]
    EmptyProgram,
    /// The opcode byte is not in the opcode table (or no form of it matches the selecting field).
    #[error("instruction {pc}: unknown opcode {opcode:#04x}{detail}")]
    UnknownOpcode {
        /// Instruction index.
        pc: usize,
        /// Opcode byte.
        opcode: u8,
        /// What else was wrong (e.g. which `imm` was not a known atomic operation).
        detail: String,
    },
    /// A field the instruction does not use is not zero.
    #[error("instruction {pc} ({mnemonic}): reserved field `{field}` must be 0, is {value}")]
    ReservedFieldNotZero {
        /// Instruction index.
        pc: usize,
        /// Conformance-syntax mnemonic of the form.
        mnemonic: &'static str,
        /// `dst`, `src`, `off` or `imm`.
        field: &'static str,
        /// The value found.
        value: i64,
    },
    /// A register field names a register that does not exist.
    #[error("instruction {pc} ({mnemonic}): invalid register r{reg} in `{field}`")]
    InvalidRegister {
        /// Instruction index.
        pc: usize,
        /// Mnemonic.
        mnemonic: &'static str,
        /// `dst` or `src`.
        field: &'static str,
        /// Register number found.
        reg: u8,
    },
    /// The instruction writes the read-only frame pointer r10.
    #[error("instruction {pc} ({mnemonic}): writes r10, the read-only frame pointer")]
    WritesFramePointer {
        /// Instruction index.
        pc: usize,
        /// Mnemonic.
        mnemonic: &'static str,
    },
    /// `lddw` is the last slot, or its second slot is not a valid continuation.
    #[error("instruction {pc}: malformed lddw: {reason}")]
    MalformedLddw {
        /// Instruction index of the first slot.
        pc: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A jump or local call leaves the program.
    #[error("instruction {pc}: jump target {target} is outside the program (0..{len})")]
    JumpOutOfBounds {
        /// Instruction index of the jump.
        pc: usize,
        /// Target slot.
        target: i64,
        /// Number of slots.
        len: usize,
    },
    /// A jump or local call lands on the second slot of an `lddw`.
    #[error("instruction {pc}: jump target {target} is the middle of the lddw at {}", target - 1)]
    JumpIntoLddw {
        /// Instruction index of the jump.
        pc: usize,
        /// Target slot.
        target: usize,
    },
    /// The last instruction can fall through past the end of the program.
    #[error("instruction {pc}: last instruction is not exit or an unconditional jump; execution would fall off the end")]
    FallsOffEnd {
        /// Instruction index of the last instruction.
        pc: usize,
    },
    /// A hand-built instruction list whose instructions do not describe themselves: a `pc`
    /// that is not the slot the instruction occupies, a field that does not fit its encoding,
    /// or an `op` whose row the fields contradict (see [`crate::Validated::new`]).
    #[error("instruction {index} (pc {pc}): {reason}")]
    Inconsistent {
        /// Position in the list.
        index: usize,
        /// The `pc` the instruction claims.
        pc: usize,
        /// What does not match.
        reason: String,
    },
    /// Assembly text that does not assemble.
    #[error("line {line}: {message}")]
    Asm {
        /// 1-based line number.
        line: usize,
        /// What is wrong, naming the offending text.
        message: String,
    },
    /// A conformance-suite `.data` file that does not parse (see
    /// [`crate::ConformanceTest::parse`]).
    #[error("conformance data line {line}: {message}")]
    ConformanceData {
        /// 1-based line number in the `.data` file.
        line: usize,
        /// What is wrong, naming the offending text.
        message: String,
    },
}
