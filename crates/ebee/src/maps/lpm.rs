//! [`LpmTrie`] and its [`Key`]: `lpm_trie` maps (longest-prefix match).

use super::{check_key_size, check_type, check_value, decode, found, iter, op_error, ViewError};
use bytemuck::Pod;
use ebee_maps::{Map, MapType};
use std::borrow::Borrow;
use std::marker::PhantomData;
use std::mem::size_of;
use std::sync::Arc;

/// An LPM trie key: a prefix length in bits and the data it applies to, the kernel's
/// `struct bpf_lpm_trie_key_u8` (a `u32` prefix length in host byte order, then the data).
/// The data's bits are matched from its first byte on, so addresses go in network byte
/// order: `[u8; 4]` or `[u8; 16]` is the simplest `K` for IPv4 and IPv6.
///
/// ```
/// use ebee::maps::Key;
/// let net = Key::new(24, [192, 168, 1, 0]);
/// assert_eq!(net.prefix_len, 24);
/// assert_eq!(net.data, [192, 168, 1, 0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key<K> {
    /// The number of leading bits of `data` that the key covers.
    pub prefix_len: u32,
    /// The data (address) bytes.
    pub data: K,
}

impl<K: Pod> Key<K> {
    /// A key covering the first `prefix_len` bits of `data`.
    ///
    /// ```
    /// use ebee::maps::Key;
    /// let host = Key::new(32, [10u8, 0, 0, 1]);
    /// assert_eq!(host.prefix_len, 32);
    /// ```
    pub fn new(prefix_len: u32, data: K) -> Key<K> {
        Key { prefix_len, data }
    }

    fn to_bytes(self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(4 + size_of::<K>());
        bytes.extend_from_slice(&self.prefix_len.to_ne_bytes());
        bytes.extend_from_slice(bytemuck::bytes_of(&self.data));
        bytes
    }

    fn from_bytes(map: &Map, op: &'static str, bytes: &[u8]) -> Result<Key<K>, ViewError> {
        let (prefix_len, data) = bytes.split_at_checked(4).unwrap_or((bytes, &[]));
        Ok(Key {
            prefix_len: decode(map, op, prefix_len)?,
            data: decode(map, op, data)?,
        })
    }
}

/// A typed view of an `lpm_trie` map: keys [`Key<K>`], values `V`. The map's key size is
/// `4 + size_of::<K>()`.
///
/// ```
/// use ebee::{Map, MapSpec, MapType, flags::*};
/// use ebee::maps::{Key, LpmTrie};
/// let spec = MapSpec::new("routes", MapType::LpmTrie, 8, 4, 16).with_flags(BPF_F_NO_PREALLOC);
/// let map = Map::create(spec, 1)?;
/// let routes = LpmTrie::<[u8; 4], u32>::try_from(&map)?;
/// routes.insert(Key::new(8, [10, 0, 0, 0]), 1, BPF_ANY)?;
/// routes.insert(Key::new(24, [10, 1, 2, 0]), 2, BPF_ANY)?;
/// assert_eq!(routes.get(&Key::new(32, [10, 1, 2, 3]))?, Some(2));
/// assert_eq!(routes.get(&Key::new(32, [10, 9, 9, 9]))?, Some(1));
/// assert_eq!(routes.get(&Key::new(32, [192, 168, 0, 1]))?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LpmTrie<K, V> {
    map: Arc<Map>,
    _types: PhantomData<fn() -> (K, V)>,
}

super::view_impls!(
    LpmTrie[K, V],
    "let spec = MapSpec::new(\"m\", MapType::LpmTrie, 8, 4, 16).with_flags(ebee::flags::BPF_F_NO_PREALLOC);\n\
     let map = Map::create(spec, 1)?;\n\
     let view = LpmTrie::<u32, u32>::try_from(&map)?;"
);

impl<K: Pod, V: Pod> LpmTrie<K, V> {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        check_type(&map, "LpmTrie", &[MapType::LpmTrie])?;
        let key_type = format!("Key<{}>", std::any::type_name::<K>());
        check_key_size(&map, key_type, 4 + size_of::<K>())?;
        check_value::<V>(&map)?;
        Ok(LpmTrie {
            map,
            _types: PhantomData,
        })
    }

    /// The value of the longest stored prefix that matches `key` (its first
    /// `key.prefix_len` bits), `None` if no prefix matches: what `bpf_map_lookup_elem` gives
    /// a program.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::{Key, LpmTrie};
    /// let spec = MapSpec::new("t", MapType::LpmTrie, 8, 8, 16).with_flags(BPF_F_NO_PREALLOC);
    /// let map = Map::create(spec, 1)?;
    /// let t = LpmTrie::<[u8; 4], u64>::try_from(&map)?;
    /// t.insert(Key::new(16, [172, 16, 0, 0]), 5, BPF_ANY)?;
    /// assert_eq!(t.get(&Key::new(32, [172, 16, 3, 4]))?, Some(5));
    /// assert_eq!(t.get(&Key::new(8, [172, 16, 3, 4]))?, None); // shorter than any prefix
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, key: &Key<K>) -> Result<Option<V>, ViewError> {
        let op = "get";
        let value =
            found(self.map.lookup(&key.to_bytes())).map_err(|e| op_error(&self.map, op, e))?;
        value.map(|v| decode(&self.map, op, &v)).transpose()
    }

    /// Stores `value` for the prefix `key`. Flags as [`super::HashMap::insert`] (without
    /// `BPF_F_LOCK`); a prefix longer than the data is `EINVAL`, a full trie `ENOSPC`.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::{Key, LpmTrie};
    /// let spec = MapSpec::new("t", MapType::LpmTrie, 8, 4, 1).with_flags(BPF_F_NO_PREALLOC);
    /// let map = Map::create(spec, 1)?;
    /// let t = LpmTrie::<[u8; 4], u32>::try_from(&map)?;
    /// t.insert(Key::new(8, [10, 0, 0, 0]), 1, BPF_NOEXIST)?;
    /// let full = t.insert(Key::new(8, [11, 0, 0, 0]), 1, BPF_ANY).unwrap_err();
    /// assert_eq!(full.errno(), Some(Errno::ENOSPC));
    /// let long = t.insert(Key::new(33, [10, 0, 0, 0]), 1, BPF_ANY).unwrap_err();
    /// assert_eq!(long.errno(), Some(Errno::EINVAL));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert(
        &self,
        key: impl Borrow<Key<K>>,
        value: impl Borrow<V>,
        flags: u64,
    ) -> Result<(), ViewError> {
        self.map
            .update(
                &key.borrow().to_bytes(),
                bytemuck::bytes_of(value.borrow()),
                flags,
            )
            .map_err(|e| op_error(&self.map, "insert", e))
    }

    /// Deletes exactly the prefix `key` (no longest-prefix match): `ENOENT` if it is not
    /// stored.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::{Key, LpmTrie};
    /// let spec = MapSpec::new("t", MapType::LpmTrie, 8, 4, 4).with_flags(BPF_F_NO_PREALLOC);
    /// let map = Map::create(spec, 1)?;
    /// let t = LpmTrie::<[u8; 4], u32>::try_from(&map)?;
    /// t.insert(Key::new(8, [10, 0, 0, 0]), 1, BPF_ANY)?;
    /// let more_specific = t.remove(&Key::new(16, [10, 0, 0, 0])).unwrap_err();
    /// assert_eq!(more_specific.errno(), Some(Errno::ENOENT));
    /// t.remove(&Key::new(8, [10, 0, 0, 0]))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&self, key: &Key<K>) -> Result<(), ViewError> {
        self.map
            .delete(&key.to_bytes())
            .map_err(|e| op_error(&self.map, "remove", e))
    }

    /// The stored prefixes, in `BPF_MAP_GET_NEXT_KEY` order (the kernel's: more specific
    /// prefixes before the prefixes that contain them).
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::{Key, LpmTrie};
    /// let spec = MapSpec::new("t", MapType::LpmTrie, 8, 4, 4).with_flags(BPF_F_NO_PREALLOC);
    /// let map = Map::create(spec, 1)?;
    /// let t = LpmTrie::<[u8; 4], u32>::try_from(&map)?;
    /// t.insert(Key::new(8, [10, 0, 0, 0]), 1, BPF_ANY)?;
    /// t.insert(Key::new(16, [10, 1, 0, 0]), 2, BPF_ANY)?;
    /// let keys = t.keys().collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(keys, [Key::new(16, [10, 1, 0, 0]), Key::new(8, [10, 0, 0, 0])]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = Result<Key<K>, ViewError>> + '_ {
        iter::keys(&self.map, |map, key| Key::from_bytes(map, "keys", key))
    }

    /// The `(prefix, value)` pairs, in [`LpmTrie::keys`] order.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::{Key, LpmTrie};
    /// let spec = MapSpec::new("t", MapType::LpmTrie, 8, 4, 4).with_flags(BPF_F_NO_PREALLOC);
    /// let map = Map::create(spec, 1)?;
    /// let t = LpmTrie::<[u8; 4], u32>::try_from(&map)?;
    /// t.insert(Key::new(8, [10, 0, 0, 0]), 1, BPF_ANY)?;
    /// assert_eq!(t.iter().collect::<Result<Vec<_>, _>>()?, [(Key::new(8, [10, 0, 0, 0]), 1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<(Key<K>, V), ViewError>> + '_ {
        iter::entries(
            &self.map,
            |map, key| Key::from_bytes(map, "iter", key),
            |map, value| decode(map, "iter", value),
        )
    }

    /// The number of stored prefixes.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::{Key, LpmTrie};
    /// let spec = MapSpec::new("t", MapType::LpmTrie, 8, 4, 4).with_flags(BPF_F_NO_PREALLOC);
    /// let map = Map::create(spec, 1)?;
    /// let t = LpmTrie::<[u8; 4], u32>::try_from(&map)?;
    /// t.insert(Key::new(8, [10, 0, 0, 0]), 1, BPF_ANY)?;
    /// assert_eq!(t.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no prefix is stored.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::LpmTrie;
    /// let spec = MapSpec::new("t", MapType::LpmTrie, 8, 4, 4).with_flags(BPF_F_NO_PREALLOC);
    /// let map = Map::create(spec, 1)?;
    /// assert!(LpmTrie::<[u8; 4], u32>::try_from(&map)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
