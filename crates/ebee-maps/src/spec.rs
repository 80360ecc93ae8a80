//! Map definitions ([`MapSpec`], [`MapType`]), the kernel's flag values ([`flags`]) and the
//! creation rules the kernel enforces for each map type.

use crate::error::{Errno, MapError};
use std::fmt;

/// Flag values of the kernel UAPI (`include/uapi/linux/bpf.h`) that map operations take.
pub mod flags {
    /// Update flag: create a new element or update an existing one.
    pub const BPF_ANY: u64 = 0;
    /// Update flag: create a new element only if it does not exist.
    pub const BPF_NOEXIST: u64 = 1;
    /// Update flag: update an existing element only.
    pub const BPF_EXIST: u64 = 2;
    /// Update/lookup flag: copy the value under its `bpf_spin_lock`.
    pub const BPF_F_LOCK: u64 = 4;

    /// Map flag: do not preallocate (required for LPM tries).
    pub const BPF_F_NO_PREALLOC: u32 = 1 << 0;
    /// Map flag: one LRU list per CPU (LRU hashes only).
    pub const BPF_F_NO_COMMON_LRU: u32 = 1 << 1;
    /// Map flag: `numa_node` is set (accepted, no effect here).
    pub const BPF_F_NUMA_NODE: u32 = 1 << 2;
    /// Map flag: read-only for the host (syscall) side.
    pub const BPF_F_RDONLY: u32 = 1 << 3;
    /// Map flag: write-only for the host (syscall) side.
    pub const BPF_F_WRONLY: u32 = 1 << 4;
    /// Map flag: stack maps store build ids (not supported here).
    pub const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;
    /// Map flag: hash with seed 0, giving a reproducible element order.
    pub const BPF_F_ZERO_SEED: u32 = 1 << 6;
    /// Map flag: read-only for programs (the verifier enforces it).
    pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
    /// Map flag: write-only for programs (the verifier enforces it).
    pub const BPF_F_WRONLY_PROG: u32 = 1 << 8;
    /// Map flag: clone the map (local storage only).
    pub const BPF_F_CLONE: u32 = 1 << 9;
    /// Map flag: the array may be `mmap`ed (accepted for arrays).
    pub const BPF_F_MMAPABLE: u32 = 1 << 10;
    /// Map flag: keep perf event array entries when the map file is closed.
    pub const BPF_F_PRESERVE_ELEMS: u32 = 1 << 11;
    /// Map flag: an array used as an inner map may differ in `max_entries`.
    pub const BPF_F_INNER_MAP: u32 = 1 << 12;
    /// All four access flags.
    pub const BPF_F_ACCESS_MASK: u32 =
        BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

    /// `bpf_perf_event_output` flags: the index bits.
    pub const BPF_F_INDEX_MASK: u64 = 0xffff_ffff;
    /// `bpf_perf_event_output` index meaning "the CPU the program runs on".
    pub const BPF_F_CURRENT_CPU: u64 = BPF_F_INDEX_MASK;
    /// `bpf_skb/xdp_event_output` flags: how many context bytes to append (the helper's job).
    pub const BPF_F_CTXLEN_MASK: u64 = 0xfffff << 32;

    /// Ring buffer submit/output flag: do not wake the consumer.
    pub const BPF_RB_NO_WAKEUP: u64 = 1 << 0;
    /// Ring buffer submit/output flag: always wake the consumer.
    pub const BPF_RB_FORCE_WAKEUP: u64 = 1 << 1;
    /// `bpf_ringbuf_query`: bytes not yet consumed.
    pub const BPF_RB_AVAIL_DATA: u64 = 0;
    /// `bpf_ringbuf_query`: size of the data area.
    pub const BPF_RB_RING_SIZE: u64 = 1;
    /// `bpf_ringbuf_query`: consumer position.
    pub const BPF_RB_CONS_POS: u64 = 2;
    /// `bpf_ringbuf_query`: producer position.
    pub const BPF_RB_PROD_POS: u64 = 3;
    /// Ring buffer record header: the record is reserved and not yet committed.
    pub const BPF_RINGBUF_BUSY_BIT: u32 = 1 << 31;
    /// Ring buffer record header: the record was discarded.
    pub const BPF_RINGBUF_DISCARD_BIT: u32 = 1 << 30;
    /// Size of a ring buffer record header.
    pub const BPF_RINGBUF_HDR_SZ: u32 = 8;
}

use flags::*;

/// The kernel's `KMALLOC_MAX_SIZE` on x86-64 (4 MiB), which bounds several sizes.
pub(crate) const KMALLOC_MAX_SIZE: u64 = 1 << 22;
/// The kernel's `PCPU_MIN_UNIT_SIZE`, the largest per-CPU value.
pub(crate) const PCPU_MIN_UNIT_SIZE: u64 = 32 << 10;
/// Page size the ring buffer rules use.
pub const PAGE_SIZE: u32 = 4096;

macro_rules! map_types {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $kname:literal; )*) => {
        /// A map type ebee implements, with its kernel `enum bpf_map_type` value.
        ///
        /// ```
        /// use ebee_maps::MapType;
        /// assert_eq!(MapType::from_kernel_id(1), Some(MapType::Hash));
        /// assert_eq!(MapType::LpmTrie.kernel_id(), 11);
        /// assert_eq!(MapType::from_kernel_id(15), None); // sockmap: not implemented
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum MapType {
            $( $(#[$doc])* $variant = $id, )*
        }

        impl MapType {
            /// The type with this kernel id, if ebee implements it.
            pub fn from_kernel_id(id: u32) -> Option<MapType> {
                match id {
                    $( $id => Some(MapType::$variant), )*
                    _ => None,
                }
            }

            /// The kernel's `enum bpf_map_type` value.
            pub fn kernel_id(self) -> u32 {
                self as u32
            }

            /// The kernel's name without the `BPF_MAP_TYPE_` prefix, lower case (`"lru_hash"`).
            pub fn name(self) -> &'static str {
                match self {
                    $( MapType::$variant => $kname, )*
                }
            }
        }
    };
}

map_types! {
    /// `BPF_MAP_TYPE_HASH`.
    Hash = 1, "hash";
    /// `BPF_MAP_TYPE_ARRAY`.
    Array = 2, "array";
    /// `BPF_MAP_TYPE_PROG_ARRAY`: program ids for tail calls.
    ProgArray = 3, "prog_array";
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`.
    PerfEventArray = 4, "perf_event_array";
    /// `BPF_MAP_TYPE_PERCPU_HASH`.
    PercpuHash = 5, "percpu_hash";
    /// `BPF_MAP_TYPE_PERCPU_ARRAY`.
    PercpuArray = 6, "percpu_array";
    /// `BPF_MAP_TYPE_LRU_HASH`.
    LruHash = 9, "lru_hash";
    /// `BPF_MAP_TYPE_LRU_PERCPU_HASH`.
    LruPercpuHash = 10, "lru_percpu_hash";
    /// `BPF_MAP_TYPE_LPM_TRIE`.
    LpmTrie = 11, "lpm_trie";
    /// `BPF_MAP_TYPE_ARRAY_OF_MAPS`.
    ArrayOfMaps = 12, "array_of_maps";
    /// `BPF_MAP_TYPE_HASH_OF_MAPS`.
    HashOfMaps = 13, "hash_of_maps";
    /// `BPF_MAP_TYPE_QUEUE`.
    Queue = 22, "queue";
    /// `BPF_MAP_TYPE_STACK`.
    Stack = 23, "stack";
    /// `BPF_MAP_TYPE_RINGBUF`.
    RingBuf = 27, "ringbuf";
    /// `BPF_MAP_TYPE_BLOOM_FILTER`.
    BloomFilter = 30, "bloom_filter";
}

impl MapType {
    /// The type with kernel id `id`, or [`MapError::UnsupportedType`] naming map `name`.
    ///
    /// ```
    /// use ebee_maps::MapType;
    /// let err = MapType::parse("socks", 15).unwrap_err();
    /// assert_eq!(err.to_string(), "map `socks`: map type 15 (sockmap) is not supported by ebee");
    /// ```
    pub fn parse(name: &str, id: u32) -> Result<MapType, MapError> {
        MapType::from_kernel_id(id).ok_or_else(|| MapError::UnsupportedType {
            name: name.to_string(),
            id,
        })
    }

    /// The kernel's name for any `enum bpf_map_type` value, implemented here or not.
    pub fn kernel_type_name(id: u32) -> &'static str {
        const NAMES: [&str; 34] = [
            "unspec",
            "hash",
            "array",
            "prog_array",
            "perf_event_array",
            "percpu_hash",
            "percpu_array",
            "stack_trace",
            "cgroup_array",
            "lru_hash",
            "lru_percpu_hash",
            "lpm_trie",
            "array_of_maps",
            "hash_of_maps",
            "devmap",
            "sockmap",
            "cpumap",
            "xskmap",
            "sockhash",
            "cgroup_storage",
            "reuseport_sockarray",
            "percpu_cgroup_storage",
            "queue",
            "stack",
            "sk_storage",
            "devmap_hash",
            "struct_ops",
            "ringbuf",
            "inode_storage",
            "task_storage",
            "bloom_filter",
            "user_ringbuf",
            "cgrp_storage",
            "arena",
        ];
        NAMES.get(id as usize).copied().unwrap_or("unknown")
    }

    /// True for the types whose values exist once per CPU.
    pub fn is_percpu(self) -> bool {
        matches!(
            self,
            MapType::PercpuArray | MapType::PercpuHash | MapType::LruPercpuHash
        )
    }

    /// True for the hash-table types (including LRU and hash of maps).
    pub fn is_hash(self) -> bool {
        matches!(
            self,
            MapType::Hash
                | MapType::PercpuHash
                | MapType::LruHash
                | MapType::LruPercpuHash
                | MapType::HashOfMaps
        )
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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
    /// `BPF_F_*` map flags ([`flags`]).
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
