//! [`ObjectSpec`]: a parsed object file — programs, maps, global variables, BTF, license —
//! before linking.

use std::collections::BTreeMap;
use std::path::Path;

use ebee_isa::{slots_from_bytes, CallKind, Insn, Semantics};
use object::elf;

use crate::btf::{Btf, BtfExt};
use crate::btf_maps::btf_maps;
use crate::elf::{Elf, ElfSection};
use crate::error::read_file;
use crate::globals::{globals, GlobalVariable};
use crate::kconfig::kconfig;
use crate::legacy_maps::{is_legacy_maps_section, legacy_maps, link_inner_maps};
use crate::maps::{data_map, is_spin_lock, single_lock, DataSection, MapSpec};
use crate::programs::section_info;
use crate::relocations::{resolve_relocations, semantics, Reloc};
use crate::{ObjectError, ProgramKind, TypeRule};

/// A program of the object file: a global function in a program section.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgramSpec {
    /// The function's name.
    pub name: String,
    /// The section it is in (`xdp`, `kprobe/do_sys_open`).
    pub section: String,
    /// What the section name says it is (or what the host set, see
    /// [`ObjectSpec::set_program_type`]).
    pub kind: ProgramKind,
    /// The rule that chose [`ProgramSpec::kind`].
    pub rule: TypeRule,
    /// The part of the section name after the kind (`do_sys_open` of `kprobe/do_sys_open`).
    pub attach_target: Option<String>,
    /// The section name asks for a sleepable program (`fentry.s/…`, `syscall`…).
    pub sleepable: bool,
    /// The section name asks for multi-buffer XDP (`xdp.frags`).
    pub frags: bool,
    /// Number of instruction slots in the function itself, before linking.
    pub len: usize,
    /// Index of the code section in the object's internal list.
    pub(crate) code: usize,
    /// Index of the function in that section.
    pub(crate) function: usize,
}

/// A function of a code section: a program, or a subprogram programs call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Function {
    pub name: String,
    /// First slot in the section.
    pub start: usize,
    /// Number of slots.
    pub len: usize,
}

/// An executable section, with its relocations resolved to maps and functions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Code {
    pub name: String,
    /// The ELF section index.
    pub elf_index: usize,
    pub slots: Vec<Insn>,
    /// Sorted by `start`, not overlapping.
    pub functions: Vec<Function>,
    /// Relocated slots.
    pub relocs: BTreeMap<usize, Reloc>,
}

impl Code {
    /// The function holding slot `slot`.
    pub fn function_at(&self, slot: usize) -> Option<usize> {
        let after = self.functions.partition_point(|f| f.start <= slot);
        let index = after.checked_sub(1)?;
        let f = &self.functions[index];
        (slot < f.start + f.len).then_some(index)
    }
}

/// A parsed BPF object file: its programs, maps, global variables, BTF and license, with
/// every relocation resolved. [`ObjectSpec::link`] turns its programs into self-contained
/// instruction streams. Nothing here touches the OS: no map is created, nothing runs.
///
/// ```no_run
/// use ebee_object::ObjectSpec;
/// let mut spec = ObjectSpec::read("prog.bpf.o")?;
/// spec.set_global("drop_proto", &0x0800u32.to_le_bytes())?;
/// for map in spec.maps() {
///     println!("map {}: type {} key {} value {}", map.name, map.map_type, map.key_size, map.value_size);
/// }
/// for program in spec.link(None)? {
///     println!("{} ({}): {} instructions", program.name, program.kind, program.instructions.len());
/// }
/// # Ok::<(), ebee_object::ObjectError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ObjectSpec {
    pub(crate) license: String,
    pub(crate) kernel_version: Option<u32>,
    pub(crate) programs: Vec<ProgramSpec>,
    pub(crate) maps: Vec<MapSpec>,
    pub(crate) globals: Vec<GlobalVariable>,
    pub(crate) btf: Option<Btf>,
    pub(crate) ext: BtfExt,
    pub(crate) code: Vec<Code>,
    pub(crate) warnings: Vec<String>,
}

impl ObjectSpec {
    /// Parses an object file from its bytes. Never panics, whatever the bytes.
    ///
    /// ```
    /// use ebee_object::{ObjectError, ObjectSpec};
    /// assert!(matches!(ObjectSpec::parse(b"\x7fELF"), Err(ObjectError::NotElf { .. })));
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<ObjectSpec, ObjectError> {
        let elf = Elf::parse(bytes)?;
        let btf = match elf.section_by_name(".BTF") {
            Some(section) => Some(Btf::parse_section(section.data, ".BTF")?),
            None => None,
        };
        let ext = match (elf.section_by_name(".BTF.ext"), &btf) {
            (Some(section), Some(btf)) => BtfExt::parse(section.data, btf)?,
            _ => BtfExt::default(),
        };
        let license = match elf.section_by_name("license") {
            Some(section) => c_string(section)?,
            None => String::new(),
        };
        let kernel_version = match elf.section_by_name("version") {
            Some(section) => Some(
                section
                    .data
                    .try_into()
                    .map(u32::from_le_bytes)
                    .map_err(|_| ObjectError::section("version", "is not 4 bytes"))?,
            ),
            None => None,
        };
        let mut maps = Vec::new();
        for section in &elf.sections {
            if is_legacy_maps_section(&section.name) {
                maps.extend(legacy_maps(&elf, section)?);
            }
        }
        link_inner_maps(&mut maps)?;
        if let Some(section) = elf.section_by_name(".maps") {
            let first = maps.len();
            maps.extend(btf_maps(&elf, section, btf.as_ref(), first)?);
        }
        for section in &elf.sections {
            let Some(kind) = DataSection::of(&section.name) else {
                continue;
            };
            let is_data = section.flags & u64::from(elf::SHF_ALLOC) != 0
                && matches!(section.kind, elf::SHT_PROGBITS | elf::SHT_NOBITS);
            if is_data && section.size > 0 {
                maps.push(data_map(section, kind, btf.as_ref())?);
            }
        }
        let mut globals = globals(&elf, btf.as_ref(), &maps);
        if let Some(btf) = &btf {
            for (index, map) in maps.iter_mut().enumerate() {
                let locks: Vec<u32> = globals
                    .iter()
                    .filter(|g| g.map_index == index)
                    .filter(|g| g.type_id.is_some_and(|t| is_spin_lock(btf, t)))
                    .map(|g| g.offset)
                    .collect();
                if !locks.is_empty() {
                    map.spin_lock_offset = single_lock(&locks, &map.name)?;
                }
            }
        }
        let kconfig = match kconfig(btf.as_ref(), maps.len())? {
            Some(kconfig) => {
                let index = maps.len();
                maps.push(kconfig.map);
                globals.extend(kconfig.globals);
                Some((index, kconfig.offsets))
            }
            None => None,
        };
        let kconfig = kconfig.as_ref().map(|(index, offsets)| (*index, offsets));
        let mut code = Vec::new();
        for section in elf.sections.iter().filter(|s| s.is_code()) {
            code.push(code_section(&elf, section)?);
        }
        for index in 0..code.len() {
            let section = elf
                .section(code[index].elf_index)
                .ok_or_else(|| ObjectError::section(&code[index].name, "section vanished"))?;
            let relocs = resolve_relocations(&elf, section, &code, index, &maps, kconfig)?;
            code[index].relocs = relocs;
        }
        let programs = programs(&elf, &code);
        let warnings = elf.warnings.clone();
        Ok(ObjectSpec {
            license,
            kernel_version,
            programs,
            maps,
            globals,
            btf,
            ext,
            code,
            warnings,
        })
    }

    /// Reads and parses an object file; errors name the file.
    pub fn read(path: impl AsRef<Path>) -> Result<ObjectSpec, ObjectError> {
        let path = path.as_ref();
        ObjectSpec::parse(&read_file(path)?).map_err(|e| e.in_file(path))
    }

    /// The `license` section's string (`GPL`, `Dual MIT/GPL`), or `""` when there is none.
    pub fn license(&self) -> &str {
        &self.license
    }

    /// The `version` section's value (the kernel version old kprobe programs declared).
    pub fn kernel_version(&self) -> Option<u32> {
        self.kernel_version
    }

    /// The programs, in section order, then by position in the section.
    pub fn programs(&self) -> &[ProgramSpec] {
        &self.programs
    }

    /// The program with this name.
    pub fn program(&self, name: &str) -> Option<&ProgramSpec> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The maps: legacy `maps` definitions, then BTF-defined `.maps` in BTF order, then one
    /// per global data section in section order. A map's index here is the index map
    /// references in linked programs use.
    pub fn maps(&self) -> &[MapSpec] {
        &self.maps
    }

    /// The index of the map with this name.
    pub fn map_index(&self, name: &str) -> Option<usize> {
        self.maps.iter().position(|m| m.name == name)
    }

    /// The map with this name.
    pub fn map(&self, name: &str) -> Option<&MapSpec> {
        self.maps.iter().find(|m| m.name == name)
    }

    /// The global variables of the global data sections, by section, then by offset.
    pub fn globals(&self) -> &[GlobalVariable] {
        &self.globals
    }

    /// The global variable with this name.
    pub fn global(&self, name: &str) -> Option<&GlobalVariable> {
        self.globals.iter().find(|g| g.name == name)
    }

    /// Sets a global variable's initial value, as a libbpf skeleton does before loading:
    /// `bytes` replace the variable's bytes in its map's [`MapSpec::initial_data`]. Typically
    /// used for `const volatile` configuration in `.rodata`. Fails when there is no such
    /// variable (or several of that name) or `bytes` is not exactly its size.
    pub fn set_global(&mut self, name: &str, bytes: &[u8]) -> Result<(), ObjectError> {
        let not_found = |reason: String| ObjectError::NotFound {
            what: "global variable",
            name: name.to_owned(),
            reason,
        };
        let mut matching = self.globals.iter().filter(|g| g.name == name);
        let var = matching
            .next()
            .ok_or_else(|| not_found("there is no such global variable".into()))?;
        if matching.next().is_some() {
            return Err(not_found(
                "the name is ambiguous: several variables have it".into(),
            ));
        }
        if bytes.len() != var.size as usize {
            return Err(not_found(format!(
                "is {} bytes, not {}",
                var.size,
                bytes.len()
            )));
        }
        let (map, start) = (var.map_index, var.offset as usize);
        let data = self.maps[map]
            .initial_data
            .as_mut()
            .and_then(|d| d.get_mut(start..start + bytes.len()))
            .ok_or_else(|| not_found("lies outside its section".into()))?;
        data.copy_from_slice(bytes);
        Ok(())
    }

    /// Sets map `name`'s value size before it is created, as libbpf's
    /// `bpf_map__set_value_size` does (a scratch array declared with value size 0, sized by
    /// the agent). Whether the size is valid is for map creation to say. Global data maps
    /// keep their section's size.
    pub fn set_map_value_size(&mut self, name: &str, value_size: u32) -> Result<(), ObjectError> {
        let map = self.map_to_resize(name)?;
        map.value_size = value_size;
        Ok(())
    }

    /// Sets map `name`'s key size before it is created (`bpf_map__set_key_size`).
    pub fn set_map_key_size(&mut self, name: &str, key_size: u32) -> Result<(), ObjectError> {
        let map = self.map_to_resize(name)?;
        map.key_size = key_size;
        Ok(())
    }

    /// Sets map `name`'s `max_entries` before it is created (`bpf_map__set_max_entries`).
    ///
    /// ```no_run
    /// use ebee_object::ObjectSpec;
    /// let mut spec = ObjectSpec::read("agent.bpf.o")?;
    /// spec.set_max_entries("events", 1 << 16)?;
    /// spec.set_map_value_size("scratch", 256)?;
    /// # Ok::<(), ebee_object::ObjectError>(())
    /// ```
    pub fn set_max_entries(&mut self, name: &str, max_entries: u32) -> Result<(), ObjectError> {
        let map = self.map_to_resize(name)?;
        map.max_entries = max_entries;
        Ok(())
    }

    fn map_to_resize(&mut self, name: &str) -> Result<&mut MapSpec, ObjectError> {
        let not_found = |reason: &str| ObjectError::NotFound {
            what: "map",
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        let map = self
            .maps
            .iter_mut()
            .find(|m| m.name == name)
            .ok_or_else(|| not_found("there is no such map"))?;
        if matches!(map.origin, crate::MapOrigin::GlobalData(_)) {
            return Err(not_found(
                "is a global data section, whose size is the section's",
            ));
        }
        Ok(map)
    }

    /// What the object has that Linux accepts but a careful toolchain would not write
    /// (`e_machine` 0): loading goes on; hosts show these to their user.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Gives program `name` the type `kind` instead of the one its section name says, as
    /// `bpftool prog load … type` or libbpf's `bpf_program__set_type` do; `given` is the
    /// name the user gave, recorded in [`ProgramSpec::rule`] ([`TypeRule::Override`]).
    /// The expected attach type comes from `given` when it is a section name libbpf knows.
    ///
    /// ```no_run
    /// use ebee_object::{program_type_by_name, ObjectSpec};
    /// let mut spec = ObjectSpec::read("prog.bpf.o")?;
    /// let kind = program_type_by_name("xdp").expect("a type name");
    /// spec.set_program_type("my_prog", kind, "xdp")?;
    /// # Ok::<(), ebee_object::ObjectError>(())
    /// ```
    pub fn set_program_type(
        &mut self,
        name: &str,
        kind: ProgramKind,
        given: &str,
    ) -> Result<(), ObjectError> {
        let program = self
            .programs
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| ObjectError::NotFound {
                what: "program",
                name: name.to_owned(),
                reason: "there is no such program".into(),
            })?;
        program.kind = kind;
        program.rule = TypeRule::Override(given.to_owned());
        Ok(())
    }

    /// [`ObjectSpec::set_program_type`] for every program of the object.
    pub fn set_all_program_types(&mut self, kind: &ProgramKind, given: &str) {
        for program in &mut self.programs {
            program.kind = kind.clone();
            program.rule = TypeRule::Override(given.to_owned());
        }
    }

    /// The object's BTF (`.BTF`), if it has one.
    pub fn btf(&self) -> Option<&Btf> {
        self.btf.as_ref()
    }
}

/// The NUL-terminated string a `license` section holds.
fn c_string(section: &ElfSection<'_>) -> Result<String, ObjectError> {
    let end = section
        .data
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| ObjectError::section(&section.name, "string is not NUL-terminated"))?;
    Ok(String::from_utf8_lossy(&section.data[..end]).into_owned())
}

/// A code section with its functions: one per `STT_FUNC` symbol, spanning the symbol's size
/// (or, for a symbol of size 0, up to the next function). A section without function
/// symbols is one function named after the section.
fn code_section(elf: &Elf<'_>, section: &ElfSection<'_>) -> Result<Code, ObjectError> {
    let slots = slots_from_bytes(section.data).map_err(|error| ObjectError::Decode {
        section: section.name.clone(),
        error,
    })?;
    let mut symbols: Vec<_> = elf
        .symbols_in(section.index)
        .filter(|s| s.is_function())
        .collect();
    // Globals first among functions at the same place, so aliases keep the program's name.
    symbols.sort_by_key(|s| (s.value, !s.is_global()));
    symbols.dedup_by_key(|s| s.value);
    let mut functions = Vec::with_capacity(symbols.len());
    for (i, symbol) in symbols.iter().enumerate() {
        let bad = |reason: String| ObjectError::Symbol {
            index: symbol.index,
            name: symbol.display_name(),
            reason,
        };
        if symbol.value % 8 != 0 || symbol.size % 8 != 0 {
            return Err(bad(format!(
                "function at {:#x} of size {:#x} is not made of whole instructions",
                symbol.value, symbol.size
            )));
        }
        let start = (symbol.value / 8) as usize;
        let next = symbols
            .get(i + 1)
            .map_or(slots.len() as u64, |s| s.value / 8);
        let len = if symbol.size == 0 {
            next.saturating_sub(symbol.value / 8)
        } else {
            symbol.size / 8
        };
        let end = (symbol.value / 8).checked_add(len);
        if start >= slots.len() || end.is_none_or(|end| end > slots.len() as u64 || end > next) {
            return Err(bad(format!(
                "function at {:#x}+{:#x} lies outside section {} or overlaps the next",
                symbol.value, symbol.size, section.name
            )));
        }
        functions.push(Function {
            name: symbol.name.clone(),
            start,
            len: len as usize,
        });
    }
    if functions.is_empty() {
        functions.push(Function {
            name: section.name.clone(),
            start: 0,
            len: slots.len(),
        });
    }
    Ok(Code {
        name: section.name.clone(),
        elf_index: section.index,
        slots,
        functions,
        relocs: BTreeMap::new(),
    })
}

/// The programs: every global function of a code section other than `.text` (static
/// functions there are subprograms), or the whole section when it has no function symbol;
/// then the global functions of `.text` that nothing calls or takes the address of, as
/// their own entry points (with no type: [`TypeRule::None`]), as PREVAIL and bpftool-style
/// loaders list them.
fn programs(elf: &Elf<'_>, code: &[Code]) -> Vec<ProgramSpec> {
    let mut programs = Vec::new();
    let is_global = |section: &Code, function: &Function| {
        elf.symbol_named(section.elf_index, &function.name)
            .is_some_and(|s| s.is_function() && s.is_global())
    };
    for (index, section) in code.iter().enumerate() {
        if section.name == ".text" {
            continue;
        }
        let info = section_info(&section.name);
        for (f, function) in section.functions.iter().enumerate() {
            let whole_section = function.name == section.name && function.start == 0;
            if !is_global(section, function) && !whole_section {
                continue;
            }
            programs.push(ProgramSpec {
                name: function.name.clone(),
                section: section.name.clone(),
                kind: info.kind.clone(),
                rule: info.rule.clone(),
                attach_target: info.attach_target.clone(),
                sleepable: info.sleepable,
                frags: info.frags,
                len: function.len,
                code: index,
                function: f,
            });
        }
    }
    let Some(text) = code.iter().position(|c| c.name == ".text") else {
        return programs;
    };
    let targets: std::collections::HashSet<usize> = code
        .iter()
        .flat_map(|c| c.relocs.values())
        .filter_map(|reloc| match reloc {
            Reloc::Call { code, slot } | Reloc::FuncAddr { code, slot } if *code == text => {
                Some(*slot)
            }
            _ => None,
        })
        .collect();
    let section = &code[text];
    for (f, function) in section.functions.iter().enumerate() {
        if !is_global(section, function) || targets.contains(&function.start) {
            continue;
        }
        // A `.text` function called only through a call without a relocation (static,
        // same section: `call imm` relative) is a subprogram too.
        let called_locally = section.slots.iter().enumerate().any(|(pc, slot)| {
            matches!(semantics(slot), Some(Semantics::Call(CallKind::Local)))
                && usize::try_from(pc as i64 + 1 + i64::from(slot.imm)).ok() == Some(function.start)
        });
        if called_locally {
            continue;
        }
        programs.push(ProgramSpec {
            name: function.name.clone(),
            section: section.name.clone(),
            kind: ProgramKind::Unknown(section.name.clone()),
            rule: TypeRule::None,
            attach_target: None,
            sleepable: false,
            frags: false,
            len: function.len,
            code: text,
            function: f,
        });
    }
    programs
}
