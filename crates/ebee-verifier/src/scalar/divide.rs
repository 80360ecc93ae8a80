//! Division and remainder on one width's view: the kernel marks the result unknown; ebee
//! keeps the obvious bounds (`x / d <= x`, `x % c < c`, the exact result of constants,
//! monotonicity in the dividend for a constant divisor), with the ISA's `x / 0 = 0`,
//! `x % 0 = x`, `MIN / -1 = MIN`, `MIN % -1 = 0`.

use super::Num;

impl Num {
    /// Unsigned division, `x / 0 = 0` (the kernel does not track it).
    pub(crate) fn udiv(self, o: Num) -> Num {
        let mut r = Num::unknown(self.bits);
        match o.as_const() {
            Some(0) => return Num::constant(self.bits, 0),
            Some(c) if c.is_power_of_two() => return self.rsh(c.trailing_zeros()),
            Some(c) => (r.umin, r.umax) = (self.umin / c, self.umax / c),
            None if o.umin > 0 => {
                (r.umin, r.umax) = (self.umin / o.umax.max(o.umin), self.umax / o.umin)
            }
            // `x / 0 = 0` and `x / d <= x`.
            None => (r.umin, r.umax) = (0, self.umax),
        }
        r.set_s_from_u();
        r
    }

    /// Unsigned remainder, `x % 0 = x`.
    pub(crate) fn umod(self, o: Num) -> Num {
        let mut r = Num::unknown(self.bits);
        match o.as_const() {
            Some(0) => return self,
            Some(c) if self.umax < c => return self,
            Some(c) if c.is_power_of_two() => return self.and(Num::constant(self.bits, c - 1)),
            Some(c) if self.umin / c == self.umax / c => {
                (r.umin, r.umax) = (self.umin % c, self.umax % c)
            }
            Some(c) => (r.umin, r.umax) = (0, c - 1),
            None if o.umin > self.umax => return self,
            None if o.umin > 0 => (r.umin, r.umax) = (0, self.umax.min(o.umax.max(o.umin) - 1)),
            None => (r.umin, r.umax) = (0, self.umax),
        }
        r.set_s_from_u();
        r
    }

    /// Bounds of `x / d` (truncating) for `x` in `smin..=smax`, `d` in `p..=q`, `p >= 1`.
    fn sdiv_pos(&self, p: i128, q: i128) -> (i128, i128) {
        let (a, b, q) = (self.smin as i128, self.smax as i128, q.max(p));
        let lo = if a < 0 { a / p } else { a / q };
        let hi = if b >= 0 { b / p } else { b / q };
        (lo, hi)
    }

    /// Signed division, `x / 0 = 0`, `MIN / -1 = MIN`.
    pub(crate) fn sdiv(self, o: Num) -> Num {
        let mut r = Num::unknown(self.bits);
        let (p, q) = (o.smin as i128, o.smax as i128);
        let (lo, hi) = if p == q {
            match p {
                0 => return Num::constant(self.bits, 0),
                -1 => return self.wrapping_neg(),
                1 => return self,
                c if c > 0 => (self.smin as i128 / c, self.smax as i128 / c),
                c => (self.smax as i128 / c, self.smin as i128 / c),
            }
        } else if p >= 1 {
            self.sdiv_pos(p, q)
        } else if q <= -2 {
            let (lo, hi) = self.sdiv_pos(-q, -p);
            (-hi, -lo)
        } else {
            // `|x / d| <= |x|`, except `MIN / -1`.
            let m = (self.smin as i128).abs().max((self.smax as i128).abs());
            (-m, m)
        };
        r.set_s(lo, hi);
        r.set_u_from_s();
        r
    }

    /// Signed remainder (sign of the dividend), `x % 0 = x`, `MIN % -1 = 0`.
    pub(crate) fn smod(self, o: Num) -> Num {
        let mut r = Num::unknown(self.bits);
        let (p, q) = (o.smin as i128, o.smax as i128);
        let (a, b) = (self.smin as i128, self.smax as i128);
        let (lo, hi) = if p == q {
            let c = p.abs();
            if c == 0 {
                return self;
            }
            let m = c - 1;
            if a / c == b / c {
                // One quotient for the whole range: the remainder grows with `x`.
                let k = (a / c) * c;
                (a - k, b - k)
            } else {
                (
                    if a < 0 { a.max(-m) } else { 0 },
                    if b > 0 { b.min(m) } else { 0 },
                )
            }
        } else if p > 0 || q < 0 {
            let m = p.abs().max(q.abs()) - 1;
            (
                if a < 0 { a.max(-m) } else { 0 },
                if b > 0 { b.min(m) } else { 0 },
            )
        } else {
            // `d` may be 0 (`x % 0 = x`); otherwise `|x % d| <= |x|` with the sign of `x`.
            (a.min(0), b.max(0))
        };
        r.set_s(lo, hi);
        r.set_u_from_s();
        r
    }
}
