//! The packet helpers (`tests/bpf/packet_xdp.bpf.c`, `packet_skb.bpf.c`) in ebee and in the
//! Linux kernel on the same packets and contexts: return values, packets out and contexts out
//! must be equal byte for byte, and so must the outcome of inputs the test run refuses.
//! `packet_skb_change.bpf.c` and `packet_identity.bpf.c` cover the helpers that change the
//! skb's length and headers and those that ask about sockets, cgroups and routes;
//! `packet_skb_room.bpf.c` adjust_room, csum_update, tunnel keys, redirect_neigh/peer and,
//! in a namespace configured with `ip` and the equal `ebee::NetworkEnvironment`,
//! fib_lookup; `packet_sockets.bpf.c` the socket lookups against sockets the test opens
//! in a namespace of its own.
//! Edge cases: adjusting the head into the `xdp_frame` area, the tail past the frame or
//! below an Ethernet header, metadata bounds, loads and stores out of range, checksum
//! replacement on real IPv4/TCP and UDP headers, and repeated runs that keep the changes.

mod common;

use common::pair::Pair;

#[path = "packet_helpers/identity.rs"]
mod identity;
#[path = "packet_helpers/network.rs"]
mod network;
#[path = "packet_helpers/skb.rs"]
mod skb;
#[path = "packet_helpers/skb_change.rs"]
mod skb_change;
#[path = "packet_helpers/skb_room.rs"]
mod skb_room;
#[path = "packet_helpers/sockets.rs"]
mod sockets;
#[path = "packet_helpers/xdp.rs"]
mod xdp;

/// `struct params` of `tests/bpf/packet_params.h`.
#[derive(Clone, Copy, Debug, Default)]
struct Params {
    delta: i32,
    delta2: i32,
    offset: u32,
    offset2: u32,
    flags: u64,
    from: u64,
    to: u64,
    ifindex: u32,
    len: u32,
}

impl Params {
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(48);
        b.extend(self.delta.to_ne_bytes());
        b.extend(self.delta2.to_ne_bytes());
        b.extend(self.offset.to_ne_bytes());
        b.extend(self.offset2.to_ne_bytes());
        b.extend(self.flags.to_ne_bytes());
        b.extend(self.from.to_ne_bytes());
        b.extend(self.to.to_ne_bytes());
        b.extend(self.ifindex.to_ne_bytes());
        b.extend(self.len.to_ne_bytes());
        b
    }
}

fn delta(delta: i32) -> Params {
    Params {
        delta,
        ..Default::default()
    }
}

/// What a run gave: `(retval, data_out, ctx_out)`, or that the test run refused the input.
type Outcome = Option<(u32, Vec<u8>, Vec<u8>)>;

/// Runs `program` with `params` on both sides and asserts the same outcome.
fn run(
    pair: &Pair,
    program: &str,
    params: Params,
    data: &[u8],
    ctx: &[u8],
    repeat: u32,
) -> Outcome {
    pair.update("params", &0u32.to_ne_bytes(), &params.bytes(), 0)
        .expect("params");
    let prog = pair
        .ebee
        .program(program)
        .unwrap_or_else(|| panic!("no program {program}"));
    let ours = prog
        .test_run(&ebee::TestRun {
            data_in: data,
            ctx_in: Some(ctx),
            repeat,
            cpu: 0,
        })
        .map(|r| (r.retval, r.data_out, r.ctx_out));
    let kernel_run = ebee_kernel::TestRun {
        data_in: data,
        ctx_in: Some(ctx),
        repeat,
        // Room for what the helpers may grow the packet to (BPF_SKB_MAX_LEN and more).
        data_size_out: data.len() + 65536,
        ctx_size_out: ctx.len(),
        ..Default::default()
    };
    let theirs = pair
        .kernel
        .test_run(program, &kernel_run)
        .map(|r| (r.retval, r.data_out, r.ctx_out));
    let what = format!(
        "{program} {params:?} on {} bytes (repeat {repeat})",
        data.len()
    );
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(
                ours.0 as i32, theirs.0 as i32,
                "{what}: retval, ebee vs kernel"
            );
            assert_same(&ours.1, &theirs.1, &format!("{what}: data_out"));
            assert_same(&ours.2, &theirs.2, &format!("{what}: ctx_out"));
            Some(ours)
        }
        (Err(_), Err(_)) => None,
        (ours, theirs) => panic!("{what}: ebee {ours:02x?}, kernel {theirs:02x?}"),
    }
}

/// Asserts equal bytes, naming the first difference.
fn assert_same(ours: &[u8], theirs: &[u8], what: &str) {
    if ours != theirs {
        let at = ours
            .iter()
            .zip(theirs)
            .position(|(a, b)| a != b)
            .unwrap_or(ours.len().min(theirs.len()));
        let window = |b: &[u8]| b[at.saturating_sub(4)..(at + 12).min(b.len())].to_vec();
        panic!(
            "{what}, ebee vs kernel: {} vs {} bytes, first difference at {at}: {:02x?} vs {:02x?}",
            ours.len(),
            theirs.len(),
            window(ours),
            window(theirs)
        );
    }
}

/// `struct xdp_md` for a packet of `len` bytes whose first `meta` are metadata.
fn xdp_md(meta: usize, len: usize) -> Vec<u8> {
    let mut ctx = vec![0u8; 24];
    ctx[0..4].copy_from_slice(&(meta as u32).to_ne_bytes());
    ctx[4..8].copy_from_slice(&(len as u32).to_ne_bytes());
    ctx
}

/// The one's-complement checksum of `data` (what goes into a header's checksum field).
fn inet_csum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet + IPv4 + TCP (`proto` 6) or UDP (17) packet of `len` bytes with valid
/// checksums, from 10.0.0.1:4660 to 10.0.0.2:80.
fn ipv4_packet(proto: u8, len: usize, dst_mac: [u8; 6]) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[0..6].copy_from_slice(&dst_mac);
    p[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
    p[12..14].copy_from_slice(&[0x08, 0x00]);
    p[14] = 0x45;
    p[16..18].copy_from_slice(&((len - 14) as u16).to_be_bytes());
    p[22] = 64;
    p[23] = proto;
    p[26..30].copy_from_slice(&[10, 0, 0, 1]);
    p[30..34].copy_from_slice(&[10, 0, 0, 2]);
    p[34..36].copy_from_slice(&4660u16.to_be_bytes());
    p[36..38].copy_from_slice(&80u16.to_be_bytes());
    for (i, b) in p.iter_mut().enumerate().skip(54) {
        *b = i as u8;
    }
    let ip = inet_csum(&p[14..34]);
    p[24..26].copy_from_slice(&ip.to_be_bytes());
    let l4_len = len - 34;
    let csum_at = if proto == 6 { 50 } else { 40 };
    if proto == 6 {
        p[46] = 0x50; // data offset 5
    } else {
        p[38..40].copy_from_slice(&(l4_len as u16).to_be_bytes());
    }
    let mut pseudo = p[26..34].to_vec();
    pseudo.extend([0, proto]);
    pseudo.extend((l4_len as u16).to_be_bytes());
    pseudo.extend(&p[34..]);
    p[csum_at..csum_at + 2].copy_from_slice(&inet_csum(&pseudo).to_be_bytes());
    p
}

/// Whether the IPv4 header and the TCP/UDP checksum of `p` are valid.
fn checksums_valid(p: &[u8]) -> bool {
    let mut pseudo = p[26..34].to_vec();
    pseudo.extend([0, p[23]]);
    pseudo.extend(((p.len() - 34) as u16).to_be_bytes());
    pseudo.extend(&p[34..]);
    inet_csum(&p[14..34]) == 0 && inet_csum(&pseudo) == 0
}

const UNICAST: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
