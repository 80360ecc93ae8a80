//! get_next_key, batch lookups and bpf_for_each_map_elem.

use ebee_maps::{flags::*, pin, Errno, Map, MapSpec, MapType};
use std::collections::BTreeSet;

fn k(v: u32) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

fn walk(m: &Map) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    while let Ok(next) = m.next_key(cur.as_deref()) {
        keys.push(next.clone());
        cur = Some(next);
    }
    keys
}

#[test]
fn hash_next_key_visits_every_key_once() {
    let m = Map::create(MapSpec::new("h", MapType::Hash, 4, 4, 1000), 1).unwrap();
    assert_eq!(m.next_key(None), Err(Errno::ENOENT));
    for i in 0..700 {
        m.update(&k(i), &k(i), BPF_ANY).unwrap();
    }
    let keys = walk(&m);
    assert_eq!(keys.len(), 700);
    assert_eq!(keys.iter().collect::<BTreeSet<_>>().len(), 700);
    // A key that is not in the map restarts from the first key, as in the kernel.
    assert_eq!(m.next_key(Some(&k(5000))).unwrap(), keys[0]);
    assert_eq!(m.next_key(Some(&k(1)[..2])), Err(Errno::EINVAL));
    assert_eq!(m.entries().unwrap().len(), 700);
}

#[test]
fn array_next_key_and_generic_batches() {
    let m = Map::create(MapSpec::new("a", MapType::Array, 4, 4, 5), 1).unwrap();
    assert_eq!(walk(&m), (0..5).map(k).collect::<Vec<_>>());
    assert_eq!(m.next_key(Some(&k(77))).unwrap(), k(0));
    assert_eq!(m.next_key(Some(&k(4))), Err(Errno::ENOENT));
    m.update(&k(3), &k(33), BPF_ANY).unwrap();
    let first = m.lookup_batch(None, 2).unwrap();
    assert_eq!(first.entries, vec![(k(0), k(0)), (k(1), k(0))]);
    let second = m.lookup_batch(first.next.as_ref(), 2).unwrap();
    assert_eq!(second.entries, vec![(k(2), k(0)), (k(3), k(33))]);
    let last = m.lookup_batch(second.next.as_ref(), 2).unwrap();
    assert_eq!(last.entries, vec![(k(4), k(0))]);
    assert!(last.next.is_none());
    let q = Map::create(MapSpec::new("q", MapType::Queue, 0, 4, 5), 1).unwrap();
    assert_eq!(q.lookup_batch(None, 4), Err(Errno::ENOTSUPP));
    assert_eq!(
        m.lookup_batch_with_flags(None, 4, BPF_F_LOCK),
        Err(Errno::EINVAL)
    );
}

#[test]
fn hash_batches_are_whole_buckets() {
    // With BPF_F_ZERO_SEED and 2 buckets, many keys share a bucket.
    let spec = MapSpec::new("h", MapType::Hash, 4, 4, 2).with_flags(BPF_F_ZERO_SEED);
    let m = Map::create(spec, 1).unwrap();
    m.update(&k(1), &k(1), BPF_ANY).unwrap();
    m.update(&k(2), &k(2), BPF_ANY).unwrap();
    let all = m.lookup_batch(None, 10).unwrap();
    assert_eq!(all.entries.len(), 2);
    assert!(all.next.is_none());
    let mut total = 0;
    let mut cursor = None;
    loop {
        match m.lookup_batch(cursor.as_ref(), 1) {
            Ok(b) => {
                total += b.entries.len();
                match b.next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            // Both keys in one bucket: a 1-element batch cannot hold it.
            Err(e) => {
                assert_eq!(e, Errno::ENOSPC);
                total = 2;
                break;
            }
        }
    }
    assert_eq!(total, 2);
}

#[test]
fn lpm_next_key_is_post_order() {
    let key = |p: u32, a: u8, b: u8| [&p.to_ne_bytes()[..], &[a, b]].concat();
    let spec = MapSpec::new("lpm", MapType::LpmTrie, 6, 4, 10).with_flags(BPF_F_NO_PREALLOC);
    let m = Map::create(spec, 1).unwrap();
    for (p, a, b) in [(8, 10, 0), (16, 10, 1), (16, 10, 128), (12, 10, 0)] {
        m.update(&key(p, a, b), &k(p), BPF_ANY).unwrap();
    }
    let order = walk(&m);
    assert_eq!(
        order,
        vec![
            key(16, 10, 1),
            key(12, 10, 0),
            key(16, 10, 128),
            key(8, 10, 0)
        ]
    );
    let b = m.lookup_batch(None, 3).unwrap();
    assert_eq!(b.entries.len(), 3);
    assert_eq!(m.lookup_batch(b.next.as_ref(), 3).unwrap().entries.len(), 1);
}

#[test]
fn for_each_visits_stops_and_allows_deletes() {
    let m = Map::create(MapSpec::new("h", MapType::Hash, 4, 8, 64), 2).unwrap();
    for i in 0..50 {
        m.update(&k(i), &u64::from(i).to_ne_bytes(), BPF_ANY)
            .unwrap();
    }
    let g = pin();
    let mut sum = 0u64;
    let n = m
        .for_each_elem(1, &g, 0, &mut |_key, value| {
            // SAFETY: the callback gets a live 8-byte value.
            sum += unsafe { value.cast::<u64>().read() };
            0
        })
        .unwrap();
    assert_eq!((n, sum), (50, (0..50).sum()));
    let n = m.for_each_elem(0, &g, 0, &mut |_, _| 1).unwrap();
    assert_eq!(n, 1, "a non-zero return stops after the first element");
    let n = m
        .for_each_elem(0, &g, 0, &mut |key, _| {
            // SAFETY: the callback gets a live 4-byte key.
            let key = unsafe { std::slice::from_raw_parts(key, 4) }.to_vec();
            m.delete_elem(&key).unwrap();
            0
        })
        .unwrap();
    assert_eq!(n, 50);
    assert!(m.is_empty());
    assert_eq!(m.for_each_elem(0, &g, 1, &mut |_, _| 0), Err(Errno::EINVAL));
    let pa = Map::create(MapSpec::new("pa", MapType::PercpuArray, 4, 4, 3), 2).unwrap();
    let mut keys = Vec::new();
    pa.for_each_elem(1, &g, 0, &mut |key, value| {
        // SAFETY: the key is live during the callback.
        keys.push(unsafe { key.cast::<u32>().read() });
        // SAFETY: so is this CPU's value.
        unsafe { value.cast::<u32>().write(9) };
        0
    })
    .unwrap();
    assert_eq!(keys, [0, 1, 2]);
    assert_eq!(
        pa.lookup(&k(2)).unwrap(),
        [0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]
    );
}
