//! skb packet helpers (the skb types; `skb_load_bytes` also for the flow dissector), with the semantics of `net/core/filter.c` on
//! the linear skb `bpf_prog_test_run_skb` builds: `skb_load_bytes` (26) and
//! `skb_load_bytes_relative` (68) for both; `skb_store_bytes` (9), `l3_csum_replace` (10),
//! `l4_csum_replace` (11), `get_hash_recalc` (34), `skb_pull_data` (39), `skb_change_type`
//! (32), `set_hash_invalid` (41), `set_hash` (48), `skb_ecn_set_ce` (97) and `csum_level`
//! (135) for TC (some also for other skb types, as their specs list). What the kernel keeps
//! in the skb beyond `__sk_buff` (header positions, checksum level, whether the hash is set)
//! is [`crate::packet::SkbMeta`].
//! `redirect` (23) lives with the XDP helpers and calls [`tc_redirect_verdict`] here;
//! `redirect_neigh` (152) and `redirect_peer` (155) are TC's own.
//! [`legacy_packet_load`] is the VM's hook for the legacy packet loads (`ldabs*`, `ldind*`),
//! the kernel's `bpf_skb_load_helper_*`.
//!
//! Offsets are relative to `skb->data`: the Ethernet header for TC, the network header for
//! socket filters (the test run has pulled the Ethernet header). A test-run skb is linear,
//! never cloned, and its `ip_summed` is `CHECKSUM_NONE`, so "make writable" only checks that
//! the range lies within `skb->len`, and `BPF_F_RECOMPUTE_CSUM` has no `skb->csum` to update.
//!
//! Deviation: the kernel's flow hash (`get_hash_recalc`) is seeded with a random boot-time
//! key (`hashrnd`), so no implementation can reproduce its values. ebee hashes the same flow
//! fields (addresses, ports, protocols, ordered so both directions agree) with `jhash2` and
//! seed 0: deterministic, never 0, but not the kernel's number. See [`flow_hash`].

mod flow_hash;

use super::checksum::{self, IpSummed, SkbCsum, L3_CSUM_REPLACE_FLAGS, L4_CSUM_REPLACE_FLAGS};
use super::probe::neg;
use super::HelperDef;
use crate::packet::{PacketPlace, Pointers, Redirect};
use crate::program_type::PacketContext;
use ebee_vm::{HelperEnv, HelperError, LegacyPacketLoad};
use std::net::IpAddr;

use ebee_abi::flags::{
    BPF_F_INGRESS, BPF_F_INVALIDATE_HASH, BPF_F_RECOMPUTE_CSUM, BPF_HDR_START_MAC,
    BPF_HDR_START_NET,
};
use ebee_abi::skf::{SKF_LL_OFF, SKF_NET_OFF};

/// `TC_ACT_SHOT` as r0.
const TC_ACT_SHOT: u64 = ebee_abi::tc_act::TC_ACT_SHOT as u64;
/// `TC_ACT_REDIRECT` as r0.
const TC_ACT_REDIRECT: u64 = ebee_abi::tc_act::TC_ACT_REDIRECT as u64;

/// Address of the `hash` field of the running program's context (the host context keeps
/// scalar fields at their UAPI offsets).
fn hash_field(place: &PacketPlace) -> u64 {
    place.ctx + place.spec.offset_of("hash") as u64
}

/// The skb of the running program and its pointers.
fn skb(env: &HelperEnv<'_, '_>, helper: &str) -> Result<(PacketPlace, Pointers), HelperError> {
    let place = PacketPlace::of(env, helper)?;
    if !matches!(place.spec.packet, PacketContext::Skb { .. }) {
        return Err(format!("bpf_{helper} needs an __sk_buff context").into());
    }
    Ok((place, place.pointers(env)?))
}

/// The `u32` context field `name` of the running skb.
pub(crate) fn ctx_u32(
    env: &HelperEnv<'_, '_>,
    place: &PacketPlace,
    name: &str,
) -> Result<u32, HelperError> {
    let b = env.read(place.ctx + place.spec.offset_of(name) as u64, 4)?;
    Ok(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// Stores `value` in the `u32` context field `name` of the running skb.
pub(crate) fn set_ctx_u32(
    env: &mut HelperEnv<'_, '_>,
    place: &PacketPlace,
    name: &str,
    value: u32,
) -> Result<(), HelperError> {
    env.write(
        place.ctx + place.spec.offset_of(name) as u64,
        &value.to_ne_bytes(),
    )
}

/// `skb_clear_hash`: `skb->hash` 0 and not set.
fn clear_hash(env: &mut HelperEnv<'_, '_>, place: &PacketPlace) -> Result<(), HelperError> {
    env.write(hash_field(place), &0u32.to_ne_bytes())?;
    let mut meta = place.skb;
    meta.hash_set = false;
    PacketPlace::set_skb(env, meta);
    Ok(())
}

/// `__skb_set_sw_hash`: `skb->hash` is `hash`, and set.
fn set_hash_to(
    env: &mut HelperEnv<'_, '_>,
    place: &PacketPlace,
    hash: u32,
) -> Result<(), HelperError> {
    env.write(hash_field(place), &hash.to_ne_bytes())?;
    let mut meta = place.skb;
    meta.hash_set = true;
    PacketPlace::set_skb(env, meta);
    Ok(())
}

/// `bpf_redirect`'s TC half: `Ok(TC_ACT_REDIRECT)`, or `Err(TC_ACT_SHOT)` for flags other
/// than `BPF_F_INGRESS`.
pub(crate) fn tc_redirect_verdict(flags: u64) -> Result<u64, u64> {
    if flags & !BPF_F_INGRESS != 0 {
        Err(TC_ACT_SHOT)
    } else {
        Ok(TC_ACT_REDIRECT)
    }
}

/// `sizeof(struct bpf_redir_neigh)`, `AF_INET`, `AF_INET6`.
const REDIR_NEIGH_SIZE: u64 = 20;
const AF_INET: u32 = 2;
const AF_INET6: u32 = 10;

/// `bpf_redirect_neigh(ifindex, params, plen, flags)`: `TC_ACT_SHOT` for flags or a
/// `plen` that is neither 0 nor at least `struct bpf_redir_neigh`, else `TC_ACT_REDIRECT`,
/// the target (and the next hop `params` gives) recorded for the run's result.
fn redirect_neigh(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    skb(env, "redirect_neigh")?;
    let (ifindex, params, plen, flags) = (a[0] as u32, a[1], u64::from(a[2] as u32), a[3]);
    if (plen != 0 && plen < REDIR_NEIGH_SIZE) || flags != 0 {
        return Ok(TC_ACT_SHOT);
    }
    let mut nexthop = None;
    if plen != 0 {
        let nh = env.read(params, REDIR_NEIGH_SIZE as usize)?;
        let family = u32::from_ne_bytes([nh[0], nh[1], nh[2], nh[3]]);
        let address: [u8; 16] = nh[4..20].try_into().expect("16 bytes");
        nexthop = match family {
            AF_INET => Some(IpAddr::from([
                address[0], address[1], address[2], address[3],
            ])),
            AF_INET6 => Some(IpAddr::from(address)),
            _ => None,
        };
    }
    PacketPlace::set_redirect(env, Redirect::Neigh { ifindex, nexthop });
    Ok(TC_ACT_REDIRECT)
}

/// `bpf_redirect_peer(ifindex, flags)`: `TC_ACT_SHOT` for any flag, else
/// `TC_ACT_REDIRECT` with the target recorded for the run's result. (Whether `ifindex` has
/// a peer is checked when the kernel acts on the verdict, after the program.)
fn redirect_peer(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    skb(env, "redirect_peer")?;
    if a[1] != 0 {
        return Ok(TC_ACT_SHOT);
    }
    let ifindex = a[0] as u32;
    PacketPlace::set_redirect(env, Redirect::Peer { ifindex });
    Ok(TC_ACT_REDIRECT)
}

/// `[offset, offset + len)` of the packet if it lies within `skb->len`.
fn within(p: &Pointers, offset: u64, len: u64) -> Option<u64> {
    (offset + len <= p.len()).then_some(p.data + offset)
}

/// Fills `to` with `len` zeros (what the load helpers leave on failure) and returns
/// `-EFAULT`. Writes in pages, so that a huge `len` fails on memory the program does not own
/// before anything large is allocated.
fn clear(env: &mut HelperEnv<'_, '_>, to: u64, len: usize) -> Result<u64, HelperError> {
    const PAGE: usize = 4096;
    let zeros = [0u8; PAGE];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(PAGE);
        env.write(to + done as u64, &zeros[..n])?;
        done += n;
    }
    Ok(neg(libc::EFAULT))
}

/// `bpf_skb_load_bytes(skb, offset, to, len)`: `-EFAULT` (and `to` zeroed) for an offset
/// above `INT_MAX` or a range past `skb->len`. The flow dissector's
/// (`bpf_flow_dissector_load_bytes`) reads from the skb, which its test run does not have:
/// it always fails so.
fn skb_load_bytes(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let place = PacketPlace::of(env, "skb_load_bytes")?;
    let (offset, to, len) = (u64::from(a[1] as u32), a[2], a[3] as u32 as usize);
    match place.spec.packet {
        PacketContext::Skb { .. } => {}
        PacketContext::FlowDissector => return clear(env, to, len),
        _ => return Err("bpf_skb_load_bytes needs an __sk_buff context".into()),
    }
    let p = place.pointers(env)?;
    match within(&p, offset, len as u64) {
        Some(from) if offset <= i32::MAX as u64 => {
            let bytes = env.read(from, len)?;
            env.write(to, &bytes)?;
            Ok(0)
        }
        _ => clear(env, to, len),
    }
}

/// `bpf_skb_load_bytes_relative(skb, offset, to, len, start_header)`: from the MAC or the
/// network header (which test runs place at the start of the frame and 14 bytes after),
/// up to the end of the packet; `-EFAULT` and `to` zeroed otherwise.
fn skb_load_bytes_relative(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "skb_load_bytes_relative")?;
    let (offset, to, len) = (u64::from(a[1] as u32), a[2], a[3] as u32 as usize);
    let start = match u64::from(a[4] as u32) {
        BPF_HDR_START_MAC => place.at(place.skb.mac),
        BPF_HDR_START_NET => place.at(place.skb.network),
        _ => return clear(env, to, len),
    };
    if offset > 0xffff || start + offset + len as u64 > p.data_end {
        return clear(env, to, len);
    }
    let bytes = env.read(start + offset, len)?;
    env.write(to, &bytes)?;
    Ok(0)
}

/// `bpf_skb_store_bytes(skb, offset, from, len, flags)`: `-EINVAL` for unknown flags,
/// `-EFAULT` for an offset above `INT_MAX` or a range past `skb->len`.
/// `BPF_F_INVALIDATE_HASH` clears `skb->hash`.
fn skb_store_bytes(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "skb_store_bytes")?;
    let (offset, from, len, flags) = (u64::from(a[1] as u32), a[2], a[3] as u32 as usize, a[4]);
    if flags & !(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH) != 0 {
        return Ok(neg(libc::EINVAL));
    }
    let Some(to) = within(&p, offset, len as u64).filter(|_| offset <= i32::MAX as u64) else {
        return Ok(neg(libc::EFAULT));
    };
    let bytes = env.read(from, len)?;
    env.write(to, &bytes)?;
    if flags & BPF_F_INVALIDATE_HASH != 0 {
        clear_hash(env, &place)?;
    }
    Ok(0)
}

/// The checksum field at `offset` for the replace helpers: its address, or `-EFAULT` for an
/// odd offset, one above 0xffff, or a field past `skb->len`.
fn csum_field(p: &Pointers, offset: u64) -> Result<u64, u64> {
    if offset > 0xffff || offset & 1 != 0 {
        return Err(neg(libc::EFAULT));
    }
    within(p, offset, 2).ok_or(neg(libc::EFAULT))
}

/// Shared by the L3 and L4 replace helpers: flag check, field check, then `update`.
fn csum_replace(
    env: &mut HelperEnv<'_, '_>,
    helper: &str,
    a: [u64; 5],
    allowed_flags: u64,
    update: impl FnOnce(u16) -> Result<u16, i32>,
) -> Result<u64, HelperError> {
    let (_, p) = skb(env, helper)?;
    if a[4] & !allowed_flags != 0 {
        return Ok(neg(libc::EINVAL));
    }
    let at = match csum_field(&p, u64::from(a[1] as u32)) {
        Ok(at) => at,
        Err(errno) => return Ok(errno),
    };
    let field = env.read(at, 2)?;
    match update(u16::from_ne_bytes([field[0], field[1]])) {
        Ok(sum) => {
            env.write(at, &sum.to_ne_bytes())?;
            Ok(0)
        }
        Err(errno) => Ok(neg(errno)),
    }
}

/// `bpf_l3_csum_replace(skb, offset, from, to, flags)`.
fn l3_csum_replace(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    csum_replace(env, "l3_csum_replace", a, L3_CSUM_REPLACE_FLAGS, |sum| {
        checksum::l3_csum_replace(sum, a[2], a[3], a[4])
    })
}

/// `bpf_l4_csum_replace(skb, offset, from, to, flags)`. The test-run skb is
/// `CHECKSUM_NONE`: only the checksum field changes.
fn l4_csum_replace(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    csum_replace(env, "l4_csum_replace", a, L4_CSUM_REPLACE_FLAGS, |sum| {
        let mut state = SkbCsum {
            ip_summed: IpSummed::None,
            csum: 0,
        };
        checksum::l4_csum_replace(sum, &mut state, a[2], a[3], a[4])
    })
}

/// `bpf_get_hash_recalc(skb)`: `skb->hash`, computed first unless it is set (by an earlier
/// computation or `set_hash`; see the module documentation for how ebee's value differs from
/// the kernel's).
fn get_hash_recalc(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "get_hash_recalc")?;
    if place.skb.hash_set {
        let current = env.read(hash_field(&place), 4)?;
        let current = u32::from_ne_bytes([current[0], current[1], current[2], current[3]]);
        return Ok(u64::from(current));
    }
    let protocol = env.read(place.ctx + 16, 2)?;
    let network = place.at(place.skb.network);
    let available = p
        .data_end
        .saturating_sub(network)
        .min(flow_hash::HEADER_BYTES as u64);
    let headers = env.read(network, available as usize)?;
    let hash = flow_hash::flow_hash([protocol[0], protocol[1]], &headers);
    set_hash_to(env, &place, hash)?;
    Ok(u64::from(hash))
}

/// `bpf_skb_pull_data(skb, len)`: the test-run skb is linear, so this only checks that `len`
/// (0: the whole head) is within `skb->len`: 0, or `-ENOMEM`.
fn skb_pull_data(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (_, p) = skb(env, "skb_pull_data")?;
    let len = u64::from(a[1] as u32);
    Ok(if len > p.len() { neg(libc::ENOMEM) } else { 0 })
}

/// `bpf_set_hash(skb, hash)`: `skb->hash` becomes `hash` (even 0), which `get_hash_recalc`
/// then returns until something clears it. Always 0.
fn set_hash(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, _) = skb(env, "set_hash")?;
    set_hash_to(env, &place, a[1] as u32)?;
    Ok(0)
}

/// `bpf_set_hash_invalid(skb)`: clears `skb->hash`, so the next `get_hash_recalc` computes
/// it. Always 0.
fn set_hash_invalid(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    let (place, _) = skb(env, "set_hash_invalid")?;
    clear_hash(env, &place)?;
    Ok(0)
}

/// `BPF_CSUM_LEVEL_*` of `linux/bpf.h`.
const BPF_CSUM_LEVEL_QUERY: u64 = 0;
const BPF_CSUM_LEVEL_INC: u64 = 1;
const BPF_CSUM_LEVEL_DEC: u64 = 2;
const BPF_CSUM_LEVEL_RESET: u64 = 3;
/// `SKB_MAX_CSUM_LEVEL`.
const SKB_MAX_CSUM_LEVEL: u8 = 3;

/// `bpf_csum_level(skb, level)` on the test run's `CHECKSUM_NONE` skb: `INC` makes it
/// `CHECKSUM_UNNECESSARY` (level 0), then raises the level up to 3; `DEC` lowers it and
/// below 0 returns to `CHECKSUM_NONE`; `RESET` returns to `CHECKSUM_NONE`; `QUERY` gives the
/// level, or `-EACCES` when the skb is not `CHECKSUM_UNNECESSARY`; other levels `-EINVAL`.
fn csum_level(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, _) = skb(env, "csum_level")?;
    let mut meta = place.skb;
    match a[1] {
        BPF_CSUM_LEVEL_INC if meta.csum_unnecessary => {
            meta.csum_level = (meta.csum_level + 1).min(SKB_MAX_CSUM_LEVEL);
        }
        BPF_CSUM_LEVEL_INC => {
            meta.csum_unnecessary = true;
            meta.csum_level = 0;
        }
        BPF_CSUM_LEVEL_DEC if meta.csum_unnecessary => {
            if meta.csum_level == 0 {
                meta.csum_unnecessary = false;
            } else {
                meta.csum_level -= 1;
            }
        }
        BPF_CSUM_LEVEL_DEC => {}
        BPF_CSUM_LEVEL_RESET => {
            meta.csum_unnecessary = false;
            meta.csum_level = 0;
        }
        BPF_CSUM_LEVEL_QUERY if meta.csum_unnecessary => return Ok(u64::from(meta.csum_level)),
        BPF_CSUM_LEVEL_QUERY => return Ok(neg(libc::EACCES)),
        _ => return Ok(neg(libc::EINVAL)),
    }
    PacketPlace::set_skb(env, meta);
    Ok(0)
}

/// `PACKET_OTHERHOST`: the highest packet type `skb_change_type` accepts.
const PACKET_OTHERHOST: u32 = 3;

/// `bpf_skb_change_type(skb, type)`: sets `skb->pkt_type` when both the old and the new type
/// are `PACKET_HOST` … `PACKET_OTHERHOST`; `-EINVAL` otherwise.
fn skb_change_type(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, _) = skb(env, "skb_change_type")?;
    let new = a[1] as u32;
    if ctx_u32(env, &place, "pkt_type")? > PACKET_OTHERHOST || new > PACKET_OTHERHOST {
        return Ok(neg(libc::EINVAL));
    }
    set_ctx_u32(env, &place, "pkt_type", new)?;
    Ok(0)
}

/// `ETH_P_IP`, `ETH_P_IPV6`, `ETH_P_8021Q`, `ETH_P_8021AD`.
pub(crate) const ETH_P_IP: u16 = 0x0800;
pub(crate) const ETH_P_IPV6: u16 = 0x86dd;
pub(crate) const ETH_P_8021Q: u16 = 0x8100;
pub(crate) const ETH_P_8021AD: u16 = 0x88a8;

/// `skb->protocol` in host order.
pub(crate) fn protocol(env: &HelperEnv<'_, '_>, place: &PacketPlace) -> Result<u16, HelperError> {
    let be = ctx_u32(env, place, "protocol")? as u16;
    Ok(u16::from_be_bytes(be.to_ne_bytes()))
}

/// `eth_type_vlan`.
pub(crate) fn is_vlan(ethertype: u16) -> bool {
    matches!(ethertype, ETH_P_8021Q | ETH_P_8021AD)
}

/// `vlan_get_protocol(skb)` (`skb_protocol(skb, true)`): `skb->protocol`, or for 802.1Q/AD
/// the protocol inside the VLAN headers, looked for from `skb->data + mac_len - 4` (14
/// without a `mac_len`), at most 8 deep; 0 when a header lies past the packet.
fn vlan_get_protocol(
    env: &HelperEnv<'_, '_>,
    place: &PacketPlace,
    p: &Pointers,
) -> Result<u16, HelperError> {
    let mut ethertype = protocol(env, place)?;
    if !is_vlan(ethertype) {
        return Ok(ethertype);
    }
    let mut depth = match place.skb.mac_len {
        0 => 14,
        len if len < 4 => return Ok(0),
        len => len - 4,
    };
    let mut parse_depth = 8;
    while is_vlan(ethertype) {
        parse_depth -= 1;
        if depth + 4 > p.len() || parse_depth == 0 {
            return Ok(0);
        }
        let h = env.read(p.data + depth + 2, 2)?;
        ethertype = u16::from_be_bytes([h[0], h[1]]);
        depth += 4;
    }
    Ok(ethertype)
}

/// `bpf_skb_ecn_set_ce(skb)`: marks an ECN-capable IPv4 or IPv6 packet Congestion
/// Experienced (IPv4 with the header checksum updated as `IP_ECN_set_ce` does): 1 if the
/// packet is now CE-marked, 0 if it is not ECN-capable, not IP (after VLAN headers), or
/// shorter than its IP header.
fn skb_ecn_set_ce(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "skb_ecn_set_ce")?;
    let header_len = match vlan_get_protocol(env, &place, &p)? {
        ETH_P_IP => 20,
        ETH_P_IPV6 => 40,
        _ => return Ok(0),
    };
    let network = place.at(place.skb.network);
    if p.len() < header_len || network + header_len > p.data_end {
        return Ok(0);
    }
    if header_len == 20 {
        let h = env.read(network, 12)?;
        let ecn = (h[1].wrapping_add(1) & 3) as u16;
        if ecn & 2 == 0 {
            return Ok(u64::from(ecn == 0));
        }
        // csum16_add on the stored (network order) values.
        let add = 0xfffbu16.to_be().wrapping_add(ecn.to_be());
        let sum = u16::from_ne_bytes([h[10], h[11]]).wrapping_add(add);
        let sum = sum.wrapping_add(u16::from(sum < add));
        env.write(network + 10, &sum.to_ne_bytes())?;
        env.write(network + 1, &[h[1] | 3])?;
        return Ok(1);
    }
    let h = env.read(network, 4)?;
    let word = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    if (word >> 20) & 3 == 0 {
        return Ok(0);
    }
    env.write(network, &(word | 3 << 20).to_be_bytes())?;
    Ok(1)
}

/// The legacy packet loads (`ldabs*`, `ldind*`) of socket filters and TC programs: where
/// the bytes are, as `bpf_skb_load_helper_{8,16,32}` (which the kernel's rewrite of the
/// instructions calls) finds them. A non-negative offset counts from `skb->data` (the
/// network header for socket filters, the Ethernet header for TC); `SKF_NET_OFF + n` from
/// the network header, `SKF_LL_OFF + n` from the MAC header
/// (`bpf_skb_load_helper_convert_offset`); lower offsets are out of range, and so are
/// bytes past `skb->len` (the test-run skb is linear: its head is the whole packet). The VM
/// reads them and converts them from network byte order; out of range it returns 0.
pub(crate) fn legacy_packet_load(
    env: &HelperEnv<'_, '_>,
    load: LegacyPacketLoad,
) -> Result<Option<u64>, HelperError> {
    let name = match load.size {
        1 => "skb_load_helper_8",
        2 => "skb_load_helper_16",
        _ => "skb_load_helper_32",
    };
    let (place, p) = skb(env, name)?;
    if load.ctx != place.ctx {
        return Err(format!("r6 ({:#x}) is not the skb of this run", load.ctx).into());
    }
    let mac = place.at(place.skb.mac) as i64;
    let network = place.at(place.skb.network) as i64;
    let data = p.data as i64;
    let offset = i64::from(load.offset);
    // Relative to skb->data.
    let offset = if offset >= 0 {
        offset
    } else if offset >= i64::from(SKF_NET_OFF) {
        offset - i64::from(SKF_NET_OFF) + (network - data)
    } else if offset >= i64::from(SKF_LL_OFF) {
        offset - i64::from(SKF_LL_OFF) + (mac - data)
    } else {
        return Ok(None);
    };
    // `headlen - offset >= len`; a negative offset (from the MAC header of a socket filter)
    // still starts inside the buffer.
    let inside = p.len() as i64 - offset >= i64::from(load.size)
        && data + offset >= place.buffer_start as i64;
    Ok(inside.then_some((data + offset) as u64))
}

pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(9, skb_store_bytes),
    HelperDef::new(10, l3_csum_replace),
    HelperDef::new(11, l4_csum_replace),
    HelperDef::new(26, skb_load_bytes),
    HelperDef::new(34, get_hash_recalc),
    HelperDef::new(39, skb_pull_data),
    HelperDef::new(32, skb_change_type),
    HelperDef::new(41, set_hash_invalid),
    HelperDef::new(48, set_hash),
    HelperDef::new(68, skb_load_bytes_relative),
    HelperDef::new(97, skb_ecn_set_ce),
    HelperDef::new(135, csum_level),
    HelperDef::new(152, redirect_neigh),
    HelperDef::new(155, redirect_peer),
];
