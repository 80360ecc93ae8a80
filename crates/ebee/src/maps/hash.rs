//! [`HashMap`]: `hash` and `lru_hash` maps.

use super::{check_key, check_type, check_value, decode, found, iter, op_error, ViewError};
use bytemuck::Pod;
use ebee_maps::{Map, MapType};
use std::borrow::Borrow;
use std::marker::PhantomData;
use std::sync::Arc;

/// A typed view of a `hash` or `lru_hash` map with keys `K` and values `V`.
///
/// ```
/// use ebee::{Map, MapSpec, MapType, flags::*};
/// use ebee::maps::HashMap;
/// let map = Map::create(MapSpec::new("ports", MapType::LruHash, 2, 1, 64), 1)?;
/// let ports = HashMap::<u16, u8>::try_from(&map)?;
/// ports.insert(22, 1, BPF_ANY)?;
/// ports.insert(80, 2, BPF_ANY)?;
/// ports.remove(&80)?;
/// assert_eq!(ports.keys().collect::<Result<Vec<_>, _>>()?, [22]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct HashMap<K, V> {
    map: Arc<Map>,
    _types: PhantomData<fn() -> (K, V)>,
}

super::view_impls!(
    HashMap[K, V],
    "let map = Map::create(MapSpec::new(\"m\", MapType::Hash, 4, 8, 16), 1)?;\n\
     let view = ebee::maps::HashMap::<u32, u64>::try_from(&map)?;"
);

impl<K: Pod, V: Pod> HashMap<K, V> {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        check_type(&map, "HashMap", &[MapType::Hash, MapType::LruHash])?;
        check_key::<K>(&map)?;
        check_value::<V>(&map)?;
        Ok(HashMap {
            map,
            _types: PhantomData,
        })
    }

    /// The value stored under `key`, `None` if there is none (`BPF_MAP_LOOKUP_ELEM`; in an
    /// LRU map this marks the element as used).
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::HashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 16), 1)?;
    /// let h = HashMap::<u32, u64>::try_from(&map)?;
    /// h.insert(1, 10, BPF_ANY)?;
    /// assert_eq!(h.get(&1)?, Some(10));
    /// assert_eq!(h.get(&2)?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, key: &K) -> Result<Option<V>, ViewError> {
        let op = "get";
        let value = found(self.map.lookup(bytemuck::bytes_of(key)))
            .map_err(|e| op_error(&self.map, op, e))?;
        value.map(|v| decode(&self.map, op, &v)).transpose()
    }

    /// Stores `value` under `key` (`BPF_MAP_UPDATE_ELEM`). `flags`: [`BPF_ANY`], or
    /// [`BPF_NOEXIST`] (`EEXIST` if the key is there), [`BPF_EXIST`] (`ENOENT` if it is
    /// not), each possibly with [`BPF_F_LOCK`]; a full map is `E2BIG` (an LRU map evicts
    /// instead).
    ///
    /// [`BPF_ANY`]: crate::flags::BPF_ANY
    /// [`BPF_NOEXIST`]: crate::flags::BPF_NOEXIST
    /// [`BPF_EXIST`]: crate::flags::BPF_EXIST
    /// [`BPF_F_LOCK`]: crate::flags::BPF_F_LOCK
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::HashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 1), 1)?;
    /// let h = HashMap::<u32, u64>::try_from(&map)?;
    /// h.insert(1, 10, BPF_NOEXIST)?;
    /// assert_eq!(h.insert(1, 11, BPF_NOEXIST).unwrap_err().errno(), Some(Errno::EEXIST));
    /// assert_eq!(h.insert(2, 20, BPF_EXIST).unwrap_err().errno(), Some(Errno::ENOENT));
    /// assert_eq!(h.insert(2, 20, BPF_ANY).unwrap_err().errno(), Some(Errno::E2BIG));
    /// h.insert(1, 12, BPF_EXIST)?;
    /// assert_eq!(h.get(&1)?, Some(12));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert(
        &self,
        key: impl Borrow<K>,
        value: impl Borrow<V>,
        flags: u64,
    ) -> Result<(), ViewError> {
        self.map
            .update(
                bytemuck::bytes_of(key.borrow()),
                bytemuck::bytes_of(value.borrow()),
                flags,
            )
            .map_err(|e| op_error(&self.map, "insert", e))
    }

    /// Deletes `key` (`BPF_MAP_DELETE_ELEM`): `ENOENT` if it is not there.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::HashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 16), 1)?;
    /// let h = HashMap::<u32, u64>::try_from(&map)?;
    /// h.insert(1, 10, BPF_ANY)?;
    /// h.remove(&1)?;
    /// assert_eq!(h.remove(&1).unwrap_err().errno(), Some(Errno::ENOENT));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&self, key: &K) -> Result<(), ViewError> {
        self.map
            .delete(bytemuck::bytes_of(key))
            .map_err(|e| op_error(&self.map, "remove", e))
    }

    /// The keys, in `BPF_MAP_GET_NEXT_KEY` order (see the [module docs](super)).
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::HashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 16), 1)?;
    /// let h = HashMap::<u32, u64>::try_from(&map)?;
    /// for k in 0..3 {
    ///     h.insert(k, u64::from(k) * 10, BPF_ANY)?;
    /// }
    /// let mut keys = h.keys().collect::<Result<Vec<_>, _>>()?;
    /// keys.sort();
    /// assert_eq!(keys, [0, 1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = Result<K, ViewError>> + '_ {
        iter::keys(&self.map, |map, key| decode(map, "keys", key))
    }

    /// The `(key, value)` pairs, in [`HashMap::keys`] order.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::HashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 16), 1)?;
    /// let h = HashMap::<u32, u64>::try_from(&map)?;
    /// h.insert(7, 70, BPF_ANY)?;
    /// let total: u64 = h.iter().map(|entry| entry.map(|(_, v)| v)).sum::<Result<_, _>>()?;
    /// assert_eq!(total, 70);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<(K, V), ViewError>> + '_ {
        iter::entries(
            &self.map,
            |map, key| decode(map, "iter", key),
            |map, value| decode(map, "iter", value),
        )
    }

    /// The number of elements.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::HashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 16), 1)?;
    /// let h = HashMap::<u32, u64>::try_from(&map)?;
    /// h.insert(1, 1, BPF_ANY)?;
    /// assert_eq!(h.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the map has no elements.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::HashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 16), 1)?;
    /// assert!(HashMap::<u32, u64>::try_from(&map)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
