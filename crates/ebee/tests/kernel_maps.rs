//! Every map type, driven by the project's C programs (`tests/bpf/*.bpf.c`) in ebee and in
//! the Linux kernel with the same host-side setup and the same packets, comparing return
//! values, packets out and the full contents of every map after each step (per-CPU values in
//! the `bpf(2)` layout, for `num_possible_cpus()` CPUs, the test thread pinned to the CPU
//! ebee is told to run on). Tests skip, saying why, only when `ebee_kernel::availability()`
//! fails.
//!
//! # Coverage
//!
//! | map type | program | test |
//! |---|---|---|
//! | `ARRAY` (elements handed to helpers too) | `maps_array` | `kernel_maps::array_and_percpu_array` |
//! | `PERCPU_ARRAY` (8-byte and padded values, CPUs 0 and 1) | `maps_array` | `kernel_maps::array_and_percpu_array` |
//! | `HASH` (preallocated, `BPF_F_NO_PREALLOC`, padded struct keys, `BPF_F_ZERO_SEED` order) | `maps_hash` | `kernel_maps::hash_percpu_hash_and_no_prealloc` |
//! | `PERCPU_HASH` | `maps_hash` | `kernel_maps::hash_percpu_hash_and_no_prealloc` |
//! | `LRU_HASH`, `LRU_PERCPU_HASH` | `maps_lru_lpm` | `kernel_maps::lru_hash_and_lru_percpu_hash_evict_oldest`, `lru_hash_with_lookups_evicts_like_the_kernel` |
//! | `LPM_TRIE` | `maps_lru_lpm` | `kernel_maps::lpm_trie` |
//! | `QUEUE`, `STACK` | `maps_queue_stack_bloom` | `kernel_maps::queue_stack_and_bloom_filter` |
//! | `BLOOM_FILTER` (false positives included) | `maps_queue_stack_bloom` | `kernel_maps::queue_stack_and_bloom_filter` |
//! | `ARRAY_OF_MAPS` (slot set by the object), `HASH_OF_MAPS` | `maps_in_maps` | `kernel_maps::array_of_maps_and_hash_of_maps` |
//! | `RINGBUF` | `events` | `kernel_events::ring_buffer_records_and_positions` |
//! | `PERF_EVENT_ARRAY` (XDP and TC) | `events` | `kernel_events::perf_event_output_records` |
//! | `PROG_ARRAY` | `tail_calls` | `kernel_events::tail_calls_through_a_prog_array` |
//! | `.rodata` (`const volatile` set before load, frozen), `.data`, `.bss`, `.data.custom` | `globals` | `kernel_events::global_data_sections` |
//!
//! | helper | test |
//! |---|---|
//! | `map_lookup_elem`, `map_update_elem`, `map_delete_elem` | every `kernel_maps` test |
//! | `map_lookup_percpu_elem` | `array_and_percpu_array`, `hash_percpu_hash_and_no_prealloc`, `lru_hash_and_lru_percpu_hash_evict_oldest` |
//! | `map_push_elem`, `map_pop_elem`, `map_peek_elem` | `queue_stack_and_bloom_filter` |
//! | `tail_call` (empty slot, out of range, 33-call limit) | `kernel_events::tail_calls_through_a_prog_array` |
//! | `ringbuf_output`, `ringbuf_reserve`, `ringbuf_submit`, `ringbuf_discard`, `ringbuf_query` | `kernel_events::ring_buffer_records_and_positions` |
//! | `perf_event_output` (index, `BPF_F_CURRENT_CPU`, other CPU, `BPF_F_CTXLEN_MASK`) | `kernel_events::perf_event_output_records` |
//! | `ktime_get_ns`, `ktime_get_boot_ns`, `ktime_get_coarse_ns`, `jiffies64` (plausibility) | `kernel_helpers::clocks_are_plausible_on_both_sides` |
//! | `get_smp_processor_id`, `get_numa_node_id` (equal), `get_prandom_u32` (runs) | `kernel_helpers::cpu_numa_and_random` |
//! | `get_current_pid_tgid`, `get_current_uid_gid`, `get_current_comm` | `kernel_helpers::current_task` |
//! | `strtol`, `strtoul`, `strncmp` | `kernel_helpers::strtol_strtoul_strncmp` |
//! | `loop` | `kernel_helpers::bpf_loop` |
//! | `for_each_map_elem` (array, hash, per-CPU array) | `kernel_helpers::for_each_map_elem` |
//! | `spin_lock`, `spin_unlock` (and host `BPF_F_LOCK`) | `kernel_helpers::spin_lock_and_unlock` |
//! | `trace_printk`, `trace_vprintk` (return values; ebee's text) | `kernel_helpers::trace_printk_and_trace_vprintk` |
//! | `snprintf` | `kernel_helpers::snprintf` |

mod common;

use common::pair::{cmd, percpu_u64, step, Pair};

const ANY: u64 = 0;
const NOEXIST: u64 = 1;
const EXIST: u64 = 2;

#[test]
fn array_and_percpu_array() {
    let Some(pair) = Pair::load("maps_array") else {
        return;
    };
    let k = |i: u32| i.to_ne_bytes();
    pair.update("array", &k(1), &100u64.to_ne_bytes(), ANY)
        .unwrap();
    pair.update("array", &k(7), &7u64.to_ne_bytes(), ANY)
        .unwrap();
    assert_eq!(
        pair.update("array", &k(8), &1u64.to_ne_bytes(), ANY),
        Err(-7)
    );
    assert_eq!(
        pair.update("array", &k(2), &1u64.to_ne_bytes(), NOEXIST),
        Err(-17)
    );
    pair.update(
        "percpu_array",
        &k(2),
        &percpu_u64(&pair, |c| 10 * (c as u64 + 1)),
        ANY,
    )
    .unwrap();
    pair.assert_maps_equal();

    let prog = "array_ops";
    for key in [0, 1, 7, 8, u32::MAX] {
        step(&pair, prog, cmd::LOOKUP, key, 0, 0);
    }
    for (key, flags) in [
        (3, ANY),
        (3, NOEXIST),
        (3, EXIST),
        (8, ANY),
        (4, 4),
        (4, 8),
        (4, 1 << 40),
    ] {
        step(
            &pair,
            prog,
            cmd::UPDATE,
            key,
            0x1111 * u64::from(key),
            flags,
        );
    }
    step(&pair, prog, cmd::DELETE, 1, 0, 0);
    step(&pair, prog, cmd::DELETE, 9, 0, 0);
    step(&pair, prog, cmd::ADD, 1, 5, 0);
    step(&pair, prog, cmd::ADD, 9, 5, 0);
    assert_eq!(step(&pair, prog, cmd::LOOKUP, 1, 0, 0), (1, 105, 0));

    let prog = "percpu_array_ops";
    for key in [0, 2, 4] {
        step(&pair, prog, cmd::LOOKUP, key, 0, 0);
        step(&pair, prog, cmd::ADD, key, 3, 0);
    }
    for (key, flags) in [(1, ANY), (1, NOEXIST), (1, EXIST), (4, ANY), (1, 4)] {
        step(&pair, prog, cmd::UPDATE, key, 0x77, flags);
    }
    step(&pair, prog, cmd::DELETE, 1, 0, 0);
    for cpu in [
        0,
        1,
        pair.ncpus as u64 - 1,
        pair.ncpus as u64,
        u64::from(u32::MAX) + 1,
    ] {
        step(&pair, prog, cmd::PERCPU, 2, 0, cpu);
        step(&pair, prog, cmd::PERCPU, 4, 0, cpu);
    }

    for key in [0, 1, 2] {
        step(&pair, "percpu_small_ops", 0, key, 9, 0);
    }
    // Elements handed to helpers; key 7's copy goes past the end (-E2BIG), 8 finds none.
    for key in [2, 6, 7, 8] {
        step(&pair, "array_copy_ops", 0, key, 0xabcd + u64::from(key), 0);
    }
    // The same per-CPU operations on CPU 1: only CPU 1's values change, on both sides.
    if pair.ncpus > 1 && common::online_cpus() > 1 {
        pair.set_cpu(1);
        step(&pair, "percpu_array_ops", cmd::ADD, 2, 1000, 0);
        step(&pair, "percpu_array_ops", cmd::UPDATE, 0, 77, ANY);
        step(&pair, "percpu_array_ops", cmd::LOOKUP, 2, 0, 0);
        step(&pair, "percpu_small_ops", 0, 1, 5, 0);
        pair.set_cpu(0);
    }
}

#[test]
fn hash_percpu_hash_and_no_prealloc() {
    let Some(pair) = Pair::load("maps_hash") else {
        return;
    };
    pair.update("hash", &5u32.to_ne_bytes(), &50u64.to_ne_bytes(), ANY)
        .unwrap();
    assert_eq!(
        pair.update("hash", &5u32.to_ne_bytes(), &1u64.to_ne_bytes(), NOEXIST),
        Err(-17)
    );
    assert_eq!(
        pair.update("hash", &6u32.to_ne_bytes(), &1u64.to_ne_bytes(), EXIST),
        Err(-2)
    );
    pair.update(
        "percpu_hash",
        &5u32.to_ne_bytes(),
        &percpu_u64(&pair, |c| c as u64 + 1),
        ANY,
    )
    .unwrap();
    pair.assert_maps_equal();

    for prog in ["hash_ops", "hash_noprealloc_ops", "percpu_hash_ops"] {
        step(&pair, prog, cmd::LOOKUP, 5, 0, 0);
        step(&pair, prog, cmd::ADD, 5, 2, 0);
        step(&pair, prog, cmd::UPDATE, 1, 10, EXIST);
        // Fill the map (4 entries), then one more: -E2BIG; replacing stays possible.
        for key in 1..=5 {
            step(&pair, prog, cmd::UPDATE, key, u64::from(key) * 10, NOEXIST);
        }
        step(&pair, prog, cmd::UPDATE, 3, 33, ANY);
        step(&pair, prog, cmd::UPDATE, 3, 34, EXIST);
        step(&pair, prog, cmd::UPDATE, 4, 1, NOEXIST);
        step(&pair, prog, cmd::UPDATE, 3, 1, 4); // BPF_F_LOCK without a lock
        step(&pair, prog, cmd::UPDATE, 3, 1, 3); // NOEXIST | EXIST
        step(&pair, prog, cmd::DELETE, 2, 0, 0);
        step(&pair, prog, cmd::DELETE, 2, 0, 0);
        step(&pair, prog, cmd::UPDATE, 7, 70, ANY);
        step(&pair, prog, cmd::ADD, 7, 1, 0);
        step(&pair, prog, cmd::LOOKUP, 2, 0, 0);
    }
    for cpu in [0, 1, pair.ncpus as u64] {
        step(&pair, "percpu_hash_ops", cmd::PERCPU, 5, 0, cpu);
        step(&pair, "percpu_hash_ops", cmd::PERCPU, 9, 0, cpu);
    }
    if pair.ncpus > 1 && common::online_cpus() > 1 {
        pair.set_cpu(1);
        step(&pair, "percpu_hash_ops", cmd::ADD, 5, 1000, 0);
        step(&pair, "percpu_hash_ops", cmd::UPDATE, 11, 3, NOEXIST);
        step(&pair, "percpu_hash_ops", cmd::UPDATE, 5, 3, EXIST);
        pair.set_cpu(0);
    }
    // A host delete, then program lookups see it gone.
    assert_eq!(
        pair.ebee.map("hash").unwrap().delete(&3u32.to_ne_bytes()),
        Ok(())
    );
    assert!(pair.kernel.map_delete("hash", &3u32.to_ne_bytes()).unwrap());
    step(&pair, "hash_ops", cmd::LOOKUP, 3, 0, 0);

    // Struct keys with zeroed padding, counted per flow.
    for (proto, port, addr) in [(6, 80, 1), (17, 53, 2), (6, 80, 1), (6, 443, 1), (6, 80, 1)] {
        step(&pair, "flows_count", 0, proto | port << 16, addr, 0);
    }
    // BPF_F_ZERO_SEED: the kernel's jhash and bucket order, so even iteration order agrees.
    let ours = pair.ebee.map("flows").unwrap().entries().unwrap();
    assert_eq!(
        ours,
        pair.kernel.map_entries("flows").unwrap(),
        "flows in iteration order"
    );
}

/// Inserts `keys` into the LRU map behind `prog`, with program lookups of the keys `hot`
/// returns for each step (setting the kernel's reference bit), comparing after each step.
fn lru_sequence(
    pair: &Pair,
    prog: &str,
    keys: std::ops::Range<u32>,
    hot: impl Fn(u32) -> Vec<u32>,
) {
    for key in keys {
        step(pair, prog, cmd::UPDATE, key, u64::from(key), ANY);
        for h in hot(key) {
            step(pair, prog, cmd::ADD, h, 1, 0);
        }
    }
    step(pair, prog, cmd::UPDATE, 39, 1, NOEXIST);
    step(pair, prog, cmd::UPDATE, 100, 1, EXIST);
    step(pair, prog, cmd::DELETE, 39, 0, 0);
    step(pair, prog, cmd::DELETE, 39, 0, 0);
    step(pair, prog, cmd::UPDATE, 38, 2, EXIST);
    step(pair, prog, cmd::UPDATE, 200, 2, NOEXIST);
}

#[test]
fn lru_hash_and_lru_percpu_hash_evict_oldest() {
    let Some(pair) = Pair::load("maps_lru_lpm") else {
        return;
    };
    for prog in ["lru_ops", "lru_percpu_ops"] {
        // 16 entries, 40 inserts, no lookups: evictions pick the kernel's victims (all
        // operations on CPU 0).
        lru_sequence(&pair, prog, 0..40, |_| vec![]);
    }
    for cpu in [0, 1, pair.ncpus as u64] {
        step(&pair, "lru_percpu_ops", cmd::PERCPU, 38, 0, cpu);
    }
}

/// Lookups set reference bits, which the kernel's active/inactive lists
/// (`kernel/bpf/bpf_lru_list.c`, ported in ebee-maps' `lru.rs`) act on: new elements wait on
/// a per-CPU pending list and are flushed to the inactive list, or the active one when
/// referenced, at the next refill, which also rotates the lists before shrinking the inactive
/// tail. Smallest case that a single list with a second chance got wrong: `lru` (16 entries,
/// 2 possible CPUs, everything on CPU 0), insert keys 0, 1, … and after each key k with
/// k % 3 == 0 look up k / 2: after key 24 the kernel holds {0, 1, 3, 4, 6, 7, 18..=24}.
#[test]
fn lru_hash_with_lookups_evicts_like_the_kernel() {
    let Some(pair) = Pair::load("maps_lru_lpm") else {
        return;
    };
    for prog in ["lru_ops", "lru_percpu_ops"] {
        lru_sequence(&pair, prog, 0..40, |key| {
            if key % 3 == 0 {
                vec![1, key / 2]
            } else {
                vec![1]
            }
        });
        // The other CPU's local lists: refills, pending elements freed across CPUs, steals.
        if pair.ncpus > 1 && common::online_cpus() > 1 {
            pair.set_cpu(1);
            for key in 50..62 {
                step(&pair, prog, cmd::UPDATE, key, 1, ANY);
                step(&pair, prog, cmd::ADD, key - 25, 1, 0);
            }
            pair.set_cpu(0);
            for key in (50..62).step_by(3) {
                step(&pair, prog, cmd::DELETE, key, 0, 0);
            }
            for key in 70..90 {
                step(&pair, prog, cmd::UPDATE, key, 1, ANY);
                step(&pair, prog, cmd::ADD, key - 10, 1, 0);
            }
        }
    }
}

#[test]
fn lpm_trie() {
    let Some(pair) = Pair::load("maps_lru_lpm") else {
        return;
    };
    let op = |op: u32, prefixlen: u32| op | prefixlen << 8;
    let ip = |a: [u8; 4]| u32::from_ne_bytes(a);
    let prefixes = [
        ([10, 0, 0, 0], 8),
        ([10, 1, 0, 0], 16),
        ([10, 1, 2, 0], 24),
        ([0, 0, 0, 0], 0),
        ([10, 1, 2, 3], 32),
    ];
    for (i, (addr, len)) in prefixes.iter().enumerate() {
        step(
            &pair,
            "lpm_ops",
            op(cmd::UPDATE, *len),
            ip(*addr),
            i as u64 + 1,
            ANY,
        );
    }
    step(
        &pair,
        "lpm_ops",
        op(cmd::UPDATE, 8),
        ip([10, 0, 0, 0]),
        9,
        NOEXIST,
    );
    step(
        &pair,
        "lpm_ops",
        op(cmd::UPDATE, 12),
        ip([10, 0, 0, 0]),
        9,
        EXIST,
    );
    step(
        &pair,
        "lpm_ops",
        op(cmd::UPDATE, 33),
        ip([10, 0, 0, 0]),
        9,
        ANY,
    );
    // Host side: a prefix with bits beyond its length (stored as given by both).
    let key = |len: u32, a: [u8; 4]| [len.to_ne_bytes().as_slice(), &a].concat();
    pair.update(
        "lpm",
        &key(20, [192, 168, 255, 255]),
        &7u64.to_ne_bytes(),
        ANY,
    )
    .unwrap();
    for addr in [
        [10, 1, 2, 3],
        [10, 1, 2, 4],
        [10, 1, 3, 0],
        [10, 2, 0, 0],
        [11, 0, 0, 0],
        [192, 168, 15, 1],
        [192, 168, 16, 1],
    ] {
        step(&pair, "lpm_ops", op(cmd::LOOKUP, 32), ip(addr), 0, 0);
        step(&pair, "lpm_ops", op(cmd::LOOKUP, 24), ip(addr), 0, 0);
    }
    step(
        &pair,
        "lpm_ops",
        op(cmd::DELETE, 16),
        ip([10, 1, 0, 0]),
        0,
        0,
    );
    step(
        &pair,
        "lpm_ops",
        op(cmd::DELETE, 16),
        ip([10, 1, 0, 0]),
        0,
        0,
    );
    step(
        &pair,
        "lpm_ops",
        op(cmd::DELETE, 17),
        ip([10, 1, 0, 0]),
        0,
        0,
    );
    step(
        &pair,
        "lpm_ops",
        op(cmd::LOOKUP, 32),
        ip([10, 1, 9, 9]),
        0,
        0,
    );
    // Full (8 entries): -ENOSPC.
    for i in 0..5 {
        step(
            &pair,
            "lpm_ops",
            op(cmd::UPDATE, 24),
            ip([172, 16, i, 0]),
            1,
            ANY,
        );
    }
}

#[test]
fn queue_stack_and_bloom_filter() {
    let Some(pair) = Pair::load("maps_queue_stack_bloom") else {
        return;
    };
    for (map, prog) in [("queue", "queue_ops"), ("stack", "stack_ops")] {
        pair.push(map, &1u64.to_ne_bytes(), 0).unwrap();
        step(&pair, prog, cmd::PEEK, 0, 0, 0);
        for value in 2..=5 {
            step(&pair, prog, cmd::PUSH, 0, value, 0); // the 4th push: -E2BIG
        }
        step(&pair, prog, cmd::PUSH, 0, 6, 2); // BPF_EXIST: overwrite the oldest
        step(&pair, prog, cmd::PUSH, 0, 7, 1); // bad flags
        step(&pair, prog, cmd::POP, 0, 0, 0);
        step(&pair, prog, cmd::PEEK, 0, 0, 0);
        assert_eq!(pair.push(map, &8u64.to_ne_bytes(), 0), Ok(()));
        assert_eq!(pair.push(map, &9u64.to_ne_bytes(), 0), Err(-7));
        assert_eq!(pair.push(map, &9u64.to_ne_bytes(), 2), Ok(()));
        pair.assert_drain_equal(map);
        step(&pair, prog, cmd::POP, 0, 0, 0); // empty: -ENOENT
        step(&pair, prog, cmd::PEEK, 0, 0, 0);
        step(&pair, prog, cmd::PUSH, 0, 10, 0);
        pair.assert_drain_equal(map);
    }

    pair.push("bloom", &1000u64.to_ne_bytes(), 0).unwrap();
    for value in [1, 2, 3, 64, 65, 4096, 1 << 40] {
        step(&pair, "bloom_ops", cmd::PUSH, 0, value, 0);
    }
    step(&pair, "bloom_ops", cmd::PUSH, 0, 5, 2); // bad flags
    for value in [1, 4, 1000, 1001] {
        step(&pair, "bloom_ops", cmd::PEEK, 0, value, 0);
    }
    // Membership, false positives included, of 4096 values.
    for base in (0..4096).step_by(32) {
        step(&pair, "bloom_scan", 0, 0, base, 0);
    }
}

#[test]
fn array_of_maps_and_hash_of_maps() {
    let Some(pair) = Pair::load("maps_in_maps") else {
        return;
    };
    let k = |i: u32| i.to_ne_bytes();
    // Slot 0 of outer_array is initialised by the object (`.values = { [0] = &inner_a }`).
    pair.kernel_set_inner("outer_array", &k(0), "inner_a");
    pair.set_inner("outer_array", &k(1), "inner_b");
    pair.set_inner("outer_hash", &k(7), "inner_h");
    pair.update("inner_b", &k(2), &22u64.to_ne_bytes(), ANY)
        .unwrap();
    pair.assert_maps_equal();

    let key = |outer: u32, inner: u32| outer << 16 | inner;
    for outer in [0, 1, 2, 3] {
        step(
            &pair,
            "outer_array_ops",
            cmd::UPDATE,
            key(outer, 1),
            10 + u64::from(outer),
            ANY,
        );
        step(&pair, "outer_array_ops", cmd::ADD, key(outer, 2), 5, 0);
        step(&pair, "outer_array_ops", cmd::LOOKUP, key(outer, 2), 0, 0);
        step(&pair, "outer_array_ops", cmd::DELETE, key(outer, 1), 0, 0);
        step(&pair, "outer_array_ops", cmd::UPDATE, key(outer, 4), 1, ANY);
    }
    for outer in [7, 8] {
        for inner in 0..5 {
            step(
                &pair,
                "outer_hash_ops",
                cmd::UPDATE,
                key(outer, inner),
                u64::from(inner),
                NOEXIST,
            );
        }
        step(&pair, "outer_hash_ops", cmd::ADD, key(outer, 3), 30, 0);
        step(&pair, "outer_hash_ops", cmd::DELETE, key(outer, 0), 0, 0);
        step(&pair, "outer_hash_ops", cmd::LOOKUP, key(outer, 0), 0, 0);
    }
    // Taking an inner map out: programs no longer reach it.
    pair.delete("outer_array", &k(1)).unwrap();
    assert_eq!(pair.delete("outer_hash", &k(8)), Err(-2));
    pair.delete("outer_hash", &k(7)).unwrap();
    step(&pair, "outer_array_ops", cmd::LOOKUP, key(1, 2), 0, 0);
    step(&pair, "outer_hash_ops", cmd::LOOKUP, key(7, 3), 0, 0);
}
