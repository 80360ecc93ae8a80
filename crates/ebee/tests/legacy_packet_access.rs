//! Legacy packet access (`tests/bpf/legacy_packet_access.bpf.c`: clang's `load_byte`,
//! `load_half`, `load_word`, i.e. BPF_LD|BPF_ABS and BPF_LD|BPF_IND) in socket filters and
//! TC programs, in ebee and in the Linux kernel on the same packets: return values, packets
//! out and contexts out must be equal. Covered: loads inside the packet, at its last bytes
//! and one past (the program exits with 0), offsets counted from `skb->data` (the network
//! header for socket filters, the Ethernet header for TC), the `SKF_NET_OFF` / `SKF_LL_OFF`
//! negative offsets and the ranges around them, register offsets whose upper 32 bits do not
//! count, indirect loads with an `imm` (which clang never emits), and the out-of-range load
//! in a bpf-to-bpf function, which returns 0 from that function only.
//!
//! Every result is also checked against a model of the kernel's `bpf_skb_load_helper_*`
//! ([`expected`]), so that a case where both sides fail the same way cannot pass unnoticed.

mod common;

use common::pair::Pair;
use ebee_abi::skf::{SKF_LL_OFF, SKF_NET_OFF};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `skb->data` is the network header (the test run pulled the Ethernet header).
    Socket,
    /// `skb->data` is the Ethernet header.
    Tc,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Socket => "sock",
            Kind::Tc => "tc",
        }
    }
}

const ETH_HLEN: i64 = 14;

/// The loads of `ABS_LOADS` in the C program, by mode: (size, offset).
const ABS: &[(usize, i32)] = &[
    (1, 0),
    (2, 0),
    (4, 0),
    (1, 13),
    (2, 12),
    (4, 14),
    (1, 49),
    (1, 50),
    (2, 48),
    (2, 49),
    (4, 46),
    (4, 47),
    (1, 63),
    (1, 64),
    (4, 60),
    (4, 61),
    (1, 0x7fff_ffff),
    (4, 0x7fff_fffc),
    (1, -1),
    (2, -2),
    (1, SKF_NET_OFF),
    (2, SKF_NET_OFF + 2),
    (4, SKF_NET_OFF + 12),
    (1, SKF_NET_OFF + 49),
    (1, SKF_NET_OFF + 50),
    (4, SKF_NET_OFF + 46),
    (4, SKF_NET_OFF + 47),
    (1, SKF_NET_OFF - 1),
    (1, SKF_LL_OFF),
    (2, SKF_LL_OFF + 12),
    (4, SKF_LL_OFF + 14),
    (1, SKF_LL_OFF + 63),
    (1, SKF_LL_OFF + 64),
    (4, SKF_LL_OFF + 60),
    (4, SKF_LL_OFF + 61),
    (1, SKF_LL_OFF - 1),
    (4, -0x1000),
    (2, SKF_LL_OFF + 0xffffe),
    (2, SKF_LL_OFF + 0xfffff),
];

/// The loads of `ind_load` in the C program, by mode: (size, imm added to the register).
const IND: &[(usize, i32)] = &[(1, 0), (2, 0), (4, 0), (1, -3), (2, 16), (4, 0x7fff_ffff)];

/// What the kernel's `bpf_skb_load_helper_{8,16,32}` gives on a test-run skb of `frame`
/// for the `int` offset `offset`: the bytes in network byte order, or `None` (the program's
/// function returns 0).
fn expected(kind: Kind, frame: &[u8], size: usize, offset: i32) -> Option<u32> {
    let data = match kind {
        Kind::Socket => ETH_HLEN,
        Kind::Tc => 0,
    };
    let offset = i64::from(offset);
    // From the start of the frame (the MAC header), as bpf_skb_load_helper_convert_offset
    // converts it.
    let start = if offset >= 0 {
        data + offset
    } else if offset >= i64::from(SKF_NET_OFF) {
        offset - i64::from(SKF_NET_OFF) + ETH_HLEN
    } else if offset >= i64::from(SKF_LL_OFF) {
        offset - i64::from(SKF_LL_OFF)
    } else {
        return None;
    };
    let bytes = frame.get(start as usize..start as usize + size)?;
    Some(bytes.iter().fold(0, |v, &b| v << 8 | u32::from(b)))
}

/// Test frames: Ethernet only (a socket filter's packet is empty), a byte more, around the
/// boundaries of the ABS table, and an IPv4 frame. Bytes are a pattern, so every offset
/// reads something different.
fn frames() -> Vec<Vec<u8>> {
    let frame = |len: usize, ethertype: [u8; 2]| {
        let mut f: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        f[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
        f[12..14].copy_from_slice(&ethertype);
        f
    };
    let experimental = [0x88, 0xb5];
    let mut frames: Vec<Vec<u8>> = [14, 15, 50, 63, 64, 65, 100]
        .into_iter()
        .map(|len| frame(len, experimental))
        .collect();
    let mut ipv4 = frame(64, [0x08, 0x00]);
    ipv4[14] = 0x45;
    frames.push(ipv4);
    frames
}

/// Sets `params` (mode, register offset) on both sides.
fn set_params(pair: &Pair, mode: u32, offset: u64) {
    let mut value = Vec::with_capacity(16);
    value.extend(mode.to_ne_bytes());
    value.extend(0u32.to_ne_bytes());
    value.extend(offset.to_ne_bytes());
    pair.update("params", &0u32.to_ne_bytes(), &value, 0)
        .expect("params");
}

/// Runs `program` on `frame` on both sides with a zeroed context, asserts equal return
/// values, packets out and contexts out, and returns `(retval, cb[0], cb[1])`.
fn run(pair: &Pair, program: &str, frame: &[u8], what: &str) -> (u32, u32, u32) {
    let ctx = [0u8; 192];
    let both = pair.run_both(program, frame, Some(&ctx));
    let (ours, theirs) = (&both.ebee, &both.kernel);
    assert_eq!(
        (ours.retval, &ours.data_out, &ours.ctx_out),
        (theirs.retval, &theirs.data_out, &theirs.ctx_out),
        "{program} {what} on {} bytes: (retval, data_out, ctx_out) ebee vs kernel",
        frame.len()
    );
    let cb =
        |i: usize| u32::from_ne_bytes(ours.ctx_out[48 + 4 * i..52 + 4 * i].try_into().unwrap());
    (ours.retval, cb(0), cb(1))
}

/// Asserts a load program's outcome against the model: the value and cb[0] = 1, or 0 and
/// cb[0] = 0 (the load ended the program).
fn check(outcome: (u32, u32, u32), model: Option<u32>, what: &str) {
    let want = match model {
        Some(value) => (value, 1),
        None => (0, 0),
    };
    assert_eq!((outcome.0, outcome.1), want, "{what}: (retval, cb[0])");
}

#[test]
fn constant_offsets() {
    let Some(pair) = Pair::load("legacy_packet_access") else {
        return;
    };
    let (mut inside, mut outside) = (0, 0);
    for (mode, &(size, offset)) in ABS.iter().enumerate() {
        set_params(&pair, mode as u32, 0);
        for frame in frames() {
            for kind in [Kind::Socket, Kind::Tc] {
                let program = format!("{}_abs", kind.prefix());
                let what = format!("mode {mode}: {size} bytes at {offset:#x}");
                let model = expected(kind, &frame, size, offset);
                check(run(&pair, &program, &frame, &what), model, &what);
                if model.is_some() {
                    inside += 1;
                } else {
                    outside += 1;
                }
            }
        }
    }
    assert!(
        inside > 150 && outside > 150,
        "{inside} inside, {outside} outside"
    );
}

/// Register offsets: all 64 bits of the register are set, the kernel takes the low 32 of
/// `src + imm` as an `int`.
#[test]
fn register_offsets() {
    let Some(pair) = Pair::load("legacy_packet_access") else {
        return;
    };
    let mut offsets: Vec<u64> = (-4i64..=70).map(|o| o as u64).collect();
    for base in [SKF_NET_OFF, SKF_LL_OFF] {
        offsets.extend(
            (-3i64..=66)
                .step_by(3)
                .map(|k| (i64::from(base) + k) as u64),
        );
    }
    offsets.extend((0..=66).step_by(6).map(|k| 0x8000_0000 + k));
    offsets.extend([
        0x7fff_ffff,
        0xffff_ffff,
        0x1_0000_0005,
        0xffff_ffff_0000_0003,
        u64::MAX - 5,
        (i64::from(SKF_LL_OFF) - 1) as u64,
        (i64::from(SKF_NET_OFF) - 1) as u64,
        u64::from(SKF_NET_OFF as u32) + 20, // SKF_NET_OFF + 20 without the sign extension
    ]);
    let frames = frames();
    let (mut inside, mut outside) = (0, 0);
    for (mode, &(size, imm)) in IND.iter().enumerate() {
        for &offset in &offsets {
            set_params(&pair, mode as u32, offset);
            let int_offset = offset.wrapping_add(imm as i64 as u64) as u32 as i32;
            for frame in &frames {
                for kind in [Kind::Socket, Kind::Tc] {
                    let program = format!("{}_ind", kind.prefix());
                    let what = format!("mode {mode}: {size} bytes at {offset:#x} + {imm:#x}");
                    let model = expected(kind, frame, size, int_offset);
                    check(run(&pair, &program, frame, &what), model, &what);
                    if model.is_some() {
                        inside += 1;
                    } else {
                        outside += 1;
                    }
                }
            }
        }
    }
    assert!(
        inside > 1000 && outside > 1000,
        "{inside} inside, {outside} outside"
    );
}

/// In a bpf-to-bpf function (the kernel allows it with BTF, for functions returning int),
/// the out-of-range load returns 0 from that function; the caller goes on.
#[test]
fn out_of_range_in_a_function_returns_from_it() {
    let Some(pair) = Pair::load("legacy_packet_access") else {
        return;
    };
    let frames = frames();
    for offset in [
        0u64,
        12,
        48,
        49,
        62,
        63,
        98,
        99,
        (i64::from(SKF_LL_OFF) + 12) as u64,
    ] {
        set_params(&pair, 0, offset);
        for frame in &frames {
            for kind in [Kind::Socket, Kind::Tc] {
                let program = format!("{}_sub", kind.prefix());
                let what = format!("2 bytes at {offset:#x}");
                let (retval, cb0, cb1) = run(&pair, &program, frame, &what);
                let want = match expected(kind, frame, 2, offset as u32 as i32) {
                    Some(value) => (value + 1 + 0x1000, 1, 1),
                    None => (0x1000, 0, 1),
                };
                assert_eq!((retval, cb0, cb1), want, "{program} {what}");
            }
        }
    }
}

/// Only program types with an skb may use them: XDP is refused at load, by ebee naming the
/// instruction, and by the kernel.
#[test]
fn xdp_programs_are_refused() {
    let elf = std::fs::read(common::compile_with(
        "legacy_packet_access",
        &["XDP_LEGACY=1"],
    ))
    .unwrap();
    let err = match ebee::Engine::new().load(&elf) {
        Ok(_) => panic!("ebee loads an XDP program with a legacy packet load"),
        Err(err) => err,
    };
    let message = err.to_string();
    assert!(
        matches!(err, ebee::Error::LegacyPacketAccessNotAllowed { .. }),
        "{message}"
    );
    assert!(
        message.starts_with("program xdp_legacy, instruction 1: ldabsb (a legacy packet load")
            && message.contains("not allowed in xdp programs"),
        "{message}"
    );
    assert!(message.contains("legacy_packet_access.bpf.c"), "{message}");
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping the kernel half: {reason}");
        return;
    }
    let kernel = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap_err();
    assert!(
        kernel
            .to_string()
            .contains("BPF_LD_[ABS|IND] instructions not allowed for this program type"),
        "{kernel}"
    );
}
