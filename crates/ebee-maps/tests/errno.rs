//! Every errno case of every map type, program side and host side.

use ebee_maps::{flags::*, pin, Errno, Map, MapError, MapSpec, MapType};
use std::sync::Arc;

fn k(v: u32) -> [u8; 4] {
    v.to_ne_bytes()
}
fn v8(v: u64) -> [u8; 8] {
    v.to_ne_bytes()
}
fn create(spec: MapSpec) -> Arc<Map> {
    Map::create(spec, 2).unwrap()
}

#[test]
fn array() {
    let m = create(MapSpec::new("a", MapType::Array, 4, 12, 3));
    assert_eq!(m.lookup(&k(2)).unwrap(), vec![0; 12], "zeroed at creation");
    let v = [7u8; 12];
    assert_eq!(m.update(&k(1), &v, BPF_ANY), Ok(()));
    assert_eq!(m.update(&k(1), &v, BPF_EXIST), Ok(()));
    assert_eq!(m.update(&k(1), &v, BPF_NOEXIST), Err(Errno::EEXIST));
    assert_eq!(m.update(&k(3), &v, BPF_ANY), Err(Errno::E2BIG));
    assert_eq!(m.update(&k(3), &v, BPF_NOEXIST), Err(Errno::E2BIG));
    assert_eq!(m.update(&k(1), &v, 3), Err(Errno::EINVAL));
    assert_eq!(m.update(&k(1), &v, BPF_F_LOCK), Err(Errno::EINVAL));
    assert_eq!(m.update(&k(1), &v[..8], BPF_ANY), Err(Errno::EINVAL));
    assert_eq!(m.update(&[1, 0], &v, BPF_ANY), Err(Errno::EINVAL));
    assert_eq!(m.lookup(&k(1)).unwrap(), v);
    assert_eq!(m.lookup(&k(3)), Err(Errno::ENOENT));
    assert_eq!(m.delete(&k(1)), Err(Errno::EINVAL));
    assert_eq!(m.lookup_and_delete(&k(1), 0), Err(Errno::ENOTSUPP));
    // Program side: the same rules.
    assert_eq!(m.update_elem(&k(0), &v, BPF_NOEXIST, 0), Err(Errno::EEXIST));
    assert_eq!(m.update_elem(&k(9), &v, BPF_ANY, 0), Err(Errno::E2BIG));
    assert_eq!(m.delete_elem(&k(0)), Err(Errno::EINVAL));
    let g = pin();
    assert!(m.lookup_ptr(&k(3), 0, &g).is_none());
    assert_eq!(m.lookup_ptr(&k(1), 0, &g), m.value_ptr(1));
    assert_eq!(
        m.lookup_ptr(&k(1), 1, &g),
        m.value_ptr(1),
        "plain arrays ignore the cpu"
    );
}

#[test]
fn percpu_array() {
    let m = create(MapSpec::new("p", MapType::PercpuArray, 4, 4, 2));
    assert_eq!(m.host_value_size(), 16);
    m.update_elem(&k(1), &k(5), BPF_ANY, 1).unwrap();
    assert_eq!(
        m.lookup(&k(1)).unwrap(),
        [0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]
    );
    let g = pin();
    let (p0, p1) = (
        m.lookup_ptr(&k(1), 0, &g).unwrap(),
        m.lookup_ptr(&k(1), 1, &g).unwrap(),
    );
    assert_ne!(p0, p1);
    assert!(m.lookup_ptr(&k(1), 2, &g).is_none(), "cpu out of range");
    assert_eq!(m.update_elem(&k(1), &k(5), BPF_ANY, 2), Err(Errno::EINVAL));
    let all: Vec<u8> = (0..16).collect();
    m.update(&k(0), &all, BPF_ANY).unwrap();
    assert_eq!(
        m.lookup(&k(0)).unwrap(),
        all,
        "host layout keeps the padding bytes"
    );
    assert_eq!(m.update(&k(0), &all, BPF_F_LOCK), Err(Errno::EINVAL));
    assert_eq!(m.update(&k(0), &all, BPF_NOEXIST), Err(Errno::EEXIST));
    assert!(
        m.value_ptr(0).is_none(),
        "per-CPU arrays have no single value pointer"
    );
}

#[test]
fn hash() {
    let m = create(MapSpec::new("h", MapType::Hash, 4, 8, 2));
    assert_eq!(m.update(&k(1), &v8(1), BPF_EXIST), Err(Errno::ENOENT));
    assert_eq!(m.update(&k(1), &v8(1), BPF_NOEXIST), Ok(()));
    assert_eq!(m.update(&k(1), &v8(2), BPF_NOEXIST), Err(Errno::EEXIST));
    assert_eq!(m.update(&k(1), &v8(3), BPF_EXIST), Ok(()));
    assert_eq!(m.update(&k(2), &v8(4), BPF_ANY), Ok(()));
    assert_eq!(m.update(&k(3), &v8(5), BPF_ANY), Err(Errno::E2BIG));
    assert_eq!(
        m.update(&k(2), &v8(6), BPF_ANY),
        Ok(()),
        "replacing works when full"
    );
    assert_eq!(m.update(&k(2), &v8(6), 3), Err(Errno::EINVAL));
    assert_eq!(m.update(&k(2), &v8(6), BPF_F_LOCK), Err(Errno::EINVAL));
    assert_eq!(m.lookup(&k(1)).unwrap(), v8(3));
    assert_eq!(m.lookup(&k(9)), Err(Errno::ENOENT));
    assert_eq!(m.lookup_with_flags(&k(1), 8), Err(Errno::EINVAL));
    assert_eq!(m.delete(&k(9)), Err(Errno::ENOENT));
    assert_eq!(m.lookup_and_delete(&k(1), 0).unwrap(), v8(3));
    assert_eq!(m.lookup(&k(1)), Err(Errno::ENOENT));
    assert_eq!(m.update_elem(&k(1), &v8(7), BPF_ANY, 0), Ok(()));
    assert_eq!(m.update_elem(&k(3), &v8(7), BPF_ANY, 0), Err(Errno::E2BIG));
    assert_eq!(m.delete_elem(&k(1)), Ok(()));
    assert_eq!(m.delete_elem(&k(1)), Err(Errno::ENOENT));
    assert_eq!(m.len(), 1);
    assert_eq!(m.lookup(&[0; 3]), Err(Errno::EINVAL));
}

#[test]
fn percpu_hash() {
    let m = create(MapSpec::new("ph", MapType::PercpuHash, 4, 4, 4));
    m.update_elem(&k(1), &k(9), BPF_ANY, 1).unwrap();
    assert_eq!(
        m.lookup(&k(1)).unwrap(),
        [0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]
    );
    m.update_elem(&k(1), &k(3), BPF_EXIST, 0).unwrap();
    assert_eq!(m.lookup(&k(1)).unwrap()[..4], k(3));
    assert_eq!(
        m.lookup(&k(1)).unwrap()[8..12],
        k(9),
        "in place: cpu 1 keeps its value"
    );
    assert_eq!(
        m.update_elem(&k(1), &k(3), BPF_F_LOCK, 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(m.update(&k(2), &[1; 16], BPF_F_LOCK), Err(Errno::EINVAL));
    m.update(&k(2), &[1; 16], BPF_NOEXIST).unwrap();
    let g = pin();
    let p = m.lookup_ptr(&k(2), 1, &g).unwrap();
    // SAFETY: a 4-byte value of a live element, under a pinned guard.
    assert_eq!(unsafe { p.as_ptr().cast::<u32>().read() }, 0x0101_0101);
}

#[test]
fn lru_hash_evicts_least_recently_used() {
    let m = create(MapSpec::new("lru", MapType::LruHash, 4, 8, 4));
    for i in 0..4 {
        m.update(&k(i), &v8(u64::from(i)), BPF_ANY).unwrap();
    }
    let g = pin();
    assert!(m.lookup_ptr(&k(0), 0, &g).is_some()); // 0 is used: second chance
    drop(g);
    assert_eq!(
        m.update(&k(4), &v8(4), BPF_ANY),
        Ok(()),
        "full LRU maps evict"
    );
    assert_eq!(
        m.lookup(&k(1)),
        Err(Errno::ENOENT),
        "1 was the least recently used"
    );
    assert!(m.lookup(&k(0)).is_ok());
    assert_eq!(m.len(), 4);
    assert_eq!(m.update(&k(4), &v8(4), BPF_F_LOCK), Err(Errno::EINVAL));
    assert_eq!(m.update(&k(7), &v8(4), BPF_EXIST), Err(Errno::ENOENT));
    for i in 10..100 {
        m.update(&k(i), &v8(1), BPF_ANY).unwrap();
        assert!(m.len() <= 4);
    }
    let spec = MapSpec::new("pl", MapType::LruHash, 4, 8, 5).with_flags(BPF_F_NO_COMMON_LRU);
    assert_eq!(
        create(spec).max_entries(),
        6,
        "rounded to a multiple of the CPU count"
    );
}

#[test]
fn lpm_trie() {
    let key = |p: u32, ip: [u8; 4]| [&p.to_ne_bytes()[..], &ip].concat();
    let spec = MapSpec::new("lpm", MapType::LpmTrie, 8, 8, 3);
    assert_eq!(
        Map::create(spec.clone(), 1).unwrap_err().errno(),
        Errno::EINVAL
    );
    let m = create(spec.with_flags(BPF_F_NO_PREALLOC));
    m.update(&key(8, [10, 0, 0, 0]), &v8(8), BPF_ANY).unwrap();
    m.update(&key(16, [10, 1, 0, 0]), &v8(16), BPF_ANY).unwrap();
    m.update(&key(24, [10, 1, 2, 0]), &v8(24), BPF_ANY).unwrap();
    assert_eq!(
        m.update(&key(24, [10, 1, 3, 0]), &v8(1), BPF_ANY),
        Err(Errno::ENOSPC)
    );
    assert_eq!(
        m.update(&key(24, [10, 1, 2, 0]), &v8(25), BPF_NOEXIST),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        m.update(&key(24, [10, 1, 3, 0]), &v8(1), BPF_EXIST),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        m.update(&key(33, [10, 1, 3, 0]), &v8(1), BPF_ANY),
        Err(Errno::EINVAL)
    );
    assert_eq!(m.lookup(&key(32, [10, 1, 2, 3])).unwrap(), v8(24));
    assert_eq!(m.lookup(&key(32, [10, 1, 9, 3])).unwrap(), v8(16));
    assert_eq!(m.lookup(&key(32, [10, 9, 9, 3])).unwrap(), v8(8));
    assert_eq!(m.lookup(&key(32, [11, 0, 0, 0])), Err(Errno::ENOENT));
    assert_eq!(m.lookup(&key(33, [10, 0, 0, 0])), Err(Errno::ENOENT));
    assert_eq!(
        m.delete(&key(12, [10, 0, 0, 0])),
        Err(Errno::ENOENT),
        "exact match only"
    );
    assert_eq!(m.delete(&key(16, [10, 1, 0, 0])), Ok(()));
    assert_eq!(m.lookup(&key(32, [10, 1, 9, 3])).unwrap(), v8(8));
    assert_eq!(m.lookup(&key(32, [10, 1, 2, 3])).unwrap(), v8(24));
    let g = pin();
    let p = m.lookup_ptr(&key(32, [10, 1, 2, 200]), 0, &g).unwrap();
    // SAFETY: an 8-byte value of a live element, under a pinned guard.
    assert_eq!(unsafe { p.as_ptr().cast::<u64>().read() }, 24);
    assert_eq!(m.len(), 2);
}

#[test]
fn queue_and_stack() {
    let q = create(MapSpec::new("q", MapType::Queue, 0, 4, 2));
    let s = create(MapSpec::new("s", MapType::Stack, 0, 4, 2));
    for m in [&q, &s] {
        let mut out = [9u8; 4];
        assert_eq!(m.pop_elem(&mut out), Err(Errno::ENOENT));
        assert_eq!(out, [0; 4], "zeroed on -ENOENT");
        assert_eq!(m.peek(), Err(Errno::ENOENT));
        m.push_elem(&k(1), BPF_ANY).unwrap();
        m.push(&k(2), BPF_ANY).unwrap();
        assert_eq!(m.push_elem(&k(3), BPF_ANY), Err(Errno::E2BIG));
        assert_eq!(m.push_elem(&k(3), BPF_NOEXIST), Err(Errno::EINVAL));
        assert_eq!(m.push_elem(&k(3), BPF_F_LOCK), Err(Errno::EINVAL));
        m.push_elem(&k(3), BPF_EXIST).unwrap(); // drops the oldest, 1
        assert_eq!(m.delete(&[]), Err(Errno::EINVAL));
        assert_eq!(m.next_key(None), Err(Errno::EINVAL));
        assert_eq!(m.update_elem(&[], &k(1), BPF_ANY, 0), Err(Errno::EINVAL));
        assert_eq!(m.len(), 2);
    }
    assert_eq!(q.peek().unwrap(), k(2));
    assert_eq!(q.pop().unwrap(), k(2));
    assert_eq!(q.pop().unwrap(), k(3));
    assert_eq!(s.pop().unwrap(), k(3));
    assert_eq!(s.pop().unwrap(), k(2));
    assert_eq!(s.pop(), Err(Errno::ENOENT));
}

#[test]
fn bloom_filter() {
    // 100 values, 3 hash functions: 512 bits, about 9% false positives expected.
    let b = create(MapSpec::new("b", MapType::BloomFilter, 0, 4, 100).with_extra(3));
    for i in 0..100 {
        b.push_elem(&k(i), BPF_ANY).unwrap();
    }
    let mut v = k(5);
    assert_eq!(b.peek_elem(&mut v), Ok(()));
    assert_eq!(b.bloom_contains(&k(99)), Ok(true));
    let misses = (1000..2000)
        .filter(|&i| b.bloom_contains(&k(i)) == Ok(false))
        .count();
    assert!(misses > 800, "false positive rate too high: {misses}");
    assert_eq!(b.push_elem(&k(1), BPF_EXIST), Err(Errno::EINVAL));
    assert_eq!(b.pop_elem(&mut v), Err(Errno::EOPNOTSUPP));
    assert_eq!(b.delete_elem(&[]), Err(Errno::EOPNOTSUPP));
    assert_eq!(b.next_key(None), Err(Errno::EOPNOTSUPP));
    assert_eq!(b.lookup(&[]), Err(Errno::EINVAL));
}

#[test]
fn prog_array() {
    let p = create(MapSpec::new("jmp", MapType::ProgArray, 4, 4, 2));
    assert_eq!(p.prog_array_get(0), None);
    p.update(&k(1), &k(42), BPF_ANY).unwrap();
    assert_eq!(p.prog_array_get(1), Some(42));
    assert_eq!(p.lookup(&k(1)).unwrap(), k(42));
    assert_eq!(p.update(&k(1), &k(42), BPF_NOEXIST), Err(Errno::EINVAL));
    assert_eq!(p.update(&k(2), &k(42), BPF_ANY), Err(Errno::E2BIG));
    assert_eq!(p.delete(&k(2)), Err(Errno::E2BIG));
    assert_eq!(p.delete(&k(1)), Ok(()));
    assert_eq!(p.delete(&k(1)), Err(Errno::ENOENT));
    assert_eq!(p.prog_array_get(1), None);
    let g = pin();
    assert!(p.lookup_ptr(&k(0), 0, &g).is_none());
}

#[test]
fn maps_of_maps_keep_removed_inner_maps_alive_while_pinned() {
    let template = MapSpec::new("inner", MapType::Array, 4, 8, 4);
    for outer_type in [MapType::ArrayOfMaps, MapType::HashOfMaps] {
        let outer = create(MapSpec::new("o", outer_type, 4, 4, 4).with_inner(template.clone()));
        let inner = create(template.clone());
        inner.update(&k(0), &v8(77), BPF_ANY).unwrap();
        let weak = Arc::downgrade(&inner);
        outer.update_inner_map(&k(1), &inner, BPF_ANY).unwrap();
        assert_eq!(outer.lookup(&k(1)).unwrap(), inner.id().to_ne_bytes());
        assert_eq!(outer.update(&k(1), &k(5), BPF_ANY), Err(Errno::EINVAL));
        let bigger = create(MapSpec::new("inner", MapType::Array, 4, 8, 5));
        assert_eq!(
            outer.update_inner_map(&k(2), &bigger, BPF_ANY),
            Err(Errno::EINVAL)
        );
        drop(inner);
        let g = pin();
        let p = outer.lookup_ptr(&k(1), 0, &g).unwrap();
        outer.delete(&k(1)).unwrap();
        assert_eq!(outer.delete(&k(1)), Err(Errno::ENOENT));
        assert!(
            weak.upgrade().is_some(),
            "still reachable by the pinned program"
        );
        // SAFETY: the pointer a map-of-maps lookup returns is a live `Map` while `g` is pinned.
        let inner = unsafe { p.cast::<Map>().as_ref() };
        assert_eq!(inner.lookup(&k(0)).unwrap(), v8(77));
        assert!(outer.inner_map(&k(1), &g).is_none());
    }
    let spec = MapSpec::new("o", MapType::ArrayOfMaps, 4, 4, 4);
    assert_eq!(
        Map::create(spec.clone(), 1).unwrap_err().errno(),
        Errno::EINVAL
    );
    let nested = spec.clone().with_inner(spec.clone().with_inner(template));
    assert_eq!(Map::create(nested, 1).unwrap_err().errno(), Errno::EINVAL);
    let jmp = MapSpec::new("p", MapType::ProgArray, 4, 4, 4);
    assert_eq!(
        Map::create(spec.with_inner(jmp), 1).unwrap_err().errno(),
        Errno::ENOTSUPP
    );
}

#[test]
fn spin_lock_and_f_lock() {
    let spec = MapSpec::new("l", MapType::Hash, 4, 16, 4).with_spin_lock(4);
    let m = create(spec);
    let mut v = [1u8; 16];
    m.update(&k(1), &v, BPF_ANY).unwrap();
    let g = pin();
    let p = m.lookup_ptr(&k(1), 0, &g).unwrap();
    // SAFETY: the lock word of a live element, under a pinned guard.
    unsafe { ebee_maps::bpf_spin_lock(p.as_ptr().wrapping_add(4)) };
    // SAFETY: as above; this thread holds the lock.
    unsafe { ebee_maps::bpf_spin_unlock(p.as_ptr().wrapping_add(4)) };
    v = [2u8; 16];
    m.update(&k(1), &v, BPF_F_LOCK | BPF_EXIST).unwrap();
    assert_eq!(
        m.lookup(&k(1)).unwrap(),
        [2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2]
    );
    assert_eq!(m.lookup_with_flags(&k(1), BPF_F_LOCK).unwrap()[..4], [2; 4]);
    assert_eq!(
        m.update(&k(2), &v, BPF_F_LOCK | BPF_EXIST),
        Err(Errno::ENOENT)
    );
    assert_eq!(m.update(&k(2), &v, BPF_F_LOCK), Ok(()));
    let bad = MapSpec::new("l", MapType::PercpuHash, 4, 16, 4).with_spin_lock(4);
    assert_eq!(Map::create(bad, 1).unwrap_err().errno(), Errno::EOPNOTSUPP);
    let bad = MapSpec::new("l", MapType::Array, 4, 16, 4).with_spin_lock(14);
    assert_eq!(Map::create(bad, 1).unwrap_err().errno(), Errno::EINVAL);
}

#[test]
fn access_flags_and_freeze() {
    let ro = create(MapSpec::new("ro", MapType::Array, 4, 4, 1).with_flags(BPF_F_RDONLY));
    assert_eq!(ro.update(&k(0), &k(1), BPF_ANY), Err(Errno::EPERM));
    assert_eq!(
        ro.update_elem(&k(0), &k(1), BPF_ANY, 0),
        Ok(()),
        "programs may still write"
    );
    assert_eq!(ro.lookup(&k(0)).unwrap(), k(1));
    let wo = create(MapSpec::new("wo", MapType::Hash, 4, 4, 1).with_flags(BPF_F_WRONLY));
    wo.update(&k(0), &k(1), BPF_ANY).unwrap();
    assert_eq!(wo.lookup(&k(0)), Err(Errno::EPERM));
    assert_eq!(wo.next_key(None), Err(Errno::EPERM));
    let m = create(MapSpec::new("m", MapType::Hash, 4, 4, 2));
    m.update(&k(0), &k(1), BPF_ANY).unwrap();
    m.freeze().unwrap();
    assert_eq!(m.freeze(), Err(Errno::EPERM));
    assert_eq!(m.update(&k(1), &k(1), BPF_ANY), Err(Errno::EPERM));
    assert_eq!(m.delete(&k(0)), Err(Errno::EPERM));
    assert_eq!(m.lookup(&k(0)).unwrap(), k(1));
}

#[test]
fn creation_errors_name_the_map() {
    let err = ebee_maps::implemented_type("socks", 15).unwrap_err();
    assert!(matches!(err, MapError::UnsupportedType { id: 15, .. }));
    assert_eq!(err.errno(), Errno::EINVAL);
    let rb = |size| Map::create(MapSpec::new("rb", MapType::RingBuf, 0, 0, size), 1);
    let err = rb(4096 * 3).unwrap_err();
    assert_eq!(err.errno(), Errno::EINVAL);
    assert!(
        err.to_string()
            .starts_with("map `rb` (ringbuf): ring buffers need"),
        "{err}"
    );
    assert!(rb(1 << 20).is_ok());
    let q = MapSpec::new("q", MapType::Queue, 4, 4, 1);
    assert_eq!(Map::create(q, 1).unwrap_err().errno(), Errno::EINVAL);
    let zero = MapSpec::new("z", MapType::Hash, 4, 4, 1);
    assert_eq!(Map::create(zero, 0).unwrap_err().errno(), Errno::EINVAL);
    let huge = MapSpec::new("huge", MapType::Array, 4, 1 << 30, u32::MAX);
    assert!(matches!(
        Map::create(huge, 1),
        Err(MapError::OutOfMemory { .. })
    ));
}
