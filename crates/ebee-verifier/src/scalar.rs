//! The abstract value of a number: known bits ([`Tnum`]) and signed and unsigned 64- and
//! 32-bit ranges, kept consistent with each other, as the kernel's `bpf_reg_state` keeps
//! `var_off`, `umin/umax/smin/smax` and `u32_min/…/s32_max` (`reg_bounds_sync`).
//!
//! A [`Scalar`] stands for a set of 64-bit values: every `v` with `var_off` agreeing with `v`
//! on the known bits and `v` inside all eight bounds. Every operation is sound: the result
//! contains every concrete result of the operation on members of its operands.

use crate::tnum::Tnum;
use ebee_isa::{AluOp, ByteOrder, Cond, Width};

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
        todo!()
    }

    /// Exactly `value`.
    pub fn constant(value: u64) -> Scalar {
        todo!()
    }

    /// The unsigned range `min..=max` (with the known bits it implies).
    pub fn unsigned_range(min: u64, max: u64) -> Scalar {
        todo!()
    }

    /// Any value of `bytes` bytes, zero-extended (what a `bytes`-wide load gives: 1, 2, 4 or
    /// 8), or sign-extended from `bytes` bytes when `sign_extend` (`ldsx`).
    pub fn loaded(bytes: u8, sign_extend: bool) -> Scalar {
        todo!()
    }

    /// The value, when exactly one.
    pub fn as_constant(&self) -> Option<u64> {
        todo!()
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: u64) -> bool {
        todo!()
    }

    /// Whether every value of `self` is in `other` (the kernel's `range_within` and
    /// `tnum_in` together): state pruning asks this.
    pub fn is_subset_of(&self, other: &Scalar) -> bool {
        todo!()
    }

    /// The result of `self op operand` at `width`, with the ISA's semantics (32-bit results
    /// zero-extended, shifts masked, `x / 0 = 0`, `x % 0 = x`, signed overflow wrapping,
    /// `Neg` ignoring `operand`, `Mov`/`Movsx` giving `operand` / its sign extension).
    pub fn alu(self, op: AluOp, width: Width, operand: Scalar) -> Scalar {
        todo!()
    }

    /// The result of a byte-order instruction on `self` (`bits`: 16, 32 or 64).
    pub fn endian(self, order: ByteOrder, bits: u8) -> Scalar {
        todo!()
    }

    /// Whether `self cond operand` (at `width`) holds for every pair of members (`Some(true)`),
    /// for none (`Some(false)`), or is undecided (`None`): the kernel's `is_branch_taken`.
    pub fn decide(self, cond: Cond, width: Width, operand: Scalar) -> Option<bool> {
        todo!()
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
        todo!()
    }
}

impl std::fmt::Display for Scalar {
    /// A constant as its number (`0x2a` style for large values, decimal for small), else the
    /// bounds that say something, kernel-log style:
    /// `scalar(umax=255,var_off=(0x0; 0xff))`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        todo!()
    }
}
