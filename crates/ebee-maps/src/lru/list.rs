//! The `list.h` operations on the slots of `LruState` (circular lists with head slots), and
//! the small helpers of `bpf_lru_list.c` that only touch the lists.

use super::{Kind, Link, LruState};

impl LruState {
    pub(super) fn is_empty(&self, head: u32) -> bool {
        self.links[head as usize].next == head
    }

    pub(super) fn list_del(&mut self, i: u32) {
        let Link { prev, next, .. } = self.links[i as usize];
        self.links[prev as usize].next = next;
        self.links[next as usize].prev = prev;
    }

    /// `list_add`: right after `head`.
    pub(super) fn list_add(&mut self, i: u32, head: u32) {
        let next = self.links[head as usize].next;
        self.links[i as usize].prev = head;
        self.links[i as usize].next = next;
        self.links[next as usize].prev = i;
        self.links[head as usize].next = i;
    }

    pub(super) fn list_move(&mut self, i: u32, head: u32) {
        self.list_del(i);
        self.list_add(i, head);
    }

    pub(super) fn count_inc(&mut self, l: usize, kind: Kind) {
        if let Some(c) = self.lists[l].counts.get_mut(kind as usize) {
            *c += 1;
        }
    }

    pub(super) fn count_dec(&mut self, l: usize, kind: Kind) {
        if let Some(c) = self.lists[l].counts.get_mut(kind as usize) {
            *c -= 1;
        }
    }

    /// Keeps `next_inactive_rotation` off a slot that leaves its place.
    pub(super) fn skip_rotation(&mut self, l: usize, node: u32) {
        if self.lists[l].next_inactive_rotation == node {
            self.lists[l].next_inactive_rotation = self.links[node as usize].prev;
        }
    }

    /// `__local_list_pop_free`.
    pub(super) fn local_pop_free(&mut self, cpu: usize) -> Option<u32> {
        let free = self.locals[cpu].free;
        if self.is_empty(free) {
            return None;
        }
        let slot = self.links[free as usize].next;
        self.list_del(slot);
        Some(slot)
    }
}
