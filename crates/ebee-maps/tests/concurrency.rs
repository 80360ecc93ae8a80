//! Several threads using one map at once, as programs on several workers do.

use ebee_maps::{flags::*, pin, Map, MapSpec, MapType};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

const THREADS: usize = 4;

fn k(v: u32) -> [u8; 4] {
    v.to_ne_bytes()
}

#[test]
fn hash_updates_lookups_deletes_from_many_threads() {
    for t in [MapType::Hash, MapType::LruHash] {
        let m = Map::create(MapSpec::new("h", t, 4, 8, 4096), THREADS).unwrap();
        let handles: Vec<_> = (0..THREADS as u32)
            .map(|tid| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for round in 0..3000u32 {
                        let own = tid * 100_000 + round % 500;
                        let shared = 1_000_000 + round % 64;
                        m.update_elem(
                            &k(own),
                            &u64::from(own).to_ne_bytes(),
                            BPF_ANY,
                            tid as usize,
                        )
                        .unwrap();
                        let _ = m.update_elem(&k(shared), &[tid as u8; 8], BPF_ANY, 0);
                        let g = pin();
                        if let Some(p) = m.lookup_ptr(&k(own), tid as usize, &g) {
                            // SAFETY: an 8-byte value, valid while `g` is pinned even if
                            // another thread deletes the element meanwhile.
                            let v = unsafe { p.as_ptr().cast::<u64>().read_volatile() };
                            assert_eq!(v, u64::from(own));
                        }
                        if let Some(p) = m.lookup_ptr(&k(shared), 0, &g) {
                            // SAFETY: as above; the bytes may be any thread's.
                            let _ = unsafe { p.as_ptr().cast::<u64>().read_volatile() };
                        }
                        drop(g);
                        if round.is_multiple_of(3) {
                            let _ = m.delete_elem(&k(shared));
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        for tid in 0..THREADS as u32 {
            for r in 0..500 {
                let own = tid * 100_000 + r;
                assert_eq!(
                    m.lookup(&k(own)).unwrap(),
                    u64::from(own).to_ne_bytes(),
                    "{t}"
                );
            }
        }
        assert!(m.len() <= 4096);
    }
}

#[test]
fn readers_keep_values_alive_while_writers_replace_them() {
    let m = Map::create(MapSpec::new("h", MapType::Hash, 4, 64, 16), 2).unwrap();
    m.update(&k(1), &[1; 64], BPF_ANY).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (m, stop) = (Arc::clone(&m), Arc::clone(&stop));
        thread::spawn(move || {
            let mut i = 0u8;
            while !stop.load(Ordering::Relaxed) {
                i = i.wrapping_add(1);
                m.update(&k(1), &[i; 64], BPF_ANY).unwrap();
                if i.is_multiple_of(7) {
                    m.delete(&k(1)).unwrap();
                    m.update(&k(1), &[i; 64], BPF_ANY).unwrap();
                }
            }
        })
    };
    for _ in 0..20_000 {
        let g = pin();
        if let Some(p) = m.lookup_ptr(&k(1), 0, &g) {
            // SAFETY: each element is replaced, never written in place, so a value a reader
            // holds keeps all 64 bytes equal; the memory stays valid while `g` is pinned.
            let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), 64) }.to_vec();
            assert!(bytes.iter().all(|&b| b == bytes[0]));
        }
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}

#[test]
fn percpu_counters_add_up() {
    let m = Map::create(MapSpec::new("c", MapType::PercpuArray, 4, 8, 1), THREADS).unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|cpu| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                for _ in 0..10_000 {
                    let g = pin();
                    let p = m.lookup_ptr(&k(0), cpu, &g).unwrap();
                    // SAFETY: this worker's own 8-byte slot: no other thread writes it.
                    unsafe { *p.as_ptr().cast::<u64>() += 1 };
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let all = m.lookup(&k(0)).unwrap();
    let sum: u64 = all
        .chunks(8)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
        .sum();
    assert_eq!(sum, THREADS as u64 * 10_000);
}

#[test]
fn spin_lock_serializes_increments_and_f_lock_copies() {
    let spec = MapSpec::new("l", MapType::Array, 4, 16, 1).with_spin_lock(0);
    let m = Map::create(spec, THREADS).unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                for i in 0..5000u64 {
                    if t == 0 && i.is_multiple_of(10) {
                        // Host side: a BPF_F_LOCK lookup sees both counters equal.
                        let v = m.lookup_with_flags(&k(0), BPF_F_LOCK).unwrap();
                        assert_eq!(v[4..8], v[8..12]);
                    }
                    let g = pin();
                    let p = m.lookup_ptr(&k(0), t, &g).unwrap().as_ptr();
                    // The value's lock word is at offset 0, two u32 counters after it, only
                    // touched under the lock.
                    let (first, second) = (p.wrapping_add(4), p.wrapping_add(8));
                    // SAFETY: the lock word of a live element, under a pinned guard.
                    unsafe { ebee_maps::bpf_spin_lock(p) };
                    // SAFETY: the first counter, aligned, under the lock.
                    unsafe { *first.cast::<u32>() += 1 };
                    // SAFETY: the second, likewise.
                    unsafe { *second.cast::<u32>() += 1 };
                    // SAFETY: this thread holds the lock.
                    unsafe { ebee_maps::bpf_spin_unlock(p) };
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let v = m.lookup(&k(0)).unwrap();
    assert_eq!(
        u32::from_ne_bytes(v[4..8].try_into().unwrap()),
        THREADS as u32 * 5000
    );
    assert_eq!(v[..4], [0; 4], "the lock word reads as zero");
}

#[test]
fn queue_push_pop_from_many_threads() {
    let q = Map::create(MapSpec::new("q", MapType::Queue, 0, 8, 64), THREADS).unwrap();
    let handles: Vec<_> = (0..THREADS as u64)
        .map(|t| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let (mut pushed, mut popped) = (0u64, 0u64);
                for i in 0..5000u64 {
                    if q.push_elem(&(t * 1_000_000 + i).to_ne_bytes(), BPF_ANY)
                        .is_ok()
                    {
                        pushed += 1;
                    }
                    let mut out = [0u8; 8];
                    if q.pop_elem(&mut out).is_ok() {
                        popped += 1;
                    }
                }
                (pushed, popped)
            })
        })
        .collect();
    let (mut pushed, mut popped) = (0, 0);
    for h in handles {
        let (a, b) = h.join().unwrap();
        pushed += a;
        popped += b;
    }
    assert_eq!(pushed - popped, q.len() as u64);
}

#[test]
fn lpm_lookups_during_updates() {
    let spec = MapSpec::new("lpm", MapType::LpmTrie, 8, 8, 1024).with_flags(BPF_F_NO_PREALLOC);
    let m = Map::create(spec, 2).unwrap();
    let key = |p: u32, ip: u32| [&p.to_ne_bytes()[..], &ip.to_be_bytes()].concat();
    m.update(&key(8, 10 << 24), &8u64.to_ne_bytes(), BPF_ANY)
        .unwrap();
    let writer = {
        let m = Arc::clone(&m);
        thread::spawn(move || {
            for round in 0..20 {
                for i in 0..256u32 {
                    let k = key(24, (10 << 24) | (i << 8));
                    m.update(&k, &24u64.to_ne_bytes(), BPF_ANY).unwrap();
                    if round % 2 == 1 {
                        m.delete(&k).unwrap();
                    }
                }
            }
        })
    };
    for i in 0..50_000u32 {
        let g = pin();
        let p = m
            .lookup_ptr(&key(32, (10 << 24) | (i % 65536)), 0, &g)
            .unwrap();
        // SAFETY: a live 8-byte value under a pinned guard.
        let v = unsafe { p.as_ptr().cast::<u64>().read() };
        assert!(v == 8 || v == 24);
    }
    writer.join().unwrap();
}
