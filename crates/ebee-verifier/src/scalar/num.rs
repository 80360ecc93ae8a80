//! One width's view of a [`Scalar`](super::Scalar): known bits and unsigned and signed
//! bounds of a `bits`-bit value (32 or 64), and the ALU transfer functions on it, written
//! once for both widths (the kernel's `scalar_min_max_*` and `scalar32_min_max_*` pairs).
//!
//! The unsigned values are kept in the low `bits` bits of a `u64`, the signed ones
//! sign-extended in an `i64`; the tnum has no bit above `bits`. Arithmetic is done in `i128`
//! and the exact integer bounds are wrapped back when they lie in one `2^bits` block.

use crate::tnum::{low_bits, Tnum};

/// Known bits and bounds of a `bits`-bit value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Num {
    pub(crate) bits: u32,
    pub(crate) t: Tnum,
    pub(crate) umin: u64,
    pub(crate) umax: u64,
    pub(crate) smin: i64,
    pub(crate) smax: i64,
}

/// `x` (an integer) wrapped to `bits` bits, signed.
fn wrap_s(bits: u32, x: i128) -> i64 {
    let s = 64 - bits;
    ((x as u64) << s) as i64 >> s
}

impl Num {
    pub(super) fn umask(&self) -> u64 {
        low_bits(self.bits)
    }

    pub(super) fn s_lo(&self) -> i64 {
        wrap_s(self.bits, 1i128 << (self.bits - 1))
    }

    pub(super) fn s_hi(&self) -> i64 {
        (low_bits(self.bits) >> 1) as i64
    }

    pub(crate) fn unknown(bits: u32) -> Num {
        let mut n = Num {
            bits,
            t: Tnum::UNKNOWN.truncate(bits),
            umin: 0,
            umax: 0,
            smin: 0,
            smax: 0,
        };
        n.set_u_unknown();
        n.set_s_unknown();
        n
    }

    pub(crate) fn constant(bits: u32, v: u64) -> Num {
        let v = v & low_bits(bits);
        let s = wrap_s(bits, v as i128);
        Num {
            bits,
            t: Tnum::constant(v),
            umin: v,
            umax: v,
            smin: s,
            smax: s,
        }
    }

    /// The value when exactly one (bounds come synced, so the unsigned ones tell).
    pub(crate) fn as_const(&self) -> Option<u64> {
        if self.t.is_constant() {
            Some(self.t.value)
        } else if self.umin == self.umax {
            Some(self.umin)
        } else {
            None
        }
    }

    pub(super) fn with(&self, t: Tnum) -> Num {
        let mut n = Num::unknown(self.bits);
        n.t = t.truncate(self.bits);
        n
    }

    pub(super) fn set_u_unknown(&mut self) {
        (self.umin, self.umax) = (0, self.umask());
    }

    pub(super) fn set_s_unknown(&mut self) {
        (self.smin, self.smax) = (self.s_lo(), self.s_hi());
    }

    /// Unsigned bounds from exact integer bounds of the results.
    pub(super) fn set_u(&mut self, lo: i128, hi: i128) {
        if lo >> self.bits == hi >> self.bits {
            let m = self.umask() as i128;
            (self.umin, self.umax) = ((lo & m) as u64, (hi & m) as u64);
        } else {
            self.set_u_unknown();
        }
    }

    /// Signed bounds from exact integer bounds of the results.
    pub(super) fn set_s(&mut self, lo: i128, hi: i128) {
        let off = 1i128 << (self.bits - 1);
        if (lo + off) >> self.bits == (hi + off) >> self.bits {
            (self.smin, self.smax) = (wrap_s(self.bits, lo), wrap_s(self.bits, hi));
        } else {
            self.set_s_unknown();
        }
    }

    /// Signed bounds equal to the unsigned ones when those do not cross the sign bit.
    pub(super) fn set_s_from_u(&mut self) {
        let (lo, hi) = (
            wrap_s(self.bits, self.umin as i128),
            wrap_s(self.bits, self.umax as i128),
        );
        if lo <= hi {
            (self.smin, self.smax) = (lo, hi);
        } else {
            self.set_s_unknown();
        }
    }

    /// Unsigned bounds equal to the signed ones when those do not cross zero.
    pub(super) fn set_u_from_s(&mut self) {
        if (self.smin >= 0) == (self.smax >= 0) {
            let m = self.umask();
            (self.umin, self.umax) = (self.smin as u64 & m, self.smax as u64 & m);
        } else {
            self.set_u_unknown();
        }
    }

    /// What both say (both describe the same set).
    pub(crate) fn meet(self, o: Num) -> Num {
        Num {
            bits: self.bits,
            t: self.t.checked_intersect(o.t).unwrap_or(self.t),
            umin: self.umin.max(o.umin),
            umax: self.umax.min(o.umax),
            smin: self.smin.max(o.smin),
            smax: self.smax.min(o.smax),
        }
    }

    pub(crate) fn wrapping_add(self, o: Num) -> Num {
        let mut r = self.with(self.t.wrapping_add(o.t));
        r.set_u(
            self.umin as i128 + o.umin as i128,
            self.umax as i128 + o.umax as i128,
        );
        r.set_s(
            self.smin as i128 + o.smin as i128,
            self.smax as i128 + o.smax as i128,
        );
        r
    }

    pub(crate) fn wrapping_sub(self, o: Num) -> Num {
        let mut r = self.with(self.t.wrapping_sub(o.t));
        r.set_u(
            self.umin as i128 - o.umax as i128,
            self.umax as i128 - o.umin as i128,
        );
        r.set_s(
            self.smin as i128 - o.smax as i128,
            self.smax as i128 - o.smin as i128,
        );
        r
    }

    pub(crate) fn wrapping_neg(self) -> Num {
        Num::constant(self.bits, 0).wrapping_sub(self)
    }

    pub(crate) fn wrapping_mul(self, o: Num) -> Num {
        let mut r = self.with(self.t.wrapping_mul(o.t));
        let lo = (self.umin as i128).checked_mul(o.umin as i128);
        match (lo, (self.umax as i128).checked_mul(o.umax as i128)) {
            (Some(lo), Some(hi)) => r.set_u(lo, hi),
            _ => r.set_u_unknown(),
        }
        let (a, b) = (self.smin as i128, self.smax as i128);
        let (c, d) = (o.smin as i128, o.smax as i128);
        let corners = [a * c, a * d, b * c, b * d];
        r.set_s(
            *corners.iter().min().unwrap(),
            *corners.iter().max().unwrap(),
        );
        r
    }

    pub(crate) fn and(self, o: Num) -> Num {
        let mut r = self.with(self.t.and(o.t));
        // The minimum from the known bits, the maximum the smaller operand's.
        (r.umin, r.umax) = (r.t.value, self.umax.min(o.umax));
        r.set_s_from_u();
        // ebee: `x & y` with `y >= 0` is in `0..=y`; both negative, at most the smaller.
        let nonneg = [self, o]
            .into_iter()
            .filter(|n| n.smin >= 0)
            .map(|n| n.smax)
            .min();
        if let Some(hi) = nonneg {
            (r.smin, r.smax) = (r.smin.max(0), r.smax.min(hi));
        } else if self.smax < 0 && o.smax < 0 {
            r.smax = r.smax.min(self.smax.min(o.smax));
        }
        r
    }

    pub(crate) fn or(self, o: Num) -> Num {
        let mut r = self.with(self.t.or(o.t));
        (r.umin, r.umax) = (self.umin.max(o.umin), r.t.max());
        r.set_s_from_u();
        // ebee: `x | y` with `y < 0` is negative and at least `y`.
        let neg = [self, o]
            .into_iter()
            .filter(|n| n.smax < 0)
            .map(|n| n.smin)
            .max();
        if let Some(lo) = neg {
            (r.smin, r.smax) = (r.smin.max(lo), r.smax.min(-1));
        }
        r
    }

    pub(crate) fn xor(self, o: Num) -> Num {
        let mut r = self.with(self.t.xor(o.t));
        (r.umin, r.umax) = (r.t.value, r.t.max());
        r.set_s_from_u();
        r
    }

    /// Left shift by a constant `k < bits`.
    pub(crate) fn lsh(self, k: u32) -> Num {
        let mut r = self.with(self.t.lshift(k));
        if self.umax <= self.umask() >> k {
            (r.umin, r.umax) = (self.umin << k, self.umax << k);
        }
        if self.smin >= self.s_lo() >> k && self.smax <= self.s_hi() >> k {
            // ebee: the kernel only keeps signed bounds for `<< 32` of a non-negative s32.
            (r.smin, r.smax) = (self.smin << k, self.smax << k);
        }
        r
    }

    /// Logical right shift by a constant `k < bits`.
    pub(crate) fn rsh(self, k: u32) -> Num {
        if k == 0 {
            return self;
        }
        let mut r = self.with(self.t.rshift(k));
        (r.umin, r.umax) = (self.umin >> k, self.umax >> k);
        r.set_s_from_u();
        r
    }

    /// Arithmetic right shift by a constant `k < bits`.
    pub(crate) fn arsh(self, k: u32) -> Num {
        if k == 0 {
            return self;
        }
        let mut r = self.with(self.t.arshift(k, self.bits));
        (r.smin, r.smax) = (self.smin >> k, self.smax >> k);
        r.set_u_from_s();
        r
    }

    /// The low `n` bits (`n < bits`), zero-extended.
    pub(crate) fn truncate(self, n: u32) -> Num {
        let m = low_bits(n);
        let mut r = self.with(self.t.truncate(n));
        (r.umin, r.umax) = (0, m);
        if self.umin >> n == self.umax >> n {
            (r.umin, r.umax) = (self.umin & m, self.umax & m);
        }
        if self.smin >> n == self.smax >> n {
            let (lo, hi) = (self.smin as u64 & m, self.smax as u64 & m);
            (r.umin, r.umax) = (r.umin.max(lo), r.umax.min(hi));
        }
        (r.smin, r.smax) = (r.umin as i64, r.umax as i64);
        r
    }

    /// The low `n` bits (`1 <= n < bits`) sign-extended to `bits` bits.
    pub(crate) fn sext(self, n: u32) -> Num {
        let z = self.truncate(n);
        let half = 1u64 << (n - 1);
        let mut r = self.with(z.t.sign_extend(n));
        if z.umax < half {
            return z;
        }
        let span = 1i128 << n;
        if z.umin >= half {
            r.set_s(z.umin as i128 - span, z.umax as i128 - span);
            r.set_u_from_s();
        } else {
            (r.smin, r.smax) = (-(half as i64), half as i64 - 1);
            let top = (self.umask() as i128 + 1 - span + z.umax as i128) as u64;
            (r.umin, r.umax) = (z.umin, top);
        }
        r
    }
}
