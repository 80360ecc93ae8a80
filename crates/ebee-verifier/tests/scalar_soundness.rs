//! Randomized soundness of the scalar domain: abstract scalars built in many ways, concrete
//! members sampled from them (checked against the bounds and tnum directly, not through
//! `Scalar::contains`), and every concrete result of an operation on sampled members,
//! computed by a reference implementation of the ISA written here, checked to be in the
//! abstract result. Likewise for `decide`, `refine` and `is_subset_of`.
//!
//! The seed is fixed; `EBEE_SCALAR_SEED=<n>` picks another one.

use ebee_isa::{AluOp, ByteOrder, Cond, Width};
use ebee_verifier::scalar::Scalar;
use ebee_verifier::tnum::Tnum;

fn seed() -> u64 {
    std::env::var("EBEE_SCALAR_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5ca1_ab1e)
}

const OPS: [AluOp; 18] = [
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
const CONDS: [Cond; 11] = [
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
const WIDTHS: [Width; 2] = [Width::W64, Width::W32];

/// The ISA's meaning of `d op s` (RFC 9669), independently of the crate.
fn reference(op: AluOp, width: Width, d: u64, s: u64) -> u64 {
    if width == Width::W32 {
        let (d, s) = (d as u32, s as u32);
        let (sd, ss) = (d as i32, s as i32);
        let r: u32 = match op {
            AluOp::Add => d.wrapping_add(s),
            AluOp::Sub => d.wrapping_sub(s),
            AluOp::Mul => d.wrapping_mul(s),
            AluOp::Div => {
                if s == 0 {
                    0
                } else {
                    d / s
                }
            }
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
        AluOp::Div => {
            if s == 0 {
                0
            } else {
                d / s
            }
        }
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
fn member(s: &Scalar, v: u64) -> bool {
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
fn interesting(rng: &mut fastrand::Rng) -> u64 {
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

fn span(rng: &mut fastrand::Rng) -> u64 {
    match rng.u8(0..4) {
        0 => rng.u64(0..3),
        1 => rng.u64(0..64),
        2 => rng.u64(..) >> rng.u32(0..64),
        _ => 1 << rng.u32(0..64),
    }
}

fn random_tnum(rng: &mut fastrand::Rng) -> Tnum {
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
fn scalar(rng: &mut fastrand::Rng, depth: u32) -> Scalar {
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

fn random_width(rng: &mut fastrand::Rng) -> Width {
    WIDTHS[rng.usize(..2)]
}

/// Up to `n` distinct members of `s` (the ends, values built from the tnum, random values
/// in the ranges with the known bits forced, the least member), each checked by `member`.
fn sample(s: &Scalar, rng: &mut fastrand::Rng, n: usize) -> Vec<u64> {
    let t = s.var_off;
    let fit = |x: u64| (x & t.mask) | t.value;
    let mut out = Vec::with_capacity(n);
    let mut push = |v: u64, out: &mut Vec<u64>| {
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
fn valid(s: &Scalar, rng: &mut fastrand::Rng, n: usize, what: &dyn Fn() -> String) -> Vec<u64> {
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

#[test]
fn alu_is_sound() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut checks = 0u64;
    for _ in 0..600 {
        let (a, b) = (scalar(&mut rng, 2), scalar(&mut rng, 2));
        let input = || format!("seed {seed}: input");
        let (xs, ys) = (
            valid(&a, &mut rng, 6, &input),
            valid(&b, &mut rng, 6, &input),
        );
        for op in OPS {
            for width in WIDTHS {
                if width == Width::W32 && op == (AluOp::Movsx { bits: 32 }) {
                    continue;
                }
                let r = a.alu(op, width, b);
                let what = || format!("seed {seed}: {a} {op:?} {width:?} {b} = {r}");
                valid(&r, &mut rng, 2, &what);
                for &x in &xs {
                    for &y in &ys {
                        let v = reference(op, width, x, y);
                        assert!(member(&r, v), "{} misses {x:#x}, {y:#x} -> {v:#x}", what());
                        checks += 1;
                    }
                }
            }
        }
    }
    eprintln!("alu: {checks} checks");
    assert!(checks >= 150_000, "{checks}");
}

#[test]
fn endian_and_loads_are_sound() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed ^ 1);
    let mut checks = 0u64;
    for _ in 0..500 {
        let a = scalar(&mut rng, 2);
        let xs = valid(&a, &mut rng, 8, &|| format!("seed {seed}: input"));
        for order in [ByteOrder::ToLe, ByteOrder::ToBe, ByteOrder::Swap] {
            for bits in [16u8, 32, 64] {
                let r = a.endian(order, bits);
                let what = || format!("seed {seed}: {a} {order:?} {bits} = {r}");
                valid(&r, &mut rng, 2, &what);
                let keep = u64::MAX >> (64 - bits);
                for &x in &xs {
                    let v = match order {
                        ByteOrder::ToLe => x & keep,
                        _ => (x & keep).swap_bytes() >> (64 - bits),
                    };
                    assert!(member(&r, v), "{} misses {x:#x} -> {v:#x}", what());
                    checks += 1;
                }
            }
        }
        for bytes in [1u8, 2, 4, 8] {
            for sign_extend in [false, true] {
                let r = Scalar::loaded(bytes, sign_extend);
                let k = 64 - 8 * u32::from(bytes);
                let raw = interesting(&mut rng) << k;
                let v = if sign_extend {
                    ((raw as i64) >> k) as u64
                } else {
                    raw >> k
                };
                assert!(
                    member(&r, v),
                    "loaded({bytes}, {sign_extend}) = {r} misses {v:#x}"
                );
                checks += 1;
            }
        }
    }
    eprintln!("endian and loads: {checks} checks");
    assert!(checks >= 20_000, "{checks}");
}

#[test]
fn decide_and_refine_are_sound() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed ^ 2);
    let mut checks = 0u64;
    for _ in 0..500 {
        let a = scalar(&mut rng, 2);
        // Often related operands, so that refinements are tight and ends meet.
        let end = [
            a.umin,
            a.umax,
            a.smin as u64,
            a.smax as u64,
            a.least_member().unwrap(),
        ];
        let b = match rng.u8(0..6) {
            0 => a.alu(AluOp::Add, random_width(&mut rng), scalar(&mut rng, 0)),
            1 => Scalar::constant(end[rng.usize(..end.len())]),
            2 => a,
            // The same low half, another high half.
            3 => a.alu(AluOp::Add, Width::W64, Scalar::constant(rng.u64(..) << 32)),
            _ => scalar(&mut rng, 2),
        };
        let input = || format!("seed {seed}: input");
        let (xs, ys) = (
            valid(&a, &mut rng, 5, &input),
            valid(&b, &mut rng, 5, &input),
        );
        for cond in CONDS {
            for width in WIDTHS {
                let decided = a.decide(cond, width, b);
                for holds in [true, false] {
                    let refined = a.refine(cond, width, b, holds);
                    let what = || format!("seed {seed}: {a} {cond:?} {width:?} {b} {holds}");
                    if let Some((ra, rb)) = refined {
                        valid(&ra, &mut rng, 1, &what);
                        valid(&rb, &mut rng, 1, &what);
                    }
                    for &x in &xs {
                        for &y in &ys {
                            let h = cond.holds(width, x, y);
                            if holds {
                                assert!(decided.is_none_or(|d| d == h), "decide {}", what());
                            }
                            if h == holds {
                                let ok = refined
                                    .is_some_and(|(ra, rb)| member(&ra, x) && member(&rb, y));
                                assert!(
                                    ok,
                                    "refine {} = {refined:?} misses {x:#x}, {y:#x}",
                                    what()
                                );
                            }
                            checks += 1;
                        }
                    }
                }
            }
        }
    }
    eprintln!("decide and refine: {checks} checks");
    assert!(checks >= 100_000, "{checks}");
}

#[test]
fn subsets_are_sound() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed ^ 3);
    let mut checks = 0u64;
    let mut subsets = 0u64;
    for _ in 0..3000 {
        let a = scalar(&mut rng, 2);
        let b = match rng.u8(0..3) {
            0 => a.union(&scalar(&mut rng, 1)),
            1 => a
                .refine(Cond::Le, Width::W64, scalar(&mut rng, 1), true)
                .map_or(a, |r| r.0),
            _ => scalar(&mut rng, 2),
        };
        assert!(
            a.is_subset_of(&a) && a.is_subset_of(&Scalar::unknown()),
            "{a:?}"
        );
        for (small, big) in [(a, b), (b, a)] {
            let members = valid(&small, &mut rng, 6, &|| format!("seed {seed}: input"));
            let sub = small.is_subset_of(&big);
            subsets += u64::from(sub);
            for &v in &members {
                assert!(
                    !sub || member(&big, v),
                    "seed {seed}: {small} <= {big} but not {v:#x}"
                );
                assert!(
                    Scalar::constant(v).is_subset_of(&small),
                    "{v:#x} in {small}"
                );
                checks += 1;
            }
        }
    }
    eprintln!("subsets: {checks} checks, {subsets} subset pairs");
    assert!(checks >= 20_000 && subsets >= 1000, "{checks} {subsets}");
}
