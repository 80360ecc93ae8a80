//! [`Array`]: `array` maps.

use super::{check_type, check_value, decode, op_error, ViewError};
use bytemuck::Pod;
use ebee_maps::{Map, MapType};
use std::borrow::Borrow;
use std::marker::PhantomData;
use std::sync::Arc;

/// A typed view of an `array` map with values `V`, indexed by `u32`. Every index below
/// [`Array::len`] holds a value (zeroes until written); elements cannot be removed.
///
/// ```
/// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
/// use ebee::maps::Array;
/// let map = Map::create(MapSpec::new("config", MapType::Array, 4, 4, 3), 1)?;
/// let config = Array::<u32>::try_from(&map)?;
/// config.set(1, 42, BPF_ANY)?;
/// assert_eq!(config.iter().collect::<Result<Vec<_>, _>>()?, [0, 42, 0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Array<V> {
    map: Arc<Map>,
    _types: PhantomData<fn() -> V>,
}

super::view_impls!(
    Array[V],
    "let map = Map::create(MapSpec::new(\"m\", MapType::Array, 4, 8, 4), 1)?;\n\
     let view = Array::<u64>::try_from(&map)?;"
);

impl<V: Pod> Array<V> {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        check_type(&map, "Array", &[MapType::Array])?;
        check_value::<V>(&map)?;
        Ok(Array {
            map,
            _types: PhantomData,
        })
    }

    /// The value at `index` (`ENOENT` past the end, as `BPF_MAP_LOOKUP_ELEM`).
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType};
    /// use ebee::maps::Array;
    /// let map = Map::create(MapSpec::new("a", MapType::Array, 4, 8, 2), 1)?;
    /// let a = Array::<u64>::try_from(&map)?;
    /// assert_eq!(a.get(1)?, 0);
    /// assert_eq!(a.get(2).unwrap_err().errno(), Some(Errno::ENOENT));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, index: u32) -> Result<V, ViewError> {
        let op = "get";
        let value = self
            .map
            .lookup(&index.to_ne_bytes())
            .map_err(|e| op_error(&self.map, op, e))?;
        decode(&self.map, op, &value)
    }

    /// Writes the value at `index` (`BPF_MAP_UPDATE_ELEM`). `flags`: `BPF_ANY` or
    /// `BPF_EXIST` (the same for arrays), possibly with `BPF_F_LOCK`; `BPF_NOEXIST` is
    /// `EEXIST`, an index past the end `E2BIG`, as in the kernel.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::Array;
    /// let map = Map::create(MapSpec::new("a", MapType::Array, 4, 8, 2), 1)?;
    /// let a = Array::<u64>::try_from(&map)?;
    /// a.set(0, 5, BPF_ANY)?;
    /// assert_eq!(a.get(0)?, 5);
    /// assert_eq!(a.set(0, 6, BPF_NOEXIST).unwrap_err().errno(), Some(Errno::EEXIST));
    /// assert_eq!(a.set(2, 6, BPF_ANY).unwrap_err().errno(), Some(Errno::E2BIG));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set(&self, index: u32, value: impl Borrow<V>, flags: u64) -> Result<(), ViewError> {
        self.map
            .update(
                &index.to_ne_bytes(),
                bytemuck::bytes_of(value.borrow()),
                flags,
            )
            .map_err(|e| op_error(&self.map, "set", e))
    }

    /// Every value, by index from 0 (the byte API's key order).
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::Array;
    /// let map = Map::create(MapSpec::new("a", MapType::Array, 4, 2, 3), 1)?;
    /// let a = Array::<u16>::try_from(&map)?;
    /// a.set(2, 9, BPF_ANY)?;
    /// assert_eq!(a.iter().collect::<Result<Vec<_>, _>>()?, [0, 0, 9]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<V, ViewError>> + '_ {
        (0..self.len()).map(|index| self.get(index))
    }

    /// The number of elements (`max_entries`).
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::Array;
    /// let map = Map::create(MapSpec::new("a", MapType::Array, 4, 8, 16), 1)?;
    /// assert_eq!(Array::<u64>::try_from(&map)?.len(), 16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> u32 {
        self.map.max_entries()
    }

    /// Always false: arrays have at least one element.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::Array;
    /// let map = Map::create(MapSpec::new("a", MapType::Array, 4, 8, 1), 1)?;
    /// assert!(!Array::<u64>::try_from(&map)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
