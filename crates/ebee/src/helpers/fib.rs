//! `bpf_fib_lookup` (69) against the host's [`NetworkEnvironment`], as
//! `bpf_ipv4_fib_lookup` / `bpf_ipv6_fib_lookup` of `net/core/filter.c` (Linux 6.18) answer
//! for a namespace configured that way, checked against the kernel in a namespace set up
//! with `ip` by `tests/packet_helpers/network.rs`.
//!
//! In order: a short `params` or unknown flags `-EINVAL`; other families `-EAFNOSUPPORT`;
//! IPv6 link-local, multicast and loopback addresses `NOT_FWDED`; an unknown device
//! `-ENODEV`; forwarding disabled on it `FWD_DISABLED`; then the route (the local table,
//! then the main one, which for IPv4 are one table, there being no policy rules; with
//! `BPF_FIB_LOOKUP_DIRECT` the main table only, or with
//! `BPF_FIB_LOOKUP_TBID` table `tbid`, `NOT_FWDED` when no route names it; with
//! `BPF_FIB_LOOKUP_OUTPUT` only routes out of `ifindex` for IPv4, those first for IPv6):
//! the longest prefix, then the lowest metric, on devices that are up. No route, or a local one, is `NOT_FWDED`;
//! blackhole, unreachable and prohibit routes give their codes. The MTU check (XDP always,
//! skb when `tot_len` is set) gives `FRAG_NEEDED` with `mtu_result`. Then `ifindex`,
//! `rt_metric`, with `BPF_FIB_LOOKUP_SRC` the source (the route's, else an address of the
//! device: IPv4 preferring one in the next hop's prefix, IPv6 the first that is not
//! link-local, `NO_SRC_ADDR` without), the gateway as the destination; with
//! `BPF_FIB_LOOKUP_SKIP_NEIGH` done, else the neighbour entry (`NO_NEIGH` without) gives
//! `dmac`, the device `smac`. Success clears the VLAN fields (and so `tbid`) and sets
//! `mtu_result` when the MTU was checked; an skb lookup without `tot_len` then checks the
//! packet against the device (`is_skb_forwardable`: up, `len` within MTU + Ethernet + VLAN
//! header) and reports the device's MTU.
//!
//! Rules (`BPF_FIB_LOOKUP_MARK`), multipath and lightweight tunnels are not modelled.

use super::probe::neg;
use crate::network::{NetworkEnvironment, Route, RouteKind, RT_TABLE_LOCAL, RT_TABLE_MAIN};
use ebee_abi::errno::{EAFNOSUPPORT, EINVAL, ENODEV};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `sizeof(struct bpf_fib_lookup)`.
pub(crate) const FIB_LOOKUP_SIZE: usize = 64;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

/// `BPF_FIB_LOOKUP_*`.
const DIRECT: u32 = 1 << 0;
const OUTPUT: u32 = 1 << 1;
const SKIP_NEIGH: u32 = 1 << 2;
const TBID: u32 = 1 << 3;
const SRC: u32 = 1 << 4;
/// All six flags (`BPF_FIB_LOOKUP_MARK` is bit 5).
const FLAGS: u32 = 0x3f;

/// `BPF_FIB_LKUP_RET_*`.
const SUCCESS: u64 = 0;
const BLACKHOLE: u64 = 1;
const UNREACHABLE: u64 = 2;
const PROHIBIT: u64 = 3;
const NOT_FWDED: u64 = 4;
const FWD_DISABLED: u64 = 5;
const NO_NEIGH: u64 = 7;
const FRAG_NEEDED: u64 = 8;
const NO_SRC_ADDR: u64 = 9;

/// `ETH_HLEN + VLAN_HLEN`: what `is_skb_forwardable` allows beyond the MTU.
const HEADERS: u64 = 14 + 4;

/// `struct bpf_fib_lookup`, as bytes with accessors at its field offsets.
struct Params<'a>(&'a mut [u8; FIB_LOOKUP_SIZE]);

impl Params<'_> {
    fn u16_at(&self, at: usize) -> u16 {
        u16::from_ne_bytes([self.0[at], self.0[at + 1]])
    }
    fn u32_at(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.0[at..at + 4].try_into().expect("4 bytes"))
    }
    fn set(&mut self, at: usize, bytes: &[u8]) {
        self.0[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn ipv6(&self) -> bool {
        self.0[0] == AF_INET6
    }
    fn tot_len(&self) -> u16 {
        self.u16_at(6)
    }
    fn set_mtu_result(&mut self, mtu: u32) {
        self.set(6, &(mtu as u16).to_ne_bytes());
    }
    fn ifindex(&self) -> u32 {
        self.u32_at(8)
    }
    /// `ipv4_src`/`ipv6_src` (at 16) or `ipv4_dst`/`ipv6_dst` (at 32).
    fn address(&self, at: usize) -> IpAddr {
        if self.ipv6() {
            let b: [u8; 16] = self.0[at..at + 16].try_into().expect("16 bytes");
            IpAddr::V6(Ipv6Addr::from(b))
        } else {
            let b: [u8; 4] = self.0[at..at + 4].try_into().expect("4 bytes");
            IpAddr::V4(Ipv4Addr::from(b))
        }
    }
    fn set_address(&mut self, at: usize, ip: IpAddr) {
        match ip {
            IpAddr::V4(v4) => self.set(at, &v4.octets()),
            IpAddr::V6(v6) => self.set(at, &v6.octets()),
        }
    }
}

/// `rt6_need_strict`: multicast, link-local and loopback IPv6 addresses.
fn need_strict(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => v6.is_multicast() || v6.is_loopback() || v6.segments()[0] >> 6 == 0x3fa,
        IpAddr::V4(_) => false,
    }
}

/// Whether a route of `route_table` is in `table` for a lookup of `dst`: without policy
/// rules IPv4 keeps the local and main tables merged (`fib_unmerge` splits them only when
/// a rule is added), IPv6 keeps them apart.
fn same_table(route_table: u32, table: u32, dst: IpAddr) -> bool {
    let merged = |t| matches!(t, RT_TABLE_MAIN | RT_TABLE_LOCAL);
    route_table == table || (dst.is_ipv4() && merged(route_table) && merged(table))
}

/// The route a lookup of `dst` finds in `table`: the longest prefix, then the lowest
/// metric, on devices that are up. With an output device `oif` (not 0), IPv4 takes only
/// routes out of it (routes without a device always qualify); IPv6 prefers them
/// (`rt6_score_route`) but takes others.
fn lookup_table(
    env: &NetworkEnvironment,
    routes: &[Route],
    table: u32,
    dst: IpAddr,
    oif: u32,
) -> Option<Route> {
    let other_device = |r: &Route| oif != 0 && r.ifindex != oif && r.ifindex != 0;
    routes
        .iter()
        .filter(|r| same_table(r.table, table, dst) && r.matches(dst))
        .filter(|r| match r.kind {
            RouteKind::Unicast | RouteKind::Local => {
                env.interface(r.ifindex).is_some_and(|i| i.up)
                    && !(dst.is_ipv4() && other_device(r))
            }
            _ => true,
        })
        .min_by_key(|r| {
            let preference = dst.is_ipv6() && other_device(r);
            (
                std::cmp::Reverse(r.prefix_len),
                preference,
                r.effective_metric(),
            )
        })
        .cloned()
}

/// The preferred source of a route through `route.ifindex` towards `next_hop`.
fn source_address(env: &NetworkEnvironment, route: &Route, next_hop: IpAddr) -> Option<IpAddr> {
    if route.source.is_some() {
        return route.source;
    }
    let dev = env.interface(route.ifindex)?;
    let candidates = dev
        .addresses
        .iter()
        .filter(|(ip, _)| ip.is_ipv4() == next_hop.is_ipv4());
    match next_hop {
        IpAddr::V4(_) => candidates
            .clone()
            .find(|&&(ip, len)| crate::network::in_prefix(next_hop, ip, len))
            .or_else(|| candidates.clone().next())
            .map(|&(ip, _)| ip),
        IpAddr::V6(_) => candidates
            .filter(|(ip, _)| !need_strict(*ip))
            .map(|&(ip, _)| ip)
            .next(),
    }
}

/// The lookup of `bpf_ipv4_fib_lookup` / `bpf_ipv6_fib_lookup` on `params`.
fn lookup(env: &NetworkEnvironment, p: &mut Params<'_>, flags: u32, check_mtu: bool) -> u64 {
    let (src, dst) = (p.address(16), p.address(32));
    if p.ipv6() && (need_strict(dst) || need_strict(src)) {
        return NOT_FWDED;
    }
    let Some(dev) = env.interface(p.ifindex()) else {
        return neg(ENODEV);
    };
    if !dev.forwarding {
        return FWD_DISABLED;
    }
    let oif = if flags & OUTPUT != 0 { dev.ifindex } else { 0 };
    let routes = env.all_routes();
    let route = if flags & DIRECT != 0 {
        let table = if flags & TBID != 0 {
            let tbid = p.u32_at(48);
            p.set(48, &0u32.to_ne_bytes());
            tbid
        } else {
            RT_TABLE_MAIN
        };
        let exists = matches!(table, RT_TABLE_MAIN | RT_TABLE_LOCAL)
            || routes.iter().any(|r| r.table == table);
        if !exists {
            return NOT_FWDED;
        }
        lookup_table(env, &routes, table, dst, oif)
    } else {
        lookup_table(env, &routes, RT_TABLE_LOCAL, dst, oif)
            .or_else(|| lookup_table(env, &routes, RT_TABLE_MAIN, dst, oif))
    };
    let Some(route) = route else {
        return NOT_FWDED;
    };
    match route.kind {
        RouteKind::Unicast => {}
        RouteKind::Local => return NOT_FWDED,
        RouteKind::Blackhole => return BLACKHOLE,
        RouteKind::Unreachable => return UNREACHABLE,
        RouteKind::Prohibit => return PROHIBIT,
    }
    let Some(out) = env.interface(route.ifindex) else {
        return NOT_FWDED;
    };
    let mut mtu = 0;
    if check_mtu {
        mtu = if route.mtu != 0 { route.mtu } else { out.mtu }.min(0xffff);
        if u32::from(p.tot_len()) > mtu {
            p.set_mtu_result(mtu);
            return FRAG_NEEDED;
        }
    }
    p.set(12, &route.effective_metric().to_ne_bytes());
    p.set(8, &out.ifindex.to_ne_bytes());
    let next_hop = route.gateway.unwrap_or(dst);
    if flags & SRC != 0 {
        match source_address(env, &route, next_hop) {
            Some(ip) => p.set_address(16, ip),
            None if p.ipv6() => return NO_SRC_ADDR,
            None => p.set_address(16, IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        }
    }
    p.set_address(32, next_hop);
    if flags & SKIP_NEIGH == 0 {
        let Some(neighbour) = env.neighbour(out.ifindex, next_hop) else {
            return NO_NEIGH;
        };
        p.set(58, &neighbour.mac);
        p.set(52, &out.mac);
    }
    // bpf_fib_set_fwd_params.
    p.set(48, &[0; 4]);
    if mtu != 0 {
        p.set_mtu_result(mtu);
    }
    SUCCESS
}

/// `bpf_fib_lookup` on the 64 bytes of `params` (changed in place as the kernel changes
/// them) with `plen` and `flags`; `skb_len` is `skb->len` for skb programs, `None` for XDP
/// (which always checks the MTU).
pub(crate) fn fib_lookup(
    env: &NetworkEnvironment,
    params: &mut [u8; FIB_LOOKUP_SIZE],
    plen: i32,
    flags: u32,
    skb_len: Option<u64>,
) -> u64 {
    if plen < FIB_LOOKUP_SIZE as i32 || flags & !FLAGS != 0 {
        return neg(EINVAL);
    }
    let mut p = Params(params);
    let check_mtu = skb_len.is_none() || p.tot_len() != 0;
    let rc = match p.0[0] {
        AF_INET | AF_INET6 => lookup(env, &mut p, flags, check_mtu),
        _ => return neg(EAFNOSUPPORT),
    };
    if let (SUCCESS, false, Some(len)) = (rc, check_mtu, skb_len) {
        let Some(dev) = env.interface(p.ifindex()) else {
            return rc;
        };
        let forwardable = dev.up && len <= u64::from(dev.mtu) + HEADERS;
        p.set_mtu_result(dev.mtu);
        if !forwardable {
            return FRAG_NEEDED;
        }
    }
    rc
}
