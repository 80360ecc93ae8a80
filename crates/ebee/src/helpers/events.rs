//! Event helpers: ring buffers (`ringbuf_output`, `reserve`, `submit`, `discard`, `query`)
//! and perf event arrays (`perf_event_output`).
//!
//! `perf_event_output` follows the kernel's three variants: for XDP (`bpf_xdp_event_output`)
//! and skb programs (`bpf_skb_event_output`) the flags may carry `BPF_F_CTXLEN_MASK`, a
//! number of packet bytes (from `data`) appended to the sample (`-EFAULT` when the packet is
//! shorter); for other programs only the index bits are allowed. Other bits: `-EINVAL`.

use super::maps::{input, map_arg, map_ref, run_state};
use super::HelperDef;
use crate::packet::PacketPlace;
use ebee_maps::Errno;
use ebee_vm::{HelperEnv, HelperError, Region};

/// `BPF_F_INDEX_MASK`: the perf buffer index (or `BPF_F_CURRENT_CPU`, all ones).
const BPF_F_INDEX_MASK: u64 = 0xffff_ffff;
/// `BPF_F_CTXLEN_MASK`: packet bytes to append to the sample (packet programs only).
const BPF_F_CTXLEN_MASK: u64 = 0xf_ffff << 32;

fn neg(e: Errno) -> u64 {
    e.as_neg_i64() as u64
}

fn ringbuf_output(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_ref(rt, a[0])?;
    let data = input(env, a[1], a[2] as usize)?;
    Ok(map.ringbuf_output(&data, a[3]).map_or_else(neg, |()| 0))
}

fn ringbuf_reserve(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_arg(rt, a[0])?;
    let Some(record) = map.ringbuf_reserve(a[1], a[2]) else {
        return Ok(0);
    };
    let start = record.as_ptr() as u64;
    env.grant(Region {
        name: "ring buffer record",
        start,
        len: a[1],
        writable: true,
    });
    run_state(env)?.reserved.borrow_mut().push((start, map));
    Ok(start)
}

fn commit(env: &mut HelperEnv<'_, '_>, a: [u64; 5], discard: bool) -> Result<u64, HelperError> {
    let state = run_state(env)?;
    let mut reserved = state.reserved.borrow_mut();
    let Some(index) = reserved.iter().position(|r| r.0 == a[0]) else {
        return Err(format!("{:#x} is not a ring buffer record this run reserved", a[0]).into());
    };
    let (record, map) = reserved.swap_remove(index);
    let result = if discard {
        map.ringbuf_discard(record as *mut u8, a[1])
    } else {
        map.ringbuf_submit(record as *mut u8, a[1])
    };
    result.map_err(|e| format!("ring buffer commit failed: {e}"))?;
    Ok(0)
}

fn ringbuf_submit(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    commit(env, a, false)
}

fn ringbuf_discard(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    commit(env, a, true)
}

fn ringbuf_query(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    Ok(map_arg(rt, a[0])?.ringbuf_query(a[1]))
}

/// `bpf_perf_event_output(ctx, map, flags, data, size)`.
fn perf_event_output(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_arg(rt, a[1])?;
    let flags = a[2];
    let has_packet = run_state(env)?.packet.is_some();
    let allowed = match has_packet {
        true => BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK,
        false => BPF_F_INDEX_MASK,
    };
    if flags & !allowed != 0 {
        return Ok(neg(Errno::EINVAL));
    }
    let mut data = env.read(a[3], a[4] as usize)?;
    let ctx_len = (flags & BPF_F_CTXLEN_MASK) >> 32;
    if ctx_len > 0 {
        let packet = PacketPlace::of(env, "perf_event_output")?.pointers(env)?;
        if ctx_len > packet.len() {
            return Ok(neg(Errno::EFAULT));
        }
        data.extend(env.read(packet.data, ctx_len as usize)?);
    }
    Ok(map
        .perf_event_output(env.cpu(), flags & BPF_F_INDEX_MASK, &data)
        .map_or_else(neg, |()| 0))
}

pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(25, perf_event_output),
    HelperDef::new(130, ringbuf_output),
    HelperDef::new(131, ringbuf_reserve),
    HelperDef::new(132, ringbuf_submit),
    HelperDef::new(133, ringbuf_discard),
    HelperDef::new(134, ringbuf_query),
];
