//! Every context field of XDP, socket filter and TC programs (`tests/bpf/context_fields.bpf.c`)
//! in ebee and in the Linux kernel: whole and narrow reads of every readable field, stores to
//! every writable one and what reads back after them, on assorted packets and test-run
//! contexts. Return values, packets out, contexts out and the maps the programs fill must be
//! equal byte for byte, and so must the outcome of inputs the test run refuses. Programs
//! making accesses the kernel's verifier refuses must be refused by ebee at load, naming the
//! field.

mod common;

use common::pair::Pair;
use ebee_kernel::{KernelObject, LoadOptions};
use std::path::Path;
use std::process::Command;

/// Names of the slots of `sock_out` / `tc_out`, in the order of the C enums.
fn skb_slot_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "len",
        "pkt_type",
        "mark",
        "queue_mapping",
        "protocol",
        "vlan_present",
        "vlan_tci",
        "vlan_proto",
        "priority",
        "ingress_ifindex",
        "ifindex",
        "tc_index",
        "cb[0]",
        "cb[1]",
        "cb[2]",
        "cb[3]",
        "cb[4]",
        "hash",
        "napi_id",
        "gso_segs",
        "gso_size",
    ]
    .map(String::from)
    .to_vec();
    for f in ["len", "mark", "priority", "ingress_ifindex"] {
        names.extend((0..4).map(|b| format!("{f} byte {b}")));
    }
    names.extend(
        [
            "pkt_type byte 0",
            "pkt_type byte 1",
            "pkt_type u16 at +2",
            "protocol byte 0",
        ]
        .map(String::from),
    );
    let parts =
        |f: &str| ["byte 1", "byte 2", "u16 at +0", "u16 at +2"].map(|p| format!("{f} {p}"));
    for f in ["protocol", "vlan_tci", "tc_index", "gso_segs", "gso_size"] {
        names.extend(parts(f));
    }
    names.extend(
        [
            "cb[0..1] as u64",
            "cb[2..3] as u64",
            "cb[4] byte 3",
            "cb[1] u16 at +2",
            "vlan_present byte 0",
            "vlan_proto u16 at +0",
            // TC only
            "tc_classid",
            "data_end - data",
            "data - data_meta",
            "tstamp",
            "wire_len",
            "hwtstamp",
        ]
        .map(String::from),
    );
    names.extend(parts("tc_classid"));
    names.extend((0..4).map(|b| format!("wire_len byte {b}")));
    let after = [
        "mark",
        "priority",
        "tc_index",
        "tc_classid",
        "queue_mapping",
        "tstamp",
        "cb[0..1]",
        "cb[4]",
    ];
    names.extend(after.map(|f| format!("{f} after the write")));
    names
}

/// Asserts equal contents of `map`, naming the first slot that differs.
fn assert_slots_equal(pair: &Pair, map: &str, what: &str) {
    let (ours, theirs) = (pair.ebee_entries(map), pair.kernel_entries(map));
    let names = skb_slot_names();
    let mut differences = Vec::new();
    for ((k, a), (_, b)) in ours.iter().zip(&theirs) {
        let slot = u32::from_ne_bytes(k[..4].try_into().unwrap()) as usize;
        let name = if map == "xdp_out" {
            [
                "data_end - data",
                "data - data_meta",
                "ingress_ifindex",
                "rx_queue_index",
            ]
            .get(slot)
            .map_or("?".to_string(), |s| s.to_string())
        } else {
            names
                .get(slot)
                .cloned()
                .unwrap_or_else(|| format!("slot {slot}"))
        };
        let v = |b: &[u8]| u64::from_ne_bytes(b.try_into().unwrap());
        if a != b {
            differences.push(format!("slot {slot} ({name}): {:#x} vs {:#x}", v(a), v(b)));
        }
    }
    assert!(
        differences.is_empty(),
        "{what}: {map}, ebee vs kernel:\n{}",
        differences.join("\n")
    );
    assert_eq!(ours.len(), theirs.len(), "{what}: {map} entries");
}

/// Runs `program` on both sides; asserts the same outcome, retval, data_out, ctx_out and
/// `map`. Returns whether the run happened (false: both refused the input).
fn run(pair: &Pair, program: &str, data: &[u8], ctx: Option<&[u8]>, map: &str) -> bool {
    let prog = pair.ebee.program(program).expect("ebee program");
    let ours = prog.test_run(&ebee::TestRun {
        data_in: data,
        ctx_in: ctx,
        repeat: 1,
        cpu: 0,
    });
    let kernel_run = ebee_kernel::TestRun {
        data_in: data,
        ctx_in: ctx,
        repeat: 1,
        data_size_out: data.len() + 4096,
        ctx_size_out: ctx.map_or(0, <[u8]>::len),
        ..Default::default()
    };
    let theirs = pair.kernel.test_run(program, &kernel_run);
    let what = format!("{program} on {data:02x?} with ctx {ctx:02x?}");
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(ours.retval, theirs.retval, "{what}: retval, ebee vs kernel");
            assert_eq!(
                ours.data_out, theirs.data_out,
                "{what}: data_out, ebee vs kernel"
            );
            if ctx.is_some() {
                assert_eq!(
                    ours.ctx_out, theirs.ctx_out,
                    "{what}: ctx_out, ebee vs kernel"
                );
            }
            assert_slots_equal(pair, map, &what);
            true
        }
        (Err(_), Err(_)) => false,
        (ours, theirs) => panic!(
            "{what}: ebee {:?}, kernel {:?}",
            ours.map(|r| r.retval),
            theirs.map(|r| r.retval)
        ),
    }
}

const UNICAST: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

/// An Ethernet frame to `dst` of `len` bytes with `ethertype` and a recognizable payload
/// (IPv4 and IPv6 get a plausible version byte).
fn frame(dst: [u8; 6], ethertype: [u8; 2], len: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len).map(|i| i as u8).collect();
    p[0..6].copy_from_slice(&dst);
    p[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
    p[12..14].copy_from_slice(&ethertype);
    p[14] = match ethertype {
        [0x08, 0x00] => 0x45,
        [0x86, 0xdd] => 0x60,
        _ => p[14],
    };
    p
}

/// IPv4, IPv6 and ARP frames; broadcast, multicast, unicast and all-zero destinations;
/// 802.1Q-tagged frames.
fn packets() -> Vec<Vec<u8>> {
    let mut tagged = frame(UNICAST, [0x81, 0x00], 70);
    tagged[14..18].copy_from_slice(&[0x20, 0x05, 0x08, 0x00]); // prio 1, VLAN 5, IPv4
    let mut tagged_ad = frame([0xff; 6], [0x88, 0xa8], 64);
    tagged_ad[14..18].copy_from_slice(&[0x00, 0x07, 0x86, 0xdd]);
    vec![
        frame(UNICAST, [0x08, 0x00], 74),
        frame([0; 6], [0x08, 0x00], 60),
        frame([0x01, 0x00, 0x5e, 0, 0, 1], [0x08, 0x00], 60),
        frame([0x33, 0x33, 0, 0, 0, 1], [0x86, 0xdd], 94),
        frame([0xff; 6], [0x08, 0x06], 42),
        frame(UNICAST, [0x00, 0x40], 60),
        tagged,
        tagged_ad,
    ]
}

/// `struct __sk_buff` with the fields a test run accepts set.
fn sk_buff(f: impl FnOnce(&mut dyn FnMut(usize, &[u8]))) -> Vec<u8> {
    let mut ctx = vec![0u8; 192];
    f(&mut |at, v| ctx[at..at + v.len()].copy_from_slice(v));
    ctx
}

fn contexts() -> Vec<Vec<u8>> {
    let full = |wire: u32, segs: u32, size: u32| {
        sk_buff(|put| {
            put(8, &0x8765_4321u32.to_ne_bytes()); // mark
            put(32, &0x0102_0304u32.to_ne_bytes()); // priority
            put(36, &0x0a0b_0c0du32.to_ne_bytes()); // ingress_ifindex
            let cb: Vec<u8> = (0xa0..0xb4).collect();
            put(48, &cb);
            put(152, &0x1122_3344_5566_7788u64.to_ne_bytes()); // tstamp
            put(160, &wire.to_ne_bytes());
            put(164, &segs.to_ne_bytes());
            put(176, &size.to_ne_bytes());
            put(184, &0x0102_0304_0506_0708u64.to_ne_bytes()); // hwtstamp
        })
    };
    vec![
        vec![0; 192],
        full(0, 0, 0),
        full(1500, 3, 1400),
        full(65536, 65535, 0x1_0005),
        full(50, 1, 1),
        full(65537, 1, 1),
        full(0, 65536, 1),
        sk_buff(|put| put(40, &1u32.to_ne_bytes())), // ifindex: loopback
        sk_buff(|put| put(36, &u32::MAX.to_ne_bytes())),
    ]
}

#[test]
fn socket_filter_fields() {
    let Some(pair) = Pair::load("context_fields") else {
        return;
    };
    let mut accepted = 0;
    for packet in packets() {
        assert!(run(&pair, "sock_fields", &packet, None, "sock_out"));
        for ctx in contexts() {
            accepted += run(&pair, "sock_fields", &packet, Some(&ctx), "sock_out") as usize;
        }
    }
    // Refused: wire_len 65537 and gso_segs 65536 everywhere; wire_len 50 below the length
    // after the Ethernet header (60, 80 and 56 bytes).
    assert_eq!(accepted, 8 * (contexts().len() - 2) - 3);
}

/// The `wr` map: values tc_fields writes (mark, priority, tc_index, tc_classid,
/// queue_mapping, tstamp) and returns.
fn set_writes(pair: &Pair, values: [u64; 7]) {
    for (slot, v) in values.iter().enumerate() {
        pair.update("wr", &(slot as u32).to_ne_bytes(), &v.to_ne_bytes(), 0)
            .expect("wr");
    }
}

#[test]
fn tc_fields() {
    let Some(pair) = Pair::load("context_fields") else {
        return;
    };
    // queue_mapping values stay below 0xffff: see queue_mapping_out_of_range_writes.
    let writes = [
        [0xdead_beef, 7, 0x1234, 0x0001_0002, 3, 99, 0],
        [0, 0xffff_ffff, 0x1_2345, 0x6_789a, 0xfffe, u64::MAX, 2],
        [1, 2, 0xffff, 0xffff_ffff, 0, 0, u64::MAX],
        [5, 6, 7, 8, 0x1234, 1 << 40, 0x1_0000_0001],
    ];
    for (i, packet) in packets().into_iter().enumerate() {
        set_writes(&pair, writes[i % writes.len()]);
        assert!(run(&pair, "tc_fields", &packet, None, "tc_out"));
        for ctx in contexts() {
            run(&pair, "tc_fields", &packet, Some(&ctx), "tc_out");
        }
    }
    let packet = &packets()[0];
    for w in writes {
        set_writes(&pair, w);
        run(&pair, "tc_fields", packet, Some(&contexts()[2]), "tc_out");
    }
    assert!(run(&pair, "tc_store_imm", packet, None, "tc_out"));
}

/// Known deviation: the kernel drops stores of 0xffff (`NO_QUEUE_MAPPING`) or more to
/// `queue_mapping` (a conditional jump around a 2-byte store); ebee's context rewrite can only
/// map an access to one host access, so it stores the low 16 bits.
#[test]
#[ignore = "known deviation: queue_mapping stores >= 0xffff are kept (truncated) by ebee"]
fn queue_mapping_out_of_range_writes() {
    let Some(pair) = Pair::load("context_fields") else {
        return;
    };
    let packet = &packets()[0];
    for queue in [0xffff, 0x1_0003] {
        set_writes(&pair, [0, 0, 0, 0, queue, 0, 0]);
        run(&pair, "tc_fields", packet, None, "tc_out");
    }
    assert!(run(&pair, "tc_store_imm_queue", packet, None, "tc_out"));
}

/// `struct xdp_md`: metadata length, data_end, ingress_ifindex, rx_queue_index.
fn xdp_md(meta: u32, end: u32, ingress: u32, queue: u32) -> Vec<u8> {
    [meta, end, 0, ingress, queue, 0]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect()
}

#[test]
fn xdp_fields() {
    let Some(pair) = Pair::load("context_fields") else {
        return;
    };
    for packet in packets() {
        let len = packet.len() as u32;
        assert!(run(&pair, "xdp_fields", &packet, None, "xdp_out"));
        for (meta, ingress, queue) in [
            (0, 0, 0),
            (0, 1, 0),
            (4, 0, 0),
            (8, 1, 0),
            (16, 0, 0),
            (28, 1, 0),
            (0, 1, 1),
            (0, 0, 1),
            (0, 999, 0),
            (6, 0, 0),
        ] {
            let ctx = xdp_md(meta, len, ingress, queue);
            run(&pair, "xdp_fields", &packet, Some(&ctx), "xdp_out");
        }
    }
}

/// Compiles `context_fields.bpf.c` with `-DBAD=<n>` and returns the object.
fn compile_bad(n: u32) -> Vec<u8> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bpf/context_fields.bpf.c");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("context_fields_bad{n}.bpf.o"));
    let status = Command::new(common::CLANG)
        .args([
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-mcpu=v3",
            "-I/usr/include/x86_64-linux-gnu",
        ])
        .arg(format!("-DBAD={n}"))
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()
        .expect("run clang-19");
    assert!(status.success(), "clang-19 -DBAD={n}");
    std::fs::read(&out).expect("read the object")
}

#[test]
fn forbidden_accesses_are_refused() {
    // BAD value in context_fields.bpf.c and the field ebee's error must name.
    let cases: &[(u32, &str)] = &[
        (1, "data"),
        (2, "tc_classid"),
        (3, "tstamp"),
        (4, "wire_len"),
        (5, "hwtstamp"),
        (6, "mark"),
        (7, "priority"),
        (8, "data_meta"),
        (9, "ingress_ifindex"),
        (10, "rx_queue_index"),
        (11, "ingress_ifindex"),
        (12, "egress_ifindex"),
        (13, "rx_queue_index"),
        (14, "len"),
        (15, "protocol"),
        (16, "hash"),
        (17, "ifindex"),
        (18, "mark"),
        (19, "data"),
        (20, "hwtstamp"),
        (21, "remote_ip4"),
        (22, "len"),
        (23, "tstamp"),
        (24, "wire_len"),
        (25, "gso_segs"),
        (26, "family"),
        (27, "cb"),
        (28, "napi_id"),
    ];
    let objects: Vec<_> = cases.iter().map(|&(n, _)| compile_bad(n)).collect();
    let kernel = ebee_kernel::availability();
    for (&(n, field), elf) in cases.iter().zip(&objects) {
        let err = match ebee::Engine::new().load(elf) {
            Ok(_) => panic!("BAD={n}: ebee loads a program accessing {field}"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(&format!(" {field} ")) || err.contains(&format!("field {field}")),
            "BAD={n}: ebee's error does not name {field}: {err}"
        );
        match &kernel {
            Ok(()) => assert!(
                KernelObject::load(elf, &LoadOptions::default()).is_err(),
                "BAD={n}: the kernel loads a program accessing {field}"
            ),
            Err(reason) => eprintln!("skipping the kernel side: {reason}"),
        }
    }
}
