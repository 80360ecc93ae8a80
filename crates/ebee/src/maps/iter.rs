//! Iteration shared by the keyed views: `BPF_MAP_GET_NEXT_KEY` order, as the byte API and
//! `bpftool map dump` walk a map.

use super::{op_error, ViewError};
use ebee_maps::{Errno, Map};

/// A map's keys as bytes, from [`Map::next_key`]; stops at `-ENOENT` and after the first
/// other error.
struct RawKeys<'a> {
    map: &'a Map,
    cursor: Option<Vec<u8>>,
    done: bool,
}

impl Iterator for RawKeys<'_> {
    type Item = Result<Vec<u8>, Errno>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.map.next_key(self.cursor.as_deref()) {
            Ok(key) => {
                self.cursor = Some(key.clone());
                Some(Ok(key))
            }
            Err(Errno::ENOENT) => {
                self.done = true;
                None
            }
            Err(errno) => {
                self.done = true;
                Some(Err(errno))
            }
        }
    }
}

fn raw_keys(map: &Map) -> RawKeys<'_> {
    RawKeys {
        map,
        cursor: None,
        done: false,
    }
}

/// The keys of `map`, decoded.
pub(super) fn keys<'a, K: 'a>(
    map: &'a Map,
    decode: impl Fn(&Map, &[u8]) -> Result<K, ViewError> + 'a,
) -> impl Iterator<Item = Result<K, ViewError>> + 'a {
    raw_keys(map).map(move |key| {
        let key = key.map_err(|errno| op_error(map, "keys", errno))?;
        decode(map, &key)
    })
}

/// The `(key, value)` pairs of `map`, decoded; a key deleted between `get_next_key` and
/// the lookup of its value is skipped.
pub(super) fn entries<'a, K: 'a, V: 'a>(
    map: &'a Map,
    decode_key: impl Fn(&Map, &[u8]) -> Result<K, ViewError> + 'a,
    decode_value: impl Fn(&Map, &[u8]) -> Result<V, ViewError> + 'a,
) -> impl Iterator<Item = Result<(K, V), ViewError>> + 'a {
    raw_keys(map).filter_map(move |key| {
        let key = match key {
            Ok(key) => key,
            Err(errno) => return Some(Err(op_error(map, "iter", errno))),
        };
        match map.lookup(&key) {
            Ok(value) => {
                Some(decode_key(map, &key).and_then(|k| Ok((k, decode_value(map, &value)?))))
            }
            Err(Errno::ENOENT) => None,
            Err(errno) => Some(Err(op_error(map, "iter", errno))),
        }
    })
}
