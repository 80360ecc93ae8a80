//! The code-section view of an object file: [`ElfObject`] lists the executable sections with
//! their bytes and symbols, as `llvm-objdump -d` shows them. The full loader is
//! [`crate::ObjectSpec`]; this view is what the disassembler needs. Both read the file with
//! the crate's one ELF reader (`elf.rs`).

use std::path::Path;

use ebee_isa::{decode_program, slots_from_bytes, Instruction, Op};
use object::elf;

use crate::elf::{reloc, Elf, ElfSection};
use crate::error::read_file;
use crate::ObjectError;

/// A symbol that names a place in a code section: a function, or a plain label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeSymbol {
    /// The symbol's name.
    pub name: String,
    /// Byte offset in the section.
    pub offset: u64,
    /// Size in bytes, as recorded in the symbol table (0 for labels).
    pub size: u64,
    /// True for `STT_FUNC` symbols, false for `STT_NOTYPE` labels.
    pub is_function: bool,
}

/// An executable section of an object file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeSection {
    /// The section's name (`.text`, `xdp`, `tc/ingress`, ...).
    pub name: String,
    /// Index of the section in the ELF section header table.
    pub index: usize,
    /// The section's contents: eBPF bytecode, before relocation.
    pub bytes: Vec<u8>,
    /// The functions and labels in the section, in symbol-table order.
    pub symbols: Vec<CodeSymbol>,
    /// Slot indices that have a relocation (those of bpf-to-bpf calls matter to `decode`).
    relocated_slots: Vec<usize>,
}

impl CodeSection {
    /// Decodes and validates the section's bytecode; errors name the section and instruction.
    ///
    /// The whole section is one program for [`decode_program`]: local calls and jumps may
    /// cross the functions in it, and its last instruction must be `exit` (or a jump).
    ///
    /// A bpf-to-bpf call that has a relocation (a call to a function in another section, or
    /// to a global function) is not yet a call to `pc + 1 + imm`: its `imm` holds the
    /// relocation's addend (`call 0x43`, `call -0x1`) until a loader links the program. Such
    /// calls are validated with their target left open, and keep their `imm` as it is.
    pub fn decode(&self) -> Result<Vec<Instruction>, ObjectError> {
        let decode_error = |error| ObjectError::Decode {
            section: self.name.clone(),
            error,
        };
        let mut slots = slots_from_bytes(&self.bytes).map_err(decode_error)?;
        let mut addends = Vec::new();
        for &index in &self.relocated_slots {
            if let Some(slot) = slots.get_mut(index) {
                if Op::of_slot(slot) == Some(Op::CallLocal) {
                    addends.push((index, slot.imm));
                    slot.imm = -1; // a call to itself: always inside the program
                }
            }
        }
        let mut program = decode_program(&slots)
            .map_err(decode_error)?
            .into_instructions();
        for (index, addend) in addends {
            if let Ok(at) = program.binary_search_by_key(&index, |insn| insn.pc) {
                program[at].imm = addend.into();
            }
        }
        Ok(program)
    }
}

/// A parsed BPF ELF object file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfObject {
    code_sections: Vec<CodeSection>,
}

impl ElfObject {
    /// Parses an object file from its bytes, with the same ELF reader as
    /// [`crate::ObjectSpec::parse`] (so the same files are refused, with the same errors),
    /// but nothing beyond the code sections: no BTF, maps or relocation targets. Never panics,
    /// whatever the bytes.
    ///
    /// ```
    /// use ebee_object::{ElfObject, ObjectError};
    /// assert!(matches!(ElfObject::parse(b"not ELF"), Err(ObjectError::NotElf { .. })));
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<ElfObject, ObjectError> {
        let elf = Elf::parse(bytes)?;
        let code_sections = elf
            .sections
            .iter()
            .filter(|section| section.is_code())
            .map(|section| code_section(&elf, section))
            .collect::<Result<_, _>>()?;
        Ok(ElfObject { code_sections })
    }

    /// Reads and parses an object file; errors name the file.
    pub fn read(path: impl AsRef<Path>) -> Result<ElfObject, ObjectError> {
        let path = path.as_ref();
        let bytes = read_file(path)?;
        ElfObject::parse(&bytes).map_err(|e| e.in_file(path))
    }

    /// The non-empty executable sections, in section-header order (the order
    /// `llvm-objdump -d` prints them). The empty `.text` clang emits when every function has
    /// its own section is left out.
    pub fn code_sections(&self) -> &[CodeSection] {
        &self.code_sections
    }
}

/// A code section with its functions and labels (named `STT_FUNC` and `STT_NOTYPE` symbols,
/// whose values are offsets in the section of a relocatable file) and its relocated slots.
fn code_section(elf: &Elf<'_>, section: &ElfSection<'_>) -> Result<CodeSection, ObjectError> {
    let symbols = elf
        .symbols_in(section.index)
        .filter(|s| !s.name.is_empty() && matches!(s.kind, elf::STT_FUNC | elf::STT_NOTYPE))
        .map(|s| CodeSymbol {
            name: s.name.clone(),
            offset: s.value,
            size: s.size,
            is_function: s.is_function(),
        })
        .collect();
    let relocated_slots = section
        .relocations
        .iter()
        .filter(|rel| rel.kind != reloc::NONE && rel.offset % 8 == 0)
        .filter_map(|rel| usize::try_from(rel.offset / 8).ok())
        .collect();
    Ok(CodeSection {
        name: section.name.clone(),
        index: section.index,
        bytes: section.data.to_vec(),
        symbols,
        relocated_slots,
    })
}

#[cfg(test)]
#[path = "elf_object_tests.rs"]
mod tests;
