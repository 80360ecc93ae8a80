//! Errors: [`MapError`] for map creation; operations on a map return [`Errno`] (from
//! `ebee-abi`: Linux's numbers).

use ebee_abi::{Errno, MapType};
use thiserror::Error;

/// Why a map could not be created. Each error names the map; [`MapError::errno`] is what
/// `bpf(BPF_MAP_CREATE)` would have returned for the same definition.
///
/// ```
/// use ebee_maps::{Map, MapSpec, MapType, Errno};
/// let spec = MapSpec::new("counters", MapType::Array, 8, 8, 4); // arrays need 4-byte keys
/// let err = Map::create(spec, 1).unwrap_err();
/// assert_eq!(err.errno(), Errno::EINVAL);
/// assert!(err.to_string().contains("counters"));
/// ```
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// The map type id is not one ebee implements (or not a kernel map type at all).
    #[error(
        "map `{name}`: map type {id} ({}) is not supported by ebee",
        MapType::from_kernel_id(*id).map_or("unknown", MapType::name)
    )]
    UnsupportedType {
        /// The map's name.
        name: String,
        /// The `enum bpf_map_type` value.
        id: u32,
    },
    /// The definition breaks one of the kernel's rules for this map type.
    #[error("map `{name}` ({map_type}): {reason} [kernel: {errno}]")]
    Invalid {
        /// The map's name.
        name: String,
        /// Its type.
        map_type: MapType,
        /// The rule that is broken.
        reason: String,
        /// What the kernel returns for this definition.
        errno: Errno,
    },
    /// The map is too large to allocate.
    #[error("map `{name}` ({map_type}): cannot allocate {bytes} bytes")]
    OutOfMemory {
        /// The map's name.
        name: String,
        /// Its type.
        map_type: MapType,
        /// How much was asked for (saturated at `u64::MAX`).
        bytes: u64,
    },
}

impl MapError {
    /// The errno `bpf(BPF_MAP_CREATE)` returns for the same definition.
    pub fn errno(&self) -> Errno {
        match self {
            MapError::UnsupportedType { .. } => Errno::EINVAL,
            MapError::Invalid { errno, .. } => *errno,
            MapError::OutOfMemory { .. } => Errno::ENOMEM,
        }
    }
}
