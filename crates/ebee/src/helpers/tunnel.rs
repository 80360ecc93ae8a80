//! Tunnel metadata helpers (TC): `skb_get_tunnel_key` (20) and `skb_set_tunnel_key` (21),
//! with the flag, family and size rules of `net/core/filter.c` (Linux 6.18), compared with
//! the kernel by `tests/packet_helpers/network.rs`.
//!
//! The metadata is the skb's `struct ip_tunnel_info` ([`TunnelInfo`], kept in
//! [`crate::packet::SkbMeta`] so that it carries over between the repeats of a test run, as
//! the kernel's skb keeps its dst). A kernel test run's skb has none, so `get` fails with
//! `-EINVAL`; in ebee the host may give every packet receive-side metadata
//! ([`crate::network::TunnelKey`] in the network environment), as a `collect_md` tunnel
//! device attaches it. `set` replaces it with transmit-side metadata, which a later `get`
//! reads back as the kernel does: the addresses as stored (`remote` is the outer
//! destination on transmit, and `get` reports the outer source as remote, so a set then get
//! swaps `remote` and `local`), the flags the set flags imply.

use super::probe::neg;
use super::HelperDef;
use crate::network::TunnelKey;
use crate::packet::PacketPlace;
use crate::program_type::PacketContext;
use ebee_abi::errno::{EINVAL, EPROTO};
use ebee_vm::{HelperEnv, HelperError};
use std::net::IpAddr;

/// `sizeof(struct bpf_tunnel_key)` and the older layouts both helpers accept:
/// `offsetof` `local_ipv6`, `tunnel_label`, `tunnel_ext`, `remote_ipv6[1]`.
const KEY_SIZE: u32 = 44;
const COMPAT_SIZES: [u32; 4] = [28, 24, 22, 8];

/// `BPF_F_TUNINFO_IPV6`, `BPF_F_TUNINFO_FLAGS` (get), `BPF_F_ZERO_CSUM_TX`,
/// `BPF_F_DONT_FRAGMENT`, `BPF_F_SEQ_NUMBER`, `BPF_F_NO_TUNNEL_KEY` (set).
const TUNINFO_IPV6: u64 = 1 << 0;
const TUNINFO_FLAGS: u64 = 1 << 4;
const ZERO_CSUM_TX: u64 = 1 << 1;
const DONT_FRAGMENT: u64 = 1 << 2;
const SEQ_NUMBER: u64 = 1 << 3;
const NO_TUNNEL_KEY: u64 = 1 << 4;

/// `IP_TUNNEL_*_BIT` of the tunnel flags that `set` sets, as the 16-bit flags word
/// `BPF_F_TUNINFO_FLAGS` reports (`TUNNEL_CSUM`, `TUNNEL_KEY`, `TUNNEL_SEQ`,
/// `TUNNEL_DONT_FRAGMENT`, `TUNNEL_NOCACHE`).
const TUNNEL_CSUM: u16 = 1 << 0;
const TUNNEL_KEY: u16 = 1 << 2;
const TUNNEL_SEQ: u16 = 1 << 3;
const TUNNEL_DONT_FRAGMENT: u16 = 1 << 8;
const TUNNEL_NOCACHE: u16 = 1 << 13;

/// `IPV6_FLOWLABEL_MASK` (host order).
const FLOWLABEL_MASK: u32 = 0x000f_ffff;

/// An skb's `struct ip_tunnel_info`: the key's addresses as stored (IPv4 in the first four
/// bytes, network order), id, TOS, TTL, flow label (host order) and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TunnelInfo {
    /// `IP_TUNNEL_INFO_IPV6`.
    pub ipv6: bool,
    /// `key.tun_id`.
    pub id: u64,
    /// `key.u.ipv{4,6}.src`.
    pub src: [u8; 16],
    /// `key.u.ipv{4,6}.dst`.
    pub dst: [u8; 16],
    /// `key.tos`, `key.ttl`.
    pub tos: u8,
    pub ttl: u8,
    /// `key.label`.
    pub label: u32,
    /// `key.tun_flags` (the bits below 16).
    pub flags: u16,
}

fn address_bytes(ip: IpAddr) -> [u8; 16] {
    let mut b = [0; 16];
    match ip {
        IpAddr::V4(v4) => b[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => b = v6.octets(),
    }
    b
}

impl TunnelInfo {
    /// The receive-side metadata of a packet from the host's tunnel: the outer source is
    /// the remote end.
    pub(crate) fn received(key: &TunnelKey) -> TunnelInfo {
        TunnelInfo {
            ipv6: key.remote.is_ipv6(),
            id: key.id,
            src: address_bytes(key.remote),
            dst: address_bytes(key.local),
            tos: key.tos,
            ttl: key.ttl,
            label: if key.remote.is_ipv6() {
                key.label & FLOWLABEL_MASK
            } else {
                0
            },
            flags: key.flags,
        }
    }
}

/// The skb of the running TC program.
fn skb(env: &HelperEnv<'_, '_>, helper: &str) -> Result<PacketPlace, HelperError> {
    let place = PacketPlace::of(env, helper)?;
    if !matches!(place.spec.packet, PacketContext::Skb { .. }) {
        return Err(format!("bpf_{helper} needs an __sk_buff context").into());
    }
    Ok(place)
}

/// `struct bpf_tunnel_key` as `get` fills it from `info`.
fn key_bytes(info: &TunnelInfo, flags: u64) -> [u8; KEY_SIZE as usize] {
    let mut key = [0u8; KEY_SIZE as usize];
    key[0..4].copy_from_slice(&(info.id as u32).to_ne_bytes());
    key[20] = info.tos;
    key[21] = info.ttl;
    if flags & TUNINFO_FLAGS != 0 {
        key[22..24].copy_from_slice(&info.flags.to_be_bytes());
    }
    if info.ipv6 {
        key[4..20].copy_from_slice(&info.src);
        key[24..28].copy_from_slice(&info.label.to_ne_bytes());
        key[28..44].copy_from_slice(&info.dst);
    } else {
        // be32_to_cpu: the address as a host-order number.
        let host = |b: &[u8; 16]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]).to_ne_bytes();
        key[4..8].copy_from_slice(&host(&info.src));
        key[28..32].copy_from_slice(&host(&info.dst));
    }
    key
}

/// `bpf_skb_get_tunnel_key(skb, to, size, flags)`: 0 and `to` filled; `-EINVAL` (and `to`
/// zeroed) without metadata, for unknown flags or a size that is no layout (the shortest,
/// 8 bytes, only for IPv4), `-EPROTO` when `BPF_F_TUNINFO_IPV6` does not match the
/// metadata's family.
fn skb_get_tunnel_key(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let place = skb(env, "skb_get_tunnel_key")?;
    let (to, size, flags) = (a[1], a[2] as u32, a[3]);
    let result = match place.skb.tunnel {
        None => Err(EINVAL),
        Some(_) if flags & !(TUNINFO_IPV6 | TUNINFO_FLAGS) != 0 => Err(EINVAL),
        Some(info) if info.ipv6 != (flags & TUNINFO_IPV6 != 0) => Err(EPROTO),
        Some(info) if size == KEY_SIZE || COMPAT_SIZES[..3].contains(&size) => Ok(info),
        Some(info) if size == COMPAT_SIZES[3] && !info.ipv6 => Ok(info),
        Some(_) => Err(EINVAL),
    };
    match result {
        Ok(info) => {
            env.write(to, &key_bytes(&info, flags)[..size as usize])?;
            Ok(0)
        }
        Err(errno) => {
            env.write(to, &vec![0; size as usize])?;
            Ok(neg(errno))
        }
    }
}

/// `bpf_skb_set_tunnel_key(skb, from, size, flags)`: the skb gets transmit metadata from
/// `from` (older layouts padded with zeros). `-EINVAL` for unknown flags, a size that is no
/// layout, a flow label without `BPF_F_TUNINFO_IPV6`, or a non-zero `tunnel_ext`.
fn skb_set_tunnel_key(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let place = skb(env, "skb_set_tunnel_key")?;
    let (from, size, flags) = (a[1], a[2] as u32, a[3]);
    let allowed = TUNINFO_IPV6 | ZERO_CSUM_TX | DONT_FRAGMENT | SEQ_NUMBER | NO_TUNNEL_KEY;
    if flags & !allowed != 0 || !(size == KEY_SIZE || COMPAT_SIZES.contains(&size)) {
        return Ok(neg(EINVAL));
    }
    let mut key = [0u8; KEY_SIZE as usize];
    key[..size as usize].copy_from_slice(&env.read(from, size as usize)?);
    let u32_at = |at: usize| u32::from_ne_bytes(key[at..at + 4].try_into().expect("4 bytes"));
    let ipv6 = flags & TUNINFO_IPV6 != 0;
    let (label, ext) = (u32_at(24), u16::from_ne_bytes([key[22], key[23]]));
    if (!ipv6 && label != 0) || ext != 0 {
        return Ok(neg(EINVAL));
    }
    let mut tun_flags = TUNNEL_NOCACHE;
    for (set, bit) in [
        (flags & DONT_FRAGMENT != 0, TUNNEL_DONT_FRAGMENT),
        (flags & ZERO_CSUM_TX == 0, TUNNEL_CSUM),
        (flags & SEQ_NUMBER != 0, TUNNEL_SEQ),
        (flags & NO_TUNNEL_KEY == 0, TUNNEL_KEY),
    ] {
        if set {
            tun_flags |= bit;
        }
    }
    let mut info = TunnelInfo {
        ipv6,
        id: u64::from(u32_at(0)),
        src: [0; 16],
        dst: [0; 16],
        tos: key[20],
        ttl: key[21],
        label: 0,
        flags: tun_flags,
    };
    if ipv6 {
        info.dst.copy_from_slice(&key[4..20]);
        info.src.copy_from_slice(&key[28..44]);
        info.label = label & FLOWLABEL_MASK;
    } else {
        // cpu_to_be32: the host-order numbers as addresses.
        info.dst[..4].copy_from_slice(&u32_at(4).to_be_bytes());
        info.src[..4].copy_from_slice(&u32_at(28).to_be_bytes());
    }
    let mut meta = place.skb;
    meta.tunnel = Some(info);
    PacketPlace::set_skb(env, meta);
    Ok(0)
}

pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(20, skb_get_tunnel_key),
    HelperDef::new(21, skb_set_tunnel_key),
];
