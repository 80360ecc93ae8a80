//! `BPF_MAP_TYPE_HASH`, `PERCPU_HASH`, `LRU_HASH`, `LRU_PERCPU_HASH` and `HASH_OF_MAPS`,
//! on the table of `table.rs`, with `hashtab.c`'s update rules:
//!
//! - plain and LRU hashes replace an updated element with a new one (programs holding the
//!   old value pointer keep reading the old memory, which stays valid until their guard
//!   drops); `BPF_F_LOCK` updates copy into the existing value under its spin lock;
//! - per-CPU hashes update in place; a program's update of a new key zeroes the other CPUs;
//! - full maps: `-E2BIG` for a new key, while LRU maps evict instead.

use crate::batch::Entry;
use crate::lru::{Lru, LruState};
use crate::mem::{self, LockField};
use crate::table::{retire, Node, Table};
use crate::{Guard, Map};
use crossbeam_epoch as epoch;
use ebee_abi::{flags::*, Errno};
use std::ptr::NonNull;
use std::sync::Arc;

/// Who performs an operation: a program on a CPU, or the host (`bpf(2)` semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Who {
    Cpu(usize),
    Host,
}

pub(crate) struct HashMap {
    table: Table,
    lru: Option<Lru>,
    percpu: bool,
    ncpus: usize,
    /// `round_up(value_size, 8)`: the stride of per-CPU values.
    elem: usize,
    lock: LockField,
}

fn check_flags(old: Option<&Node>, flags: u64) -> Result<(), Errno> {
    match (old.is_some(), flags & !BPF_F_LOCK) {
        (true, BPF_NOEXIST) => Err(Errno::EEXIST),
        (false, BPF_EXIST) => Err(Errno::ENOENT),
        _ => Ok(()),
    }
}

/// What a new or updated element holds.
pub(crate) enum Payload<'a> {
    Bytes(&'a [u8]),
    Inner(&'a Arc<Map>),
}

impl HashMap {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        max_entries: u32,
        seed: u32,
        lru: bool,
        percpu_lru: bool,
        percpu: bool,
        ncpus: usize,
        value_size: u32,
        lock: LockField,
    ) -> Option<HashMap> {
        Some(HashMap {
            table: Table::new(max_entries, seed)?,
            lru: match lru {
                true => Some(Lru::new(max_entries as usize, ncpus, percpu_lru)?),
                false => None,
            },
            percpu,
            ncpus,
            elem: (value_size as usize).next_multiple_of(8),
            lock,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    fn value_bytes(&self) -> usize {
        if self.percpu {
            self.elem * self.ncpus
        } else {
            self.elem
        }
    }

    fn value_ptr(&self, node: &Node, cpu: usize) -> Option<NonNull<u8>> {
        let off = if self.percpu {
            if cpu >= self.ncpus {
                return None;
            }
            cpu * self.elem
        } else {
            0
        };
        NonNull::new(
            node.value
                .as_ptr()
                .cast::<u8>()
                .cast_mut()
                .wrapping_add(off),
        )
    }

    /// The program-side lookup: a pointer to the value (this CPU's for per-CPU maps), or the
    /// inner map for a hash of maps. LRU maps mark the element as used.
    #[inline]
    pub(crate) fn lookup_ptr(&self, key: &[u8], cpu: usize, guard: &Guard) -> Option<NonNull<u8>> {
        let node = self.table.find(key, self.table.hash(key), &guard.0)?;
        if let Some(lru) = &self.lru {
            lru.set_ref(node.lru_slot);
        }
        if let Some(inner) = &node.inner {
            return NonNull::new(Arc::as_ptr(inner).cast_mut().cast());
        }
        self.value_ptr(node, cpu)
    }

    /// The inner map stored under `key` (hash of maps).
    pub(crate) fn inner<'g>(&self, key: &[u8], guard: &'g Guard) -> Option<&'g Map> {
        let node = self.table.find(key, self.table.hash(key), &guard.0)?;
        node.inner.as_deref()
    }

    fn new_node(
        &self,
        key: &[u8],
        hash: u32,
        payload: &Payload<'_>,
        who: Who,
    ) -> Result<Node, Errno> {
        let words = mem::Words::new(self.value_bytes() as u64).ok_or(Errno::ENOMEM)?;
        let mut node = Node::new(hash, key, words);
        match payload {
            Payload::Inner(map) => {
                mem::write(&node.value, 0, &map.id().to_ne_bytes());
                node.inner = Some(Arc::clone(map));
            }
            Payload::Bytes(v) => self.write_value(&node, v, who, BPF_ANY),
        }
        Ok(node)
    }

    fn write_value(&self, node: &Node, value: &[u8], who: Who, flags: u64) {
        match (self.percpu, who) {
            (true, Who::Cpu(c)) => mem::write(&node.value, c * self.elem, value),
            (true, Who::Host) => {
                for c in 0..self.ncpus {
                    let src = value.get(c * self.elem..(c + 1) * self.elem).unwrap_or(&[]);
                    mem::write(&node.value, c * self.elem, src);
                }
            }
            (false, _) if flags & BPF_F_LOCK != 0 => self
                .lock
                .locked(&node.value, 0, || self.lock.copy_in(&node.value, 0, value)),
            (false, _) => self.lock.copy_in(&node.value, 0, value),
        }
    }

    /// `map_update_elem`, program-side (`Who::Cpu`) or host-side (`Who::Host`, whose per-CPU
    /// values hold every CPU's value).
    pub(crate) fn update(
        &self,
        key: &[u8],
        payload: Payload<'_>,
        flags: u64,
        who: Who,
    ) -> Result<(), Errno> {
        let bad_flags = if self.percpu || self.lru.is_some() {
            flags > BPF_EXIST
        } else {
            (flags & !BPF_F_LOCK) > BPF_EXIST
        };
        if bad_flags || (flags & BPF_F_LOCK != 0 && self.lock.0.is_none()) {
            return Err(Errno::EINVAL);
        }
        let guard = epoch::pin();
        let hash = self.table.hash(key);
        if self.lru.is_some() {
            return self.update_lru(key, hash, &payload, flags, who, &guard);
        }
        if flags & BPF_F_LOCK != 0 {
            // Update in place under the element's lock, without the bucket lock.
            let old = self.table.find(key, hash, &guard);
            check_flags(old, flags)?;
            if let (Some(old), Payload::Bytes(v)) = (old, &payload) {
                self.write_value(old, v, who, flags);
                return Ok(());
            }
        }
        let bucket = self.table.lock(hash);
        let old = bucket.find(key, hash, &guard);
        check_flags(old, flags)?;
        if let (Some(old), Payload::Bytes(v)) = (old, &payload) {
            if self.percpu || flags & BPF_F_LOCK != 0 {
                self.write_value(old, v, who, flags);
                return Ok(());
            }
        }
        if old.is_none() && !self.table.reserve() {
            return Err(Errno::E2BIG);
        }
        let node = match self.new_node(key, hash, &payload, who) {
            Ok(n) => n,
            Err(e) => {
                if old.is_none() {
                    self.table.release();
                }
                return Err(e);
            }
        };
        bucket.push_front(node, &guard);
        if let Some(old) = old {
            bucket.unlink(old, &guard);
            // SAFETY: `old` was unlinked just now, under the bucket lock, by this thread only.
            unsafe { retire(old, &guard) };
        }
        Ok(())
    }

    fn update_lru(
        &self,
        key: &[u8],
        hash: u32,
        payload: &Payload<'_>,
        flags: u64,
        who: Who,
        guard: &epoch::Guard,
    ) -> Result<(), Errno> {
        let Some(lru) = &self.lru else {
            return Err(Errno::EINVAL);
        };
        let mut state = lru.lock();
        // As the kernel's `prealloc_lru_pop`, take a free slot first (evicting when there is
        // none), even when the key turns out to exist; per-CPU maps skip it for BPF_EXIST.
        // Host-side operations count as CPU 0's.
        let cpu = match who {
            Who::Cpu(c) => c,
            Who::Host => 0,
        };
        let slot = match self.percpu && flags == BPF_EXIST {
            true => None,
            false => Some(self.pop_slot(lru, &mut state, cpu, hash, guard)?),
        };
        // A slot taken and not used goes back (to the local free list: it is pending).
        let give_back = |state: &mut LruState, r: Result<(), Errno>| {
            if let Some(slot) = slot {
                lru.push_free(state, slot);
            }
            r
        };
        let bucket = self.table.lock(hash);
        let old = bucket.find(key, hash, guard);
        if let Err(e) = check_flags(old, flags) {
            return give_back(&mut state, Err(e));
        }
        if let Some(old) = old {
            if let (true, Payload::Bytes(v)) = (self.percpu, payload) {
                lru.set_ref(old.lru_slot);
                self.write_value(old, v, who, flags);
                return give_back(&mut state, Ok(()));
            }
        }
        let Some(slot) = slot else {
            return Err(Errno::EINVAL);
        };
        let mut node = match self.new_node(key, hash, payload, who) {
            Ok(n) => n,
            Err(e) => return give_back(&mut state, Err(e)),
        };
        node.lru_slot = slot;
        if old.is_some() {
            lru.set_ref(slot);
        }
        self.table.reserve();
        bucket.push_front(node, guard);
        if let Some(old) = old {
            bucket.unlink(old, guard);
            self.table.release();
            lru.push_free(&mut state, old.lru_slot);
            // SAFETY: `old` is out of its bucket; only this thread (holding the LRU lock, which
            // every unlinker of an LRU map holds) unlinked it.
            unsafe { retire(old, guard) };
        }
        Ok(())
    }

    /// `prealloc_lru_pop`: a slot for a new element, evicting elements as the kernel's
    /// `bpf_lru_pop_free` does (`htab_lru_map_delete_node` removes them from the table).
    fn pop_slot(
        &self,
        lru: &Lru,
        state: &mut LruState,
        cpu: usize,
        hash: u32,
        guard: &epoch::Guard,
    ) -> Result<u32, Errno> {
        let mut del = |slot: u32, hash: u32| {
            let bucket = self.table.lock(hash);
            let Some(victim) = bucket.find_slot(slot, guard) else {
                return false;
            };
            bucket.unlink(victim, guard);
            drop(bucket);
            self.table.release();
            // SAFETY: the victim is out of its bucket; all writers of an LRU map hold the LRU
            // lock, so no one else unlinked it.
            unsafe { retire(victim, guard) };
            true
        };
        lru.pop_free(state, cpu, hash, &mut del)
            .ok_or(Errno::ENOMEM)
    }

    /// `map_delete_elem`; with `out`, the host's `BPF_MAP_LOOKUP_AND_DELETE_ELEM`.
    pub(crate) fn delete(&self, key: &[u8], out: Option<(&mut [u8], u64)>) -> Result<(), Errno> {
        let guard = epoch::pin();
        let hash = self.table.hash(key);
        let mut lru = self.lru.as_ref().map(|l| (l, l.lock()));
        let bucket = self.table.lock(hash);
        let node = bucket.find(key, hash, &guard).ok_or(Errno::ENOENT)?;
        if let Some((out, flags)) = out {
            self.copy_out(node, out, flags);
        }
        bucket.unlink(node, &guard);
        drop(bucket);
        self.table.release();
        if let Some((lru, state)) = lru.as_mut() {
            lru.push_free(state, node.lru_slot);
        }
        // SAFETY: unlinked above (and removed from the LRU list) by this thread, which holds
        // the locks every unlinker takes.
        unsafe { retire(node, &guard) };
        Ok(())
    }

    fn copy_out(&self, node: &Node, out: &mut [u8], flags: u64) {
        if self.percpu {
            for c in 0..self.ncpus {
                if let Some(dst) = out.get_mut(c * self.elem..(c + 1) * self.elem) {
                    mem::read(&node.value, c * self.elem, dst);
                }
            }
        } else if flags & BPF_F_LOCK != 0 {
            self.lock
                .locked(&node.value, 0, || self.lock.copy_out(&node.value, 0, out));
        } else {
            self.lock.copy_out(&node.value, 0, out);
        }
    }

    /// Host-side lookup into `out` (all CPUs' values for per-CPU maps). LRU elements are
    /// not marked, as in the kernel.
    pub(crate) fn lookup_copy(&self, key: &[u8], out: &mut [u8], flags: u64) -> Result<(), Errno> {
        let guard = epoch::pin();
        let node = self
            .table
            .find(key, self.table.hash(key), &guard)
            .ok_or(Errno::ENOENT)?;
        self.copy_out(node, out, flags);
        Ok(())
    }

    /// The host's inner-map handle under `key` (hash of maps).
    pub(crate) fn inner_arc(&self, key: &[u8]) -> Option<Arc<Map>> {
        let guard = epoch::pin();
        let node = self.table.find(key, self.table.hash(key), &guard)?;
        node.inner.clone()
    }

    /// `map_get_next_key`: the key after `key` in bucket order; the first key when `key` is
    /// `None` or not in the map.
    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        let guard = epoch::pin();
        let mut start = 0;
        if let Some(key) = key {
            let hash = self.table.hash(key);
            if let Some(node) = self.table.find(key, hash, &guard) {
                if let Some(next) = Table::next(node, &guard) {
                    return Ok(next.key.as_slice().to_vec());
                }
                start = self.table.bucket_of(hash) + 1;
            }
        }
        (start..self.table.n_buckets())
            .find_map(|i| {
                self.table
                    .first(i, &guard)
                    .map(|n| n.key.as_slice().to_vec())
            })
            .ok_or(Errno::ENOENT)
    }

    /// `bpf_for_each_map_elem`: calls `f(key, value)` for each element until it returns
    /// non-zero; returns the number of calls.
    pub(crate) fn for_each(
        &self,
        cpu: usize,
        guard: &Guard,
        f: &mut dyn FnMut(*const u8, *mut u8) -> u64,
    ) -> u32 {
        let mut calls = 0u32;
        for i in 0..self.table.n_buckets() {
            let mut cur = self.table.first(i, &guard.0);
            while let Some(node) = cur {
                cur = Table::next(node, &guard.0);
                let Some(value) = self.value_ptr(node, cpu) else {
                    return calls;
                };
                calls += 1;
                if f(node.key.as_slice().as_ptr(), value.as_ptr()) != 0 {
                    return calls;
                }
            }
        }
        calls
    }

    /// The kernel's bucket-wise `lookup_batch`: whole buckets from `bucket`, at most `max`
    /// elements. Returns the entries and the next bucket (`None` past the last one).
    pub(crate) fn batch(
        &self,
        mut bucket: usize,
        max: usize,
        host_value_size: usize,
        flags: u64,
    ) -> Result<(Vec<Entry>, Option<usize>), Errno> {
        if bucket >= self.table.n_buckets() {
            return Err(Errno::ENOENT);
        }
        let guard = epoch::pin();
        let mut out = Vec::new();
        while bucket < self.table.n_buckets() {
            let mut chunk = Vec::new();
            let mut cur = self.table.first(bucket, &guard);
            while let Some(node) = cur {
                let mut v = vec![0u8; host_value_size];
                self.copy_out(node, &mut v, flags);
                chunk.push((node.key.as_slice().to_vec(), v));
                cur = Table::next(node, &guard);
            }
            if chunk.len() > max - out.len() {
                if out.is_empty() {
                    return Err(Errno::ENOSPC);
                }
                return Ok((out, Some(bucket)));
            }
            out.append(&mut chunk);
            bucket += 1;
        }
        Ok((out, None))
    }
}
