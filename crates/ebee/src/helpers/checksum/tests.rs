//! Unit tests of the checksum arithmetic, and its comparison with Linux.

use super::*;

/// The 16-bit one's-complement sum of big-endian words, the textbook way.
fn reference_sum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for pair in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

#[test]
fn csum_partial_matches_the_textbook_sum() {
    let data: Vec<u8> = (0..=255u8).cycle().take(1001).collect();
    for len in [0, 1, 2, 3, 4, 5, 20, 63, 64, 1001] {
        let folded = csum_from32to16(csum_partial(&data[..len], 0));
        // x86 sums little-endian words: the folded sum is the byte-swapped textbook sum
        // of big-endian words.
        assert_eq!(
            folded.swap_bytes(),
            reference_sum(&data[..len]),
            "len {len}"
        );
    }
    assert_eq!(csum_partial(&[], 0), 0);
    assert_eq!(csum_partial(&[0; 8], 0), 0);
    assert_eq!(csum_partial(&[0; 4], 0xffff_ffff), 0xffff_ffff);
    assert_eq!(csum_partial(&[1, 0, 0, 0], 0xffff_ffff), 1);
    assert_eq!(csum_partial(&[0xff; 8], 0), 0xffff_ffff);
}

#[test]
fn csum_diff_matches_the_kernel() {
    // Results of Linux 6.18's bpf_csum_diff (see tests/pure_helpers.rs for the oracle).
    let dead = [0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef];
    assert_eq!(csum_diff(&[], &dead, 0), 0x3b3b);
    assert_eq!(csum_diff(&[], &[1, 2, 3], 0), 0x204);
    assert_eq!(csum_diff(&[1, 2, 3, 4, 5, 6], &[], 0), 0xf3f6);
    assert_eq!(csum_diff(&[0; 4], &[], 0xffff_ffff), 0xffff);
    assert_eq!(csum_diff(&[0; 4], &[0; 4], 0), 0xffff);
    assert_eq!(csum_diff(&[], &[], 0x1234_5678), 0x68ac);
}

#[test]
fn folding() {
    assert_eq!(csum_from32to16(0), 0);
    assert_eq!(csum_from32to16(0xffff_0000), 0xffff);
    assert_eq!(csum_from32to16(0x0001_ffff), 1);
    assert_eq!(csum_fold(0x1234_5678), !0x68ac);
    assert_eq!(csum_add(0xffff_ffff, 1), 1);
    assert_eq!(csum_sub(5, 3), 2);
}

/// An IPv4 header checksum, recomputed after each incremental update, must agree.
#[test]
fn incremental_updates_agree_with_recomputation() {
    let mut hdr = [
        0x45u8, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 0x40, 0x01, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    let full = |h: &[u8]| csum_fold(csum_partial(h, 0));
    let sum = full(&hdr);
    hdr[10..12].copy_from_slice(&sum.to_ne_bytes());
    assert_eq!(full(&hdr), 0, "a correct header sums to zero");

    let field = |h: &[u8], at: usize| u16::from_ne_bytes([h[at], h[at + 1]]);
    // TTL/protocol word changes (replace2).
    let old = field(&hdr, 8);
    hdr[8] = 0x3f;
    let new = csum_replace2(field(&hdr, 10), old, field(&hdr, 8));
    hdr[10..12].copy_from_slice(&new.to_ne_bytes());
    assert_eq!(full(&hdr), 0);
    // Source address changes (replace4 and the l3 helper's arithmetic).
    let old = u32::from_ne_bytes(hdr[12..16].try_into().unwrap());
    hdr[12..16].copy_from_slice(&[192, 168, 7, 9]);
    let to = u32::from_ne_bytes(hdr[12..16].try_into().unwrap());
    let new = l3_csum_replace(field(&hdr, 10), old.into(), to.into(), 4).unwrap();
    hdr[10..12].copy_from_slice(&new.to_ne_bytes());
    assert_eq!(full(&hdr), 0);
    // Destination address changes, given as a csum_diff (flags 0).
    let before = hdr[16..20].to_vec();
    hdr[16..20].copy_from_slice(&[172, 16, 0, 1]);
    let diff = csum_diff(&before, &hdr[16..20], 0);
    let new = l3_csum_replace(field(&hdr, 10), 0, diff.into(), 0).unwrap();
    hdr[10..12].copy_from_slice(&new.to_ne_bytes());
    assert_eq!(full(&hdr), 0);
}

#[test]
fn replace_flag_errors() {
    assert_eq!(l3_csum_replace(0, 0, 0, 1 << 4), Err(libc::EINVAL));
    assert_eq!(l3_csum_replace(0, 1, 0, 0), Err(libc::EINVAL));
    assert_eq!(l3_csum_replace(0, 0, 0, 3), Err(libc::EINVAL));
    let mut skb = SkbCsum {
        ip_summed: IpSummed::None,
        csum: 0,
    };
    assert_eq!(
        l4_csum_replace(0, &mut skb, 0, 0, 1 << 8),
        Err(libc::EINVAL)
    );
    assert_eq!(l4_csum_replace(0, &mut skb, 0, 0, 8), Err(libc::EINVAL));
    // A zero checksum with MARK_MANGLED_0 is left alone before the size is looked at.
    assert_eq!(
        l4_csum_replace(0, &mut skb, 0, 0, BPF_F_MARK_MANGLED_0 | 8),
        Ok(0)
    );
}

#[test]
fn l4_replace_updates_skb_csum_and_marks_zero() {
    let mut skb = SkbCsum {
        ip_summed: IpSummed::Complete,
        csum: 0x1234,
    };
    let flags = 4 | BPF_F_PSEUDO_HDR;
    let new = l4_csum_replace(0x5555, &mut skb, 0x0a00_0001, 0x0a00_0002, flags).unwrap();
    assert_eq!(new, csum_replace4(0x5555, 0x0a00_0001, 0x0a00_0002));
    assert_eq!(
        skb.csum,
        !csum_add(csum_sub(!0x1234, 0x0a00_0001), 0x0a00_0002)
    );

    // IPv6 pseudo-header changes by diff leave skb->csum alone.
    let mut skb6 = SkbCsum {
        ip_summed: IpSummed::Complete,
        csum: 7,
    };
    l4_csum_replace(0x5555, &mut skb6, 0, 0x100, BPF_F_PSEUDO_HDR | BPF_F_IPV6).unwrap();
    assert_eq!(skb6.csum, 7);

    // CHECKSUM_PARTIAL: only pseudo-header changes touch the field.
    let mut partial = SkbCsum {
        ip_summed: IpSummed::Partial,
        csum: 0,
    };
    assert_eq!(l4_csum_replace(0x1111, &mut partial, 1, 2, 2), Ok(0x1111));
    assert_eq!(
        l4_csum_replace(0x1111, &mut partial, 1, 2, 2 | BPF_F_PSEUDO_HDR),
        Ok(!csum_fold(csum_add(csum_sub(0x1111, 1), 2)))
    );

    // A result of 0 becomes CSUM_MANGLED_0.
    let mut none = SkbCsum {
        ip_summed: IpSummed::None,
        csum: 0,
    };
    let sum = 0xfffe;
    let zero_to = (0..=u16::MAX)
        .find(|&t| csum_replace2(sum, 0, t) == 0)
        .unwrap();
    let flags = 2 | BPF_F_MARK_MANGLED_0;
    assert_eq!(
        l4_csum_replace(sum, &mut none, 0, zero_to.into(), flags),
        Ok(CSUM_MANGLED_0)
    );
}

/// The kernel oracle of `tests/pure_helpers.rs`, shared (its printf parts are unused here).
#[allow(dead_code)]
#[path = "../../../tests/pure_helpers/oracle.rs"]
mod oracle;

/// `bpf_l3_csum_replace` and `bpf_l4_csum_replace` in Linux (TC programs on a CHECKSUM_NONE
/// skb) against [`l3_csum_replace`] and [`l4_csum_replace`].
#[test]
fn csum_replace_matches_the_kernel() {
    let Some(kernel) = oracle::Kernel::plain() else {
        return;
    };
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let sizes = [0u64, 2, 4, 1, 3, 8];
    for i in 0..600 {
        let sum = [0, 0xffff, next() as u16][i % 3];
        let (mut from, to) = (next() >> (next() % 64), next() >> (next() % 64));
        let size = sizes[(next() % sizes.len() as u64) as usize];
        if size == 0 && !next().is_multiple_of(4) {
            from = 0;
        }
        let l3_flags = size | if i.is_multiple_of(50) { 1 << 4 } else { 0 };
        let want = match l3_csum_replace(sum, from, to, l3_flags) {
            Ok(new) => (0, new),
            Err(errno) => (-i64::from(errno), sum),
        };
        let what = format!("sum {sum:#x} from {from:#x} to {to:#x}");
        assert_eq!(
            want,
            kernel.csum_replace(false, sum, from, to, l3_flags),
            "l3 {what} flags {l3_flags:#x}"
        );

        let l4_flags = size | (next() & 0xf0) | if i % 50 == 1 { 1 << 8 } else { 0 };
        let mut skb = SkbCsum {
            ip_summed: IpSummed::None,
            csum: 0,
        };
        let want = match l4_csum_replace(sum, &mut skb, from, to, l4_flags) {
            Ok(new) => (0, new),
            Err(errno) => (-i64::from(errno), sum),
        };
        assert_eq!(
            want,
            kernel.csum_replace(true, sum, from, to, l4_flags),
            "l4 {what} flags {l4_flags:#x}"
        );
    }
}
