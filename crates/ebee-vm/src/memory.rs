//! Memory regions a program may touch, and the bounds checks of checked mode.

use crate::error::{Access, Fault};
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
        addr >= self.start
            && (addr - self.start)
                .checked_add(size)
                .is_some_and(|end| end <= self.len)
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
    /// Inline up to a run's usual handful (packet, context, global data sections): a
    /// `Memory` is built per run, and a heap allocation would cost as much as a short run.
    regions: smallvec::SmallVec<[Region; 6]>,
    cpu: usize,
    /// Borrows the registered slices; also makes `Memory` neither `Send` nor `Sync`, so the
    /// writable memory it lends is used by one run at a time.
    _borrows: PhantomData<(&'a mut [u8], *mut u8)>,
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
        // Programs turn addresses back into pointers: expose this one's provenance.
        let start = mem.as_mut_ptr().expose_provenance() as u64;
        self.push(name, start, mem.len(), true)
    }

    /// Registers read-only memory; returns its address.
    pub fn add(&mut self, name: &'static str, mem: &'a [u8]) -> u64 {
        let start = mem.as_ptr().expose_provenance() as u64;
        self.push(name, start, mem.len(), false)
    }

    /// Registers memory by address, for memory no Rust reference can describe for the run
    /// (e.g. map values other threads' programs may also write). Returns `start`.
    ///
    /// # Safety
    /// `[start, start + len)` must stay allocated, and not be moved, for as long as this
    /// `Memory` is used to run programs; its pointer's provenance must have been exposed
    /// (`pointer.expose_provenance()`, or an `as` cast to an integer) from a pointer allowed
    /// to write it if `writable`; and if `writable`, nothing may hold a Rust reference to it
    /// while a program runs.
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

    /// The registered regions, in registration order.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// Checks that `[addr, addr + size)` lies in one region that allows `access`.
    pub fn check(&self, addr: u64, size: u64, access: Access) -> Result<(), Fault> {
        let allowed = |r: &Region| r.contains(addr, size) && (access == Access::Read || r.writable);
        if self.regions.iter().any(allowed) {
            return Ok(());
        }
        Err(self.fault(addr, size, access, &[]))
    }

    /// The fault of an access outside the run's memory, naming the nearest region (among the
    /// registered ones and `extra`, e.g. the stack).
    pub(crate) fn fault(&self, addr: u64, size: u64, access: Access, extra: &[Region]) -> Fault {
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
        Fault {
            access,
            addr,
            size,
            nearest,
        }
    }
}

/// Probe table size once [`Granted`] stops scanning (a power of two).
const FIRST_TABLE: usize = 32;

/// Largest first table size taken from a reused buffer.
const MAX_FIRST_TABLE: usize = 256;

/// Regions granted by linear scan below this count; by hash table from it on.
const SCAN_LIMIT: usize = 8;

/// The regions helpers granted during one run, deduplicated in O(1) amortized time, with the
/// region of the last successful check remembered (programs touch the value they just looked
/// up, or the same packet, many times in a row).
pub(crate) struct Granted {
    regions: Vec<Region>,
    /// Open-addressed set over `regions`, keyed by start: 0 is empty, else index + 1. Empty
    /// while there are fewer than [`SCAN_LIMIT`] regions.
    table: Vec<u32>,
    /// `(start, len, writable)` of a region (registered or granted) a check last found; the
    /// run never removes regions, so it stays valid for the run.
    last_hit: std::cell::Cell<Option<(u64, u64, bool)>>,
}

thread_local! {
    /// Buffers of finished runs' [`Granted`], so that a run's grants do not allocate.
    static SPARE: std::cell::RefCell<Vec<(Vec<Region>, Vec<u32>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl Granted {
    /// An empty set; the first grant reuses a finished run's buffers on this thread when
    /// there is one.
    pub(crate) fn checkout() -> Granted {
        // Empty until the first grant, which takes the thread's spare buffers: runs that
        // grant nothing touch neither the pool nor the allocator.
        Granted {
            regions: Vec::new(),
            table: Vec::new(),
            last_hit: std::cell::Cell::new(None),
        }
    }

    /// The granted regions, oldest first.
    pub(crate) fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The region (start, length, writable) the last allowed access fell in: it stays
    /// allowed for the rest of the run (nothing is ever revoked), so the JIT caches it.
    pub(crate) fn last_hit(&self) -> Option<(u64, u64, bool)> {
        self.last_hit.get()
    }

    /// Adds `region` unless an identical one was granted before.
    pub(crate) fn insert(&mut self, region: Region) {
        if self.regions.capacity() == 0 {
            if let Some((regions, table)) = SPARE.with(|spare| spare.borrow_mut().pop()) {
                (self.regions, self.table) = (regions, table);
            }
        }
        // The address before the name, whose comparison is a string comparison.
        let same = |r: &Region| {
            r.start == region.start
                && r.len == region.len
                && r.writable == region.writable
                && r.name == region.name
        };
        // The program most likely touches what it was just granted.
        self.last_hit
            .set(Some((region.start, region.len, region.writable)));
        if self.table.is_empty() {
            if self.regions.iter().rev().any(same) {
                return;
            }
            self.regions.push(region);
            if self.regions.len() >= SCAN_LIMIT {
                // As large as a reused buffer allows (within reason): fewer rehashes.
                let reused = self.table.capacity().min(MAX_FIRST_TABLE);
                let reused = if reused.is_power_of_two() {
                    reused
                } else {
                    reused.next_power_of_two() / 2
                };
                self.rehash(FIRST_TABLE.max(reused));
            }
            return;
        }
        let mask = self.table.len() - 1;
        let mut i = bucket(region.start) & mask;
        while let Some(index) = self.table[i].checked_sub(1) {
            if same(&self.regions[index as usize]) {
                return;
            }
            i = (i + 1) & mask;
        }
        self.regions.push(region);
        self.table[i] = self.regions.len() as u32;
        // Load factor at most 1/2 keeps probe sequences short.
        if self.regions.len() * 2 > self.table.len() {
            self.rehash(self.table.len() * 2);
        }
    }

    fn rehash(&mut self, size: usize) {
        self.table.clear();
        self.table.resize(size, 0);
        let mask = size - 1;
        for (index, r) in self.regions.iter().enumerate() {
            let mut i = bucket(r.start) & mask;
            while self.table[i] != 0 {
                i = (i + 1) & mask;
            }
            self.table[i] = index as u32 + 1;
        }
    }

    /// True when `[addr, addr + size)` lies inside one of `registered` or one granted region,
    /// and that region allows `access`.
    pub(crate) fn allows(
        &self,
        registered: &[Region],
        addr: u64,
        size: u64,
        access: Access,
    ) -> bool {
        let write = access == Access::Write;
        if let Some((start, len, writable)) = self.last_hit.get() {
            let hit = Region {
                name: "",
                start,
                len,
                writable,
            };
            if hit.contains(addr, size) && (writable || !write) {
                return true;
            }
        }
        let allowed = |r: &&Region| r.contains(addr, size) && (r.writable || !write);
        // Registered regions first (few), then grants newest first (the likeliest to be used).
        let found = registered
            .iter()
            .find(allowed)
            .or_else(|| self.regions.iter().rev().find(allowed));
        match found {
            Some(r) => {
                self.last_hit.set(Some((r.start, r.len, r.writable)));
                true
            }
            None => false,
        }
    }
}

impl Drop for Granted {
    fn drop(&mut self) {
        if self.regions.capacity() == 0 {
            return;
        }
        let (mut regions, mut table) = (
            std::mem::take(&mut self.regions),
            std::mem::take(&mut self.table),
        );
        // Keep what a busy run needs, not what an unusual one grew to.
        if regions.capacity() <= 4096 {
            regions.clear();
            table.clear();
            let _ = SPARE.try_with(|spare| spare.borrow_mut().push((regions, table)));
        }
    }
}

/// Hash of a region start (Fibonacci hashing; starts are at least 8-byte aligned, mostly).
#[inline]
fn bucket(start: u64) -> usize {
    ((start >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::{Access, Granted, Region};

    fn region(start: u64, writable: bool) -> Region {
        Region {
            name: "map value",
            start,
            len: 8,
            writable,
        }
    }

    #[test]
    fn grants_deduplicate_past_the_scan_limit_and_checks_respect_permissions() {
        let mut granted = Granted::checkout();
        for round in 0..3 {
            for i in 0..1000u64 {
                granted.insert(region(0x1000 + i * 16, i % 2 == 0));
            }
            assert_eq!(granted.regions().len(), 1000, "round {round}");
        }
        // Same start, other permission: a distinct grant.
        granted.insert(region(0x1000 + 16, true));
        assert_eq!(granted.regions().len(), 1001);
        let registered = [region(0x10, false)];
        assert!(granted.allows(&registered, 0x10, 8, Access::Read));
        // The cached hit (read-only) must not allow a write, nor reach past its end.
        assert!(!granted.allows(&registered, 0x10, 8, Access::Write));
        assert!(!granted.allows(&registered, 0x11, 8, Access::Read));
        assert!(granted.allows(&registered, 0x1000 + 999 * 16, 8, Access::Read));
        assert!(!granted.allows(&registered, 0x1000 + 999 * 16, 8, Access::Write));
        assert!(granted.allows(&registered, 0x1000 + 16, 8, Access::Write));
        assert!(!granted.allows(&registered, 0x1000 + 8, 8, Access::Read));
        assert!(!granted.allows(&registered, 0x1000 + 2, 8, Access::Read));
    }
}
