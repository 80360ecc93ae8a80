//! The host side of [`Map`]: what `bpf(2)` offers user space, with its errno for each case.

use crate::array::{index_of, next_index, ArrayLayout};
use crate::hash::{Payload, Who};
use crate::map::{Kind, Map};
use crate::perf::PerfRecord;
use ebee_abi::{flags::*, Errno, MapType};
use std::borrow::Cow;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::*;
use std::sync::Arc;
use std::time::Duration;

impl Map {
    pub(crate) fn readable(&self) -> Result<(), Errno> {
        match self.spec.map_flags & BPF_F_WRONLY {
            0 => Ok(()),
            _ => Err(Errno::EPERM),
        }
    }

    fn writable(&self) -> Result<(), Errno> {
        if self.spec.map_flags & BPF_F_RDONLY != 0 || self.frozen.load(Acquire) {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    fn check_key(&self, key: &[u8]) -> Result<(), Errno> {
        match key.len() == self.key_size() {
            true => Ok(()),
            false => Err(Errno::EINVAL),
        }
    }

    pub(crate) fn check_lock_flag(&self, flags: u64) -> Result<(), Errno> {
        if flags & BPF_F_LOCK != 0 && self.spec.spin_lock_offset.is_none() {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    /// `BPF_MAP_LOOKUP_ELEM`: a copy of the value ([`Map::host_value_size`] bytes; for
    /// per-CPU maps every CPU's value). Prog arrays and maps of maps return the stored
    /// program or map id; queues and stacks peek (with an empty key). `-ENOENT` when there is
    /// no element.
    pub fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, Errno> {
        self.lookup_with_flags(key, 0)
    }

    /// [`Map::lookup`] with `BPF_F_LOCK`: the value is copied under its spin lock.
    pub fn lookup_with_flags(&self, key: &[u8], flags: u64) -> Result<Vec<u8>, Errno> {
        if flags & !BPF_F_LOCK != 0 {
            return Err(Errno::EINVAL);
        }
        self.readable()?;
        self.check_lock_flag(flags)?;
        self.check_key(key)?;
        let mut out = vec![0u8; self.host_value_size()];
        match &self.kind {
            Kind::Array(a) => {
                a.lookup_copy(index_of(key).ok_or(Errno::EINVAL)?, &mut out, flags)?
            }
            Kind::Hash(h) => h.lookup_copy(key, &mut out, flags)?,
            Kind::Lpm(t) => t.lookup_copy(key, &mut out)?,
            Kind::Queue(q) => q.get(&mut out, false)?,
            Kind::Prog(p) => {
                let id = p
                    .get(index_of(key).ok_or(Errno::EINVAL)?)
                    .ok_or(Errno::ENOENT)?;
                out.copy_from_slice(&id.to_ne_bytes());
            }
            Kind::MapArray(_) => {
                let guard = crate::pin();
                let inner = self.inner_map(key, &guard).ok_or(Errno::ENOENT)?;
                out.copy_from_slice(&inner.id().to_ne_bytes());
            }
            Kind::Perf(_) | Kind::RingBuf(_) => return Err(Errno::ENOTSUPP),
            Kind::Bloom(_) => return Err(Errno::EINVAL),
        }
        Ok(out)
    }

    /// `BPF_MAP_UPDATE_ELEM`. `value` has [`Map::host_value_size`] bytes (every CPU's value
    /// for per-CPU maps). For a prog array the value is the program id; queues, stacks and
    /// bloom filters push (with an empty key). Maps of maps take their inner maps through
    /// [`Map::update_inner_map`] (a plain update is `-EINVAL`).
    ///
    /// Errors: `-EPERM` on a read-only or frozen map, `-EINVAL` for bad flags, sizes, or
    /// `BPF_F_LOCK` without a spin lock, then those of the map type (see
    /// [`Map::update_elem`]).
    pub fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), Errno> {
        self.writable()?;
        self.check_lock_flag(flags)?;
        self.check_key(key)?;
        if value.len() != self.host_value_size() {
            return Err(Errno::EINVAL);
        }
        match &self.kind {
            Kind::Array(a) => {
                a.update(index_of(key).ok_or(Errno::EINVAL)?, value, flags, Who::Host)
            }
            Kind::Hash(_) if self.spec.map_type == MapType::HashOfMaps => Err(Errno::EINVAL),
            Kind::Hash(h) => h.update(key, Payload::Bytes(value), flags, Who::Host),
            Kind::Lpm(t) => t.update(key, value, flags),
            Kind::Queue(_) | Kind::Bloom(_) => self.push_elem(value, flags),
            Kind::Prog(p) => {
                let id = index_of(value).ok_or(Errno::EINVAL)?;
                p.set(index_of(key).ok_or(Errno::EINVAL)?, id, flags)
            }
            Kind::MapArray(_) | Kind::Perf(_) => {
                if flags != BPF_ANY {
                    return Err(Errno::EINVAL);
                }
                if index_of(key).ok_or(Errno::EINVAL)? >= self.max_entries() {
                    return Err(Errno::E2BIG);
                }
                Err(Errno::EINVAL)
            }
            Kind::RingBuf(_) => Err(Errno::ENOTSUPP),
        }
    }

    /// A value for [`Map::update`] made from one CPU's value, as `bpftool map update` makes
    /// it: for a per-CPU map, a value of [`Map::value_size`] bytes is copied to every CPU
    /// (each copy rounded up to 8 bytes, the [`Map::host_value_size`] layout). Any other value
    /// (already in the all-CPU layout, or for a map that is not per-CPU) is returned as it is.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// let counters = Map::create(MapSpec::new("c", MapType::PercpuArray, 4, 4, 1), 2)?;
    /// let all = counters.replicate_to_all_cpus(&[1, 2, 3, 4]);
    /// assert_eq!(*all, [1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0]);
    /// counters.update(&0u32.to_ne_bytes(), &all, BPF_ANY).unwrap();
    /// assert_eq!(counters.lookup(&0u32.to_ne_bytes()).unwrap(), *all);
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    pub fn replicate_to_all_cpus<'a>(&self, value: &'a [u8]) -> Cow<'a, [u8]> {
        if !self.spec.map_type.is_percpu() || value.len() != self.value_size() {
            return Cow::Borrowed(value);
        }
        let stride = self.value_size().next_multiple_of(8);
        let mut all = vec![0u8; stride * self.ncpus()];
        for copy in all.chunks_exact_mut(stride) {
            copy[..value.len()].copy_from_slice(value);
        }
        Cow::Owned(all)
    }

    /// Stores `inner` under `key` in an array or hash of maps. `-EINVAL` when `inner` does
    /// not match the outer map's inner-map template (type, key and value size, flags, spin
    /// lock, and `max_entries` for arrays without `BPF_F_INNER_MAP`), as in the kernel.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType, Errno, pin, flags::BPF_ANY};
    /// let template = MapSpec::new("inner", MapType::Hash, 4, 4, 8);
    /// let outer = Map::create(
    ///     MapSpec::new("outer", MapType::ArrayOfMaps, 4, 4, 2).with_inner(template.clone()), 1)?;
    /// let inner = Map::create(template, 1)?;
    /// outer.update_inner_map(&0u32.to_ne_bytes(), &inner, BPF_ANY).unwrap();
    /// let other = Map::create(MapSpec::new("x", MapType::Array, 4, 4, 8), 1)?;
    /// assert_eq!(outer.update_inner_map(&1u32.to_ne_bytes(), &other, BPF_ANY), Err(Errno::EINVAL));
    /// let guard = pin();
    /// assert_eq!(outer.inner_map(&0u32.to_ne_bytes(), &guard).unwrap().id(), inner.id());
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    pub fn update_inner_map(&self, key: &[u8], inner: &Arc<Map>, flags: u64) -> Result<(), Errno> {
        self.writable()?;
        self.check_key(key)?;
        let template = self.spec.inner.as_deref().ok_or(Errno::EINVAL)?;
        match &self.kind {
            Kind::MapArray(m) => {
                if flags != BPF_ANY {
                    return Err(Errno::EINVAL);
                }
                let index = index_of(key).ok_or(Errno::EINVAL)?;
                if index >= self.max_entries() {
                    return Err(Errno::E2BIG);
                }
                if !template.inner_compatible(inner.spec()) {
                    return Err(Errno::EINVAL);
                }
                m.swap(index, Some(Arc::clone(inner))).map(|_| ())
            }
            Kind::Hash(h) if self.spec.map_type == MapType::HashOfMaps => {
                if flags & BPF_F_LOCK != 0 || flags > BPF_EXIST {
                    return Err(Errno::EINVAL);
                }
                if !template.inner_compatible(inner.spec()) {
                    return Err(Errno::EINVAL);
                }
                h.update(key, Payload::Inner(inner), flags, Who::Host)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// The inner map stored under `key` of a map of maps, as an owned handle.
    pub fn inner_map_handle(&self, key: &[u8]) -> Option<Arc<Map>> {
        if key.len() != self.key_size() {
            return None;
        }
        match &self.kind {
            Kind::MapArray(m) => m.get_arc(index_of(key)?),
            Kind::Hash(h) if self.spec.map_type == MapType::HashOfMaps => h.inner_arc(key),
            _ => None,
        }
    }

    /// `BPF_MAP_DELETE_ELEM`: `-ENOENT` for a missing key, `-EINVAL` for arrays, queues and
    /// stacks, `-E2BIG` for an index out of range of a prog array or map array, `-EPERM` on a
    /// read-only or frozen map.
    pub fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        self.writable()?;
        self.delete_elem(key)
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`: removes and returns an element of a hash map, or
    /// pops a queue or stack (empty key). `-ENOTSUPP` for other map types.
    pub fn lookup_and_delete(&self, key: &[u8], flags: u64) -> Result<Vec<u8>, Errno> {
        if flags & !BPF_F_LOCK != 0 {
            return Err(Errno::EINVAL);
        }
        self.readable()?;
        self.writable()?;
        self.check_key(key)?;
        let mut out = vec![0u8; self.host_value_size()];
        match &self.kind {
            Kind::Queue(q) => {
                if flags != 0 {
                    return Err(Errno::EINVAL);
                }
                q.get(&mut out, true)?;
            }
            Kind::Hash(h) if self.spec.map_type != MapType::HashOfMaps => {
                self.check_lock_flag(flags)?;
                h.delete(key, Some((&mut out, flags)))?;
            }
            _ => return Err(Errno::ENOTSUPP),
        }
        Ok(out)
    }

    /// `BPF_MAP_GET_NEXT_KEY`: the key after `key`; the first key for `None` (and, for hash
    /// maps and LPM tries, for a key that is not in the map; for arrays, for an index out of
    /// range). `-ENOENT` after the last key.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType, Errno, flags::BPF_ANY};
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 4, 8), 1)?;
    /// for k in 0u32..3 {
    ///     map.update(&k.to_ne_bytes(), &k.to_ne_bytes(), BPF_ANY).unwrap();
    /// }
    /// let mut keys = Vec::new();
    /// let mut cur = None;
    /// while let Ok(next) = map.next_key(cur.as_deref()) {
    ///     keys.push(u32::from_ne_bytes(next[..].try_into().unwrap()));
    ///     cur = Some(next);
    /// }
    /// keys.sort();
    /// assert_eq!(keys, [0, 1, 2]);
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    pub fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        self.readable()?;
        if let Some(k) = key {
            self.check_key(k)?;
        }
        match &self.kind {
            Kind::Array(_) | Kind::Prog(_) | Kind::MapArray(_) | Kind::Perf(_) => {
                next_index(key, self.max_entries())
            }
            Kind::Hash(h) => h.next_key(key),
            Kind::Lpm(t) => t.next_key(key),
            Kind::Queue(_) => Err(Errno::EINVAL),
            Kind::Bloom(_) => Err(Errno::EOPNOTSUPP),
            Kind::RingBuf(_) => Err(Errno::ENOTSUPP),
        }
    }

    /// Host-side push into a queue, stack or bloom filter (`BPF_MAP_UPDATE_ELEM` with no key).
    pub fn push(&self, value: &[u8], flags: u64) -> Result<(), Errno> {
        self.writable()?;
        self.push_elem(value, flags)
    }

    /// Host-side pop from a queue or stack (`BPF_MAP_LOOKUP_AND_DELETE_ELEM` with no key).
    pub fn pop(&self) -> Result<Vec<u8>, Errno> {
        self.lookup_and_delete(&[], 0)
    }

    /// Host-side peek at a queue or stack (`BPF_MAP_LOOKUP_ELEM` with no key).
    pub fn peek(&self) -> Result<Vec<u8>, Errno> {
        self.lookup(&[])
    }

    /// Whether a bloom filter may contain `value` (`BPF_MAP_LOOKUP_ELEM` with the value as
    /// input): `Ok(false)` means surely not.
    pub fn bloom_contains(&self, value: &[u8]) -> Result<bool, Errno> {
        self.readable()?;
        let mut v = value.to_vec();
        match self.peek_elem(&mut v) {
            Ok(()) => Ok(true),
            Err(Errno::ENOENT) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A pointer to element `index` of a plain array, valid for [`Map::value_size`] bytes as
    /// long as the map lives: what a program gets for a global variable (`.data`, `.rodata`,
    /// `.bss` are single-element arrays).
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType};
    /// let bss = Map::create(MapSpec::new(".bss", MapType::Array, 4, 16, 1), 1)?;
    /// let p = bss.value_ptr(0).unwrap();
    /// // SAFETY: the value is 16 bytes, valid while the map lives; offset 8 holds a u32.
    /// unsafe { p.as_ptr().add(8).cast::<u32>().write(3) };
    /// assert_eq!(bss.lookup(&0u32.to_ne_bytes()).unwrap()[8], 3);
    /// assert!(bss.value_ptr(1).is_none());
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    pub fn value_ptr(&self, index: u32) -> Option<NonNull<u8>> {
        match &self.kind {
            Kind::Array(a) if !self.spec.map_type.is_percpu() => a.ptr(index, 0),
            _ => None,
        }
    }

    /// Where an array's (`BPF_MAP_TYPE_ARRAY`, `BPF_MAP_TYPE_PERCPU_ARRAY`) elements lie:
    /// what a JIT needs to compute a lookup inline, as Linux's `array_map_gen_lookup`
    /// does. `None` for other map types.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType};
    /// let map = Map::create(MapSpec::new("counts", MapType::PercpuArray, 4, 12, 3), 2)?;
    /// let layout = map.array_layout().unwrap();
    /// assert_eq!((layout.max_entries, layout.elem_size, layout.copies), (3, 16, 2));
    /// // Element 2, CPU 1: as `lookup_elem` finds it on CPU 1.
    /// let at = layout.values.as_ptr() as usize + layout.offset(2, 1);
    /// let mut value = vec![0u8; 32];
    /// value[16] = 7; // CPU 1's copy, in the all-CPU layout of `bpf(2)` (16 bytes a CPU)
    /// map.update(&2u32.to_ne_bytes(), &value, 0)?;
    /// // SAFETY: `at` is element 2's copy of CPU 1, 12 bytes, valid while the map lives.
    /// assert_eq!(unsafe { *(at as *const u8) }, 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn array_layout(&self) -> Option<ArrayLayout> {
        match &self.kind {
            Kind::Array(a) => Some(a.layout()),
            _ => None,
        }
    }

    /// `BPF_MAP_FREEZE`: from now on the host cannot write the map (`-EPERM`); programs
    /// still can, unless the verifier enforces `BPF_F_RDONLY_PROG`. Freezing a frozen or
    /// read-only map is `-EPERM`, as in the kernel (which checks write access first).
    pub fn freeze(&self) -> Result<(), Errno> {
        if self.spec.map_flags & BPF_F_RDONLY != 0 || self.frozen.swap(true, AcqRel) {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// Number of elements: stored keys for hash maps and LPM tries, queued values for queues
    /// and stacks, `max_entries` for arrays, 0 for other types.
    pub fn len(&self) -> usize {
        match &self.kind {
            Kind::Hash(h) => h.len(),
            Kind::Lpm(t) => t.len(),
            Kind::Queue(q) => q.len(),
            Kind::Array(_) => self.max_entries() as usize,
            _ => 0,
        }
    }

    /// True when [`Map::len`] is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ring buffer consumer: calls `f` on every submitted record, in order, skipping
    /// discarded ones, up to the first record still being written. Returns how many records
    /// `f` saw. One consumer runs at a time.
    pub fn ringbuf_consume(&self, mut f: impl FnMut(&[u8])) -> Result<usize, Errno> {
        match &self.kind {
            Kind::RingBuf(r) => Ok(r.consume(usize::MAX, &mut f)),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The next submitted ring buffer record, if any.
    pub fn ringbuf_read(&self) -> Result<Option<Vec<u8>>, Errno> {
        let mut rec = None;
        match &self.kind {
            Kind::RingBuf(r) => r.consume(1, &mut |s| rec = Some(s.to_vec())),
            _ => return Err(Errno::EINVAL),
        };
        Ok(rec)
    }

    /// Blocks until the ring buffer has data (a producer's commit wakes it, unless it passed
    /// `BPF_RB_NO_WAKEUP`) or `timeout` passes. Returns whether data is available.
    pub fn ringbuf_wait(&self, timeout: Duration) -> Result<bool, Errno> {
        match &self.kind {
            Kind::RingBuf(r) => Ok(r.wait(timeout)),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Attaches a perf buffer of `capacity` bytes at `index` of a perf event array, standing
    /// for a BPF-output perf event on CPU `index` (libbpf's `perf_buffer` opens one per CPU,
    /// typically 8 pages or more). Replaces a buffer already there.
    ///
    /// ```
    /// use ebee_maps::{Map, MapSpec, MapType, PerfRecord, flags::BPF_F_CURRENT_CPU};
    /// let events = Map::create(MapSpec::new("events", MapType::PerfEventArray, 4, 4, 2), 2)?;
    /// events.perf_open(1, 4096).unwrap();
    /// events.perf_event_output(1, BPF_F_CURRENT_CPU, b"hello").unwrap();
    /// assert_eq!(events.perf_read(1).unwrap(), Some(PerfRecord::Sample(b"hello\0\0\0\0\0\0\0".to_vec())));
    /// # Ok::<(), ebee_maps::MapError>(())
    /// ```
    pub fn perf_open(&self, index: u32, capacity: usize) -> Result<(), Errno> {
        match &self.kind {
            Kind::Perf(p) => p.open(index, capacity),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Attaches a buffer of `capacity` bytes at every index below `min(max_entries, ncpus)`.
    pub fn perf_open_all(&self, capacity: usize) -> Result<(), Errno> {
        let n = (self.max_entries() as usize).min(self.ncpus) as u32;
        (0..n).try_for_each(|i| self.perf_open(i, capacity))
    }

    /// The oldest unread record of the perf buffer at `index` (`-ENOENT`: none attached).
    pub fn perf_read(&self, index: u32) -> Result<Option<PerfRecord>, Errno> {
        match &self.kind {
            Kind::Perf(p) => p.read(index),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Reads every attached perf buffer, calling `f(cpu, record)` for each record.
    pub fn perf_drain(&self, mut f: impl FnMut(u32, PerfRecord)) -> Result<usize, Errno> {
        let Kind::Perf(p) = &self.kind else {
            return Err(Errno::EINVAL);
        };
        let mut n = 0;
        for i in 0..p.len() as u32 {
            while let Ok(Some(rec)) = p.read(i) {
                f(i, rec);
                n += 1;
            }
        }
        Ok(n)
    }
}
