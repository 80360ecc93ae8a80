//! Objects are freed when dropped: a long-running embedder that loads and unloads objects
//! keeps its memory flat. Its own test binary, so that no other test allocates while the
//! resident memory is measured.

mod common;

use common::compile_with;
use ebee::{Engine, TestRun};
use std::sync::Arc;

/// Regression: helper closures held the object's runtime, which held the programs holding
/// the closures, so a dropped object kept its runtime and every map alive.
#[test]
fn dropped_objects_free_their_maps_and_memory_stays_flat() {
    let elf = std::fs::read(compile_with("vm_boundary", &["PROGRAM=3"])).unwrap();
    let engine = Engine::new().with_cpus(2);
    let data = vec![0u8; 64];
    let run = |object: &ebee::Object| {
        let out = object.program("count").unwrap().test_run(&TestRun {
            data_in: &data,
            ..Default::default()
        });
        assert_eq!(out.unwrap().retval, 2);
    };
    let object = engine.load(&elf).unwrap();
    run(&object);
    let counts = Arc::downgrade(object.map("counts").unwrap());
    drop(object);
    assert!(counts.upgrade().is_none(), "the map outlived its object");

    // Warm up (allocator pools, thread-local stacks), then measure 10,000 load/run/drop.
    for _ in 0..200 {
        run(&engine.load(&elf).unwrap());
    }
    let before = resident_kib();
    for _ in 0..10_000 {
        run(&engine.load(&elf).unwrap());
    }
    let grown = resident_kib().saturating_sub(before);
    eprintln!("10,000 objects loaded, run and dropped: resident memory grew {grown} KiB");
    assert!(grown < 8 * 1024, "resident memory grew {grown} KiB");
}

/// Resident set size of this process.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}
