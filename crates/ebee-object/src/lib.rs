//! Reads BPF ELF object files, as `clang -target bpf -c` writes them, and links their
//! programs — without touching the OS: nothing is created, verified or run here.
//!
//! [`ObjectSpec::parse`] reads an object: its programs ([`ProgramSpec`], one per global
//! function of a program section, with a [`ProgramKind`] from libbpf's section-name
//! conventions), its maps ([`MapSpec`]: BTF-defined `.maps`, the legacy `maps` section, and
//! one array map per global data section), its global variables ([`GlobalVariable`], which
//! [`ObjectSpec::set_global`] sets as a libbpf skeleton does), its BTF ([`Btf`]) and its
//! license. [`ObjectSpec::link`] then gives each program its own instruction stream
//! ([`LinkedProgram`]): its function and every subprogram it calls, with map references,
//! calls, function addresses and CO-RE relocations resolved, and BTF line info mapped to
//! the linked instructions.
//!
//! ```no_run
//! use ebee_object::{Btf, ObjectSpec};
//! let mut spec = ObjectSpec::read("prog.bpf.o")?;
//! spec.set_global("threshold", &100u32.to_le_bytes())?; // a `const volatile` in .rodata
//! let programs = spec.link(None)?; // CO-RE against the object's own BTF
//! for program in &programs {
//!     println!("{} [{}] in {}", program.name, program.kind, program.section);
//!     for reference in program.map_references() {
//!         let map = &spec.maps()[reference.map_index];
//!         println!("  pc {}: map {} (+{:?})", reference.pc, map.name, reference.value_offset);
//!     }
//!     if let Some(line) = program.source_line(0) {
//!         println!("  starts at {line}");
//!     }
//! }
//! # Ok::<(), ebee_object::ObjectError>(())
//! ```
//!
//! # Map references
//!
//! A map reference in linked code is an `lddw` in libbpf's `fd_array` encoding, with the
//! map's index in [`ObjectSpec::maps`] where the kernel would get a file descriptor:
//!
//! - `src = 5` (`BPF_PSEUDO_MAP_IDX`, [`ebee_isa::Op::LddwMapIdx`]): the map itself; `imm`
//!   is the map index.
//! - `src = 6` (`BPF_PSEUDO_MAP_IDX_VALUE`, [`ebee_isa::Op::LddwMapIdxValue`]): an address in
//!   element 0 of the map (global data); the first slot's `imm` is the map index, the
//!   second slot's the byte offset. In an [`ebee_isa::Instruction`] that is
//!   `imm = index | offset << 32`.
//!
//! [`MapReference::from_instruction`] decodes both. The embedding crate turns them into real
//! pointers once it has created the maps.
//!
//! # CO-RE
//!
//! CO-RE relocations are resolved against the target BTF given to [`ObjectSpec::link`]: a
//! [`Btf`] parsed from bytes ([`Btf::parse`], [`Btf::from_elf`]) or built in Rust
//! ([`Btf::new`], [`Btf::add_c_struct`]...). Relocations without a match behave as in
//! libbpf: existence checks give 0, other relocations poison their instruction into
//! `call 0xbad2310`, reported in [`LinkedProgram::core_diagnostics`].
//!
//! # Dependencies, and why not aya-obj
//!
//! The `object` crate reads the ELF file (read-only, ELF reader only). It is well kept (part
//! of gimli-rs, used by rustc and the standard library's backtraces), reads a byte slice with
//! no I/O, rejects malformed input with errors rather than panics, and handles `e_machine`
//! BPF like any machine. `thiserror` derives [`ObjectError`]; `ebee-isa` validates the code.
//!
//! `aya-obj` (0.3), the OS-free object parser of the aya project that ebee's architecture
//! names as a model, was evaluated — it is already in the workspace's lock file, through
//! ebee-kernel's `aya` — and not used:
//!
//! - it is not memory-safe on corrupt input: it reads BTF records with
//!   `ptr::read_unaligned` into structs holding Rust enums (`Var::linkage`), so a bad byte
//!   is undefined behaviour. A mutation run over this crate's test objects crashed it with
//!   SIGSEGV within ten mutants; ebee requires bad input to be an error value;
//! - it refuses objects ebee must load: of this crate's test programs, `linking.bpf.c`
//!   (`SEC("tc")`: "invalid program section"), `core.bpf.c` (a `TYPE_MATCHES` CO-RE
//!   relocation: "InvalidRelocationKind 12") and `btf_maps.bpf.c` ("UnexpectedBtfType");
//! - its relocation API takes maps as `std::os::fd::RawFd` and writes
//!   `BPF_PSEUDO_MAP_FD`/`MAP_VALUE`, where ebee needs libbpf's OS-free `fd_array` index
//!   kinds (5 and 6); `std::os::fd` does not even exist on every platform;
//! - it rejects section names it does not know, where ebee loads them as
//!   [`ProgramKind::Unknown`];
//! - it does not expose what ebee needs beyond that: the offset of a `bpf_spin_lock` in a
//!   map value, per-instruction source lines with their text, global variables for
//!   skeleton-style `set_global`, and diagnostics naming poisoned instructions.
//!
//! So BTF, `.BTF.ext`, maps, relocations, linking and CO-RE are implemented here, following
//! libbpf (`libbpf.c`, `relo_core.c`) closely, in small modules: `elf` (the one reader of the
//! ELF file, on the `object` crate), `btf` (types, parsing,
//! writing, `.BTF.ext`), `programs` and `section_defs` (section names), `maps`,
//! `legacy_maps` and `btf_maps`, `globals`,
//! `relocations`, `link`, `co_re`.
//!
//! # Departures from libbpf, on purpose
//!
//! - libbpf ≥ 1.0 refuses the legacy `maps` section; ebee reads it (and `maps/…` sections)
//!   as libbpf 0.x and iproute2 did: symbols of size 0 share the section equally, records
//!   of up to 20 bytes are `struct bpf_map_def`, up to 36 iproute2's `struct bpf_elf_map`
//!   (maps of maps linked by `inner_id`/`inner_idx`), larger ones need zero extra bytes
//!   ([`MapSpec::iproute2`]). A non-zero `st_size` is the record's size even where libbpf
//!   would divide the section.
//! - Section names are matched with libbpf 1.x's table, then libbpf 0.x's prefixes
//!   (`xdp_mark`, `socket1`, `xdp/name`), and the rule is recorded ([`TypeRule`]).
//! - `e_machine` 0 is read as eBPF, with a warning ([`ObjectSpec::warnings`]).
//! - Global functions of `.text` that nothing calls are listed as programs, without a type
//!   until the host gives one ([`ObjectSpec::set_program_type`]).
//! - A static function in a program section is a subprogram that programs of that section
//!   may call (libbpf refuses it); calls between any code sections are linked, not only
//!   calls into `.text`.
//! - Global data maps are named after their section (`.rodata`), not prefixed with the
//!   object name: there is no kernel name length to fit.
//! - `__kconfig` externs are variables of a read-only `.kconfig` map laid out as libbpf lays
//!   it out, zero (libbpf's value for a `__weak` extern the configuration lacks) until the
//!   host sets them ([`ObjectSpec::set_global`]): outside a kernel there is no configuration
//!   to read them from. `__ksym` extern variables are refused; extern functions (kfuncs) are
//!   left for the host to resolve by name ([`LinkedProgram::kfunc_calls`]).
//!
//! # Tests
//!
//! The project's own C test programs are `tests/bpf/*.bpf.c` in this crate. The integration
//! tests compile them at run time with `clang-19 -O2 -g -target bpf -mcpu=v4` into Cargo's
//! test temporary directory (no `.o` file is kept in the tree); they need clang-19, llvm-19
//! and libbpf-dev installed, and fail saying so when they are not. Debian's xdp-tools and
//! libxdp objects (`/usr/lib/x86_64-linux-gnu/bpf/*.o`) are loaded and linked too; the
//! xdp-tools package must be installed (`scripts/test.sh` installs it). `tests/mutations.rs`
//! runs 5,000 mutants of the test objects through the loader (`EBEE_MUTANTS` for more); the
//! unbounded version is the `object` target in `fuzz/`.
//!
//! [`ElfObject`] is the code-only view the disassembler uses: the code sections with their
//! symbols, read by the same ELF reader (`elf`) as [`ObjectSpec`], without BTF, maps or
//! linking, so that objects the loader refuses can still be disassembled.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod attach;
mod btf;
mod btf_maps;
mod co_re;
mod elf;
mod elf_object;
mod error;
mod globals;
mod kconfig;
mod legacy_maps;
mod link;
mod linked;
mod maps;
mod programs;
mod relocations;
mod section_defs;
mod spec;

pub use attach::expected_attach_type;
pub use btf::{Btf, BtfEnumValue, BtfKind, BtfMember, BtfParam, BtfType, BtfVarSecInfo};
pub use elf_object::{CodeSection, CodeSymbol, ElfObject};
pub use error::ObjectError;
pub use globals::GlobalVariable;
pub use linked::{
    CoreDiagnostic, FunctionInfo, KfuncCall, LineInfo, LinkedProgram, MapReference, CORE_POISON_IMM,
};
pub use maps::{DataSection, ElfMapIds, MapOrigin, MapSlot, MapSpec, SlotTarget};
pub use programs::{program_type_by_name, ProgramKind, TypeRule};
pub use spec::{ObjectSpec, ProgramSpec};
