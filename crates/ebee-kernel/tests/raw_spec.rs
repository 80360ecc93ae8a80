//! [`RawProgram::load_spec`] (log levels, the log of a program that loads), and the
//! [`RawMapFd`] additions: updates, freezing, maps of maps, a shared [`RawBtf`].

use ebee_kernel::consts::{BPF_ANY, BPF_MAP_TYPE_ARRAY, BPF_PROG_TYPE_SOCKET_FILTER};
use ebee_kernel::{Error, RawBtf, RawMapFd, RawMapSpec, RawProgram, RawProgramSpec};

/// `r0 = 0; exit`.
const RETURN_ZERO: [u64; 2] = [0xb7, 0x95];
/// `exit` alone: r0 is never written.
const EXIT_ONLY: [u64; 1] = [0x95];
/// `BPF_MAP_TYPE_ARRAY_OF_MAPS`.
const ARRAY_OF_MAPS: u32 = 12;

fn available() -> bool {
    match ebee_kernel::availability() {
        Ok(()) => true,
        Err(reason) => {
            eprintln!("skipping: bpf() is unavailable here: {reason}");
            false
        }
    }
}

fn spec<'a>(insns: &'a [u64], log_level: u32) -> RawProgramSpec<'a> {
    RawProgramSpec {
        name: "raw_spec",
        prog_type: BPF_PROG_TYPE_SOCKET_FILTER,
        insns,
        log_level,
        ..RawProgramSpec::default()
    }
}

#[test]
fn log_levels() {
    if !available() {
        return;
    }
    let (_, quiet) = RawProgram::load_spec(&spec(&RETURN_ZERO, 0)).unwrap();
    assert_eq!(quiet, "");
    let (_, states) = RawProgram::load_spec(&spec(&RETURN_ZERO, 2)).unwrap();
    assert!(states.contains("processed 2 insns"), "{states}");
    assert!(states.contains("R0=0"), "{states}");
    // Level 0 retries with a log when the program is refused.
    match RawProgram::load_spec(&spec(&EXIT_ONLY, 0)) {
        Err(Error::ProgramLoad { verifier_log, .. }) => {
            assert!(verifier_log.contains("R0 !read_ok"), "{verifier_log}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn bad_func_info_is_an_argument_error() {
    if !available() {
        return;
    }
    let mut btf = ebee_object::Btf::new();
    btf.add_int("int", 4, true);
    let raw = RawBtf::load(&btf.to_bytes()).unwrap();
    let mut load = spec(&RETURN_ZERO, 0);
    load.func_info = Some((&raw, &[0; 5]));
    assert!(matches!(
        RawProgram::load_spec(&load),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn update_freeze_and_maps_of_maps() {
    if !available() {
        return;
    }
    let array = RawMapSpec {
        map_type: BPF_MAP_TYPE_ARRAY,
        key_size: 4,
        value_size: 8,
        max_entries: 1,
        ..RawMapSpec::default()
    };
    let map = RawMapFd::create("data", &array).unwrap();
    map.update(&0u32.to_ne_bytes(), &7u64.to_ne_bytes(), BPF_ANY)
        .unwrap();
    assert!(map.update(&0u32.to_ne_bytes(), &[0; 3], BPF_ANY).is_err());
    map.freeze().unwrap();
    assert!(map
        .update(&0u32.to_ne_bytes(), &8u64.to_ne_bytes(), BPF_ANY)
        .is_err());

    let outer = RawMapSpec {
        map_type: ARRAY_OF_MAPS,
        key_size: 4,
        value_size: 4,
        max_entries: 2,
        inner_map: Some(&map),
        ..RawMapSpec::default()
    };
    let outer = RawMapFd::create("outer", &outer).unwrap();
    outer
        .update(&1u32.to_ne_bytes(), &map.fd_number().to_ne_bytes(), BPF_ANY)
        .unwrap();
}
