//! Precision the verifier relies on: each of these fails for a trivially sound domain that
//! answers "unknown" everywhere.

use ebee_isa::{AluOp, ByteOrder, Cond, Width};
use ebee_verifier::scalar::Scalar;
use ebee_verifier::tnum::Tnum;

const W64: Width = Width::W64;
const W32: Width = Width::W32;

fn c(v: u64) -> Scalar {
    Scalar::constant(v)
}

fn range(lo: u64, hi: u64) -> Scalar {
    Scalar::unsigned_range(lo, hi)
}

fn any() -> Scalar {
    Scalar::unknown()
}

#[test]
fn and_with_a_mask_bounds_the_value() {
    let r = any().alu(AluOp::And, W64, c(0xff));
    assert_eq!((r.umin, r.umax), (0, 255));
    assert_eq!(
        r.var_off,
        Tnum {
            value: 0,
            mask: 0xff
        }
    );
    assert_eq!((r.smin, r.smax, r.u32_max, r.s32_min), (0, 255, 255, 0));
    assert_eq!(
        r.to_string(),
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))"
    );
    let r32 = any().alu(AluOp::And, W32, c(0xff));
    assert_eq!((r32.umax, r32.u32_max), (255, 255));
}

#[test]
fn shifted_masked_value() {
    let r = any()
        .alu(AluOp::And, W64, c(0xff))
        .alu(AluOp::Lsh, W64, c(2));
    assert_eq!((r.umin, r.umax), (0, 1020));
    assert_eq!(r.var_off.value & 3, 0);
    assert_eq!(r.var_off.mask & 3, 0, "low two bits known zero");
}

#[test]
fn add_and_sub_ranges() {
    let r = range(0, 10).alu(AluOp::Add, W64, range(5, 6));
    assert_eq!((r.umin, r.umax, r.smin, r.smax), (5, 16, 5, 16));
    let r = range(10, 20).alu(AluOp::Sub, W64, range(1, 3));
    assert_eq!((r.umin, r.umax), (7, 19));
    // Possibly negative: the signed bounds stay exact.
    let r = range(0, 10).alu(AluOp::Sub, W64, range(5, 6));
    assert_eq!((r.smin, r.smax), (-6, 5));
    let r = range(0, 10).alu(AluOp::Mul, W64, range(2, 3));
    assert_eq!((r.umin, r.umax), (0, 30));
    let r = range(3, 4).alu(AluOp::Mul, W32, range(5, 7));
    assert_eq!((r.umin, r.umax, r.u32_min, r.u32_max), (15, 28, 15, 28));
}

#[test]
fn add32_wraps_soundly() {
    let r = range(0xffff_fff0, 0xffff_ffff).alu(AluOp::Add, W32, c(0x20));
    assert!(r.contains(0x10) && r.contains(0x1f));
    assert!(r.contains((0xffff_fff0u64 + 0x20) & 0xffff_ffff));
    assert!(!r.contains(0x20), "still precise: {r}");
    assert_eq!(r.umax, 0x1f);
    let r = range(0xffff_fff0, 0xffff_ffff).alu(AluOp::Add, W32, range(0, 0x20));
    assert!(r.contains(0xffff_fff0) && r.contains(0x1f) && r.umax <= 0xffff_ffff);
}

#[test]
fn refine_unsigned_below_a_constant() {
    let (d, s) = any().refine(Cond::Lt, W64, c(10), true).unwrap();
    assert_eq!((d.umin, d.umax), (0, 9));
    assert_eq!(s.as_constant(), Some(10));
    let (d, _) = any().refine(Cond::Lt, W64, c(10), false).unwrap();
    assert_eq!(d.umin, 10);
    // JMP32 `w1 < 10`.
    let (d, _) = any().refine(Cond::Lt, W32, c(10), true).unwrap();
    assert_eq!(d.u32_max, 9);
    let (d, _) = range(0, u32::MAX.into())
        .refine(Cond::Lt, W32, c(10), true)
        .unwrap();
    assert_eq!((d.u32_max, d.umax), (9, 9));
    assert_eq!(any().refine(Cond::Lt, W64, c(0), true), None);
}

#[test]
fn refine_equality_and_signs() {
    let (d, s) = any().refine(Cond::Eq, W64, c(42), true).unwrap();
    assert_eq!((d.as_constant(), s.as_constant()), (Some(42), Some(42)));
    let (d, _) = any().refine(Cond::Sgt, W64, c(0), true).unwrap();
    assert_eq!(d.smin, 1);
    let (d, _) = any().refine(Cond::Sgt, W64, c(0), false).unwrap();
    assert_eq!(d.smax, 0);
    let (d, _) = range(0, 10).refine(Cond::Ne, W64, c(0), true).unwrap();
    assert_eq!(d.umin, 1);
    let (d, _) = range(0, 10).refine(Cond::Ne, W64, c(10), true).unwrap();
    assert_eq!(d.umax, 9);
    let (d, _) = range(0, 10).refine(Cond::Ne, W64, c(5), false).unwrap();
    assert_eq!(d.as_constant(), Some(5));
}

#[test]
fn refine_register_against_register() {
    let src = range(0, 100);
    let (d, s) = any().refine(Cond::Lt, W64, src, true).unwrap();
    assert_eq!(d.umax, 99);
    assert_eq!(s.umin, 1);
    let (d, s) = range(0, 200)
        .refine(Cond::Gt, W64, range(50, 100), true)
        .unwrap();
    assert_eq!((d.umin, s.umax), (51, 100));
    let (d, s) = range(5, 20)
        .refine(Cond::Eq, W64, range(10, 30), true)
        .unwrap();
    assert_eq!((d.umin, d.umax, s.umin, s.umax), (10, 20, 10, 20));
}

#[test]
fn refine_jset() {
    let (d, _) = any().refine(Cond::Set, W64, c(0x8), false).unwrap();
    assert_eq!(d.var_off.mask & 0x8, 0);
    assert_eq!(d.var_off.value & 0x8, 0);
    let (d, _) = any().refine(Cond::Set, W64, c(0x8), true).unwrap();
    assert_eq!(d.var_off.value & 0x8, 0x8);
    assert_eq!(c(6).decide(Cond::Set, W64, c(2)), Some(true));
    assert_eq!(c(6).decide(Cond::Set, W64, c(1)), Some(false));
    assert_eq!(range(0, 7).decide(Cond::Set, W64, c(8)), Some(false));
    assert_eq!(range(0, 7).refine(Cond::Set, W64, c(8), true), None);
}

#[test]
fn decisions() {
    assert_eq!(c(5).decide(Cond::Gt, W64, c(3)), Some(true));
    assert_eq!(c(3).decide(Cond::Gt, W64, c(5)), Some(false));
    assert_eq!(range(0, 9).decide(Cond::Lt, W64, c(10)), Some(true));
    assert_eq!(range(0, 10).decide(Cond::Lt, W64, c(10)), None);
    assert_eq!(range(0, 9).decide(Cond::Eq, W64, c(10)), Some(false));
    assert_eq!(range(0, 9).decide(Cond::Ne, W64, c(10)), Some(true));
    assert_eq!(c(u64::MAX).decide(Cond::Slt, W64, c(0)), Some(true));
    // JMP32 compares the low halves.
    assert_eq!(c(0x1_0000_0005).decide(Cond::Eq, W32, c(5)), Some(true));
    assert_eq!(c(0x1_0000_0005).decide(Cond::Eq, W64, c(5)), Some(false));
    assert_eq!(c(0xffff_ffff).decide(Cond::Slt, W32, c(0)), Some(true));
}

#[test]
fn shifts_moves_and_loads() {
    let neg = c(-16i64 as u64);
    assert_eq!(
        neg.alu(AluOp::Arsh, W64, c(2)).as_constant(),
        Some(-4i64 as u64)
    );
    let r = Scalar::signed_range(-16, -8).alu(AluOp::Arsh, W64, c(2));
    assert_eq!((r.smin, r.smax), (-4, -2));
    let r = any().alu(AluOp::Movsx { bits: 8 }, W64, c(0x80));
    assert_eq!(r.as_constant(), Some(-128i64 as u64));
    let r = any().alu(AluOp::Movsx { bits: 8 }, W64, any());
    assert_eq!((r.smin, r.smax), (-128, 127));
    let r = any().alu(AluOp::Movsx { bits: 8 }, W32, c(0x80));
    assert_eq!(r.as_constant(), Some(0xffff_ff80));
    let r = Scalar::loaded(1, false);
    assert_eq!((r.umin, r.umax), (0, 255));
    let r = Scalar::loaded(4, true);
    assert_eq!((r.smin, r.smax), (i32::MIN.into(), i32::MAX.into()));
    assert_eq!(any().alu(AluOp::Mov, W32, any()).umax, u32::MAX.into());
    let r = any().alu(AluOp::Rsh, W64, c(56));
    assert_eq!(r.umax, 255);
    let r = range(0, 3).alu(AluOp::Lsh, W64, range(0, 2));
    assert_eq!((r.umin, r.umax), (0, 12));
}

#[test]
fn division_and_byte_order() {
    assert_eq!(c(7).alu(AluOp::Div, W64, c(0)).as_constant(), Some(0));
    assert_eq!(c(7).alu(AluOp::Mod, W64, c(0)).as_constant(), Some(7));
    let r = any().alu(AluOp::Mod, W64, c(10));
    assert_eq!(r.umax, 9);
    let r = range(0, 1000).alu(AluOp::Div, W64, c(10));
    assert_eq!(r.umax, 100);
    let r = range(0, 1000).alu(AluOp::Div, W64, any());
    assert_eq!(r.umax, 1000);
    let r = any().endian(ByteOrder::ToLe, 16);
    assert_eq!(r.umax, 0xffff);
    assert_eq!(
        c(0x1234).endian(ByteOrder::ToBe, 16).as_constant(),
        Some(0x3412)
    );
    let r = range(0, 0xff).endian(ByteOrder::Swap, 16);
    assert_eq!((r.umin, r.umax), (0, 0xff00));
}

#[test]
fn subsets() {
    assert!(range(2, 5).is_subset_of(&range(0, 10)));
    assert!(!range(0, 11).is_subset_of(&range(0, 10)));
    assert!(c(3).is_subset_of(&any()));
    assert!(!any().is_subset_of(&c(3)));
}

#[test]
fn display() {
    assert_eq!(c(5).to_string(), "5");
    assert_eq!(c(0x12345).to_string(), "0x12345");
    assert_eq!(c(u64::MAX).to_string(), "-1");
    assert_eq!(any().to_string(), "scalar()");
    assert_eq!(
        Scalar::loaded(4, false).to_string(),
        "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))"
    );
}

#[test]
fn sign_extension_idiom_and_negation() {
    // `r <<= 32; r s>>= 32` sign-extends the low half.
    let r = Scalar::loaded(4, false)
        .alu(AluOp::Lsh, W64, c(32))
        .alu(AluOp::Arsh, W64, c(32));
    assert_eq!((r.smin, r.smax), (i32::MIN.into(), i32::MAX.into()));
    let r = range(0, 100)
        .alu(AluOp::Lsh, W64, c(32))
        .alu(AluOp::Arsh, W64, c(32));
    assert_eq!((r.umin, r.umax), (0, 100));
    let r = range(1, 10).alu(AluOp::Neg, W64, any());
    assert_eq!((r.smin, r.smax), (-10, -1));
    let r = range(1, 10).alu(AluOp::Neg, W32, any());
    assert_eq!((r.s32_min, r.s32_max, r.umin), (-10, -1, 0xffff_fff6));
    // A shift by a bounded unknown amount.
    let r = c(1).alu(AluOp::Lsh, W64, range(0, 3));
    assert_eq!((r.umin, r.umax), (1, 8));
    let r = c(1).alu(AluOp::Lsh, W32, any());
    assert_eq!((r.umin, r.umax), (1, 0x8000_0000));
}

#[test]
fn display_merges_like_the_kernel_log() {
    let s = Scalar::signed_range(-3, 5);
    assert_eq!(s.to_string(), "scalar(smin=smin32=-3,smax=smax32=5)");
    let s = Scalar::loaded(1, true);
    assert_eq!(s.to_string(), "scalar(smin=smin32=-128,smax=smax32=127)");
}
