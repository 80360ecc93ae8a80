//! cgroup_skb, sk_skb and flow dissector programs (`tests/bpf/program_types_skb.bpf.c`) in
//! ebee and in Linux. cgroup_skb and the flow dissector run in both with `BPF_PROG_TEST_RUN`
//! on assorted packets and contexts: return values, packets (flow keys) out, contexts out and
//! every field the programs read must be equal, and inputs one refuses the other must refuse.
//! The kernel has no sk_skb test run: it loads the sk_skb programs, and ebee's runs of them
//! must see what the kernel's skb test run shows a cgroup_skb program.

mod common;

use common::pair::Pair;

/// Slots of `out` (the S_* enum of the C file).
const S_COMMON_END: usize = 42;
const S_AFTER: usize = S_COMMON_END + 4;
/// `skb->sk != 0`: the kernel's test-run skb has a socket, ebee's has none (sk reads NULL).
const S_SK: usize = S_AFTER + 5;

/// `(retval, data_out, ctx_out)` of both, or `None` when both refused the input.
type Outcome = Option<(u32, Vec<u8>, Vec<u8>)>;

fn run_kernel(pair: &Pair, program: &str, data: &[u8], ctx: Option<&[u8]>) -> Outcome {
    let run = ebee_kernel::TestRun {
        data_in: data,
        ctx_in: ctx,
        data_size_out: data.len() + 4096,
        ctx_size_out: ctx.map_or(0, <[u8]>::len),
        ..Default::default()
    };
    let r = pair.kernel.test_run(program, &run).ok()?;
    Some((r.retval, r.data_out, r.ctx_out))
}

fn run_ebee(pair: &Pair, program: &str, data: &[u8], ctx: Option<&[u8]>) -> Outcome {
    let prog = pair.ebee.program(program).expect("ebee program");
    let run = ebee::TestRun {
        data_in: data,
        ctx_in: ctx,
        repeat: 1,
        cpu: 0,
    };
    let r = prog.test_run(&run).ok()?;
    let ctx_out = if ctx.is_some() { r.ctx_out } else { Vec::new() };
    Some((r.retval, r.data_out, ctx_out))
}

/// `out` of ebee (`kernel` false) or the kernel, as u64 slots.
fn slots(pair: &Pair, kernel: bool) -> Vec<u64> {
    let entries = if kernel {
        pair.kernel_entries("out")
    } else {
        pair.ebee_entries("out")
    };
    entries
        .iter()
        .map(|(_, v)| u64::from_ne_bytes(v[..8].try_into().unwrap()))
        .collect()
}

/// Runs `program` in both; asserts the same outcome and the same `out` (but the socket
/// slot, which must read 0 in ebee and 1 in the kernel). Returns whether it ran.
fn compare(pair: &Pair, program: &str, data: &[u8], ctx: Option<&[u8]>) -> bool {
    let what = format!("{program} on {data:02x?} with ctx {ctx:02x?}");
    let theirs = run_kernel(pair, program, data, ctx);
    let ours = run_ebee(pair, program, data, ctx);
    assert_eq!(
        ours, theirs,
        "{what}: (retval, data_out, ctx_out), ebee vs kernel"
    );
    if ours.is_none() {
        return false;
    }
    let (mut ours, mut theirs) = (slots(pair, false), slots(pair, true));
    if program.starts_with("cg_") {
        assert_eq!((ours[S_SK], theirs[S_SK]), (0, 1), "{what}: skb->sk");
        ours[S_SK] = 0;
        theirs[S_SK] = 0;
    }
    let differing: Vec<String> = (0..ours.len())
        .filter(|&i| ours[i] != theirs[i])
        .map(|i| format!("slot {i}: {:#x} vs {:#x}", ours[i], theirs[i]))
        .collect();
    assert!(
        differing.is_empty(),
        "{what}: out, ebee vs kernel:\n{}",
        differing.join("\n")
    );
    true
}

/// An IPv4 or IPv6 frame carrying `protocol` (6 TCP, 17 UDP) of `len` bytes.
fn ip_frame(v6: bool, protocol: u8, len: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
    p[0..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    p[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 2]);
    if v6 {
        p[12..14].copy_from_slice(&[0x86, 0xdd]);
        p[14..18].copy_from_slice(&[0x60, 0x01, 0x23, 0x45]);
        p[20] = protocol;
    } else {
        p[12..14].copy_from_slice(&[0x08, 0x00]);
        p[14] = 0x45;
        p[23] = protocol;
    }
    p
}

fn packets() -> Vec<Vec<u8>> {
    let mut arp = ip_frame(false, 6, 42);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    let mut vlan = ip_frame(false, 6, 70);
    vlan[12..18].copy_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
    let mut multicast = ip_frame(true, 17, 80);
    multicast[0..6].copy_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
    vec![
        ip_frame(false, 6, 74),
        ip_frame(false, 17, 60),
        ip_frame(true, 6, 94),
        multicast,
        arp,
        vlan,
        ip_frame(false, 6, 30), // too short for its IPv4 header: refused
    ]
}

/// `struct __sk_buff` with the fields a test run takes.
fn contexts() -> Vec<Option<Vec<u8>>> {
    let mut full = vec![0u8; 192];
    let mut put = |at: usize, v: &[u8]| full[at..at + v.len()].copy_from_slice(v);
    put(8, &0x8765_4321u32.to_ne_bytes()); // mark
    put(32, &0x0102_0304u32.to_ne_bytes()); // priority
    put(36, &7u32.to_ne_bytes()); // ingress_ifindex
    put(48, &(0xa0..0xb4).collect::<Vec<u8>>()); // cb
    put(152, &0x1122_3344_5566_7788u64.to_ne_bytes()); // tstamp
    put(164, &3u32.to_ne_bytes()); // gso_segs
    put(176, &1400u32.to_ne_bytes()); // gso_size
    put(184, &0x0102_0304_0506_0708u64.to_ne_bytes()); // hwtstamp
    let mut family = vec![0u8; 192];
    family[88] = 2; // family may not be set
    vec![None, Some(vec![0; 192]), Some(full), Some(family)]
}

fn set_writes(pair: &Pair, values: [u64; 7]) {
    for (slot, v) in values.iter().enumerate() {
        pair.update("wr", &(slot as u32).to_ne_bytes(), &v.to_ne_bytes(), 0)
            .expect("wr");
    }
}

#[test]
fn cgroup_skb_fields() {
    let Some(pair) = Pair::load("program_types_skb") else {
        return;
    };
    let writes = [
        [0xdead_beef, 7, 0x1234_5678, 0x1122_3344_5566_7788, 99, 1, 0],
        [1, 0xffff_ffff, 0, u64::MAX, 0, 2, 0],
        [0, 0, 1, 2, 1 << 40, 3, 0],
    ];
    let mut ran = 0;
    for (i, packet) in packets().iter().enumerate() {
        for ctx in contexts() {
            set_writes(&pair, writes[i % writes.len()]);
            for program in ["cg_ingress", "cg_egress"] {
                ran += compare(&pair, program, packet, ctx.as_deref()) as usize;
            }
        }
    }
    // Refused by both: the short IPv4 frame, and a context setting `family`.
    assert_eq!(ran, 2 * (packets().len() - 1) * (contexts().len() - 1));
}

#[test]
fn sk_skb_sees_the_skb_of_the_test_run() {
    let Some(pair) = Pair::load("program_types_skb") else {
        return;
    };
    set_writes(&pair, [0, 0x55, 0, 0, 0, 1, 0x1_2345]);
    for packet in &packets()[..6] {
        for ctx in contexts().into_iter().take(3) {
            // The kernel's view of the skb, through a cgroup_skb program.
            assert!(compare(&pair, "cg_ingress", packet, ctx.as_deref()));
            let kernel = slots(&pair, true);
            for program in ["sk_parser", "sk_verdict"] {
                let (retval, data_out, _) = run_ebee(&pair, program, packet, ctx.as_deref())
                    .unwrap_or_else(|| panic!("ebee runs {program}"));
                let ours = slots(&pair, false);
                assert_eq!(&ours[..S_COMMON_END], &kernel[..S_COMMON_END], "{program}");
                // tc_index is a u16 in the kernel; priority is written whole.
                assert_eq!(
                    (ours[S_AFTER], ours[S_AFTER + 1]),
                    (0x2345, 0x55),
                    "{program}"
                );
                let expected = if program == "sk_parser" {
                    packet.len() as u32 - 14
                } else {
                    1
                };
                assert_eq!(retval, expected, "{program}");
                assert_eq!(
                    data_out.len(),
                    packet.len(),
                    "{program}: the packet comes back"
                );
            }
        }
    }
}

#[test]
fn flow_dissector_keys() {
    let Some(pair) = Pair::load("program_types_skb") else {
        return;
    };
    let flags = |f: u32| {
        let mut keys = vec![0u8; 56];
        keys[48..52].copy_from_slice(&f.to_ne_bytes());
        keys
    };
    let mut nhoff = vec![0u8; 56];
    nhoff[0] = 14;
    let contexts = [
        None,
        Some(vec![0; 56]),
        Some(flags(4)),
        Some(flags(7)),
        Some(nhoff),
    ];
    let mut ran = 0;
    let mut short = ip_frame(false, 6, 40);
    short.truncate(20);
    let mut frames = packets();
    frames.extend([short, vec![0u8; 10]]);
    for packet in &frames {
        for ctx in &contexts {
            ran += compare(&pair, "dissect", packet, ctx.as_deref()) as usize;
        }
    }
    // Refused by both: the context setting nhoff, and the packet shorter than Ethernet.
    assert_eq!(ran, (frames.len() - 1) * (contexts.len() - 1));
}
