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

#[test]
fn typed_host_functions_take_their_prototype_from_their_types() {
    use ebee::host_function::Bytes;
    use ebee::HostFunction;
    let path = common::compile("embedder_functions");
    let scale = HostFunction::wrap("host_scale", |x: i64, factor: i64| x * factor).unwrap();
    let add = HostFunction::wrap("host_add", |a: i32, b: i32| a + b).unwrap();
    let object = Engine::new()
        .with_function(0x8000, scale)
        .with_kfunc_function(add)
        .load_file(&path)
        .expect("loads with both provided");
    let out = object.program("call_host").unwrap().test_run(&TestRun {
        data_in: &[0; 64],
        ..Default::default()
    });
    assert_eq!(out.unwrap().retval, 3 * 7 + 100 + 11);

    // Memory arguments take two registers; six registers are refused.
    let sum = HostFunction::wrap("sum", |b: Bytes, extra: u8| {
        b.0.len() as u64 + u64::from(extra)
    });
    let sum = sum.unwrap();
    assert_eq!(sum.args().unwrap().len(), 3);
    let too_many = HostFunction::wrap("wide", |_: Bytes, _: Bytes, _: Bytes| 0u64);
    assert!(too_many.unwrap_err().to_string().contains("6 registers"));
}
