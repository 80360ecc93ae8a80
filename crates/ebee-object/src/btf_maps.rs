//! BTF-defined maps: the variables of the `.maps` section, each a struct whose members
//! encode the definition (libbpf's `parse_btf_map_def`):
//!
//! - `__uint(name, N)` is `int (*name)[N]`: a pointer to an array of N elements;
//! - `__ulong(name, N)` is an enum whose one value is N (for 64-bit values);
//! - `__type(key, T)` is `T *key`: the key size is `sizeof(T)`;
//! - `__array(values, struct inner)` is `struct inner *values[]`: the inner map's definition
//!   of a map-in-map (or `int (*values[])(void *)` for a program array), whose initial
//!   elements are relocations in `.rel.maps`.

use ebee_abi::MapType;

use crate::btf::{Btf, BtfKind, BtfMember};
use crate::elf::{reloc, Elf, ElfSection};
use crate::maps::{spin_lock_offset, MapOrigin, MapSlot, MapSpec, SlotTarget};
use crate::ObjectError;

/// A map of `.maps` with what is needed to place its initial slots.
struct Parsed {
    spec: MapSpec,
    /// Size of the definition in `.maps`.
    size: u64,
    /// Byte offset of the `values` member in the definition, if it has one.
    values_offset: Option<u64>,
}

/// The maps of the `.maps` section, in BTF order; `first_index` is the index the first of
/// them gets in the object's map list.
pub(crate) fn btf_maps(
    elf: &Elf<'_>,
    section: &ElfSection<'_>,
    btf: Option<&Btf>,
    first_index: usize,
) -> Result<Vec<MapSpec>, ObjectError> {
    let btf = btf.ok_or_else(|| {
        ObjectError::section(
            &section.name,
            "BTF-defined maps need a .BTF section, which is missing",
        )
    })?;
    let vars = btf
        .types()
        .find_map(|(_, t)| match &t.kind {
            BtfKind::Datasec { vars, .. } if t.name == section.name => Some(vars),
            _ => None,
        })
        .ok_or_else(|| {
            ObjectError::btf(".BTF", format!("no DATASEC for section {}", section.name))
        })?;
    let mut parsed = Vec::new();
    for var in vars {
        let (name, target) = match btf.type_by_id(var.type_id) {
            Some(t) => match t.kind {
                BtfKind::Var { target, .. } => (t.name.clone(), target),
                _ => {
                    return Err(ObjectError::btf(
                        ".BTF",
                        format!(
                            "DATASEC {}: type [{}] is not a VAR",
                            section.name, var.type_id
                        ),
                    ))
                }
            },
            None => {
                return Err(ObjectError::btf(
                    ".BTF",
                    format!("DATASEC {}: no type [{}]", section.name, var.type_id),
                ))
            }
        };
        let symbol = elf.symbol_named(section.index, &name).ok_or_else(|| {
            ObjectError::map(&name, format!("no symbol for it in {}", section.name))
        })?;
        let mut spec = MapSpec::new(name.clone(), MapOrigin::Btf, (section.index, symbol.value));
        let values_offset = parse_definition(btf, target, &mut spec, false)?;
        // The symbol's size covers initialised `values` past the struct's own size.
        let size = [symbol.size, u64::from(var.size)]
            .into_iter()
            .find(|&s| s > 0)
            .or_else(|| btf.resolve_size(target))
            .unwrap_or(0);
        parsed.push(Parsed {
            spec,
            size,
            values_offset,
        });
    }
    initial_slots(elf, section, &mut parsed, first_index)?;
    Ok(parsed.into_iter().map(|p| p.spec).collect())
}

/// The integer a `__uint(name, N)` or `__ulong(name, N)` member encodes.
fn field_value(btf: &Btf, member: &BtfMember, map: &str) -> Result<u64, ObjectError> {
    let bad = || {
        ObjectError::map(
            map,
            format!(
                "field `{}` is neither __uint (pointer to array) nor __ulong (enum)",
                member.name
            ),
        )
    };
    let (_, ty) = btf.skip_modifiers(member.type_id).ok_or_else(bad)?;
    match &ty.kind {
        BtfKind::Ptr { target } => match btf.skip_modifiers(*target).map(|(_, t)| &t.kind) {
            Some(BtfKind::Array { len, .. }) => Ok(u64::from(*len)),
            _ => Err(bad()),
        },
        BtfKind::Enum { values, .. } | BtfKind::Enum64 { values, .. } if values.len() == 1 => {
            Ok(values[0].value as u64)
        }
        _ => Err(bad()),
    }
}

/// The type a `__type(name, T)` member points to, with its size.
fn pointee_size(btf: &Btf, member: &BtfMember, map: &str) -> Result<(u32, u32), ObjectError> {
    let target = match btf.type_by_id(member.type_id).map(|t| &t.kind) {
        Some(BtfKind::Ptr { target }) => *target,
        _ => {
            return Err(ObjectError::map(
                map,
                format!("{} spec is not a pointer (__type)", member.name),
            ))
        }
    };
    let size = btf
        .resolve_size(target)
        .and_then(|s| u32::try_from(s).ok())
        .ok_or_else(|| {
            ObjectError::map(map, format!("{} type [{target}] has no size", member.name))
        })?;
    Ok((target, size))
}

fn set_size(spec: &mut MapSpec, which: &str, size: u32) -> Result<(), ObjectError> {
    let slot = if which == "key" {
        &mut spec.key_size
    } else {
        &mut spec.value_size
    };
    if *slot != 0 && *slot != size {
        return Err(ObjectError::map(
            &spec.name,
            format!("conflicting {which} size {} != {size}", *slot),
        ));
    }
    *slot = size;
    Ok(())
}

fn u32_field(value: u64, field: &str, map: &str) -> Result<u32, ObjectError> {
    u32::try_from(value)
        .map_err(|_| ObjectError::map(map, format!("{field} {value} does not fit 32 bits")))
}

/// Fills `spec` from the definition struct `def`; returns the byte offset of `values`.
fn parse_definition(
    btf: &Btf,
    def: u32,
    spec: &mut MapSpec,
    is_inner: bool,
) -> Result<Option<u64>, ObjectError> {
    let map = spec.name.clone();
    let members = btf.composite(def).ok_or_else(|| {
        ObjectError::map(&map, format!("definition type [{def}] is not a struct"))
    })?;
    let mut values_offset = None;
    for (i, member) in members.iter().enumerate() {
        match member.name.as_str() {
            "type" => spec.map_type = u32_field(field_value(btf, member, &map)?, "type", &map)?,
            "max_entries" => {
                spec.max_entries = u32_field(field_value(btf, member, &map)?, "max_entries", &map)?
            }
            "map_flags" => {
                spec.map_flags = u32_field(field_value(btf, member, &map)?, "map_flags", &map)?
            }
            "numa_node" => {
                spec.numa_node = u32_field(field_value(btf, member, &map)?, "numa_node", &map)?
            }
            "pinning" => {
                spec.pinning = u32_field(field_value(btf, member, &map)?, "pinning", &map)?
            }
            "map_extra" => spec.map_extra = field_value(btf, member, &map)?,
            "key_size" => {
                let size = u32_field(field_value(btf, member, &map)?, "key_size", &map)?;
                set_size(spec, "key", size)?;
            }
            "value_size" => {
                let size = u32_field(field_value(btf, member, &map)?, "value_size", &map)?;
                set_size(spec, "value", size)?;
            }
            "key" => {
                let (id, size) = pointee_size(btf, member, &map)?;
                set_size(spec, "key", size)?;
                spec.key_type_id = Some(id);
            }
            "value" => {
                let (id, size) = pointee_size(btf, member, &map)?;
                set_size(spec, "value", size)?;
                spec.value_type_id = Some(id);
            }
            "values" => {
                values_offset = Some(u64::from(member.bit_offset / 8));
                parse_values(btf, member, spec, is_inner, i + 1 == members.len())?;
            }
            other => {
                return Err(ObjectError::map(&map, format!("unknown field `{other}`")));
            }
        }
    }
    if let Some(value) = spec.value_type_id {
        spec.spin_lock_offset = spin_lock_offset(btf, value, &map)?;
    }
    Ok(values_offset)
}

/// `__array(values, ...)`: the inner map of a map-in-map, or a program array's values.
fn parse_values(
    btf: &Btf,
    member: &BtfMember,
    spec: &mut MapSpec,
    is_inner: bool,
    is_last: bool,
) -> Result<(), ObjectError> {
    let map = spec.name.clone();
    let err = |reason: &str| Err(ObjectError::map(&map, reason.to_owned()));
    if is_inner {
        return err("multi-level inner maps are not supported");
    }
    if !is_last {
        return err("`values` must be the last member");
    }
    let is_prog_array = spec.map_type == MapType::ProgArray.kernel_id();
    if !spec.is_map_in_map() && !is_prog_array {
        return err("`values` is only for map-in-map and program array maps");
    }
    set_size(spec, "value", 4)?;
    let elem = match btf.type_by_id(member.type_id).map(|t| &t.kind) {
        Some(BtfKind::Array { elem, len: 0, .. }) => *elem,
        _ => return err("`values` must be an array of zero length (__array)"),
    };
    let pointee = match btf.skip_modifiers(elem).map(|(_, t)| &t.kind) {
        Some(BtfKind::Ptr { target }) => *target,
        _ => return err("`values` elements must be pointers"),
    };
    let (inner_id, inner) = match btf.skip_modifiers(pointee) {
        Some(found) => found,
        None => return err("`values` element type is missing"),
    };
    if is_prog_array {
        if !matches!(inner.kind, BtfKind::FuncProto { .. }) {
            return err("program array `values` must point to functions");
        }
        return Ok(());
    }
    let mut inner_spec = MapSpec::new(format!("{map}.inner"), MapOrigin::Inner, spec.location);
    parse_definition(btf, inner_id, &mut inner_spec, true)?;
    spec.inner = Some(Box::new(inner_spec));
    Ok(())
}

/// Initial elements from `.rel.maps`: each relocation in a definition's `values` array
/// names the map or program stored at that index.
fn initial_slots(
    elf: &Elf<'_>,
    section: &ElfSection<'_>,
    parsed: &mut [Parsed],
    first_index: usize,
) -> Result<(), ObjectError> {
    for rel in &section.relocations {
        let insn = (rel.offset / 8) as usize;
        let symbol = elf.symbol_for(rel.symbol, &section.name, insn)?;
        let err = |reason: String| ObjectError::Relocation {
            section: section.name.clone(),
            insn,
            symbol: Some(elf.symbol_label(symbol)),
            reason,
        };
        if rel.kind != reloc::ABS64 && rel.kind != reloc::R_BPF_64_64 {
            return Err(err(format!(
                "unknown relocation type {} in a map definition",
                rel.kind
            )));
        }
        let found = parsed.iter().position(|p| {
            let start = p.spec.location.1;
            rel.offset >= start && rel.offset - start < p.size
        });
        let Some(owner) = found else {
            return Err(err(format!(
                "offset {:#x} is in no map definition",
                rel.offset
            )));
        };
        let map = &parsed[owner];
        let Some(values) = map.values_offset else {
            return Err(err(format!(
                "map `{}` has no `values` to initialise",
                map.spec.name
            )));
        };
        let delta = (rel.offset - map.spec.location.1).checked_sub(values);
        let Some(delta) = delta.filter(|d| d % 8 == 0) else {
            return Err(err(format!(
                "offset {:#x} is not a `values` element of `{}`",
                rel.offset, map.spec.name
            )));
        };
        let index = u32::try_from(delta / 8).map_err(|_| err("element index too large".into()))?;
        let target = if map.spec.is_map_in_map() {
            let target = parsed
                .iter()
                .position(|p| symbol.section == Some(section.index) && p.spec.name == symbol.name)
                .ok_or_else(|| err("the inner map is not a map of .maps".into()))?;
            SlotTarget::Map(first_index + target)
        } else {
            let in_code = symbol
                .section
                .and_then(|s| elf.section(s))
                .is_some_and(|s| s.is_code());
            if !in_code || !symbol.is_function() {
                return Err(err("a program array element must be a program".into()));
            }
            SlotTarget::Program(symbol.name.clone())
        };
        parsed[owner]
            .spec
            .initial_slots
            .push(MapSlot { index, target });
    }
    Ok(())
}
