//! `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY` (`arraymap.c`): all elements
//! allocated and zeroed at creation, never freed or moved before the map is dropped, so
//! value pointers stay valid for the map's lifetime (global data sections rely on this).

use crate::hash::Who;
use crate::mem::{self, LockField};
use ebee_abi::{flags::*, Errno};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

/// Where an array map's elements lie ([`Map::array_layout`](crate::Map::array_layout)):
/// element `index`'s copy for CPU `cpu` is at `values + offset(index, cpu)`, valid for
/// `elem_size` bytes while the map lives (arrays never move or free their elements).
#[derive(Clone, Copy, Debug)]
pub struct ArrayLayout {
    /// The first element.
    pub values: NonNull<u8>,
    /// Elements (indexes `0..max_entries`).
    pub max_entries: u32,
    /// Bytes from one copy to the next: the value size rounded up to 8.
    pub elem_size: usize,
    /// Copies of each element: 1 for a plain array, one per CPU for a per-CPU array.
    pub copies: usize,
}

impl ArrayLayout {
    /// Bytes from `values` to element `index`'s copy for CPU `cpu` (0 for plain arrays).
    pub fn offset(&self, index: u32, cpu: usize) -> usize {
        (index as usize * self.copies + cpu) * self.elem_size
    }
}

pub(crate) struct ArrayMap {
    words: Box<[AtomicU64]>,
    max_entries: u32,
    /// `round_up(value_size, 8)`.
    elem: usize,
    /// 1 for plain arrays; the number of CPUs for per-CPU arrays.
    copies: usize,
    percpu: bool,
    lock: LockField,
}

/// The index a 4-byte array key names.
pub(crate) fn index_of(key: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(key.try_into().ok()?))
}

impl ArrayMap {
    pub(crate) fn new(
        max_entries: u32,
        value_size: u32,
        percpu: bool,
        ncpus: usize,
        lock: LockField,
    ) -> Option<ArrayMap> {
        let elem = (value_size as usize).next_multiple_of(8);
        let copies = if percpu { ncpus } else { 1 };
        let bytes = (elem as u64)
            .checked_mul(u64::from(max_entries))?
            .checked_mul(copies as u64)?;
        Some(ArrayMap {
            words: mem::alloc_words(bytes)?,
            max_entries,
            elem,
            copies,
            percpu,
            lock,
        })
    }

    fn offset(&self, index: u32, cpu: usize) -> usize {
        self.layout().offset(index, cpu)
    }

    pub(crate) fn layout(&self) -> ArrayLayout {
        ArrayLayout {
            values: NonNull::from(&*self.words).cast(),
            max_entries: self.max_entries,
            elem_size: self.elem,
            copies: self.copies,
        }
    }

    /// A pointer to element `index` (this CPU's copy for per-CPU arrays).
    #[inline]
    pub(crate) fn ptr(&self, index: u32, cpu: usize) -> Option<NonNull<u8>> {
        let cpu = if self.percpu { cpu } else { 0 };
        if index >= self.max_entries || cpu >= self.copies {
            return None;
        }
        let off = self.offset(index, cpu);
        NonNull::new(
            self.words
                .as_ptr()
                .cast::<u8>()
                .cast_mut()
                .wrapping_add(off),
        )
    }

    /// `array_map_update_elem` (programs, and the host for plain arrays) and
    /// `bpf_percpu_array_update` (the host for per-CPU arrays).
    pub(crate) fn update(
        &self,
        index: u32,
        value: &[u8],
        flags: u64,
        who: Who,
    ) -> Result<(), Errno> {
        let host_percpu = self.percpu && who == Who::Host;
        let bad = if host_percpu {
            flags > BPF_EXIST
        } else {
            (flags & !BPF_F_LOCK) > BPF_EXIST
        };
        if bad {
            return Err(Errno::EINVAL);
        }
        if index >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        if flags & BPF_NOEXIST != 0 {
            return Err(Errno::EEXIST);
        }
        if flags & BPF_F_LOCK != 0 && self.lock.0.is_none() {
            return Err(Errno::EINVAL);
        }
        match who {
            Who::Host if self.percpu => {
                for c in 0..self.copies {
                    let src = value.get(c * self.elem..(c + 1) * self.elem).unwrap_or(&[]);
                    mem::write(&self.words, self.offset(index, c), src);
                }
            }
            Who::Cpu(c) if self.percpu => {
                if c >= self.copies {
                    return Err(Errno::EINVAL);
                }
                mem::write(&self.words, self.offset(index, c), value);
            }
            _ => {
                let off = self.offset(index, 0);
                if flags & BPF_F_LOCK != 0 {
                    self.lock.locked(&self.words, off, || {
                        self.lock.copy_in(&self.words, off, value)
                    });
                } else {
                    self.lock.copy_in(&self.words, off, value);
                }
            }
        }
        Ok(())
    }

    /// Host-side lookup into `out`: the value, or every CPU's value (each rounded up to 8
    /// bytes) for per-CPU arrays.
    pub(crate) fn lookup_copy(&self, index: u32, out: &mut [u8], flags: u64) -> Result<(), Errno> {
        if index >= self.max_entries {
            return Err(Errno::ENOENT);
        }
        if self.percpu {
            for c in 0..self.copies {
                if let Some(dst) = out.get_mut(c * self.elem..(c + 1) * self.elem) {
                    mem::read(&self.words, self.offset(index, c), dst);
                }
            }
        } else {
            let off = self.offset(index, 0);
            if flags & BPF_F_LOCK != 0 {
                self.lock.locked(&self.words, off, || {
                    self.lock.copy_out(&self.words, off, out)
                });
            } else {
                self.lock.copy_out(&self.words, off, out);
            }
        }
        Ok(())
    }

    /// `bpf_for_each_map_elem` over every index.
    pub(crate) fn for_each(&self, cpu: usize, f: &mut dyn FnMut(*const u8, *mut u8) -> u64) -> u32 {
        let mut calls = 0;
        for i in 0..self.max_entries {
            let Some(value) = self.ptr(i, cpu) else {
                break;
            };
            calls += 1;
            let key = i.to_ne_bytes();
            if f(key.as_ptr(), value.as_ptr()) != 0 {
                break;
            }
        }
        calls
    }
}

/// `array_map_get_next_key`, shared by every array-shaped map: index 0 for no key or an
/// index out of range, `-ENOENT` after the last one.
pub(crate) fn next_index(key: Option<&[u8]>, max_entries: u32) -> Result<Vec<u8>, Errno> {
    let index = match key {
        None => u32::MAX,
        Some(k) => index_of(k).ok_or(Errno::EINVAL)?,
    };
    if index >= max_entries {
        return Ok(0u32.to_ne_bytes().to_vec());
    }
    if index == max_entries - 1 {
        return Err(Errno::ENOENT);
    }
    Ok((index + 1).to_ne_bytes().to_vec())
}
