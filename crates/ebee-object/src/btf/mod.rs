//! BTF: the type information clang writes to `.BTF`, and the target types CO-RE relocations
//! are resolved against.
//!
//! [`Btf::parse`] reads the raw format (the kernel's `struct btf_header`, type records,
//! string table); [`Btf::from_elf`] takes it out of an object file. A target BTF can also be
//! built in Rust with [`Btf::new`] and the `add_*` methods, as ebee does for the context
//! structures it provides:
//!
//! ```
//! use ebee_object::Btf;
//! let mut btf = Btf::new();
//! let u32_id = btf.add_int("__u32", 4, false);
//! let xdp_md = btf.add_c_struct(
//!     "xdp_md",
//!     &[("data", u32_id), ("data_end", u32_id), ("data_meta", u32_id)],
//! )?;
//! assert_eq!(btf.resolve_size(xdp_md), Some(12));
//! assert_eq!(btf.id_by_name("xdp_md"), Some(xdp_md));
//! // The same types, in the kernel's binary format, parse back.
//! let again = Btf::parse(&btf.to_bytes())?;
//! assert_eq!(again.type_by_id(xdp_md), btf.type_by_id(xdp_md));
//! # Ok::<(), ebee_object::ObjectError>(())
//! ```

mod ext;
mod parse;
mod types;
mod write;

pub(crate) use ext::{BtfExt, CoreRelo};
pub use types::{BtfEnumValue, BtfKind, BtfMember, BtfParam, BtfType, BtfVarSecInfo};

use crate::ObjectError;

/// Longest chain of typedefs, qualifiers, pointers or arrays followed when resolving a type
/// (libbpf's `MAX_RESOLVE_DEPTH`).
const MAX_RESOLVE_DEPTH: usize = 32;

/// A set of BTF types with their string table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Btf {
    /// Indexed by type id; entry 0 is `void`.
    types: Vec<BtfType>,
    /// The raw string table (offsets into it name types, source files and CO-RE accesses).
    strings: Vec<u8>,
}

impl Default for Btf {
    fn default() -> Btf {
        Btf::new()
    }
}

impl Btf {
    /// An empty BTF: only `void` (type id 0).
    pub fn new() -> Btf {
        Btf {
            types: vec![BtfType::new("", BtfKind::Void)],
            strings: vec![0],
        }
    }

    /// Parses raw BTF (what a `.BTF` section or `/sys/kernel/btf/vmlinux` holds). Never
    /// panics; errors name the byte offset or type id at fault.
    pub fn parse(bytes: &[u8]) -> Result<Btf, ObjectError> {
        parse::parse_btf(bytes, "BTF")
    }

    /// Parses the `.BTF` section of an ELF object file.
    pub fn from_elf(bytes: &[u8]) -> Result<Btf, ObjectError> {
        let elf = crate::elf::Elf::parse(bytes)?;
        let section = elf
            .section_by_name(".BTF")
            .ok_or_else(|| ObjectError::section(".BTF", "the object file has no .BTF section"))?;
        parse::parse_btf(section.data, ".BTF")
    }

    pub(crate) fn parse_section(bytes: &[u8], section: &str) -> Result<Btf, ObjectError> {
        parse::parse_btf(bytes, section)
    }

    /// Number of types, counting `void`; valid ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// True when there is no type but `void`.
    pub fn is_empty(&self) -> bool {
        self.types.len() <= 1
    }

    /// The type with this id.
    pub fn type_by_id(&self, id: u32) -> Option<&BtfType> {
        self.types.get(usize::try_from(id).ok()?)
    }

    /// Every type with its id, `void` (0) first.
    pub fn types(&self) -> impl Iterator<Item = (u32, &BtfType)> {
        (0u32..).zip(&self.types)
    }

    /// The id of the first type with this name (of any kind).
    pub fn id_by_name(&self, name: &str) -> Option<u32> {
        self.types()
            .find(|(_, t)| !name.is_empty() && t.name == name)
            .map(|(id, _)| id)
    }

    /// The NUL-terminated string at `offset` in the string table (BTF names, source file
    /// names and line texts of line info, CO-RE access strings).
    pub fn string_at(&self, offset: u32) -> Option<&str> {
        let rest = self.strings.get(usize::try_from(offset).ok()?..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        std::str::from_utf8(&rest[..end]).ok()
    }

    /// Adds a type, returning its id.
    pub fn add_type(&mut self, ty: BtfType) -> u32 {
        self.types.push(ty);
        u32::try_from(self.types.len() - 1).unwrap_or(u32::MAX)
    }

    /// Adds an integer type of `size` bytes.
    pub fn add_int(&mut self, name: &str, size: u32, signed: bool) -> u32 {
        self.add_type(BtfType::int(name, size, signed))
    }

    /// Adds a pointer to `target`.
    pub fn add_pointer(&mut self, target: u32) -> u32 {
        self.add_type(BtfType::pointer(target))
    }

    /// Adds a typedef.
    pub fn add_typedef(&mut self, name: &str, target: u32) -> u32 {
        self.add_type(BtfType::typedef(name, target))
    }

    /// Adds an array of `len` elements of `elem`, with a 4-byte unsigned index type.
    pub fn add_array(&mut self, elem: u32, len: u32) -> u32 {
        let index = match self.id_by_name("__ARRAY_SIZE_TYPE__") {
            Some(id) => id,
            None => self.add_int("__ARRAY_SIZE_TYPE__", 4, false),
        };
        self.add_type(BtfType::new("", BtfKind::Array { elem, index, len }))
    }

    /// Adds a struct whose members are laid out as a C compiler lays them out: each at the
    /// next offset aligned to its natural alignment, the size rounded up to the largest one.
    /// Fails naming the member whose type has no size.
    pub fn add_c_struct(
        &mut self,
        name: &str,
        members: &[(&str, u32)],
    ) -> Result<u32, ObjectError> {
        let mut offset = 0u64;
        let mut align_max = 1u64;
        let mut laid_out = Vec::with_capacity(members.len());
        for &(member, type_id) in members {
            let (size, align) = self
                .resolve_size(type_id)
                .zip(self.alignment(type_id))
                .ok_or_else(|| {
                    ObjectError::btf(
                        "BTF",
                        format!(
                            "struct {name}: member {member} has type {type_id}, which has no size"
                        ),
                    )
                })?;
            offset = offset.div_ceil(align) * align;
            let bit_offset = u32::try_from(offset * 8)
                .map_err(|_| ObjectError::btf("BTF", format!("struct {name} is too large")))?;
            laid_out.push(BtfMember::new(member, type_id, bit_offset));
            offset += size;
            align_max = align_max.max(align);
        }
        let size = u32::try_from(offset.div_ceil(align_max) * align_max)
            .map_err(|_| ObjectError::btf("BTF", format!("struct {name} is too large")))?;
        Ok(self.add_type(BtfType::structure(name, size, laid_out)))
    }

    /// Size in bytes of the type with this id, following typedefs, qualifiers and arrays as
    /// libbpf's `btf__resolve_size` does; `None` for types without a size (`void`,
    /// functions, forward declarations) and for broken or cyclic types.
    pub fn resolve_size(&self, id: u32) -> Option<u64> {
        let mut id = id;
        let mut count = 1u64;
        for _ in 0..MAX_RESOLVE_DEPTH {
            let size = match &self.type_by_id(id)?.kind {
                BtfKind::Int { size, .. }
                | BtfKind::Struct { size, .. }
                | BtfKind::Union { size, .. }
                | BtfKind::Enum { size, .. }
                | BtfKind::Enum64 { size, .. }
                | BtfKind::Datasec { size, .. }
                | BtfKind::Float { size } => *size,
                BtfKind::Ptr { .. } => 8,
                BtfKind::Typedef { target }
                | BtfKind::Volatile { target }
                | BtfKind::Const { target }
                | BtfKind::Restrict { target }
                | BtfKind::TypeTag { target }
                | BtfKind::Var { target, .. }
                | BtfKind::DeclTag { target, .. } => {
                    id = *target;
                    continue;
                }
                BtfKind::Array { elem, len, .. } => {
                    count = count.checked_mul(u64::from(*len))?;
                    id = *elem;
                    continue;
                }
                BtfKind::Void | BtfKind::Fwd { .. } | BtfKind::Func { .. } => return None,
                BtfKind::FuncProto { .. } => return None,
            };
            let total = count.checked_mul(u64::from(size))?;
            return (total <= u64::from(u32::MAX)).then_some(total);
        }
        None
    }

    /// Natural alignment of a type, as a C compiler for BPF sees it.
    pub(crate) fn alignment(&self, id: u32) -> Option<u64> {
        let (_, ty) = self.skip_modifiers(id)?;
        match &ty.kind {
            BtfKind::Int { size, .. }
            | BtfKind::Enum { size, .. }
            | BtfKind::Enum64 { size, .. }
            | BtfKind::Float { size } => Some(u64::from(*size).clamp(1, 8)),
            BtfKind::Ptr { .. } => Some(8),
            BtfKind::Array { elem, .. } => self.alignment(*elem),
            BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => members
                .iter()
                .try_fold(1, |a, m| Some(self.alignment(m.type_id)?.max(a))),
            _ => None,
        }
    }

    /// Follows typedefs, qualifiers and type tags from `id` to the first other type,
    /// returning that type's id and the type (libbpf's `skip_mods_and_typedefs`).
    pub fn skip_modifiers(&self, id: u32) -> Option<(u32, &BtfType)> {
        let mut id = id;
        for _ in 0..MAX_RESOLVE_DEPTH {
            let ty = self.type_by_id(id)?;
            match ty.kind.modified() {
                Some(target) => id = target,
                None => return Some((id, ty)),
            }
        }
        None
    }

    /// The struct or union a map's value type is, if any, after typedefs and qualifiers.
    pub(crate) fn composite(&self, id: u32) -> Option<&[BtfMember]> {
        self.skip_modifiers(id)?.1.kind.members()
    }

    pub(crate) fn from_parts(types: Vec<BtfType>, strings: Vec<u8>) -> Btf {
        Btf { types, strings }
    }
}

#[cfg(test)]
mod tests;
