//! The recency list of LRU hash maps.
//!
//! Lookups only set the node's `referenced` bit (a relaxed store, no lock), as the kernel's
//! `bpf_lru_node_set_ref` does. Writers hold the list's mutex: new nodes enter at the head;
//! when the map is full the evictor takes the tail, and a node whose bit is set gets a second
//! chance (bit cleared, moved to the head) — the kernel's active/inactive rotation, reduced
//! to one list. The lock order is list, then bucket, as in the kernel.
//!
//! Free slots are accounted as the kernel's common LRU does (`bpf_lru_list.c`): an insert
//! takes a slot from a local free pool; an empty pool is refilled with up to `target_free`
//! slots from the global pool, and when the global pool cannot supply them all, the
//! shortfall is evicted at once. Elements inserted since the last refill are "pending":
//! freeing one returns its slot to the local pool, freeing an older one to the global pool.
//! For inserts and updates this reproduces the kernel's evictions exactly (checked against
//! the kernel); the kernel's pools are per CPU, so after deletions on several CPUs it can
//! differ.

use crate::table::Node;
use std::ptr;
use std::sync::{Mutex, MutexGuard};

/// Head = most recently inserted, tail = oldest.
pub(crate) struct LruList {
    head: *const Node,
    tail: *const Node,
    /// Free slots in the local pool.
    pub(crate) local_free: usize,
    /// Refill generation: nodes of the current generation are pending.
    pub(crate) gen: u64,
}

// SAFETY: the raw pointers are only dereferenced by the thread holding the mutex that wraps
// this list, and they point to nodes that stay allocated while they are in the list (nodes
// are removed from the list before they are retired).
unsafe impl Send for LruList {}

pub(crate) struct Lru {
    list: Mutex<LruList>,
}

impl Lru {
    pub(crate) fn new() -> Lru {
        Lru {
            list: Mutex::new(LruList {
                head: ptr::null(),
                tail: ptr::null(),
                local_free: 0,
                gen: 0,
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, LruList> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl LruList {
    /// Puts `node` at the head. It must not be in the list.
    pub(crate) fn push_front(&mut self, node: &Node) {
        let p: *const Node = node;
        // SAFETY: we hold the list mutex (`&mut self` comes from its guard), which owns all
        // access to the links; `node` is alive (borrowed).
        unsafe {
            let links = &mut *node.lru.get();
            links.prev = ptr::null();
            links.next = self.head;
            links.gen = self.gen;
            if let Some(h) = self.head.as_ref() {
                (*h.lru.get()).prev = p;
            } else {
                self.tail = p;
            }
        }
        self.head = p;
    }

    /// Whether `node` was inserted since the last refill.
    pub(crate) fn is_pending(&self, node: &Node) -> bool {
        // SAFETY: as in `push_front`.
        unsafe { (*node.lru.get()).gen == self.gen }
    }

    /// Takes `node` out of the list. It must be in the list.
    pub(crate) fn remove(&mut self, node: &Node) {
        // SAFETY: as in `push_front`; the neighbours are in the list, hence alive.
        unsafe {
            let links = &mut *node.lru.get();
            match links.prev.as_ref() {
                Some(prev) => (*prev.lru.get()).next = links.next,
                None => self.head = links.next,
            }
            match links.next.as_ref() {
                Some(next) => (*next.lru.get()).prev = links.prev,
                None => self.tail = links.prev,
            }
            links.prev = ptr::null();
            links.next = ptr::null();
        }
    }

    /// Picks the node to evict: the oldest one whose `referenced` bit is clear, giving nodes
    /// with the bit set a second chance. The victim stays in the list.
    pub(crate) fn victim<'g>(&mut self, _guard: &'g crossbeam_epoch::Guard) -> Option<&'g Node> {
        let mut rotations = 0usize;
        loop {
            // SAFETY: the tail is in the list, hence alive, and we hold the list mutex.
            let tail = unsafe { self.tail.as_ref()? };
            let referenced = tail
                .referenced
                .swap(false, std::sync::atomic::Ordering::Relaxed);
            // Every node gets at most one second chance per call, so this ends.
            if !referenced || rotations > (1 << 30) {
                // SAFETY: the node is in the list, so it has not been retired; it can only be
                // retired after leaving the list, and then is freed only once `_guard` (pinned
                // now) is dropped.
                return Some(unsafe { &*(tail as *const Node) });
            }
            rotations += 1;
            // SAFETY: as in `push_front`; keep the node's generation across the move.
            let gen = unsafe { (*tail.lru.get()).gen };
            self.remove(tail);
            self.push_front(tail);
            // SAFETY: as above.
            unsafe { (*tail.lru.get()).gen = gen };
        }
    }
}
