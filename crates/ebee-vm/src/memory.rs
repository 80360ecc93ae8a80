//! Memory regions a program may touch, and the bounds checks of checked mode.

use crate::error::{Access, VmError};
use std::any::Any;
use std::marker::PhantomData;

/// One block of host memory registered for a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// What the memory is (`input`, `stack`, `context`, …), used in error messages.
    pub name: &'static str,
    /// Address of the first byte.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// Whether stores are allowed.
    pub writable: bool,
}

impl Region {
    /// True when `[addr, addr + size)` lies inside this region.
    #[inline(always)]
    pub fn contains(&self, addr: u64, size: u64) -> bool {
        addr >= self.start && addr.wrapping_sub(self.start) + size <= self.len
    }

    /// Distance in bytes from `addr` to the closest byte of this region.
    fn distance(&self, addr: u64) -> u64 {
        if addr < self.start {
            self.start - addr
        } else {
            addr.saturating_sub(self.start.saturating_add(self.len.saturating_sub(1)))
        }
    }
}

/// The host memory a run may touch besides its stack, borrowed for the run's lifetime `'a`.
///
/// ```
/// use ebee_vm::Memory;
/// let mut packet = vec![0u8; 64];
/// let mut memory = Memory::new();
/// let addr = memory.add_mut("packet", &mut packet);
/// assert_eq!(memory.regions()[0].start, addr);
/// ```
#[derive(Default)]
pub struct Memory<'a> {
    regions: Vec<Region>,
    cpu: usize,
    host_state: Option<&'a dyn Any>,
    _borrows: PhantomData<&'a mut [u8]>,
}

impl std::fmt::Debug for Memory<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("regions", &self.regions)
            .field("cpu", &self.cpu)
            .finish_non_exhaustive()
    }
}

impl<'a> Memory<'a> {
    /// No regions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers writable memory; returns its address, as a program sees it.
    pub fn add_mut(&mut self, name: &'static str, mem: &'a mut [u8]) -> u64 {
        let start = mem.as_mut_ptr() as u64;
        self.push(name, start, mem.len(), true)
    }

    /// Registers read-only memory; returns its address.
    pub fn add(&mut self, name: &'static str, mem: &'a [u8]) -> u64 {
        let start = mem.as_ptr() as u64;
        self.push(name, start, mem.len(), false)
    }

    /// Registers memory by address, for memory no Rust reference can describe for the run
    /// (e.g. map values other threads' programs may also write). Returns `start`.
    ///
    /// # Safety
    /// `[start, start + len)` must stay allocated, and not be moved, for as long as this
    /// `Memory` is used to run programs; if `writable`, nothing may hold a Rust reference to
    /// it while a program runs.
    pub unsafe fn add_raw(
        &mut self,
        name: &'static str,
        start: u64,
        len: u64,
        writable: bool,
    ) -> u64 {
        self.push(name, start, len as usize, writable)
    }

    fn push(&mut self, name: &'static str, start: u64, len: usize, writable: bool) -> u64 {
        self.regions.push(Region {
            name,
            start,
            len: len as u64,
            writable,
        });
        start
    }

    /// Sets the worker (CPU) index the run executes on: per-CPU maps and
    /// `get_smp_processor_id` use it. Defaults to 0.
    pub fn set_cpu(&mut self, cpu: usize) {
        self.cpu = cpu;
    }

    /// The worker (CPU) index of the run.
    pub fn cpu(&self) -> usize {
        self.cpu
    }

    /// Attaches host state that helpers read with [`crate::HelperEnv::host_state`] (e.g. the
    /// packet a program type's helpers resize). Use interior mutability for state helpers
    /// change.
    pub fn set_host_state(&mut self, state: &'a dyn Any) {
        self.host_state = Some(state);
    }

    /// The attached host state.
    pub fn host_state(&self) -> Option<&'a dyn Any> {
        self.host_state
    }

    /// The registered regions, in registration order.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// Checks that `[addr, addr + size)` lies in one region that allows `access`.
    pub fn check(&self, pc: usize, addr: u64, size: u64, access: Access) -> Result<(), VmError> {
        let allowed = |r: &Region| r.contains(addr, size) && (access == Access::Read || r.writable);
        if self.regions.iter().any(allowed) {
            return Ok(());
        }
        Err(self.fault(pc, addr, size, access, &[]))
    }

    /// The error for a faulting access, naming the nearest region (among the registered ones
    /// and `extra`, e.g. the stack).
    pub(crate) fn fault(
        &self,
        pc: usize,
        addr: u64,
        size: u64,
        access: Access,
        extra: &[Region],
    ) -> VmError {
        let nearest = self
            .regions
            .iter()
            .chain(extra)
            .min_by_key(|r| r.distance(addr))
            .map(|r| {
                let why = if r.contains(addr, size) {
                    "which is read-only".to_string()
                } else if addr < r.start {
                    format!("{} bytes before its start", r.start - addr)
                } else {
                    format!(
                        "offset {} of its {} bytes",
                        addr.wrapping_sub(r.start),
                        r.len
                    )
                };
                format!(
                    "nearest region is {} [{:#x}, {:#x}), {why}",
                    r.name,
                    r.start,
                    r.start.wrapping_add(r.len)
                )
            })
            .unwrap_or_else(|| "no memory regions are registered".to_string());
        VmError::OutOfBounds {
            pc,
            access,
            addr,
            size,
            nearest,
        }
    }
}
