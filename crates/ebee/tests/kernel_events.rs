//! Ring buffers, perf event arrays, prog arrays (tail calls) and global data, in ebee and in
//! the Linux kernel (`tests/bpf/{events,tail_calls,globals}.bpf.c`): the same packets, the
//! same records read back, the same map contents. The coverage table is in
//! `kernel_maps.rs`.

mod common;

use common::pair::{assert_records_equal, cmd, Pair};
use ebee_kernel::PerfRecord;

const BPF_F_CURRENT_CPU: u64 = 0xffff_ffff;
const PERF_PAGES: usize = 4;

fn ebee_ring(pair: &Pair) -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    pair.ebee
        .map("ring")
        .unwrap()
        .ringbuf_consume(|r| records.push(r.to_vec()))
        .unwrap();
    records
}

/// Drains the ring buffer on both sides and asserts the same records.
fn assert_ring_equal(pair: &mut Pair) -> Vec<Vec<u8>> {
    let ours = ebee_ring(pair);
    let theirs = pair.kernel.ringbuf_drain("ring").unwrap();
    assert_records_equal("ring buffer", &ours, &theirs);
    ours
}

/// Runs `program` with one command in both; returns `(res, out)` after checking equality.
fn step(pair: &Pair, program: &str, op: u32, key: u32, value: u64, flags: u64) -> (i64, u64) {
    let (res, out, _) = cmd::result(&pair.run(program, &cmd::packet(op, key, value, flags)));
    (res, out)
}

/// ringbuf_query for AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS and an unknown flag.
fn assert_query_equal(pair: &Pair) {
    for flags in 0..5 {
        step(pair, "rb_query", 0, 0, 0, flags);
    }
}

#[test]
fn ring_buffer_records_and_positions() {
    let Some(mut pair) = Pair::load("events") else {
        return;
    };
    assert_query_equal(&pair);
    for (len, flags) in [(0, 0), (1, 0), (7, 1), (8, 2), (64, 0), (9, 4), (100, 0)] {
        step(&pair, "rb_output", 0, len as u32 * 3, len, flags);
    }
    assert_query_equal(&pair);
    assert_eq!(assert_ring_equal(&mut pair).len(), 6);
    assert_query_equal(&pair);

    // Reserve, then submit (op 1) or discard (op 2), with wakeup flags; bad reservations.
    for (op, size, flags) in [
        (1, 0, 0),
        (2, 0, 0),
        (1, 0, 1),
        (2, 0, 2),
        (1, 1, 0),
        (1, 2, 0),
        (1, 3, 0),
    ] {
        step(&pair, "rb_reserve", op, 5, size, flags);
        assert_query_equal(&pair);
    }
    // The ring is too full for a 4000-byte record until it is read.
    assert_eq!(step(&pair, "rb_reserve", 1, 6, 1, 0).0, 0);
    assert_eq!(assert_ring_equal(&mut pair).len(), 2);
    assert_eq!(step(&pair, "rb_reserve", 1, 7, 1, 0).0, 1);
    assert_query_equal(&pair);
    assert_eq!(assert_ring_equal(&mut pair).len(), 1);
    assert_query_equal(&pair);
}

/// The kernel's perf records as `(cpu, data)`; lost counts fail the test.
fn kernel_perf(pair: &mut Pair) -> Vec<(u32, Vec<u8>)> {
    let records = pair.kernel.perf_read("perf").unwrap();
    records
        .into_iter()
        .map(|r| match r {
            PerfRecord::Sample { cpu, data } => (cpu, data),
            PerfRecord::Lost { cpu, count } => panic!("kernel lost {count} records on cpu {cpu}"),
        })
        .collect()
}

fn ebee_perf(pair: &Pair) -> Vec<(u32, Vec<u8>)> {
    let mut records = Vec::new();
    pair.ebee
        .map("perf")
        .unwrap()
        .perf_drain(|cpu, r| match r {
            ebee_maps::PerfRecord::Sample(data) => records.push((cpu, data)),
            ebee_maps::PerfRecord::Lost(n) => panic!("ebee lost {n} records on cpu {cpu}"),
        })
        .unwrap();
    records
}

#[test]
fn perf_event_output_records() {
    let Some(mut pair) = Pair::load("events") else {
        return;
    };
    pair.kernel.perf_open("perf", PERF_PAGES).unwrap();
    pair.ebee
        .map("perf")
        .unwrap()
        .perf_open_all(PERF_PAGES * 4096)
        .unwrap();
    let cpus = pair.ncpus as u64;
    let mut cases = vec![
        (1, BPF_F_CURRENT_CPU),
        (4, BPF_F_CURRENT_CPU),
        (5, 0),
        (8, 0),
        (12, 0),
        (64, 0),
        (0, 0),
    ];
    // Another CPU's buffer (-EOPNOTSUPP), past the array (-E2BIG), unknown flag bits
    // (-EINVAL).
    cases.extend([(4, cpus - 1), (4, cpus), (4, 1 << 20), (4, 1 << 60)]);
    // BPF_F_CTXLEN_MASK: XDP appends that many bytes of the packet (more than it has:
    // -EFAULT).
    cases.extend([
        (4, 16 << 32 | BPF_F_CURRENT_CPU),
        (0, 64 << 32),
        (3, 65 << 32),
        (8, 1 << 32 | cpus),
    ]);
    for (len, flags) in cases {
        step(&pair, "perf_output", 0, len as u32, len, flags);
        // From TC (bytes 12..14, the EtherType, are 0: an 802.3 frame).
        step(&pair, "perf_output_tc", 0, len as u32, len, flags);
    }
    assert_eq!(
        ebee_perf(&pair),
        kernel_perf(&mut pair),
        "perf records (cpu, data), ebee vs kernel"
    );
}

/// `hops` from the `.bss` of both sides, compared.
fn hops(pair: &Pair) -> u64 {
    pair.assert_map_equal(".bss");
    let entries = pair.ebee_entries(".bss");
    u64::from_ne_bytes(entries[0].1[..8].try_into().unwrap())
}

#[test]
fn tail_calls_through_a_prog_array() {
    let Some(pair) = Pair::load("tail_calls") else {
        return;
    };
    pair.set_program("jmp", 0, "target_drop");
    pair.set_program("jmp", 1, "target_tx");
    pair.assert_maps_equal();
    // Into slots 0 and 1; an empty slot, past the end, a huge index: the call fails.
    for (slot, verdict) in [(0, 1), (1, 3), (2, 2), (4, 2), (u32::MAX, 2)] {
        let out = pair.run("entry", &cmd::packet(0, slot, 0, 0));
        assert_eq!(
            pair.run_both("entry", &out, None).ebee.retval,
            verdict,
            "slot {slot}"
        );
    }
    assert_eq!(hops(&pair), 14);
    // A program tail-calling itself: 1 + 33 runs, then the call fails.
    pair.set_program("jmp", 3, "chain");
    let (_, runs, _) = cmd::result(&pair.run("chain", &cmd::packet(0, 0, 0, 0)));
    assert_eq!(runs, 34);
    hops(&pair);
    // Replacing and deleting slots from the host.
    pair.set_program("jmp", 0, "target_tx");
    pair.delete("jmp", &1u32.to_ne_bytes()).unwrap();
    assert_eq!(pair.delete("jmp", &1u32.to_ne_bytes()), Err(-2));
    for slot in 0..4 {
        pair.run("entry", &cmd::packet(0, slot, 0, 0));
    }
    pair.assert_maps_equal();
}

#[test]
fn global_data_sections() {
    let table: Vec<u8> = (0..8).map(|i| 0x10 + i).collect();
    let globals = [
        ("verdict", 3u32.to_ne_bytes().to_vec()), // XDP_TX
        ("factor", 5u64.to_ne_bytes().to_vec()),
        ("table", table),
    ];
    let Some(pair) = Pair::load_with("globals", &globals) else {
        return;
    };
    let names: Vec<String> = pair
        .ebee
        .maps()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    pair.assert_maps_equal();
    for key in 0..6 {
        let out = pair.run("use_globals", &cmd::packet(key, key, u64::from(key) * 3, 0));
        // total += value * factor, with factor 5 set before load.
        assert_eq!(
            cmd::result(&out).1,
            1000 + 15 * (0..=u64::from(key)).sum::<u64>()
        );
        pair.assert_maps_equal();
    }
    // The host writes .data: programs see it.
    let data = pair.ebee_entries(".data");
    let mut value = data[0].1.clone();
    value[..8].copy_from_slice(&1u64.to_ne_bytes());
    pair.update(".data", &0u32.to_ne_bytes(), &value, 0)
        .unwrap();
    let out = pair.run("use_globals", &cmd::packet(0, 1, 2, 0));
    assert_eq!(cmd::result(&out).1, 11);
    pair.assert_maps_equal();
    // .rodata is frozen: the host may not write it.
    let rodata = pair.ebee_entries(".rodata")[0].1.clone();
    assert!(pair
        .update(".rodata", &0u32.to_ne_bytes(), &rodata, 0)
        .is_err());
}
