//! [`PerCpuArray`] and [`PerCpuHashMap`]: one value per CPU, as `Vec<V>` indexed by CPU.

use super::{
    check_key, check_type, check_value, decode, decode_per_cpu, encode_per_cpu, found, iter,
    op_error, ViewError,
};
use bytemuck::Pod;
use ebee_maps::{Map, MapType};
use std::borrow::Borrow;
use std::marker::PhantomData;
use std::sync::Arc;

/// The `bpf(2)` value for `values`, one per CPU of `map`.
fn all_cpus<V: Pod>(map: &Map, values: &[V]) -> Result<Vec<u8>, ViewError> {
    if values.len() != map.ncpus() {
        return Err(ViewError::CpuCount {
            map: map.name().to_string(),
            expected: map.ncpus(),
            actual: values.len(),
        });
    }
    Ok(encode_per_cpu(values))
}

/// A typed view of a `percpu_array` map: each index holds one `V` per CPU.
///
/// ```
/// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
/// use ebee::maps::PerCpuArray;
/// let map = Map::create(MapSpec::new("packets", MapType::PercpuArray, 4, 8, 256), 2)?;
/// let packets = PerCpuArray::<u64>::try_from(&map)?;
/// packets.set(6, &[3, 4], BPF_ANY)?; // CPU 0 counted 3 TCP packets, CPU 1 counted 4
/// assert_eq!(packets.get(6)?.iter().sum::<u64>(), 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PerCpuArray<V> {
    map: Arc<Map>,
    _types: PhantomData<fn() -> V>,
}

super::view_impls!(
    PerCpuArray[V],
    "let map = Map::create(MapSpec::new(\"m\", MapType::PercpuArray, 4, 8, 4), 2)?;\n\
     let view = PerCpuArray::<u64>::try_from(&map)?;"
);

impl<V: Pod> PerCpuArray<V> {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        check_type(&map, "PerCpuArray", &[MapType::PercpuArray])?;
        check_value::<V>(&map)?;
        Ok(PerCpuArray {
            map,
            _types: PhantomData,
        })
    }

    /// Every CPU's value at `index` (element `i` is CPU `i`'s); `ENOENT` past the end.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::PerCpuArray;
    /// let map = Map::create(MapSpec::new("a", MapType::PercpuArray, 4, 4, 2), 3)?;
    /// assert_eq!(PerCpuArray::<u32>::try_from(&map)?.get(0)?, [0, 0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, index: u32) -> Result<Vec<V>, ViewError> {
        let op = "get";
        let value = self
            .map
            .lookup(&index.to_ne_bytes())
            .map_err(|e| op_error(&self.map, op, e))?;
        decode_per_cpu(&self.map, op, &value)
    }

    /// Writes every CPU's value at `index`: `values` has one value per CPU
    /// ([`ViewError::CpuCount`] otherwise). Flags and errnos as [`super::Array::set`].
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::PerCpuArray;
    /// let map = Map::create(MapSpec::new("a", MapType::PercpuArray, 4, 4, 2), 2)?;
    /// let a = PerCpuArray::<u32>::try_from(&map)?;
    /// a.set(1, &[10, 20], BPF_ANY)?;
    /// assert_eq!(a.get(1)?, [10, 20]);
    /// assert!(a.set(1, &[1], BPF_ANY).is_err()); // two CPUs, one value
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set(&self, index: u32, values: &[V], flags: u64) -> Result<(), ViewError> {
        let bytes = all_cpus(&self.map, values)?;
        self.map
            .update(&index.to_ne_bytes(), &bytes, flags)
            .map_err(|e| op_error(&self.map, "set", e))
    }

    /// Writes `value` at `index` for every CPU (as `bpftool map update` does with one value).
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::PerCpuArray;
    /// let map = Map::create(MapSpec::new("a", MapType::PercpuArray, 4, 8, 2), 3)?;
    /// let a = PerCpuArray::<u64>::try_from(&map)?;
    /// a.set_all_cpus(0, 7, BPF_ANY)?;
    /// assert_eq!(a.get(0)?, [7, 7, 7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_all_cpus(
        &self,
        index: u32,
        value: impl Borrow<V>,
        flags: u64,
    ) -> Result<(), ViewError> {
        self.set(index, &vec![*value.borrow(); self.map.ncpus()], flags)
    }

    /// Every index's per-CPU values, by index from 0.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::PerCpuArray;
    /// let map = Map::create(MapSpec::new("a", MapType::PercpuArray, 4, 8, 2), 2)?;
    /// let a = PerCpuArray::<u64>::try_from(&map)?;
    /// a.set(1, &[1, 2], BPF_ANY)?;
    /// assert_eq!(a.iter().collect::<Result<Vec<_>, _>>()?, [vec![0, 0], vec![1, 2]]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<Vec<V>, ViewError>> + '_ {
        (0..self.len()).map(|index| self.get(index))
    }

    /// The number of indices (`max_entries`).
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::PerCpuArray;
    /// let map = Map::create(MapSpec::new("a", MapType::PercpuArray, 4, 8, 5), 2)?;
    /// assert_eq!(PerCpuArray::<u64>::try_from(&map)?.len(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> u32 {
        self.map.max_entries()
    }

    /// Always false: arrays have at least one element.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::PerCpuArray;
    /// let map = Map::create(MapSpec::new("a", MapType::PercpuArray, 4, 8, 1), 2)?;
    /// assert!(!PerCpuArray::<u64>::try_from(&map)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of CPUs, the length of every value vector.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::PerCpuArray;
    /// let map = Map::create(MapSpec::new("a", MapType::PercpuArray, 4, 8, 1), 4)?;
    /// assert_eq!(PerCpuArray::<u64>::try_from(&map)?.ncpus(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ncpus(&self) -> usize {
        self.map.ncpus()
    }
}

/// A typed view of a `percpu_hash` or `lru_percpu_hash` map: each key holds one `V` per CPU.
///
/// ```
/// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
/// use ebee::maps::PerCpuHashMap;
/// let map = Map::create(MapSpec::new("bytes", MapType::PercpuHash, 4, 8, 64), 2)?;
/// let bytes = PerCpuHashMap::<u32, u64>::try_from(&map)?;
/// bytes.insert(1, &[100, 200], BPF_ANY)?;
/// assert_eq!(bytes.get(&1)?, Some(vec![100, 200]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PerCpuHashMap<K, V> {
    map: Arc<Map>,
    _types: PhantomData<fn() -> (K, V)>,
}

super::view_impls!(
    PerCpuHashMap[K, V],
    "let map = Map::create(MapSpec::new(\"m\", MapType::PercpuHash, 4, 8, 4), 2)?;\n\
     let view = PerCpuHashMap::<u32, u64>::try_from(&map)?;"
);

impl<K: Pod, V: Pod> PerCpuHashMap<K, V> {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        let types = &[MapType::PercpuHash, MapType::LruPercpuHash];
        check_type(&map, "PerCpuHashMap", types)?;
        check_key::<K>(&map)?;
        check_value::<V>(&map)?;
        Ok(PerCpuHashMap {
            map,
            _types: PhantomData,
        })
    }

    /// Every CPU's value under `key` (element `i` is CPU `i`'s), `None` if there is none.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::PerCpuHashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::PercpuHash, 4, 4, 8), 2)?;
    /// let h = PerCpuHashMap::<u32, u32>::try_from(&map)?;
    /// assert_eq!(h.get(&1)?, None);
    /// h.insert(1, &[5, 6], BPF_ANY)?;
    /// assert_eq!(h.get(&1)?, Some(vec![5, 6]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, key: &K) -> Result<Option<Vec<V>>, ViewError> {
        let op = "get";
        let value = found(self.map.lookup(bytemuck::bytes_of(key)))
            .map_err(|e| op_error(&self.map, op, e))?;
        value.map(|v| decode_per_cpu(&self.map, op, &v)).transpose()
    }

    /// Stores one value per CPU under `key` ([`ViewError::CpuCount`] unless `values` has one
    /// per CPU). Flags and errnos as [`super::HashMap::insert`].
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::PerCpuHashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::PercpuHash, 4, 4, 8), 2)?;
    /// let h = PerCpuHashMap::<u32, u32>::try_from(&map)?;
    /// h.insert(1, &[5, 6], BPF_NOEXIST)?;
    /// let err = h.insert(1, &[7, 8], BPF_NOEXIST).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EEXIST));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert(&self, key: impl Borrow<K>, values: &[V], flags: u64) -> Result<(), ViewError> {
        let bytes = all_cpus(&self.map, values)?;
        self.map
            .update(bytemuck::bytes_of(key.borrow()), &bytes, flags)
            .map_err(|e| op_error(&self.map, "insert", e))
    }

    /// Stores `value` under `key` for every CPU.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::PerCpuHashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::LruPercpuHash, 4, 8, 8), 3)?;
    /// let h = PerCpuHashMap::<u32, u64>::try_from(&map)?;
    /// h.insert_all_cpus(9, 1, BPF_ANY)?;
    /// assert_eq!(h.get(&9)?, Some(vec![1, 1, 1]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert_all_cpus(
        &self,
        key: impl Borrow<K>,
        value: impl Borrow<V>,
        flags: u64,
    ) -> Result<(), ViewError> {
        self.insert(key, &vec![*value.borrow(); self.map.ncpus()], flags)
    }

    /// Deletes `key`: `ENOENT` if it is not there.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::PerCpuHashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::PercpuHash, 4, 8, 8), 2)?;
    /// let h = PerCpuHashMap::<u32, u64>::try_from(&map)?;
    /// h.insert_all_cpus(1, 0, BPF_ANY)?;
    /// h.remove(&1)?;
    /// assert_eq!(h.remove(&1).unwrap_err().errno(), Some(Errno::ENOENT));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&self, key: &K) -> Result<(), ViewError> {
        self.map
            .delete(bytemuck::bytes_of(key))
            .map_err(|e| op_error(&self.map, "remove", e))
    }

    /// The keys, in `BPF_MAP_GET_NEXT_KEY` order.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::PerCpuHashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::PercpuHash, 4, 8, 8), 2)?;
    /// let h = PerCpuHashMap::<u32, u64>::try_from(&map)?;
    /// h.insert_all_cpus(4, 0, BPF_ANY)?;
    /// assert_eq!(h.keys().collect::<Result<Vec<_>, _>>()?, [4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = Result<K, ViewError>> + '_ {
        iter::keys(&self.map, |map, key| decode(map, "keys", key))
    }

    /// The `(key, per-CPU values)` pairs, in [`PerCpuHashMap::keys`] order.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::PerCpuHashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::PercpuHash, 4, 8, 8), 2)?;
    /// let h = PerCpuHashMap::<u32, u64>::try_from(&map)?;
    /// h.insert(4, &[1, 2], BPF_ANY)?;
    /// assert_eq!(h.iter().collect::<Result<Vec<_>, _>>()?, [(4, vec![1, 2])]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<(K, Vec<V>), ViewError>> + '_ {
        iter::entries(
            &self.map,
            |map, key| decode(map, "iter", key),
            |map, value| decode_per_cpu(map, "iter", value),
        )
    }

    /// The number of keys.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::PerCpuHashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::PercpuHash, 4, 8, 8), 2)?;
    /// let h = PerCpuHashMap::<u32, u64>::try_from(&map)?;
    /// h.insert_all_cpus(4, 0, BPF_ANY)?;
    /// assert_eq!(h.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the map has no keys.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::PerCpuHashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::PercpuHash, 4, 8, 8), 2)?;
    /// assert!(PerCpuHashMap::<u32, u64>::try_from(&map)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The number of CPUs, the length of every value vector.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::PerCpuHashMap;
    /// let map = Map::create(MapSpec::new("h", MapType::PercpuHash, 4, 8, 8), 2)?;
    /// assert_eq!(PerCpuHashMap::<u32, u64>::try_from(&map)?.ncpus(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ncpus(&self) -> usize {
        self.map.ncpus()
    }
}
