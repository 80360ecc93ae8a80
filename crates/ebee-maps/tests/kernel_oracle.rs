//! The kernel as the oracle: the same map definitions and operation sequences run on real
//! kernel maps (`bpf(2)`) and on ebee maps, and every result — errno or bytes — must match.
//! Skipped (with a message) where `bpf(2)` is not permitted.

mod common;

use common::*;
use ebee_maps::{flags::*, Map, MapSpec, MapType};
use std::sync::Arc;

#[test]
fn creation_errnos_match() {
    if !kernel_available() {
        return;
    }
    use MapType::*;
    let s = MapSpec::new;
    let specs = vec![
        s("a", Array, 8, 4, 1),
        s("a", Array, 4, 0, 1),
        s("a", Array, 4, 4, 0),
        s("a", Array, 4, 4, 1).with_flags(BPF_F_NO_PREALLOC),
        s("a", PercpuArray, 4, 4, 1).with_flags(BPF_F_MMAPABLE),
        s("a", PercpuArray, 4, 40000, 1),
        s("a", Array, 4, 4, 1).with_flags(BPF_F_RDONLY | BPF_F_WRONLY),
        s("a", Array, 4, 4, 1).with_flags(BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG),
        s("a", Array, 4, 4, 1).with_extra(1),
        s("h", Hash, 0, 4, 1),
        s("h", Hash, 4, 4, 0),
        s("h", Hash, 4, 4, 1).with_flags(BPF_F_NO_COMMON_LRU),
        s("h", LruHash, 4, 4, 1).with_flags(BPF_F_NO_PREALLOC),
        s("h", Hash, 4, 4, 1).with_flags(BPF_F_MMAPABLE),
        s("h", Hash, 1 << 21, 1 << 21, 1),
        s("h", PercpuHash, 4, 40000, 1),
        s("l", LpmTrie, 8, 4, 16),
        s("l", LpmTrie, 4, 4, 16).with_flags(BPF_F_NO_PREALLOC),
        s("l", LpmTrie, 261, 4, 16).with_flags(BPF_F_NO_PREALLOC),
        s("l", LpmTrie, 8, 0, 16).with_flags(BPF_F_NO_PREALLOC),
        s("q", Queue, 4, 4, 16),
        s("q", Stack, 0, 0, 16),
        s("q", Queue, 0, 4, 0),
        s("r", RingBuf, 0, 0, 4096 * 3),
        s("r", RingBuf, 0, 0, 2048),
        s("r", RingBuf, 4, 0, 4096),
        s("b", BloomFilter, 4, 4, 16),
        s("b", BloomFilter, 0, 4, 16).with_extra(16),
        s("p", ProgArray, 4, 8, 4),
        s("p", PerfEventArray, 4, 4, 4).with_flags(BPF_F_RDONLY_PROG),
        s("ok", Hash, 4, 4, 1),
        s("ok", BloomFilter, 0, 3, 100).with_extra(3),
        s("ok", RingBuf, 0, 0, 1 << 16),
    ];
    for spec in specs {
        let kernel = kcreate(&spec, None).map(|_| ());
        let ours = Map::create(spec.clone(), possible_cpus())
            .map(|_| ())
            .map_err(|e| e.errno());
        assert_eq!(ours, kernel, "{spec:?}");
    }
}

#[test]
fn array_matches() {
    use Op::*;
    compare(
        MapSpec::new("a", MapType::Array, 4, 8, 3),
        &[
            Lookup(k32(1)),
            Update(k32(1), v64(7), BPF_ANY),
            Update(k32(1), v64(8), BPF_NOEXIST),
            Update(k32(2), v64(9), BPF_EXIST),
            Update(k32(3), v64(9), BPF_ANY),
            Update(k32(3), v64(9), BPF_NOEXIST),
            Update(k32(0), v64(1), 3),
            Update(k32(0), v64(1), BPF_F_LOCK),
            LookupFlags(k32(0), BPF_F_LOCK),
            LookupFlags(k32(0), 8),
            Lookup(k32(1)),
            Lookup(k32(3)),
            Delete(k32(1)),
            NextKey(None),
            NextKey(Some(k32(1))),
            NextKey(Some(k32(2))),
            NextKey(Some(k32(99))),
            LookupAndDelete(k32(1)),
            Freeze,
            Update(k32(1), v64(1), BPF_ANY),
            Freeze,
            Lookup(k32(1)),
        ],
    );
}

#[test]
fn percpu_maps_match() {
    use Op::*;
    let n = possible_cpus();
    let all = |base: u64| {
        (0..n as u64)
            .flat_map(|c| (base + c).to_ne_bytes())
            .collect::<Vec<u8>>()
    };
    for t in [
        MapType::PercpuArray,
        MapType::PercpuHash,
        MapType::LruPercpuHash,
    ] {
        compare(
            MapSpec::new("p", t, 4, 8, 4),
            &[
                Update(k32(1), all(10), BPF_ANY),
                Lookup(k32(1)),
                Update(k32(1), all(20), BPF_NOEXIST),
                Update(k32(2), all(20), BPF_EXIST),
                Update(k32(1), all(20), BPF_F_LOCK),
                Update(k32(1), all(30), BPF_EXIST),
                Lookup(k32(1)),
                NextKey(None),
            ],
        );
    }
}

#[test]
fn hash_matches_including_zero_seed_order() {
    use Op::*;
    for t in [MapType::Hash, MapType::LruHash] {
        let mut ops = vec![
            Delete(k32(1)),
            Update(k32(1), v64(1), BPF_EXIST),
            Update(k32(1), v64(1), BPF_NOEXIST),
            Update(k32(1), v64(2), BPF_NOEXIST),
            Update(k32(1), v64(3), BPF_EXIST),
            Update(k32(1), v64(3), 3),
            Update(k32(1), v64(3), BPF_F_LOCK),
            Lookup(k32(1)),
            Lookup(k32(2)),
        ];
        for i in 2..=8 {
            ops.push(Update(k32(i * 77), v64(u64::from(i)), BPF_ANY));
        }
        // Re-updating moves an element to the head of its bucket.
        ops.push(Update(k32(2 * 77), v64(99), BPF_ANY));
        ops.push(NextKey(None));
        ops.push(NextKey(Some(k32(12345))));
        for i in 2..=8 {
            ops.push(NextKey(Some(k32(i * 77))));
        }
        ops.push(NextKey(Some(k32(1))));
        ops.push(LookupAndDelete(k32(3 * 77)));
        ops.push(LookupAndDelete(k32(3 * 77)));
        ops.push(Delete(k32(4 * 77)));
        ops.push(Delete(k32(4 * 77)));
        compare(
            MapSpec::new("h", t, 4, 8, 16).with_flags(BPF_F_ZERO_SEED),
            &ops,
        );
    }
    // Full map: -E2BIG for a new key, replacing an existing one still works.
    let mut ops: Vec<Op> = (0..4).map(|i| Update(k32(i), v64(1), BPF_ANY)).collect();
    ops.extend([
        Update(k32(9), v64(1), BPF_ANY),
        Update(k32(2), v64(5), BPF_ANY),
        Lookup(k32(2)),
        Delete(k32(0)),
        Update(k32(9), v64(1), BPF_ANY),
    ]);
    compare(MapSpec::new("full", MapType::Hash, 4, 8, 4), &ops);
    // Odd key sizes hash with jhash (not jhash2).
    let odd: Vec<Op> = (0u8..6)
        .map(|i| Update(vec![i, 1, 2, 3, 4, 5, 6], v64(1), BPF_ANY))
        .chain((0u8..6).map(|i| NextKey(Some(vec![i, 1, 2, 3, 4, 5, 6]))))
        .collect();
    compare(
        MapSpec::new("odd", MapType::Hash, 7, 8, 8).with_flags(BPF_F_ZERO_SEED),
        &odd,
    );
}

#[test]
fn lpm_trie_matches() {
    use Op::*;
    let spec = MapSpec::new("lpm", MapType::LpmTrie, 8, 8, 4).with_flags(BPF_F_NO_PREALLOC);
    compare(
        spec,
        &[
            Update(lpm(16, [192, 168, 0, 0]), v64(1), BPF_ANY),
            Update(lpm(24, [192, 168, 0, 0]), v64(2), BPF_ANY),
            Update(lpm(24, [192, 168, 128, 0]), v64(3), BPF_ANY),
            Update(lpm(24, [192, 168, 1, 0]), v64(5), BPF_ANY),
            Update(lpm(8, [10, 0, 0, 0]), v64(6), BPF_ANY),
            Update(lpm(24, [192, 168, 1, 0]), v64(7), BPF_NOEXIST),
            Update(lpm(24, [192, 168, 1, 0]), v64(7), BPF_EXIST),
            Update(lpm(33, [192, 168, 1, 0]), v64(7), BPF_ANY),
            Update(lpm(20, [192, 168, 1, 0]), v64(7), 4),
            Lookup(lpm(32, [192, 168, 1, 1])),
            Lookup(lpm(32, [192, 168, 2, 1])),
            Lookup(lpm(32, [192, 168, 128, 9])),
            Lookup(lpm(32, [10, 1, 1, 1])),
            Lookup(lpm(15, [192, 168, 1, 1])),
            NextKey(None),
            NextKey(Some(lpm(24, [192, 168, 0, 0]))),
            NextKey(Some(lpm(24, [192, 168, 1, 0]))),
            NextKey(Some(lpm(24, [192, 168, 128, 0]))),
            NextKey(Some(lpm(16, [192, 168, 0, 0]))),
            NextKey(Some(lpm(23, [192, 168, 0, 0]))),
            Delete(lpm(23, [192, 168, 0, 0])),
            Delete(lpm(16, [192, 168, 0, 0])),
            Lookup(lpm(32, [192, 168, 2, 1])),
            Delete(lpm(24, [192, 168, 0, 0])),
            Lookup(lpm(32, [192, 168, 0, 1])),
            Update(lpm(32, [1, 2, 3, 4]), v64(8), BPF_ANY),
            Update(lpm(32, [1, 2, 3, 5]), v64(8), BPF_ANY),
            Update(lpm(32, [1, 2, 3, 6]), v64(8), BPF_ANY),
            NextKey(None),
            Delete(lpm(33, [1, 2, 3, 6])),
        ],
    );
}

#[test]
fn queue_stack_bloom_match() {
    use Op::*;
    for t in [MapType::Queue, MapType::Stack] {
        compare(
            MapSpec::new("q", t, 0, 4, 3),
            &[
                Pop,
                Peek,
                Push(k32(1), BPF_ANY),
                Push(k32(2), BPF_ANY),
                Push(k32(3), BPF_ANY),
                Push(k32(4), BPF_ANY),
                Push(k32(4), BPF_NOEXIST),
                Push(k32(4), 4),
                Push(k32(4), BPF_EXIST),
                Peek,
                Pop,
                Pop,
                Delete(vec![]),
                NextKey(None),
                Pop,
                Pop,
            ],
        );
    }
    let mut ops: Vec<Op> = (0..50).map(|i| Push(k32(i * 3), BPF_ANY)).collect();
    ops.extend((0..200).map(|i| BloomHas(k32(i))));
    ops.extend([Push(k32(1), BPF_EXIST), Pop, Delete(vec![]), NextKey(None)]);
    compare(
        MapSpec::new("b", MapType::BloomFilter, 0, 4, 20)
            .with_extra(2)
            .with_flags(BPF_F_ZERO_SEED),
        &ops,
    );
    let odd: Vec<Op> = (0u8..20)
        .map(|i| Push(vec![i, 9, 9], BPF_ANY))
        .chain((0u8..60).map(|i| BloomHas(vec![i, 9, 9])))
        .collect();
    compare(
        MapSpec::new("b3", MapType::BloomFilter, 0, 3, 10).with_flags(BPF_F_ZERO_SEED),
        &odd,
    );
}

#[test]
fn handle_maps_and_ringbuf_errnos_match() {
    use Op::*;
    compare(
        MapSpec::new("p", MapType::ProgArray, 4, 4, 2),
        &[
            Lookup(k32(0)),
            Lookup(k32(5)),
            Delete(k32(0)),
            Delete(k32(5)),
            Update(k32(5), k32(1), BPF_ANY),
            Update(k32(0), k32(1), BPF_NOEXIST),
            NextKey(None),
            NextKey(Some(k32(1))),
        ],
    );
    compare(
        MapSpec::new("perf", MapType::PerfEventArray, 4, 4, 2),
        &[
            Lookup(k32(0)),
            Delete(k32(0)),
            Delete(k32(7)),
            NextKey(None),
        ],
    );
    compare(
        MapSpec::new("rb", MapType::RingBuf, 0, 0, 4096),
        &[
            Lookup(vec![]),
            Update(vec![], vec![], BPF_ANY),
            Delete(vec![]),
            NextKey(None),
        ],
    );
    if !kernel_available() {
        return;
    }
    // Map of maps: inner compatibility and lookups of empty slots.
    let inner_spec = MapSpec::new("inner", MapType::Hash, 4, 4, 8);
    let kinner = kcreate(&inner_spec, None).unwrap();
    let outer = MapSpec::new("outer", MapType::ArrayOfMaps, 4, 4, 2).with_inner(inner_spec.clone());
    let kouter = kcreate(&outer, Some(kinner.fd)).unwrap();
    let eouter = Map::create(outer, possible_cpus()).unwrap();
    for op in [
        Lookup(k32(0)),
        Delete(k32(0)),
        Delete(k32(3)),
        NextKey(None),
    ] {
        assert_eq!(
            ebee_run(&eouter, &op),
            kernel_run(&kouter, 4, &op),
            "{op:?}"
        );
    }
    let other = MapSpec::new("other", MapType::Hash, 4, 8, 8);
    let kother = kcreate(&other, None).unwrap();
    let kr = kernel_run(&kouter, 4, &Update(k32(0), k32(kother.fd as u32), BPF_ANY));
    let er = eouter
        .update_inner_map(&k32(0), &Map::create(other, 1).unwrap(), BPF_ANY)
        .map(|_| None);
    assert_eq!(er, kr);
    let kr = kernel_run(&kouter, 4, &Update(k32(0), k32(kinner.fd as u32), BPF_ANY));
    let inner: Arc<Map> = Map::create(inner_spec, 1).unwrap();
    assert_eq!(
        eouter
            .update_inner_map(&k32(0), &inner, BPF_ANY)
            .map(|_| None),
        kr
    );
}

/// LRU eviction: the kernel evicts `clamp(max_entries / ncpus / 2, 1, 128)` elements at
/// once, oldest first, giving updated elements a second chance, and takes a slot (maybe
/// evicting) even for an update that then fails its flags check. (After deletions the
/// kernel's per-CPU free lists make the batch size depend on which CPU freed what; ebee keeps
/// one pool, which matches a kernel whose syscalls all run on one CPU: the test pins itself.)
#[test]
fn lru_eviction_matches() {
    use Op::*;
    if !kernel_available() {
        return;
    }
    // SAFETY: a zeroed cpu_set_t is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU 0 is inside the set.
    unsafe { libc::CPU_SET(0, &mut set) };
    // SAFETY: the set, passed by pointer with its size, for the calling thread (pid 0).
    unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    for max in [4u32, 16, 200, 1000] {
        for pattern in 0..4 {
            let spec = MapSpec::new("l", MapType::LruHash, 4, 8, max);
            let k = kcreate(&spec, None).unwrap();
            let e = Map::create(spec, possible_cpus()).unwrap();
            let mut ops: Vec<Op> = (0..max).map(|i| Update(k32(i), v64(1), BPF_ANY)).collect();
            match pattern {
                1 => ops.extend((0..max / 4).map(|i| Update(k32(i), v64(2), BPF_EXIST))),
                2 => ops.extend([
                    Update(k32(0), v64(2), BPF_NOEXIST),
                    Update(k32(1), v64(2), BPF_ANY),
                ]),
                3 => ops.extend((0..max / 2).map(|i| Delete(k32(i * 2)))),
                _ => {}
            }
            ops.extend((max..max + max / 2 + 1).map(|i| Update(k32(i), v64(1), BPF_ANY)));
            for op in &ops {
                let kr = kernel_run(&k, 4, op);
                assert_eq!(ebee_run(&e, op), kr, "max {max} pattern {pattern} {op:?}");
            }
            for i in 0..max * 2 {
                let op = Lookup(k32(i));
                let kr = kernel_run(&k, 4, &op);
                assert_eq!(ebee_run(&e, &op), kr, "max {max} pattern {pattern} key {i}");
            }
        }
    }
}
