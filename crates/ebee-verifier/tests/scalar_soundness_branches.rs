//! Randomized soundness of `decide`, `refine` and `is_subset_of` on sampled members of
//! random abstract scalars (see `scalar_support.rs`).
//!
//! The seed is fixed; `EBEE_SCALAR_SEED=<n>` picks another one.

#[path = "scalar_support.rs"]
mod support;

use ebee_isa::{AluOp, Cond, Width};
use ebee_verifier::scalar::Scalar;
use support::*;

#[test]
fn decide_and_refine_are_sound() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed ^ 2);
    let mut checks = 0u64;
    for _ in 0..1500 {
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
    for _ in 0..6000 {
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
