//! The kernel log's way of printing a scalar (`print_scalar_ranges`, `verbose_snum`,
//! `verbose_unum`, `tnum_strn` in kernel/bpf/log.c): a constant as its signed number, else
//! `scalar(` and the bounds that say something, equal ones of the same sign merged
//! (`smax=umax=255`), then the known bits.

use super::Scalar;
use std::fmt;

/// Decimal within `i16`, else hex of the bit pattern (`verbose_snum`).
fn snum(f: &mut fmt::Formatter<'_>, v: i64) -> fmt::Result {
    if (i64::from(i16::MIN)..=i64::from(i16::MAX)).contains(&v) {
        write!(f, "{v}")
    } else {
        write!(f, "{:#x}", v as u64)
    }
}

/// Decimal up to `u16::MAX`, else hex (`verbose_unum`).
fn unum(f: &mut fmt::Formatter<'_>, v: u64) -> fmt::Result {
    if v <= u64::from(u16::MAX) {
        write!(f, "{v}")
    } else {
        write!(f, "{v:#x}")
    }
}

impl fmt::Display for Scalar {
    /// A constant as its number (`0x2a` style for large values, decimal for small), else the
    /// bounds that say something, kernel-log style:
    /// `scalar(umax=255,var_off=(0x0; 0xff))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = self.as_constant() {
            return snum(f, c as i64);
        }
        // (name, value, omitted); a name starting with 's' is signed.
        let mut items = [
            ("smin", self.smin as u64, self.smin == i64::MIN),
            ("smax", self.smax as u64, self.smax == i64::MAX),
            ("umin", self.umin, self.umin == 0),
            ("umax", self.umax, self.umax == u64::MAX),
            (
                "smin32",
                self.s32_min as i64 as u64,
                self.s32_min == i32::MIN,
            ),
            (
                "smax32",
                self.s32_max as i64 as u64,
                self.s32_max == i32::MAX,
            ),
            ("umin32", self.u32_min.into(), self.u32_min == 0),
            ("umax32", self.u32_max.into(), self.u32_max == u32::MAX),
        ];
        let negative = |(name, v, _): (&str, u64, bool)| name.starts_with('s') && (v as i64) < 0;
        write!(f, "scalar(")?;
        let mut sep = "";
        for i in 0..items.len() {
            let (name, v, omit) = items[i];
            if omit {
                continue;
            }
            write!(f, "{sep}{name}=")?;
            sep = ",";
            // The same value later in the same column (min or max), same sign: merged.
            for j in (i + 2..items.len()).step_by(2) {
                let other = items[j];
                if !other.2 && other.1 == v && negative(other) == negative(items[i]) {
                    items[j].2 = true;
                    write!(f, "{}=", other.0)?;
                }
            }
            if name.starts_with('s') {
                snum(f, v as i64)?;
            } else {
                unum(f, v)?;
            }
        }
        if !self.var_off.is_unknown() {
            write!(f, "{sep}var_off={}", self.var_off)?;
        }
        write!(f, ")")
    }
}
