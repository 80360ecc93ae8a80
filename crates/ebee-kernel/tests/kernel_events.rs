//! Loads `progs/events.bpf.c`: ring buffer, perf event array, queue, per-CPU array
//! and a `.data` global, read back through the crate's API, with each loader.

mod common;

use ebee_kernel::consts::{BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF};
use ebee_kernel::{
    num_possible_cpus, Error, KernelObject, LoadOptions, Loader, PerfRecord, TestRun,
};

#[test]
fn ringbuf_perf_queue_percpu() {
    let elf = common::compile("events");
    if common::skip_without_bpf() {
        return;
    }
    for loader in Loader::ALL {
        ringbuf_perf_queue_percpu_with(loader, &elf);
    }
}

fn ringbuf_perf_queue_percpu_with(loader: Loader, elf: &[u8]) {
    let mut obj = KernelObject::load_with(loader, elf, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{loader}: load events.bpf.o: {e}"));
    assert_eq!(obj.map_info("ring").unwrap().map_type, BPF_MAP_TYPE_RINGBUF);
    assert_eq!(obj.map_info("queue").unwrap().map_type, BPF_MAP_TYPE_QUEUE);
    assert_eq!(
        obj.map_info("percpu").unwrap().map_type,
        BPF_MAP_TYPE_PERCPU_ARRAY
    );

    obj.perf_open("perf", 1).unwrap();
    assert!(obj.ringbuf_drain("ring").unwrap().is_empty());

    // User space pushes 42; the program pushes the packet length, then pops 42 and
    // returns it.
    obj.map_push("queue", &42u32.to_ne_bytes(), 0).unwrap();
    let packet = common::udp_packet();
    // XDP test runs happen on the calling thread's CPU (BPF_F_TEST_RUN_ON_CPU is
    // for raw tracepoints only), so the checks below do not assume a CPU.
    let run = TestRun {
        data_in: &packet,
        ..TestRun::default()
    };
    assert_eq!(obj.test_run("xdp_events", &run).unwrap().retval, 42);
    // Second run: the program pops its own earlier push (64).
    assert_eq!(obj.test_run("xdp_events", &run).unwrap().retval, 64);
    // What is left is the second run's push; peek, then pop, then empty.
    assert_eq!(
        obj.map_lookup("queue", &[]).unwrap(),
        Some(64u32.to_ne_bytes().to_vec())
    );
    assert_eq!(
        obj.map_pop("queue").unwrap(),
        Some(64u32.to_ne_bytes().to_vec())
    );
    assert_eq!(obj.map_pop("queue").unwrap(), None);
    assert_eq!(obj.test_run("xdp_events", &run).unwrap().retval, 64);
    obj.map_pop("queue").unwrap();

    // Ring buffer: one 4-byte record per run.
    let records = obj.ringbuf_drain("ring").unwrap();
    assert_eq!(records, vec![64u32.to_ne_bytes().to_vec(); 3]);
    assert!(obj.ringbuf_drain("ring").unwrap().is_empty());

    // Perf: one sample per run (raw samples are padded: 4 + len to 8).
    let samples = obj.perf_read("perf").unwrap();
    let sample = (0xabcd_0000_0000_0000u64 | 64).to_ne_bytes();
    assert_eq!(samples.len(), 3, "{samples:?}");
    for s in &samples {
        match s {
            PerfRecord::Sample { data, .. } => {
                assert_eq!(&data[..8], &sample);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(obj.perf_read("perf").unwrap().is_empty());

    // Per-CPU array: every possible CPU's value, each padded to 8 bytes; the
    // values of the CPUs that ran the program add up to 3 * 64.
    let cpus = num_possible_cpus().unwrap();
    let value = obj
        .map_lookup("percpu", &0u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(value.len(), 8 * cpus);
    let per_cpu: Vec<u64> = value
        .chunks(8)
        .map(|c| u64::from(u32::from_ne_bytes(c[..4].try_into().unwrap())))
        .collect();
    assert_eq!(per_cpu.iter().sum::<u64>(), 3 * 64);
    assert!(value.chunks(8).all(|c| c[4..] == [0; 4]), "padding is zero");
    let entries = obj.map_entries("percpu").unwrap();
    assert_eq!(entries.len(), 2);
    // Writing per-CPU values needs the full layout.
    assert!(matches!(
        obj.map_update("percpu", &1u32.to_ne_bytes(), &[0; 4], 0),
        Err(Error::InvalidArgument(_))
    ));
    let mut all = vec![0u8; 8 * cpus];
    all[..4].copy_from_slice(&7u32.to_ne_bytes());
    obj.map_update("percpu", &1u32.to_ne_bytes(), &all, 0)
        .unwrap();
    assert_eq!(
        obj.map_lookup("percpu", &1u32.to_ne_bytes()).unwrap(),
        Some(all)
    );

    // .data global `runs`, initialized to 100.
    let data = obj
        .map_lookup(".data", &0u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(data, 103u32.to_ne_bytes());

    // Ring buffer and perf helpers on other map types are errors, not panics.
    assert!(matches!(obj.ringbuf_drain("queue"), Err(Error::Map(_))));
    assert!(matches!(obj.perf_open("queue", 1), Err(Error::Map(_))));
    assert!(matches!(
        obj.perf_open("nope", 1),
        Err(Error::UnknownMap(_))
    ));
    assert!(matches!(
        obj.perf_read("ring"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        obj.map_entries("queue"),
        Err(Error::InvalidArgument(_))
    ));
    // The queue is still usable after the failed perf_open.
    obj.map_push("queue", &1u32.to_ne_bytes(), 0).unwrap();
}
