//! The code-section view of an object file: [`ElfObject`] lists the executable sections with
//! their bytes and symbols, as `llvm-objdump -d` shows them. The full loader is
//! [`crate::ObjectSpec`]; this view is what the disassembler needs.

use std::path::Path;

use ebee_isa::{decode_program, slots_from_bytes, Insn, Instruction, Op};
use object::elf;
use object::read::elf::{ElfFile64, ElfSection64, FileHeader, SectionHeader};
use object::{LittleEndian, Object, ObjectSection, ObjectSymbol};

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
    /// Slot indices of the bpf-to-bpf calls that have a relocation.
    relocated_calls: Vec<usize>,
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
        for &index in &self.relocated_calls {
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
    /// Parses an object file from its bytes. Never panics, whatever the bytes.
    ///
    /// ```
    /// use ebee_object::{ElfObject, ObjectError};
    /// assert!(matches!(ElfObject::parse(b"not ELF"), Err(ObjectError::NotElf { .. })));
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<ElfObject, ObjectError> {
        let file = ElfFile64::<LittleEndian>::parse(bytes).map_err(|e| ObjectError::NotElf {
            reason: e.to_string(),
        })?;
        let machine = file.elf_header().e_machine(file.endian());
        if machine != elf::EM_BPF {
            return Err(ObjectError::NotBpf { machine });
        }
        let mut code_sections = Vec::new();
        for section in file.sections() {
            if let Some(code) = code_section(&file, &section)? {
                code_sections.push(code);
            }
        }
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

type File<'data> = ElfFile64<'data, LittleEndian>;

/// The section as a [`CodeSection`] if it is executable and not empty.
fn code_section(
    file: &File<'_>,
    section: &ElfSection64<'_, '_, LittleEndian>,
) -> Result<Option<CodeSection>, ObjectError> {
    let endian = file.endian();
    let header = section.elf_section_header();
    let executable = header.sh_flags(endian) & u64::from(elf::SHF_EXECINSTR) != 0;
    if !executable || header.sh_type(endian) == elf::SHT_NOBITS {
        return Ok(None);
    }
    let index = section.index().0;
    let name = section
        .name()
        .map_err(|e| ObjectError::Section {
            section: format!("#{index}"),
            reason: format!("unreadable name: {e}"),
        })?
        .to_owned();
    let bytes = section.data().map_err(|e| ObjectError::Section {
        section: name.clone(),
        reason: format!("unreadable contents: {e}"),
    })?;
    if bytes.is_empty() {
        return Ok(None);
    }
    let mut symbols = Vec::new();
    for symbol in file.symbols() {
        if symbol.section_index() != Some(section.index()) {
            continue;
        }
        let is_function = match symbol.elf_symbol().st_type() {
            elf::STT_FUNC => true,
            elf::STT_NOTYPE => false,
            _ => continue,
        };
        let symbol_error = |reason: String| ObjectError::Symbol {
            index: symbol.index().0,
            name: symbol.name().ok().map(str::to_owned),
            reason,
        };
        let symbol_name = symbol
            .name()
            .map_err(|e| symbol_error(format!("unreadable name: {e}")))?;
        if symbol_name.is_empty() {
            continue;
        }
        let offset = symbol
            .address()
            .checked_sub(section.address())
            .ok_or_else(|| symbol_error(format!("`{symbol_name}` lies before section {name}")))?;
        symbols.push(CodeSymbol {
            name: symbol_name.to_owned(),
            offset,
            size: symbol.size(),
            is_function,
        });
    }
    let relocated_calls = section
        .relocations()
        .filter_map(|(offset, _)| {
            let index = usize::try_from(offset / 8).ok()?;
            let slot = Insn::from_bytes(bytes.get(index * 8..index * 8 + 8)?.try_into().ok()?);
            (offset % 8 == 0 && Op::of_slot(&slot) == Some(Op::CallLocal)).then_some(index)
        })
        .collect();
    Ok(Some(CodeSection {
        name,
        index,
        bytes: bytes.to_vec(),
        symbols,
        relocated_calls,
    }))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
