//! Reading records that programs emit: `BPF_MAP_TYPE_RINGBUF` and
//! `BPF_MAP_TYPE_PERF_EVENT_ARRAY`, through aya's mmap-based readers. They are built on a
//! duplicate of the map's fd (`MapData::from_fd`), so they work the same whichever
//! [`crate::Loader`] created the map.

use std::os::fd::OwnedFd;

use aya::maps::perf::{PerfEvent, PerfEventArrayBuffer};
use aya::maps::{Map, MapData, PerfEventArray, RingBuf};

use crate::consts::{BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_RINGBUF};
use crate::error::{chain, Error, Result};
use crate::object::KernelObject;

/// The open per-CPU buffers of one perf event array.
pub(crate) struct PerfState {
    // Kept alive so the buffers stay registered in the map.
    _array: PerfEventArray<MapData>,
    buffers: Vec<(u32, PerfEventArrayBuffer<MapData>)>,
}

/// One record read from a perf event array buffer.
///
/// # Example
///
/// ```
/// use ebee_kernel::PerfRecord;
///
/// let r = PerfRecord::Sample { cpu: 0, data: vec![1, 2, 3, 4] };
/// assert!(matches!(r, PerfRecord::Sample { cpu: 0, .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PerfRecord {
    /// A `bpf_perf_event_output()` sample. The kernel pads raw samples so that
    /// `4 + len` is a multiple of 8, so `data` may carry up to 7 trailing bytes
    /// beyond what the program wrote.
    Sample {
        /// The CPU whose buffer held it.
        cpu: u32,
        /// The sample bytes (with the kernel's padding).
        data: Vec<u8>,
    },
    /// The kernel dropped `count` samples because the buffer was full.
    Lost {
        /// The CPU whose buffer overflowed.
        cpu: u32,
        /// How many samples were lost.
        count: u64,
    },
}

impl KernelObject {
    /// Reads and consumes every record currently in ring buffer `name`
    /// (`BPF_MAP_TYPE_RINGBUF`), oldest first. Discarded records are skipped.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let mut obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// for record in obj.ringbuf_drain("events")? {
    ///     println!("{record:?}");
    /// }
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn ringbuf_drain(&mut self, name: &str) -> Result<Vec<Vec<u8>>> {
        let data = self.map_data(name, BPF_MAP_TYPE_RINGBUF, "a ring buffer")?;
        let mut ring = RingBuf::try_from(Map::RingBuf(data)).map_err(|e| Error::Map(chain(&e)))?;
        let mut out = Vec::new();
        while let Some(item) = ring.next() {
            out.push(item.to_vec());
        }
        Ok(out)
    }

    /// Opens a perf buffer of `page_count` pages (a power of two) for every online
    /// CPU of perf event array `name` and stores it in the map, so that later
    /// `bpf_perf_event_output(..., BPF_F_CURRENT_CPU, ...)` calls have somewhere to
    /// write. Must be called before the program runs; calling it again is a no-op.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let mut obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// obj.perf_open("events", 8)?;
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn perf_open(&mut self, name: &str, page_count: usize) -> Result<()> {
        if self.perf.contains_key(name) {
            return Ok(());
        }
        if !page_count.is_power_of_two() {
            return Err(Error::InvalidArgument(format!(
                "perf buffer page count {page_count} is not a power of two"
            )));
        }
        let cpus = aya::util::online_cpus()
            .map_err(|(path, e)| Error::Map(format!("reading {path}: {e}")))?;
        let data = self.map_data(name, BPF_MAP_TYPE_PERF_EVENT_ARRAY, "a perf event array")?;
        let mut array = PerfEventArray::try_from(Map::PerfEventArray(data))
            .map_err(|e| Error::Map(chain(&e)))?;
        let mut buffers = Vec::with_capacity(cpus.len());
        for cpu in cpus {
            let buf = array
                .open(cpu, Some(page_count))
                .map_err(|e| Error::Map(format!("perf buffer for cpu {cpu}: {}", chain(&e))))?;
            buffers.push((cpu, buf));
        }
        self.perf.insert(
            name.to_owned(),
            PerfState {
                _array: array,
                buffers,
            },
        );
        Ok(())
    }

    /// Reads and consumes every record in the perf buffers opened by
    /// [`Self::perf_open`], CPU by CPU.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let mut obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// obj.perf_open("events", 8)?;
    /// // ... obj.test_run(...) ...
    /// for r in obj.perf_read("events")? {
    ///     println!("{r:?}");
    /// }
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn perf_read(&mut self, name: &str) -> Result<Vec<PerfRecord>> {
        let state = self.perf.get_mut(name).ok_or_else(|| {
            Error::InvalidArgument(format!("perf_open(\"{name}\", ..) was not called"))
        })?;
        let mut out = Vec::new();
        for (cpu, buf) in &mut state.buffers {
            let cpu = *cpu;
            buf.for_each(|event| match event {
                PerfEvent::Sample { head, tail } => {
                    let mut data = Vec::with_capacity(head.len() + tail.len());
                    data.extend_from_slice(head);
                    data.extend_from_slice(tail);
                    out.push(PerfRecord::Sample { cpu, data });
                }
                PerfEvent::Lost { count } => out.push(PerfRecord::Lost { cpu, count }),
            });
        }
        Ok(out)
    }

    /// aya's view of map `name` (over a duplicate of its fd), which must be of `map_type`.
    fn map_data(&self, name: &str, map_type: u32, what: &str) -> Result<MapData> {
        let slot = self
            .maps
            .get(name)
            .ok_or_else(|| Error::UnknownMap(name.to_owned()))?;
        if slot.info.map_type != map_type {
            return Err(Error::Map(format!("map `{name}` is not {what}")));
        }
        let fd: OwnedFd = slot
            .raw
            .fd()
            .try_clone_to_owned()
            .map_err(|e| Error::syscall("dup", e))?;
        MapData::from_fd(fd).map_err(|e| Error::Map(chain(&e)))
    }
}
