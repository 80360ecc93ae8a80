//! [`ViewError`]: why a typed view could not be made, or why an operation through it failed.

use ebee_maps::{Errno, MapType};
use thiserror::Error;

/// Why a typed map view could not be made ([`TryFrom`] on a map), or why an operation
/// through it failed. Every variant names the map.
///
/// ```
/// use ebee::{Errno, Map, MapSpec, MapType, flags::BPF_NOEXIST};
/// use ebee::maps::{HashMap, ViewError};
///
/// let map = Map::create(MapSpec::new("counts", MapType::Hash, 4, 8, 16), 1)?;
/// // Construction checks sizes against the Rust types:
/// let err = HashMap::<u64, u64>::try_from(&map).unwrap_err();
/// assert_eq!(err.to_string(), "map `counts` (hash): keys are 4 bytes, but `u64` is 8 bytes");
///
/// // Operations carry the kernel's errno:
/// let counts = HashMap::<u32, u64>::try_from(&map)?;
/// counts.insert(1, 10, BPF_NOEXIST)?;
/// let err = counts.insert(1, 11, BPF_NOEXIST).unwrap_err();
/// assert_eq!(err.errno(), Some(Errno::EEXIST));
/// assert_eq!(err.map_name(), "counts");
/// assert!(matches!(err, ViewError::Operation { op: "insert", .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViewError {
    /// The map is not of a type this view handles.
    #[error(
        "map `{map}` has type {actual}, but a {view} view needs {}",
        type_list(expected)
    )]
    WrongType {
        /// The map's name.
        map: String,
        /// The view (`"HashMap"`, `"Array"`, …).
        view: &'static str,
        /// The types the view handles.
        expected: &'static [MapType],
        /// The map's type.
        actual: MapType,
    },
    /// The map's key size is not the size of the Rust key type.
    #[error(
        "map `{map}` ({map_type}): keys are {expected} bytes, but `{type_name}` is {actual} bytes"
    )]
    KeySize {
        /// The map's name.
        map: String,
        /// The map's type.
        map_type: MapType,
        /// The Rust key type (for LPM tries, `Key<K>`).
        type_name: String,
        /// The map's key size.
        expected: usize,
        /// The size of the Rust key type.
        actual: usize,
    },
    /// The map's value size is not the size of the Rust value type.
    #[error("map `{map}` ({map_type}): values are {expected} bytes, but `{type_name}` is {actual} bytes")]
    ValueSize {
        /// The map's name.
        map: String,
        /// The map's type.
        map_type: MapType,
        /// The Rust value type.
        type_name: String,
        /// The map's value size (one CPU's value for per-CPU maps).
        expected: usize,
        /// The size of the Rust value type.
        actual: usize,
    },
    /// A per-CPU write was given a number of values other than the map's CPU count.
    #[error("map `{map}`: {actual} per-CPU values given, but the map has {expected} CPUs")]
    CpuCount {
        /// The map's name.
        map: String,
        /// The map's CPU count.
        expected: usize,
        /// How many values were given.
        actual: usize,
    },
    /// A ring buffer record does not have the size of the type it was read as. The record
    /// is consumed.
    #[error("map `{map}`: a record of {actual} bytes cannot be read as `{type_name}` ({expected} bytes)")]
    RecordSize {
        /// The map's name.
        map: String,
        /// The Rust type the record was read as.
        type_name: String,
        /// The size of that type.
        expected: usize,
        /// The record's size.
        actual: usize,
    },
    /// The map operation failed with a kernel errno.
    #[error("map `{map}`: {op}: {errno}")]
    Operation {
        /// The map's name.
        map: String,
        /// The view method that failed (`"insert"`, `"remove"`, …).
        op: &'static str,
        /// The kernel errno, as `bpf(2)` returns it for the same operation.
        errno: Errno,
    },
}

fn type_list(types: &[MapType]) -> String {
    let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
    names.join(" or ")
}

impl ViewError {
    /// The kernel errno of a failed operation; `None` for the construction and size errors.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType};
    /// use ebee::maps::HashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 4, 4), 1)?;
    /// let h = HashMap::<u32, u32>::try_from(&map)?;
    /// assert_eq!(h.remove(&7).unwrap_err().errno(), Some(Errno::ENOENT));
    /// assert_eq!(HashMap::<u8, u32>::try_from(&map).unwrap_err().errno(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn errno(&self) -> Option<Errno> {
        match self {
            ViewError::Operation { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// The name of the map the error is about.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::Array;
    /// let map = Map::create(MapSpec::new("flows", MapType::Hash, 4, 4, 4), 1)?;
    /// assert_eq!(Array::<u32>::try_from(&map).unwrap_err().map_name(), "flows");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_name(&self) -> &str {
        match self {
            ViewError::WrongType { map, .. }
            | ViewError::KeySize { map, .. }
            | ViewError::ValueSize { map, .. }
            | ViewError::CpuCount { map, .. }
            | ViewError::RecordSize { map, .. }
            | ViewError::Operation { map, .. } => map,
        }
    }
}
