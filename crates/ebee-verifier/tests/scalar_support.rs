//! Shared by the randomized soundness tests (`#[path]`-included by `scalar_soundness.rs`
//! and `scalar_soundness_branches.rs`): a reference implementation of the ISA, random
//! abstract scalars built in many ways, and a sampler of their concrete members, which are
//! checked against the bounds and tnum directly (not through `Scalar::contains`).
//!
//! The seed is fixed; `EBEE_SCALAR_SEED=<n>` picks another one.
#![allow(dead_code)]

use ebee_isa::{AluOp, Cond, Width};
use ebee_verifier::scalar::Scalar;
use ebee_verifier::tnum::Tnum;

pub fn seed() -> u64 {
    std::env::var("EBEE_SCALAR_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5ca1_ab1e)
}

pub const OPS: [AluOp; 18] = [
    AluOp::Add,
    AluOp::Sub,
    AluOp::Mul,
    AluOp::Div,
    AluOp::Sdiv,
    AluOp::Or,
    AluOp::And,
    AluOp::Lsh,
    AluOp::Rsh,
    AluOp::Neg,
    AluOp::Mod,
    AluOp::Smod,
    AluOp::Xor,
    AluOp::Mov,
    AluOp::Movsx { bits: 8 },
    AluOp::Movsx { bits: 16 },
    AluOp::Movsx { bits: 32 },
    AluOp::Arsh,
];
pub const CONDS: [Cond; 11] = [
    Cond::Eq,
    Cond::Gt,
    Cond::Ge,
    Cond::Set,
    Cond::Ne,
    Cond::Sgt,
    Cond::Sge,
    Cond::Lt,
    Cond::Le,
    Cond::Slt,
    Cond::Sle,
];
pub const WIDTHS: [Width; 2] = [Width::W64, Width::W32];

/// The ISA's meaning of `d op s` (RFC 9669), independently of the crate.
pub fn reference(op: AluOp, width: Width, d: u64, s: u64) -> u64 {
    if width == Width::W32 {
        let (d, s) = (d as u32, s as u32);
        let (sd, ss) = (d as i32, s as i32);
        let r: u32 = match op {
            AluOp::Add => d.wrapping_add(s),
            AluOp::Sub => d.wrapping_sub(s),
            AluOp::Mul => d.wrapping_mul(s),
            AluOp::Div => d.checked_div(s).unwrap_or(0),
            AluOp::Sdiv => {
                if ss == 0 {
                    0
                } else {
                    sd.wrapping_div(ss) as u32
                }
            }
            AluOp::Or => d | s,
            AluOp::And => d & s,
            AluOp::Lsh => d << (s & 31),
            AluOp::Rsh => d >> (s & 31),
            AluOp::Neg => d.wrapping_neg(),
            AluOp::Mod => {
                if s == 0 {
                    d
                } else {
                    d % s
                }
            }
            AluOp::Smod => {
                if ss == 0 {
                    d
                } else {
                    sd.wrapping_rem(ss) as u32
                }
            }
            AluOp::Xor => d ^ s,
            AluOp::Mov => s,
            AluOp::Movsx { bits: 8 } => s as i8 as i32 as u32,
            AluOp::Movsx { bits: 16 } => s as i16 as i32 as u32,
            AluOp::Movsx { .. } => unreachable!("movsx32 is 8 or 16 bits"),
            AluOp::Arsh => (sd >> (s & 31)) as u32,
        };
        return r as u64;
    }
    let (sd, ss) = (d as i64, s as i64);
    match op {
        AluOp::Add => d.wrapping_add(s),
        AluOp::Sub => d.wrapping_sub(s),
        AluOp::Mul => d.wrapping_mul(s),
        AluOp::Div => d.checked_div(s).unwrap_or(0),
        AluOp::Sdiv => {
            if ss == 0 {
                0
            } else {
                sd.wrapping_div(ss) as u64
            }
        }
        AluOp::Or => d | s,
        AluOp::And => d & s,
        AluOp::Lsh => d << (s & 63),
        AluOp::Rsh => d >> (s & 63),
        AluOp::Neg => d.wrapping_neg(),
        AluOp::Mod => {
            if s == 0 {
                d
            } else {
                d % s
            }
        }
        AluOp::Smod => {
            if ss == 0 {
                d
            } else {
                sd.wrapping_rem(ss) as u64
            }
        }
        AluOp::Xor => d ^ s,
        AluOp::Mov => s,
        AluOp::Movsx { bits: 8 } => s as i8 as i64 as u64,
        AluOp::Movsx { bits: 16 } => s as i16 as i64 as u64,
        AluOp::Movsx { bits: 32 } => s as i32 as i64 as u64,
        AluOp::Movsx { .. } => unreachable!("movsx is 8, 16 or 32 bits"),
        AluOp::Arsh => (sd >> (s & 63)) as u64,
    }
}

/// Whether `v` is in `s`, read off the fields.
pub fn member(s: &Scalar, v: u64) -> bool {
    v & !s.var_off.mask == s.var_off.value
        && s.umin <= v
        && v <= s.umax
        && s.smin <= v as i64
        && v as i64 <= s.smax
        && s.u32_min <= v as u32
        && v as u32 <= s.u32_max
        && s.s32_min <= v as i32
        && v as i32 <= s.s32_max
}

/// Values near the edges that matter (0, 2^8, 2^16, 2^31, 2^32, 2^63, ...) or random.
pub fn interesting(rng: &mut fastrand::Rng) -> u64 {
    const BASES: [u64; 10] = [0, 32, 64, 1 << 8, 1 << 16, 1 << 31, 1 << 32, 1 << 63, 0, 0];
    let base = BASES[rng.usize(..BASES.len())];
    match rng.u8(0..5) {
        0 => base.wrapping_add(rng.u64(0..16)),
        1 => base.wrapping_sub(rng.u64(0..16)),
        2 => rng.u64(..),
        3 => !(rng.u64(..) >> rng.u32(0..64)),
        _ => rng.u64(..) >> rng.u32(0..64),
    }
}

pub fn span(rng: &mut fastrand::Rng) -> u64 {
    match rng.u8(0..4) {
        0 => rng.u64(0..3),
        1 => rng.u64(0..64),
        2 => rng.u64(..) >> rng.u32(0..64),
        _ => 1 << rng.u32(0..64),
    }
}

pub fn random_tnum(rng: &mut fastrand::Rng) -> Tnum {
    let mask = match rng.u8(0..5) {
        0 => rng.u64(..),
        1 => rng.u64(..) & !0xffff_ffff,
        2 => rng.u64(..) & rng.u64(..) & rng.u64(..),
        3 => (rng.u64(..) >> rng.u32(0..64)) & !(rng.u64(..) >> rng.u32(0..64)),
        _ => u64::MAX >> rng.u32(0..64),
    };
    Tnum {
        value: interesting(rng) & !mask,
        mask,
    }
}

/// A random abstract scalar; `depth` bounds the nesting of operations.
pub fn scalar(rng: &mut fastrand::Rng, depth: u32) -> Scalar {
    let kinds = if depth == 0 { 6 } else { 10 };
    match rng.u8(0..kinds) {
        0 => Scalar::constant(interesting(rng)),
        1 => {
            let lo = interesting(rng);
            Scalar::unsigned_range(lo, lo.saturating_add(span(rng)))
        }
        2 => {
            let lo = interesting(rng) as i64;
            Scalar::signed_range(lo, lo.checked_add_unsigned(span(rng)).unwrap_or(i64::MAX))
        }
        3 => Scalar::from_tnum(random_tnum(rng)),
        4 => Scalar::loaded([1, 2, 4, 8][rng.usize(..4)], rng.bool()),
        5 => {
            // Across a boundary.
            let b = [1u64 << 31, 1 << 32, 1 << 63, 0][rng.usize(..4)];
            Scalar::unsigned_range(b.saturating_sub(span(rng)), b.saturating_add(span(rng)))
        }
        6 | 7 => {
            let (a, b) = (scalar(rng, depth - 1), scalar(rng, depth - 1));
            let op = OPS[rng.usize(..OPS.len())];
            let width = if op == (AluOp::Movsx { bits: 32 }) {
                Width::W64
            } else {
                random_width(rng)
            };
            a.alu(op, width, b)
        }
        8 => {
            let (a, b) = (scalar(rng, depth - 1), scalar(rng, depth - 1));
            let cond = CONDS[rng.usize(..CONDS.len())];
            a.refine(cond, random_width(rng), b, rng.bool())
                .map_or(a, |r| r.0)
        }
        _ => scalar(rng, depth - 1).union(&scalar(rng, depth - 1)),
    }
}

pub fn random_width(rng: &mut fastrand::Rng) -> Width {
    WIDTHS[rng.usize(..2)]
}

/// Up to `n` distinct members of `s` (the ends, values built from the tnum, random values
/// in the ranges with the known bits forced, the least member), each checked by `member`.
pub fn sample(s: &Scalar, rng: &mut fastrand::Rng, n: usize) -> Vec<u64> {
    let t = s.var_off;
    let fit = |x: u64| (x & t.mask) | t.value;
    let mut out = Vec::with_capacity(n);
    let push = |v: u64, out: &mut Vec<u64>| {
        if member(s, v) && !out.contains(&v) {
            out.push(v);
        }
    };
    let ends = [s.umin, s.umax, s.smin as u64, s.smax as u64];
    for v in ends
        .into_iter()
        .chain(ends.map(fit))
        .chain(s.least_member())
    {
        push(v, &mut out);
    }
    for _ in 0..8 * n {
        if out.len() >= n {
            break;
        }
        let high = rng.u64(s.umin..=s.umax) & !0xffff_ffff;
        let v = match rng.u8(0..5) {
            0 => fit(rng.u64(..)),
            1 => fit(rng.u64(s.umin..=s.umax)),
            2 => fit(rng.i64(s.smin..=s.smax) as u64),
            3 => fit(high | u64::from(rng.u32(s.u32_min..=s.u32_max))),
            _ => fit(high | u64::from(rng.i32(s.s32_min..=s.s32_max) as u32)),
        };
        push(v, &mut out);
    }
    out.truncate(n);
    out
}

/// Checks the invariants of a scalar an operation produced; its sampled members.
pub fn valid(s: &Scalar, rng: &mut fastrand::Rng, n: usize, what: &dyn Fn() -> String) -> Vec<u64> {
    let t = s.var_off;
    let ordered = s.umin <= s.umax && s.smin <= s.smax;
    let ordered32 = s.u32_min <= s.u32_max && s.s32_min <= s.s32_max;
    assert!(
        t.value & t.mask == 0 && ordered && ordered32,
        "ill-formed {s:?}: {}",
        what()
    );
    let members = sample(s, rng, n);
    assert!(!members.is_empty(), "empty {s:?}: {}", what());
    for &v in &members {
        assert!(s.contains(v), "contains({v:#x}) false in {s:?}");
    }
    let v = rng.u64(..);
    assert_eq!(s.contains(v), member(s, v), "contains({v:#x}) in {s:?}");
    members
}

/// The reference agrees with the ISA's corner cases.
#[test]
fn reference_corner_cases() {
    use AluOp::*;
    const MIN: u64 = 1 << 63;
    let w = Width::W64;
    assert_eq!(reference(Div, w, 7, 0), 0);
    assert_eq!(reference(Mod, w, 7, 0), 7);
    assert_eq!(reference(Sdiv, w, MIN, u64::MAX), MIN);
    assert_eq!(reference(Smod, w, MIN, u64::MAX), 0);
    assert_eq!(reference(Smod, w, -7i64 as u64, 3), -1i64 as u64);
    assert_eq!(reference(Sdiv, w, -7i64 as u64, 2), -3i64 as u64);
    assert_eq!(reference(Lsh, w, 1, 65), 2);
    assert_eq!(reference(Arsh, w, MIN, 63), u64::MAX);
    assert_eq!(
        reference(Movsx { bits: 32 }, w, 0x8000_0000, 0x8000_0000),
        0xffff_ffff_8000_0000
    );
    let w = Width::W32;
    assert_eq!(reference(Mod, w, 0x1_0000_0007, 0x1_0000_0000), 7);
    assert_eq!(reference(Add, w, 0xffff_ffff, 1), 0);
    assert_eq!(reference(Lsh, w, 1, 33), 2);
    assert_eq!(reference(Sdiv, w, 0x8000_0000, u64::MAX), 0x8000_0000);
    assert_eq!(reference(Movsx { bits: 8 }, w, 0, 0x80), 0xffff_ff80);
    assert_eq!(reference(Neg, w, 1, 0), 0xffff_ffff);
}
