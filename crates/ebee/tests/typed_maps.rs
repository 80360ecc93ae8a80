//! Typed map views (`ebee::maps`): every view's operations, construction checks (map type,
//! key and value sizes), the per-CPU layout, errno propagation, and iteration in the byte
//! API's order. Uses only the `ebee` crate, as an embedder would.

mod common;

use ebee::flags::*;
use ebee::maps::{
    Array, BloomFilter, HashMap, Key, LpmTrie, PerCpuArray, PerCpuHashMap, Pod, ProgramArray,
    Queue, RingBuf, Stack, ViewError, Zeroable,
};
use ebee::{Errno, Map, MapSpec, MapType};
use std::sync::Arc;

fn map(spec: MapSpec, ncpus: usize) -> Arc<Map> {
    Map::create(spec, ncpus).expect("valid map definition")
}

fn errno<T: std::fmt::Debug>(result: Result<T, ViewError>) -> Errno {
    result
        .expect_err("the operation should fail")
        .errno()
        .expect("an operation error")
}

fn collect<T>(iter: impl Iterator<Item = Result<T, ViewError>>) -> Vec<T> {
    iter.collect::<Result<_, _>>()
        .expect("iteration without errors")
}

/// One valid map of every type, named after it.
fn one_of_each() -> Vec<Arc<Map>> {
    let nopre = BPF_F_NO_PREALLOC;
    let inner = MapSpec::new("inner", MapType::Array, 4, 4, 1);
    let specs = [
        MapSpec::new("hash", MapType::Hash, 4, 8, 8),
        MapSpec::new("array", MapType::Array, 4, 8, 8),
        MapSpec::new("prog_array", MapType::ProgArray, 4, 4, 8),
        MapSpec::new("perf_event_array", MapType::PerfEventArray, 4, 4, 2),
        MapSpec::new("percpu_hash", MapType::PercpuHash, 4, 8, 8),
        MapSpec::new("percpu_array", MapType::PercpuArray, 4, 8, 8),
        MapSpec::new("lru_hash", MapType::LruHash, 4, 8, 8),
        MapSpec::new("lru_percpu_hash", MapType::LruPercpuHash, 4, 8, 8),
        MapSpec::new("lpm_trie", MapType::LpmTrie, 8, 8, 8).with_flags(nopre),
        MapSpec::new("array_of_maps", MapType::ArrayOfMaps, 4, 4, 2).with_inner(inner.clone()),
        MapSpec::new("hash_of_maps", MapType::HashOfMaps, 4, 4, 2).with_inner(inner),
        MapSpec::new("queue", MapType::Queue, 0, 8, 8),
        MapSpec::new("stack", MapType::Stack, 0, 8, 8),
        MapSpec::new("ringbuf", MapType::RingBuf, 0, 0, 4096),
        MapSpec::new("bloom_filter", MapType::BloomFilter, 0, 8, 8),
    ];
    specs.into_iter().map(|s| map(s, 2)).collect()
}

#[test]
fn each_view_accepts_exactly_its_map_types() {
    type Check = fn(&Arc<Map>) -> Result<(), ViewError>;
    let views: [(&str, &[MapType], Check); 12] = [
        ("HashMap", &[MapType::Hash, MapType::LruHash], |m| {
            HashMap::<u32, u64>::try_from(m).map(drop)
        }),
        ("Array", &[MapType::Array], |m| {
            Array::<u64>::try_from(m).map(drop)
        }),
        ("PerCpuArray", &[MapType::PercpuArray], |m| {
            PerCpuArray::<u64>::try_from(m).map(drop)
        }),
        (
            "PerCpuHashMap",
            &[MapType::PercpuHash, MapType::LruPercpuHash],
            |m| PerCpuHashMap::<u32, u64>::try_from(m).map(drop),
        ),
        ("LpmTrie", &[MapType::LpmTrie], |m| {
            LpmTrie::<u32, u64>::try_from(m).map(drop)
        }),
        ("Queue", &[MapType::Queue], |m| {
            Queue::<u64>::try_from(m).map(drop)
        }),
        ("Stack", &[MapType::Stack], |m| {
            Stack::<u64>::try_from(m).map(drop)
        }),
        ("BloomFilter", &[MapType::BloomFilter], |m| {
            BloomFilter::<u64>::try_from(m).map(drop)
        }),
        ("RingBuf", &[MapType::RingBuf], |m| {
            RingBuf::try_from(m).map(drop)
        }),
        ("ProgramArray", &[MapType::ProgArray], |m| {
            ProgramArray::try_from(m).map(drop)
        }),
        // Owned `Arc<Map>` works the same way.
        ("HashMap", &[MapType::Hash, MapType::LruHash], |m| {
            HashMap::<u32, u64>::try_from(Arc::clone(m)).map(drop)
        }),
        ("RingBuf", &[MapType::RingBuf], |m| {
            RingBuf::try_from(Arc::clone(m)).map(drop)
        }),
    ];
    for m in one_of_each() {
        for &(view, accepted, check) in &views {
            let result = check(&m);
            if accepted.contains(&m.map_type()) {
                assert_eq!(result, Ok(()), "{view} on {}", m.name());
                continue;
            }
            let err = result.expect_err(&format!("{view} must refuse {}", m.name()));
            assert_eq!(
                err,
                ViewError::WrongType {
                    map: m.name().to_string(),
                    view,
                    expected: accepted,
                    actual: m.map_type(),
                },
            );
            assert_eq!(err.map_name(), m.name());
            assert_eq!(err.errno(), None);
        }
    }
}

#[test]
fn wrong_type_message_names_map_and_types() {
    let m = map(MapSpec::new("counts", MapType::Array, 4, 8, 4), 1);
    let err = HashMap::<u32, u64>::try_from(&m).unwrap_err();
    assert_eq!(
        err.to_string(),
        "map `counts` has type array, but a HashMap view needs hash or lru_hash"
    );
}

#[test]
fn size_mismatches_name_map_and_both_sizes() {
    let hash = map(MapSpec::new("flows", MapType::Hash, 4, 8, 4), 1);
    let err = HashMap::<u64, u64>::try_from(&hash).unwrap_err();
    assert_eq!(
        err,
        ViewError::KeySize {
            map: "flows".into(),
            map_type: MapType::Hash,
            type_name: "u64".into(),
            expected: 4,
            actual: 8,
        }
    );
    assert_eq!(
        err.to_string(),
        "map `flows` (hash): keys are 4 bytes, but `u64` is 8 bytes"
    );
    let err = HashMap::<u32, [u8; 3]>::try_from(&hash).unwrap_err();
    assert_eq!(
        err.to_string(),
        "map `flows` (hash): values are 8 bytes, but `[u8; 3]` is 3 bytes"
    );
    assert!(matches!(
        err,
        ViewError::ValueSize {
            expected: 8,
            actual: 3,
            ..
        }
    ));

    // Per-CPU views compare one CPU's value, not the padded all-CPU layout.
    let percpu = map(MapSpec::new("pc", MapType::PercpuArray, 4, 4, 4), 3);
    assert!(PerCpuArray::<u32>::try_from(&percpu).is_ok());
    let err = PerCpuArray::<u64>::try_from(&percpu).unwrap_err();
    assert!(matches!(
        err,
        ViewError::ValueSize {
            expected: 4,
            actual: 8,
            ..
        }
    ));
    let pch = map(MapSpec::new("pch", MapType::PercpuHash, 2, 4, 4), 3);
    assert!(matches!(
        PerCpuHashMap::<u32, u32>::try_from(&pch).unwrap_err(),
        ViewError::KeySize {
            expected: 2,
            actual: 4,
            ..
        }
    ));

    // LPM keys are the 4-byte prefix length plus `K`.
    let lpm = map(
        MapSpec::new("routes", MapType::LpmTrie, 8, 4, 4).with_flags(BPF_F_NO_PREALLOC),
        1,
    );
    assert!(LpmTrie::<[u8; 4], u32>::try_from(&lpm).is_ok());
    let err = LpmTrie::<u64, u32>::try_from(&lpm).unwrap_err();
    assert_eq!(
        err.to_string(),
        "map `routes` (lpm_trie): keys are 8 bytes, but `Key<u64>` is 12 bytes"
    );

    for (m, ok) in [
        (map(MapSpec::new("q", MapType::Queue, 0, 4, 4), 1), false),
        (map(MapSpec::new("q", MapType::Queue, 0, 8, 4), 1), true),
    ] {
        assert_eq!(Queue::<u64>::try_from(&m).is_ok(), ok);
        let s = map(
            MapSpec::new("s", MapType::Stack, 0, m.value_size() as u32, 4),
            1,
        );
        assert_eq!(Stack::<u64>::try_from(&s).is_ok(), ok);
        let b = map(
            MapSpec::new("b", MapType::BloomFilter, 0, m.value_size() as u32, 4),
            1,
        );
        assert_eq!(BloomFilter::<u64>::try_from(&b).is_ok(), ok);
    }
    let a = map(MapSpec::new("a", MapType::Array, 4, 12, 4), 1);
    assert!(Array::<[u32; 3]>::try_from(&a).is_ok());
    assert!(matches!(
        Array::<[u32; 4]>::try_from(&a).unwrap_err(),
        ViewError::ValueSize {
            expected: 12,
            actual: 16,
            ..
        }
    ));
}

/// `struct flow` of a C program, with its tail padding named: derived through ebee alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
#[bytemuck(crate = "ebee::maps::bytemuck")]
#[repr(C)]
struct Flow {
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    proto: u8,
    _pad: [u8; 3],
}

fn flow(n: u8) -> Flow {
    Flow {
        saddr: [10, 0, 0, n],
        daddr: [10, 0, 1, n],
        sport: 1000 + u16::from(n),
        dport: 80,
        proto: 6,
        _pad: [0; 3],
    }
}

#[test]
// Some arguments are references on purpose: the views take `impl Borrow` keys and values.
#[allow(clippy::needless_borrows_for_generic_args)]
fn hash_map_operations_and_bytes() {
    for t in [MapType::Hash, MapType::LruHash] {
        let m = map(MapSpec::new("flows", t, 16, 8, 16), 2);
        let flows = HashMap::<Flow, u64>::try_from(&m).unwrap();
        assert!(flows.is_empty());
        flows.insert(flow(1), 100, BPF_NOEXIST).unwrap();
        flows.insert(&flow(2), &200, BPF_ANY).unwrap();
        assert_eq!(flows.len(), 2);
        assert_eq!(flows.get(&flow(1)), Ok(Some(100)));
        assert_eq!(flows.get(&flow(3)), Ok(None));
        // The map holds the C layout: the key's bytes as the program sees them.
        let key = bytes_of_flow(&flow(2));
        assert_eq!(m.lookup(&key).unwrap(), 200u64.to_ne_bytes());
        flows.insert(flow(2), 201, BPF_EXIST).unwrap();
        assert_eq!(flows.get(&flow(2)), Ok(Some(201)));
        flows.remove(&flow(1)).unwrap();
        assert_eq!(flows.get(&flow(1)), Ok(None));
        assert_eq!(collect(flows.iter()), [(flow(2), 201)]);
        // A program-side write is seen by the view.
        m.update_elem(&key, &7u64.to_ne_bytes(), BPF_ANY, 1)
            .unwrap();
        assert_eq!(flows.get(&flow(2)), Ok(Some(7)));
        let clone = flows.clone();
        assert_eq!(clone.get(&flow(2)), Ok(Some(7)));
        assert!(format!("{flows:?}").contains("flows"));
        assert!(Arc::ptr_eq(flows.map(), &m));
    }
}

fn bytes_of_flow(f: &Flow) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&f.saddr);
    v.extend_from_slice(&f.daddr);
    v.extend_from_slice(&f.sport.to_ne_bytes());
    v.extend_from_slice(&f.dport.to_ne_bytes());
    v.extend_from_slice(&[f.proto, 0, 0, 0]);
    v
}

#[test]
fn lru_hash_evicts_through_the_view() {
    let m = map(MapSpec::new("lru", MapType::LruHash, 4, 4, 4), 1);
    let lru = HashMap::<u32, u32>::try_from(&m).unwrap();
    for k in 0..32 {
        lru.insert(k, k, BPF_ANY).unwrap();
    }
    assert!(lru.len() <= 4);
    assert_eq!(lru.get(&31), Ok(Some(31)));
}

#[test]
fn errnos_propagate_with_map_and_operation() {
    let m = map(MapSpec::new("h", MapType::Hash, 4, 8, 2), 1);
    let h = HashMap::<u32, u64>::try_from(&m).unwrap();
    h.insert(1, 1, BPF_NOEXIST).unwrap();
    let err = h.insert(1, 2, BPF_NOEXIST).unwrap_err();
    assert_eq!(
        err,
        ViewError::Operation {
            map: "h".into(),
            op: "insert",
            errno: Errno::EEXIST
        }
    );
    assert_eq!(err.to_string(), "map `h`: insert: EEXIST (17)");
    assert_eq!(errno(h.insert(5, 0, BPF_EXIST)), Errno::ENOENT);
    h.insert(2, 2, BPF_ANY).unwrap();
    assert_eq!(errno(h.insert(3, 3, BPF_ANY)), Errno::E2BIG);
    assert_eq!(errno(h.insert(1, 3, 99)), Errno::EINVAL);
    assert_eq!(errno(h.insert(1, 3, BPF_F_LOCK)), Errno::EINVAL); // no spin lock
    assert_eq!(errno(h.remove(&9)), Errno::ENOENT);

    // Frozen and read-only maps refuse host writes; write-only maps refuse reads.
    let a = map(MapSpec::new("a", MapType::Array, 4, 8, 2), 1);
    a.freeze().unwrap();
    let frozen = Array::<u64>::try_from(&a).unwrap();
    assert_eq!(errno(frozen.set(0, 1, BPF_ANY)), Errno::EPERM);
    assert_eq!(frozen.get(0), Ok(0));
    let ro = map(
        MapSpec::new("ro", MapType::Hash, 4, 8, 2).with_flags(BPF_F_RDONLY),
        1,
    );
    let ro = HashMap::<u32, u64>::try_from(&ro).unwrap();
    assert_eq!(errno(ro.insert(1, 1, BPF_ANY)), Errno::EPERM);
    let wo = map(
        MapSpec::new("wo", MapType::Hash, 4, 8, 2).with_flags(BPF_F_WRONLY),
        1,
    );
    let wo = HashMap::<u32, u64>::try_from(&wo).unwrap();
    wo.insert(1, 1, BPF_ANY).unwrap();
    assert_eq!(errno(wo.get(&1)), Errno::EPERM);
    // Iteration yields the error once, then ends.
    let keys: Vec<_> = wo.keys().collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].as_ref().unwrap_err().errno(), Some(Errno::EPERM));
    assert_eq!(wo.iter().count(), 1);
}

#[test]
// Some arguments are references on purpose: the views take `impl Borrow` keys and values.
#[allow(clippy::needless_borrows_for_generic_args)]
fn array_operations() {
    let m = map(MapSpec::new("cfg", MapType::Array, 4, 12, 3), 1);
    let cfg = Array::<[u32; 3]>::try_from(&m).unwrap();
    assert_eq!(cfg.len(), 3);
    assert!(!cfg.is_empty());
    assert_eq!(cfg.get(2), Ok([0; 3]));
    cfg.set(1, [1, 2, 3], BPF_ANY).unwrap();
    cfg.set(1, &[4, 5, 6], BPF_EXIST).unwrap();
    assert_eq!(collect(cfg.iter()), [[0; 3], [4, 5, 6], [0; 3]]);
    let mut bytes = Vec::new();
    for x in [4u32, 5, 6] {
        bytes.extend_from_slice(&x.to_ne_bytes());
    }
    assert_eq!(m.lookup(&1u32.to_ne_bytes()).unwrap(), bytes);
    assert_eq!(errno(cfg.get(3)), Errno::ENOENT);
    assert_eq!(errno(cfg.set(3, [0; 3], BPF_ANY)), Errno::E2BIG);
    assert_eq!(errno(cfg.set(0, [0; 3], BPF_NOEXIST)), Errno::EEXIST);
}

/// The per-CPU values of `bytes` in the `bpf(2)` layout, read by hand: `stride` bytes per CPU.
fn split_per_cpu(bytes: &[u8], size: usize, stride: usize) -> Vec<Vec<u8>> {
    bytes.chunks(stride).map(|c| c[..size].to_vec()).collect()
}

#[test]
fn per_cpu_array_layout() {
    // 4-byte values are padded to 8 bytes per CPU, 12-byte values to 16.
    let m = map(MapSpec::new("pc", MapType::PercpuArray, 4, 4, 2), 3);
    let pc = PerCpuArray::<u32>::try_from(&m).unwrap();
    assert_eq!(pc.ncpus(), 3);
    pc.set(1, &[10, 20, 30], BPF_ANY).unwrap();
    let raw = m.lookup(&1u32.to_ne_bytes()).unwrap();
    assert_eq!(raw.len(), 24);
    assert_eq!(
        split_per_cpu(&raw, 4, 8),
        [10u32, 20, 30].map(|v| v.to_ne_bytes().to_vec())
    );
    assert!(raw.chunks(8).all(|c| c[4..] == [0; 4]), "padding is zero");
    // A program on CPU 2 writes its own copy only.
    m.update_elem(&1u32.to_ne_bytes(), &99u32.to_ne_bytes(), BPF_ANY, 2)
        .unwrap();
    assert_eq!(pc.get(1), Ok(vec![10, 20, 99]));
    pc.set_all_cpus(0, 5, BPF_ANY).unwrap();
    assert_eq!(collect(pc.iter()), [vec![5, 5, 5], vec![10, 20, 99]]);
    assert_eq!(
        pc.set(0, &[1, 2], BPF_ANY),
        Err(ViewError::CpuCount {
            map: "pc".into(),
            expected: 3,
            actual: 2
        })
    );
    assert_eq!(errno(pc.get(2)), Errno::ENOENT);

    let m = map(MapSpec::new("wide", MapType::PercpuArray, 4, 12, 1), 2);
    let wide = PerCpuArray::<[u32; 3]>::try_from(&m).unwrap();
    wide.set(0, &[[1, 2, 3], [4, 5, 6]], BPF_ANY).unwrap();
    let raw = m.lookup(&0u32.to_ne_bytes()).unwrap();
    assert_eq!(raw.len(), 32);
    let cpu1: Vec<u8> = [4u32, 5, 6].iter().flat_map(|v| v.to_ne_bytes()).collect();
    assert_eq!(split_per_cpu(&raw, 12, 16)[1], cpu1);
    assert_eq!(wide.get(0), Ok(vec![[1, 2, 3], [4, 5, 6]]));
}

#[test]
fn per_cpu_hash_operations_and_layout() {
    for t in [MapType::PercpuHash, MapType::LruPercpuHash] {
        let m = map(MapSpec::new("pch", t, 4, 2, 8), 2);
        let pch = PerCpuHashMap::<u32, u16>::try_from(&m).unwrap();
        assert_eq!(pch.ncpus(), 2);
        pch.insert(7, &[1, 2], BPF_NOEXIST).unwrap();
        assert_eq!(errno(pch.insert(7, &[1, 2], BPF_NOEXIST)), Errno::EEXIST);
        assert_eq!(errno(pch.insert(8, &[1, 2], BPF_EXIST)), Errno::ENOENT);
        assert!(matches!(
            pch.insert(8, &[1, 2, 3], BPF_ANY),
            Err(ViewError::CpuCount {
                expected: 2,
                actual: 3,
                ..
            })
        ));
        let raw = m.lookup(&7u32.to_ne_bytes()).unwrap();
        assert_eq!(raw.len(), 16);
        assert_eq!(
            split_per_cpu(&raw, 2, 8),
            [1u16, 2].map(|v| v.to_ne_bytes().to_vec())
        );
        // A new element written by a program on CPU 1 has zeroes on CPU 0.
        m.update_elem(&9u32.to_ne_bytes(), &5u16.to_ne_bytes(), BPF_ANY, 1)
            .unwrap();
        assert_eq!(pch.get(&9), Ok(Some(vec![0, 5])));
        pch.insert_all_cpus(9, 3, BPF_EXIST).unwrap();
        assert_eq!(pch.get(&9), Ok(Some(vec![3, 3])));
        assert_eq!(pch.len(), 2);
        pch.remove(&7).unwrap();
        assert_eq!(pch.get(&7), Ok(None));
        assert_eq!(errno(pch.remove(&7)), Errno::ENOENT);
        assert_eq!(collect(pch.iter()), [(9, vec![3, 3])]);
        assert!(!pch.is_empty());
    }
}

/// Keys from the byte API's `next_key` walk.
fn byte_keys(m: &Map) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    while let Ok(next) = m.next_key(cur.as_deref()) {
        keys.push(next.clone());
        cur = Some(next);
    }
    keys
}

#[test]
fn iteration_order_is_the_byte_apis() {
    for (t, flags) in [
        (MapType::Hash, BPF_F_ZERO_SEED),
        (MapType::Hash, 0),
        (MapType::LruHash, 0),
    ] {
        let m = map(MapSpec::new("h", t, 4, 8, 256).with_flags(flags), 2);
        let h = HashMap::<u32, u64>::try_from(&m).unwrap();
        for k in 0..200u32 {
            h.insert(k.wrapping_mul(2_654_435_761), u64::from(k), BPF_ANY)
                .unwrap();
        }
        let expected: Vec<u32> = byte_keys(&m)
            .iter()
            .map(|k| u32::from_ne_bytes(k[..].try_into().unwrap()))
            .collect();
        assert_eq!(expected.len(), 200);
        assert_eq!(collect(h.keys()), expected, "{t} flags {flags:#x}");
        let entries = collect(h.iter());
        assert_eq!(entries.iter().map(|e| e.0).collect::<Vec<_>>(), expected);
        for (k, v) in entries {
            assert_eq!(m.lookup(&k.to_ne_bytes()).unwrap(), v.to_ne_bytes());
        }
    }

    let m = map(MapSpec::new("pch", MapType::PercpuHash, 4, 8, 64), 2);
    let pch = PerCpuHashMap::<u32, u64>::try_from(&m).unwrap();
    for k in 0..50u32 {
        pch.insert(k * 7, &[u64::from(k), 0], BPF_ANY).unwrap();
    }
    let expected: Vec<u32> = byte_keys(&m)
        .iter()
        .map(|k| u32::from_ne_bytes(k[..].try_into().unwrap()))
        .collect();
    assert_eq!(collect(pch.keys()), expected);

    let m = map(
        MapSpec::new("lpm", MapType::LpmTrie, 8, 4, 64).with_flags(BPF_F_NO_PREALLOC),
        1,
    );
    let lpm = LpmTrie::<[u8; 4], u32>::try_from(&m).unwrap();
    for (i, (len, net)) in [
        (8, [10, 0, 0, 0]),
        (16, [10, 1, 0, 0]),
        (24, [10, 1, 2, 0]),
        (16, [10, 2, 0, 0]),
        (32, [192, 168, 0, 1]),
        (0, [0, 0, 0, 0]),
    ]
    .into_iter()
    .enumerate()
    {
        lpm.insert(Key::new(len, net), i as u32, BPF_ANY).unwrap();
    }
    let expected: Vec<Key<[u8; 4]>> = byte_keys(&m)
        .iter()
        .map(|k| {
            Key::new(
                u32::from_ne_bytes(k[..4].try_into().unwrap()),
                k[4..].try_into().unwrap(),
            )
        })
        .collect();
    assert_eq!(expected.len(), 6);
    assert_eq!(collect(lpm.keys()), expected);
    let entries = collect(lpm.iter());
    assert_eq!(entries.iter().map(|e| e.0).collect::<Vec<_>>(), expected);
    // Each prefix's own value, not a longer or shorter match.
    assert!(entries.contains(&(Key::new(16, [10, 1, 0, 0]), 1)));
    assert!(entries.contains(&(Key::new(0, [0; 4]), 5)));
}

#[test]
// Some arguments are references on purpose: the views take `impl Borrow` keys and values.
#[allow(clippy::needless_borrows_for_generic_args)]
fn lpm_trie_operations() {
    let m = map(
        MapSpec::new("routes", MapType::LpmTrie, 8, 8, 3).with_flags(BPF_F_NO_PREALLOC),
        1,
    );
    let routes = LpmTrie::<[u8; 4], u64>::try_from(&m).unwrap();
    assert!(routes.is_empty());
    routes
        .insert(Key::new(8, [10, 0, 0, 0]), 1, BPF_NOEXIST)
        .unwrap();
    routes
        .insert(&Key::new(24, [10, 1, 2, 0]), &2, BPF_ANY)
        .unwrap();
    assert_eq!(routes.len(), 2);
    assert_eq!(routes.get(&Key::new(32, [10, 1, 2, 3])), Ok(Some(2)));
    assert_eq!(routes.get(&Key::new(32, [10, 1, 3, 3])), Ok(Some(1)));
    assert_eq!(routes.get(&Key::new(32, [11, 0, 0, 0])), Ok(None));
    // The key's bytes: prefix length in host order, then the data.
    let mut raw = 24u32.to_ne_bytes().to_vec();
    raw.extend_from_slice(&[10, 1, 2, 0]);
    assert_eq!(m.lookup(&raw).unwrap(), 2u64.to_ne_bytes());
    assert_eq!(
        errno(routes.insert(Key::new(8, [10, 0, 0, 0]), 3, BPF_NOEXIST)),
        Errno::EEXIST
    );
    assert_eq!(
        errno(routes.insert(Key::new(8, [12, 0, 0, 0]), 3, BPF_EXIST)),
        Errno::ENOENT
    );
    assert_eq!(
        errno(routes.insert(Key::new(33, [10, 0, 0, 0]), 3, BPF_ANY)),
        Errno::EINVAL
    );
    routes
        .insert(Key::new(8, [12, 0, 0, 0]), 3, BPF_ANY)
        .unwrap();
    assert_eq!(
        errno(routes.insert(Key::new(8, [13, 0, 0, 0]), 4, BPF_ANY)),
        Errno::ENOSPC
    );
    routes.remove(&Key::new(24, [10, 1, 2, 0])).unwrap();
    assert_eq!(routes.get(&Key::new(32, [10, 1, 2, 3])), Ok(Some(1)));
    assert_eq!(
        errno(routes.remove(&Key::new(24, [10, 1, 2, 0]))),
        Errno::ENOENT
    );
}

#[test]
// Some arguments are references on purpose: the views take `impl Borrow` keys and values.
#[allow(clippy::needless_borrows_for_generic_args)]
fn queue_stack_and_bloom_filter() {
    let m = map(MapSpec::new("q", MapType::Queue, 0, 12, 2), 1);
    let q = Queue::<[u32; 3]>::try_from(&m).unwrap();
    assert_eq!(q.pop(), Ok(None));
    assert_eq!(q.peek(), Ok(None));
    q.push([1, 1, 1], BPF_ANY).unwrap();
    q.push(&[2, 2, 2], BPF_ANY).unwrap();
    assert_eq!(errno(q.push([3, 3, 3], BPF_ANY)), Errno::E2BIG);
    q.push([3, 3, 3], BPF_EXIST).unwrap(); // drops the oldest
    assert_eq!(q.len(), 2);
    assert_eq!(q.peek(), Ok(Some([2, 2, 2])));
    assert_eq!(q.pop(), Ok(Some([2, 2, 2])));
    assert_eq!(q.pop(), Ok(Some([3, 3, 3])));
    assert!(q.is_empty());
    assert_eq!(errno(q.push([0; 3], 99)), Errno::EINVAL);

    let m = map(MapSpec::new("s", MapType::Stack, 0, 4, 2), 1);
    let s = Stack::<f32>::try_from(&m).unwrap();
    s.push(1.5, BPF_ANY).unwrap();
    s.push(2.5, BPF_ANY).unwrap();
    assert_eq!(errno(s.push(3.5, BPF_ANY)), Errno::E2BIG);
    assert_eq!(s.len(), 2);
    assert_eq!(s.peek(), Ok(Some(2.5)));
    assert_eq!(s.pop(), Ok(Some(2.5)));
    assert_eq!(s.pop(), Ok(Some(1.5)));
    assert_eq!(s.pop(), Ok(None));
    assert!(s.is_empty());
    // Typed and byte API see the same values.
    m.push(&7.25f32.to_ne_bytes(), BPF_ANY).unwrap();
    assert_eq!(s.pop(), Ok(Some(7.25)));

    let m = map(MapSpec::new("bloom", MapType::BloomFilter, 0, 16, 64), 1);
    let seen = BloomFilter::<Flow>::try_from(&m).unwrap();
    for n in 0..10 {
        seen.insert(flow(n), BPF_ANY).unwrap();
    }
    assert!((0..10).all(|n| seen.contains(&flow(n)).unwrap()));
    assert!(m.bloom_contains(&bytes_of_flow(&flow(3))).unwrap());
    assert_eq!(errno(seen.insert(flow(1), BPF_EXIST)), Errno::EINVAL);
    // At this fill, false positives are rare: nearly every absent value is reported absent.
    let absent = (100..200).filter(|&n| !seen.contains(&flow(n)).unwrap());
    assert!(absent.count() > 90);
}

#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
#[bytemuck(crate = "ebee::maps::bytemuck")]
#[repr(C)]
struct Event {
    pid: u32,
    len: u32,
    ts: u64,
}

#[test]
fn ring_buffer_records() {
    let m = map(MapSpec::new("events", MapType::RingBuf, 0, 0, 4096), 1);
    let events = RingBuf::try_from(&m).unwrap();
    assert_eq!(events.read(), Ok(None));
    assert_eq!(events.read_as::<Event>(), Ok(None));
    let e = Event {
        pid: 42,
        len: 3,
        ts: 1 << 40,
    };
    m.ringbuf_output(bytemuck_bytes(&e), 0).unwrap();
    assert_eq!(events.read_as::<Event>(), Ok(Some(e)));

    // A reserved record holds back those after it; a discarded one is skipped.
    let first = m.ringbuf_reserve(8, 0).unwrap();
    m.ringbuf_output(b"second", 0).unwrap();
    assert_eq!(events.read(), Ok(None));
    m.ringbuf_discard(first.as_ptr(), 0).unwrap();
    assert_eq!(events.read(), Ok(Some(b"second".to_vec())));

    m.ringbuf_output(b"abc", 0).unwrap();
    assert_eq!(
        events.read_as::<u32>(),
        Err(ViewError::RecordSize {
            map: "events".into(),
            type_name: "u32".into(),
            expected: 4,
            actual: 3
        })
    );
    assert_eq!(
        events.read(),
        Ok(None),
        "the wrong-sized record was consumed"
    );

    for i in 0..5u8 {
        m.ringbuf_output(&[i; 2], 0).unwrap();
    }
    let mut seen = Vec::new();
    assert_eq!(events.consume(|r| seen.push(r.to_vec())), Ok(5));
    assert_eq!(seen, (0..5u8).map(|i| vec![i; 2]).collect::<Vec<_>>());
    assert_eq!(events.wait(std::time::Duration::from_millis(1)), Ok(false));
}

fn bytemuck_bytes(e: &Event) -> &[u8] {
    ebee::maps::bytemuck::bytes_of(e)
}

#[test]
fn program_array_slots() {
    let m = map(MapSpec::new("jump", MapType::ProgArray, 4, 4, 4), 1);
    let jump = ProgramArray::try_from(&m).unwrap();
    assert_eq!(jump.get(0), Ok(None));
    jump.set(3, 11, BPF_ANY).unwrap();
    jump.set(1, 12, BPF_ANY).unwrap();
    assert_eq!(m.prog_array_get(3), Some(11));
    assert_eq!(jump.get(3), Ok(Some(11)));
    assert_eq!(collect(jump.iter()), [(1, 12), (3, 11)]);
    assert_eq!(errno(jump.set(4, 1, BPF_ANY)), Errno::E2BIG);
    assert_eq!(errno(jump.set(0, 1, BPF_NOEXIST)), Errno::EINVAL);
    assert_eq!(errno(jump.get(4)), Errno::ENOENT);
    jump.remove(3).unwrap();
    assert_eq!(errno(jump.remove(3)), Errno::ENOENT);
    assert_eq!(collect(jump.iter()), [(1, 12)]);
}

#[test]
fn views_are_shared_between_threads() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<HashMap<Flow, u64>>();
    send_sync::<PerCpuArray<u64>>();
    send_sync::<RingBuf>();
    let m = map(MapSpec::new("h", MapType::Hash, 4, 8, 4096), 4);
    let h = HashMap::<u32, u64>::try_from(&m).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let h = h.clone();
            s.spawn(move || {
                for k in 0..500 {
                    h.insert(t * 1000 + k, u64::from(k), BPF_NOEXIST).unwrap();
                }
            });
        }
    });
    assert_eq!(h.len(), 2000);
    assert_eq!(h.keys().count(), 2000);
}

/// The `struct small { __u32 a; __u16 b; }` of maps_array.bpf.c: 8 bytes with 2 of padding.
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
#[bytemuck(crate = "ebee::maps::bytemuck")]
#[repr(C)]
struct Small {
    a: u32,
    b: u16,
    _pad: u16,
}

/// A command packet of tests/bpf/cmd.h.
fn cmd(op: u32, key: u32, value: u64) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&op.to_ne_bytes());
    p.extend_from_slice(&key.to_ne_bytes());
    p.extend_from_slice(&value.to_ne_bytes());
    p.resize(48, 0);
    p
}

#[test]
fn views_of_a_loaded_objects_maps() {
    let object = ebee::Engine::new()
        .with_cpus(2)
        .load_file(common::compile("maps_array"))
        .unwrap();
    let small = PerCpuArray::<Small>::try_from(object.map("percpu_small").unwrap()).unwrap();
    let program = object.program("percpu_small_ops").unwrap();
    let run = |cpu, key, value| {
        let data = cmd(0, key, value);
        let input = ebee::TestRun {
            data_in: &data,
            cpu,
            ..Default::default()
        };
        program.test_run(&input).unwrap();
    };
    run(1, 1, 5);
    run(1, 1, 6);
    run(0, 0, 2);
    let zero = Small::zeroed();
    assert_eq!(
        small.get(1).unwrap(),
        [
            zero,
            Small {
                a: 11,
                b: 8,
                _pad: 0
            }
        ]
    );
    assert_eq!(
        small.get(0).unwrap(),
        [
            Small {
                a: 2,
                b: 7,
                _pad: 0
            },
            zero
        ]
    );

    // The host fills a value for every CPU; the program adds to its CPU's copy.
    small
        .set_all_cpus(
            1,
            Small {
                a: 100,
                b: 0,
                _pad: 0,
            },
            BPF_ANY,
        )
        .unwrap();
    run(0, 1, 1);
    let a: Vec<u32> = small.get(1).unwrap().iter().map(|s| s.a).collect();
    assert_eq!(a, [101, 100]);

    assert!(matches!(
        Array::<u32>::try_from(object.map("array").unwrap()),
        Err(ViewError::ValueSize { .. })
    ));
    let array = Array::<u64>::try_from(object.map("array").unwrap()).unwrap();
    array.set(3, 77, BPF_ANY).unwrap();
    let lookup = object.program("array_ops").unwrap();
    let data = cmd(1, 3, 0); // OP_LOOKUP
    let out = lookup
        .test_run(&ebee::TestRun {
            data_in: &data,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.data_out[32..40], 77u64.to_ne_bytes()); // cmd.out
}
