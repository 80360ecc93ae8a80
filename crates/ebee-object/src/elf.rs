//! The parts of an ELF file the loader reads: sections (name, flags, bytes, relocations) and
//! symbols, read once with the `object` crate into plain structures that borrow the file.

use std::collections::HashMap;

use object::elf;
use object::read::elf::{ElfFile64, FileHeader, Rel, SectionHeader, Sym};
use object::{LittleEndian, Object, ObjectSection, ObjectSymbol, ObjectSymbolTable};

use crate::ObjectError;

/// Relocation types of the BPF ELF ABI (`R_BPF_*`, see LLVM's `BPFELFObjectWriter`).
pub(crate) mod reloc {
    /// No relocation.
    pub const NONE: u32 = 0;
    /// 64-bit immediate of an `lddw`: a map, global data or function address.
    pub const R_BPF_64_64: u32 = 1;
    /// 64-bit absolute data (`.maps` initialisers, `.BTF.ext`, DWARF).
    pub const ABS64: u32 = 2;
    // R_BPF_64_ABS32 (3, DWARF) and R_BPF_64_NODYLD32 (4, `.BTF`, `.BTF.ext`) apply only to
    // sections the loader does not relocate; like libbpf, it ignores them.
    /// The 32-bit immediate of a `call`: a bpf-to-bpf call or a kfunc.
    pub const R_BPF_64_32: u32 = 10;
}

/// One relocation entry, from the `SHT_REL` section that applies to a section.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ElfRel {
    /// Byte offset in the relocated section.
    pub offset: u64,
    /// Index in the symbol table.
    pub symbol: usize,
    /// `R_BPF_*` type.
    pub kind: u32,
}

/// One section.
#[derive(Debug)]
pub(crate) struct ElfSection<'data> {
    /// Index in the section header table.
    pub index: usize,
    pub name: String,
    /// `sh_type`.
    pub kind: u32,
    /// `sh_flags`.
    pub flags: u64,
    /// `sh_size` (for `SHT_NOBITS`, the size of the zero-filled area).
    pub size: u64,
    /// Contents (empty for `SHT_NOBITS`).
    pub data: &'data [u8],
    /// The relocations that apply to this section.
    pub relocations: Vec<ElfRel>,
}

impl ElfSection<'_> {
    /// True for an executable section with instructions in it.
    pub fn is_code(&self) -> bool {
        self.flags & u64::from(elf::SHF_EXECINSTR) != 0
            && self.kind == elf::SHT_PROGBITS
            && !self.data.is_empty()
    }
}

/// One symbol.
#[derive(Clone, Debug)]
pub(crate) struct ElfSymbol {
    pub index: usize,
    /// Name; empty for section symbols and unnamed symbols.
    pub name: String,
    /// Section index, or `None` for undefined, absolute and common symbols.
    pub section: Option<usize>,
    /// `st_value` (for relocatable files, the offset in the section).
    pub value: u64,
    /// `st_size`.
    pub size: u64,
    /// `STT_*`.
    pub kind: u8,
    /// `STB_*`.
    pub bind: u8,
}

impl ElfSymbol {
    /// True for a symbol with no definition in this file (an `extern`).
    pub fn is_undefined(&self) -> bool {
        self.section.is_none() && self.kind != elf::STT_SECTION
    }

    pub fn is_function(&self) -> bool {
        self.kind == elf::STT_FUNC
    }

    pub fn is_global(&self) -> bool {
        self.bind == elf::STB_GLOBAL || self.bind == elf::STB_WEAK
    }

    /// The name for messages: the symbol's own, or `None` when unnamed.
    pub fn display_name(&self) -> Option<String> {
        (!self.name.is_empty()).then(|| self.name.clone())
    }
}

/// A parsed ELF file: every section and every symbol.
pub(crate) struct Elf<'data> {
    pub sections: Vec<ElfSection<'data>>,
    /// Indexed by symbol index; entry 0 is the null symbol.
    pub symbols: Vec<ElfSymbol>,
    /// Symbol indices by section, in symbol-table order.
    by_section: HashMap<usize, Vec<usize>>,
    /// The first named, non-section symbol of each (section, name).
    by_name: HashMap<(usize, String), usize>,
    /// What is accepted although a careful toolchain would not write it.
    pub warnings: Vec<String>,
}

impl<'data> Elf<'data> {
    /// Reads `bytes` as a BPF ELF relocatable file.
    pub fn parse(bytes: &'data [u8]) -> Result<Elf<'data>, ObjectError> {
        let file = ElfFile64::<LittleEndian>::parse(bytes).map_err(|e| ObjectError::NotElf {
            reason: e.to_string(),
        })?;
        let endian = file.endian();
        let machine = file.elf_header().e_machine(endian);
        let mut warnings = Vec::new();
        // Some older toolchains left `e_machine` at 0 (`EM_NONE`); the kernel never sees the
        // ELF, and the code sections are still checked as eBPF when they are decoded.
        if machine == elf::EM_NONE {
            warnings.push(
                "e_machine is 0 (EM_NONE), not EM_BPF (247): read as eBPF, as loaders that \
                 ignore the field do"
                    .to_owned(),
            );
        } else if machine != elf::EM_BPF {
            return Err(ObjectError::NotBpf { machine });
        }
        let mut sections = Vec::new();
        for section in file.sections() {
            let index = section.index().0;
            let name = section
                .name()
                .map_err(|e| {
                    ObjectError::section(&format!("#{index}"), format!("unreadable name: {e}"))
                })?
                .to_owned();
            let header = section.elf_section_header();
            let kind = header.sh_type(endian);
            let data = if kind == elf::SHT_NOBITS {
                &[][..]
            } else {
                section
                    .data()
                    .map_err(|e| ObjectError::section(&name, format!("unreadable contents: {e}")))?
            };
            let rels = section
                .elf_linked_rel()
                .map_err(|e| ObjectError::section(&name, format!("unreadable relocations: {e}")))?;
            let relocations = rels
                .iter()
                .map(|rel| ElfRel {
                    offset: rel.r_offset(endian),
                    symbol: rel.r_sym(endian) as usize,
                    kind: rel.r_type(endian),
                })
                .collect();
            sections.push(ElfSection {
                index,
                name,
                kind,
                flags: header.sh_flags(endian),
                size: header.sh_size(endian),
                data,
                relocations,
            });
        }
        let mut symbols = vec![ElfSymbol {
            index: 0,
            name: String::new(),
            section: None,
            value: 0,
            size: 0,
            kind: elf::STT_NOTYPE,
            bind: elf::STB_LOCAL,
        }];
        if let Some(table) = file.symbol_table() {
            for symbol in table.symbols() {
                let index = symbol.index().0;
                let raw = symbol.elf_symbol();
                let name = symbol.name().map_err(|e| ObjectError::Symbol {
                    index,
                    name: None,
                    reason: format!("unreadable name: {e}"),
                })?;
                let shndx = raw.st_shndx(endian);
                let section = (shndx != elf::SHN_UNDEF && shndx < elf::SHN_LORESERVE)
                    .then_some(usize::from(shndx));
                let entry = ElfSymbol {
                    index,
                    name: name.to_owned(),
                    section,
                    value: raw.st_value(endian),
                    size: raw.st_size(endian),
                    kind: raw.st_type(),
                    bind: raw.st_bind(),
                };
                if index >= symbols.len() {
                    symbols.resize(index + 1, symbols[0].clone());
                }
                symbols[index] = entry;
            }
        }
        let mut by_section: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut by_name = HashMap::new();
        for symbol in &symbols {
            let Some(section) = symbol.section else {
                continue;
            };
            by_section.entry(section).or_default().push(symbol.index);
            if !symbol.name.is_empty() && symbol.kind != elf::STT_SECTION {
                by_name
                    .entry((section, symbol.name.clone()))
                    .or_insert(symbol.index);
            }
        }
        Ok(Elf {
            sections,
            symbols,
            by_section,
            by_name,
            warnings,
        })
    }

    /// The section with this index.
    pub fn section(&self, index: usize) -> Option<&ElfSection<'data>> {
        // `sections` skips the null section 0 and is in index order.
        let at = self
            .sections
            .binary_search_by_key(&index, |s| s.index)
            .ok()?;
        self.sections.get(at)
    }

    /// The first section with this name.
    pub fn section_by_name(&self, name: &str) -> Option<&ElfSection<'data>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The symbol with this index, or an error naming the section and instruction of the
    /// relocation that refers to it.
    pub fn symbol_for(
        &self,
        index: usize,
        section: &str,
        insn: usize,
    ) -> Result<&ElfSymbol, ObjectError> {
        self.symbols
            .get(index)
            .filter(|_| index != 0)
            .ok_or_else(|| ObjectError::Relocation {
                section: section.to_owned(),
                insn,
                symbol: None,
                reason: format!("refers to symbol #{index}, which does not exist"),
            })
    }

    /// The name of a symbol for messages: its own name, or its section's name for a section
    /// symbol.
    pub fn symbol_label(&self, symbol: &ElfSymbol) -> String {
        if symbol.name.is_empty() {
            let section = symbol.section.and_then(|s| self.section(s));
            section.map_or_else(|| format!("#{}", symbol.index), |s| s.name.clone())
        } else {
            symbol.name.clone()
        }
    }

    /// Symbols defined in the section with this index, in symbol-table order.
    pub fn symbols_in(&self, section: usize) -> impl Iterator<Item = &ElfSymbol> {
        let indices = self.by_section.get(&section).map_or(&[][..], Vec::as_slice);
        indices.iter().map(|&i| &self.symbols[i])
    }

    /// The first named symbol (not a section symbol) called `name` in section `section`.
    pub fn symbol_named(&self, section: usize, name: &str) -> Option<&ElfSymbol> {
        let index = *self.by_name.get(&(section, name.to_owned()))?;
        self.symbols.get(index)
    }
}
