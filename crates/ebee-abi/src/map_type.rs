//! Map types: the kernel's `enum bpf_map_type`, every value of it, whether ebee implements
//! the type or not (that is `ebee-maps`' decision).

use std::fmt;

macro_rules! map_types {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $kernel_name:ident, $name:literal; )*) => {
        /// A kernel map type: a value of `enum bpf_map_type`.
        ///
        /// ```
        /// use ebee_abi::MapType;
        /// assert_eq!(MapType::from_kernel_id(1), Some(MapType::Hash));
        /// assert_eq!(MapType::from_kernel_id(15), Some(MapType::Sockmap));
        /// assert_eq!(MapType::from_kernel_id(1000), None);
        /// assert_eq!(MapType::LpmTrie.kernel_id(), 11);
        /// assert_eq!(MapType::LpmTrie.name(), "lpm_trie");
        /// assert_eq!(MapType::LpmTrie.kernel_name(), "BPF_MAP_TYPE_LPM_TRIE");
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum MapType {
            $( $(#[$doc])* $variant = $id, )*
        }

        impl MapType {
            /// Every map type, in kernel id order (ids `0..ALL.len()`).
            pub const ALL: &'static [MapType] = &[ $( MapType::$variant, )* ];

            /// The type with this `enum bpf_map_type` value, if the kernel has one.
            pub const fn from_kernel_id(id: u32) -> Option<MapType> {
                match id {
                    $( $id => Some(MapType::$variant), )*
                    _ => None,
                }
            }

            /// The name as bpftool and libbpf print it: the kernel's name without
            /// `BPF_MAP_TYPE_`, lower case (`"lru_hash"`).
            pub const fn name(self) -> &'static str {
                match self {
                    $( MapType::$variant => $name, )*
                }
            }

            /// The kernel's enumerator (`"BPF_MAP_TYPE_LRU_HASH"`).
            pub const fn kernel_name(self) -> &'static str {
                match self {
                    $( MapType::$variant => stringify!($kernel_name), )*
                }
            }
        }
    };
}

map_types! {
    /// `BPF_MAP_TYPE_UNSPEC`: not a usable type (the kernel refuses to create it).
    Unspec = 0, BPF_MAP_TYPE_UNSPEC, "unspec";
    /// `BPF_MAP_TYPE_HASH`.
    Hash = 1, BPF_MAP_TYPE_HASH, "hash";
    /// `BPF_MAP_TYPE_ARRAY`.
    Array = 2, BPF_MAP_TYPE_ARRAY, "array";
    /// `BPF_MAP_TYPE_PROG_ARRAY`: programs for tail calls.
    ProgArray = 3, BPF_MAP_TYPE_PROG_ARRAY, "prog_array";
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`.
    PerfEventArray = 4, BPF_MAP_TYPE_PERF_EVENT_ARRAY, "perf_event_array";
    /// `BPF_MAP_TYPE_PERCPU_HASH`.
    PercpuHash = 5, BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash";
    /// `BPF_MAP_TYPE_PERCPU_ARRAY`.
    PercpuArray = 6, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array";
    /// `BPF_MAP_TYPE_STACK_TRACE`.
    StackTrace = 7, BPF_MAP_TYPE_STACK_TRACE, "stack_trace";
    /// `BPF_MAP_TYPE_CGROUP_ARRAY`.
    CgroupArray = 8, BPF_MAP_TYPE_CGROUP_ARRAY, "cgroup_array";
    /// `BPF_MAP_TYPE_LRU_HASH`.
    LruHash = 9, BPF_MAP_TYPE_LRU_HASH, "lru_hash";
    /// `BPF_MAP_TYPE_LRU_PERCPU_HASH`.
    LruPercpuHash = 10, BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash";
    /// `BPF_MAP_TYPE_LPM_TRIE`.
    LpmTrie = 11, BPF_MAP_TYPE_LPM_TRIE, "lpm_trie";
    /// `BPF_MAP_TYPE_ARRAY_OF_MAPS`.
    ArrayOfMaps = 12, BPF_MAP_TYPE_ARRAY_OF_MAPS, "array_of_maps";
    /// `BPF_MAP_TYPE_HASH_OF_MAPS`.
    HashOfMaps = 13, BPF_MAP_TYPE_HASH_OF_MAPS, "hash_of_maps";
    /// `BPF_MAP_TYPE_DEVMAP`.
    Devmap = 14, BPF_MAP_TYPE_DEVMAP, "devmap";
    /// `BPF_MAP_TYPE_SOCKMAP`.
    Sockmap = 15, BPF_MAP_TYPE_SOCKMAP, "sockmap";
    /// `BPF_MAP_TYPE_CPUMAP`.
    Cpumap = 16, BPF_MAP_TYPE_CPUMAP, "cpumap";
    /// `BPF_MAP_TYPE_XSKMAP`.
    Xskmap = 17, BPF_MAP_TYPE_XSKMAP, "xskmap";
    /// `BPF_MAP_TYPE_SOCKHASH`.
    Sockhash = 18, BPF_MAP_TYPE_SOCKHASH, "sockhash";
    /// `BPF_MAP_TYPE_CGROUP_STORAGE` (`BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED` since Linux 6.2).
    CgroupStorage = 19, BPF_MAP_TYPE_CGROUP_STORAGE, "cgroup_storage";
    /// `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY`.
    ReuseportSockarray = 20, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, "reuseport_sockarray";
    /// `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE` (`…_DEPRECATED` since Linux 6.2).
    PercpuCgroupStorage = 21, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, "percpu_cgroup_storage";
    /// `BPF_MAP_TYPE_QUEUE`.
    Queue = 22, BPF_MAP_TYPE_QUEUE, "queue";
    /// `BPF_MAP_TYPE_STACK`.
    Stack = 23, BPF_MAP_TYPE_STACK, "stack";
    /// `BPF_MAP_TYPE_SK_STORAGE`.
    SkStorage = 24, BPF_MAP_TYPE_SK_STORAGE, "sk_storage";
    /// `BPF_MAP_TYPE_DEVMAP_HASH`.
    DevmapHash = 25, BPF_MAP_TYPE_DEVMAP_HASH, "devmap_hash";
    /// `BPF_MAP_TYPE_STRUCT_OPS`.
    StructOps = 26, BPF_MAP_TYPE_STRUCT_OPS, "struct_ops";
    /// `BPF_MAP_TYPE_RINGBUF`.
    RingBuf = 27, BPF_MAP_TYPE_RINGBUF, "ringbuf";
    /// `BPF_MAP_TYPE_INODE_STORAGE`.
    InodeStorage = 28, BPF_MAP_TYPE_INODE_STORAGE, "inode_storage";
    /// `BPF_MAP_TYPE_TASK_STORAGE`.
    TaskStorage = 29, BPF_MAP_TYPE_TASK_STORAGE, "task_storage";
    /// `BPF_MAP_TYPE_BLOOM_FILTER`.
    BloomFilter = 30, BPF_MAP_TYPE_BLOOM_FILTER, "bloom_filter";
    /// `BPF_MAP_TYPE_USER_RINGBUF`.
    UserRingbuf = 31, BPF_MAP_TYPE_USER_RINGBUF, "user_ringbuf";
    /// `BPF_MAP_TYPE_CGRP_STORAGE` (Linux 6.2, after the 6.1 header).
    CgrpStorage = 32, BPF_MAP_TYPE_CGRP_STORAGE, "cgrp_storage";
    /// `BPF_MAP_TYPE_ARENA` (Linux 6.9, after the 6.1 header).
    Arena = 33, BPF_MAP_TYPE_ARENA, "arena";
}

impl MapType {
    /// The kernel's `enum bpf_map_type` value.
    pub const fn kernel_id(self) -> u32 {
        self as u32
    }

    /// True for the types whose values exist once per CPU, which `bpf(2)` reads and writes
    /// as every CPU's value, each rounded up to 8 bytes (the kernel's
    /// `bpf_map_value_size`).
    pub const fn is_percpu(self) -> bool {
        matches!(
            self,
            MapType::PercpuHash
                | MapType::PercpuArray
                | MapType::LruPercpuHash
                | MapType::PercpuCgroupStorage
        )
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::MapType;

    #[test]
    fn ids_are_dense_and_names_are_the_lower_case_enumerators() {
        for (index, &t) in MapType::ALL.iter().enumerate() {
            assert_eq!(t.kernel_id() as usize, index, "{t:?}");
            assert_eq!(MapType::from_kernel_id(t.kernel_id()), Some(t));
            let suffix = t.kernel_name().strip_prefix("BPF_MAP_TYPE_").unwrap();
            assert_eq!(t.name(), suffix.to_lowercase(), "{t:?}");
        }
        assert_eq!(MapType::from_kernel_id(MapType::ALL.len() as u32), None);
    }
}
