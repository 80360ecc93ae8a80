//! Reads BPF ELF object files, as `clang -target bpf -c` writes them.
//!
//! For now this lists the executable (code) sections with their bytes and the symbols that
//! name places in them: [`ElfObject::parse`], then [`ElfObject::code_sections`]. It will grow
//! into ebee's full object loader (maps, BTF, relocations).
//!
//! ```no_run
//! use ebee_object::ElfObject;
//! let object = ElfObject::read("prog.bpf.o")?;
//! for section in object.code_sections() {
//!     let program = section.decode()?;
//!     println!("{}: {} instructions", section.name, program.len());
//!     for symbol in &section.symbols {
//!         println!("  {} at byte {:#x}", symbol.name, symbol.offset);
//!     }
//! }
//! # Ok::<(), ebee_object::ObjectError>(())
//! ```
//!
//! Unrelocated code is as clang left it: a map or global-variable address is an `lddw` of 0
//! (`r1 = 0x0 ll`) waiting for its relocation, and a bpf-to-bpf call with a relocation is
//! `call -0x1` or, into `.text` from another section, `call 0x43` (the callee's slot in
//! `.text`, minus one). [`CodeSection::decode`] accepts both and keeps the immediate.
//!
//! Dependencies: the `object` crate parses the ELF file, read-only. It is well kept (part of
//! the gimli-rs project, used by rustc and by the standard library's backtraces), does no I/O
//! and has no OS coupling (it reads a byte slice), rejects malformed input with errors rather
//! than panics (the unit tests feed it corrupted files), and handles 64-bit little-endian ELF
//! with `e_machine` BPF like any other machine; only its ELF reader is enabled. `thiserror`
//! derives the error enum; `ebee-isa` decodes the code.
//!
//! Tests: the project's own C test programs are `tests/bpf/*.bpf.c` in this crate (ALU,
//! atomics, jumps and calls, maps and globals). The integration tests compile them at run time
//! with `clang-19 -O2 -g -target bpf -mcpu=v4` into Cargo's test temporary directory (no `.o`
//! file is kept in the tree) and compare ebee's disassembly with `llvm-objdump-19`. They need
//! clang-19, llvm-19 and libbpf-dev installed, and fail saying so when they are not.
#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use ebee_isa::{decode_program, slots_from_bytes, Instruction, IsaError, Op, Select};
use object::elf;
use object::read::elf::{ElfFile64, ElfSection64, FileHeader, SectionHeader};
use object::{LittleEndian, Object, ObjectSection, ObjectSymbol};
use thiserror::Error;

/// Why an object file could not be read. Errors name the file (when read with
/// [`ElfObject::read`]) and the section or symbol at fault.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Any other error, in this file.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: Box<ObjectError>,
    },
    /// Not a 64-bit little-endian ELF file, or its headers are cut short or inconsistent.
    #[error("not a readable 64-bit little-endian ELF file: {reason}")]
    NotElf {
        /// What the ELF parser said.
        reason: String,
    },
    /// An ELF file for another machine.
    #[error("ELF machine is {machine}, not BPF ({})", elf::EM_BPF)]
    NotBpf {
        /// The `e_machine` field.
        machine: u16,
    },
    /// A section whose header, name or contents cannot be read.
    #[error("section {section}: {reason}")]
    Section {
        /// The section's name, or `#index` when the name itself is unreadable.
        section: String,
        /// What is wrong.
        reason: String,
    },
    /// A symbol that cannot be read.
    #[error("symbol #{index}: {reason}")]
    Symbol {
        /// Index in the symbol table.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A code section whose bytes are not a valid program.
    #[error("section {section}: {source}")]
    Decode {
        /// The section's name.
        section: String,
        /// Why `ebee-isa` rejected it, naming the instruction.
        source: IsaError,
    },
}

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
        let decode_error = |source| ObjectError::Decode {
            section: self.name.clone(),
            source,
        };
        let mut slots = slots_from_bytes(&self.bytes).map_err(decode_error)?;
        let mut addends = Vec::new();
        for &index in &self.relocated_calls {
            if let Some(slot) = slots.get_mut(index) {
                if is_local_call(slot.opcode, slot.src) {
                    addends.push((index, slot.imm));
                    slot.imm = -1; // a call to itself: always inside the program
                }
            }
        }
        let mut program = decode_program(&slots).map_err(decode_error)?;
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
        let bytes = std::fs::read(path).map_err(|source| ObjectError::Io {
            path: path.to_owned(),
            source,
        })?;
        ElfObject::parse(&bytes).map_err(|source| ObjectError::InFile {
            path: path.to_owned(),
            source: Box::new(source),
        })
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
            let slot = bytes.get(index * 8..index * 8 + 2)?;
            (offset % 8 == 0 && is_local_call(slot[0], slot[1] >> 4)).then_some(index)
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

/// True for the opcode byte and `src` of a bpf-to-bpf call.
fn is_local_call(opcode: u8, src: u8) -> bool {
    let def = Op::CallLocal.def();
    opcode == def.opcode && def.select == Select::Src(src)
}

#[cfg(test)]
mod tests;
