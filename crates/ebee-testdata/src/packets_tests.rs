//! Checks the generator's frames with a parser and checksum code of their own
//! (independent of etherparse, which built them).

use super::{labelled_traffic, mixed_traffic, ETH_HLEN, MIN_FRAME};

fn be16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(w) => u16::from_be_bytes([w[0], w[1]]),
        None => 0xdead, // past the end: no valid field has this value here
    }
}

/// `b[range]`, or an error naming what was cut short.
fn part(b: &[u8], range: std::ops::Range<usize>) -> Result<&[u8], String> {
    b.get(range.clone())
        .ok_or_else(|| format!("bytes {range:?} past the end ({})", b.len()))
}

/// One's-complement sum of 16-bit big-endian words (odd tail padded with zero).
fn sum16(data: &[u8], mut acc: u32) -> u32 {
    for c in data.chunks(2) {
        acc += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    acc
}

fn folds_to_ffff(mut acc: u32) -> bool {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc == 0xffff
}

/// What a well-formed frame is, after checking every length and checksum.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Kind {
    Tcp4,
    Udp4,
    Icmp4,
    Fragment4,
    Tcp6,
    Udp6,
    Icmp6,
    Arp,
    Lldp,
}

fn transport(proto: u8, seg: &[u8], pseudo: u32, v6: bool) -> Result<Kind, String> {
    let ok = match proto {
        6 | 17 | 58 => folds_to_ffff(sum16(seg, pseudo)),
        1 => folds_to_ffff(sum16(seg, 0)),
        p => return Err(format!("unexpected protocol {p}")),
    };
    if !ok {
        return Err(format!("bad checksum for protocol {proto}"));
    }
    if proto == 17 && usize::from(be16(seg, 4)) != seg.len() {
        return Err("UDP length".into());
    }
    let doff = usize::from(seg.get(12).map_or(0, |b| b >> 4));
    if proto == 6 && (doff * 4 > seg.len() || doff < 5) {
        return Err("TCP data offset".into());
    }
    Ok(match (proto, v6) {
        (6, false) => Kind::Tcp4,
        (17, false) => Kind::Udp4,
        (1, false) => Kind::Icmp4,
        (6, true) => Kind::Tcp6,
        (17, true) => Kind::Udp6,
        _ => Kind::Icmp6,
    })
}

/// Parses and verifies a frame that should be well-formed; also returns
/// (tag count, IPv4 options present, IPv6 extension headers present).
fn verify(f: &[u8]) -> Result<(Kind, usize, bool, bool), String> {
    let mut off = 12;
    let mut tags = 0;
    while matches!(be16(f, off), 0x8100 | 0x88a8) {
        off += 4;
        tags += 1;
    }
    let l3 = off + 2;
    let ip = |end: usize| -> Result<(), String> {
        if f.len() < end || f[end..].iter().any(|&b| b != 0) {
            return Err("length or non-zero padding".into());
        }
        Ok(())
    };
    match be16(f, off) {
        0x0800 => {
            let b0 = part(f, l3..l3 + 1)?[0];
            let ihl = usize::from(b0 & 0x0f) * 4;
            if b0 >> 4 != 4 || ihl < 20 || !folds_to_ffff(sum16(part(f, l3..l3 + ihl)?, 0)) {
                return Err("IPv4 header".into());
            }
            let total = usize::from(be16(f, l3 + 2));
            ip(l3 + total)?;
            if be16(f, l3 + 6) & 0x1fff != 0 {
                return Ok((Kind::Fragment4, tags, ihl > 20, false));
            }
            let seg = part(f, l3 + ihl..l3 + total)?;
            let proto = f[l3 + 9];
            let pseudo = sum16(&f[l3 + 12..l3 + 20], u32::from(proto) + seg.len() as u32);
            Ok((transport(proto, seg, pseudo, false)?, tags, ihl > 20, false))
        }
        0x86dd => {
            let end = l3 + 40 + usize::from(be16(f, l3 + 4));
            ip(end)?;
            let (mut next, mut at, mut exts) = (f[l3 + 6], l3 + 40, false);
            while matches!(next, 0 | 43 | 44 | 60) {
                exts = true;
                let h = part(f, at..at + 2)?;
                let len = if next == 44 {
                    8
                } else {
                    (usize::from(h[1]) + 1) * 8
                };
                next = h[0];
                at += len;
            }
            let seg = part(f, at..end)?;
            let pseudo = sum16(&f[l3 + 8..l3 + 40], u32::from(next) + seg.len() as u32);
            Ok((transport(next, seg, pseudo, true)?, tags, false, exts))
        }
        0x0806 => {
            let a = part(f, l3..f.len())?;
            let ok = a.len() >= 28
                && be16(a, 0) == 1
                && be16(a, 2) == 0x0800
                && a[4] == 6
                && a[5] == 4
                && matches!(be16(a, 6), 1 | 2);
            ok.then_some((Kind::Arp, tags, false, false))
                .ok_or_else(|| "ARP".to_string())
        }
        0x88cc => Ok((Kind::Lldp, tags, false, false)),
        t => Err(format!("ethertype {t:#06x}")),
    }
}

#[test]
fn same_seed_same_frames_other_seed_other_frames() {
    assert_eq!(mixed_traffic(9, 200), mixed_traffic(9, 200));
    assert_ne!(mixed_traffic(9, 200), mixed_traffic(10, 200));
    assert_eq!(mixed_traffic(9, 50), mixed_traffic(9, 200)[..50].to_vec());
    assert!(mixed_traffic(9, 0).is_empty());
}

#[test]
fn well_formed_frames_verify_and_the_mix_covers_every_kind() {
    let frames = labelled_traffic(0x00eb_ee00, 2000);
    let mut kinds = std::collections::BTreeMap::new();
    let (mut vlan, mut qinq, mut v4_opts, mut v6_exts, mut malformed) = (0, 0, 0, 0, 0);
    for (i, (f, well_formed)) in frames.iter().enumerate() {
        assert!(
            f.len() >= ETH_HLEN && f.len() <= 1514,
            "frame {i}: {} bytes",
            f.len()
        );
        if !well_formed {
            malformed += 1;
            continue;
        }
        assert!(f.len() >= MIN_FRAME, "frame {i} not padded");
        let (kind, tags, opts, exts) =
            verify(f).unwrap_or_else(|e| panic!("frame {i}: {e}: {f:02x?}"));
        *kinds.entry(kind).or_insert(0) += 1;
        vlan += usize::from(tags == 1);
        qinq += usize::from(tags == 2);
        v4_opts += usize::from(opts);
        v6_exts += usize::from(exts);
    }
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    assert!(kinds.values().all(|&n| n >= 10), "{kinds:?}");
    assert!(vlan >= 200 && qinq >= 50, "vlan {vlan} qinq {qinq}");
    assert!(
        v4_opts >= 50 && v6_exts >= 50,
        "options {v4_opts} extensions {v6_exts}"
    );
    assert!((100..400).contains(&malformed), "malformed {malformed}");
}

#[test]
fn malformed_frames_are_really_broken_somewhere() {
    let broken = labelled_traffic(3, 3000)
        .into_iter()
        .filter(|(_, ok)| !ok)
        .filter(|(f, _)| verify(f).is_err() || f.len() < MIN_FRAME)
        .count();
    let labelled = labelled_traffic(3, 3000)
        .iter()
        .filter(|(_, ok)| !ok)
        .count();
    // A cut that only removes padding leaves a valid frame; nearly all are broken.
    assert!(broken * 10 >= labelled * 9, "{broken} of {labelled}");
}

#[test]
fn addresses_and_ports_come_mostly_from_the_pools() {
    let frames = mixed_traffic(5, 1000);
    let from_pool = |mac: &[u8]| super::MAC_POOL.iter().any(|m| m[..] == *mac);
    let src_in_pool = frames.iter().filter(|f| from_pool(&f[6..12])).count();
    assert_eq!(src_in_pool, frames.len());
    let v4_in_pool = frames
        .iter()
        .filter(|f| be16(f, 12) == 0x0800 && f.len() >= 34)
        .filter(|f| super::IPV4_POOL.iter().any(|a| a.octets()[..] == f[26..30]))
        .count();
    assert!(v4_in_pool > 200, "{v4_in_pool}");
}
