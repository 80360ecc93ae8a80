//! The arrays whose values are handles (`fd_array_map` in `arraymap.c`):
//! `BPF_MAP_TYPE_PROG_ARRAY` (program ids, which the caller resolves to programs for
//! `bpf_tail_call`) and `BPF_MAP_TYPE_ARRAY_OF_MAPS` (inner maps). Only the host updates
//! them, with `BPF_ANY`; an index out of range is `-E2BIG`, deleting an empty slot
//! `-ENOENT`.

use crate::{Guard, Map};
use crossbeam_epoch::{self as epoch, Atomic, Owned};
use ebee_abi::{flags::BPF_ANY, Errno};
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::Arc;

const PRESENT: u64 = 1 << 32;

/// Program ids, stored as `PRESENT | id` (0 = empty).
pub(crate) struct ProgArray {
    slots: Box<[AtomicU64]>,
}

impl ProgArray {
    pub(crate) fn new(max_entries: u32) -> Option<ProgArray> {
        Some(ProgArray {
            slots: crate::mem::alloc_words(u64::from(max_entries) * 8)?,
        })
    }

    /// The program id in slot `index`, for `bpf_tail_call`.
    #[inline]
    pub(crate) fn get(&self, index: u32) -> Option<u32> {
        let v = self.slots.get(index as usize)?.load(Acquire);
        (v & PRESENT != 0).then_some(v as u32)
    }

    pub(crate) fn set(&self, index: u32, id: u32, flags: u64) -> Result<(), Errno> {
        if flags != BPF_ANY {
            return Err(Errno::EINVAL);
        }
        let slot = self.slots.get(index as usize).ok_or(Errno::E2BIG)?;
        slot.store(PRESENT | u64::from(id), Release);
        Ok(())
    }

    pub(crate) fn clear(&self, index: u32) -> Result<(), Errno> {
        let slot = self.slots.get(index as usize).ok_or(Errno::E2BIG)?;
        match slot.swap(0, AcqRel) {
            0 => Err(Errno::ENOENT),
            _ => Ok(()),
        }
    }
}

/// Inner maps. A replaced or deleted inner map is released only when no guard that could
/// have looked it up is still pinned.
pub(crate) struct MapArray {
    slots: Box<[Atomic<Arc<Map>>]>,
}

impl MapArray {
    pub(crate) fn new(max_entries: u32) -> Option<MapArray> {
        let mut v = Vec::new();
        v.try_reserve_exact(max_entries as usize).ok()?;
        v.resize_with(max_entries as usize, Atomic::null);
        Some(MapArray {
            slots: v.into_boxed_slice(),
        })
    }

    /// The inner map in slot `index`, valid while `guard` is pinned.
    #[inline]
    pub(crate) fn get<'g>(&self, index: u32, guard: &'g Guard) -> Option<&'g Map> {
        let slot = self.slots.get(index as usize)?;
        // SAFETY: a slot's box is only freed through `defer_destroy` after it was replaced,
        // so it outlives every guard pinned while it was stored, such as `guard`.
        let arc = unsafe { slot.load(Acquire, &guard.0).as_ref()? };
        Some(&**arc)
    }

    pub(crate) fn get_arc(&self, index: u32) -> Option<Arc<Map>> {
        let guard = crate::pin();
        let slot = self.slots.get(index as usize)?;
        // SAFETY: as in `get`.
        let arc = unsafe { slot.load(Acquire, &guard.0).as_ref()? };
        Some(Arc::clone(arc))
    }

    /// Stores `inner` in slot `index` (`None` clears it); returns whether the slot held a map.
    pub(crate) fn swap(&self, index: u32, inner: Option<Arc<Map>>) -> Result<bool, Errno> {
        let slot = self.slots.get(index as usize).ok_or(Errno::E2BIG)?;
        let guard = epoch::pin();
        let new = match inner {
            Some(m) => Owned::new(m).into_shared(&guard),
            None => epoch::Shared::null(),
        };
        let old = slot.swap(new, AcqRel, &guard);
        if old.is_null() {
            return Ok(false);
        }
        // SAFETY: `old` was taken out of the slot by this swap, so no new reader can reach it
        // and no one else retires it; readers pinned earlier are waited for.
        unsafe { guard.defer_destroy(old) };
        crate::note_retired(&guard);
        Ok(true)
    }
}

impl Drop for MapArray {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no other thread can reach the slots any more.
        let guard = unsafe { epoch::unprotected() };
        for slot in self.slots.iter() {
            let p = slot.swap(epoch::Shared::null(), Relaxed, guard);
            if !p.is_null() {
                // SAFETY: `p` is a box owned by this slot, taken out once.
                drop(unsafe { p.into_owned() });
            }
        }
    }
}
