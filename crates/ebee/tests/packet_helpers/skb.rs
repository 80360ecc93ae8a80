//! Socket filters and TC: the test-run context, loads, stores, pull, redirect, checksum
//! replacement and the flow hash.

use super::*;

/// `struct __sk_buff` with the fields a test run accepts set to recognizable values.
fn sk_buff_in() -> Vec<u8> {
    let mut ctx = vec![0u8; 192];
    let mut put = |at: usize, v: &[u8]| ctx[at..at + v.len()].copy_from_slice(v);
    put(8, &0x55u32.to_ne_bytes()); // mark
    put(32, &3u32.to_ne_bytes()); // priority
    put(36, &9u32.to_ne_bytes()); // ingress_ifindex
    put(48, &[0x11; 20]); // cb
    put(152, &1_000_000u64.to_ne_bytes()); // tstamp
    put(164, &2u32.to_ne_bytes()); // gso_segs
    put(176, &1400u32.to_ne_bytes()); // gso_size
    put(184, &77u64.to_ne_bytes()); // hwtstamp
    ctx
}

/// Packets with different destination MACs and EtherTypes.
fn assorted_packets() -> Vec<Vec<u8>> {
    let mut packets = vec![
        ipv4_packet(6, 74, UNICAST),
        ipv4_packet(17, 60, [0xff; 6]),
        ipv4_packet(17, 60, [0x01, 0x00, 0x5e, 0, 0, 1]),
        ipv4_packet(6, 60, [0; 6]),
        ipv4_packet(6, 74, UNICAST)[..14].to_vec(),
    ];
    for ethertype in [
        [0x86, 0xdd],
        [0x08, 0x06],
        [0x81, 0x00],
        [0x00, 0x40],
        [0x05, 0xff],
        [0x06, 0x00],
    ] {
        let mut p = ipv4_packet(17, 64, UNICAST);
        p[12..14].copy_from_slice(&ethertype);
        packets.push(p);
    }
    let mut raw_802_3 = ipv4_packet(17, 64, UNICAST);
    raw_802_3[12..16].copy_from_slice(&[0x00, 0x30, 0xff, 0xff]);
    packets.push(raw_802_3);
    packets
}

#[test]
fn skb_test_run_context() {
    let Some(pair) = Pair::load("packet_skb") else {
        return;
    };
    let mut wire = sk_buff_in();
    wire[160..164].copy_from_slice(&200u32.to_ne_bytes()); // wire_len
    for packet in assorted_packets() {
        for ctx in [vec![0u8; 192], sk_buff_in(), wire.clone()] {
            for program in ["sock_ctx", "sock_ctx2", "tc_ctx", "tc_ctx2"] {
                run(&pair, program, Params::default(), &packet, &ctx, 1);
            }
        }
    }
    // The context carries over between repeated runs (tc_ctx2 increments the mark).
    for repeat in [2, 5] {
        let (_, _, ctx) = run(
            &pair,
            "tc_ctx2",
            Params::default(),
            &assorted_packets()[0],
            &sk_buff_in(),
            repeat,
        )
        .unwrap();
        assert_eq!(ctx[8], 0x55 + repeat as u8);
    }
    // Packets refused for a short IP header: IPv4 under 20 bytes, IPv6 under 40.
    for (ethertype, len, refused) in [
        ([0x08, 0x00], 33, true),
        ([0x08, 0x00], 34, false),
        ([0x86, 0xdd], 53, true),
        ([0x86, 0xdd], 54, false),
    ] {
        let mut packet = ipv4_packet(6, 74, UNICAST)[..len].to_vec();
        packet[12..14].copy_from_slice(&ethertype);
        for program in ["sock_ctx", "tc_ctx"] {
            assert_eq!(
                run(&pair, program, Params::default(), &packet, &[0; 192], 1).is_none(),
                refused,
                "{program} {len}"
            );
        }
    }
    // Contexts the test run refuses: a read-only field set, an unknown interface, a
    // wire_len shorter than the packet.
    let packet = ipv4_packet(6, 74, UNICAST);
    for (at, value) in [(0usize, 1u32), (16, 8), (40, 999), (160, 10), (68, 1)] {
        let mut ctx = vec![0u8; 192];
        ctx[at..at + 4].copy_from_slice(&value.to_ne_bytes());
        for program in ["sock_ctx", "tc_ctx"] {
            assert!(
                run(&pair, program, Params::default(), &packet, &ctx, 1).is_none(),
                "{program}: field at {at}"
            );
        }
    }
}

#[test]
fn skb_load_bytes_in_and_out_of_range() {
    let Some(pair) = Pair::load("packet_skb") else {
        return;
    };
    let ctx = vec![0u8; 192];
    for len in [14usize, 22, 74] {
        let packet = ipv4_packet(6, 74, UNICAST)[..len].to_vec();
        let l = len as u32;
        for offset in [
            0,
            1,
            6,
            8,
            l.saturating_sub(22),
            l.saturating_sub(14),
            l - 8,
            l - 7,
            l,
            0x7fff_ffff,
            0x8000_0000,
            u32::MAX,
        ] {
            for program in ["sock_load", "tc_load"] {
                run(
                    &pair,
                    program,
                    Params {
                        offset,
                        ..Default::default()
                    },
                    &packet,
                    &ctx,
                    1,
                );
            }
            for header in [0, 1, 2] {
                for program in ["sock_load_relative", "tc_load_relative"] {
                    run(
                        &pair,
                        program,
                        Params {
                            offset,
                            ifindex: header,
                            ..Default::default()
                        },
                        &packet,
                        &ctx,
                        1,
                    );
                }
            }
        }
        for offset in [0xffff, 0x10000] {
            run(
                &pair,
                "tc_load_relative",
                Params {
                    offset,
                    ..Default::default()
                },
                &packet,
                &ctx,
                1,
            );
        }
    }
}

#[test]
fn skb_store_pull_redirect() {
    let Some(pair) = Pair::load("packet_skb") else {
        return;
    };
    let packet = ipv4_packet(17, 64, UNICAST);
    let ctx = sk_buff_in();
    for offset in [0, 1, 12, 60, 61, 64, 0x7fff_ffff, 0x8000_0000] {
        for flags in [0, 1, 2, 3, 4, 1 << 63] {
            run(
                &pair,
                "tc_store",
                Params {
                    offset,
                    flags,
                    ..Default::default()
                },
                &packet,
                &ctx,
                1,
            );
        }
    }
    for len in [0, 1, 14, 63, 64, 65, 0x7fff_ffff, u32::MAX] {
        run(
            &pair,
            "tc_pull",
            Params {
                len,
                ..Default::default()
            },
            &packet,
            &ctx,
            1,
        );
    }
    for (ifindex, flags) in [(1, 0), (1, 1), (99, 0), (1, 2), (1, 1 << 2), (1, u64::MAX)] {
        run(
            &pair,
            "tc_redirect",
            Params {
                ifindex,
                flags,
                ..Default::default()
            },
            &packet,
            &ctx,
            1,
        );
    }
}

#[test]
fn skb_checksum_replacement() {
    let Some(pair) = Pair::load("packet_skb") else {
        return;
    };
    let ctx = vec![0u8; 192];
    let tcp = ipv4_packet(6, 80, UNICAST);
    let udp = ipv4_packet(17, 80, UNICAST);
    let mut udp_no_csum = udp.clone();
    udp_no_csum[40..42].copy_from_slice(&[0, 0]);
    // NAT to 192.168.1.77:8080 with incremental updates: valid checksums after, on both.
    let new_ip = u64::from(u32::from_ne_bytes([192, 168, 1, 77]));
    let new_port = u64::from(u16::from_ne_bytes(8080u16.to_be_bytes()));
    for (packet, csum_at, flags) in [
        (&tcp, 50, 0),
        (&udp, 40, 0),
        (&udp, 40, 1 << 5),
        (&udp_no_csum, 40, 1 << 5),
        (&udp_no_csum, 40, (1 << 5) | (1 << 6)),
    ] {
        let params = Params {
            offset: csum_at,
            flags,
            from: new_port,
            to: new_ip,
            ..Default::default()
        };
        let (_, out, _) = run(&pair, "tc_nat", params, packet, &ctx, 1).expect("runs");
        assert_eq!(&out[30..34], &[192, 168, 1, 77]);
        if packet[csum_at as usize..csum_at as usize + 2] != [0, 0] {
            assert!(checksums_valid(&out), "checksums after NAT: {out:02x?}");
        }
    }
    // Arguments: field sizes, flags, offsets (odd, past the packet, above 0xffff).
    let old = u64::from(u32::from_ne_bytes([10, 0, 0, 2]));
    for program in ["tc_l3_csum", "tc_l4_csum"] {
        let offset_for = |p: &str| if p == "tc_l3_csum" { 24 } else { 50 };
        for flags in [
            0,
            1,
            2,
            3,
            4,
            8,
            0xf,
            1 << 4,
            (1 << 4) | 4,
            1 << 5,
            (1 << 5) | 2,
            (1 << 6) | 4,
            (1 << 7) | 4,
            1 << 8,
            (1 << 4) | (1 << 7),
        ] {
            for (from, to) in [(0, 0x1234), (old, new_ip), (0x0a00, 0x1f90)] {
                let params = Params {
                    offset: offset_for(program),
                    flags,
                    from,
                    to,
                    ..Default::default()
                };
                run(&pair, program, params, &tcp, &ctx, 1);
            }
        }
        for offset in [0, 1, 23, 78, 79, 80, 0xffff, 0x10000, 0x10002, u32::MAX - 1] {
            for flags in [2, 3] {
                run(
                    &pair,
                    program,
                    Params {
                        offset,
                        flags,
                        from: 1,
                        to: 2,
                        ..Default::default()
                    },
                    &tcp,
                    &ctx,
                    1,
                );
            }
        }
    }
}

#[test]
fn skb_flow_hash_relations() {
    let Some(pair) = Pair::load("packet_skb") else {
        return;
    };
    let ctx = vec![0u8; 192];
    let forward = ipv4_packet(6, 74, UNICAST);
    let mut reverse = forward.clone();
    reverse[26..30].copy_from_slice(&forward[30..34]);
    reverse[30..34].copy_from_slice(&forward[26..30]);
    reverse[34..36].copy_from_slice(&forward[36..38]);
    reverse[36..38].copy_from_slice(&forward[34..36]);
    let mut other = forward.clone();
    other[35] ^= 1;
    let mut arp = forward.clone();
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    for packet in [&forward, &reverse, &arp] {
        let (bits, _, _) = run(&pair, "tc_hash", Params::default(), packet, &ctx, 1).expect("runs");
        assert_eq!(bits, 0b11111);
    }
    // The values differ (random seed in the kernel); the relations between flows do not.
    let hash = |packet: &[u8]| -> [u32; 2] {
        let prog = pair.ebee.program("tc_hash_value").unwrap();
        let ours = prog
            .test_run(&ebee::TestRun {
                data_in: packet,
                ctx_in: Some(&ctx),
                ..Default::default()
            })
            .unwrap();
        let run = ebee_kernel::TestRun {
            data_in: packet,
            ctx_in: Some(&ctx),
            data_size_out: 4096,
            ctx_size_out: 192,
            ..Default::default()
        };
        let theirs = pair.kernel.test_run("tc_hash_value", &run).unwrap();
        let cb0 = |c: &[u8]| u32::from_ne_bytes(c[48..52].try_into().unwrap());
        [cb0(&ours.ctx_out), cb0(&theirs.ctx_out)]
    };
    let (f, r, o) = (hash(&forward), hash(&reverse), hash(&other));
    for side in 0..2 {
        assert_eq!(
            f[side], r[side],
            "side {side}: both directions of a flow hash the same"
        );
        assert_ne!(
            f[side], o[side],
            "side {side}: another flow hashes differently"
        );
    }
}
