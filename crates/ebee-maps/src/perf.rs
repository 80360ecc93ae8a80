//! `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: `bpf_perf_event_output` writes a sample into the
//! per-CPU buffer attached at an index, and the host reads the buffers.
//!
//! The host attaches a buffer at index `i` with [`crate::Map::perf_open`]; it stands for a
//! `PERF_COUNT_SW_BPF_OUTPUT` event opened on CPU `i`, as libbpf's `perf_buffer` opens them.
//! So, as in the kernel, output to an index without a buffer is `-ENOENT`, an index past
//! `max_entries` `-E2BIG`, and an explicit index other than the running CPU `-EOPNOTSUPP`
//! (use `BPF_F_CURRENT_CPU`). A full buffer drops the sample (`-ENOSPC`) and counts it; the
//! reader then sees a [`PerfRecord::Lost`] before the next sample, like `PERF_RECORD_LOST`.
//! Samples are padded with zeros to `round_up(size + 4, 8) - 4` bytes, the raw-sample size
//! perf reports.

use ebee_abi::{flags::*, Errno};
use std::collections::VecDeque;
use std::sync::Mutex;

/// One record read from a perf event buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PerfRecord {
    /// A sample a program wrote (zero-padded as perf pads raw samples).
    Sample(Vec<u8>),
    /// This many samples were dropped because the buffer was full.
    Lost(u64),
}

impl PerfRecord {
    /// Bytes the record takes in a kernel perf ring (header included).
    fn ring_size(&self) -> usize {
        match self {
            PerfRecord::Sample(d) => 8 + 4 + d.len(),
            PerfRecord::Lost(_) => 24,
        }
    }
}

struct Buffer {
    records: VecDeque<PerfRecord>,
    used: usize,
    capacity: usize,
    lost: u64,
}

pub(crate) struct PerfEventArray {
    slots: Box<[Mutex<Option<Buffer>>]>,
}

impl PerfEventArray {
    pub(crate) fn new(max_entries: u32) -> Option<PerfEventArray> {
        let mut v = Vec::new();
        v.try_reserve_exact(max_entries as usize).ok()?;
        v.resize_with(max_entries as usize, || Mutex::new(None));
        Some(PerfEventArray {
            slots: v.into_boxed_slice(),
        })
    }

    fn slot(&self, index: u64) -> Result<std::sync::MutexGuard<'_, Option<Buffer>>, Errno> {
        let slot = self.slots.get(index as usize).ok_or(Errno::E2BIG)?;
        Ok(slot.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// `bpf_perf_event_output` from a program running on `cpu`. `flags` holds the index (or
    /// `BPF_F_CURRENT_CPU`); the helper strips `BPF_F_CTXLEN_MASK` after appending context
    /// bytes itself.
    pub(crate) fn output(&self, cpu: usize, flags: u64, data: &[u8]) -> Result<(), Errno> {
        if flags & !(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK) != 0 {
            return Err(Errno::EINVAL);
        }
        let mut index = flags & BPF_F_INDEX_MASK;
        if index == BPF_F_CURRENT_CPU {
            index = cpu as u64;
        }
        let mut slot = self.slot(index)?;
        let buf = slot.as_mut().ok_or(Errno::ENOENT)?;
        if index != cpu as u64 {
            return Err(Errno::EOPNOTSUPP);
        }
        let padded = (data.len() + 4).next_multiple_of(8) - 4;
        let mut sample = Vec::with_capacity(padded);
        sample.extend_from_slice(data);
        sample.resize(padded, 0);
        let rec = PerfRecord::Sample(sample);
        let lost_rec = (buf.lost > 0).then_some(PerfRecord::Lost(buf.lost));
        let need = rec.ring_size() + lost_rec.as_ref().map_or(0, PerfRecord::ring_size);
        if buf.used + need > buf.capacity {
            buf.lost += 1;
            return Err(Errno::ENOSPC);
        }
        if let Some(lost) = lost_rec {
            buf.lost = 0;
            buf.used += lost.ring_size();
            buf.records.push_back(lost);
        }
        buf.used += rec.ring_size();
        buf.records.push_back(rec);
        Ok(())
    }

    /// `bpf_perf_event_read` (`get_map_perf_counter` + `perf_event_read_local`) from a
    /// program on `cpu`: `-EINVAL` for flags beyond the index, `-E2BIG` past `max_entries`,
    /// `-ENOENT` without an event, `-EINVAL` for an event of another CPU; else the event's
    /// count, which for a `PERF_COUNT_SW_BPF_OUTPUT` event (what every entry is) stays 0:
    /// output does not count.
    pub(crate) fn read_counter(&self, cpu: usize, flags: u64) -> Result<u64, Errno> {
        if flags & !BPF_F_INDEX_MASK != 0 {
            return Err(Errno::EINVAL);
        }
        let mut index = flags & BPF_F_INDEX_MASK;
        if index == BPF_F_CURRENT_CPU {
            index = cpu as u64;
        }
        let slot = self.slot(index)?;
        slot.as_ref().ok_or(Errno::ENOENT)?;
        if index != cpu as u64 {
            return Err(Errno::EINVAL);
        }
        Ok(0)
    }

    /// Attaches an empty buffer of `capacity` bytes at `index` (replacing any).
    pub(crate) fn open(&self, index: u32, capacity: usize) -> Result<(), Errno> {
        *self.slot(u64::from(index))? = Some(Buffer {
            records: VecDeque::new(),
            used: 0,
            capacity,
            lost: 0,
        });
        Ok(())
    }

    /// Detaches the buffer at `index`.
    pub(crate) fn close(&self, index: u32) -> Result<(), Errno> {
        self.slot(u64::from(index))?
            .take()
            .map(|_| ())
            .ok_or(Errno::ENOENT)
    }

    /// The oldest unread record at `index`.
    pub(crate) fn read(&self, index: u32) -> Result<Option<PerfRecord>, Errno> {
        let mut slot = self.slot(u64::from(index))?;
        let buf = slot.as_mut().ok_or(Errno::ENOENT)?;
        let rec = buf.records.pop_front();
        if let Some(r) = &rec {
            buf.used -= r.ring_size();
        }
        Ok(rec)
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}
