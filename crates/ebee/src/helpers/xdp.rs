//! XDP packet helpers, with the semantics of `net/core/filter.c` on a test-run frame:
//! `xdp_adjust_head` (44), `xdp_adjust_meta` (54), `xdp_adjust_tail` (65), `redirect` (23,
//! XDP and TC), `redirect_map` (51), `xdp_get_buff_len` (188), `xdp_load_bytes` (189) and
//! `xdp_store_bytes` (190).
//!
//! The frame is the one [`crate::packet`] builds as `bpf_prog_test_run_xdp` does: one
//! 4096-byte page from `data_hard_start`, the packet at 256, and the last
//! [`TAILROOM`] bytes reserved (`xdp_data_hard_end`). The head may not move into the
//! `struct xdp_frame` the kernel keeps at the start of the page
//! ([`XDP_FRAME_STRUCT`] bytes).
//! Multi-buffer (frags) frames do not exist in ebee, so the frags branches never apply.
//!
//! `redirect_map`: ebee has no devmap, cpumap or xskmap (objects declaring one do not load),
//! so the lookup always fails and the helper returns what the kernel returns then, the
//! action in the low bits of `flags` (`flags & (XDP_ABORTED | XDP_DROP | XDP_PASS |
//! XDP_TX)`), or `XDP_ABORTED` for flags outside that mask and the devmap flags.

use super::probe::neg;
use super::{maps::map_arg, skb, HelperDef};
use crate::packet::{
    PacketPlace, Pointers, Redirect, ETH_HLEN, TAILROOM, XDP_FRAME_STRUCT, XDP_MAX_METALEN,
};
use ebee_vm::{HelperEnv, HelperError};

use crate::program_type::PacketContext;

/// `XDP_ABORTED` as r0.
const XDP_ABORTED: u64 = ebee_abi::xdp_action::XDP_ABORTED as u64;
/// `XDP_REDIRECT` as r0.
const XDP_REDIRECT: u64 = ebee_abi::xdp_action::XDP_REDIRECT as u64;
/// `XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX`: the verdicts `redirect_map` may return
/// on lookup failure.
const ACTION_MASK: u64 = 3;
/// `BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS`: the devmap flags of `redirect_map`.
const DEVMAP_FLAGS: u64 = ebee_abi::flags::BPF_F_BROADCAST | ebee_abi::flags::BPF_F_EXCLUDE_INGRESS;

/// The frame of the running XDP program and its pointers.
fn frame(env: &HelperEnv<'_, '_>, helper: &str) -> Result<(PacketPlace, Pointers), HelperError> {
    let place = PacketPlace::of(env, helper)?;
    if place.spec.packet != PacketContext::Xdp {
        return Err(format!("bpf_{helper} needs an XDP context").into());
    }
    Ok((place, place.pointers(env)?))
}

/// `data + offset` for the kernel's `int` offset argument, or `None` outside the address
/// space.
fn moved(address: u64, offset: u64) -> Option<u64> {
    address.checked_add_signed(i64::from(offset as i32))
}

/// `bpf_xdp_adjust_head(xdp, offset)`: moves `data` (and the metadata with it) by `offset`;
/// `-EINVAL` if the packet would start inside the `xdp_frame` area (plus the metadata) or
/// be shorter than an Ethernet header.
fn xdp_adjust_head(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = frame(env, "xdp_adjust_head")?;
    let metalen = p.data - p.data_meta;
    let data_start = place.buffer_start + XDP_FRAME_STRUCT as u64 + metalen;
    let Some(data) = moved(p.data, a[1]) else {
        return Ok(neg(libc::EINVAL));
    };
    if data < data_start || data > p.data_end.saturating_sub(ETH_HLEN as u64) {
        return Ok(neg(libc::EINVAL));
    }
    let data_meta = data - metalen;
    if metalen > 0 {
        let meta = env.read(p.data_meta, metalen as usize)?;
        env.write(data_meta, &meta)?;
    }
    place.set_pointers(
        env,
        Pointers {
            data,
            data_meta,
            ..p
        },
    )?;
    Ok(0)
}

/// `bpf_xdp_adjust_tail(xdp, offset)`: moves `data_end`; grown bytes are zeroed. `-EINVAL`
/// past `xdp_data_hard_end` or below an Ethernet header.
fn xdp_adjust_tail(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = frame(env, "xdp_adjust_tail")?;
    let hard_end = place.buffer_end - TAILROOM as u64;
    let Some(data_end) = moved(p.data_end, a[1]) else {
        return Ok(neg(libc::EINVAL));
    };
    if data_end > hard_end || data_end < p.data + ETH_HLEN as u64 {
        return Ok(neg(libc::EINVAL));
    }
    if data_end > p.data_end {
        env.write(p.data_end, &vec![0; (data_end - p.data_end) as usize])?;
    }
    place.set_pointers(env, Pointers { data_end, ..p })?;
    Ok(0)
}

/// `bpf_xdp_adjust_meta(xdp, offset)`: moves `data_meta`. `-EINVAL` if it would leave
/// `[data_hard_start + sizeof(xdp_frame), data]`, `-EACCES` for a metadata length that is not
/// a multiple of 4 or above 255.
fn xdp_adjust_meta(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = frame(env, "xdp_adjust_meta")?;
    let Some(meta) = moved(p.data_meta, a[1]) else {
        return Ok(neg(libc::EINVAL));
    };
    if meta < place.buffer_start + XDP_FRAME_STRUCT as u64 || meta > p.data {
        return Ok(neg(libc::EINVAL));
    }
    let metalen = p.data - meta;
    if metalen % 4 != 0 || metalen > XDP_MAX_METALEN as u64 {
        return Ok(neg(libc::EACCES));
    }
    place.set_pointers(
        env,
        Pointers {
            data_meta: meta,
            ..p
        },
    )?;
    Ok(0)
}

/// `bpf_xdp_get_buff_len(xdp)`: `data_end - data` (no frags in ebee).
fn xdp_get_buff_len(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    let (_, p) = frame(env, "xdp_get_buff_len")?;
    Ok(p.len())
}

/// `bpf_xdp_pointer`'s checks: the packet address of `[offset, offset + len)`, or the
/// helper's error (`-EFAULT` for offset or length above 0xffff, `-EINVAL` past the end).
fn xdp_range(
    env: &HelperEnv<'_, '_>,
    helper: &str,
    a: [u64; 5],
) -> Result<Result<(u64, usize), u64>, HelperError> {
    let (_, p) = frame(env, helper)?;
    let (offset, len) = (u64::from(a[1] as u32), u64::from(a[3] as u32));
    if offset > 0xffff || len > 0xffff {
        return Ok(Err(neg(libc::EFAULT)));
    }
    if offset + len > p.len() {
        return Ok(Err(neg(libc::EINVAL)));
    }
    Ok(Ok((p.data + offset, len as usize)))
}

/// `bpf_xdp_load_bytes(xdp, offset, buf, len)`. On error `buf` is left as it was.
fn xdp_load_bytes(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    match xdp_range(env, "xdp_load_bytes", a)? {
        Ok((from, len)) => {
            let bytes = env.read(from, len)?;
            env.write(a[2], &bytes)?;
            Ok(0)
        }
        Err(errno) => Ok(errno),
    }
}

/// `bpf_xdp_store_bytes(xdp, offset, buf, len)`.
fn xdp_store_bytes(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    match xdp_range(env, "xdp_store_bytes", a)? {
        Ok((to, len)) => {
            let bytes = env.read(a[2], len)?;
            env.write(to, &bytes)?;
            Ok(0)
        }
        Err(errno) => Ok(errno),
    }
}

/// `bpf_redirect(ifindex, flags)`: XDP (`bpf_xdp_redirect`: any flag gives `XDP_ABORTED`,
/// else `XDP_REDIRECT`) and TC (`TC_ACT_SHOT` for flags other than `BPF_F_INGRESS`, else
/// `TC_ACT_REDIRECT`). The target is recorded for the run's result.
fn redirect(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let place = PacketPlace::of(env, "redirect")?;
    let (ifindex, flags) = (a[0] as u32, a[1]);
    let verdict = match place.spec.packet {
        PacketContext::Xdp if flags != 0 => return Ok(XDP_ABORTED),
        PacketContext::Xdp => XDP_REDIRECT,
        PacketContext::Skb { .. } => match skb::tc_redirect_verdict(flags) {
            Ok(verdict) => verdict,
            Err(shot) => return Ok(shot),
        },
        PacketContext::FlowDissector | PacketContext::NoPacket(_) => {
            return Err("bpf_redirect needs an XDP or skb packet".into())
        }
    };
    PacketPlace::set_redirect(env, Redirect::Ifindex { ifindex, flags });
    Ok(verdict)
}

/// `bpf_redirect_map(map, key, flags)`: see the module documentation.
fn redirect_map(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    frame(env, "redirect_map")?;
    map_arg(rt, a[0])?;
    let flags = a[2];
    if flags & !(ACTION_MASK | DEVMAP_FLAGS) != 0 {
        return Ok(XDP_ABORTED);
    }
    // No map ebee creates is a redirect target: the lookup fails.
    Ok(flags & ACTION_MASK)
}

pub(crate) const HELPERS: &[HelperDef] = &[
    // Kernel: XDP, TC and LWT (ebee has no LWT programs).
    HelperDef::new(23, redirect),
    HelperDef::new(44, xdp_adjust_head),
    HelperDef::new(51, redirect_map),
    HelperDef::new(54, xdp_adjust_meta),
    HelperDef::new(65, xdp_adjust_tail),
    HelperDef::new(188, xdp_get_buff_len),
    HelperDef::new(189, xdp_load_bytes),
    HelperDef::new(190, xdp_store_bytes),
];
