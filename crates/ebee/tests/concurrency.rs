//! One loaded program run from many threads at once: per-CPU maps indexed by the worker,
//! shared maps updated atomically, no lost updates.

mod common;

use ebee::{Engine, TestRun};

const WORKERS: usize = 4;
const RUNS: u64 = 2000;

#[test]
fn many_threads_run_one_program_without_lost_updates() {
    let object = Engine::new()
        .with_cpus(WORKERS)
        .load_file(common::compile("concurrency"))
        .expect("loads");
    let shared = object.map("shared").unwrap();
    shared
        .update(&0u32.to_ne_bytes(), &0u64.to_ne_bytes(), 0)
        .unwrap();
    let program = object.program("count").unwrap();
    std::thread::scope(|scope| {
        for worker in 0..WORKERS {
            scope.spawn(move || {
                for run in 0..RUNS {
                    // Keys 1..=RUNS*WORKERS: distinct per (worker, run), 64-byte packets.
                    let key = (worker as u64 * RUNS + run + 1) as u32;
                    let mut packet = vec![0u8; 64];
                    packet[..4].copy_from_slice(&key.to_ne_bytes());
                    let out = program
                        .test_run(&TestRun {
                            data_in: &packet,
                            cpu: worker,
                            ..Default::default()
                        })
                        .expect("runs");
                    assert_eq!(out.retval, 2);
                }
            });
        }
    });
    let per_cpu = object
        .map("per_cpu")
        .unwrap()
        .lookup(&0u32.to_ne_bytes())
        .unwrap();
    for worker in 0..WORKERS {
        let value = u64::from_ne_bytes(per_cpu[worker * 8..worker * 8 + 8].try_into().unwrap());
        assert_eq!(value, RUNS, "worker {worker}'s per-CPU counter");
    }
    let total = u64::from_ne_bytes(
        shared
            .lookup(&0u32.to_ne_bytes())
            .unwrap()
            .try_into()
            .unwrap(),
    );
    assert_eq!(
        total,
        RUNS * WORKERS as u64,
        "atomic adds from every worker"
    );
    let entries = shared.entries().unwrap();
    assert_eq!(
        entries.len() as u64,
        RUNS * WORKERS as u64 + 1,
        "every insert landed"
    );
}
