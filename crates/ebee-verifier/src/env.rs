//! What the verifier is told about a program besides its instructions: its type's spec, the
//! maps its `lddw` references name, the loader's privileges and flags, and which helpers
//! exist beyond the kernel's (an embedder's own).

use ebee_abi::MapType;
use ebee_spec::helper::Prototype;
use ebee_spec::program_type::ProgramTypeSpec;

/// A map as the verifier sees it: what its definition says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    /// Its name, for messages.
    pub name: String,
    /// `BPF_MAP_TYPE_*`.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// `max_entries`.
    pub max_entries: u32,
    /// `map_flags` (`BPF_F_RDONLY_PROG` makes its values read-only to programs).
    pub flags: u32,
    /// Offset of the `struct bpf_spin_lock` in its value, when its BTF declares one.
    pub spin_lock_offset: Option<u32>,
    /// The template of the maps it holds, for maps of maps.
    pub inner: Option<Box<MapInfo>>,
}

impl MapInfo {
    /// A map without flags, spin lock or inner map.
    pub fn new(
        name: &str,
        map_type: MapType,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
    ) -> MapInfo {
        MapInfo {
            name: name.to_string(),
            map_type,
            key_size,
            value_size,
            max_entries,
            flags: 0,
            spin_lock_offset: None,
            inner: None,
        }
    }

    /// Whether programs may only read its values (`BPF_F_RDONLY_PROG`).
    pub fn read_only(&self) -> bool {
        self.flags & ebee_abi::flags::BPF_F_RDONLY_PROG != 0
    }
}

/// Who loads the program, which decides what the kernel allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Privilege {
    /// `CAP_BPF`, `CAP_PERFMON` and `CAP_SYS_ADMIN`: root (the default).
    #[default]
    Root,
    /// `CAP_BPF` without `CAP_PERFMON`: pointer leaks, pointer comparisons, reads of
    /// uninitialized stack and variable-offset stack accesses are refused.
    NoPerfmon,
}

/// How to verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The loader's privileges.
    pub privilege: Privilege,
    /// `BPF_F_STRICT_ALIGNMENT`: packet and map accesses must be aligned as on a machine
    /// without efficient unaligned access.
    pub strict_alignment: bool,
    /// The most instructions to process before giving up (the kernel's 1,000,000).
    pub max_processed: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            privilege: Privilege::Root,
            strict_alignment: false,
            max_processed: 1_000_000,
        }
    }
}

impl Options {
    /// Whether pointers may leak into numbers (`allow_ptr_leaks`, `CAP_PERFMON`).
    pub fn allow_ptr_leaks(&self) -> bool {
        self.privilege == Privilege::Root
    }
}

/// Everything the verifier needs besides the instructions.
#[derive(Clone, Copy)]
pub struct Environment<'a> {
    /// The program type's spec; `None` for types ebee has none for, whose context accesses
    /// are refused.
    pub spec: Option<&'static ProgramTypeSpec>,
    /// The maps, as the program's map references index them.
    pub maps: &'a [MapInfo],
    /// Helpers beyond the kernel's (an embedder's), with their prototypes; they may be
    /// called by any program type.
    pub extra_helpers: &'a [Prototype],
    /// Whether kfunc calls are allowed (their arguments are then only checked to be
    /// initialized: ebee has no kfunc prototypes yet).
    pub kfuncs: bool,
    /// Whether the program has BTF function info (`.BTF.ext`), which the kernel needs
    /// for tail calls from functions.
    pub func_info: bool,
    /// How to verify.
    pub options: Options,
}

impl<'a> Environment<'a> {
    /// A program of type `spec` using `maps`, loaded by root.
    pub fn new(spec: Option<&'static ProgramTypeSpec>, maps: &'a [MapInfo]) -> Environment<'a> {
        Environment {
            spec,
            maps,
            extra_helpers: &[],
            kfuncs: false,
            func_info: false,
            options: Options::default(),
        }
    }

    /// The prototype of helper `id` for this program, and whether its type may call it.
    pub(crate) fn helper(&self, id: u32) -> Option<(&'a Prototype, bool)> {
        if let Some(p) = self.extra_helpers.iter().find(|p| p.id == id) {
            return Some((p, true));
        }
        let proto = ebee_spec::helper::prototype(id)?;
        let perfmon_only = ebee_spec::program_type::PERFMON_HELPERS.contains(&id);
        if perfmon_only && self.options.privilege != Privilege::Root {
            return Some((proto, false));
        }
        let allowed = match self.spec {
            Some(spec) => spec.allows_helper(id),
            None => {
                ebee_spec::program_type::BASE_HELPERS.contains(&id)
                    || ebee_spec::program_type::GENERIC_HELPERS.contains(&id)
            }
        };
        Some((proto, allowed))
    }
}
