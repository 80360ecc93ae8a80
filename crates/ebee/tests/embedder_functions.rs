//! Embedders add helpers (by id) and kfuncs (by BTF name) to the same table programs call
//! through; without them, loading refuses the program naming what is missing.

mod common;

use ebee::{Engine, TestRun};

#[test]
fn embedder_helpers_and_kfuncs_are_called() {
    let path = common::compile("embedder_functions");
    let engine = Engine::new()
        .with_helper(0x8000, "host_scale", |_, args| Ok(args[0] * args[1]))
        .with_kfunc("host_add", |_, args| Ok(args[0] + args[1]));
    let object = engine.load_file(&path).expect("loads with both provided");
    let out = object
        .program("call_host")
        .unwrap()
        .test_run(&TestRun {
            data_in: &[0; 64],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.retval, 3 * 7 + 100 + 11);
}

#[test]
fn missing_helpers_and_kfuncs_are_refused_by_name() {
    let path = common::compile("embedder_functions");
    let err = Engine::new()
        .with_kfunc("host_add", |_, _| Ok(0))
        .load_file(&path)
        .err()
        .unwrap();
    assert!(err.to_string().contains("id 32768"), "{err}");
    let err = Engine::new()
        .with_helper(0x8000, "host_scale", |_, _| Ok(0))
        .load_file(&path)
        .err()
        .unwrap();
    assert!(err.to_string().contains("kfunc host_add"), "{err}");
}
