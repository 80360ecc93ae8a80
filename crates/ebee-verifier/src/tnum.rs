//! Tristate numbers ("tnums", the kernel's `kernel/bpf/tnum.c`): what is known about the
//! individual bits of a 64-bit value. A bit is known when its `mask` bit is 0, and then its
//! value is the `value` bit; a bit whose `mask` bit is 1 may be 0 or 1. Invariant:
//! `value & mask == 0`.
//!
//! Every operation is sound: its result contains the concrete result for every pair of
//! members of its operands. The arithmetic ones are the kernel's algorithms.

/// Known bits of a 64-bit value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tnum {
    /// The known bits' values (0 where unknown).
    pub value: u64,
    /// The unknown bits.
    pub mask: u64,
}

/// The low `bits` bits set (`bits` up to 64).
pub(crate) const fn low_bits(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

impl Tnum {
    /// Every bit known: the constant `value`.
    pub const fn constant(value: u64) -> Tnum {
        Tnum { value, mask: 0 }
    }

    /// Nothing known.
    pub const UNKNOWN: Tnum = Tnum {
        value: 0,
        mask: u64::MAX,
    };

    /// The bits common to every value of `min..=max` (the kernel's `tnum_range`): the
    /// leading bits the two bounds share are known, the rest unknown. `min <= max`.
    pub fn range(min: u64, max: u64) -> Tnum {
        let bits = 64 - (min ^ max).leading_zeros();
        if bits > 63 {
            return Tnum::UNKNOWN;
        }
        let delta = low_bits(bits);
        Tnum {
            value: min & !delta,
            mask: delta,
        }
    }

    /// Whether every bit is known.
    pub const fn is_constant(self) -> bool {
        self.mask == 0
    }

    /// Whether nothing is known.
    pub const fn is_unknown(self) -> bool {
        self.mask == u64::MAX
    }

    /// Whether `v` agrees with every known bit.
    pub const fn contains(self, v: u64) -> bool {
        v & !self.mask == self.value
    }

    /// Whether every member of `self` is a member of `other` (the kernel's
    /// `tnum_in(other, self)`).
    pub const fn is_subset_of(self, other: Tnum) -> bool {
        self.mask & !other.mask == 0 && self.value & !other.mask == other.value
    }

    /// The smallest member (unsigned).
    pub const fn min(self) -> u64 {
        self.value
    }

    /// The largest member (unsigned).
    pub const fn max(self) -> u64 {
        self.value | self.mask
    }

    /// The smallest member `>= x`, `None` when every member is `< x`.
    pub fn next_member(self, x: u64) -> Option<u64> {
        // `x` with its unknown bits kept and its known bits forced.
        let cand = self.value | (x & self.mask);
        if cand == x {
            return Some(x);
        }
        // The highest bit where `cand` and `x` differ is a known bit.
        let p = 63 - (cand ^ x).leading_zeros();
        let below = low_bits(p);
        if cand & (1 << p) != 0 {
            // Already above `x` at bit p: the unknown bits below it can all be 0.
            return Some(cand & !(self.mask & below));
        }
        // Below `x` at bit p: set the lowest unknown bit above p that is 0 in `x`.
        let above = !(below | (1 << p));
        let free_zero = self.mask & !x & above;
        if free_zero == 0 {
            return None;
        }
        let q = free_zero.trailing_zeros();
        let below_q = low_bits(q);
        Some((cand & !below_q) | (1 << q) | (self.value & below_q))
    }

    /// The largest member `<= x`, `None` when every member is `> x`.
    pub fn prev_member(self, x: u64) -> Option<u64> {
        // The complement of every member is a member of `flipped`.
        let flipped = Tnum {
            value: !self.value & !self.mask,
            mask: self.mask,
        };
        flipped.next_member(!x).map(|v| !v)
    }

    /// The smallest member `>= x` in the signed order, `None` when every member is `< x`.
    pub fn next_signed_member(self, x: i64) -> Option<i64> {
        // Flipping the sign bit maps the signed order to the unsigned order.
        const SIGN: u64 = 1 << 63;
        let flipped = Tnum {
            value: self.value ^ (SIGN & !self.mask),
            mask: self.mask,
        };
        flipped
            .next_member(x as u64 ^ SIGN)
            .map(|v| (v ^ SIGN) as i64)
    }

    /// The largest member `<= x` in the signed order, `None` when every member is `> x`.
    pub fn prev_signed_member(self, x: i64) -> Option<i64> {
        const SIGN: u64 = 1 << 63;
        let flipped = Tnum {
            value: self.value ^ (SIGN & !self.mask),
            mask: self.mask,
        };
        flipped
            .prev_member(x as u64 ^ SIGN)
            .map(|v| (v ^ SIGN) as i64)
    }

    /// Wrapping sum (the kernel's `tnum_add`).
    pub fn wrapping_add(self, other: Tnum) -> Tnum {
        let sm = self.mask.wrapping_add(other.mask);
        let sv = self.value.wrapping_add(other.value);
        let sigma = sm.wrapping_add(sv);
        let chi = sigma ^ sv;
        let mu = chi | self.mask | other.mask;
        Tnum {
            value: sv & !mu,
            mask: mu,
        }
    }

    /// Wrapping difference (the kernel's `tnum_sub`).
    pub fn wrapping_sub(self, other: Tnum) -> Tnum {
        let dv = self.value.wrapping_sub(other.value);
        let alpha = dv.wrapping_add(self.mask);
        let beta = dv.wrapping_sub(other.mask);
        let chi = alpha ^ beta;
        let mu = chi | self.mask | other.mask;
        Tnum {
            value: dv & !mu,
            mask: mu,
        }
    }

    /// Two's complement negation.
    pub fn wrapping_neg(self) -> Tnum {
        Tnum::constant(0).wrapping_sub(self)
    }

    /// Wrapping product (the kernel's `tnum_mul`).
    pub fn wrapping_mul(self, other: Tnum) -> Tnum {
        let acc_v = self.value.wrapping_mul(other.value);
        let mut acc_m = Tnum::constant(0);
        let (mut a, mut b) = (self, other);
        while a.value != 0 || a.mask != 0 {
            if a.value & 1 != 0 {
                acc_m = acc_m.wrapping_add(Tnum {
                    value: 0,
                    mask: b.mask,
                });
            } else if a.mask & 1 != 0 {
                acc_m = acc_m.wrapping_add(Tnum {
                    value: 0,
                    mask: b.value | b.mask,
                });
            }
            a = a.rshift(1);
            b = b.lshift(1);
        }
        Tnum::constant(acc_v).wrapping_add(acc_m)
    }

    /// Bitwise and (the kernel's `tnum_and`).
    pub fn and(self, other: Tnum) -> Tnum {
        let alpha = self.value | self.mask;
        let beta = other.value | other.mask;
        let v = self.value & other.value;
        Tnum {
            value: v,
            mask: alpha & beta & !v,
        }
    }

    /// Bitwise or (the kernel's `tnum_or`).
    pub fn or(self, other: Tnum) -> Tnum {
        let v = self.value | other.value;
        let mu = self.mask | other.mask;
        Tnum {
            value: v,
            mask: mu & !v,
        }
    }

    /// Bitwise exclusive or (the kernel's `tnum_xor`).
    pub fn xor(self, other: Tnum) -> Tnum {
        let v = self.value ^ other.value;
        let mu = self.mask | other.mask;
        Tnum {
            value: v & !mu,
            mask: mu,
        }
    }

    /// Left shift by `k` (0 when `k >= 64`).
    pub fn lshift(self, k: u32) -> Tnum {
        if k >= 64 {
            return Tnum::constant(0);
        }
        Tnum {
            value: self.value << k,
            mask: self.mask << k,
        }
    }

    /// Logical right shift by `k` (0 when `k >= 64`).
    pub fn rshift(self, k: u32) -> Tnum {
        if k >= 64 {
            return Tnum::constant(0);
        }
        Tnum {
            value: self.value >> k,
            mask: self.mask >> k,
        }
    }

    /// Arithmetic right shift by `k` of the low `bits` bits (the kernel's `tnum_arshift`
    /// for `bits` 32 or 64), the result truncated to `bits` bits. `k < bits`.
    pub fn arshift(self, k: u32, bits: u32) -> Tnum {
        let t = self.sign_extend(bits);
        let k = k.min(63);
        Tnum {
            value: ((t.value as i64) >> k) as u64,
            mask: ((t.mask as i64) >> k) as u64,
        }
        .truncate(bits)
    }

    /// The low `bits` bits, the others known 0 (the kernel's `tnum_cast` in bits).
    pub const fn truncate(self, bits: u32) -> Tnum {
        let m = low_bits(bits);
        Tnum {
            value: self.value & m,
            mask: self.mask & m,
        }
    }

    /// The low `bits` bits sign-extended from bit `bits - 1` (`1 <= bits <= 64`).
    pub fn sign_extend(self, bits: u32) -> Tnum {
        if bits >= 64 || bits == 0 {
            return self;
        }
        let s = 64 - bits;
        Tnum {
            value: (((self.value << s) as i64) >> s) as u64,
            mask: (((self.mask << s) as i64) >> s) as u64,
        }
    }

    /// The low `bytes` bytes in reverse order, the others known 0.
    pub fn swap_bytes(self, bytes: u32) -> Tnum {
        let bytes = bytes.clamp(1, 8);
        let s = 64 - 8 * bytes;
        let t = self.truncate(8 * bytes);
        Tnum {
            value: t.value.swap_bytes() >> s,
            mask: t.mask.swap_bytes() >> s,
        }
    }

    /// The low 32 bits (the kernel's `tnum_subreg`).
    pub const fn subreg(self) -> Tnum {
        self.truncate(32)
    }

    /// The high 32 bits, the low 32 bits known 0 (the kernel's `tnum_clear_subreg`).
    pub const fn clear_subreg(self) -> Tnum {
        Tnum {
            value: self.value & !0xffff_ffff,
            mask: self.mask & !0xffff_ffff,
        }
    }

    /// The high 32 bits of `self` with the low 32 bits of `sub` (`tnum_with_subreg`).
    pub const fn with_subreg(self, sub: Tnum) -> Tnum {
        let (h, l) = (self.clear_subreg(), sub.subreg());
        Tnum {
            value: h.value | l.value,
            mask: h.mask | l.mask,
        }
    }

    /// What both know (the kernel's `tnum_intersect`): exact when the two have a common
    /// member; when they contradict each other the result is meaningless (see
    /// [`Tnum::checked_intersect`]).
    pub const fn intersect(self, other: Tnum) -> Tnum {
        let v = self.value | other.value;
        let mu = self.mask & other.mask;
        Tnum {
            value: v & !mu,
            mask: mu,
        }
    }

    /// The members of both, `None` when a bit is known differently in the two.
    pub const fn checked_intersect(self, other: Tnum) -> Option<Tnum> {
        if (self.value ^ other.value) & !self.mask & !other.mask != 0 {
            None
        } else {
            Some(self.intersect(other))
        }
    }

    /// The least tnum containing the members of both.
    pub const fn union(self, other: Tnum) -> Tnum {
        let mu = self.mask | other.mask | (self.value ^ other.value);
        Tnum {
            value: self.value & !mu,
            mask: mu,
        }
    }
}

impl std::fmt::Display for Tnum {
    /// Kernel-log style: `(0x0; 0xff)` (value; mask).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({:#x}; {:#x})", self.value, self.mask)
    }
}
