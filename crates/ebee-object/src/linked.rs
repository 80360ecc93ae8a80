//! What linking produces: a [`LinkedProgram`] per program, self-contained, with the source
//! locations, functions and references a verifier, VM or host needs.

use std::fmt;

use ebee_isa::{encode_program, slots_to_bytes, Instruction, Op, Validated};

use crate::ProgramKind;

/// A program linked as libbpf links it: its function, then every subprogram it calls
/// (transitively), with calls and function addresses fixed up, map references rewritten to
/// map indices, and CO-RE relocations resolved.
///
/// The instructions pass [`ebee_isa::decode_program`]; `pc` values here are slot indices in
/// [`LinkedProgram::instructions`] (an `lddw` takes two).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkedProgram {
    /// The program's (function's) name.
    pub name: String,
    /// Its section.
    pub section: String,
    /// What the section name says it is (or the host set).
    pub kind: ProgramKind,
    /// The rule that chose [`LinkedProgram::kind`].
    pub rule: crate::TypeRule,
    /// The part of the section name after the kind.
    pub attach_target: Option<String>,
    /// The linked, validated instructions.
    pub instructions: Validated,
    /// The functions in the linked code, by position: the program first, then the appended
    /// subprograms.
    pub functions: Vec<FunctionInfo>,
    /// Source locations from BTF line info, sorted by `pc`; empty without `.BTF.ext`.
    pub line_info: Vec<LineInfo>,
    /// Calls to extern functions (kfuncs): `call` with `src = 2` and `imm = 0`, for the host
    /// to resolve by name.
    pub kfunc_calls: Vec<KfuncCall>,
    /// CO-RE relocations that could not be resolved against the target BTF: their
    /// instructions were poisoned, as libbpf does, into `call 0xbad2310` (a helper that does
    /// not exist), so a verifier rejects them if they are reachable.
    pub core_diagnostics: Vec<CoreDiagnostic>,
}

/// A function in a linked program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionInfo {
    /// The function's name (its symbol).
    pub name: String,
    /// Its first instruction slot in the linked program.
    pub pc: usize,
    /// Its length in slots.
    pub len: usize,
    /// Its BTF `Func` type (from `.BTF.ext` func info).
    pub btf_type_id: Option<u32>,
}

/// A source location (from BTF line info) of the instruction at `pc` and those after it up
/// to the next entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// Instruction slot in the linked program.
    pub pc: usize,
    /// Source file, as clang recorded it.
    pub file: String,
    /// Line number (1-based).
    pub line: u32,
    /// Column (1-based; 0 when unknown).
    pub column: u32,
    /// The text of the source line.
    pub text: String,
}

impl fmt::Display for LineInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file,
            self.line,
            self.column,
            self.text.trim()
        )
    }
}

/// A call to an extern function (a kfunc) at `pc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KfuncCall {
    /// Instruction slot of the `call`.
    pub pc: usize,
    /// The function's name.
    pub name: String,
}

/// A CO-RE relocation that was not resolved, and whose instruction was poisoned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreDiagnostic {
    /// Instruction slot in the linked program.
    pub pc: usize,
    /// The relocation kind, as `llvm-objdump` prints it (`byte_off`, `enumval_value`...).
    pub kind: &'static str,
    /// The access, as `struct task::extra (0:5)`.
    pub access: String,
    /// Why it was not resolved.
    pub reason: String,
}

/// The immediate of a poisoned instruction: `call 0xbad2310`, as libbpf writes it.
pub const CORE_POISON_IMM: i32 = 0x0bad_2310;

impl fmt::Display for CoreDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "instruction {}: CO-RE relocation <{}> {} not resolved ({}); poisoned as `call {:#x}`",
            self.pc, self.kind, self.access, self.reason, CORE_POISON_IMM
        )
    }
}

/// A map reference in linked code: an `lddw` whose `src` is `BPF_PSEUDO_MAP_IDX` (5) or
/// `BPF_PSEUDO_MAP_IDX_VALUE` (6).
///
/// In an [`Instruction`], `imm` is the 64-bit immediate of both slots: the low 32 bits hold
/// the map index (in [`crate::ObjectSpec::maps`]) and, for kind 6, the high 32 bits the byte
/// offset into the map's value (element 0 of a global data map).
///
/// ```
/// use ebee_isa::{Instruction, Op};
/// use ebee_object::MapReference;
/// let insn = Instruction { pc: 3, op: Op::LddwMapIdxValue, dst: 1, src: 6, off: 0, imm: (8 << 32) | 2 };
/// let found = MapReference::from_instruction(&insn).unwrap();
/// assert_eq!((found.pc, found.map_index, found.value_offset), (3, 2, Some(8)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapReference {
    /// Instruction slot of the `lddw`.
    pub pc: usize,
    /// Index of the map in [`crate::ObjectSpec::maps`].
    pub map_index: usize,
    /// For a reference into a map's value (global data), the byte offset in it.
    pub value_offset: Option<u32>,
}

impl MapReference {
    /// The reference an instruction makes, if it is a map reference.
    pub fn from_instruction(insn: &Instruction) -> Option<MapReference> {
        let map_index = usize::try_from(insn.imm as u32).ok()?;
        let value_offset = match insn.op {
            Op::LddwMapIdx => None,
            Op::LddwMapIdxValue => Some((insn.imm >> 32) as u32),
            _ => return None,
        };
        Some(MapReference {
            pc: insn.pc,
            map_index,
            value_offset,
        })
    }
}

impl LinkedProgram {
    /// The map references in the program, in order.
    pub fn map_references(&self) -> impl Iterator<Item = MapReference> + '_ {
        self.instructions
            .iter()
            .filter_map(MapReference::from_instruction)
    }

    /// The function holding instruction slot `pc`.
    pub fn function_at(&self, pc: usize) -> Option<&FunctionInfo> {
        self.functions
            .iter()
            .find(|f| pc >= f.pc && pc < f.pc + f.len)
    }

    /// The source location of instruction slot `pc`: the last line info entry at or before
    /// it in the same function.
    pub fn source_line(&self, pc: usize) -> Option<&LineInfo> {
        let function = self.function_at(pc)?;
        let after = self.line_info.partition_point(|l| l.pc <= pc);
        let line = self.line_info.get(after.checked_sub(1)?)?;
        (line.pc >= function.pc).then_some(line)
    }

    /// The linked bytecode (8 bytes per slot, little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        slots_to_bytes(&encode_program(&self.instructions))
    }
}
