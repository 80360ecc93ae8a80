//! Map definitions ([`MapSpec`]) and which of the kernel's map types ebee-maps implements
//! ([`is_implemented`]).

use crate::error::MapError;
use ebee_abi::{flags::BPF_F_INNER_MAP, Errno, MapType};

/// The kernel's `KMALLOC_MAX_SIZE` on x86-64 (4 MiB), which bounds several sizes.
pub(crate) const KMALLOC_MAX_SIZE: u64 = 1 << 22;
/// The kernel's `PCPU_MIN_UNIT_SIZE`, the largest per-CPU value.
pub(crate) const PCPU_MIN_UNIT_SIZE: u64 = 32 << 10;
/// Page size the ring buffer rules use.
pub const PAGE_SIZE: u32 = 4096;

/// Whether ebee-maps implements map type `t` (which [`Map::create`](crate::Map::create)
/// then creates, if the definition follows the kernel's rules).
///
/// ```
/// use ebee_maps::{is_implemented, MapType};
/// assert!(is_implemented(MapType::LruPercpuHash));
/// assert!(!is_implemented(MapType::Sockmap));
/// ```
pub fn is_implemented(t: MapType) -> bool {
    matches!(
        t,
        MapType::Hash
            | MapType::Array
            | MapType::ProgArray
            | MapType::PerfEventArray
            | MapType::PercpuHash
            | MapType::PercpuArray
            | MapType::LruHash
            | MapType::LruPercpuHash
            | MapType::LpmTrie
            | MapType::ArrayOfMaps
            | MapType::HashOfMaps
            | MapType::Queue
            | MapType::Stack
            | MapType::RingBuf
            | MapType::BloomFilter
    )
}

/// The map type with kernel id `id` if ebee-maps implements it, else
/// [`MapError::UnsupportedType`] naming map `name`.
///
/// ```
/// use ebee_maps::{implemented_type, MapType};
/// assert_eq!(implemented_type("flows", 1), Ok(MapType::Hash));
/// let err = implemented_type("socks", 15).unwrap_err();
/// assert_eq!(err.to_string(), "map `socks`: map type 15 (sockmap) is not supported by ebee");
/// ```
pub fn implemented_type(name: &str, id: u32) -> Result<MapType, MapError> {
    MapType::from_kernel_id(id)
        .filter(|&t| is_implemented(t))
        .ok_or_else(|| MapError::UnsupportedType {
            name: name.to_string(),
            id,
        })
}

/// A map definition: what `bpf(BPF_MAP_CREATE)` takes, plus the inner-map template of a
/// map of maps and the offset of a `struct bpf_spin_lock` in the value (which the kernel
/// learns from BTF).
///
/// ```
/// use ebee_maps::{MapSpec, MapType};
/// let spec = MapSpec::new("flows", MapType::Hash, 16, 8, 1024);
/// assert_eq!(spec.map_flags, 0);
/// assert!(spec.inner.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSpec {
    /// The map's name (used in errors).
    pub name: String,
    /// The map type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries (bytes of the data area for a ring buffer).
    pub max_entries: u32,
    /// `BPF_F_*` map flags ([`crate::flags`]).
    pub map_flags: u32,
    /// Type-specific extra: the number of hash functions of a bloom filter (low 4 bits).
    pub map_extra: u64,
    /// For maps of maps: the template inner maps must match.
    pub inner: Option<Box<MapSpec>>,
    /// Offset of a 4-byte `struct bpf_spin_lock` in the value, if the value has one.
    pub spin_lock_offset: Option<u32>,
}

impl MapSpec {
    /// A definition with no flags, no extra, no inner map and no spin lock.
    pub fn new(
        name: impl Into<String>,
        map_type: MapType,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
    ) -> MapSpec {
        MapSpec {
            name: name.into(),
            map_type,
            key_size,
            value_size,
            max_entries,
            map_flags: 0,
            map_extra: 0,
            inner: None,
            spin_lock_offset: None,
        }
    }

    /// Sets `map_flags`.
    pub fn with_flags(mut self, map_flags: u32) -> MapSpec {
        self.map_flags = map_flags;
        self
    }

    /// Sets `map_extra`.
    pub fn with_extra(mut self, map_extra: u64) -> MapSpec {
        self.map_extra = map_extra;
        self
    }

    /// Sets the inner-map template.
    pub fn with_inner(mut self, inner: MapSpec) -> MapSpec {
        self.inner = Some(Box::new(inner));
        self
    }

    /// Sets the offset of the value's `struct bpf_spin_lock`.
    pub fn with_spin_lock(mut self, offset: u32) -> MapSpec {
        self.spin_lock_offset = Some(offset);
        self
    }

    /// The error for a definition of a type ebee-maps does not implement.
    pub(crate) fn unsupported(&self) -> MapError {
        MapError::UnsupportedType {
            name: self.name.clone(),
            id: self.map_type.kernel_id(),
        }
    }

    pub(crate) fn invalid(&self, errno: Errno, reason: impl Into<String>) -> MapError {
        MapError::Invalid {
            name: self.name.clone(),
            map_type: self.map_type,
            reason: reason.into(),
            errno,
        }
    }

    /// Whether `other` may be stored in a map of maps whose template is `self`
    /// (the kernel's `map_meta_equal`).
    pub fn inner_compatible(&self, other: &MapSpec) -> bool {
        let same = self.map_type == other.map_type
            && self.key_size == other.key_size
            && self.value_size == other.value_size
            && self.map_flags == other.map_flags
            && self.spin_lock_offset == other.spin_lock_offset;
        if !same {
            return false;
        }
        if self.map_type == MapType::Array && self.map_flags & BPF_F_INNER_MAP == 0 {
            return self.max_entries == other.max_entries;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Map;

    #[test]
    fn exactly_the_implemented_types_get_past_the_type_check() {
        for &t in MapType::ALL {
            let result = Map::create(MapSpec::new("m", t, 4, 4, 1), 1);
            let unsupported = matches!(result, Err(MapError::UnsupportedType { .. }));
            assert_eq!(unsupported, !is_implemented(t), "{t}: {result:?}");
        }
    }
}
