//! Map definitions: what [`MapSpec`] holds, and the legacy `maps` section and global data
//! sections (`.data`, `.rodata`, `.bss`, `.data.*`, `.rodata.*`) as maps. BTF-defined maps
//! (`.maps`) are in `btf_maps.rs`.

use ebee_abi::flags::{BPF_F_MMAPABLE, BPF_F_RDONLY_PROG};
use ebee_abi::MapType;

use crate::btf::{Btf, BtfKind};
use crate::elf::ElfSection;
use crate::ObjectError;

/// Largest global data section accepted (far above the kernel's limit for an array value,
/// 4 MiB on common configurations); larger ones are an error rather than an allocation.
const MAX_GLOBAL_DATA: u64 = 64 << 20;

/// Where a map definition came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapOrigin {
    /// A BTF-defined map in `.maps`.
    Btf,
    /// A `struct bpf_map_def` record in the legacy `maps` section.
    Legacy,
    /// A global data section, as a one-element array.
    GlobalData(DataSection),
    /// The inner map definition of a map-in-map (`__array(values, struct inner)`).
    Inner,
}

/// The kind of a global data section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataSection {
    /// `.data` or `.data.*`: initialised, writable.
    Data,
    /// `.rodata` or `.rodata.*`: initialised, read-only for programs.
    Rodata,
    /// `.bss` or `.bss.*`: zero-initialised, writable.
    Bss,
}

impl DataSection {
    /// The kind of a section name, if it is a global data section.
    pub fn of(section: &str) -> Option<DataSection> {
        let is = |base: &str| {
            section == base
                || section
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        if is(".data") {
            Some(DataSection::Data)
        } else if is(".rodata") {
            Some(DataSection::Rodata)
        } else if is(".bss") {
            Some(DataSection::Bss)
        } else {
            None
        }
    }
}

/// One initial element of a map-in-map or program array (`.values = { [1] = &inner }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSlot {
    /// The array index (the key).
    pub index: u32,
    /// What is stored there.
    pub target: SlotTarget,
}

/// What an initial slot holds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlotTarget {
    /// A map, by index in [`crate::ObjectSpec::maps`].
    Map(usize),
    /// A program, by name.
    Program(String),
}

/// The fields iproute2's `struct bpf_elf_map` has beyond `struct bpf_map_def` (and
/// `pinning`, which is [`MapSpec::pinning`]): how tc-loaded objects link maps of maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElfMapIds {
    /// `id`: the name other definitions' `inner_id` use for this one.
    pub id: u32,
    /// `inner_id`: for a map of maps, the `id` of its inner map template.
    pub inner_id: u32,
    /// `inner_idx`: for a map with an `id`, the slot it is stored at in every map of maps
    /// whose `inner_id` is that id (`u32::MAX`: nowhere).
    pub inner_idx: u32,
}

/// A map definition: everything a host needs to create the map (ebee-object creates none).
///
/// Its index in [`crate::ObjectSpec::maps`] is the index that linked programs use in their
/// map references (see [`crate::MapReference`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapSpec {
    /// The map's name: its symbol, or the section name for global data (`.rodata`).
    pub name: String,
    /// The kernel's `enum bpf_map_type` number.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `BPF_F_*` flags.
    pub map_flags: u32,
    /// `map_extra` (e.g. the number of hash functions of a bloom filter).
    pub map_extra: u64,
    /// `numa_node` (0 when not given).
    pub numa_node: u32,
    /// `pinning`, as written (1 is `LIBBPF_PIN_BY_NAME`); ebee does not pin.
    pub pinning: u32,
    /// BTF type id of the key in [`crate::ObjectSpec::btf`], when defined by BTF.
    pub key_type_id: Option<u32>,
    /// BTF type id of the value (a `Datasec` for global data), when defined by BTF.
    pub value_type_id: Option<u32>,
    /// Byte offset of the `struct bpf_spin_lock` in the value, if it has one.
    pub spin_lock_offset: Option<u32>,
    /// The inner map's definition, for a map-in-map.
    pub inner: Option<Box<MapSpec>>,
    /// The contents of element 0 for global data maps: the section's bytes (zeros for
    /// `.bss`), as changed by [`crate::ObjectSpec::set_global`]; `None` for other maps.
    pub initial_data: Option<Vec<u8>>,
    /// Initial elements of a map-in-map or program array.
    pub initial_slots: Vec<MapSlot>,
    /// Where the definition came from.
    pub origin: MapOrigin,
    /// For a legacy record of iproute2's `struct bpf_elf_map` (more than the 20 bytes of
    /// `struct bpf_map_def`, at most 36): its `id`, `inner_id` and `inner_idx`.
    pub iproute2: Option<ElfMapIds>,
    /// ELF section index and byte offset of the definition (internal: matches relocations).
    pub(crate) location: (usize, u64),
}

impl MapSpec {
    pub(crate) fn new(name: String, origin: MapOrigin, location: (usize, u64)) -> MapSpec {
        MapSpec {
            name,
            map_type: 0,
            key_size: 0,
            value_size: 0,
            max_entries: 0,
            map_flags: 0,
            map_extra: 0,
            numa_node: 0,
            pinning: 0,
            key_type_id: None,
            value_type_id: None,
            spin_lock_offset: None,
            inner: None,
            initial_data: None,
            initial_slots: Vec::new(),
            origin,
            iproute2: None,
            location,
        }
    }

    /// The map type's name without `BPF_MAP_TYPE_` (`HASH`, `ARRAY_OF_MAPS`), if the kernel
    /// has the type.
    pub fn type_name(&self) -> Option<&'static str> {
        let kernel_name = MapType::from_kernel_id(self.map_type)?.kernel_name();
        kernel_name.strip_prefix("BPF_MAP_TYPE_")
    }

    /// The definition as libbpf creates the map (`bpf_object__create_map`): a
    /// `perf_event_array` without key or value size gets 4 bytes, without `max_entries`
    /// one entry per possible CPU; a ring buffer's size is rounded up to a power-of-two
    /// number of pages (`adjust_ringbuf_sz`; 0 stays 0, for the map's creation to refuse
    /// it). The inner map of a map of maps is adjusted too. Other sizes are left as they
    /// are, for map creation to judge.
    ///
    /// ```
    /// # use ebee_object::ObjectSpec;
    /// # fn check(spec: &ObjectSpec) {
    /// for map in spec.maps() {
    ///     let created = map.adjusted_for_load(8, 4096);
    ///     println!("{}: {} entries", created.name, created.max_entries);
    /// }
    /// # }
    /// ```
    pub fn adjusted_for_load(&self, possible_cpus: usize, page_size: u32) -> MapSpec {
        let mut map = self.clone();
        match MapType::from_kernel_id(map.map_type) {
            Some(MapType::PerfEventArray) => {
                if map.max_entries == 0 {
                    map.max_entries = u32::try_from(possible_cpus).unwrap_or(u32::MAX);
                }
                if map.key_size == 0 {
                    map.key_size = 4;
                }
                if map.value_size == 0 {
                    map.value_size = 4;
                }
            }
            Some(MapType::RingBuf | MapType::UserRingbuf) => {
                map.max_entries = ringbuf_size(map.max_entries, page_size);
            }
            _ => {}
        }
        if let Some(inner) = &map.inner {
            map.inner = Some(Box::new(inner.adjusted_for_load(possible_cpus, page_size)));
        }
        map
    }

    /// True for `ARRAY_OF_MAPS` and `HASH_OF_MAPS`.
    pub fn is_map_in_map(&self) -> bool {
        matches!(
            MapType::from_kernel_id(self.map_type),
            Some(MapType::ArrayOfMaps | MapType::HashOfMaps)
        )
    }
}

/// A ring buffer's size as the kernel wants it: a power-of-two number of pages (libbpf's
/// `adjust_ringbuf_sz`: the smallest such size not below the one asked for; 0, and sizes
/// with no such size below 4 GiB, stay as they are for the kernel to refuse).
fn ringbuf_size(size: u32, page: u32) -> u32 {
    let page = page.max(1);
    if size == 0 || (size.is_multiple_of(page) && (size / page).is_power_of_two()) {
        return size;
    }
    let mut pages: u32 = 1;
    while let Some(bytes) = pages.checked_mul(page) {
        if bytes >= size {
            return bytes;
        }
        pages = match pages.checked_mul(2) {
            Some(p) => p,
            None => break,
        };
    }
    size
}

/// A global data section as a one-element array map, as libbpf makes it.
pub(crate) fn data_map(
    section: &ElfSection<'_>,
    kind: DataSection,
    btf: Option<&Btf>,
) -> Result<MapSpec, ObjectError> {
    if section.size > MAX_GLOBAL_DATA {
        return Err(ObjectError::section(
            &section.name,
            format!(
                "global data of {} bytes is larger than the {} bytes supported",
                section.size, MAX_GLOBAL_DATA
            ),
        ));
    }
    let data = match kind {
        DataSection::Bss => vec![0; section.size as usize],
        _ => section.data.to_vec(),
    };
    let datasec = btf.and_then(|btf| {
        btf.types()
            .find(|(_, t)| t.name == section.name && matches!(t.kind, BtfKind::Datasec { .. }))
            .map(|(id, t)| (btf, id, t))
    });
    let mut flags = if kind == DataSection::Rodata {
        BPF_F_RDONLY_PROG
    } else {
        0
    };
    // libbpf's `map_is_mmapable`: a data section with BTF and a non-static variable.
    if let Some((_, _, ty)) = datasec {
        if let BtfKind::Datasec { vars, .. } = &ty.kind {
            let btf = datasec.map(|d| d.0);
            let non_static = vars.iter().any(|v| {
                btf.and_then(|b| b.type_by_id(v.type_id))
                    .is_some_and(|t| matches!(t.kind, BtfKind::Var { linkage, .. } if linkage != 0))
            });
            if non_static {
                flags |= BPF_F_MMAPABLE;
            }
        }
    }
    Ok(MapSpec {
        map_type: MapType::Array.kernel_id(),
        key_size: 4,
        value_size: data.len() as u32,
        max_entries: 1,
        map_flags: flags,
        value_type_id: datasec.map(|d| d.1),
        initial_data: Some(data),
        ..MapSpec::new(
            section.name.clone(),
            MapOrigin::GlobalData(kind),
            (section.index, 0),
        )
    })
}

/// True when type `id` is `struct bpf_spin_lock` (after typedefs and qualifiers).
pub(crate) fn is_spin_lock(btf: &Btf, id: u32) -> bool {
    btf.skip_modifiers(id)
        .is_some_and(|(_, t)| t.name == "bpf_spin_lock" && matches!(t.kind, BtfKind::Struct { .. }))
}

/// The one offset among `found`, as the kernel's BTF field search wants it: more than one
/// `bpf_spin_lock` in a value is an error.
pub(crate) fn single_lock(found: &[u32], map: &str) -> Result<Option<u32>, ObjectError> {
    match found {
        [] => Ok(None),
        [offset] => Ok(Some(*offset)),
        _ => Err(ObjectError::map(
            map,
            "the value holds more than one struct bpf_spin_lock",
        )),
    }
}

/// Byte offset of the `struct bpf_spin_lock` in a map's value type: a top-level member of a
/// struct or union, as the kernel's BTF field search finds it. (For global data, the
/// variables of the section are searched instead, once their offsets are known.)
pub(crate) fn spin_lock_offset(
    btf: &Btf,
    value_type: u32,
    map: &str,
) -> Result<Option<u32>, ObjectError> {
    let found: Vec<u32> = btf
        .composite(value_type)
        .unwrap_or(&[])
        .iter()
        .filter(|m| is_spin_lock(btf, m.type_id))
        .map(|m| m.bit_offset / 8)
        .collect();
    single_lock(&found, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_buffer_sizes_are_power_of_two_pages() {
        assert_eq!(ringbuf_size(0, 4096), 0);
        assert_eq!(ringbuf_size(4096, 4096), 4096);
        assert_eq!(ringbuf_size(1, 4096), 4096);
        assert_eq!(ringbuf_size(4097, 4096), 8192);
        assert_eq!(ringbuf_size(3 * 4096, 4096), 4 * 4096);
        assert_eq!(ringbuf_size(1 << 20, 4096), 1 << 20);
        assert_eq!(ringbuf_size(u32::MAX, 4096), u32::MAX);
    }

    #[test]
    fn perf_event_arrays_get_libbpfs_defaults() {
        let mut map = MapSpec::new("events".into(), MapOrigin::Legacy, (0, 0));
        map.map_type = MapType::PerfEventArray.kernel_id();
        let created = map.adjusted_for_load(6, 4096);
        assert_eq!(
            (created.key_size, created.value_size, created.max_entries),
            (4, 4, 6)
        );
        map.max_entries = 2;
        assert_eq!(map.adjusted_for_load(6, 4096).max_entries, 2);
    }
}
