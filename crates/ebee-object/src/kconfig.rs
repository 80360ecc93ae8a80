//! `__kconfig` extern variables, laid out as libbpf lays them out in its `.kconfig` map
//! (`bpf_object__collect_externs`): by alignment, largest first, then by size, smallest
//! first, then by name, each at the next multiple of its alignment. Outside a kernel there is
//! no configuration to read, so the map starts zeroed (libbpf's value for a `__weak` extern
//! the configuration lacks); the host sets values as globals ([`crate::ObjectSpec::set_global`]).

use std::collections::BTreeMap;

use ebee_abi::flags::BPF_F_RDONLY_PROG;
use ebee_abi::MapType;

use crate::btf::{Btf, BtfKind};
use crate::globals::GlobalVariable;
use crate::maps::{DataSection, MapOrigin, MapSpec};
use crate::ObjectError;

/// The section (BTF `DATASEC`) clang puts `__kconfig` externs in, and the name of the map.
pub(crate) const KCONFIG: &str = ".kconfig";

/// The `.kconfig` map and its variables, when the object has `__kconfig` externs.
pub(crate) struct Kconfig {
    /// The map: a one-element array, read-only for programs, zero-filled.
    pub(crate) map: MapSpec,
    /// Its variables, in offset order (their `map_index` is the map's).
    pub(crate) globals: Vec<GlobalVariable>,
    /// Offset of each extern by name, for relocations.
    pub(crate) offsets: BTreeMap<String, u32>,
}

/// The `.kconfig` map of an object whose BTF has a `.kconfig` `DATASEC`; `map_index` is
/// the index it will have in the object's map list.
pub(crate) fn kconfig(btf: Option<&Btf>, map_index: usize) -> Result<Option<Kconfig>, ObjectError> {
    let Some(btf) = btf else { return Ok(None) };
    let Some(BtfKind::Datasec { vars, .. }) = btf
        .types()
        .find(|(_, t)| t.name == KCONFIG && matches!(t.kind, BtfKind::Datasec { .. }))
        .map(|(_, t)| &t.kind)
    else {
        return Ok(None);
    };
    // (alignment, size, name, type)
    let mut externs = Vec::new();
    for info in vars {
        let var = btf.type_by_id(info.type_id);
        let Some((name, BtfKind::Var { target, .. })) = var.map(|v| (&v.name, &v.kind)) else {
            return Err(btf_error(format!(
                "{KCONFIG} entry [{}] is not a variable",
                info.type_id
            )));
        };
        let size = btf.resolve_size(*target).filter(|&s| s > 0);
        let align = btf.alignment(*target);
        let (Some(size), Some(align)) = (size, align) else {
            return Err(btf_error(format!(
                "__kconfig extern `{name}` has a type without a size or alignment"
            )));
        };
        externs.push((align, size, name.clone(), *target));
    }
    if externs.is_empty() {
        return Ok(None);
    }
    externs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut offset = 0u64;
    let mut globals = Vec::new();
    let mut offsets = BTreeMap::new();
    for (align, size, name, target) in externs {
        offset = offset.next_multiple_of(align);
        let (Ok(at), Ok(len)) = (u32::try_from(offset), u32::try_from(size)) else {
            return Err(btf_error(format!("__kconfig extern `{name}` is too large")));
        };
        offsets.insert(name.clone(), at);
        globals.push(GlobalVariable {
            name,
            section: KCONFIG.to_owned(),
            map_index,
            offset: at,
            size: len,
            type_id: Some(target),
            is_static: false,
            kind: DataSection::Rodata,
        });
        offset += size;
    }
    let value_size = u32::try_from(offset).map_err(|_| btf_error("__kconfig externs too large"))?;
    let map = MapSpec {
        map_type: MapType::Array.kernel_id(),
        key_size: 4,
        value_size,
        max_entries: 1,
        map_flags: BPF_F_RDONLY_PROG,
        initial_data: Some(vec![0; offset as usize]),
        // Section 0: externs are in no section, so no relocation of a defined symbol
        // matches this map.
        ..MapSpec::new(
            KCONFIG.to_owned(),
            MapOrigin::GlobalData(DataSection::Rodata),
            (0, 0),
        )
    };
    Ok(Some(Kconfig {
        map,
        globals,
        offsets,
    }))
}

fn btf_error(reason: impl Into<String>) -> ObjectError {
    ObjectError::Btf {
        section: ".BTF".into(),
        reason: reason.into(),
    }
}
