//! Global variables: where each variable of a global data section lives in its map, so a
//! host can set `.rodata` constants before loading, as libbpf skeletons do.

use object::elf;

use crate::btf::{Btf, BtfKind};
use crate::elf::Elf;
use crate::maps::{DataSection, MapOrigin, MapSpec};

/// A global variable in a global data section (`.data`, `.rodata`, `.bss`, `.data.*`...).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GlobalVariable {
    /// The variable's name.
    pub name: String,
    /// The section it is in (also the name of its map).
    pub section: String,
    /// Index of the section's map in [`crate::ObjectSpec::maps`].
    pub map_index: usize,
    /// Byte offset in the map's value.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    /// The variable's BTF type (the type of its `Var`), when the object has BTF.
    pub type_id: Option<u32>,
    /// True for `static` variables (BTF linkage static, or a local symbol).
    pub is_static: bool,
    /// The kind of section: `Rodata` variables are constants for programs.
    pub kind: DataSection,
}

/// The variables of every global data map: from the section's BTF `DATASEC` when there is
/// one (offsets fixed up from the symbols, since clang may leave them 0), else from the
/// section's object symbols.
pub(crate) fn globals(elf: &Elf<'_>, btf: Option<&Btf>, maps: &[MapSpec]) -> Vec<GlobalVariable> {
    let mut out = Vec::new();
    for (map_index, map) in maps.iter().enumerate() {
        let MapOrigin::GlobalData(kind) = map.origin else {
            continue;
        };
        let section = map.location.0;
        let value_size = u64::from(map.value_size);
        let symbol = |name: &str| elf.symbol_named(section, name);
        let mut vars = Vec::new();
        let datasec = map.value_type_id.and_then(|id| btf?.type_by_id(id));
        if let (Some(btf), Some(BtfKind::Datasec { vars: infos, .. })) =
            (btf, datasec.map(|t| &t.kind))
        {
            for info in infos {
                let Some(var) = btf.type_by_id(info.type_id) else {
                    continue;
                };
                let BtfKind::Var { target, linkage } = var.kind else {
                    continue;
                };
                let sym = symbol(&var.name);
                let offset = sym.map_or(u64::from(info.offset), |s| s.value);
                let Ok(offset) = u32::try_from(offset) else {
                    continue;
                };
                vars.push(GlobalVariable {
                    name: var.name.clone(),
                    section: map.name.clone(),
                    map_index,
                    offset,
                    size: info.size,
                    type_id: Some(target),
                    is_static: linkage == 0,
                    kind,
                });
            }
        } else {
            for sym in elf.symbols_in(section) {
                let (Ok(offset), Ok(size)) = (u32::try_from(sym.value), u32::try_from(sym.size))
                else {
                    continue;
                };
                if sym.kind != elf::STT_OBJECT || sym.name.is_empty() {
                    continue;
                }
                vars.push(GlobalVariable {
                    name: sym.name.clone(),
                    section: map.name.clone(),
                    map_index,
                    offset,
                    size,
                    type_id: None,
                    is_static: !sym.is_global(),
                    kind,
                });
            }
        }
        // A variable must lie inside its map's value; anything else is dropped rather than
        // offered for writing.
        vars.retain(|v| u64::from(v.offset) + u64::from(v.size) <= value_size);
        vars.sort_by_key(|v| v.offset);
        out.extend(vars);
    }
    out
}
