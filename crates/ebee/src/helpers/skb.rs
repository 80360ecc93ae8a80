//! skb packet helpers (the skb types; `skb_load_bytes` also for the flow dissector), with the semantics of `net/core/filter.c` on
//! the linear skb `bpf_prog_test_run_skb` builds: `skb_load_bytes` (26) and
//! `skb_load_bytes_relative` (68) for both; `skb_store_bytes` (9), `l3_csum_replace` (10),
//! `l4_csum_replace` (11), `get_hash_recalc` (34) and `skb_pull_data` (39) for TC.
//! `redirect` (23) lives with the XDP helpers and calls [`tc_redirect_verdict`] here.
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
use crate::packet::{PacketPlace, Pointers, ETH_HLEN, SKB_HEADROOM};
use crate::program_type::PacketContext;
use ebee_vm::{HelperEnv, HelperError, LegacyPacketLoad};

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

/// `bpf_redirect`'s TC half: `Ok(TC_ACT_REDIRECT)`, or `Err(TC_ACT_SHOT)` for flags other
/// than `BPF_F_INGRESS`.
pub(crate) fn tc_redirect_verdict(flags: u64) -> Result<u64, u64> {
    if flags & !BPF_F_INGRESS != 0 {
        Err(TC_ACT_SHOT)
    } else {
        Ok(TC_ACT_REDIRECT)
    }
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
    let mac = place.buffer_start + SKB_HEADROOM as u64;
    let start = match u64::from(a[4] as u32) {
        BPF_HDR_START_MAC => mac,
        BPF_HDR_START_NET => mac + ETH_HLEN as u64,
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
        env.write(hash_field(&place), &0u32.to_ne_bytes())?;
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

/// `bpf_get_hash_recalc(skb)`: `skb->hash`, computed first if it is clear (see the module
/// documentation for how ebee's differs from the kernel's).
fn get_hash_recalc(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "get_hash_recalc")?;
    let current = env.read(hash_field(&place), 4)?;
    let current = u32::from_ne_bytes([current[0], current[1], current[2], current[3]]);
    if current != 0 {
        return Ok(u64::from(current));
    }
    let protocol = env.read(place.ctx + 16, 2)?;
    let network = place.buffer_start + (SKB_HEADROOM + ETH_HLEN) as u64;
    let available = p
        .data_end
        .saturating_sub(network)
        .min(flow_hash::HEADER_BYTES as u64);
    let headers = env.read(network, available as usize)?;
    let hash = flow_hash::flow_hash([protocol[0], protocol[1]], &headers);
    env.write(hash_field(&place), &hash.to_ne_bytes())?;
    Ok(u64::from(hash))
}

/// `bpf_skb_pull_data(skb, len)`: the test-run skb is linear, so this only checks that `len`
/// (0: the whole head) is within `skb->len`: 0, or `-ENOMEM`.
fn skb_pull_data(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (_, p) = skb(env, "skb_pull_data")?;
    let len = u64::from(a[1] as u32);
    Ok(if len > p.len() { neg(libc::ENOMEM) } else { 0 })
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
    let mac = (place.buffer_start + SKB_HEADROOM as u64) as i64;
    let network = mac + ETH_HLEN as i64;
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
    HelperDef::new(68, skb_load_bytes_relative),
];
