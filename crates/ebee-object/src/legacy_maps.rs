//! Legacy map definitions: records in the `maps` section (and `maps/…` sections), as libbpf
//! 0.x (`bpf_object__init_user_maps`) and iproute2 (`lib/bpf_legacy.c`) read them.
//!
//! - A record's size is its symbol's `st_size`; old clang wrote 0 there, and then, as both
//!   libbpf and iproute2 do, it is the section size divided by the number of map symbols in
//!   the section (which must divide it).
//! - Up to 20 bytes: libbpf's `struct bpf_map_def` (`type`, `key_size`, `value_size`,
//!   `max_entries`, `map_flags`), missing fields 0.
//! - 21 to 36 bytes: iproute2's `struct bpf_elf_map`, which continues with `id`,
//!   `pinning`, `inner_id`, `inner_idx` (missing fields 0, as iproute2's fixup of shorter
//!   records). libbpf reads such records only when the extra bytes are 0, and then both
//!   readings agree.
//! - Larger: libbpf's rule, the bytes after `struct bpf_map_def` must be 0.
//!
//! Maps of maps get their inner map as iproute2 gives it: the template is the map whose
//! `id` is the outer map's `inner_id`, and every map with an `id`, no `inner_id` and an
//! `inner_idx` other than `u32::MAX` is stored at slot `inner_idx` of each map of maps
//! whose `inner_id` is its `id`.

use object::elf;

use crate::elf::{Elf, ElfSection};
use crate::maps::{ElfMapIds, MapOrigin, MapSlot, MapSpec, SlotTarget};
use crate::ObjectError;

/// `sizeof(struct bpf_map_def)` of libbpf 0.x.
const BPF_MAP_DEF_SIZE: usize = 20;
/// `sizeof(struct bpf_elf_map)` of iproute2.
const BPF_ELF_MAP_SIZE: usize = 36;

/// True for a section of legacy map definitions: `maps`, or `maps/…`.
pub(crate) fn is_legacy_maps_section(name: &str) -> bool {
    name == "maps" || name.starts_with("maps/")
}

/// The maps of one legacy maps section, in offset order.
pub(crate) fn legacy_maps(
    elf: &Elf<'_>,
    section: &ElfSection<'_>,
) -> Result<Vec<MapSpec>, ObjectError> {
    let mut symbols: Vec<_> = elf
        .symbols_in(section.index)
        .filter(|s| s.kind != elf::STT_SECTION && !s.name.is_empty())
        .collect();
    symbols.sort_by_key(|s| s.value);
    if symbols.is_empty() {
        return Ok(Vec::new());
    }
    let count = symbols.len() as u64;
    let shared_size = || {
        if section.size == 0 || !section.size.is_multiple_of(count) {
            Err(ObjectError::section(
                &section.name,
                format!(
                    "{} bytes do not divide into {count} map definitions of equal size (its \
                     map symbols have size 0, so libbpf's rule applies: the record size is \
                     the section size divided by the number of maps)",
                    section.size
                ),
            ))
        } else {
            Ok(section.size / count)
        }
    };
    let mut maps = Vec::with_capacity(symbols.len());
    for symbol in symbols {
        let name = &symbol.name;
        let size = match symbol.size {
            0 => shared_size()?,
            size => size,
        };
        let record = usize::try_from(symbol.value)
            .ok()
            .and_then(|start| {
                let end = start.checked_add(usize::try_from(size).ok()?)?;
                section.data.get(start..end)
            })
            .ok_or_else(|| {
                ObjectError::map(
                    name,
                    format!(
                        "definition at {:#x}+{size:#x} lies outside section {}",
                        symbol.value, section.name
                    ),
                )
            })?;
        maps.push(read_record(
            name,
            record,
            &section.name,
            (section.index, symbol.value),
        )?);
    }
    Ok(maps)
}

/// One record, by its size (see the module documentation).
fn read_record(
    name: &str,
    record: &[u8],
    section: &str,
    location: (usize, u64),
) -> Result<MapSpec, ObjectError> {
    if record.len() > BPF_ELF_MAP_SIZE {
        if let Some(at) = record[BPF_MAP_DEF_SIZE..].iter().position(|&b| b != 0) {
            return Err(ObjectError::map(
                name,
                format!(
                    "legacy definition of {} bytes in section {section} has a non-zero byte at \
                     offset {} beyond struct bpf_map_def ({BPF_MAP_DEF_SIZE} bytes), which \
                     libbpf refuses, and is larger than iproute2's struct bpf_elf_map \
                     ({BPF_ELF_MAP_SIZE} bytes)",
                    record.len(),
                    BPF_MAP_DEF_SIZE + at
                ),
            ));
        }
    }
    let mut padded = [0u8; BPF_ELF_MAP_SIZE];
    let used = record.len().min(BPF_ELF_MAP_SIZE);
    padded[..used].copy_from_slice(&record[..used]);
    let field = |i: usize| {
        let bytes = [
            padded[i * 4],
            padded[i * 4 + 1],
            padded[i * 4 + 2],
            padded[i * 4 + 3],
        ];
        u32::from_le_bytes(bytes)
    };
    let is_elf_map = record.len() > BPF_MAP_DEF_SIZE && record.len() <= BPF_ELF_MAP_SIZE;
    Ok(MapSpec {
        map_type: field(0),
        key_size: field(1),
        value_size: field(2),
        max_entries: field(3),
        map_flags: field(4),
        pinning: if is_elf_map { field(6) } else { 0 },
        iproute2: is_elf_map.then(|| ElfMapIds {
            id: field(5),
            inner_id: field(7),
            inner_idx: field(8),
        }),
        ..MapSpec::new(name.to_owned(), MapOrigin::Legacy, location)
    })
}

/// Links iproute2's maps of maps (see the module documentation): `maps` are the legacy
/// maps, whose indices are their indices in the object's map list.
pub(crate) fn link_inner_maps(maps: &mut [MapSpec]) -> Result<(), ObjectError> {
    let ids = |m: &MapSpec| m.iproute2.filter(|ids| ids.id != 0);
    for outer in 0..maps.len() {
        let Some(inner_id) = maps[outer].iproute2.map(|ids| ids.inner_id) else {
            continue;
        };
        if inner_id == 0 || !maps[outer].is_map_in_map() || maps[outer].inner.is_some() {
            continue;
        }
        let template = maps
            .iter()
            .position(|m| ids(m).is_some_and(|ids| ids.id == inner_id))
            .ok_or_else(|| {
                ObjectError::map(
                    &maps[outer].name,
                    format!(
                        "its inner_id {inner_id} names no map: no map of the object has id \
                         {inner_id}"
                    ),
                )
            })?;
        let mut inner = maps[template].clone();
        inner.origin = MapOrigin::Inner;
        maps[outer].inner = Some(Box::new(inner));
        let slots: Vec<MapSlot> =
            maps.iter()
                .enumerate()
                .filter_map(|(index, map)| {
                    let ids = ids(map)?;
                    (ids.id == inner_id && ids.inner_id == 0 && ids.inner_idx != u32::MAX)
                        .then_some(MapSlot {
                            index: ids.inner_idx,
                            target: SlotTarget::Map(index),
                        })
                })
                .collect();
        maps[outer].initial_slots.extend(slots);
    }
    Ok(())
}
