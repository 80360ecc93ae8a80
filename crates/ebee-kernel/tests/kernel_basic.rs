//! Loads `progs/basic.bpf.c` into the kernel: maps, `.rodata`, three program types,
//! verifier rejection, and errors on bad input.

mod common;

use ebee_kernel::consts::{
    BPF_ANY, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_NOEXIST, BPF_PROG_TYPE_SCHED_CLS,
    BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP,
};
use ebee_kernel::{Error, KernelObject, LoadOptions, TestRun};

const XDP_DROP: u32 = 1;
const XDP_PASS: u32 = 2;
const XDP_TX: u32 = 3;

fn load(verdict: Option<u32>) -> KernelObject {
    let elf = common::compile("basic");
    let globals = verdict
        .map(|v| vec![("verdict".to_string(), v.to_ne_bytes().to_vec())])
        .unwrap_or_default();
    KernelObject::load(&elf, &LoadOptions { globals }).expect("load basic.bpf.o")
}

fn run(obj: &KernelObject, prog: &str, packet: &[u8]) -> ebee_kernel::TestRunResult {
    let run = TestRun {
        data_in: packet,
        data_size_out: 1514,
        ..TestRun::default()
    };
    obj.test_run(prog, &run).expect("test_run")
}

#[test]
fn xdp_program_maps_and_rodata() {
    let elf = common::compile("basic");
    if common::skip_without_bpf() {
        return;
    }
    let globals = vec![("verdict".to_string(), XDP_TX.to_ne_bytes().to_vec())];
    let obj = KernelObject::load(&elf, &LoadOptions { globals }).expect("load basic.bpf.o");

    let programs = obj.programs();
    let types: Vec<_> = programs
        .iter()
        .map(|p| (p.name.as_str(), p.prog_type))
        .collect();
    assert_eq!(
        types,
        [
            ("socket_basic", Some(BPF_PROG_TYPE_SOCKET_FILTER)),
            ("tc_basic", Some(BPF_PROG_TYPE_SCHED_CLS)),
            ("xdp_basic", Some(BPF_PROG_TYPE_XDP)),
        ]
    );
    assert!(obj.map_names().contains(&".rodata".to_string()));

    let counts = obj.map_info("counts").unwrap();
    assert_eq!(
        (
            counts.map_type,
            counts.key_size,
            counts.value_size,
            counts.max_entries
        ),
        (BPF_MAP_TYPE_HASH, 4, 8, 16)
    );
    let config = obj.map_info("config").unwrap();
    assert_eq!(
        (
            config.map_type,
            config.key_size,
            config.value_size,
            config.max_entries
        ),
        (BPF_MAP_TYPE_ARRAY, 4, 4, 4)
    );
    // The .rodata map holds the value set before load.
    let rodata = obj
        .map_lookup(".rodata", &0u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(rodata, XDP_TX.to_ne_bytes());

    obj.map_update(
        "config",
        &0u32.to_ne_bytes(),
        &0xeeu32.to_ne_bytes(),
        BPF_ANY,
    )
    .unwrap();
    let packet = common::udp_packet();
    let r = run(&obj, "xdp_basic", &packet);
    assert_eq!(r.retval, XDP_TX);
    let mut expected = packet.clone();
    expected[0] = 0xee;
    assert_eq!(r.data_out, expected);

    // One IPv4 packet counted under the raw (big-endian) EtherType key.
    let key = u32::from(u16::from_ne_bytes([0x08, 0x00])).to_ne_bytes();
    assert_eq!(
        obj.map_lookup("counts", &key).unwrap(),
        Some(1u64.to_ne_bytes().to_vec())
    );
    run(&obj, "xdp_basic", &packet);
    assert_eq!(
        obj.map_entries("counts").unwrap(),
        [(key.to_vec(), 2u64.to_ne_bytes().to_vec())]
    );

    // Arrays list every index.
    let entries = obj.map_entries("config").unwrap();
    let keys: Vec<_> = entries.iter().map(|(k, _)| k.clone()).collect();
    let want: Vec<_> = (0u32..4).map(|i| i.to_ne_bytes().to_vec()).collect();
    assert_eq!(keys, want);
    assert_eq!(entries[0].1, 0xeeu32.to_ne_bytes());

    // Update flags, delete.
    let err = obj
        .map_update("counts", &key, &9u64.to_ne_bytes(), BPF_NOEXIST)
        .unwrap_err();
    assert!(matches!(err, Error::Syscall { .. }), "{err}");
    assert!(obj.map_delete("counts", &key).unwrap());
    assert!(!obj.map_delete("counts", &key).unwrap());
    assert_eq!(obj.map_lookup("counts", &key).unwrap(), None);
}

#[test]
fn rodata_default_and_repeat() {
    let _ = common::compile("basic");
    if common::skip_without_bpf() {
        return;
    }
    let obj = load(None);
    let packet = common::udp_packet();
    let r = obj
        .test_run(
            "xdp_basic",
            &TestRun {
                data_in: &packet,
                repeat: 5,
                ..TestRun::default()
            },
        )
        .unwrap();
    assert_eq!(r.retval, XDP_PASS);
    assert!(r.data_out.is_empty(), "no data_out buffer was asked for");
    let key = u32::from(u16::from_ne_bytes([0x08, 0x00])).to_ne_bytes();
    assert_eq!(
        obj.map_lookup("counts", &key).unwrap(),
        Some(5u64.to_ne_bytes().to_vec())
    );

    // A frame shorter than an Ethernet header is the program's XDP_ABORTED (0) case,
    // but the kernel refuses XDP test runs below ETH_HLEN.
    let err = obj
        .test_run(
            "xdp_basic",
            &TestRun {
                data_in: &packet[..10],
                ..TestRun::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Syscall { .. }), "{err}");

    let dropping = load(Some(XDP_DROP));
    assert_eq!(run(&dropping, "xdp_basic", &packet).retval, XDP_DROP);
}

#[test]
fn tc_and_socket_programs() {
    let _ = common::compile("basic");
    if common::skip_without_bpf() {
        return;
    }
    let obj = load(None);
    let packet = common::udp_packet();
    obj.map_update(
        "config",
        &1u32.to_ne_bytes(),
        &100u32.to_ne_bytes(),
        BPF_ANY,
    )
    .unwrap();
    let r = run(&obj, "tc_basic", &packet);
    assert_eq!(r.retval, 64 + 100);
    assert_eq!(r.data_out, packet);

    // For socket filters the kernel pulls the Ethernet header before the run, so
    // skb->len is the frame length minus ETH_HLEN (tc programs see the whole frame).
    let r = run(&obj, "socket_basic", &packet);
    assert_eq!(r.retval, 64 - 14);

    // __sk_buff in and out: the kernel accepts a zeroed context and copies it back.
    let ctx = vec![0u8; 192];
    let r = obj
        .test_run(
            "tc_basic",
            &TestRun {
                data_in: &packet,
                ctx_in: Some(&ctx),
                ctx_size_out: ctx.len(),
                ..TestRun::default()
            },
        )
        .unwrap();
    assert_eq!(r.retval, 164);
    assert_eq!(r.ctx_out.len(), ctx.len());

    // Too small a data_out buffer is ENOSPC, reported with the size wanted.
    let err = obj
        .test_run(
            "tc_basic",
            &TestRun {
                data_in: &packet,
                data_size_out: 8,
                ..TestRun::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutputTooSmall {
                data_size_out: 64,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn verifier_rejection_carries_log() {
    let elf = common::compile("reject");
    if common::skip_without_bpf() {
        return;
    }
    let err = KernelObject::load(&elf, &LoadOptions::default()).unwrap_err();
    match &err {
        Error::ProgramLoad {
            program,
            verifier_log,
            ..
        } => {
            assert_eq!(program, "xdp_reject");
            assert!(
                verifier_log.contains("invalid access to packet"),
                "verifier log: {verifier_log}"
            );
        }
        other => panic!("expected ProgramLoad, got {other}"),
    }
    assert!(err.to_string().contains("invalid access to packet"));
}

#[test]
fn bad_input_is_an_error() {
    let elf = common::compile("basic");
    if common::skip_without_bpf() {
        return;
    }
    assert!(matches!(
        KernelObject::load(b"not an elf", &LoadOptions::default()),
        Err(Error::Object(_))
    ));
    let wrong_size = LoadOptions {
        globals: vec![("verdict".into(), vec![1, 2])],
    };
    assert!(matches!(
        KernelObject::load(&elf, &wrong_size),
        Err(Error::Object(_))
    ));
    let missing = LoadOptions {
        globals: vec![("no_such_symbol".into(), vec![0; 4])],
    };
    assert!(matches!(
        KernelObject::load(&elf, &missing),
        Err(Error::Object(_))
    ));

    let obj = KernelObject::load(&elf, &LoadOptions::default()).unwrap();
    assert!(matches!(
        obj.test_run("nope", &TestRun::default()),
        Err(Error::UnknownProgram(_))
    ));
    assert!(matches!(obj.map_info("nope"), Err(Error::UnknownMap(_))));
    assert!(matches!(
        obj.map_lookup("counts", &[0; 3]),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        obj.map_update("counts", &[0; 4], &[0; 4], BPF_ANY),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        obj.map_pop("counts"),
        Err(Error::InvalidArgument(_))
    ));
}
