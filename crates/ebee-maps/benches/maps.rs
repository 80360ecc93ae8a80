//! ns per lookup/update for array, hash, LRU hash and LPM trie: program-side
//! (`lookup_ptr`/`update_elem` under one pinned guard, what a helper call costs) and
//! host-side (`lookup`/`update`, which pin and copy). Compare with the kernel's
//! BPF_PROG_TEST_RUN numbers (htab lookup: roughly 15–40 ns including hashing).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ebee_maps::{flags::*, pin, Map, MapSpec, MapType};
use std::sync::Arc;

const N: u32 = 10_000;

fn filled(spec: MapSpec, key: impl Fn(u32) -> Vec<u8>) -> Arc<Map> {
    let m = Map::create(spec, 1).unwrap();
    let v = vec![1u8; m.value_size()];
    for i in 0..N {
        m.update_elem(&key(i), &v, BPF_ANY, 0).unwrap();
    }
    m
}

fn lpm_key(i: u32) -> Vec<u8> {
    [
        &24u32.to_ne_bytes()[..],
        &(0x0a00_0000 | (i << 8)).to_be_bytes(),
    ]
    .concat()
}

fn bench(c: &mut Criterion) {
    let u32key = |i: u32| i.to_ne_bytes().to_vec();
    type KeyFn = Box<dyn Fn(u32) -> Vec<u8>>;
    let maps: Vec<(&str, Arc<Map>, KeyFn)> = vec![
        (
            "array",
            filled(MapSpec::new("a", MapType::Array, 4, 8, N), u32key),
            Box::new(u32key),
        ),
        (
            "hash",
            filled(MapSpec::new("h", MapType::Hash, 4, 8, N), u32key),
            Box::new(u32key),
        ),
        (
            "lru_hash",
            filled(MapSpec::new("l", MapType::LruHash, 4, 8, N), u32key),
            Box::new(u32key),
        ),
        (
            "lpm_trie",
            filled(
                MapSpec::new("t", MapType::LpmTrie, 8, 8, N).with_flags(BPF_F_NO_PREALLOC),
                lpm_key,
            ),
            Box::new(|i| {
                [
                    &32u32.to_ne_bytes()[..],
                    &(0x0a00_0001 | (i << 8)).to_be_bytes(),
                ]
                .concat()
            }),
        ),
    ];
    for (name, map, key) in &maps {
        let keys: Vec<Vec<u8>> = (0..1024).map(|i| key(i * 7 % N)).collect();
        // Updates use the stored keys themselves (exact prefixes for the LPM trie).
        let update_keys: Vec<Vec<u8>> = if *name == "lpm_trie" {
            (0..1024).map(|i| lpm_key(i * 7 % N)).collect()
        } else {
            keys.clone()
        };
        let value = vec![2u8; map.value_size()];
        let mut g = c.benchmark_group(*name);
        g.bench_function("prog_lookup", |b| {
            let guard = pin();
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) & 1023;
                black_box(map.lookup_ptr(black_box(&keys[i]), 0, &guard))
            })
        });
        g.bench_function("prog_update", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) & 1023;
                black_box(map.update_elem(&update_keys[i], &value, BPF_ANY, 0))
            })
        });
        g.bench_function("host_lookup", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) & 1023;
                black_box(map.lookup(black_box(&keys[i])).ok())
            })
        });
        g.bench_function("host_update", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) & 1023;
                black_box(map.update(&update_keys[i], &value, BPF_ANY))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
