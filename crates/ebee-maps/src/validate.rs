//! The creation rules `bpf(BPF_MAP_CREATE)` enforces for each map type, in the kernel's
//! order (`map_create` in `syscall.c`, then each type's `map_alloc_check`/`map_alloc`).

use crate::error::MapError;
use crate::spec::{is_implemented, MapSpec, KMALLOC_MAX_SIZE, PAGE_SIZE, PCPU_MIN_UNIT_SIZE};
use ebee_abi::{flags::*, Errno, MapType};

impl MapSpec {
    /// Checks the definition against the kernel's rules, in the kernel's order, and returns
    /// it with `max_entries` adjusted as the kernel adjusts it.
    pub(crate) fn validate(&self, ncpus: usize) -> Result<MapSpec, MapError> {
        if !is_implemented(self.map_type) {
            return Err(self.unsupported());
        }
        let einval = |reason: &str| Err(self.invalid(Errno::EINVAL, reason));
        if ncpus == 0 {
            return einval("the number of CPUs must be at least 1");
        }
        if self.map_type != MapType::BloomFilter && self.map_extra != 0 {
            return einval("map_extra is only used by bloom filters and must be 0");
        }
        let f = self.map_flags;
        if f & BPF_F_RDONLY != 0 && f & BPF_F_WRONLY != 0 {
            return einval("BPF_F_RDONLY and BPF_F_WRONLY exclude each other");
        }
        if f & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) == BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG {
            return einval("BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude each other");
        }
        let mut out = self.clone();
        match self.map_type {
            MapType::Array | MapType::PercpuArray => self.check_array()?,
            MapType::ProgArray | MapType::PerfEventArray | MapType::ArrayOfMaps => {
                if self.value_size != 4 {
                    return einval("value_size must be 4 (a program, event or map handle)");
                }
                if f & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != 0 {
                    return einval("BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG are not allowed here");
                }
                self.check_array()?;
            }
            MapType::Hash
            | MapType::PercpuHash
            | MapType::LruHash
            | MapType::LruPercpuHash
            | MapType::HashOfMaps => out.max_entries = self.check_hash(ncpus)?,
            MapType::LpmTrie => self.check_lpm()?,
            MapType::Queue | MapType::Stack => self.check_queue()?,
            MapType::RingBuf => self.check_ringbuf()?,
            MapType::BloomFilter => self.check_bloom()?,
            _ => return Err(self.unsupported()),
        }
        if matches!(self.map_type, MapType::ArrayOfMaps | MapType::HashOfMaps) {
            let Some(inner) = &self.inner else {
                return einval("a map of maps needs an inner map template");
            };
            if matches!(inner.map_type, MapType::ArrayOfMaps | MapType::HashOfMaps) {
                return einval("the inner map cannot itself be a map of maps");
            }
            if inner.map_type == MapType::ProgArray {
                return Err(self.invalid(Errno::ENOTSUPP, "a prog_array cannot be an inner map"));
            }
            inner.validate(ncpus).map_err(|e| {
                self.invalid(e.errno(), format!("the inner map template is invalid: {e}"))
            })?;
        }
        if let Some(off) = self.spin_lock_offset {
            if !matches!(self.map_type, MapType::Hash | MapType::Array) {
                return Err(self.invalid(
                    Errno::EOPNOTSUPP,
                    "only hash and array values may contain a bpf_spin_lock",
                ));
            }
            if off % 4 != 0 || u64::from(off) + 4 > u64::from(self.value_size) {
                return einval("the bpf_spin_lock must be 4-byte aligned and inside the value");
            }
        }
        Ok(out)
    }

    fn check_array(&self) -> Result<(), MapError> {
        let percpu = self.map_type == MapType::PercpuArray;
        let f = self.map_flags;
        let mask = BPF_F_NUMA_NODE
            | BPF_F_MMAPABLE
            | BPF_F_ACCESS_MASK
            | BPF_F_PRESERVE_ELEMS
            | BPF_F_INNER_MAP;
        if self.max_entries == 0 || self.key_size != 4 || self.value_size == 0 {
            return Err(self.invalid(
                Errno::EINVAL,
                "arrays need key_size 4, value_size > 0 and max_entries > 0",
            ));
        }
        if f & !mask != 0 || (percpu && f & BPF_F_NUMA_NODE != 0) {
            return Err(self.invalid(Errno::EINVAL, format!("unsupported map_flags {f:#x}")));
        }
        if self.map_type != MapType::Array && f & (BPF_F_MMAPABLE | BPF_F_INNER_MAP) != 0 {
            return Err(self.invalid(
                Errno::EINVAL,
                "BPF_F_MMAPABLE and BPF_F_INNER_MAP are for plain arrays only",
            ));
        }
        if self.map_type != MapType::PerfEventArray && f & BPF_F_PRESERVE_ELEMS != 0 {
            return Err(self.invalid(
                Errno::EINVAL,
                "BPF_F_PRESERVE_ELEMS is for perf event arrays only",
            ));
        }
        if self.value_size > i32::MAX as u32
            || (percpu && u64::from(self.value_size) > PCPU_MIN_UNIT_SIZE)
        {
            return Err(self.invalid(Errno::E2BIG, "value_size too large"));
        }
        Ok(())
    }

    fn check_hash(&self, ncpus: usize) -> Result<u32, MapError> {
        let t = self.map_type;
        let f = self.map_flags;
        let lru = matches!(t, MapType::LruHash | MapType::LruPercpuHash);
        let percpu = t.is_percpu();
        let mask = BPF_F_NO_PREALLOC
            | BPF_F_NO_COMMON_LRU
            | BPF_F_NUMA_NODE
            | BPF_F_ACCESS_MASK
            | BPF_F_ZERO_SEED;
        if t == MapType::HashOfMaps && self.value_size != 4 {
            return Err(self.invalid(Errno::EINVAL, "value_size must be 4 (a map handle)"));
        }
        if f & !mask != 0 {
            return Err(self.invalid(Errno::EINVAL, format!("unsupported map_flags {f:#x}")));
        }
        if !lru && f & BPF_F_NO_COMMON_LRU != 0 {
            return Err(self.invalid(Errno::EINVAL, "BPF_F_NO_COMMON_LRU is for LRU maps only"));
        }
        if lru && f & BPF_F_NO_PREALLOC != 0 {
            return Err(self.invalid(Errno::ENOTSUPP, "LRU maps are always preallocated"));
        }
        if f & BPF_F_NUMA_NODE != 0 && (percpu || f & BPF_F_NO_COMMON_LRU != 0) {
            return Err(self.invalid(Errno::EINVAL, "BPF_F_NUMA_NODE is not allowed here"));
        }
        if self.max_entries == 0 || self.key_size == 0 || self.value_size == 0 {
            return Err(self.invalid(
                Errno::EINVAL,
                "hash maps need key_size, value_size and max_entries > 0",
            ));
        }
        if u64::from(self.key_size) + u64::from(self.value_size) >= KMALLOC_MAX_SIZE - 48 {
            return Err(self.invalid(Errno::E2BIG, "key_size + value_size too large"));
        }
        if percpu && u64::from(self.value_size).next_multiple_of(8) > PCPU_MIN_UNIT_SIZE {
            return Err(self.invalid(Errno::E2BIG, "per-CPU value_size too large"));
        }
        let mut max = self.max_entries;
        if f & BPF_F_NO_COMMON_LRU != 0 {
            // Each CPU's LRU list gets the same number of elements.
            let n = ncpus as u64;
            let up = u64::from(max).next_multiple_of(n);
            max = if up > u64::from(u32::MAX) {
                (u64::from(max) / n * n) as u32
            } else {
                up as u32
            };
        }
        if max > 1 << 31 {
            return Err(self.invalid(Errno::E2BIG, "max_entries above 2^31"));
        }
        Ok(max)
    }

    fn check_lpm(&self) -> Result<(), MapError> {
        let mask = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
        let val_max = KMALLOC_MAX_SIZE - 256 - 24;
        if self.max_entries == 0
            || self.map_flags & BPF_F_NO_PREALLOC == 0
            || self.map_flags & !mask != 0
            || !(5..=260).contains(&self.key_size)
            || self.value_size == 0
            || u64::from(self.value_size) > val_max
        {
            return Err(self.invalid(
                Errno::EINVAL,
                "LPM tries need BPF_F_NO_PREALLOC, key_size 5..=260 (4-byte prefix length + \
                 1..=256 data bytes), value_size > 0 and max_entries > 0",
            ));
        }
        Ok(())
    }

    fn check_queue(&self) -> Result<(), MapError> {
        if self.max_entries == 0
            || self.key_size != 0
            || self.value_size == 0
            || self.map_flags & !(BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK) != 0
        {
            return Err(self.invalid(
                Errno::EINVAL,
                "queues and stacks need key_size 0, value_size > 0 and max_entries > 0",
            ));
        }
        if u64::from(self.value_size) > KMALLOC_MAX_SIZE {
            return Err(self.invalid(Errno::E2BIG, "value_size too large"));
        }
        Ok(())
    }

    fn check_ringbuf(&self) -> Result<(), MapError> {
        if self.map_flags & !BPF_F_NUMA_NODE != 0
            || self.key_size != 0
            || self.value_size != 0
            || !self.max_entries.is_power_of_two()
            || !self.max_entries.is_multiple_of(PAGE_SIZE)
        {
            return Err(self.invalid(
                Errno::EINVAL,
                "ring buffers need key_size 0, value_size 0 and max_entries a power of 2 \
                 and a multiple of the page size (4096)",
            ));
        }
        let max_data = ((1u64 << 24) - 3) * u64::from(PAGE_SIZE);
        if u64::from(self.max_entries) > max_data {
            return Err(self.invalid(Errno::E2BIG, "ring buffer too large"));
        }
        Ok(())
    }

    fn check_bloom(&self) -> Result<(), MapError> {
        if u64::from(self.value_size) > KMALLOC_MAX_SIZE {
            return Err(self.invalid(Errno::E2BIG, "value_size too large"));
        }
        let mask = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK;
        if self.key_size != 0
            || self.value_size == 0
            || self.max_entries == 0
            || self.map_flags & !mask != 0
            || self.map_extra & !0xf != 0
        {
            return Err(self.invalid(
                Errno::EINVAL,
                "bloom filters need key_size 0, value_size > 0, max_entries > 0 and \
                 map_extra < 16 (the number of hash functions)",
            ));
        }
        Ok(())
    }
}
