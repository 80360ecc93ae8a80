//! Setting and saving map contents from the host, as `bpftool map update` / `dump` do.

use crate::{Error, Object};
use ebee_maps::Map;
use std::collections::BTreeMap;

/// Writes one entry. For per-CPU maps a value of the map's value size goes to every CPU (as
/// `bpftool map update` does, [`Map::replicate_to_all_cpus`]); a value in the full per-CPU
/// layout is used as it is. Queues, stacks and bloom filters take a push (empty key).
pub fn set_entry(map: &Map, key: &[u8], value: &[u8]) -> Result<(), Error> {
    let errno = |errno| Error::MapOperation {
        map: map.name().to_string(),
        errno,
    };
    let value = map.replicate_to_all_cpus(value);
    match map.map_type() {
        ebee_maps::MapType::Queue | ebee_maps::MapType::Stack | ebee_maps::MapType::BloomFilter
            if key.is_empty() =>
        {
            map.push(&value, 0).map_err(errno)
        }
        _ => map.update(key, &value, 0).map_err(errno),
    }
}

/// Contents of several maps: map name → `(key, value)` entries (per-CPU values in the
/// `bpf(2)` all-CPU layout).
pub type MapsState = BTreeMap<String, Vec<(Vec<u8>, Vec<u8>)>>;

/// Writes every entry of `state` into the object's maps.
pub fn apply(object: &Object, state: &MapsState) -> Result<(), Error> {
    for (name, entries) in state {
        let map = object
            .map(name)
            .ok_or_else(|| Error::NoSuchMap(name.clone()))?;
        for (key, value) in entries {
            set_entry(map, key, value)?;
        }
    }
    Ok(())
}

/// Reads every map of the object that can be iterated (ring buffers, perf arrays, queues,
/// stacks and bloom filters have no keys and are left out).
pub fn capture(object: &Object) -> MapsState {
    object
        .maps()
        .iter()
        .filter_map(|map| {
            map.entries()
                .ok()
                .map(|entries| (map.name().to_string(), entries))
        })
        .collect()
}
