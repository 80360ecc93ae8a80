//! Errors: [`MapError`] for map creation, [`Errno`] for operations on a map.

use crate::spec::MapType;
use std::fmt;
use thiserror::Error;

/// A kernel error number, as a map operation returns it (`-errno` in the kernel).
///
/// Operations return `Result<_, Errno>`; a helper hands the program
/// [`Errno::as_neg_i64`] (for example `-2` for [`Errno::ENOENT`]).
///
/// ```
/// use ebee_maps::Errno;
/// assert_eq!(Errno::ENOENT.as_neg_i64(), -2);
/// assert_eq!(Errno::E2BIG.to_string(), "E2BIG (7)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// Operation not permitted (1): a write to a frozen or read-only map.
    pub const EPERM: Errno = Errno(1);
    /// No such entry (2).
    pub const ENOENT: Errno = Errno(2);
    /// Argument list too long (7): a full map, an index out of range.
    pub const E2BIG: Errno = Errno(7);
    /// Try again (11): a full ring buffer.
    pub const EAGAIN: Errno = Errno(11);
    /// Out of memory (12).
    pub const ENOMEM: Errno = Errno(12);
    /// Bad address (14).
    pub const EFAULT: Errno = Errno(14);
    /// Busy (16): a second freeze.
    pub const EBUSY: Errno = Errno(16);
    /// Entry exists (17).
    pub const EEXIST: Errno = Errno(17);
    /// Invalid argument (22).
    pub const EINVAL: Errno = Errno(22);
    /// No space left (28): a full LPM trie, a full perf buffer, a batch too small.
    pub const ENOSPC: Errno = Errno(28);
    /// Operation not supported (95).
    pub const EOPNOTSUPP: Errno = Errno(95);
    /// The kernel-internal "operation not supported" (524), which `bpf(2)` passes through for
    /// example for a lookup in a ring buffer.
    pub const ENOTSUPP: Errno = Errno(524);

    /// The value a helper returns to the program: `-errno`.
    pub fn as_neg_i64(self) -> i64 {
        -i64::from(self.0)
    }

    /// The kernel's name for this number (`"ENOENT"`), or `"E?"` for one this crate never
    /// returns.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "EPERM",
            2 => "ENOENT",
            7 => "E2BIG",
            11 => "EAGAIN",
            12 => "ENOMEM",
            14 => "EFAULT",
            16 => "EBUSY",
            17 => "EEXIST",
            22 => "EINVAL",
            28 => "ENOSPC",
            95 => "EOPNOTSUPP",
            524 => "ENOTSUPP",
            _ => "E?",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Errno {}

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
    #[error("map `{name}`: map type {id} ({}) is not supported by ebee", MapType::kernel_type_name(*id))]
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
