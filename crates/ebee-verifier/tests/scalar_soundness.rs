//! Randomized soundness of the scalar domain's operations: abstract scalars built in many
//! ways, concrete members sampled from them, and every concrete result of an operation on
//! sampled members (by the reference implementation of the ISA in `scalar_support.rs`)
//! checked to be in the abstract result; every result well formed and non-empty.
//!
//! The seed is fixed; `EBEE_SCALAR_SEED=<n>` picks another one.

#[path = "scalar_support.rs"]
mod support;

use ebee_isa::{AluOp, ByteOrder, Width};
use ebee_verifier::scalar::Scalar;
use support::*;

#[test]
fn alu_is_sound() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut checks = 0u64;
    for _ in 0..2000 {
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
    for _ in 0..1500 {
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

/// Hand-built scalars (random fields, possibly empty or inconsistent) make no operation
/// panic; what they give is meaningless, since such a scalar stands for no value.
#[test]
fn hand_built_scalars_do_not_panic() {
    let mut rng = fastrand::Rng::with_seed(seed() ^ 4);
    let mut garbage = || {
        let t = random_tnum(&mut rng);
        Scalar {
            var_off: t,
            umin: interesting(&mut rng),
            umax: interesting(&mut rng),
            smin: interesting(&mut rng) as i64,
            smax: interesting(&mut rng) as i64,
            u32_min: rng.u32(..),
            u32_max: rng.u32(..),
            s32_min: rng.i32(..),
            s32_max: rng.i32(..),
        }
    };
    for _ in 0..2000 {
        let (a, b) = (garbage(), garbage());
        for op in OPS {
            for width in WIDTHS {
                let _ = a.alu(op, width, b);
            }
        }
        for cond in CONDS {
            for width in WIDTHS {
                let _ = (a.decide(cond, width, b), a.refine(cond, width, b, true));
                let _ = a.refine(cond, width, b, false);
            }
        }
        for order in [ByteOrder::ToLe, ByteOrder::ToBe, ByteOrder::Swap] {
            let _ = a.endian(order, 16);
        }
        let _ = (
            a.is_subset_of(&b),
            a.union(&b),
            a.least_member(),
            a.to_string(),
        );
    }
}
