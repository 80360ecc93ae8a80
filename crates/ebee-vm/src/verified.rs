//! What a verifier proved of a program, which [`Vm::load_verified`](crate::Vm::load_verified)
//! turns into speed: accesses without bounds checks and array lookups computed inline.

use crate::memory::Region;

/// What a verifier proved of a program, for [`Vm::load_verified`](crate::Vm::load_verified).
///
/// ```
/// let proofs = ebee_vm::Proofs { safe_accesses: &[3, 7], ..Default::default() };
/// assert!(proofs.array_lookups.is_empty());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Proofs<'a> {
    /// Slots of loads, stores and atomics that stay in bounds on every path: the JIT emits
    /// them without a bounds check.
    pub safe_accesses: &'a [usize],
    /// Helper calls that are, on every path, `map_lookup_elem` on one array map: the JIT
    /// computes them inline, as Linux's JIT does (`array_map_gen_lookup`).
    pub array_lookups: &'a [ArrayLookup],
}

/// A `bpf_map_lookup_elem(map, key)` call (slot `pc`) whose map is the same array on every
/// path, with where that array's elements lie (`ebee_maps::Map::array_layout`). The call
/// returns `values + (index * copies + cpu) * elem_size` for the 4-byte `index` at `key`
/// when `index < max_entries` (and, for a per-CPU array, the run's CPU
/// ([`Memory::set_cpu`](crate::Memory::set_cpu)) is below `copies`), else NULL.
///
/// Every run of the program may then reach all of the array's elements: the program's
/// checks (and its helpers' checks of the memory they are given) admit them without a
/// grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayLookup {
    /// Slot of the helper call.
    pub pc: usize,
    /// Address of the first element.
    pub values: u64,
    /// Number of elements.
    pub max_entries: u32,
    /// Bytes from one copy of an element to the next (the value size rounded up to 8).
    pub elem_size: u32,
    /// Copies of each element: one per CPU for a per-CPU array, else 1.
    pub copies: u32,
    /// Whether each CPU has its own copy (`BPF_MAP_TYPE_PERCPU_ARRAY`).
    pub per_cpu: bool,
    /// Whether programs may write the elements (no `BPF_F_RDONLY_PROG`).
    pub writable: bool,
}

impl ArrayLookup {
    /// All of the array's elements, as one region.
    pub(crate) fn region(&self) -> Region {
        Region {
            name: "map value",
            start: self.values,
            len: u64::from(self.max_entries) * u64::from(self.copies) * u64::from(self.elem_size),
            writable: self.writable,
        }
    }
}
