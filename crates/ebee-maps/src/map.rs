//! [`Map`]: creation and the program-side operations (what helpers call).

use crate::array::{index_of, ArrayMap};
use crate::bloom::Bloom;
use crate::error::MapError;
use crate::fdarray::{MapArray, ProgArray};
use crate::hash::{HashMap, Payload, Who};
use crate::jhash::random_seed;
use crate::lpm::LpmTrie;
use crate::mem::LockField;
use crate::perf::PerfEventArray;
use crate::queue::QueueStack;
use crate::ringbuf::RingBuf;
use crate::spec::MapSpec;
use crate::Guard;
use ebee_abi::{flags::*, Errno, MapType};
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::sync::Arc;

pub(crate) enum Kind {
    Array(ArrayMap),
    Hash(HashMap),
    Lpm(LpmTrie),
    Queue(QueueStack),
    RingBuf(RingBuf),
    Perf(PerfEventArray),
    Prog(ProgArray),
    MapArray(MapArray),
    Bloom(Bloom),
}

/// One eBPF map: any of the [`MapType`]s, shared by every thread that runs programs using
/// it (`Arc<Map>` is `Send + Sync`).
///
/// Operations come in two sets:
/// - **program side** (what helpers call): [`Map::lookup_ptr`], [`Map::update_elem`],
///   [`Map::delete_elem`], [`Map::push_elem`]/[`Map::pop_elem`]/[`Map::peek_elem`],
///   [`Map::for_each_elem`], the `ringbuf_*` producer calls, [`Map::perf_event_output`],
///   [`Map::prog_array_get`] and [`Map::inner_map`]. They take the executing worker's CPU
///   index where the kernel uses the current CPU, return the kernel's errno, and hand out
///   raw pointers that stay valid while the caller's [`Guard`] is pinned;
/// - **host side** (what `bpf(2)` does): [`Map::lookup`], [`Map::update`], [`Map::delete`],
///   [`Map::next_key`], [`Map::lookup_batch`], queue operations, the ring buffer consumer and
///   the perf buffer reader. Per-CPU values use the syscall layout: every CPU's value, each
///   rounded up to 8 bytes, one after the other.
///
/// A program's "map pointer" (what the VM passes as a helper's map argument) is
/// `Arc::as_ptr(&map)`, or the pointer [`Map::lookup_ptr`] returns for a map of maps.
///
/// ```
/// use ebee_maps::{Map, MapSpec, MapType, Errno, flags::*};
/// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 2), 1)?;
/// map.update(&1u32.to_ne_bytes(), &10u64.to_ne_bytes(), BPF_NOEXIST).unwrap();
/// map.update(&2u32.to_ne_bytes(), &20u64.to_ne_bytes(), BPF_ANY).unwrap();
/// // Full: a third key is -E2BIG.
/// assert_eq!(map.update(&3u32.to_ne_bytes(), &0u64.to_ne_bytes(), BPF_ANY), Err(Errno::E2BIG));
/// assert_eq!(map.lookup(&1u32.to_ne_bytes()).unwrap(), 10u64.to_ne_bytes());
/// # Ok::<(), ebee_maps::MapError>(())
/// ```
pub struct Map {
    pub(crate) spec: MapSpec,
    pub(crate) ncpus: usize,
    id: u32,
    pub(crate) frozen: AtomicBool,
    pub(crate) kind: Kind,
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("id", &self.id)
            .field("spec", &self.spec)
            .field("ncpus", &self.ncpus)
            .finish_non_exhaustive()
    }
}

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

impl Map {
    /// Creates a map for programs running on `ncpus` workers (per-CPU maps keep one value
    /// per worker). Checks the definition as `bpf(BPF_MAP_CREATE)` does; array values start
    /// zeroed.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType};
    /// let counters = Map::create(MapSpec::new("counters", MapType::PercpuArray, 4, 8, 16), 4)?;
    /// assert_eq!(counters.host_value_size(), 4 * 8);
    /// assert_eq!(counters.lookup(&3u32.to_ne_bytes()).unwrap(), vec![0; 32]);
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    pub fn create(spec: MapSpec, ncpus: usize) -> Result<Arc<Map>, MapError> {
        let spec = spec.validate(ncpus)?;
        let oom = || MapError::OutOfMemory {
            name: spec.name.clone(),
            map_type: spec.map_type,
            bytes: u64::from(spec.max_entries)
                .saturating_mul(u64::from(spec.value_size).next_multiple_of(8))
                .saturating_mul(if spec.map_type.is_percpu() {
                    ncpus as u64
                } else {
                    1
                }),
        };
        let lock = LockField(spec.spin_lock_offset.map(|o| o as usize));
        let seed = if spec.map_flags & BPF_F_ZERO_SEED != 0 {
            0
        } else {
            random_seed()
        };
        let t = spec.map_type;
        let kind = match t {
            MapType::Array | MapType::PercpuArray => Kind::Array(
                ArrayMap::new(
                    spec.max_entries,
                    spec.value_size,
                    t.is_percpu(),
                    ncpus,
                    lock,
                )
                .ok_or_else(oom)?,
            ),
            MapType::Hash
            | MapType::PercpuHash
            | MapType::LruHash
            | MapType::LruPercpuHash
            | MapType::HashOfMaps => Kind::Hash(
                HashMap::new(
                    spec.max_entries,
                    seed,
                    matches!(t, MapType::LruHash | MapType::LruPercpuHash),
                    spec.map_flags & BPF_F_NO_COMMON_LRU != 0,
                    t.is_percpu(),
                    ncpus,
                    spec.value_size,
                    lock,
                )
                .ok_or_else(oom)?,
            ),
            MapType::LpmTrie => Kind::Lpm(LpmTrie::new(
                spec.key_size,
                spec.value_size,
                spec.max_entries,
            )),
            MapType::Queue | MapType::Stack => Kind::Queue(
                QueueStack::new(spec.max_entries, spec.value_size, t == MapType::Stack)
                    .ok_or_else(oom)?,
            ),
            MapType::RingBuf => Kind::RingBuf(RingBuf::new(spec.max_entries).ok_or_else(oom)?),
            MapType::PerfEventArray => {
                Kind::Perf(PerfEventArray::new(spec.max_entries).ok_or_else(oom)?)
            }
            MapType::ProgArray => Kind::Prog(ProgArray::new(spec.max_entries).ok_or_else(oom)?),
            MapType::ArrayOfMaps => {
                Kind::MapArray(MapArray::new(spec.max_entries).ok_or_else(oom)?)
            }
            MapType::BloomFilter => Kind::Bloom(Bloom::new(&spec).ok_or_else(oom)?),
            _ => return Err(spec.unsupported()),
        };
        Ok(Arc::new(Map {
            spec,
            ncpus,
            id: NEXT_ID.fetch_add(1, Relaxed),
            frozen: AtomicBool::new(false),
            kind,
        }))
    }

    /// The definition, with `max_entries` as the kernel adjusts it (LRU maps with
    /// `BPF_F_NO_COMMON_LRU` round it to a multiple of the CPU count).
    pub fn spec(&self) -> &MapSpec {
        &self.spec
    }

    /// The map's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The map type.
    pub fn map_type(&self) -> MapType {
        self.spec.map_type
    }

    /// Key size in bytes.
    pub fn key_size(&self) -> usize {
        self.spec.key_size as usize
    }

    /// Value size in bytes, as programs see it (one CPU's value).
    pub fn value_size(&self) -> usize {
        self.spec.value_size as usize
    }

    /// Value size on the host side: `ncpus * round_up(value_size, 8)` for per-CPU maps,
    /// else `value_size`.
    pub fn host_value_size(&self) -> usize {
        if self.spec.map_type.is_percpu() {
            self.ncpus * self.value_size().next_multiple_of(8)
        } else {
            self.value_size()
        }
    }

    /// `max_entries`.
    pub fn max_entries(&self) -> u32 {
        self.spec.max_entries
    }

    /// The number of CPUs (workers) the map was created for.
    pub fn ncpus(&self) -> usize {
        self.ncpus
    }

    /// A process-unique id, the kernel's map id: host-side lookups in a map of maps return
    /// the inner map's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// `bpf_map_lookup_elem` (and `bpf_map_lookup_percpu_elem` with an explicit `cpu`): a
    /// pointer to the value — `cpu`'s copy for per-CPU maps, the longest matching prefix's
    /// for LPM tries — or, for a map of maps, a pointer to the inner [`Map`]. `None` when
    /// there is no element (or for map types programs cannot look up in).
    ///
    /// The pointer may be read and written for [`Map::value_size`] bytes, without locks,
    /// until `guard` is dropped: the memory is not freed before then even if the element is
    /// deleted or replaced meanwhile (the program then works on the old element, as in the
    /// kernel). LRU maps mark the element as recently used.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType, pin, flags::BPF_ANY};
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 16), 1)?;
    /// map.update(&7u32.to_ne_bytes(), &1u64.to_ne_bytes(), BPF_ANY).unwrap();
    /// let guard = pin();
    /// let p = map.lookup_ptr(&7u32.to_ne_bytes(), 0, &guard).unwrap();
    /// // SAFETY: an 8-byte value, valid while `guard` is pinned.
    /// unsafe { *p.as_ptr().cast::<u64>() += 41 }; // what a program's store does
    /// drop(guard);
    /// assert_eq!(map.lookup(&7u32.to_ne_bytes()).unwrap(), 42u64.to_ne_bytes());
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    #[inline]
    pub fn lookup_ptr(&self, key: &[u8], cpu: usize, guard: &Guard) -> Option<NonNull<u8>> {
        if key.len() != self.key_size() {
            return None;
        }
        match &self.kind {
            Kind::Array(a) => a.ptr(index_of(key)?, cpu),
            Kind::Hash(h) => h.lookup_ptr(key, cpu, guard),
            Kind::Lpm(t) => t.lookup_ptr(key, guard),
            Kind::MapArray(m) => m
                .get(index_of(key)?, guard)
                .map(|m| NonNull::from(m).cast()),
            _ => None,
        }
    }

    /// The inner map a map of maps holds under `key`, valid while `guard` is pinned: what
    /// `bpf_map_lookup_elem` on the outer map gives a program.
    pub fn inner_map<'g>(&self, key: &[u8], guard: &'g Guard) -> Option<&'g Map> {
        if key.len() != self.key_size() {
            return None;
        }
        match &self.kind {
            Kind::MapArray(m) => m.get(index_of(key)?, guard),
            Kind::Hash(h) if self.spec.map_type == MapType::HashOfMaps => h.inner(key, guard),
            _ => None,
        }
    }

    /// The program id in a prog array's slot `index`, for `bpf_tail_call` (`None`: empty
    /// slot or index out of range, and the tail call falls through).
    #[inline]
    pub fn prog_array_get(&self, index: u32) -> Option<u32> {
        match &self.kind {
            Kind::Prog(p) => p.get(index),
            _ => None,
        }
    }

    /// `bpf_map_update_elem` from a program running on `cpu`. Per-CPU maps update `cpu`'s
    /// value only (a new per-CPU hash element gets zeroes on the other CPUs).
    ///
    /// Errors as in the kernel: `-EINVAL` for unknown flags (and `BPF_F_LOCK` without a spin
    /// lock, or `BPF_NOEXIST` on an array), `-EEXIST`/`-ENOENT` for `BPF_NOEXIST`/`BPF_EXIST`
    /// conflicts, `-E2BIG` for a full hash or an array index out of range, `-ENOSPC` for a
    /// full LPM trie.
    pub fn update_elem(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        cpu: usize,
    ) -> Result<(), Errno> {
        if key.len() != self.key_size() || value.len() != self.value_size() {
            return Err(Errno::EINVAL);
        }
        match &self.kind {
            Kind::Array(a) => a.update(
                index_of(key).ok_or(Errno::EINVAL)?,
                value,
                flags,
                Who::Cpu(cpu),
            ),
            Kind::Hash(h) if self.spec.map_type != MapType::HashOfMaps => {
                if self.spec.map_type.is_percpu() && cpu >= self.ncpus {
                    return Err(Errno::EINVAL);
                }
                h.update(key, Payload::Bytes(value), flags, Who::Cpu(cpu))
            }
            Kind::Lpm(t) => t.update(key, value, flags),
            Kind::RingBuf(_) => Err(Errno::ENOTSUPP),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_map_delete_elem`: `-ENOENT` for a missing key, `-EINVAL` for arrays, queues and
    /// stacks.
    pub fn delete_elem(&self, key: &[u8]) -> Result<(), Errno> {
        if key.len() != self.key_size() {
            return Err(Errno::EINVAL);
        }
        match &self.kind {
            Kind::Hash(h) => h.delete(key, None),
            Kind::Lpm(t) => t.delete(key),
            Kind::Prog(p) => p.clear(index_of(key).ok_or(Errno::EINVAL)?),
            Kind::MapArray(m) => match m.swap(index_of(key).ok_or(Errno::EINVAL)?, None)? {
                true => Ok(()),
                false => Err(Errno::ENOENT),
            },
            Kind::Perf(p) => p.close(index_of(key).ok_or(Errno::EINVAL)?),
            Kind::Bloom(_) => Err(Errno::EOPNOTSUPP),
            Kind::RingBuf(_) => Err(Errno::ENOTSUPP),
            Kind::Array(_) | Kind::Queue(_) => Err(Errno::EINVAL),
        }
    }

    /// `bpf_map_push_elem` (queue, stack, bloom filter). Queues and stacks: `-E2BIG` when
    /// full unless `flags` is `BPF_EXIST` (then the oldest element is dropped). Bloom
    /// filters: only `BPF_ANY`.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType, Errno, flags::*};
    /// let q = Map::create(MapSpec::new("q", MapType::Queue, 0, 4, 2), 1)?;
    /// q.push_elem(&1u32.to_ne_bytes(), BPF_ANY).unwrap();
    /// q.push_elem(&2u32.to_ne_bytes(), BPF_ANY).unwrap();
    /// assert_eq!(q.push_elem(&3u32.to_ne_bytes(), BPF_ANY), Err(Errno::E2BIG));
    /// q.push_elem(&3u32.to_ne_bytes(), BPF_EXIST).unwrap(); // drops 1
    /// let mut v = [0u8; 4];
    /// q.pop_elem(&mut v).unwrap();
    /// assert_eq!(u32::from_ne_bytes(v), 2);
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    pub fn push_elem(&self, value: &[u8], flags: u64) -> Result<(), Errno> {
        if value.len() != self.value_size() {
            return Err(Errno::EINVAL);
        }
        match &self.kind {
            Kind::Queue(q) => q.push(value, flags),
            Kind::Bloom(b) => b.push(value, flags),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_map_pop_elem` into `out` (`value_size` bytes): `-ENOENT` (and `out` zeroed)
    /// when empty.
    pub fn pop_elem(&self, out: &mut [u8]) -> Result<(), Errno> {
        match &self.kind {
            Kind::Queue(q) => q.get(out, true),
            Kind::Bloom(_) => Err(Errno::EOPNOTSUPP),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_map_peek_elem`: for a queue or stack, copies the next element into `value`
    /// without removing it; for a bloom filter, checks whether `value` may be in the set
    /// (`Ok`) or surely is not (`-ENOENT`).
    pub fn peek_elem(&self, value: &mut [u8]) -> Result<(), Errno> {
        match &self.kind {
            Kind::Queue(q) => q.get(value, false),
            Kind::Bloom(b) if value.len() == self.value_size() => b.peek(value),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_for_each_map_elem` from a program on `cpu`: calls `callback(key, value)` for
    /// each element (per-CPU maps: `cpu`'s value) until it returns non-zero, and returns the
    /// number of calls. The pointers are valid during the call (the value pointer while
    /// `guard` is pinned); the callback may update or delete elements. Arrays and hash maps
    /// only; `flags` must be 0.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType, pin};
    /// let map = Map::create(MapSpec::new("a", MapType::Array, 4, 8, 4), 1)?;
    /// let guard = pin();
    /// let n = map.for_each_elem(0, &guard, 0, &mut |_key, value| {
    ///     // SAFETY: each value is 8 bytes, valid during the callback.
    ///     unsafe { *value.cast::<u64>() = 5 };
    ///     0
    /// });
    /// assert_eq!(n, Ok(4));
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    pub fn for_each_elem(
        &self,
        cpu: usize,
        guard: &Guard,
        flags: u64,
        callback: &mut dyn FnMut(*const u8, *mut u8) -> u64,
    ) -> Result<u32, Errno> {
        if flags != 0 {
            return Err(Errno::EINVAL);
        }
        match &self.kind {
            Kind::Array(a) => Ok(a.for_each(cpu, callback)),
            Kind::Hash(h) if self.spec.map_type != MapType::HashOfMaps => {
                Ok(h.for_each(cpu, guard, callback))
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn ringbuf(&self) -> Result<&RingBuf, Errno> {
        match &self.kind {
            Kind::RingBuf(r) => Ok(r),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_ringbuf_reserve`: `size` writable bytes in the ring, to be passed to
    /// [`Map::ringbuf_submit`] or [`Map::ringbuf_discard`] (or [`crate::ringbuf_commit`])
    /// before the program ends. `None` when the ring is full, `size` too large or `flags`
    /// not 0.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType};
    /// let rb = Map::create(MapSpec::new("events", MapType::RingBuf, 0, 0, 4096), 1)?;
    /// let rec = rb.ringbuf_reserve(4, 0).unwrap();
    /// // SAFETY: the reserved record is 4 writable bytes until submitted.
    /// unsafe { rec.as_ptr().cast::<u32>().write(7) };
    /// rb.ringbuf_submit(rec.as_ptr(), 0).unwrap();
    /// let mut seen = Vec::new();
    /// rb.ringbuf_consume(|sample| seen.push(sample.to_vec())).unwrap();
    /// assert_eq!(seen, vec![7u32.to_ne_bytes().to_vec()]);
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    pub fn ringbuf_reserve(&self, size: u64, flags: u64) -> Option<NonNull<u8>> {
        self.ringbuf().ok()?.reserve(size, flags)
    }

    /// `bpf_ringbuf_submit` of a sample this ring reserved: `-EINVAL` if `sample` is not a
    /// pending reservation of this ring.
    pub fn ringbuf_submit(&self, sample: *mut u8, flags: u64) -> Result<(), Errno> {
        self.ringbuf()?.commit(sample, flags, false)
    }

    /// `bpf_ringbuf_discard`: like [`Map::ringbuf_submit`], but the consumer skips it.
    pub fn ringbuf_discard(&self, sample: *mut u8, flags: u64) -> Result<(), Errno> {
        self.ringbuf()?.commit(sample, flags, true)
    }

    /// `bpf_ringbuf_output`: copies `data` into a new record. `-EAGAIN` when full, `-EINVAL`
    /// for flags other than `BPF_RB_NO_WAKEUP`/`BPF_RB_FORCE_WAKEUP`.
    pub fn ringbuf_output(&self, data: &[u8], flags: u64) -> Result<(), Errno> {
        self.ringbuf()?.output(data, flags)
    }

    /// `bpf_ringbuf_query`: `BPF_RB_AVAIL_DATA`, `BPF_RB_RING_SIZE`, `BPF_RB_CONS_POS` or
    /// `BPF_RB_PROD_POS`; 0 for anything else (or a map that is no ring buffer).
    pub fn ringbuf_query(&self, flags: u64) -> u64 {
        self.ringbuf().map_or(0, |r| r.query(flags))
    }

    /// `bpf_perf_event_output` from a program on `cpu`: `flags` is the index, or
    /// `BPF_F_CURRENT_CPU`. See [`crate::PerfRecord`] for the errors.
    pub fn perf_event_output(&self, cpu: usize, flags: u64, data: &[u8]) -> Result<(), Errno> {
        match &self.kind {
            Kind::Perf(p) => p.output(cpu, flags, data),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `bpf_perf_event_read` from a program on `cpu`: the counter of the event at the index
    /// `flags` gives (or `BPF_F_CURRENT_CPU`). The events are the host's BPF output buffers,
    /// which count nothing: 0, or the errors of [`crate::PerfRecord`]'s module.
    pub fn perf_event_read(&self, cpu: usize, flags: u64) -> Result<u64, Errno> {
        match &self.kind {
            Kind::Perf(p) => p.read_counter(cpu, flags),
            _ => Err(Errno::EINVAL),
        }
    }
}
