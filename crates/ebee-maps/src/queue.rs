//! `BPF_MAP_TYPE_QUEUE` (FIFO) and `BPF_MAP_TYPE_STACK` (LIFO), as `queue_stack_maps.c`:
//! a ring of `max_entries + 1` slots under one lock. Pushing into a full map is `-E2BIG`
//! unless the flags are `BPF_EXIST`, which drops the oldest element; popping or peeking an
//! empty map is `-ENOENT` (and zeroes the output, as the kernel does).

use ebee_abi::{flags::*, Errno};
use std::sync::Mutex;

struct Ring {
    head: usize,
    tail: usize,
    data: Box<[u8]>,
}

pub(crate) struct QueueStack {
    ring: Mutex<Ring>,
    /// `max_entries + 1`.
    slots: usize,
    value_size: usize,
    lifo: bool,
}

impl QueueStack {
    pub(crate) fn new(max_entries: u32, value_size: u32, lifo: bool) -> Option<QueueStack> {
        let slots = max_entries as usize + 1;
        let bytes = slots.checked_mul(value_size as usize)?;
        let mut data = Vec::new();
        data.try_reserve_exact(bytes).ok()?;
        data.resize(bytes, 0);
        Some(QueueStack {
            ring: Mutex::new(Ring {
                head: 0,
                tail: 0,
                data: data.into_boxed_slice(),
            }),
            slots,
            value_size: value_size as usize,
            lifo,
        })
    }

    fn slot(&self, i: usize) -> std::ops::Range<usize> {
        i * self.value_size..(i + 1) * self.value_size
    }

    /// `bpf_map_push_elem`.
    pub(crate) fn push(&self, value: &[u8], flags: u64) -> Result<(), Errno> {
        if flags & BPF_NOEXIST != 0 || flags > BPF_EXIST || value.len() != self.value_size {
            return Err(Errno::EINVAL);
        }
        let mut r = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if (r.head + 1) % self.slots == r.tail {
            if flags & BPF_EXIST == 0 {
                return Err(Errno::E2BIG);
            }
            r.tail = (r.tail + 1) % self.slots;
        }
        let range = self.slot(r.head);
        r.data[range].copy_from_slice(value);
        r.head = (r.head + 1) % self.slots;
        Ok(())
    }

    /// `bpf_map_pop_elem` (`delete`) or `bpf_map_peek_elem` into `out`.
    pub(crate) fn get(&self, out: &mut [u8], delete: bool) -> Result<(), Errno> {
        if out.len() != self.value_size {
            return Err(Errno::EINVAL);
        }
        let mut r = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if r.head == r.tail {
            out.fill(0);
            return Err(Errno::ENOENT);
        }
        let index = if self.lifo {
            (r.head + self.slots - 1) % self.slots
        } else {
            r.tail
        };
        out.copy_from_slice(&r.data[self.slot(index)]);
        if delete {
            if self.lifo {
                r.head = index;
            } else {
                r.tail = (r.tail + 1) % self.slots;
            }
        }
        Ok(())
    }

    /// Number of elements held.
    pub(crate) fn len(&self) -> usize {
        let r = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        (r.head + self.slots - r.tail) % self.slots
    }
}
