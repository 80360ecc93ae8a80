//! Value memory: storage shared with running programs, the map side's atomic copies into and
//! out of it, and `struct bpf_spin_lock`.
//!
//! Values live in `[AtomicU64]` slices. A program gets a raw pointer into such a slice and
//! reads and writes it without locks, as kernel programs do. Everything the map side does to
//! that memory is an atomic access (relaxed, word- or byte-sized; the sizes used on a byte
//! depend only on the value layout, so two map-side copies never mix access sizes on the same
//! byte), so the map side never races non-atomically with itself or with another copy. What a
//! program sees of a value that the host or another program writes at the same time is what
//! the kernel gives too: any mix of old and new bytes. Use `BPF_F_LOCK` and a
//! `bpf_spin_lock` for consistency.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::*};

/// Allocates `bytes` (rounded up to 8) of zeroed value memory, or `None` when the allocator
/// refuses.
pub(crate) fn alloc_words(bytes: u64) -> Option<Box<[AtomicU64]>> {
    let words = usize::try_from(bytes.div_ceil(8)).ok()?;
    let mut v: Vec<AtomicU64> = Vec::new();
    v.try_reserve_exact(words).ok()?;
    v.resize_with(words, || AtomicU64::new(0));
    Some(v.into_boxed_slice())
}

/// Value memory of one element: up to 16 bytes inline (in the element itself, which never
/// moves once published), more on the heap. Dereferences to its words.
pub(crate) enum Words {
    Inline { n: u8, w: [AtomicU64; 2] },
    Heap(Box<[AtomicU64]>),
}

impl Words {
    /// Zeroed storage for `bytes` bytes (rounded up to 8), or `None` when the allocator
    /// refuses.
    pub(crate) fn new(bytes: u64) -> Option<Words> {
        if bytes <= 16 {
            let w = [AtomicU64::new(0), AtomicU64::new(0)];
            return Some(Words::Inline {
                n: bytes.div_ceil(8) as u8,
                w,
            });
        }
        alloc_words(bytes).map(Words::Heap)
    }
}

impl std::ops::Deref for Words {
    type Target = [AtomicU64];

    #[inline(always)]
    fn deref(&self) -> &[AtomicU64] {
        match self {
            Words::Inline { n, w } => &w[..usize::from(*n).min(2)],
            Words::Heap(b) => b,
        }
    }
}

/// The byte at `index` (0..8) of `word`, as an atomic byte.
fn byte_of(word: &AtomicU64, index: usize) -> &AtomicU8 {
    debug_assert!(index < 8);
    // SAFETY: `word.as_ptr()` points to 8 valid, initialized bytes that live as long as
    // `word` and are only ever accessed atomically by this crate; `index < 8` keeps the
    // pointer inside them, and `AtomicU8` needs no alignment.
    let byte = word.as_ptr().cast::<u8>().wrapping_add(index & 7);
    // SAFETY: see above; `byte` is inside `word`.
    unsafe { AtomicU8::from_ptr(byte) }
}

/// The 4-byte half `half` (0 or 1) of `word`, as an atomic u32.
fn half_of(word: &AtomicU64, half: usize) -> &AtomicU32 {
    let half = word.as_ptr().cast::<u8>().wrapping_add((half & 1) * 4);
    // SAFETY: as in `byte_of`; offset 0 or 4 inside an 8-aligned word is 4-aligned, which
    // is what `AtomicU32` requires.
    unsafe { AtomicU32::from_ptr(half.cast()) }
}

/// Copies `out.len()` bytes starting at byte `off` of `words` into `out`.
/// Bytes past the end of `words` read as zero (callers never ask for them).
pub(crate) fn read(words: &[AtomicU64], off: usize, out: &mut [u8]) {
    let mut pos = off;
    let mut o = 0;
    while o < out.len() {
        let Some(word) = words.get(pos / 8) else {
            out[o..].fill(0);
            return;
        };
        let b = pos % 8;
        let left = out.len() - o;
        if b == 0 && left >= 8 {
            out[o..o + 8].copy_from_slice(&word.load(Relaxed).to_ne_bytes());
            pos += 8;
            o += 8;
        } else if b.is_multiple_of(4) && left >= 4 {
            out[o..o + 4].copy_from_slice(&half_of(word, b / 4).load(Relaxed).to_ne_bytes());
            pos += 4;
            o += 4;
        } else {
            out[o] = byte_of(word, b).load(Relaxed);
            pos += 1;
            o += 1;
        }
    }
}

/// Copies `src` into `words` starting at byte `off`. Bytes past the end are dropped
/// (callers never write them).
pub(crate) fn write(words: &[AtomicU64], off: usize, src: &[u8]) {
    let mut pos = off;
    let mut i = 0;
    while i < src.len() {
        let Some(word) = words.get(pos / 8) else {
            return;
        };
        let b = pos % 8;
        let left = src.len() - i;
        if b == 0 && left >= 8 {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&src[i..i + 8]);
            word.store(u64::from_ne_bytes(bytes), Relaxed);
            pos += 8;
            i += 8;
        } else if b.is_multiple_of(4) && left >= 4 {
            let mut bytes = [0u8; 4];
            bytes.copy_from_slice(&src[i..i + 4]);
            half_of(word, b / 4).store(u32::from_ne_bytes(bytes), Relaxed);
            pos += 4;
            i += 4;
        } else {
            byte_of(word, b).store(src[i], Relaxed);
            pos += 1;
            i += 1;
        }
    }
}

/// Immutable key bytes: up to 16 bytes (IPv4/IPv6 tuples, most keys) stored inline, so a
/// lookup compares them without following another pointer.
#[derive(Clone)]
pub(crate) enum KeyBytes {
    Inline { len: u8, bytes: [u8; 16] },
    Heap(Box<[u8]>),
}

impl KeyBytes {
    pub(crate) fn new(key: &[u8]) -> KeyBytes {
        if key.len() <= 16 {
            let mut bytes = [0u8; 16];
            bytes[..key.len()].copy_from_slice(key);
            KeyBytes::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            KeyBytes::Heap(key.into())
        }
    }

    #[inline(always)]
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            KeyBytes::Inline { len, bytes } => &bytes[..usize::from(*len).min(16)],
            KeyBytes::Heap(b) => b,
        }
    }
}

/// Where a value's `bpf_spin_lock` sits, relative to the value's start.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LockField(pub(crate) Option<usize>);

impl LockField {
    /// The kernel's `copy_map_value`: copies `src` into the value at byte `off`, leaving the
    /// lock word untouched.
    pub(crate) fn copy_in(self, words: &[AtomicU64], off: usize, src: &[u8]) {
        match self.0 {
            Some(l) if l + 4 <= src.len() => {
                write(words, off, &src[..l]);
                write(words, off + l + 4, &src[l + 4..]);
            }
            _ => write(words, off, src),
        }
    }

    /// Copies the value at byte `off` out, with the lock word zeroed as the kernel's
    /// `check_and_init_map_value` does.
    pub(crate) fn copy_out(self, words: &[AtomicU64], off: usize, out: &mut [u8]) {
        read(words, off, out);
        if let Some(l) = self.0 {
            if let Some(lock) = out.get_mut(l..l + 4) {
                lock.fill(0);
            }
        }
    }

    /// The kernel's `copy_map_value_locked`: like [`LockField::copy_in`] or
    /// [`LockField::copy_out`], holding the value's lock.
    pub(crate) fn locked<R>(self, words: &[AtomicU64], off: usize, f: impl FnOnce() -> R) -> R {
        let Some(l) = self.0 else { return f() };
        let pos = off + l;
        let Some(word) = words.get(pos / 8) else {
            return f();
        };
        let lock = half_of(word, (pos % 8) / 4);
        spin_lock(lock);
        let r = f();
        lock.store(0, Release);
        r
    }
}

fn spin_lock(lock: &AtomicU32) {
    let mut spins = 0u32;
    while lock.compare_exchange_weak(0, 1, Acquire, Relaxed).is_err() {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(64) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

/// `bpf_spin_lock(lock)`: takes the `struct bpf_spin_lock` at `lock`, spinning (and yielding
/// to the OS now and then) while another thread holds it. The lock is the 4-byte word the
/// map's `spin_lock_offset` names; `BPF_F_LOCK` updates and lookups take the same lock.
///
/// # Safety
/// `lock` must be 4-byte aligned and point to a `bpf_spin_lock` inside a map value that
/// stays allocated for the call (a pointer a lookup returned, used under the same
/// [`crate::Guard`]), and only be accessed as a lock. A verified program guarantees this.
///
/// ```
/// use ebee_maps::{Map, MapSpec, MapType, pin};
/// let map = Map::create(MapSpec::new("m", MapType::Array, 4, 8, 1).with_spin_lock(0), 1)?;
/// let guard = pin();
/// let value = map.lookup_ptr(&0u32.to_ne_bytes(), 0, &guard).unwrap();
/// // SAFETY: the value holds the lock at offset 0 and stays valid while `guard` is pinned.
/// unsafe {
///     ebee_maps::bpf_spin_lock(value.as_ptr());
///     ebee_maps::bpf_spin_unlock(value.as_ptr());
/// }
/// # Ok::<(), ebee_maps::MapError>(())
/// ```
pub unsafe fn bpf_spin_lock(lock: *mut u8) {
    // SAFETY: the caller guarantees an aligned, live lock word only used atomically.
    spin_lock(unsafe { AtomicU32::from_ptr(lock.cast()) });
}

/// `bpf_spin_unlock(lock)`: releases a lock taken with [`bpf_spin_lock`].
///
/// # Safety
/// As for [`bpf_spin_lock`]; the calling thread must hold the lock.
pub unsafe fn bpf_spin_unlock(lock: *mut u8) {
    // SAFETY: the caller guarantees an aligned, live lock word only used atomically.
    unsafe { AtomicU32::from_ptr(lock.cast()) }.store(0, Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unaligned_copies_round_trip() {
        let words = alloc_words(32).unwrap();
        let src: Vec<u8> = (1..=19).collect();
        write(&words, 3, &src);
        let mut out = vec![0; 19];
        read(&words, 3, &mut out);
        assert_eq!(out, src);
        let mut first = [9u8; 3];
        read(&words, 0, &mut first);
        assert_eq!(first, [0, 0, 0]);
    }

    #[test]
    fn lock_field_is_skipped_and_zeroed() {
        let words = alloc_words(16).unwrap();
        let lf = LockField(Some(4));
        write(&words, 4, &7u32.to_ne_bytes());
        lf.copy_in(&words, 0, &[1; 12]);
        let mut raw = [0u8; 12];
        read(&words, 0, &mut raw);
        assert_eq!(&raw[4..8], &7u32.to_ne_bytes());
        write(&words, 4, &0u32.to_ne_bytes());
        let mut out = [0u8; 12];
        lf.locked(&words, 0, || lf.copy_out(&words, 0, &mut out));
        assert_eq!(out, [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    }
}
