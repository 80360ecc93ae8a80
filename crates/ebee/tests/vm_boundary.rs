//! The VM boundary as an embedder meets it: read-only global data, and test-run input a
//! program type has no place for. (Objects freed on drop: `tests/object_lifetime.rs`.)

mod common;

use common::compile_with;
use ebee::{Engine, TestRun};

fn object(program: u32) -> Vec<u8> {
    std::fs::read(compile_with(
        "vm_boundary",
        &[&format!("PROGRAM={program}")],
    ))
    .unwrap()
}

fn packet() -> Vec<u8> {
    vec![0u8; 64]
}

/// Regression: every array value used to be registered writable, so a store to a
/// `const volatile` global changed `.rodata`. The verifier refuses the store at load; loaded
/// unverified, the checked mode refuses it when it runs.
#[test]
fn programs_cannot_write_rodata() {
    let elf = object(1);
    let refusal = Engine::new()
        .load(&elf)
        .err()
        .expect("the verifier refuses it");
    assert!(
        refusal.to_string().contains("read-only map '.rodata'"),
        "{refusal}"
    );
    let loaded = Engine::new()
        .open(&elf)
        .unwrap()
        .unverified()
        .load()
        .unwrap();
    let program = loaded.program("write_rodata").unwrap();
    let data = packet();
    let err = program
        .test_run(&TestRun {
            data_in: &data,
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("read-only"), "{err}");
    let rodata = loaded.map(".rodata").unwrap();
    assert_eq!(
        rodata.lookup(&0u32.to_ne_bytes()).unwrap(),
        7u32.to_ne_bytes()
    );
    // The kernel refuses the program at load.
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping the kernel half: {reason}");
        return;
    }
    let kernel = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap_err();
    assert!(
        kernel.to_string().contains("write into map forbidden"),
        "{kernel}"
    );
}

/// Regression: a program without a packet context silently ignored `data_in`.
#[test]
fn input_without_a_place_is_refused() {
    let loaded = Engine::new().load(&object(2)).unwrap();
    let program = loaded.program("probe").unwrap();
    let data = packet();
    let err = program
        .test_run(&TestRun {
            data_in: &data,
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("no packet"), "{err}");
    let ctx = [0u8; 16];
    let out = program
        .test_run(&TestRun {
            ctx_in: Some(&ctx),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.retval, 7);
}
