//! `BPF_MAP_TYPE_RINGBUF` (`kernel/bpf/ringbuf.c`): a multi-producer, single-consumer byte
//! ring with the kernel's record format.
//!
//! Memory: one page-aligned block, a metadata page followed by the data area twice over
//! (`2 * max_entries` bytes). A record is an 8-byte header (`len` with the BUSY bit 31 and
//! DISCARD bit 30, then `pg_off`, the header's page offset from the start of the kernel's
//! `struct bpf_ringbuf`, whose data begins at page [`KERNEL_DATA_PAGE`]) and the
//! sample, 8-byte aligned. The kernel maps the data pages twice so a record that wraps past
//! the end stays contiguous; here the second copy is real memory, which gives the same
//! contiguity: a wrapping record is written and read through the second half only. To keep
//! the bytes a program sees in a fresh reservation what the kernel shows (stale data of
//! earlier records: reservations are not zeroed), the wrapped part is copied from the start
//! of the data area into the second half at reserve, and back at commit, so both halves
//! hold what the kernel's one mapping holds.
//!
//! `pg_off` plays the kernel's role: from a sample pointer alone, [`commit_raw`] finds the
//! block and, in its metadata page, the ring's shared state — `bpf_ringbuf_submit` and
//! `bpf_ringbuf_discard` take no map argument.

use crate::spec::PAGE_SIZE;
use ebee_abi::{flags::*, Errno};
use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

const PAGE: usize = PAGE_SIZE as usize;
const HDR: u64 = BPF_RINGBUF_HDR_SZ as u64;
const MAX_RECORD: u64 = (u32::MAX / 4) as u64;
/// The page of the kernel's `struct bpf_ringbuf` where its data area starts (after the
/// header page and the consumer and producer position pages): record headers carry page
/// offsets counted from there, which a program can see in stale bytes of a reservation.
const KERNEL_DATA_PAGE: usize = 3;
/// ebee's data area starts one page (the metadata page) into the block.
const DATA_PAGE: usize = 1;

/// State shared by producers, committers and the consumer. Its address is stored in the
/// block's metadata page.
struct Shared {
    mask: u64,
    producer_pos: AtomicU64,
    consumer_pos: AtomicU64,
    reserve: Mutex<()>,
    wake_seq: Mutex<u64>,
    wake: Condvar,
}

pub(crate) struct RingBuf {
    block: NonNull<u8>,
    layout: Layout,
    shared: Box<Shared>,
    consumer: Mutex<()>,
}

// SAFETY: the block is plain memory owned by this struct; every access to it goes through
// atomics (headers, positions) or follows the reserve/commit/consume protocol, which hands
// each byte range to exactly one party at a time with release/acquire ordering.
unsafe impl Send for RingBuf {}
// SAFETY: as above.
unsafe impl Sync for RingBuf {}

impl RingBuf {
    pub(crate) fn new(size: u32) -> Option<RingBuf> {
        let bytes = PAGE.checked_add((size as usize).checked_mul(2)?)?;
        let layout = Layout::from_size_align(bytes, PAGE).ok()?;
        // SAFETY: `layout` has a non-zero size (at least one page).
        let block = NonNull::new(unsafe { alloc::alloc_zeroed(layout) })?;
        let shared = Box::new(Shared {
            mask: u64::from(size) - 1,
            producer_pos: AtomicU64::new(0),
            consumer_pos: AtomicU64::new(0),
            reserve: Mutex::new(()),
            wake_seq: Mutex::new(0),
            wake: Condvar::new(),
        });
        let rb = RingBuf {
            block,
            layout,
            shared,
            consumer: Mutex::new(()),
        };
        let back: *const Shared = &*rb.shared;
        rb.meta_word().store(back as u64, Release);
        Some(rb)
    }

    fn meta_word(&self) -> &AtomicU64 {
        // SAFETY: the block is page-aligned, at least one page long, zero-initialized, and
        // lives as long as `self`; its first word is only accessed atomically.
        unsafe { AtomicU64::from_ptr(self.block.as_ptr().cast()) }
    }

    fn data(&self) -> *mut u8 {
        self.block.as_ptr().wrapping_add(PAGE)
    }

    fn size(&self) -> u64 {
        self.shared.mask + 1
    }

    /// `bpf_ringbuf_reserve`: a pointer to `size` writable bytes, or `None` when `flags`
    /// is not 0, the record is too large or the ring has no room.
    pub(crate) fn reserve(&self, size: u64, flags: u64) -> Option<NonNull<u8>> {
        if flags != 0 || size > MAX_RECORD {
            return None;
        }
        let len = (size + HDR).next_multiple_of(8);
        if len > self.size() {
            return None;
        }
        let sh = &*self.shared;
        let cons = sh.consumer_pos.load(Acquire);
        let _lock = sh.reserve.lock().unwrap_or_else(|p| p.into_inner());
        let prod = sh.producer_pos.load(Relaxed);
        let new_prod = prod + len;
        if new_prod - cons > sh.mask {
            return None;
        }
        let off = (prod & sh.mask) as usize;
        let hdr = self.data().wrapping_add(off);
        let wrapped = (off + len as usize).saturating_sub(self.size() as usize);
        if wrapped > 0 {
            // The positions these ranges stand for are this reservation's (the second half)
            // and consumed ones of the previous lap (the start): no one else touches them.
            let start = self.data();
            let mirror = start.wrapping_add(self.size() as usize);
            // SAFETY: both ranges lie in the doubled data area and do not overlap
            // (`wrapped < size`), and no producer or consumer uses them now.
            unsafe { std::ptr::copy_nonoverlapping(start, mirror, wrapped) };
        }
        let pg_off = (KERNEL_DATA_PAGE + off / PAGE) as u32;
        // SAFETY: `off + 8 <= size` (offsets are 8-aligned, size a multiple of 8), so the
        // header lies inside the data area; it is 8-aligned and the range [prod, new_prod)
        // now belongs to this reservation only.
        let len_word = unsafe { AtomicU32::from_ptr(hdr.cast()) };
        len_word.store(size as u32 | BPF_RINGBUF_BUSY_BIT, Relaxed);
        // SAFETY: the header's second word, likewise.
        let page_word = unsafe { AtomicU32::from_ptr(hdr.wrapping_add(4).cast()) };
        page_word.store(pg_off, Relaxed);
        sh.producer_pos.store(new_prod, Release);
        NonNull::new(hdr.wrapping_add(HDR as usize))
    }

    /// Whether `sample` is the start of a sample in this ring's data area.
    fn owns(&self, sample: *mut u8) -> bool {
        let start = self.data() as usize + HDR as usize;
        let end = self.data() as usize + self.size() as usize;
        let p = sample as usize;
        p >= start && p <= end && (p - start).is_multiple_of(8)
    }

    /// `bpf_ringbuf_submit`/`bpf_ringbuf_discard` with a check that `sample` belongs to this
    /// ring and is still reserved: `-EINVAL` otherwise.
    pub(crate) fn commit(&self, sample: *mut u8, flags: u64, discard: bool) -> Result<(), Errno> {
        if !self.owns(sample) {
            return Err(Errno::EINVAL);
        }
        // SAFETY: `owns` checked that the header is an 8-aligned word of our data area.
        let len = unsafe { AtomicU32::from_ptr(sample.wrapping_sub(8).cast()) }.load(Acquire);
        if len & BPF_RINGBUF_BUSY_BIT == 0 {
            return Err(Errno::EINVAL);
        }
        // SAFETY: `sample` is a live reservation of this ring (checked above).
        unsafe { commit_raw(sample, flags, discard) };
        Ok(())
    }

    /// `bpf_ringbuf_output`: reserve, copy, submit.
    pub(crate) fn output(&self, data: &[u8], flags: u64) -> Result<(), Errno> {
        if flags & !(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP) != 0 {
            return Err(Errno::EINVAL);
        }
        let rec = self.reserve(data.len() as u64, 0).ok_or(Errno::EAGAIN)?;
        // SAFETY: `rec` points to `data.len()` reserved bytes that only this call writes.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), rec.as_ptr(), data.len()) };
        // SAFETY: `rec` is a live reservation of this ring, filled above.
        unsafe { commit_raw(rec.as_ptr(), flags, false) };
        Ok(())
    }

    /// `bpf_ringbuf_query`.
    pub(crate) fn query(&self, flags: u64) -> u64 {
        let sh = &*self.shared;
        match flags {
            BPF_RB_AVAIL_DATA => sh.producer_pos.load(Acquire) - sh.consumer_pos.load(Acquire),
            BPF_RB_RING_SIZE => self.size(),
            BPF_RB_CONS_POS => sh.consumer_pos.load(Acquire),
            BPF_RB_PROD_POS => sh.producer_pos.load(Acquire),
            _ => 0,
        }
    }

    /// The consumer: calls `f` on each submitted record in order, skipping discarded ones,
    /// and stops at the first record still being written. Returns the number of records
    /// passed to `f`.
    pub(crate) fn consume(&self, max: usize, f: &mut dyn FnMut(&[u8])) -> usize {
        let _one = self.consumer.lock().unwrap_or_else(|p| p.into_inner());
        let sh = &*self.shared;
        let mut cons = sh.consumer_pos.load(Acquire);
        let mut n = 0;
        while n < max {
            let prod = sh.producer_pos.load(Acquire);
            if cons >= prod {
                break;
            }
            let off = (cons & sh.mask) as usize;
            let hdr = self.data().wrapping_add(off);
            // SAFETY: `cons < prod`, so a header was published at this 8-aligned offset of the
            // data area (release store of `producer_pos`, acquired above).
            let len = unsafe { AtomicU32::from_ptr(hdr.cast()) }.load(Acquire);
            if len & BPF_RINGBUF_BUSY_BIT != 0 {
                break;
            }
            let size = u64::from(len & !(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT));
            if len & BPF_RINGBUF_DISCARD_BIT == 0 {
                let start = hdr.wrapping_add(8).cast_const();
                // SAFETY: the record is committed (acquire load above), lies in the doubled
                // data area, and is not rewritten before `consumer_pos` moves past it.
                let sample = unsafe { std::slice::from_raw_parts(start, size as usize) };
                f(sample);
                n += 1;
            }
            cons += (size + HDR).next_multiple_of(8);
            sh.consumer_pos.store(cons, Release);
        }
        n
    }

    /// Waits until data is available or `timeout` passes; returns whether data is there.
    pub(crate) fn wait(&self, timeout: Duration) -> bool {
        let sh = &*self.shared;
        let seq = sh.wake_seq.lock().unwrap_or_else(|p| p.into_inner());
        if self.query(BPF_RB_AVAIL_DATA) > 0 {
            return true;
        }
        let _ = sh
            .wake
            .wait_timeout_while(seq, timeout, |_| self.query(BPF_RB_AVAIL_DATA) == 0);
        self.query(BPF_RB_AVAIL_DATA) > 0
    }
}

impl Drop for RingBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with exactly this layout, freed once.
        unsafe { alloc::dealloc(self.block.as_ptr(), self.layout) };
    }
}

/// `bpf_ringbuf_submit` (`discard == false`) or `bpf_ringbuf_discard` on a sample pointer
/// alone, as the kernel does: the header's `pg_off` leads to the ring.
///
/// # Safety
/// `sample` must be a pointer returned by a ring buffer reservation
/// ([`crate::Map::ringbuf_reserve`]) that has not been committed yet, of a ring buffer map
/// that is still alive. A verified program guarantees this for the pointers it passes.
pub unsafe fn commit_raw(sample: *mut u8, flags: u64, discard: bool) {
    let hdr = sample.wrapping_sub(HDR as usize);
    // The header's `pg_off` word, less the kernel's data page and plus ours, gives the page
    // distance to the block start (derived from `hdr`, so it keeps the block's provenance),
    // whose first word holds the address of the ring's `Shared` (exposed when stored).
    // By the caller's guarantee `hdr` is the live, 8-aligned header of a reserved record, so
    // the block and its `Shared` are alive as long as the map.
    // SAFETY: the header's second word is inside the live header (see above).
    let page_word = unsafe { AtomicU32::from_ptr(hdr.wrapping_add(4).cast()) };
    let pg_off = page_word.load(Relaxed) as usize;
    let block = hdr
        .wrapping_sub(hdr as usize & (PAGE - 1))
        .wrapping_sub((pg_off - KERNEL_DATA_PAGE + DATA_PAGE) * PAGE);
    // SAFETY: the block's first word is the 8-aligned, live address word of its ring.
    let shared_word = unsafe { AtomicU64::from_ptr(block.cast()) };
    let shared_ptr = shared_word.load(Acquire) as *const Shared;
    // SAFETY: the word holds the address of the ring's `Shared`, alive with the map.
    let shared = unsafe { &*shared_ptr };
    // SAFETY: the header's first word, live and 8-aligned (see above).
    let len = unsafe { AtomicU32::from_ptr(hdr.cast()) };
    // A record that wraps was written in the second half: mirror its wrapped part to the
    // start before publishing it (see the module docs).
    let size = shared.mask as usize + 1;
    let data = block.wrapping_add(PAGE);
    let record = (len.load(Relaxed) & !BPF_RINGBUF_BUSY_BIT) as u64;
    let end = (hdr as usize - data as usize) + (record + HDR).next_multiple_of(8) as usize;
    if end > size {
        // SAFETY: both ranges lie in the doubled data area and do not overlap; the record is
        // still this reservation's, so no one else touches them.
        unsafe { std::ptr::copy_nonoverlapping(data.wrapping_add(size), data, end - size) };
    }
    let mut new_len = len.load(Relaxed) ^ BPF_RINGBUF_BUSY_BIT;
    if discard {
        new_len |= BPF_RINGBUF_DISCARD_BIT;
    }
    len.swap(new_len, AcqRel);
    let rec_pos = (hdr as usize - (block as usize + PAGE)) as u64;
    let cons_pos = shared.consumer_pos.load(Acquire) & shared.mask;
    if flags & BPF_RB_FORCE_WAKEUP != 0 || (cons_pos == rec_pos && flags & BPF_RB_NO_WAKEUP == 0) {
        let mut seq = shared.wake_seq.lock().unwrap_or_else(|p| p.into_inner());
        *seq = seq.wrapping_add(1);
        shared.wake.notify_all();
    }
}
