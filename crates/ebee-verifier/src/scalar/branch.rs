//! Conditional jumps on [`Scalar`]s: the kernel's `is_scalar_branch_taken` (decide) and
//! `regs_refine_cond_op` + `reg_bounds_sync` (refine), as of Linux 6.12, for JMP and JMP32.

use super::{Num, Scalar};
use crate::tnum::Tnum;
use ebee_isa::{Cond, Width};

/// Whether the equality of two views is decided (`Some(false)`: never equal).
fn eq_decided(a: &Num, b: &Num) -> Option<bool> {
    if let (Some(x), Some(y)) = (a.as_const(), b.as_const()) {
        return Some(x == y);
    }
    let disjoint = a.umin > b.umax
        || a.umax < b.umin
        || a.smin > b.smax
        || a.smax < b.smin
        // ebee: a bit known differently in the two.
        || a.t.checked_intersect(b.t).is_none();
    disjoint.then_some(false)
}

pub(super) fn decide(d: &Scalar, cond: Cond, width: Width, s: &Scalar) -> Option<bool> {
    let (a, b) = match width {
        Width::W64 => (d.view64(), s.view64()),
        Width::W32 => (d.view32(), s.view32()),
    };
    let order = |yes: bool, no: bool| {
        if yes {
            Some(true)
        } else if no {
            Some(false)
        } else {
            None
        }
    };
    match cond {
        Cond::Eq | Cond::Ne => {
            let mut eq = eq_decided(&a, &b);
            if eq.is_none() && width == Width::W64 {
                // Different low halves: different values.
                eq = eq_decided(&d.view32(), &s.view32()).filter(|&e| !e);
            }
            eq.map(|e| e == (cond == Cond::Eq))
        }
        Cond::Set => {
            // ebee: a bit known 1 in both, or no bit possibly 1 in both (the kernel needs
            // one side constant).
            order(a.t.value & b.t.value != 0, a.t.max() & b.t.max() == 0)
        }
        Cond::Gt => order(a.umin > b.umax, a.umax <= b.umin),
        Cond::Ge => order(a.umin >= b.umax, a.umax < b.umin),
        Cond::Lt => order(a.umax < b.umin, a.umin >= b.umax),
        Cond::Le => order(a.umax <= b.umin, a.umin > b.umax),
        Cond::Sgt => order(a.smin > b.smax, a.smax <= b.smin),
        Cond::Sge => order(a.smin >= b.smax, a.smax < b.smin),
        Cond::Slt => order(a.smax < b.smin, a.smin >= b.smax),
        Cond::Sle => order(a.smax <= b.smin, a.smin > b.smax),
    }
}

/// A condition after flipping the operands of `>`-like ones and negating for the
/// fall-through (the kernel's `flip_opcode` and `rev_opcode`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rel {
    Eq,
    Ne,
    Lt,
    Le,
    Slt,
    Sle,
    /// `a & b != 0`.
    Set,
    /// `a & b == 0`.
    Clear,
}

/// The relation that holds, and whether its operands are `(operand, dst)`.
fn relation(cond: Cond, holds: bool) -> (Rel, bool) {
    use Cond::*;
    let cond = if holds {
        cond
    } else {
        match cond {
            Eq => Ne,
            Ne => Eq,
            Gt => Le,
            Le => Gt,
            Ge => Lt,
            Lt => Ge,
            Sgt => Sle,
            Sle => Sgt,
            Sge => Slt,
            Slt => Sge,
            Set => return (Rel::Clear, false),
        }
    };
    match cond {
        Eq => (Rel::Eq, false),
        Ne => (Rel::Ne, false),
        Set => (Rel::Set, false),
        Lt => (Rel::Lt, false),
        Le => (Rel::Le, false),
        Slt => (Rel::Slt, false),
        Sle => (Rel::Sle, false),
        Gt => (Rel::Lt, true),
        Ge => (Rel::Le, true),
        Sgt => (Rel::Slt, true),
        Sge => (Rel::Sle, true),
    }
}

/// The bounds of one width of a scalar, to narrow in place.
struct View<'a, U, S> {
    t: Tnum,
    umin: &'a mut U,
    umax: &'a mut U,
    smin: &'a mut S,
    smax: &'a mut S,
}

/// Narrows `x` and `y` (two views of the same width) to `x rel y`. `None`: impossible.
macro_rules! narrow {
    ($rel:expr, $x:expr, $y:expr) => {{
        let (x, y) = ($x, $y);
        match $rel {
            Rel::Le => {
                *x.umax = (*x.umax).min(*y.umax);
                *y.umin = (*y.umin).max(*x.umin);
            }
            Rel::Lt => {
                *x.umax = (*x.umax).min((*y.umax).checked_sub(1)?);
                *y.umin = (*y.umin).max((*x.umin).checked_add(1)?);
            }
            Rel::Sle => {
                *x.smax = (*x.smax).min(*y.smax);
                *y.smin = (*y.smin).max(*x.smin);
            }
            Rel::Slt => {
                *x.smax = (*x.smax).min((*y.smax).checked_sub(1)?);
                *y.smin = (*y.smin).max((*x.smin).checked_add(1)?);
            }
            Rel::Eq => {
                *x.umin = (*x.umin).max(*y.umin);
                *x.umax = (*x.umax).min(*y.umax);
                *x.smin = (*x.smin).max(*y.smin);
                *x.smax = (*x.smax).min(*y.smax);
                (*y.umin, *y.umax, *y.smin, *y.smax) = (*x.umin, *x.umax, *x.smin, *x.smax);
            }
            Rel::Ne => {
                // Only a constant at an end of the other's range tells something.
                let known = if y.t.is_constant() {
                    Some((x, y.t.value))
                } else if x.t.is_constant() {
                    Some((y, x.t.value))
                } else {
                    None
                };
                if let Some((x, c)) = known {
                    if *x.umin as u64 == c {
                        *x.umin = (*x.umin).checked_add(1)?;
                    }
                    if *x.umax as u64 == c {
                        *x.umax = (*x.umax).checked_sub(1)?;
                    }
                    let sc = c as _;
                    if *x.smin == sc {
                        *x.smin = (*x.smin).checked_add(1)?;
                    }
                    if *x.smax == sc {
                        *x.smax = (*x.smax).checked_sub(1)?;
                    }
                }
            }
            Rel::Set | Rel::Clear => {}
        }
        Some(())
    }};
}

/// The known bits of `x` and `y` (of one width, `bits`) narrowed to `x rel y`.
fn narrow_bits(rel: Rel, x: Tnum, y: Tnum) -> Option<(Tnum, Tnum)> {
    match rel {
        Rel::Eq => {
            let t = x.checked_intersect(y)?;
            Some((t, t))
        }
        // ebee: the bits known 1 in one are 0 in the other (the kernel: with a constant).
        Rel::Clear => Some((
            x.and(Tnum::constant(!y.value)),
            y.and(Tnum::constant(!x.value)),
        )),
        Rel::Set => {
            // With one side constant: when a single bit of it can be 1 in the other, it is.
            let one = |x: Tnum, c: u64| {
                let cand = x.max() & c;
                if cand == 0 {
                    None
                } else if cand.is_power_of_two() {
                    Some(x.or(Tnum::constant(cand)))
                } else {
                    Some(x)
                }
            };
            match (x.is_constant(), y.is_constant()) {
                (_, true) => Some((one(x, y.value)?, y)),
                (true, false) => Some((x, one(y, x.value)?)),
                _ => Some((x, y)),
            }
        }
        _ => Some((x, y)),
    }
}

fn view64(s: &mut Scalar) -> View<'_, u64, i64> {
    View {
        t: s.var_off,
        umin: &mut s.umin,
        umax: &mut s.umax,
        smin: &mut s.smin,
        smax: &mut s.smax,
    }
}

fn view32(s: &mut Scalar) -> View<'_, u32, i32> {
    View {
        t: s.var_off.subreg(),
        umin: &mut s.u32_min,
        umax: &mut s.u32_max,
        smin: &mut s.s32_min,
        smax: &mut s.s32_max,
    }
}

fn narrow_pair(rel: Rel, width: Width, x: &mut Scalar, y: &mut Scalar) -> Option<()> {
    match width {
        Width::W64 => {
            narrow!(rel, view64(x), view64(y))?;
            if rel == Rel::Eq {
                // ebee: equal values have equal low halves.
                narrow!(rel, view32(x), view32(y))?;
            }
            let (tx, ty) = narrow_bits(rel, x.var_off, y.var_off)?;
            (x.var_off, y.var_off) = (tx, ty);
        }
        Width::W32 => {
            narrow!(rel, view32(x), view32(y))?;
            let (tx, ty) = narrow_bits(rel, x.var_off.subreg(), y.var_off.subreg())?;
            x.var_off = x.var_off.with_subreg(tx);
            y.var_off = y.var_off.with_subreg(ty);
        }
    }
    if rel == Rel::Set {
        // ebee: `x & c != 0` puts `x` at least at the lowest bit `x & c` can have.
        let (bx, by) = match width {
            Width::W64 => (x.var_off, y.var_off),
            Width::W32 => (x.var_off.subreg(), y.var_off.subreg()),
        };
        let common = bx.max() & by.max();
        let least = 1u64 << common.trailing_zeros().min(63);
        for s in [x, y] {
            match width {
                Width::W64 => s.umin = s.umin.max(least),
                Width::W32 => s.u32_min = s.u32_min.max(least as u32),
            }
        }
    }
    Some(())
}

pub(super) fn refine(
    d: Scalar,
    cond: Cond,
    width: Width,
    s: Scalar,
    holds: bool,
) -> Option<(Scalar, Scalar)> {
    if decide(&d, cond, width, &s).is_some_and(|b| b != holds) {
        return None;
    }
    let (rel, swapped) = relation(cond, holds);
    let (mut x, mut y) = if swapped { (s, d) } else { (d, s) };
    narrow_pair(rel, width, &mut x, &mut y)?;
    let (x, y) = (x.synced_nonempty()?, y.synced_nonempty()?);
    Some(if swapped { (y, x) } else { (x, y) })
}
