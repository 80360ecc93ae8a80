//! Internet checksum helpers: `bpf_csum_diff` (28), plus the one's-complement arithmetic of
//! the kernel's `include/net/checksum.h` and `net/core/utils.c` that the packet helpers
//! (`l3_csum_replace`, `l4_csum_replace`, `csum_update`, …) build on.
//!
//! All 16- and 32-bit quantities are taken as the kernel takes them: checksum fields and
//! `__be16`/`__be32` values are the bytes in memory read in host byte order
//! (`u16::from_ne_bytes`), never byte-swapped. One's-complement sums do not care about byte
//! order as long as every operand is read the same way.
//!
//! `csum_partial` reproduces x86-64's `csum_partial` bit for bit (32-bit end-around-carry sum
//! of the data as little-endian words, zero only when everything summed is zero), so
//! intermediate `__wsum` values match the kernel's, not just their folded 16-bit form.

use super::HelperDef;
use ebee_vm::{HelperEnv, HelperError};

/// `bpf_l3/l4_csum_replace` flags: size of the replaced field (0, 2 or 4) in the low bits.
pub(crate) const BPF_F_HDR_FIELD_MASK: u64 = 0xf;
/// `bpf_l4_csum_replace`: the field is part of the pseudo-header.
pub(crate) const BPF_F_PSEUDO_HDR: u64 = 1 << 4;
/// `bpf_l4_csum_replace`: leave a zero checksum alone; write a result of 0 as `0xffff`.
pub(crate) const BPF_F_MARK_MANGLED_0: u64 = 1 << 5;
/// `bpf_l4_csum_replace`: with `BPF_F_MARK_MANGLED_0`, update a zero checksum too.
pub(crate) const BPF_F_MARK_ENFORCE: u64 = 1 << 6;
/// `bpf_l4_csum_replace`: IPv6 packet (the pseudo-header change does not touch `skb->csum`).
pub(crate) const BPF_F_IPV6: u64 = 1 << 7;
/// What a zero UDP checksum is written as (`CSUM_MANGLED_0`).
pub(crate) const CSUM_MANGLED_0: u16 = 0xffff;
/// Flags `bpf_l3_csum_replace` accepts; others give `-EINVAL` before any offset check.
pub(crate) const L3_CSUM_REPLACE_FLAGS: u64 = BPF_F_HDR_FIELD_MASK;
/// Flags `bpf_l4_csum_replace` accepts; others give `-EINVAL` before any offset check.
pub(crate) const L4_CSUM_REPLACE_FLAGS: u64 = BPF_F_MARK_MANGLED_0
    | BPF_F_MARK_ENFORCE
    | BPF_F_PSEUDO_HDR
    | BPF_F_HDR_FIELD_MASK
    | BPF_F_IPV6;

/// `csum_partial(data, len, seed)` as x86-64 computes it.
pub(crate) fn csum_partial(data: &[u8], seed: u32) -> u32 {
    let mut sum = u64::from(seed);
    let mut words = data.chunks_exact(4);
    for word in &mut words {
        sum += u64::from(u32::from_le_bytes([word[0], word[1], word[2], word[3]]));
        // Fold early so the sum can never overflow, whatever the length.
        if sum >> 63 != 0 {
            sum = (sum & 0xffff_ffff) + (sum >> 32);
        }
    }
    let mut tail = [0u8; 4];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    sum += u64::from(u32::from_le_bytes(tail));
    while sum >> 32 != 0 {
        sum = (sum & 0xffff_ffff) + (sum >> 32);
    }
    sum as u32
}

/// `csum_add`: 32-bit one's-complement addition.
pub(crate) fn csum_add(csum: u32, addend: u32) -> u32 {
    let (res, carry) = csum.overflowing_add(addend);
    res.wrapping_add(u32::from(carry))
}

/// `csum_sub`: `csum_add(csum, ~addend)`.
pub(crate) fn csum_sub(csum: u32, addend: u32) -> u32 {
    csum_add(csum, !addend)
}

/// `csum_from32to16`: folds a 32-bit sum to 16 bits (end-around carry, no complement).
pub(crate) fn csum_from32to16(sum: u32) -> u16 {
    (sum.wrapping_add(sum.rotate_left(16)) >> 16) as u16
}

/// `csum_fold`: folds to 16 bits and complements (what goes in a header's checksum field).
pub(crate) fn csum_fold(sum: u32) -> u16 {
    !csum_from32to16(sum)
}

/// `csum16_add`: 16-bit one's-complement addition.
fn csum16_add(csum: u16, addend: u16) -> u16 {
    let (res, carry) = csum.overflowing_add(addend);
    res.wrapping_add(u16::from(carry))
}

/// `csum_replace2`: the checksum field `sum` after a 16-bit field changed `old` → `new`
/// (RFC 1624).
pub(crate) fn csum_replace2(sum: u16, old: u16, new: u16) -> u16 {
    !csum16_add(csum16_add(!sum, !old), new)
}

/// `csum_replace4`: the checksum field `sum` after a 32-bit field changed `from` → `to`.
pub(crate) fn csum_replace4(sum: u16, from: u32, to: u32) -> u16 {
    let tmp = csum_sub(!u32::from(sum), from);
    csum_fold(csum_add(tmp, to))
}

/// `csum_replace_by_diff`: the checksum field `sum` after data changed by `diff` (a
/// `bpf_csum_diff` result).
pub(crate) fn csum_replace_by_diff(sum: u16, diff: u32) -> u16 {
    csum_fold(csum_add(diff, !u32::from(sum)))
}

/// `skb->ip_summed`: what the skb's checksum state says about the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IpSummed {
    /// `CHECKSUM_NONE`: nothing known; software checks the checksum.
    None,
    /// `CHECKSUM_UNNECESSARY`: the device verified it.
    #[allow(dead_code)] // No ebee hook produces it yet; the arithmetic treats it as `None`.
    Unnecessary,
    /// `CHECKSUM_COMPLETE`: `csum` holds the sum of the packet from the network header on.
    Complete,
    /// `CHECKSUM_PARTIAL`: the device will finish the L4 checksum (it holds the
    /// pseudo-header sum only).
    Partial,
}

/// The checksum state of an skb that the L4 replace helpers read and update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SkbCsum {
    /// `skb->ip_summed`.
    pub ip_summed: IpSummed,
    /// `skb->csum` (meaningful for `CHECKSUM_COMPLETE`).
    pub csum: u32,
}

/// `inet_proto_csum_replace4`: updates the L4 checksum field `sum` (returned) and, for a
/// pseudo-header field of a `CHECKSUM_COMPLETE` skb, `skb.csum`.
pub(crate) fn inet_proto_csum_replace4(
    sum: u16,
    skb: &mut SkbCsum,
    from: u32,
    to: u32,
    pseudohdr: bool,
) -> u16 {
    if skb.ip_summed != IpSummed::Partial {
        if skb.ip_summed == IpSummed::Complete && pseudohdr {
            skb.csum = !csum_add(csum_sub(!skb.csum, from), to);
        }
        csum_replace4(sum, from, to)
    } else if pseudohdr {
        !csum_fold(csum_add(csum_sub(u32::from(sum), from), to))
    } else {
        sum
    }
}

/// `inet_proto_csum_replace_by_diff`: as [`inet_proto_csum_replace4`] for a change given as a
/// checksum difference; `ipv6` keeps `skb.csum` unchanged (`BPF_F_IPV6`).
pub(crate) fn inet_proto_csum_replace_by_diff(
    sum: u16,
    skb: &mut SkbCsum,
    diff: u32,
    pseudohdr: bool,
    ipv6: bool,
) -> u16 {
    if skb.ip_summed != IpSummed::Partial {
        if skb.ip_summed == IpSummed::Complete && pseudohdr && !ipv6 {
            skb.csum = !csum_sub(diff, skb.csum);
        }
        csum_replace_by_diff(sum, diff)
    } else if pseudohdr {
        !csum_fold(csum_add(u32::from(sum), diff))
    } else {
        sum
    }
}

/// The checksum arithmetic of `bpf_l3_csum_replace` (10): the new value of the checksum
/// field `sum`, or a positive errno. The caller checks `flags` against
/// [`L3_CSUM_REPLACE_FLAGS`] first, then the offset (`-EFAULT` when odd or above 0xffff,
/// or outside the packet), then calls this.
pub(crate) fn l3_csum_replace(sum: u16, from: u64, to: u64, flags: u64) -> Result<u16, i32> {
    if flags & !L3_CSUM_REPLACE_FLAGS != 0 {
        return Err(libc::EINVAL);
    }
    match flags & BPF_F_HDR_FIELD_MASK {
        0 if from != 0 => Err(libc::EINVAL),
        0 => Ok(csum_replace_by_diff(sum, to as u32)),
        2 => Ok(csum_replace2(sum, from as u16, to as u16)),
        4 => Ok(csum_replace4(sum, from as u32, to as u32)),
        _ => Err(libc::EINVAL),
    }
}

/// The checksum arithmetic of `bpf_l4_csum_replace` (11): the new value of the checksum
/// field `sum` (updating `skb.csum` as the kernel does), or a positive errno. The caller
/// checks `flags` against [`L4_CSUM_REPLACE_FLAGS`] first, then the offset, then calls this.
pub(crate) fn l4_csum_replace(
    sum: u16,
    skb: &mut SkbCsum,
    from: u64,
    to: u64,
    flags: u64,
) -> Result<u16, i32> {
    if flags & !L4_CSUM_REPLACE_FLAGS != 0 {
        return Err(libc::EINVAL);
    }
    let pseudo = flags & BPF_F_PSEUDO_HDR != 0;
    let mangled_0 = flags & BPF_F_MARK_MANGLED_0 != 0;
    if mangled_0 && flags & BPF_F_MARK_ENFORCE == 0 && sum == 0 {
        return Ok(sum);
    }
    let new = match flags & BPF_F_HDR_FIELD_MASK {
        0 if from != 0 => return Err(libc::EINVAL),
        0 => {
            let ipv6 = flags & BPF_F_IPV6 != 0;
            inet_proto_csum_replace_by_diff(sum, skb, to as u32, pseudo, ipv6)
        }
        // inet_proto_csum_replace2: the __be16 values widened to __be32.
        2 => inet_proto_csum_replace4(
            sum,
            skb,
            u32::from(from as u16),
            u32::from(to as u16),
            pseudo,
        ),
        4 => inet_proto_csum_replace4(sum, skb, from as u32, to as u32, pseudo),
        _ => return Err(libc::EINVAL),
    };
    Ok(if mangled_0 && new == 0 {
        CSUM_MANGLED_0
    } else {
        new
    })
}

/// `bpf_csum_diff` of Linux 6.13+: the checksum of `to` minus that of `from`, on top of
/// `seed`, folded to 16 bits (`csum_from32to16`). Sizes need not be multiples of 4 any more.
pub(crate) fn csum_diff(from: &[u8], to: &[u8], seed: u32) -> u16 {
    let sum = match (from.is_empty(), to.is_empty()) {
        (false, false) => csum_sub(csum_partial(to, seed), csum_partial(from, 0)),
        (true, false) => csum_partial(to, seed),
        (false, true) => !csum_partial(from, !seed),
        (true, true) => seed,
    };
    csum_from32to16(sum)
}

/// `bpf_csum_diff(from, from_size, to, to_size, seed)`. A range the program may not read
/// gives `-EFAULT` (the kernel's verifier would have refused the program).
fn csum_diff_helper(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let read = |addr: u64, size: u64| -> Option<Vec<u8>> {
        match size as u32 {
            0 => Some(Vec::new()),
            n => env.read(addr, n as usize).ok(),
        }
    };
    let (Some(from), Some(to)) = (read(a[0], a[1]), read(a[2], a[3])) else {
        return Ok(super::probe::neg(libc::EFAULT));
    };
    Ok(u64::from(csum_diff(&from, &to, a[4] as u32)))
}

/// The checksum helpers that need no packet. `l3_csum_replace` and `l4_csum_replace` live
/// with the packet helpers, on top of the functions above.
pub(crate) const HELPERS: &[HelperDef] = &[HelperDef::new(28, csum_diff_helper)];

#[cfg(test)]
mod tests;
