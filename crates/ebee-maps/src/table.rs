//! The concurrent hash table under every hash map type: the kernel's design (`hashtab.c`)
//! with epoch-based reclamation in place of RCU.
//!
//! - `roundup_pow_of_two(max_entries)` buckets, each a singly linked list of nodes and a
//!   mutex that serializes writers of that bucket;
//! - readers walk the lists without locks, inside a pinned [`crate::Guard`];
//! - a new node goes to the head of its bucket (so does the replacement of an updated
//!   element), as `hlist_nulls_add_head_rcu` does, and keys hash with the kernel's jhash:
//!   with `BPF_F_ZERO_SEED` the iteration order is the kernel's;
//! - an unlinked node is retired to the epoch collector and freed only once every guard that
//!   was pinned when it was unlinked has been dropped, so a value pointer a program got stays
//!   valid for its whole run. Nodes are never reused, so a reader never follows a node into
//!   another bucket (the kernel's "nulls" restart is not needed).

use crate::jhash::hash_key;
use crate::mem::{KeyBytes, Words};
use crate::Map;
use crossbeam_epoch::{self as epoch, Atomic, Owned, Shared};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex, MutexGuard};

/// One element.
pub(crate) struct Node {
    pub(crate) next: Atomic<Node>,
    pub(crate) hash: u32,
    /// The node's slot in the LRU lists of an LRU map (see `lru.rs`); set before the node
    /// is published.
    pub(crate) lru_slot: u32,
    /// Written before the node is published, never after.
    pub(crate) key: KeyBytes,
    /// The value (all CPUs' values for per-CPU maps), shared with programs.
    pub(crate) value: Words,
    /// The inner map of a hash of maps (the value then holds its id).
    pub(crate) inner: Option<Arc<Map>>,
}

impl Node {
    pub(crate) fn new(hash: u32, key: &[u8], value: Words) -> Node {
        Node {
            next: Atomic::null(),
            hash,
            lru_slot: 0,
            key: KeyBytes::new(key),
            value,
            inner: None,
        }
    }
}

struct Bucket {
    head: Atomic<Node>,
    lock: Mutex<()>,
}

pub(crate) struct Table {
    buckets: Box<[Bucket]>,
    mask: u32,
    seed: u32,
    count: AtomicUsize,
    max: usize,
}

/// A bucket whose writer lock is held.
pub(crate) struct LockedBucket<'t> {
    bucket: &'t Bucket,
    _lock: MutexGuard<'t, ()>,
}

impl Table {
    pub(crate) fn new(max_entries: u32, seed: u32) -> Option<Table> {
        let n = (max_entries.max(1) as usize).checked_next_power_of_two()?;
        let mut buckets = Vec::new();
        buckets.try_reserve_exact(n).ok()?;
        buckets.resize_with(n, || Bucket {
            head: Atomic::null(),
            lock: Mutex::new(()),
        });
        Some(Table {
            buckets: buckets.into_boxed_slice(),
            mask: (n - 1) as u32,
            seed,
            count: AtomicUsize::new(0),
            max: max_entries as usize,
        })
    }

    #[inline]
    pub(crate) fn hash(&self, key: &[u8]) -> u32 {
        hash_key(key, self.seed)
    }

    pub(crate) fn n_buckets(&self) -> usize {
        self.buckets.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.count.load(Relaxed)
    }

    /// Takes one slot for a new element, or `false` when `max_entries` are in use.
    pub(crate) fn reserve(&self) -> bool {
        self.count
            .fetch_update(AcqRel, Relaxed, |c| (c < self.max).then_some(c + 1))
            .is_ok()
    }

    pub(crate) fn release(&self) {
        self.count.fetch_sub(1, AcqRel);
    }

    /// The first node of bucket `i` (for iteration).
    pub(crate) fn first<'g>(&self, i: usize, guard: &'g epoch::Guard) -> Option<&'g Node> {
        let b = self.buckets.get(i)?;
        // SAFETY: nodes reachable from a bucket are freed only after every guard pinned
        // while they were reachable is dropped; `guard` is pinned now.
        unsafe { b.head.load(Acquire, guard).as_ref() }
    }

    /// The node after `node` in its bucket.
    pub(crate) fn next<'g>(node: &'g Node, guard: &'g epoch::Guard) -> Option<&'g Node> {
        // SAFETY: as in `first`: `node.next` was reachable when `node` was, and both stay
        // allocated until `guard` is dropped.
        unsafe { node.next.load(Acquire, guard).as_ref() }
    }

    /// The bucket index of a hash.
    pub(crate) fn bucket_of(&self, hash: u32) -> usize {
        (hash & self.mask) as usize
    }

    /// Finds `key` without locks.
    #[inline]
    pub(crate) fn find<'g>(
        &self,
        key: &[u8],
        hash: u32,
        guard: &'g epoch::Guard,
    ) -> Option<&'g Node> {
        let mut cur = self.first(self.bucket_of(hash), guard);
        while let Some(n) = cur {
            if n.hash == hash && n.key.as_slice() == key {
                return Some(n);
            }
            cur = Table::next(n, guard);
        }
        None
    }

    pub(crate) fn lock(&self, hash: u32) -> LockedBucket<'_> {
        let bucket = &self.buckets[self.bucket_of(hash)];
        let lock = bucket.lock.lock().unwrap_or_else(|p| p.into_inner());
        LockedBucket {
            bucket,
            _lock: lock,
        }
    }
}

impl<'t> LockedBucket<'t> {
    pub(crate) fn find<'g>(
        &self,
        key: &[u8],
        hash: u32,
        guard: &'g epoch::Guard,
    ) -> Option<&'g Node> {
        // SAFETY: see `Table::first`.
        let mut cur = unsafe { self.bucket.head.load(Acquire, guard).as_ref() };
        while let Some(n) = cur {
            if n.hash == hash && n.key.as_slice() == key {
                return Some(n);
            }
            cur = Table::next(n, guard);
        }
        None
    }

    /// Publishes `node` at the head of the bucket and returns it.
    pub(crate) fn push_front<'g>(&self, node: Node, guard: &'g epoch::Guard) -> &'g Node {
        let head = self.bucket.head.load(Relaxed, guard);
        node.next.store(head, Relaxed);
        let shared = Owned::new(node).into_shared(guard);
        self.bucket.head.store(shared, Release);
        // SAFETY: `shared` was just allocated and is now owned by the bucket; it is retired
        // only through `unlink`, so it lives at least as long as `guard`.
        unsafe { shared.deref() }
    }

    /// The node in LRU slot `slot`, if it is in this bucket.
    pub(crate) fn find_slot<'g>(&self, slot: u32, guard: &'g epoch::Guard) -> Option<&'g Node> {
        // SAFETY: see `Table::first`.
        let mut cur = unsafe { self.bucket.head.load(Acquire, guard).as_ref() };
        while let Some(n) = cur {
            if n.lru_slot == slot {
                return Some(n);
            }
            cur = Table::next(n, guard);
        }
        None
    }

    /// Unlinks `target` (found by address) from the bucket. The caller must retire it with
    /// [`retire`] afterwards. Returns false when it is not in this bucket.
    pub(crate) fn unlink(&self, target: &Node, guard: &epoch::Guard) -> bool {
        let mut link = &self.bucket.head;
        loop {
            let cur = link.load(Relaxed, guard);
            // SAFETY: see `Table::first`; we hold the bucket lock, so the list is stable.
            let Some(n) = (unsafe { cur.as_ref() }) else {
                return false;
            };
            if ptr::eq(n, target) {
                link.store(n.next.load(Relaxed, guard), Release);
                return true;
            }
            link = &n.next;
        }
    }
}

/// Frees `node` once no guard pinned now can still see it.
///
/// # Safety
/// `node` must have been unlinked from its table (and LRU list) and not be retired twice.
pub(crate) unsafe fn retire(node: &Node, guard: &epoch::Guard) {
    let shared: Shared<'_, Node> = Shared::from(node as *const Node);
    // SAFETY: the caller unlinked the node, so no new reader can reach it; readers that
    // already hold it were pinned before this call, and the collector waits for them.
    unsafe { guard.defer_destroy(shared) };
    crate::note_retired(guard);
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: `&mut self` means no other thread can reach the table; nodes already
        // retired were unlinked and are not visited here.
        let guard = unsafe { epoch::unprotected() };
        for b in self.buckets.iter() {
            let mut cur = b.head.load(Relaxed, guard);
            while !cur.is_null() {
                // SAFETY: `cur` is a live node owned by this bucket, visited once.
                let owned = unsafe { cur.into_owned() };
                cur = owned.next.load(Relaxed, guard);
                drop(owned);
            }
        }
    }
}
