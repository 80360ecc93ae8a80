//! Tnum operations checked exhaustively on tnums with few unknown bits: every member of
//! the result of an operation on every pair of members is in the abstract result.

use ebee_verifier::tnum::Tnum;

fn seed() -> u64 {
    std::env::var("EBEE_SCALAR_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7e57_7a11)
}

/// A tnum with up to 4 unknown bits at positions likely to matter.
fn small_tnum(rng: &mut fastrand::Rng) -> Tnum {
    let mut mask = 0u64;
    for _ in 0..rng.u32(0..=4) {
        let pos = match rng.u8(0..4) {
            0 => rng.u32(0..8),
            1 => rng.u32(28..36),
            2 => rng.u32(60..64),
            _ => rng.u32(0..64),
        };
        mask |= 1 << pos;
    }
    let value = match rng.u8(0..3) {
        0 => rng.u64(..),
        1 => rng.u64(0..256),
        _ => !rng.u64(0..256),
    };
    Tnum {
        value: value & !mask,
        mask,
    }
}

/// Every member of `t` (at most 16 here).
fn members(t: Tnum) -> Vec<u64> {
    let bits: Vec<u32> = (0..64).filter(|b| t.mask >> b & 1 != 0).collect();
    (0..1u64 << bits.len())
        .map(|sel| {
            bits.iter()
                .enumerate()
                .fold(t.value, |v, (i, b)| v | ((sel >> i & 1) << b))
        })
        .collect()
}

fn well_formed(t: Tnum) -> bool {
    t.value & t.mask == 0
}

#[test]
fn binary_operations_are_sound() {
    let mut rng = fastrand::Rng::with_seed(seed());
    let mut checks = 0u64;
    type Op = (&'static str, fn(Tnum, Tnum) -> Tnum, fn(u64, u64) -> u64);
    let ops: [Op; 6] = [
        ("add", Tnum::wrapping_add, u64::wrapping_add),
        ("sub", Tnum::wrapping_sub, u64::wrapping_sub),
        ("mul", Tnum::wrapping_mul, u64::wrapping_mul),
        ("and", Tnum::and, |a, b| a & b),
        ("or", Tnum::or, |a, b| a | b),
        ("xor", Tnum::xor, |a, b| a ^ b),
    ];
    for _ in 0..2000 {
        let (a, b) = (small_tnum(&mut rng), small_tnum(&mut rng));
        let (ma, mb) = (members(a), members(b));
        for (name, abs, conc) in ops {
            let r = abs(a, b);
            assert!(well_formed(r), "{name} {a} {b} = {r}");
            for &x in &ma {
                for &y in &mb {
                    assert!(
                        r.contains(conc(x, y)),
                        "{name} {a} {b} = {r} misses {x:#x},{y:#x}"
                    );
                    checks += 1;
                }
            }
        }
        let u = a.union(b);
        assert!(a.is_subset_of(u) && b.is_subset_of(u));
        let i = a.checked_intersect(b);
        for &x in &ma {
            assert_eq!(i.is_some_and(|i| i.contains(x)), b.contains(x), "{a} & {b}");
        }
    }
    assert!(checks > 100_000, "{checks}");
}

#[test]
fn unary_operations_are_sound() {
    let mut rng = fastrand::Rng::with_seed(seed() ^ 1);
    for _ in 0..3000 {
        let a = small_tnum(&mut rng);
        let k = rng.u32(0..64);
        let bits = if rng.bool() { 32 } else { 64 };
        let bytes = [2, 4, 8][rng.usize(0..3)];
        for x in members(a) {
            assert!(a.wrapping_neg().contains(x.wrapping_neg()));
            assert!(a.lshift(k).contains(x << k));
            assert!(a.rshift(k).contains(x >> k));
            let ka = k % bits;
            let sx = if bits == 32 {
                ((x as u32 as i32) >> ka) as u32 as u64
            } else {
                ((x as i64) >> ka) as u64
            };
            assert!(a.arshift(ka, bits).contains(sx), "{a} s>> {ka} at {bits}");
            assert!(a.truncate(bits).contains(x & (u64::MAX >> (64 - bits))));
            let sext = ((x << (64 - bits)) as i64 >> (64 - bits)) as u64;
            assert!(a.sign_extend(bits).contains(sext));
            let sw = (x.swap_bytes() >> (64 - 8 * bytes)) & (u64::MAX >> (64 - 8 * bytes));
            assert!(a.swap_bytes(bytes).contains(sw), "{a} swap {bytes}");
        }
    }
}

#[test]
fn range_and_member_search_are_exact() {
    let mut rng = fastrand::Rng::with_seed(seed() ^ 2);
    for _ in 0..3000 {
        let a = small_tnum(&mut rng);
        let ms = members(a);
        let x = match rng.u8(0..3) {
            0 => ms[rng.usize(..ms.len())]
                .wrapping_add(rng.u64(0..3))
                .wrapping_sub(1),
            1 => rng.u64(..),
            _ => a.value ^ rng.u64(0..1024),
        };
        let next = ms.iter().copied().filter(|&m| m >= x).min();
        assert_eq!(a.next_member(x), next, "{a} next >= {x:#x}");
        let prev = ms.iter().copied().filter(|&m| m <= x).max();
        assert_eq!(a.prev_member(x), prev, "{a} prev <= {x:#x}");
        let sx = x as i64;
        let snext = ms.iter().map(|&m| m as i64).filter(|&m| m >= sx).min();
        assert_eq!(a.next_signed_member(sx), snext, "{a} snext >= {sx}");
        let sprev = ms.iter().map(|&m| m as i64).filter(|&m| m <= sx).max();
        assert_eq!(a.prev_signed_member(sx), sprev, "{a} sprev <= {sx}");
        let (lo, hi) = {
            let (p, q) = (rng.u64(..) >> rng.u32(0..64), rng.u64(..) >> rng.u32(0..64));
            (p.min(q), p.max(q))
        };
        let r = Tnum::range(lo, hi);
        assert!(
            well_formed(r) && r.contains(lo) && r.contains(hi) && r.contains(lo + (hi - lo) / 2)
        );
        assert!(a.is_subset_of(a) && a.is_subset_of(Tnum::UNKNOWN));
        assert!(ms.iter().all(|&m| Tnum::constant(m).is_subset_of(a)));
    }
    assert_eq!(
        Tnum::range(0, 255),
        Tnum {
            value: 0,
            mask: 255
        }
    );
    assert_eq!(Tnum::range(5, 5), Tnum::constant(5));
    assert_eq!(Tnum::range(0, u64::MAX), Tnum::UNKNOWN);
    assert_eq!(
        Tnum {
            value: 0,
            mask: 0xff
        }
        .to_string(),
        "(0x0; 0xff)"
    );
}
