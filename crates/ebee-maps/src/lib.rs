//! Every eBPF map type, with the Linux kernel's semantics, for many threads running
//! programs at once — and the host-side API `bpf(2)` gives user space.
//!
//! ```
//! use ebee_maps::{Map, MapSpec, MapType, pin, flags::*};
//!
//! // What a loader does with a map definition it found in an object file:
//! let spec = MapSpec::new("packets", MapType::Hash, 4, 8, 1024);
//! let map = Map::create(spec, 2)?; // for programs running on 2 workers
//!
//! // What a program does through helpers, on worker 1:
//! let guard = pin(); // once per program run
//! map.update_elem(&80u32.to_ne_bytes(), &1u64.to_ne_bytes(), BPF_NOEXIST, 1).unwrap();
//! let value = map.lookup_ptr(&80u32.to_ne_bytes(), 1, &guard).unwrap();
//! // SAFETY: an 8-byte value, valid while `guard` is pinned.
//! unsafe { *value.as_ptr().cast::<u64>() += 1 };
//! drop(guard); // the run is over
//!
//! // What user space does:
//! assert_eq!(map.lookup(&80u32.to_ne_bytes()).unwrap(), 2u64.to_ne_bytes());
//! # Ok::<(), ebee_maps::MapError>(())
//! ```
//!
//! # Map types
//! [`MapType`] (re-exported from `ebee-abi`, as are [`flags`] and [`Errno`]) lists every
//! kernel map type; ebee-maps implements ([`is_implemented`], [`implemented_type`]) array,
//! percpu_array, hash, percpu_hash, lru_hash, lru_percpu_hash, lpm_trie, ringbuf,
//! perf_event_array, prog_array, queue, stack, array_of_maps, hash_of_maps, bloom_filter. A
//! definition is checked as `bpf(BPF_MAP_CREATE)` checks it, and a [`MapError`] says which
//! rule failed and which errno the kernel returns. Operations return [`Errno`] with the
//! kernel's numbers.
//!
//! # Program side and host side
//! Program-side calls ([`Map::lookup_ptr`], [`Map::update_elem`], [`Map::delete_elem`],
//! [`Map::push_elem`], [`Map::pop_elem`], [`Map::peek_elem`], [`Map::for_each_elem`],
//! [`Map::ringbuf_reserve`] and friends, [`Map::perf_event_output`],
//! [`Map::prog_array_get`], [`Map::inner_map`]) follow the helpers: they act on the value of
//! the CPU the program runs on (its worker index, which the caller passes), and return
//! pointers into map memory that the program reads and writes without locks. Host-side calls
//! ([`Map::lookup`], [`Map::update`], [`Map::delete`], [`Map::next_key`],
//! [`Map::lookup_batch`], [`Map::push`]/[`Map::pop`], [`Map::ringbuf_consume`],
//! [`Map::perf_read`], [`Map::freeze`]) follow the syscall, including its per-CPU value
//! layout (every CPU's value, each rounded up to 8 bytes).
//!
//! # Memory reclamation: the guard contract
//! A program keeps the pointers lookups give it for the rest of its run, while other threads
//! may delete or replace the same elements. The kernel keeps such memory alive with RCU; ebee
//! uses epoch-based reclamation (`crossbeam-epoch`):
//!
//! - **The caller pins a [`Guard`] ([`pin`]) before a program run and drops it after the
//!   run.** Every pointer or `&Map` a program-side call returns stays valid (allocated, not
//!   reused) until that guard is dropped. Program-side calls take the guard as a parameter,
//!   so a pointer cannot be obtained without one.
//! - Deleting or replacing a hash, LRU or LPM element unlinks it at once (new lookups no
//!   longer see it) and frees it only after every guard that was pinned at that moment has
//!   been dropped; the same holds for inner maps removed from a map of maps.
//! - Array memory (and so [`Map::value_ptr`], used for global data) is never freed before the
//!   [`Map`] itself is dropped; ring buffer records stay valid until consumed.
//! - A program run must hold the maps it uses alive (an `Arc<Map>` each), as the kernel's
//!   program holds references to its maps.
//! - Guards are cheap to pin (a thread-local counter), re-entrant, and `!Send`; hold one for a
//!   run, not for ever: memory retired while any guard stays pinned cannot be freed.
//!
//! What a program sees of a value that another thread writes at the same time is what the
//! kernel gives: any mix of old and new bytes. The map side only ever accesses value memory
//! with atomic operations; `bpf_spin_lock` ([`bpf_spin_lock`], `BPF_F_LOCK`) gives
//! consistency where needed.
//!
//! # Differences from the kernel
//! - **LRU eviction** ports the kernel's `bpf_lru_list.c`: active, inactive and free lists,
//!   per-CPU local free and pending lists for the common LRU (refills of
//!   `clamp(max_entries / ncpus / 2, 1, 128)`, rotation, shrinking, stealing from other
//!   CPUs), per-CPU lists for `BPF_F_NO_COMMON_LRU` (which rounds `max_entries` to a multiple
//!   of the CPU count, as the kernel does); lookups set reference bits. An update takes a
//!   slot (and may evict) before it checks its flags, as in the kernel. The lists share one
//!   mutex where the kernel has a global and per-CPU spinlocks, so concurrent operations
//!   serialize in some order the kernel could also produce; sequences of operations evict
//!   exactly what the kernel evicts (checked in `tests/kernel_oracle.rs` and ebee's
//!   `tests/kernel_maps.rs`). Host-side operations count as CPU 0's.
//! - **Element memory** is never reused while a guard that could see it is pinned; the
//!   kernel's preallocated hash maps reuse a freed element at once (a program holding a stale
//!   pointer may then see another key's value). Here a stale pointer keeps the old value.
//!   Updates of an existing key in a hash of maps replace the element (moving it to the head
//!   of its bucket); the kernel swaps the pointer in place.
//! - **Hash order**: keys hash with the kernel's jhash into as many buckets as the kernel
//!   uses, new elements go first in their bucket, so with `BPF_F_ZERO_SEED` iteration order
//!   is the kernel's. Without it the seed is random in both.
//! - **Handles**: prog arrays store program ids (the caller resolves them), maps of maps
//!   store `Arc<Map>` ([`Map::update_inner_map`]); the host-side update of a map of maps or
//!   perf event array with a raw value (a file descriptor in the kernel) is `-EINVAL`.
//! - **Perf event arrays** have host-side buffers ([`Map::perf_open`]) instead of perf event
//!   file descriptors; records carry the raw sample only (no perf header fields).
//! - **Bloom filters**: same sizing and hashing as the kernel (jhash, `map_extra & 0xf`
//!   hash functions, default 5). The host-side membership test is [`Map::bloom_contains`].
//! - BTF-described special fields other than `bpf_spin_lock` (timers, kptrs, workqueues) are
//!   not supported; `BPF_F_CPU`/`BPF_F_ALL_CPUS` per-CPU flags of recent kernels are not
//!   implemented. `BPF_F_NUMA_NODE` and `BPF_F_MMAPABLE` are accepted and have no effect.
//!
//! # Dependencies
//! - `crossbeam-epoch`: epoch-based memory reclamation, the RCU stand-in described above.
//!   Mature (the basis of crossbeam's concurrent structures), small, no unsafe burden on us
//!   beyond using it; pinning is a thread-local operation, cheap enough for every program run.
//! - `thiserror`: derives [`MapError`], as in every ebee crate.
//! - `ebee-abi`: the kernel's numbers (map types, flags, errno values).
//!
//! Nothing else: the hash function is the kernel's jhash (written here, ~100 lines), which
//! is as fast as general-purpose hashers on small keys and gives kernel-identical bucket
//! order and bloom filter bits; bucket locks are `std::sync::Mutex` (futex-based, uncontended
//! in a few nanoseconds); lookups take no lock at all.
#![warn(missing_docs)]

mod array;
mod batch;
mod bloom;
mod error;
mod fdarray;
mod hash;
mod host;
mod jhash;
mod lpm;
mod lru;
mod map;
mod mem;
mod perf;
mod queue;
mod ringbuf;
mod spec;
mod table;
mod validate;

pub use array::ArrayLayout;
pub use batch::{Batch, BatchCursor, Entry};
pub use ebee_abi::{flags, Errno, MapType};
pub use error::MapError;
pub use map::Map;
pub use mem::{bpf_spin_lock, bpf_spin_unlock};
pub use perf::PerfRecord;
pub use ringbuf::commit_raw as ringbuf_commit;
pub use spec::{implemented_type, is_implemented, MapSpec, PAGE_SIZE};

/// A pinned epoch: while it lives, no memory that a program-side call returned through it is
/// freed. Pin one per program run with [`pin`]; see the crate docs for the contract.
pub struct Guard(pub(crate) crossbeam_epoch::Guard);

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guard")
    }
}

/// Pins the current thread's epoch for a program run.
///
/// ```
/// let guard = ebee_maps::pin();
/// // ... run the program, passing &guard to program-side map calls ...
/// drop(guard);
/// ```
#[inline]
pub fn pin() -> Guard {
    Guard(crossbeam_epoch::pin())
}

/// Retirements between two hand-overs of a thread's retired elements to the collector.
const FLUSH_EVERY: u32 = 64;

/// Notes one retired (unlinked, deferred-destroy) element; every [`FLUSH_EVERY`] on a thread,
/// hands them to the collector, so memory stays bounded however many updates programs make,
/// at no cost to runs that retire nothing.
pub(crate) fn note_retired(guard: &crossbeam_epoch::Guard) {
    use std::cell::Cell;
    thread_local! {
        static RETIRED: Cell<u32> = const { Cell::new(0) };
    }
    let due = RETIRED.with(|count| {
        let n = count.get() + 1;
        count.set(if n >= FLUSH_EVERY { 0 } else { n });
        n >= FLUSH_EVERY
    });
    if due {
        guard.flush();
    }
}

impl Guard {
    /// Hands the elements this thread retired (deleted or replaced) to the global collector
    /// and reclaims what no pinned run can still see. Call it at the end of each run: without
    /// it, a thread that retires more elements per run than the collector's background pace
    /// frees accumulates them without bound.
    pub fn flush(&self) {
        self.0.flush();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn maps_are_shareable_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<crate::Map>();
        send_sync::<std::sync::Arc<crate::Map>>();
    }
}
