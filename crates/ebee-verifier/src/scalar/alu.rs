//! ALU transfer functions on [`Scalar`]s: the kernel's `adjust_scalar_min_max_vals` (both
//! widths' bounds for the operations whose low 32 bits depend only on the operands' low 32
//! bits, `zext_32_to_64` for 32-bit results, `reg_bounds_sync` after each), the
//! `coerce_reg_to_size*` family for moves with sign extension, and ebee's sound answers where
//! the kernel gives up (division, remainder, negation, byte swaps, non-constant shifts).

use super::{Num, Scalar};
use crate::tnum::{low_bits, Tnum};
use ebee_isa::{AluOp, ByteOrder, Width};

/// The ISA's result of `d op s` at `width` (the constant case).
pub(crate) fn eval(op: AluOp, width: Width, d: u64, s: u64) -> u64 {
    match width {
        Width::W64 => eval64(op, d, s),
        Width::W32 => eval32(op, d as u32, s as u32) as u64,
    }
}

fn eval64(op: AluOp, d: u64, s: u64) -> u64 {
    let (sd, ss) = (d as i64, s as i64);
    match op {
        AluOp::Add => d.wrapping_add(s),
        AluOp::Sub => d.wrapping_sub(s),
        AluOp::Mul => d.wrapping_mul(s),
        AluOp::Div => d.checked_div(s).unwrap_or(0),
        AluOp::Sdiv => sd.checked_div(ss).unwrap_or(if ss == 0 { 0 } else { sd }) as u64,
        AluOp::Or => d | s,
        AluOp::And => d & s,
        AluOp::Lsh => d << (s & 63),
        AluOp::Rsh => d >> (s & 63),
        AluOp::Neg => d.wrapping_neg(),
        AluOp::Mod => d.checked_rem(s).unwrap_or(d),
        AluOp::Smod if ss == 0 => d,
        AluOp::Smod => sd.wrapping_rem(ss) as u64,
        AluOp::Xor => d ^ s,
        AluOp::Mov => s,
        AluOp::Movsx { bits } if (1..64).contains(&bits) => {
            let k = 64 - u32::from(bits);
            ((s << k) as i64 >> k) as u64
        }
        AluOp::Movsx { .. } => s,
        AluOp::Arsh => (sd >> (s & 63)) as u64,
    }
}

fn eval32(op: AluOp, d: u32, s: u32) -> u32 {
    let (sd, ss) = (d as i32, s as i32);
    match op {
        AluOp::Add => d.wrapping_add(s),
        AluOp::Sub => d.wrapping_sub(s),
        AluOp::Mul => d.wrapping_mul(s),
        AluOp::Div => d.checked_div(s).unwrap_or(0),
        AluOp::Sdiv => sd.checked_div(ss).unwrap_or(if ss == 0 { 0 } else { sd }) as u32,
        AluOp::Or => d | s,
        AluOp::And => d & s,
        AluOp::Lsh => d << (s & 31),
        AluOp::Rsh => d >> (s & 31),
        AluOp::Neg => d.wrapping_neg(),
        AluOp::Mod => d.checked_rem(s).unwrap_or(d),
        AluOp::Smod if ss == 0 => d,
        AluOp::Smod => sd.wrapping_rem(ss) as u32,
        AluOp::Xor => d ^ s,
        AluOp::Movsx { bits } if (1..32).contains(&bits) => {
            let k = 32 - u32::from(bits);
            ((s << k) as i32 >> k) as u32
        }
        AluOp::Mov | AluOp::Movsx { .. } => s,
        AluOp::Arsh => (sd >> (s & 31)) as u32,
    }
}

pub(crate) fn alu(d: Scalar, op: AluOp, width: Width, s: Scalar) -> Scalar {
    let (dc, sc) = (d.as_constant(), s.as_constant());
    let folded = match op {
        AluOp::Neg => dc.map(|d| (d, 0)),
        AluOp::Mov | AluOp::Movsx { .. } => sc.map(|s| (0, s)),
        _ => dc.zip(sc),
    };
    if let Some((dv, sv)) = folded {
        return Scalar::constant(eval(op, width, dv, sv));
    }
    match width {
        Width::W64 => alu64(d, op, s),
        Width::W32 => alu32(d, op, s),
    }
}

fn alu64(d: Scalar, op: AluOp, s: Scalar) -> Scalar {
    let (a, b, a32, b32) = (d.view64(), s.view64(), d.view32(), s.view32());
    let unknown32 = Num::unknown(32);
    match op {
        AluOp::Add => from_parts(a.wrapping_add(b), a32.wrapping_add(b32)),
        AluOp::Sub => from_parts(a.wrapping_sub(b), a32.wrapping_sub(b32)),
        AluOp::Mul => from_parts(a.wrapping_mul(b), a32.wrapping_mul(b32)),
        AluOp::And => from_parts(a.and(b), a32.and(b32)),
        AluOp::Or => from_parts(a.or(b), a32.or(b32)),
        AluOp::Xor => from_parts(a.xor(b), a32.xor(b32)),
        AluOp::Neg => from_parts(a.wrapping_neg(), a32.wrapping_neg()),
        AluOp::Mod | AluOp::Smod if s.as_constant() == Some(0) => d,
        AluOp::Div => from_parts(a.udiv(b), unknown32),
        AluOp::Sdiv => from_parts(a.sdiv(b), unknown32),
        AluOp::Mod => from_parts(a.umod(b), unknown32),
        AluOp::Smod => from_parts(a.smod(b), unknown32),
        AluOp::Mov => s,
        AluOp::Movsx { bits: 0 | 64.. } => s,
        AluOp::Movsx { bits: 32 } => from_sext32(b32),
        AluOp::Movsx { bits: n @ 1..32 } => from_sext32(b32.sext(n.into())),
        // Not an instruction (the ISA has 8, 16 and 32).
        AluOp::Movsx { .. } => Scalar::unknown(),
        AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => shift(d, op, Width::W64, s),
    }
}

fn alu32(d: Scalar, op: AluOp, s: Scalar) -> Scalar {
    let (a, b) = (d.view32(), s.view32());
    let r = match op {
        AluOp::Add => a.wrapping_add(b),
        AluOp::Sub => a.wrapping_sub(b),
        AluOp::Mul => a.wrapping_mul(b),
        AluOp::And => a.and(b),
        AluOp::Or => a.or(b),
        AluOp::Xor => a.xor(b),
        AluOp::Neg => a.wrapping_neg(),
        AluOp::Div => a.udiv(b),
        AluOp::Sdiv => a.sdiv(b),
        AluOp::Mod => a.umod(b),
        AluOp::Smod => a.smod(b),
        AluOp::Mov => b,
        AluOp::Movsx { bits: n @ 1..32 } => b.sext(n.into()),
        AluOp::Movsx { .. } => b,
        AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => return shift(d, op, Width::W32, s),
    };
    from_low32(r)
}

/// A 64-bit result from what is known of it at 64 bits (`r64`) and of its low 32 bits.
fn from_parts(r64: Num, r32: Num) -> Scalar {
    let mut s = Scalar {
        var_off: r64
            .t
            .checked_intersect(Tnum::UNKNOWN.with_subreg(r32.t))
            .unwrap_or(r64.t),
        umin: r64.umin,
        umax: r64.umax,
        smin: r64.smin,
        smax: r64.smax,
        u32_min: r32.umin as u32,
        u32_max: r32.umax as u32,
        s32_min: r32.smin as i32,
        s32_max: r32.smax as i32,
    };
    s.sync();
    s
}

/// A 32-bit result zero-extended (`zext_32_to_64`; the kernel keeps the signed 64-bit
/// bounds only when the s32 ones are non-negative, but a zero-extended value's signed bounds
/// are its unsigned ones).
fn from_low32(r: Num) -> Scalar {
    let mut s = Scalar {
        var_off: r.t.subreg(),
        umin: r.umin,
        umax: r.umax,
        smin: r.umin as i64,
        smax: r.umax as i64,
        u32_min: r.umin as u32,
        u32_max: r.umax as u32,
        s32_min: r.smin as i32,
        s32_max: r.smax as i32,
    };
    s.sync();
    s
}

/// A 32-bit value sign-extended to 64 bits (`coerce_reg_to_size_sx`, more precisely: the
/// signed value is unchanged, the low half too).
fn from_sext32(r: Num) -> Scalar {
    const HIGH: u64 = 0xffff_ffff_0000_0000;
    let mut s = Scalar {
        var_off: r.t.sign_extend(32),
        // The smallest member is the smallest non-negative one if any, the largest the
        // largest negative one if any.
        umin: if r.smax < 0 { HIGH | r.umin } else { r.umin },
        umax: if r.smin < 0 { HIGH | r.umax } else { r.umax },
        smin: r.smin,
        smax: r.smax,
        u32_min: r.umin as u32,
        u32_max: r.umax as u32,
        s32_min: r.smin as i32,
        s32_max: r.smax as i32,
    };
    s.sync();
    s
}

/// The shift amounts `s & (width - 1)` can take, as a bit set.
fn shift_amounts(s: &Scalar, bits: u32) -> u64 {
    let low = s.var_off.truncate(bits.trailing_zeros());
    let mut set = 0u64;
    for k in 0..u64::from(bits) {
        let in_range = |min: u64, max: u64| max >= u64::from(bits) || (min..=max).contains(&k);
        if low.contains(k)
            && in_range(s.umin, s.umax)
            && in_range(s.u32_min.into(), s.u32_max.into())
        {
            set |= 1 << k;
        }
    }
    set
}

/// A shift by a scalar: the union of the shifts by each amount it can take (the kernel
/// follows the constant case only; a range of amounts is ebee's union).
fn shift(d: Scalar, op: AluOp, width: Width, s: Scalar) -> Scalar {
    let bits = if width == Width::W64 { 64 } else { 32 };
    let mut set = shift_amounts(&s, bits);
    let mut acc: Option<Scalar> = None;
    while set != 0 {
        let k = set.trailing_zeros();
        set &= set - 1;
        let r = shift_const(d, op, width, k);
        acc = Some(acc.map_or(r, |a| a.union(&r)));
    }
    acc.unwrap_or_else(|| match width {
        Width::W64 => Scalar::unknown(),
        Width::W32 => Scalar::loaded(4, false),
    })
}

/// A shift by a constant `k` (less than the width): `scalar_min_max_{lsh,rsh,arsh}`.
fn shift_const(d: Scalar, op: AluOp, width: Width, k: u32) -> Scalar {
    let (a, a32) = (d.view64(), d.view32());
    match (width, op) {
        (Width::W32, AluOp::Lsh) => from_low32(a32.lsh(k)),
        (Width::W32, AluOp::Rsh) => from_low32(a32.rsh(k)),
        (Width::W32, _) => from_low32(a32.arsh(k)),
        (Width::W64, AluOp::Lsh) if k < 32 => from_parts(a.lsh(k), a32.lsh(k)),
        (Width::W64, AluOp::Lsh) => {
            // Only the low half of `d` matters: `d << k` is `(d << (k - 32)) as u32`
            // moved to the high half, and as signed, that s32 value times 2^32.
            let h = a32.lsh(k - 32);
            let high = Num {
                bits: 64,
                t: h.t.lshift(32),
                umin: h.umin << 32,
                umax: h.umax << 32,
                smin: h.smin << 32,
                smax: h.smax << 32,
            };
            from_parts(a.lsh(k).meet(high), Num::constant(32, 0))
        }
        (Width::W64, AluOp::Rsh) => from_parts(a.rsh(k), Num::unknown(32)),
        (Width::W64, _) => from_parts(a.arsh(k), Num::unknown(32)),
    }
}

/// The low `n` bits of `d`, zero-extended (`coerce_reg_to_size`).
fn truncate(d: Scalar, n: u32) -> Scalar {
    match n {
        64.. => d,
        32 => from_low32(d.view32()),
        _ => from_low32(d.view32().truncate(n)),
    }
}

pub(crate) fn endian(d: Scalar, order: ByteOrder, bits: u8) -> Scalar {
    let n = u32::from(bits);
    if !matches!(n, 16 | 32 | 64) {
        return Scalar::unknown();
    }
    match order {
        ByteOrder::ToLe => truncate(d, n),
        ByteOrder::ToBe | ByteOrder::Swap => match d.as_constant() {
            Some(c) => Scalar::constant((c & low_bits(n)).swap_bytes() >> (64 - n)),
            // ebee: a byte swap moves known bits; the kernel forgets all.
            None => Scalar::from_tnum(truncate(d, n).var_off.swap_bytes(n / 8)),
        },
    }
}
