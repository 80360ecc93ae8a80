//! The crate's one error enum.

use std::path::PathBuf;

use ebee_isa::IsaError;
use object::elf;
use thiserror::Error;

/// Why an object file could not be read, or a program in it could not be linked.
///
/// Every variant names where the fault is: the file (when read with a `read` function), the
/// section, the program, the instruction index and the symbol, as far as they apply. Bad
/// input is always an error value, never a panic.
///
/// Messages are self-contained: a variant that wraps another error prints its text and does
/// not also expose it as [`std::error::Error::source`], so printing the whole chain (anyhow's
/// `{:#}`) says each cause once.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// The file could not be read.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// Any other error, in this file.
    #[error("{}: {error}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        error: Box<ObjectError>,
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
    /// A section whose header, name or contents cannot be read, or whose contents make no
    /// sense for its kind (a `license` without its terminating NUL, a `version` that is not
    /// 4 bytes, a global data section too large to hold).
    #[error("section {section}: {reason}")]
    Section {
        /// The section's name, or `#index` when the name itself is unreadable.
        section: String,
        /// What is wrong.
        reason: String,
    },
    /// A symbol that cannot be read, or that lies outside its section.
    #[error("symbol #{index}{}: {reason}", name_suffix(name))]
    Symbol {
        /// Index in the symbol table.
        index: usize,
        /// The symbol's name, when it could be read.
        name: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// A code section whose bytes are not a valid program.
    #[error("section {section}: {error}")]
    Decode {
        /// The section's name.
        section: String,
        /// Why `ebee-isa` rejected it, naming the instruction.
        error: IsaError,
    },
    /// BTF (`.BTF`) or BTF extension (`.BTF.ext`) data that does not parse, or a BTF type
    /// that is missing or of the wrong kind where it is needed.
    #[error("{section}: {reason}")]
    Btf {
        /// `.BTF`, `.BTF.ext`, or what the BTF was parsed from.
        section: String,
        /// What is wrong, naming the byte offset or type id.
        reason: String,
    },
    /// A map definition this loader does not support or that contradicts itself.
    #[error("map `{map}`: {reason}")]
    Map {
        /// The map's name (`outer.inner` for the inner map of `outer`).
        map: String,
        /// What is wrong.
        reason: String,
    },
    /// A relocation that cannot be applied: an unknown relocation type, a relocation against
    /// an unknown or unsupported symbol, or one on an instruction it does not fit.
    #[error(
        "section {section}, instruction {insn}{}: {reason}",
        symbol_suffix(symbol)
    )]
    Relocation {
        /// The section holding the instruction (or data) being relocated.
        section: String,
        /// Instruction (slot) index in that section; for data sections, the byte offset / 8.
        insn: usize,
        /// The symbol the relocation refers to, when it has a name.
        symbol: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// A program that cannot be linked: a call or function reference whose target is in no
    /// function, or linked code that is not a valid program.
    #[error("program `{program}`: {reason}")]
    Link {
        /// The program's name.
        program: String,
        /// What is wrong, naming the instruction.
        reason: String,
    },
    /// The linked instructions of a program are not a valid program.
    #[error("program `{program}`: linked code: {error}")]
    LinkedCode {
        /// The program's name.
        program: String,
        /// Why `ebee-isa` rejected it, naming the instruction (index in the linked program).
        error: IsaError,
    },
    /// A CO-RE relocation that libbpf also refuses (as opposed to one it poisons): an
    /// access string that does not parse, an instruction that does not hold the value the
    /// relocation expects, candidates that disagree.
    #[error("section {section}, instruction {insn}: CO-RE relocation: {reason}")]
    Core {
        /// The code section holding the instruction.
        section: String,
        /// Instruction (slot) index in that section.
        insn: usize,
        /// What is wrong.
        reason: String,
    },
    /// No program or global variable of this name, or a value of the wrong size.
    #[error("{what} `{name}`: {reason}")]
    NotFound {
        /// `program` or `global variable`.
        what: &'static str,
        /// The name asked for.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

fn name_suffix(name: &Option<String>) -> String {
    name.as_ref()
        .map_or_else(String::new, |n| format!(" `{n}`"))
}

fn symbol_suffix(symbol: &Option<String>) -> String {
    symbol
        .as_ref()
        .map_or_else(String::new, |s| format!(", symbol `{s}`"))
}

impl ObjectError {
    /// Wraps the error with the file it comes from.
    pub(crate) fn in_file(self, path: &std::path::Path) -> ObjectError {
        ObjectError::InFile {
            path: path.to_owned(),
            error: Box::new(self),
        }
    }

    pub(crate) fn section(section: &str, reason: impl Into<String>) -> ObjectError {
        ObjectError::Section {
            section: section.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn btf(section: &str, reason: impl Into<String>) -> ObjectError {
        ObjectError::Btf {
            section: section.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn map(map: &str, reason: impl Into<String>) -> ObjectError {
        ObjectError::Map {
            map: map.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn link(program: &str, reason: impl Into<String>) -> ObjectError {
        ObjectError::Link {
            program: program.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Reads the whole file at `path`, naming it in the error.
pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>, ObjectError> {
    std::fs::read(path).map_err(|error| ObjectError::Io {
        path: path.to_owned(),
        error,
    })
}
