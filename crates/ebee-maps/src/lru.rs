//! The LRU lists of LRU hash maps: a port of the kernel's `kernel/bpf/bpf_lru_list.c`.
//!
//! Every element of an LRU map owns one of `max_entries` preallocated slots (a node of the
//! kernel's lists). A slot sits on exactly one list:
//!
//! - common LRU: the global active, inactive and free lists, or a CPU's local free or
//!   pending list. An insert takes a slot from its CPU's local free list; an empty one is
//!   refilled under the global lock (`bpf_lru_list_pop_free_to_local`): the CPU's pending
//!   slots are flushed to the active (referenced) or inactive list, the lists are rotated,
//!   and up to `target_free` slots are taken from the global free list, the shortfall being
//!   evicted from the inactive tail (`__bpf_lru_list_shrink`, `nr_scans` at a time). When
//!   that yields nothing, a free or pending slot is stolen from another CPU.
//! - per-CPU LRU (`BPF_F_NO_COMMON_LRU`): each CPU has its own active, inactive and free
//!   lists and `max_entries / ncpus` slots.
//!
//! Lookups only set the slot's reference bit (a relaxed store, no lock), as the kernel's
//! `bpf_lru_node_set_ref` does. Everything else happens under one mutex (the kernel's
//! global and local spinlocks, merged), taken before any bucket lock.

mod list;

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

const LOCAL_FREE_TARGET: usize = 128;
const PERCPU_FREE_TARGET: usize = 4;

/// `enum bpf_lru_list_type`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Active = 0,
    Inactive = 1,
    Free = 2,
    LocalFree = 3,
    Pending = 4,
}

impl Kind {
    fn is_local(self) -> bool {
        matches!(self, Kind::LocalFree | Kind::Pending)
    }
}

/// A slot (or a list head: heads are slots past the elements' ones).
#[derive(Clone, Copy)]
struct Link {
    prev: u32,
    next: u32,
    kind: Kind,
    cpu: u32,
    /// The hash of the element in the slot, to find it in its bucket.
    hash: u32,
}

/// `struct bpf_lru_list`: heads of the active, inactive and free lists.
struct List {
    heads: [u32; 3],
    counts: [usize; 2],
    next_inactive_rotation: u32,
}

/// `struct bpf_lru_locallist`.
struct Local {
    free: u32,
    pending: u32,
    next_steal: usize,
}

pub(crate) struct LruState {
    links: Vec<Link>,
    /// One for the common LRU, one per CPU otherwise.
    lists: Vec<List>,
    /// One per CPU for the common LRU, none otherwise.
    locals: Vec<Local>,
    target_free: usize,
    nr_scans: usize,
}

pub(crate) struct Lru {
    state: Mutex<LruState>,
    refs: Box<[AtomicBool]>,
}

impl Lru {
    /// `max_entries` slots; `percpu_lru` for `BPF_F_NO_COMMON_LRU`. `None` when out of memory.
    pub(crate) fn new(max_entries: usize, ncpus: usize, percpu_lru: bool) -> Option<Lru> {
        let ncpus = ncpus.max(1);
        let nheads = if percpu_lru { 3 * ncpus } else { 3 + 2 * ncpus };
        let total = max_entries.checked_add(nheads)?;
        u32::try_from(total).ok()?;
        let mut links = Vec::new();
        links.try_reserve_exact(total).ok()?;
        links.extend((0..total as u32).map(|i| Link {
            prev: i,
            next: i,
            kind: Kind::Free,
            cpu: 0,
            hash: 0,
        }));
        let mut refs = Vec::new();
        refs.try_reserve_exact(max_entries).ok()?;
        refs.resize_with(max_entries, || AtomicBool::new(false));
        let mut next_head = max_entries as u32;
        let mut head = || {
            next_head += 1;
            next_head - 1
        };
        let mut new_list = || {
            let heads = [head(), head(), head()];
            List {
                heads,
                counts: [0; 2],
                next_inactive_rotation: heads[Kind::Inactive as usize],
            }
        };
        let mut state = if percpu_lru {
            LruState {
                lists: (0..ncpus).map(|_| new_list()).collect(),
                locals: Vec::new(),
                links: Vec::new(),
                target_free: PERCPU_FREE_TARGET,
                nr_scans: PERCPU_FREE_TARGET,
            }
        } else {
            let list = new_list();
            LruState {
                lists: vec![list],
                locals: (0..ncpus)
                    .map(|cpu| Local {
                        free: head(),
                        pending: head(),
                        next_steal: cpu,
                    })
                    .collect(),
                links: Vec::new(),
                target_free: (max_entries / ncpus / 2).clamp(1, LOCAL_FREE_TARGET),
                nr_scans: LOCAL_FREE_TARGET,
            }
        };
        state.links = links;
        // `bpf_common_lru_populate` / `bpf_percpu_lru_populate`.
        let per_cpu = (max_entries / ncpus).max(1);
        for i in 0..max_entries {
            let l = if percpu_lru {
                (i / per_cpu).min(ncpus - 1)
            } else {
                0
            };
            state.links[i].cpu = l as u32;
            let free = state.lists[l].heads[Kind::Free as usize];
            state.list_add(i as u32, free);
        }
        Some(Lru {
            state: Mutex::new(state),
            refs: refs.into_boxed_slice(),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, LruState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `bpf_lru_node_set_ref`.
    #[inline]
    pub(crate) fn set_ref(&self, slot: u32) {
        if let Some(r) = self.refs.get(slot as usize) {
            if !r.load(Relaxed) {
                r.store(true, Relaxed);
            }
        }
    }

    fn is_ref(&self, slot: u32) -> bool {
        self.refs[slot as usize].load(Relaxed)
    }

    fn clear_ref(&self, slot: u32) {
        self.refs[slot as usize].store(false, Relaxed);
    }

    /// `bpf_lru_pop_free`: a slot for a new element with `hash`, inserted on `cpu`.
    /// `del(slot, hash)` removes the element in a slot from the table (`del_from_htab`).
    pub(crate) fn pop_free(
        &self,
        s: &mut LruState,
        cpu: usize,
        hash: u32,
        del: &mut dyn FnMut(u32, u32) -> bool,
    ) -> Option<u32> {
        if s.locals.is_empty() {
            return self.percpu_pop_free(s, cpu.min(s.lists.len() - 1), hash, del);
        }
        let cpu = cpu.min(s.locals.len() - 1);
        let mut slot = s.local_pop_free(cpu);
        if slot.is_none() {
            self.pop_free_to_local(s, cpu, del);
            slot = s.local_pop_free(cpu);
        }
        if slot.is_none() {
            // Steal from the CPUs' local lists, starting at `next_steal`.
            let first = s.locals[cpu].next_steal;
            let mut steal = first;
            loop {
                slot = s
                    .local_pop_free(steal)
                    .or_else(|| self.local_pop_pending(s, steal, del));
                steal = (steal + 1) % s.locals.len();
                if slot.is_some() || steal == first {
                    break;
                }
            }
            s.locals[cpu].next_steal = steal;
        }
        let slot = slot?;
        // `__local_list_add_pending`.
        let link = &mut s.links[slot as usize];
        link.hash = hash;
        link.cpu = cpu as u32;
        link.kind = Kind::Pending;
        self.clear_ref(slot);
        // Both sources above took the slot off its list.
        let pending = s.locals[cpu].pending;
        s.list_add(slot, pending);
        Some(slot)
    }

    fn percpu_pop_free(
        &self,
        s: &mut LruState,
        cpu: usize,
        hash: u32,
        del: &mut dyn FnMut(u32, u32) -> bool,
    ) -> Option<u32> {
        self.rotate(s, cpu);
        let free = s.lists[cpu].heads[Kind::Free as usize];
        if s.is_empty(free) {
            self.shrink(s, cpu, PERCPU_FREE_TARGET, free, Kind::Free, del);
        }
        if s.is_empty(free) {
            return None;
        }
        let slot = s.links[free as usize].next;
        s.links[slot as usize].hash = hash;
        self.clear_ref(slot);
        self.node_move(s, cpu, slot, Kind::Inactive);
        Some(slot)
    }

    /// `bpf_lru_push_free`: the element in `slot` left the table.
    pub(crate) fn push_free(&self, s: &mut LruState, slot: u32) {
        let link = s.links[slot as usize];
        if matches!(link.kind, Kind::Free | Kind::LocalFree) {
            return;
        }
        if link.kind == Kind::Pending {
            s.links[slot as usize].kind = Kind::LocalFree;
            self.clear_ref(slot);
            let free = s.locals[link.cpu as usize].free;
            s.list_move(slot, free);
            return;
        }
        let l = if s.locals.is_empty() {
            link.cpu as usize
        } else {
            0
        };
        self.node_move(s, l, slot, Kind::Free);
    }

    /// `bpf_lru_list_pop_free_to_local`.
    fn pop_free_to_local(
        &self,
        s: &mut LruState,
        cpu: usize,
        del: &mut dyn FnMut(u32, u32) -> bool,
    ) {
        // `__local_list_flush`: oldest pending first, each to the head of its list.
        let pending = s.locals[cpu].pending;
        let mut node = s.links[pending as usize].prev;
        while node != pending {
            let prev = s.links[node as usize].prev;
            let kind = if self.is_ref(node) {
                Kind::Active
            } else {
                Kind::Inactive
            };
            // `__bpf_lru_node_move_in`.
            s.lists[0].counts[kind as usize] += 1;
            s.links[node as usize].kind = kind;
            self.clear_ref(node);
            let head = s.lists[0].heads[kind as usize];
            s.list_move(node, head);
            node = prev;
        }
        self.rotate(s, 0);
        let gfree = s.lists[0].heads[Kind::Free as usize];
        let lfree = s.locals[cpu].free;
        let mut nfree = 0;
        while !s.is_empty(gfree) && nfree < s.target_free {
            let node = s.links[gfree as usize].next;
            self.node_move_to_free(s, 0, node, lfree, Kind::LocalFree);
            nfree += 1;
        }
        if nfree < s.target_free {
            self.shrink(s, 0, s.target_free - nfree, lfree, Kind::LocalFree, del);
        }
    }

    /// `__local_list_pop_pending`: the oldest unreferenced pending slot whose element can be
    /// deleted, else the oldest deletable one.
    fn local_pop_pending(
        &self,
        s: &mut LruState,
        cpu: usize,
        del: &mut dyn FnMut(u32, u32) -> bool,
    ) -> Option<u32> {
        let pending = s.locals[cpu].pending;
        for force in [false, true] {
            let mut node = s.links[pending as usize].prev;
            while node != pending {
                if (force || !self.is_ref(node)) && del(node, s.links[node as usize].hash) {
                    s.list_del(node);
                    return Some(node);
                }
                node = s.links[node as usize].prev;
            }
        }
        None
    }

    /// `__bpf_lru_list_rotate`.
    fn rotate(&self, s: &mut LruState, l: usize) {
        let counts = s.lists[l].counts;
        if counts[Kind::Inactive as usize] < counts[Kind::Active as usize] {
            self.rotate_active(s, l);
        }
        self.rotate_inactive(s, l);
    }

    /// `__bpf_lru_list_rotate_active`: from the tail, referenced slots go back to the head,
    /// the others to the inactive list.
    fn rotate_active(&self, s: &mut LruState, l: usize) {
        let active = s.lists[l].heads[Kind::Active as usize];
        let first = s.links[active as usize].next;
        let mut node = s.links[active as usize].prev;
        let mut i = 0;
        while node != active {
            let prev = s.links[node as usize].prev;
            let kind = if self.is_ref(node) {
                Kind::Active
            } else {
                Kind::Inactive
            };
            self.node_move(s, l, node, kind);
            i += 1;
            if i == s.nr_scans || node == first {
                break;
            }
            node = prev;
        }
    }

    /// `__bpf_lru_list_rotate_inactive`: moves referenced inactive slots to the active list,
    /// resuming where the previous rotation stopped.
    fn rotate_inactive(&self, s: &mut LruState, l: usize) {
        let inactive = s.lists[l].heads[Kind::Inactive as usize];
        if s.is_empty(inactive) {
            return;
        }
        let mut last = s.links[s.lists[l].next_inactive_rotation as usize].next;
        if last == inactive {
            last = s.links[last as usize].next;
        }
        let mut cur = s.lists[l].next_inactive_rotation;
        let mut next = inactive;
        let mut i = 0;
        while i < s.nr_scans {
            if cur == inactive {
                cur = s.links[cur as usize].prev;
                continue;
            }
            next = s.links[cur as usize].prev;
            if self.is_ref(cur) {
                self.node_move(s, l, cur, Kind::Active);
            }
            if cur == last {
                break;
            }
            cur = next;
            i += 1;
        }
        s.lists[l].next_inactive_rotation = next;
    }

    /// `__bpf_lru_list_shrink`: frees up to `target` slots from the inactive tail onto
    /// `free`, else one slot ignoring reference bits. Returns how many were freed.
    fn shrink(
        &self,
        s: &mut LruState,
        l: usize,
        target: usize,
        free: u32,
        free_kind: Kind,
        del: &mut dyn FnMut(u32, u32) -> bool,
    ) -> usize {
        let inactive = s.lists[l].heads[Kind::Inactive as usize];
        let mut node = s.links[inactive as usize].prev;
        let (mut shrunk, mut i) = (0, 0);
        while node != inactive {
            let prev = s.links[node as usize].prev;
            if self.is_ref(node) {
                self.node_move(s, l, node, Kind::Active);
            } else if del(node, s.links[node as usize].hash) {
                self.node_move_to_free(s, l, node, free, free_kind);
                shrunk += 1;
                if shrunk == target {
                    break;
                }
            }
            i += 1;
            if i == s.nr_scans {
                break;
            }
            node = prev;
        }
        if shrunk > 0 {
            return shrunk;
        }
        let forced = if s.is_empty(inactive) {
            s.lists[l].heads[Kind::Active as usize]
        } else {
            inactive
        };
        let mut node = s.links[forced as usize].prev;
        while node != forced {
            let prev = s.links[node as usize].prev;
            if del(node, s.links[node as usize].hash) {
                self.node_move_to_free(s, l, node, free, free_kind);
                return 1;
            }
            node = prev;
        }
        0
    }

    /// `__bpf_lru_node_move`: to the head of list `kind` of `l`, clearing the reference bit.
    fn node_move(&self, s: &mut LruState, l: usize, node: u32, kind: Kind) {
        let old = s.links[node as usize].kind;
        if old.is_local() {
            return;
        }
        if old != kind {
            s.count_dec(l, old);
            s.count_inc(l, kind);
            s.links[node as usize].kind = kind;
        }
        self.clear_ref(node);
        s.skip_rotation(l, node);
        let head = s.lists[l].heads[kind as usize];
        s.list_move(node, head);
    }

    /// `__bpf_lru_node_move_to_free`: onto `free` (a global or local free list).
    fn node_move_to_free(&self, s: &mut LruState, l: usize, node: u32, free: u32, kind: Kind) {
        let old = s.links[node as usize].kind;
        if old.is_local() {
            return;
        }
        s.skip_rotation(l, node);
        s.count_dec(l, old);
        s.links[node as usize].kind = kind;
        s.list_move(node, free);
    }
}
