//! Typed views of maps: keys and values as Rust types instead of byte slices, as aya's
//! `aya::maps` offers them.
//!
//! ```
//! use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
//! use ebee::maps::HashMap;
//!
//! // A loaded object's map comes from `object.map("counts")`; this one is made directly.
//! let map = Map::create(MapSpec::new("counts", MapType::Hash, 4, 8, 1024), 2)?;
//! let counts = HashMap::<u32, u64>::try_from(&map)?;
//! counts.insert(6, 100, BPF_ANY)?;
//! assert_eq!(counts.get(&6)?, Some(100));
//! assert_eq!(counts.get(&17)?, None);
//! // The view and the byte API work on the same map.
//! assert_eq!(map.lookup(&6u32.to_ne_bytes())?, 100u64.to_ne_bytes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Making a view
//! There is one way: `TryFrom` on the map, borrowed (`&Arc<Map>`, what
//! [`Object::map`](crate::Object::map) gives) or owned (`Arc<Map>`). The view keeps its own
//! `Arc` of the map, so it outlives the borrow, is `Clone + Send + Sync`, and its methods
//! take `&self`: maps are safe for concurrent use, also while programs run on them.
//!
//! ```no_run
//! use ebee::maps::HashMap;
//! let object = ebee::Engine::new().load_file("xdp_firewall.bpf.o")?;
//! let ports = HashMap::<u16, u8>::try_from(object.map("blocked_tcp_ports").unwrap())?;
//! ports.insert(22, 1, ebee::flags::BPF_ANY)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Construction checks the map type and that `size_of::<K>()` and `size_of::<V>()` are the
//! map's key and value sizes; a mismatch is a [`ViewError`] naming the map, the map's size
//! and the Rust type's, never a panic.
//!
//! | view | map types | key | value |
//! |---|---|---|---|
//! | [`HashMap<K, V>`] | `hash`, `lru_hash` | `K` | `V` |
//! | [`PerCpuHashMap<K, V>`] | `percpu_hash`, `lru_percpu_hash` | `K` | `Vec<V>`, one per CPU |
//! | [`Array<V>`] | `array` | `u32` index | `V` |
//! | [`PerCpuArray<V>`] | `percpu_array` | `u32` index | `Vec<V>`, one per CPU |
//! | [`LpmTrie<K, V>`] | `lpm_trie` | [`Key<K>`] (prefix length + `K`) | `V` |
//! | [`Queue<V>`], [`Stack<V>`] | `queue`, `stack` | none | `V` |
//! | [`BloomFilter<V>`] | `bloom_filter` | none | `V` |
//! | [`RingBuf`] | `ringbuf` | none | records as bytes or `T` |
//! | [`ProgramArray`] | `prog_array` | `u32` index | program id |
//!
//! Per-CPU views convert between `Vec<V>` (index = CPU) and the `bpf(2)` layout of the byte
//! API: every CPU's value, each rounded up to 8 bytes.
//!
//! # Keys and values are plain old data (`bytemuck::Pod`)
//! `K` and `V` must implement [`Pod`] from the [`bytemuck`] crate: every bit pattern is a
//! valid value, and the type has no padding. That is exactly what crossing into and out of
//! map memory needs: a map holds whatever bytes a program wrote, so reading them as a
//! `bool`, an enum or a reference could make an invalid value, and writing a struct with
//! padding would copy uninitialized bytes into the map. bytemuck is the well-kept, widely
//! used crate for this contract; its derive checks a struct at compile time (all fields
//! `Pod`, `repr(C)`, no padding) and its casts are safe functions. Hand-written transmutes
//! would need `unsafe` here and an unsafe marker trait that embedders implement with no
//! check; with bytemuck this module has no `unsafe` at all (it forbids it).
//!
//! An embedder derives `Pod` for a C struct without adding bytemuck to its Cargo.toml,
//! through the re-export here, making padding explicit:
//!
//! ```
//! use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
//! use ebee::maps::{HashMap, Pod, Zeroable};
//!
//! /// `struct flow { __u32 saddr, daddr; __u16 sport, dport; __u8 proto; }` in C: 16 bytes
//! /// with 3 of tail padding, which Rust must name.
//! #[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
//! #[bytemuck(crate = "ebee::maps::bytemuck")]
//! #[repr(C)]
//! struct Flow {
//!     saddr: u32,
//!     daddr: u32,
//!     sport: u16,
//!     dport: u16,
//!     proto: u8,
//!     _pad: [u8; 3],
//! }
//!
//! let map = Map::create(MapSpec::new("flows", MapType::Hash, 16, 8, 64), 1)?;
//! let flows = HashMap::<Flow, u64>::try_from(&map)?;
//! let flow = Flow { saddr: 1, daddr: 2, sport: 3, dport: 4, proto: 6, _pad: [0; 3] };
//! flows.insert(flow, 1500, BPF_ANY)?;
//! assert_eq!(flows.iter().collect::<Result<Vec<_>, _>>()?, [(flow, 1500)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Values are in the host's byte order, as the program sees them; fields a program keeps in
//! network byte order (addresses, ports from headers) stay so.
//!
//! # Errors and iteration
//! Operations return [`ViewError::Operation`] with the map's name and the kernel errno
//! `bpf(2)` gives for the same call (insert with `BPF_NOEXIST` on an existing key:
//! `EEXIST`). A lookup of a missing key is `Ok(None)`, not an error. `keys()` and `iter()`
//! walk the map in `BPF_MAP_GET_NEXT_KEY` order, the order of [`Map::next_key`] and
//! `bpftool map dump`; as there, a walk that meets a key deleted meanwhile starts over
//! from the first key, and `iter()` skips a key deleted between finding it and reading its
//! value.
#![forbid(unsafe_code)]

mod array;
mod error;
mod hash;
mod iter;
mod lpm;
mod per_cpu;
mod prog_array;
mod queue;
mod ringbuf;

pub use array::Array;
pub use error::ViewError;
pub use hash::HashMap;
pub use lpm::{Key, LpmTrie};
pub use per_cpu::{PerCpuArray, PerCpuHashMap};
pub use prog_array::ProgramArray;
pub use queue::{BloomFilter, Queue, Stack};
pub use ringbuf::RingBuf;

/// The [bytemuck](https://docs.rs/bytemuck) crate, re-exported so that
/// `#[bytemuck(crate = "ebee::maps::bytemuck")]` derives work with only `ebee` as a
/// dependency (see the module docs).
pub use bytemuck;
/// Plain old data: what keys and values of typed views must be (`#[derive(Pod)]` too).
pub use bytemuck::Pod;
/// Types for which all-zero bytes are a valid value, a supertrait of [`Pod`]
/// (`#[derive(Zeroable)]` too).
pub use bytemuck::Zeroable;

use ebee_maps::{Errno, Map, MapType};
use std::mem::size_of;

/// `TryFrom<Arc<Map>>`, `TryFrom<&Arc<Map>>`, `Debug` and `map()` for a view whose private
/// `new(Arc<Map>)` checks the map. `$setup` is doctest code binding `view` to a view of a
/// map named `m`.
macro_rules! view_impls {
    ($view:ident [$($param:ident),*], $setup:literal) => {
        impl<$($param: bytemuck::Pod),*> TryFrom<std::sync::Arc<ebee_maps::Map>>
            for $view<$($param),*>
        {
            type Error = $crate::maps::ViewError;

            fn try_from(map: std::sync::Arc<ebee_maps::Map>) -> Result<Self, Self::Error> {
                Self::new(map)
            }
        }

        impl<$($param: bytemuck::Pod),*> TryFrom<&std::sync::Arc<ebee_maps::Map>>
            for $view<$($param),*>
        {
            type Error = $crate::maps::ViewError;

            fn try_from(map: &std::sync::Arc<ebee_maps::Map>) -> Result<Self, Self::Error> {
                Self::new(std::sync::Arc::clone(map))
            }
        }

        impl<$($param),*> std::fmt::Debug for $view<$($param),*> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($view))
                    .field("map", &self.map.name())
                    .field("map_type", &self.map.map_type())
                    .finish()
            }
        }

        impl<$($param),*> $view<$($param),*> {
            #[doc = concat!(
                "The map behind the view, for the byte-level API.\n\n```\n",
                "use ebee::{Map, MapSpec, MapType};\n",
                "use ebee::maps::", stringify!($view), ";\n",
                $setup, "\n",
                "assert_eq!(view.map().name(), \"m\");\n",
                "# Ok::<(), Box<dyn std::error::Error>>(())\n```"
            )]
            pub fn map(&self) -> &std::sync::Arc<ebee_maps::Map> {
                &self.map
            }
        }
    };
}
pub(crate) use view_impls;

/// `ViewError::Operation` for `op` on `map`.
pub(crate) fn op_error(map: &Map, op: &'static str, errno: Errno) -> ViewError {
    ViewError::Operation {
        map: map.name().to_string(),
        op,
        errno,
    }
}

/// `Ok(None)` for `-ENOENT`.
pub(crate) fn found<T>(result: Result<T, Errno>) -> Result<Option<T>, Errno> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Checks that `map` is of one of the `expected` types for `view`.
pub(crate) fn check_type(
    map: &Map,
    view: &'static str,
    expected: &'static [MapType],
) -> Result<(), ViewError> {
    if expected.contains(&map.map_type()) {
        return Ok(());
    }
    Err(ViewError::WrongType {
        map: map.name().to_string(),
        view,
        expected,
        actual: map.map_type(),
    })
}

/// Checks the map's key size against a Rust key type of `actual` bytes named `type_name`.
pub(crate) fn check_key_size(map: &Map, type_name: String, actual: usize) -> Result<(), ViewError> {
    if map.key_size() == actual {
        return Ok(());
    }
    Err(ViewError::KeySize {
        map: map.name().to_string(),
        map_type: map.map_type(),
        type_name,
        expected: map.key_size(),
        actual,
    })
}

/// Checks the map's key size against `K`.
pub(crate) fn check_key<K>(map: &Map) -> Result<(), ViewError> {
    check_key_size(map, std::any::type_name::<K>().to_string(), size_of::<K>())
}

/// Checks the map's (one-CPU) value size against `V`.
pub(crate) fn check_value<V>(map: &Map) -> Result<(), ViewError> {
    if map.value_size() == size_of::<V>() {
        return Ok(());
    }
    Err(ViewError::ValueSize {
        map: map.name().to_string(),
        map_type: map.map_type(),
        type_name: std::any::type_name::<V>().to_string(),
        expected: map.value_size(),
        actual: size_of::<V>(),
    })
}

/// Reads a `T` from map bytes. The sizes were checked when the view was made, so this does
/// not fail; if it did, it would be an `EINVAL` rather than a panic.
pub(crate) fn decode<T: Pod>(map: &Map, op: &'static str, bytes: &[u8]) -> Result<T, ViewError> {
    bytemuck::try_pod_read_unaligned(bytes).map_err(|_| op_error(map, op, Errno::EINVAL))
}

/// Bytes a CPU's value takes in the `bpf(2)` per-CPU layout.
fn per_cpu_stride<V>() -> usize {
    size_of::<V>().next_multiple_of(8).max(8)
}

/// Every CPU's value from the `bpf(2)` per-CPU layout.
pub(crate) fn decode_per_cpu<V: Pod>(
    map: &Map,
    op: &'static str,
    bytes: &[u8],
) -> Result<Vec<V>, ViewError> {
    bytes
        .chunks_exact(per_cpu_stride::<V>())
        .map(|chunk| decode(map, op, &chunk[..size_of::<V>()]))
        .collect()
}

/// The `bpf(2)` per-CPU layout of `values` (one per CPU, which the caller checked).
pub(crate) fn encode_per_cpu<V: Pod>(values: &[V]) -> Vec<u8> {
    let stride = per_cpu_stride::<V>();
    let mut out = vec![0u8; values.len() * stride];
    for (chunk, value) in out.chunks_exact_mut(stride).zip(values) {
        chunk[..size_of::<V>()].copy_from_slice(bytemuck::bytes_of(value));
    }
    out
}
