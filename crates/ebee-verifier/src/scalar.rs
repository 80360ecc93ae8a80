//! The abstract value of a number: known bits ([`Tnum`]) and signed and unsigned 64- and
//! 32-bit ranges, kept consistent with each other, as the kernel's `bpf_reg_state` keeps
//! `var_off`, `umin/umax/smin/smax` and `u32_min/…/s32_max` (`reg_bounds_sync`).
//!
//! A [`Scalar`] stands for a set of 64-bit values: every `v` with `var_off` agreeing with `v`
//! on the known bits and `v` inside all eight bounds. Every operation is sound: the result
//! contains every concrete result of the operation on members of its operands.

use crate::tnum::Tnum;
use ebee_isa::{AluOp, ByteOrder, Cond, Width};

mod alu;
mod branch;
mod display;
mod divide;
mod num;
mod sync;

use num::Num;

/// A set of 64-bit values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scalar {
    /// Known bits.
    pub var_off: Tnum,
    /// Unsigned 64-bit bounds.
    pub umin: u64,
    /// Unsigned 64-bit upper bound.
    pub umax: u64,
    /// Signed 64-bit lower bound.
    pub smin: i64,
    /// Signed 64-bit upper bound.
    pub smax: i64,
    /// Unsigned bounds of the low 32 bits.
    pub u32_min: u32,
    /// Unsigned upper bound of the low 32 bits.
    pub u32_max: u32,
    /// Signed bounds of the low 32 bits.
    pub s32_min: i32,
    /// Signed upper bound of the low 32 bits.
    pub s32_max: i32,
}

impl Scalar {
    /// Any value.
    pub fn unknown() -> Scalar {
        Scalar {
            var_off: Tnum::UNKNOWN,
            umin: 0,
            umax: u64::MAX,
            smin: i64::MIN,
            smax: i64::MAX,
            u32_min: 0,
            u32_max: u32::MAX,
            s32_min: i32::MIN,
            s32_max: i32::MAX,
        }
    }

    /// Exactly `value`.
    pub fn constant(value: u64) -> Scalar {
        Scalar {
            var_off: Tnum::constant(value),
            umin: value,
            umax: value,
            smin: value as i64,
            smax: value as i64,
            u32_min: value as u32,
            u32_max: value as u32,
            s32_min: value as i32,
            s32_max: value as i32,
        }
    }

    /// The unsigned range `min..=max` (with the known bits it implies).
    ///
    /// Panics when `min > max`.
    pub fn unsigned_range(min: u64, max: u64) -> Scalar {
        assert!(min <= max, "empty range {min:#x}..={max:#x}");
        let mut s = Scalar {
            umin: min,
            umax: max,
            var_off: Tnum::range(min, max),
            ..Scalar::unknown()
        };
        s.sync();
        s
    }

    /// The signed range `min..=max` (with everything it implies).
    ///
    /// Panics when `min > max`.
    pub fn signed_range(min: i64, max: i64) -> Scalar {
        assert!(min <= max, "empty range {min}..={max}");
        let mut s = Scalar {
            smin: min,
            smax: max,
            ..Scalar::unknown()
        };
        s.sync();
        s
    }

    /// The values with the known bits of `var_off`.
    pub fn from_tnum(var_off: Tnum) -> Scalar {
        let mut s = Scalar {
            var_off,
            ..Scalar::unknown()
        };
        s.sync();
        s
    }

    /// Any value of `bytes` bytes, zero-extended (what a `bytes`-wide load gives: 1, 2, 4 or
    /// 8), or sign-extended from `bytes` bytes when `sign_extend` (`ldsx`).
    pub fn loaded(bytes: u8, sign_extend: bool) -> Scalar {
        let bits = 8 * u32::from(bytes.clamp(1, 8));
        if bits == 64 {
            Scalar::unknown()
        } else if sign_extend {
            let half = 1i64 << (bits - 1);
            Scalar::signed_range(-half, half - 1)
        } else {
            Scalar::unsigned_range(0, (1 << bits) - 1)
        }
    }

    /// The value, when exactly one.
    pub fn as_constant(&self) -> Option<u64> {
        if self.var_off.is_constant() {
            Some(self.var_off.value)
        } else if self.umin == self.umax {
            Some(self.umin)
        } else {
            None
        }
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: u64) -> bool {
        let (lo, slo) = (value as u32, value as i32);
        self.var_off.contains(value)
            && (self.umin..=self.umax).contains(&value)
            && (self.smin..=self.smax).contains(&(value as i64))
            && (self.u32_min..=self.u32_max).contains(&lo)
            && (self.s32_min..=self.s32_max).contains(&slo)
    }

    /// Whether every value of `self` is in `other` (the kernel's `range_within` and
    /// `tnum_in` together): state pruning asks this.
    pub fn is_subset_of(&self, other: &Scalar) -> bool {
        other.umin <= self.umin
            && self.umax <= other.umax
            && other.smin <= self.smin
            && self.smax <= other.smax
            && other.u32_min <= self.u32_min
            && self.u32_max <= other.u32_max
            && other.s32_min <= self.s32_min
            && self.s32_max <= other.s32_max
            && self.var_off.is_subset_of(other.var_off)
    }

    /// The least set (as this domain can say) containing the members of both.
    pub fn union(&self, other: &Scalar) -> Scalar {
        let mut s = Scalar {
            var_off: self.var_off.union(other.var_off),
            umin: self.umin.min(other.umin),
            umax: self.umax.max(other.umax),
            smin: self.smin.min(other.smin),
            smax: self.smax.max(other.smax),
            u32_min: self.u32_min.min(other.u32_min),
            u32_max: self.u32_max.max(other.u32_max),
            s32_min: self.s32_min.min(other.s32_min),
            s32_max: self.s32_max.max(other.s32_max),
        };
        s.sync();
        s
    }

    /// The smallest member (unsigned), `None` when the set is empty (which only a
    /// hand-built `Scalar` can be: every operation here gives a non-empty one).
    pub fn least_member(&self) -> Option<u64> {
        // The members split into at most two unsigned 64-bit intervals and two 32-bit
        // intervals of the low half; search each pair.
        let spans64 = spans(
            self.umin,
            self.umax,
            self.smin as u64,
            self.smax as u64,
            1 << 63,
        );
        let spans32 = spans(
            u64::from(self.u32_min),
            u64::from(self.u32_max),
            u64::from(self.s32_min as u32),
            u64::from(self.s32_max as u32),
            1 << 31,
        );
        spans64
            .iter()
            .flatten()
            .flat_map(|&a| spans32.iter().flatten().map(move |&b| (a, b)))
            .filter_map(|(a, b)| least_in(self.var_off, a, b))
            .min()
    }

    /// The 64-bit view.
    fn view64(&self) -> Num {
        Num {
            bits: 64,
            t: self.var_off,
            umin: self.umin,
            umax: self.umax,
            smin: self.smin,
            smax: self.smax,
        }
    }

    /// The view of the low 32 bits.
    fn view32(&self) -> Num {
        Num {
            bits: 32,
            t: self.var_off.subreg(),
            umin: self.u32_min.into(),
            umax: self.u32_max.into(),
            smin: self.s32_min.into(),
            smax: self.s32_max.into(),
        }
    }

    /// The result of `self op operand` at `width`, with the ISA's semantics (32-bit results
    /// zero-extended, shifts masked, `x / 0 = 0`, `x % 0 = x`, signed overflow wrapping,
    /// `Neg` ignoring `operand`, `Mov`/`Movsx` giving `operand` / its sign extension).
    pub fn alu(self, op: AluOp, width: Width, operand: Scalar) -> Scalar {
        alu::alu(self, op, width, operand)
    }

    /// The result of a byte-order instruction on `self` (`bits`: 16, 32 or 64).
    pub fn endian(self, order: ByteOrder, bits: u8) -> Scalar {
        alu::endian(self, order, bits)
    }

    /// Whether `self cond operand` (at `width`) holds for every pair of members (`Some(true)`),
    /// for none (`Some(false)`), or is undecided (`None`): the kernel's `is_branch_taken`.
    pub fn decide(self, cond: Cond, width: Width, operand: Scalar) -> Option<bool> {
        branch::decide(&self, cond, width, &operand)
    }

    /// `self` and `operand` narrowed to the pairs for which `self cond operand` (at
    /// `width`) is `holds`: the kernel's `reg_set_min_max` on the branch taken (`holds`
    /// true) or the fall-through (`holds` false). `None` when no pair satisfies it (the
    /// branch cannot be taken).
    pub fn refine(
        self,
        cond: Cond,
        width: Width,
        operand: Scalar,
        holds: bool,
    ) -> Option<(Scalar, Scalar)> {
        branch::refine(self, cond, width, operand, holds)
    }
}

/// The part of the unsigned interval `umin..=umax` inside the signed interval whose ends,
/// as unsigned, are `smin..=smax` (`sign` the sign bit): at most two intervals.
fn spans(umin: u64, umax: u64, smin: u64, smax: u64, sign: u64) -> [Option<(u64, u64)>; 2] {
    let meet = |lo: u64, hi: u64| {
        let (lo, hi) = (lo.max(umin), hi.min(umax));
        (lo <= hi).then_some((lo, hi))
    };
    if (smin & sign) == (smax & sign) {
        [meet(smin, smax), None]
    } else {
        // Negative `smin..=-1` (high as unsigned) and non-negative `0..=smax`.
        let top = if sign == 1 << 63 {
            u64::MAX
        } else {
            0xffff_ffff
        };
        [meet(0, smax), meet(smin, top)]
    }
}

/// The smallest `v` of `t` in `lo..=hi` whose low 32 bits are in `lo32..=hi32`.
fn least_in(t: Tnum, (lo, hi): (u64, u64), (lo32, hi32): (u64, u64)) -> Option<u64> {
    let (th, tl) = (t.rshift(32), t.subreg());
    let (h_lo, h_hi) = (lo >> 32, hi >> 32);
    // The smallest allowed low half in `from..=to`.
    let low = |from: u64, to: u64| {
        let from = from.max(lo32);
        tl.next_member(from).filter(|&l| l <= to.min(hi32))
    };
    let full = |h: u64| h << 32;
    if th.contains(h_lo) {
        let to = if h_lo == h_hi {
            hi & 0xffff_ffff
        } else {
            0xffff_ffff
        };
        if let Some(l) = low(lo & 0xffff_ffff, to) {
            return Some(full(h_lo) | l);
        }
    }
    if h_lo == h_hi {
        return None;
    }
    if let Some(h) = th.next_member(h_lo + 1).filter(|&h| h < h_hi) {
        if let Some(l) = low(0, 0xffff_ffff) {
            return Some(full(h) | l);
        }
    }
    if th.contains(h_hi) {
        if let Some(l) = low(0, hi & 0xffff_ffff) {
            return Some(full(h_hi) | l);
        }
    }
    None
}
