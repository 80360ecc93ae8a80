//! Helpers that ask who and where a packet is, answered as the kernel answers them for a
//! test run in the network namespace the host describes ([`crate::NetworkEnvironment`],
//! by default one with nothing in it but the loopback device: ifindex 1, MTU 65536, down,
//! forwarding off): `get_socket_cookie` (46), `get_cgroup_classid` (17),
//! `skb_cgroup_classid` (151), `skb_cgroup_id` (79), `get_netns_cookie` (122), `check_mtu`
//! (163), `fib_lookup` (69, in `fib.rs`), `sk_lookup_tcp` (84), `sk_lookup_udp` (85),
//! `skc_lookup_tcp` (99) and `sk_release` (86).
//!
//! - The skb test run gives its skb a socket of its own (`sk_alloc` in
//!   `bpf_prog_test_run_skb`), whose cookie the kernel numbers from a global counter on first
//!   use. ebee numbers a cookie per test run from a process-wide counter: not 0, the same for
//!   the whole test run (all its repeats), another for the next. The values differ from the
//!   kernel's; the relations do not.
//! - That socket belongs to the calling thread's cgroup v2: `skb_cgroup_id` is its id (the
//!   inode number of its directory under `/sys/fs/cgroup`, from `/proc/thread-self/cgroup`).
//!   Its net_cls class id, and the caller's (`get_cgroup_classid`), are 0: ebee assumes no
//!   net_cls (cgroup v1) hierarchy classifies the host process.
//! - Network namespace cookies: the kernel numbers namespaces from a global counter; ebee's
//!   programs run in a namespace of their own, cookie [`RUN_NETNS_COOKIE`], and the initial
//!   namespace (what `get_netns_cookie(NULL)` asks about) has [`INIT_NETNS_COOKIE`]. The
//!   values differ from the kernel's, the relations (not 0, the two differ, stable) do not.
//! - Socket lookups answer from the environment's sockets (`network/socket.rs` has the
//!   matching rules), by default none, so NULL whatever the tuple. As in the kernel: a
//!   `tuple_size` other than the IPv4 or IPv6 part's is NULL, so are flags other than 0 and
//!   a `netns` whose low 32 bits are not negative (as `s32`: `BPF_F_CURRENT_NETNS` and any
//!   other value with bit 31 set mean the current namespace): no namespace ids are
//!   assigned, so none names another. Packets arrive on loopback (ifindex 1), which is
//!   what sockets bound to a device are matched against. A found socket is a
//!   `struct bpf_sock` in the UAPI layout, built once per run and socket, granted
//!   read-only: the program's loads read it directly (ebee rewrites no socket accesses).
//!   Looking the same socket up twice gives the same pointer, as the kernel does;
//!   `bpf_sk_release` takes each pointer once per lookup that returned it, anything else is
//!   an error. `skc_lookup_tcp` finds what `sk_lookup_tcp` finds (ebee has no time-wait or
//!   request sockets, which only it would return).
//! - `check_mtu` and `fib_lookup` ask the environment's devices and routes; the packet
//!   arrived on loopback (what ifindex 0 means to `check_mtu`). In the default environment
//!   a lookup on loopback is `BPF_FIB_LKUP_RET_FWD_DISABLED` (forwarding is off in a new
//!   namespace), on any other device `-ENODEV`.

use super::fib;
use super::probe::neg;
use super::HelperDef;
use crate::network::{lookup_socket, Protocol, Tuple, BPF_SOCK_SIZE};
use crate::packet::{PacketPlace, Pointers};
use crate::program_type::PacketContext;
use ebee_abi::errno::{EINVAL, ENODEV};
use ebee_vm::{HelperEnv, HelperError, Region};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// The test run's device (loopback) and the `hard_header_len` of every device (Ethernet).
const LOOPBACK: u32 = 1;
const HARD_HEADER_LEN: i32 = 14;

/// `BPF_MTU_CHK_SEGS` and the `BPF_MTU_CHK_RET_*` results.
const BPF_MTU_CHK_SEGS: u64 = 1;
const BPF_MTU_CHK_RET_SUCCESS: u64 = 0;
const BPF_MTU_CHK_RET_FRAG_NEEDED: u64 = 1;

/// The packet of the running program and its pointers.
fn packet(env: &HelperEnv<'_, '_>, helper: &str) -> Result<(PacketPlace, Pointers), HelperError> {
    let place = PacketPlace::of(env, helper)?;
    Ok((place, place.pointers(env)?))
}

/// ebee's cookie of the initial network namespace and of the one programs run in.
pub const INIT_NETNS_COOKIE: u64 = 1;
/// See [`INIT_NETNS_COOKIE`].
pub const RUN_NETNS_COOKIE: u64 = 2;

/// `bpf_get_netns_cookie(ctx)`: the cookie of the namespace of the context (the packet's,
/// the socket's), or with a NULL context that of the initial namespace. (TC programs may call
/// it since Linux 6.15; the socket types always could.)
fn get_netns_cookie(_: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(if a[0] == 0 {
        INIT_NETNS_COOKIE
    } else {
        RUN_NETNS_COOKIE
    })
}

/// The next socket cookie (the kernel's start at 1 as well).
fn next_cookie() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// `bpf_get_socket_cookie(skb)`: the cookie of the test run's socket (see the module
/// documentation).
fn get_socket_cookie(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    let (place, _) = packet(env, "get_socket_cookie")?;
    if !matches!(place.spec.packet, PacketContext::Skb { .. }) {
        return Err("bpf_get_socket_cookie needs an __sk_buff context here".into());
    }
    let mut meta = place.skb;
    if meta.socket_cookie == 0 {
        meta.socket_cookie = next_cookie();
        PacketPlace::set_skb(env, meta);
    }
    Ok(meta.socket_cookie)
}

/// `bpf_get_cgroup_classid(skb)` and `bpf_skb_cgroup_classid(skb)`: 0 (no net_cls class).
fn cgroup_classid(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    packet(env, "get_cgroup_classid")?;
    Ok(0)
}

/// The id of the calling thread's cgroup v2.
fn thread_cgroup_id() -> Result<u64, String> {
    use std::os::unix::fs::MetadataExt;
    let list = std::fs::read_to_string("/proc/thread-self/cgroup")
        .map_err(|e| format!("/proc/thread-self/cgroup: {e}"))?;
    let path = list
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or("no cgroup v2 in /proc/thread-self/cgroup")?;
    let dir = format!("/sys/fs/cgroup{path}");
    let meta = std::fs::metadata(&dir).map_err(|e| format!("{dir}: {e}"))?;
    Ok(meta.ino())
}

/// `bpf_skb_cgroup_id(skb)`: the cgroup v2 id of the test run's socket, the caller's.
fn skb_cgroup_id(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    packet(env, "skb_cgroup_id")?;
    thread_cgroup_id().map_err(|e| format!("bpf_skb_cgroup_id: {e}").into())
}

/// `bpf_check_mtu(ctx, ifindex, mtu_len, len_diff, flags)` against loopback (ifindex 0 or
/// 1; others `-ENODEV`): whether the packet (`skb->len`, or `*mtu_len` plus the hard header
/// when it is not 0), changed by `len_diff`, fits the MTU plus the hard header; `*mtu_len`
/// becomes the MTU. `-EINVAL` for unknown flags (XDP: any), and for `BPF_MTU_CHK_SEGS` with a
/// `len_diff` or `*mtu_len`, or on a GSO skb that exceeds the MTU (the test run's skb has no
/// transport header).
fn check_mtu(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = packet(env, "check_mtu")?;
    let (ifindex, at, len_diff, flags) = (a[1] as u32, a[2], a[3] as i32, a[4]);
    let skb = match place.spec.packet {
        PacketContext::Skb { .. } => true,
        PacketContext::Xdp => false,
        _ => return Err("bpf_check_mtu needs an XDP or skb context".into()),
    };
    let given = env.read(at, 4)?;
    let given = u32::from_ne_bytes([given[0], given[1], given[2], given[3]]);
    let allowed = if skb { BPF_MTU_CHK_SEGS } else { 0 };
    if flags & !allowed != 0 || (flags & BPF_MTU_CHK_SEGS != 0 && (len_diff != 0 || given != 0)) {
        return Ok(neg(EINVAL));
    }
    let network = super::runtime(env)?.network.clone();
    let ifindex = if ifindex == 0 { LOOPBACK } else { ifindex };
    let Some(dev) = network.interface(ifindex) else {
        return Ok(neg(ENODEV));
    };
    let mtu = dev.mtu as i32;
    let dev_len = mtu.wrapping_add(HARD_HEADER_LEN);
    let len = if given != 0 {
        (given as i32).wrapping_add(HARD_HEADER_LEN)
    } else if skb {
        super::skb::ctx_u32(env, &place, "len")? as i32
    } else {
        p.len() as i32
    };
    let len = len.wrapping_add(len_diff);
    let mut result = BPF_MTU_CHK_RET_SUCCESS;
    if len > dev_len {
        let gso = skb && super::skb::ctx_u32(env, &place, "gso_size")? != 0;
        if gso && flags & BPF_MTU_CHK_SEGS != 0 {
            return Ok(neg(EINVAL));
        }
        if !gso {
            result = BPF_MTU_CHK_RET_FRAG_NEEDED;
        }
    }
    env.write(at, &(mtu as u32).to_ne_bytes())?;
    Ok(result)
}

/// `bpf_fib_lookup(ctx, params, plen, flags)`: answered from the host's network
/// environment by [`super::fib`]; `params` changes as the kernel changes it.
fn fib_lookup(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, _) = packet(env, "fib_lookup")?;
    let (at, plen, flags) = (a[1], a[2] as i32, a[3] as u32);
    let mut params = [0u8; fib::FIB_LOOKUP_SIZE];
    if plen >= fib::FIB_LOOKUP_SIZE as i32 {
        params.copy_from_slice(&env.read(at, fib::FIB_LOOKUP_SIZE)?);
    }
    let skb_len = match place.spec.packet {
        PacketContext::Skb { .. } => Some(u64::from(super::skb::ctx_u32(env, &place, "len")?)),
        _ => None,
    };
    let network = super::runtime(env)?.network.clone();
    let rc = fib::fib_lookup(&network, &mut params, plen, flags, skb_len);
    if plen >= fib::FIB_LOOKUP_SIZE as i32 {
        env.write(at, &params)?;
    }
    Ok(rc)
}

/// A `struct bpf_sock` at an address that stays put while the run lives.
#[repr(C, align(8))]
struct SockBytes([u8; BPF_SOCK_SIZE]);

/// One environment socket a lookup of the run returned.
struct Handed {
    /// Its index in the environment's sockets.
    socket: usize,
    /// Its `struct bpf_sock`, which the program reads.
    bytes: Box<SockBytes>,
    /// Lookups that returned it and were not released yet.
    held: u32,
}

/// The sockets the lookups of one run handed out (part of the run's host state).
#[derive(Default)]
pub(crate) struct SocketHandles(RefCell<Vec<Handed>>);

/// `sizeof` the IPv4 and IPv6 parts of `struct bpf_sock_tuple`.
const TUPLE_V4: u64 = 12;
const TUPLE_V6: u64 = 36;

/// `bpf_sk_lookup_{tcp,udp}(ctx, tuple, tuple_size, netns, flags)` and
/// `bpf_skc_lookup_tcp`, answered from the environment's sockets (see the module
/// documentation).
fn lookup(
    env: &mut HelperEnv<'_, '_>,
    a: [u64; 5],
    protocol: Protocol,
) -> Result<u64, HelperError> {
    packet(env, "sk_lookup")?;
    let (at, size, netns, flags) = (a[1], a[2] as u32, a[3], a[4]);
    if !matches!(u64::from(size), TUPLE_V4 | TUPLE_V6) {
        return Ok(0);
    }
    if flags != 0 || (netns as i32) >= 0 {
        return Ok(0);
    }
    let bytes = env.read(at, size as usize)?;
    let Some(tuple) = Tuple::parse(&bytes) else {
        return Ok(0);
    };
    let network = super::runtime(env)?.network.clone();
    let Some(socket) = lookup_socket(&network.sockets, protocol, &tuple, LOOPBACK) else {
        return Ok(0);
    };
    let handles = &super::maps::run_state(env)?.sockets;
    let mut handed = handles.0.borrow_mut();
    let index = match handed.iter().position(|h| h.socket == socket) {
        Some(index) => index,
        None => {
            handed.push(Handed {
                socket,
                bytes: Box::new(SockBytes(network.sockets[socket].bpf_sock())),
                held: 0,
            });
            handed.len() - 1
        }
    };
    let h = &mut handed[index];
    h.held += 1;
    let start = h.bytes.0.as_ptr() as u64;
    drop(handed);
    env.grant(Region {
        name: "socket",
        start,
        len: BPF_SOCK_SIZE as u64,
        writable: false,
    });
    Ok(start)
}

fn sk_lookup_tcp(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    lookup(env, a, Protocol::Tcp)
}

fn sk_lookup_udp(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    lookup(env, a, Protocol::Udp)
}

/// `bpf_sk_release(sk)`: 0 for a socket a lookup of this run returned and that was not
/// released as often as it was returned; anything else is an error (the verifier refuses
/// such programs; an unverified one stops).
fn sk_release(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let handles = &super::maps::run_state(env)?.sockets;
    let mut handed = handles.0.borrow_mut();
    match handed
        .iter_mut()
        .find(|h| h.bytes.0.as_ptr() as u64 == a[0] && h.held > 0)
    {
        Some(h) => {
            h.held -= 1;
            Ok(0)
        }
        None => Err(format!(
            "bpf_sk_release({:#x}): not a socket a lookup of this run returned (or released already)",
            a[0]
        )
        .into()),
    }
}

pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(17, cgroup_classid),
    HelperDef::new(46, get_socket_cookie),
    HelperDef::new(69, fib_lookup),
    HelperDef::new(79, skb_cgroup_id),
    HelperDef::new(84, sk_lookup_tcp),
    HelperDef::new(85, sk_lookup_udp),
    HelperDef::new(86, sk_release),
    HelperDef::new(99, sk_lookup_tcp),
    HelperDef::new(122, get_netns_cookie),
    HelperDef::new(151, cgroup_classid),
    HelperDef::new(163, check_mtu),
];
