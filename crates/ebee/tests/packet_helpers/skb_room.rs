//! skb_adjust_room, csum_update, the tunnel key helpers and redirect_neigh/redirect_peer
//! (`tests/bpf/packet_skb_room.bpf.c`), compared with the kernel: return values, packets
//! out, and what `__sk_buff` reads afterwards (cb reports `len`, data_end - data,
//! `protocol`, the checksum level).

use super::*;

use ebee_abi::flags::{
    BPF_ADJ_ROOM_ENCAP_L2_SHIFT, BPF_ADJ_ROOM_MAC as MAC, BPF_ADJ_ROOM_NET as NET,
    BPF_F_ADJ_ROOM_DECAP_L3_IPV4 as DECAP_L3_IPV4, BPF_F_ADJ_ROOM_DECAP_L3_IPV6 as DECAP_L3_IPV6,
    BPF_F_ADJ_ROOM_ENCAP_L2_ETH as ENCAP_L2_ETH, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 as ENCAP_L3_IPV4,
    BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 as ENCAP_L3_IPV6, BPF_F_ADJ_ROOM_ENCAP_L4_GRE as ENCAP_L4_GRE,
    BPF_F_ADJ_ROOM_ENCAP_L4_UDP as ENCAP_L4_UDP, BPF_F_ADJ_ROOM_FIXED_GSO as FIXED_GSO,
    BPF_F_ADJ_ROOM_NO_CSUM_RESET as NO_CSUM_RESET,
};

/// `BPF_F_ADJ_ROOM_ENCAP_L2(len)`.
fn encap_l2(len: u64) -> u64 {
    len << BPF_ADJ_ROOM_ENCAP_L2_SHIFT
}

/// An Ethernet + IPv6 + TCP packet of `len` bytes.
fn ipv6_packet(len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[0..6].copy_from_slice(&UNICAST);
    p[12..14].copy_from_slice(&[0x86, 0xdd]);
    p[14] = 0x60;
    p[18..20].copy_from_slice(&((len - 54) as u16).to_be_bytes());
    p[20] = 6;
    for (i, b) in p.iter_mut().enumerate().skip(54) {
        *b = i as u8;
    }
    p
}

/// `struct __sk_buff` of a GSO skb.
fn gso_ctx() -> Vec<u8> {
    let mut ctx = vec![0u8; 192];
    ctx[164..168].copy_from_slice(&2u32.to_ne_bytes());
    ctx[176..180].copy_from_slice(&1400u32.to_ne_bytes());
    ctx
}

#[test]
fn skb_adjust_room_like_the_kernel() {
    let Some(pair) = Pair::load("packet_skb_room") else {
        return;
    };
    let arp = {
        let mut p = ipv4_packet(6, 74, UNICAST);
        p[12..14].copy_from_slice(&[0x08, 0x06]);
        p
    };
    let packets = [
        ipv4_packet(6, 74, UNICAST),
        ipv4_packet(17, 200, UNICAST),
        ipv6_packet(94),
        ipv4_packet(6, 74, UNICAST)[..34].to_vec(),
        arp,
    ];
    let cases: &[(i32, u32, u64)] = &[
        (0, NET, 0),
        (8, NET, 0),
        (20, MAC, 0),
        (-8, NET, 0),
        (-20, MAC, 0),
        (-19, NET, 0),
        (-20, NET, 0),
        (-21, NET, 0),
        (-40, MAC, 0),
        (-60, MAC, 0),
        (-1000, MAC, 0),
        (0xfff, NET, 0),
        (0x1000, NET, 0),
        (-0x1000, NET, 0),
        (i32::MIN, NET, 0),
        (8, 2, 0),
        (8, u32::MAX, 0),
        (8, NET, 1 << 9),
        (8, NET, 1 << 55),
        (8, NET, FIXED_GSO),
        (8, NET, NO_CSUM_RESET),
        (20, MAC, ENCAP_L3_IPV4),
        (40, MAC, ENCAP_L3_IPV6),
        (20, MAC, ENCAP_L3_IPV4 | ENCAP_L3_IPV6),
        (28, MAC, ENCAP_L3_IPV4 | ENCAP_L4_UDP),
        (24, MAC, ENCAP_L3_IPV4 | ENCAP_L4_GRE),
        (28, MAC, ENCAP_L3_IPV4 | ENCAP_L4_GRE | ENCAP_L4_UDP),
        (
            50,
            MAC,
            ENCAP_L3_IPV4 | ENCAP_L4_UDP | ENCAP_L2_ETH | encap_l2(14),
        ),
        (
            50,
            MAC,
            ENCAP_L3_IPV4 | ENCAP_L4_UDP | ENCAP_L2_ETH | encap_l2(13),
        ),
        (50, MAC, ENCAP_L3_IPV4 | ENCAP_L4_UDP | encap_l2(51)),
        (50, MAC, ENCAP_L3_IPV4 | ENCAP_L4_UDP | encap_l2(50)),
        (20, NET, ENCAP_L3_IPV4),
        (8, NET, ENCAP_L4_UDP),
        (8, NET, ENCAP_L2_ETH | encap_l2(14)),
        (40, MAC, ENCAP_L3_IPV6 | ENCAP_L4_UDP | NO_CSUM_RESET),
        (-20, MAC, DECAP_L3_IPV4),
        (-20, MAC, DECAP_L3_IPV6),
        (-20, MAC, DECAP_L3_IPV4 | DECAP_L3_IPV6),
        (20, MAC, DECAP_L3_IPV4),
        (-20, MAC, FIXED_GSO | NO_CSUM_RESET),
        (-20, MAC, ENCAP_L3_IPV4),
        (-8, NET, ENCAP_L4_GRE),
        (16000, NET, 0),
    ];
    for ctx in [vec![0u8; 192], gso_ctx()] {
        for packet in &packets {
            for &(delta, mode, flags) in cases {
                for csum_inc in [0, 1] {
                    let params = Params {
                        delta,
                        offset: mode,
                        flags,
                        len: csum_inc,
                        ..Default::default()
                    };
                    run(&pair, "tc_adjust_room", params, packet, &ctx, 1);
                }
            }
        }
    }
    // Two adjustments in one run: encapsulating twice (-EALREADY), undoing, shrinking what
    // the first grew; and repeated runs, over which the encapsulation and the growth last.
    let packet = ipv4_packet(6, 74, UNICAST);
    for (delta, mode, flags, delta2, mode2) in [
        (20, MAC, ENCAP_L3_IPV4, 20, MAC),
        (20, MAC, ENCAP_L3_IPV4, -20, MAC),
        (40, MAC, ENCAP_L3_IPV6, -20, MAC),
        (8, NET, 0, -8, NET),
        (8, NET, 0, 8, MAC),
    ] {
        let params = Params {
            delta,
            offset: mode,
            flags,
            delta2,
            offset2: mode2,
            ..Default::default()
        };
        for repeat in [1, 3] {
            run(&pair, "tc_adjust_room", params, &packet, &[0; 192], repeat);
        }
    }
    for (delta, flags) in [(20, ENCAP_L3_IPV4), (8, 0), (-4, 0)] {
        let params = Params {
            delta,
            offset: MAC,
            flags,
            ..Default::default()
        };
        run(&pair, "tc_adjust_room", params, &packet, &[0; 192], 4);
    }
}

#[test]
fn csum_update_on_test_run_skbs() {
    let Some(pair) = Pair::load("packet_skb_room") else {
        return;
    };
    let packet = ipv4_packet(17, 74, UNICAST);
    for (from, len) in [(0, 0), (0x1234, 0), (u64::MAX, 1)] {
        let params = Params {
            from,
            len,
            ..Default::default()
        };
        let (retval, _, _) =
            run(&pair, "tc_csum_update", params, &packet, &[0; 192], 1).expect("runs");
        assert_eq!(retval as i32, -524, "CHECKSUM_NONE: -ENOTSUPP");
    }
}

#[test]
fn tunnel_keys_set_and_read_back() {
    let Some(pair) = Pair::load("packet_skb_room") else {
        return;
    };
    let packet = ipv4_packet(17, 120, UNICAST);
    let v4 = u64::from(u32::from_ne_bytes([192, 0, 2, 1]));
    let v6 = 0x0100_0000_0000_0db8_u64 | 0x20;
    // (set size, set flags, label, ext, get size, get flags, address)
    let cases: &[(u32, u64, u32, i32, u32, i32, u64)] = &[
        (0, 0, 0, 0, 44, 0, v4),
        (0, 0, 0, 0, 44, 1, v4),
        (44, 0, 0, 0, 44, 0, v4),
        (44, 0, 0, 0, 44, 1 << 4, v4),
        (44, 2, 0, 0, 44, 1 << 4, v4),
        (44, 4 | 8, 0, 0, 44, 1 << 4, v4),
        (44, 1 << 4, 0, 0, 44, 1 << 4, v4),
        (44, 1 << 5, 0, 0, 44, 0, v4),
        (44, 0, 0, 0, 44, 1, v4),
        (44, 0, 0, 0, 44, 2, v4),
        (44, 0, 7, 0, 44, 0, v4),
        (44, 0, 0, 3, 44, 0, v4),
        (44, 1, 0x12345, 0, 44, 1, v6),
        (44, 1, 0xfff12345, 0, 44, 1 | 1 << 4, v6),
        (44, 1, 0, 0, 44, 0, v6),
        (44, 1, 0, 0, 8, 1, v6),
        (28, 0, 0, 0, 28, 0, v4),
        (24, 0, 0, 0, 24, 0, v4),
        (22, 0, 0, 0, 22, 0, v4),
        (8, 0, 0, 0, 8, 0, v4),
        (12, 0, 0, 0, 12, 0, v4),
        (44, 0, 0, 0, 12, 0, v4),
        (44, 0, 0, 0, 22, 1 << 4, v4),
        (8, 1, 0, 0, 44, 1, v6),
    ];
    for &(len, flags, label, ext, get_size, get_flags, to) in cases {
        let params = Params {
            len,
            flags,
            offset: label,
            delta2: ext,
            offset2: get_size,
            delta: get_flags,
            from: 0xabcd_0042,
            to,
            ..Default::default()
        };
        for repeat in [1, 2] {
            run(&pair, "tc_tunnel_key", params, &packet, &[0; 192], repeat);
        }
    }
}

#[test]
fn redirect_neigh_and_peer() {
    let Some(pair) = Pair::load("packet_skb_room") else {
        return;
    };
    let packet = ipv4_packet(6, 74, UNICAST);
    let v4 = u64::from(u32::from_ne_bytes([10, 0, 0, 2]));
    for (len, family, flags) in [
        (0, 0, 0),
        (20, 2, 0),
        (20, 10, 0),
        (20, 7, 0),
        (8, 2, 0),
        (0, 0, 1),
        (20, 2, 1 << 40),
    ] {
        let params = Params {
            ifindex: 5,
            len,
            offset: family,
            flags,
            to: v4,
            ..Default::default()
        };
        let (retval, _, _) =
            run(&pair, "tc_redirect_neigh", params, &packet, &[0; 192], 1).expect("runs");
        let ours = pair
            .ebee
            .program("tc_redirect_neigh")
            .unwrap()
            .test_run(&ebee::TestRun {
                data_in: &packet,
                ctx_in: Some(&[0; 192]),
                ..Default::default()
            })
            .unwrap();
        let expected = match (retval, family) {
            (7, 2) if len == 20 => Some(ebee::Redirect::Neigh {
                ifindex: 5,
                nexthop: Some("10.0.0.2".parse().unwrap()),
            }),
            (7, 10) => Some(ebee::Redirect::Neigh {
                ifindex: 5,
                nexthop: Some("a00:2::".parse().unwrap()),
            }),
            (7, _) => Some(ebee::Redirect::Neigh {
                ifindex: 5,
                nexthop: None,
            }),
            _ => None,
        };
        assert_eq!(ours.redirect, expected, "{params:?}");
    }
    for flags in [0, 1, 1 << 63] {
        let params = Params {
            ifindex: 9,
            flags,
            ..Default::default()
        };
        let (retval, _, _) =
            run(&pair, "tc_redirect_peer", params, &packet, &[0; 192], 1).expect("runs");
        assert_eq!(
            retval == 7,
            flags == 0,
            "TC_ACT_REDIRECT only without flags"
        );
    }
}
