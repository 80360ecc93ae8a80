//! TC helpers that change the packet's length or headers, or skb state beyond the context:
//! change_tail, change_head, change_proto, VLAN push/pop, csum_level, change_type,
//! ecn_set_ce, set_hash/set_hash_invalid. Everything compared with the kernel: return
//! values, packets out (length and bytes), contexts out (cb reports `len`, data_end - data,
//! `protocol`, the VLAN tag).

use super::*;

/// `struct __sk_buff` of a GSO skb (`gso_size` set, two segments).
fn gso_ctx() -> Vec<u8> {
    let mut ctx = vec![0u8; 192];
    ctx[164..168].copy_from_slice(&2u32.to_ne_bytes());
    ctx[176..180].copy_from_slice(&1400u32.to_ne_bytes());
    ctx
}

/// An Ethernet + IPv6 + TCP packet of `len` bytes.
fn ipv6_packet(len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[0..6].copy_from_slice(&UNICAST);
    p[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
    p[12..14].copy_from_slice(&[0x86, 0xdd]);
    p[14] = 0x60;
    p[18..20].copy_from_slice(&((len - 54) as u16).to_be_bytes());
    p[20] = 6;
    p[21] = 64;
    p[22..38].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p[38..54].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    for (i, b) in p.iter_mut().enumerate().skip(54) {
        *b = i as u8;
    }
    p
}

/// `packet` with VLAN headers (`(tpid, tci)`, outermost first) after the MAC addresses.
fn vlan_tagged(packet: &[u8], tags: &[(u16, u16)]) -> Vec<u8> {
    let mut p = packet[..12].to_vec();
    for &(tpid, tci) in tags {
        p.extend(tpid.to_be_bytes());
        p.extend(tci.to_be_bytes());
    }
    p.extend(&packet[12..]);
    p
}

fn contexts() -> [Vec<u8>; 2] {
    [vec![0u8; 192], gso_ctx()]
}

#[test]
fn skb_change_tail_and_head() {
    let Some(pair) = Pair::load("packet_skb_change") else {
        return;
    };
    let packet = ipv4_packet(17, 74, UNICAST);
    for ctx in contexts() {
        for (len, flags, second) in [
            (74, 0, 0),
            (60, 0, 0),
            (14, 0, 0),
            (13, 0, 0),
            (0, 0, 0),
            (75, 0, 0),
            (200, 0, 0),
            (1500, 0, 0),
            (16063, 0, 0),
            (16064, 0, 0),
            (16065, 0, 0),
            (u32::MAX, 0, 0),
            (74, 1, 0),
            (100, 1 << 63, 0),
            (30, 0, 300),
            (300, 0, 20),
        ] {
            let params = Params {
                len,
                flags,
                offset2: second,
                ..Default::default()
            };
            run(&pair, "tc_change_tail", params, &packet, &ctx, 1);
        }
        for (len, flags, second) in [
            (0, 0, 0),
            (1, 0, 0),
            (14, 0, 0),
            (100, 0, 0),
            (1000, 0, 0),
            (16064 - 74, 0, 0),
            (16064 - 73, 0, 0),
            (u32::MAX, 0, 0),
            (u32::MAX - 73, 0, 0),
            (14, 1, 0),
            (14, 0, 27),
            (14, 0, 28),
            (14, 0, 29),
            (100, 0, 113),
            (100, 0, 114),
        ] {
            let params = Params {
                len,
                flags,
                offset2: second,
                ..Default::default()
            };
            run(&pair, "tc_change_head", params, &packet, &ctx, 1);
        }
    }
    // The changes accumulate over repeated runs. (Linux 6.18 refuses repeated head growth
    // with -ENOMEM once the packet passes about 1.5 KB, far below BPF_SKB_MAX_LEN, which a
    // single change_head reaches; ebee has no such limit, so the repeats stay below it.)
    for repeat in [2, 10] {
        let params = Params {
            len: 100,
            ..Default::default()
        };
        run(&pair, "tc_change_head", params, &packet, &[0; 192], repeat);
        let params = Params {
            len: 74 + repeat,
            ..Default::default()
        };
        run(&pair, "tc_change_tail", params, &packet, &[0; 192], repeat);
    }
}

#[test]
fn skb_change_proto_4_and_6() {
    let Some(pair) = Pair::load("packet_skb_change") else {
        return;
    };
    let be = |ethertype: u16| u64::from(u16::from_ne_bytes(ethertype.to_be_bytes()));
    let v4 = ipv4_packet(6, 74, UNICAST);
    let v6 = ipv6_packet(94);
    let arp = {
        let mut p = v4.clone();
        p[12..14].copy_from_slice(&[0x08, 0x06]);
        p
    };
    for packet in [&v4, &v6, &arp, &v6[..54].to_vec(), &v4[..34].to_vec()] {
        for ctx in contexts() {
            for (from, flags, to) in [
                (be(0x86dd), 0, 0),
                (be(0x0800), 0, 0),
                (be(0x86dd), 1, 0),
                (be(0x86dd), 0, be(0x0800)),
                (be(0x0800), 0, be(0x86dd)),
                (be(0x0806), 0, 0),
                (0x1_0000 | be(0x86dd), 0, 0),
                (0x86dd, 0, 0),
            ] {
                let params = Params {
                    from,
                    flags,
                    to,
                    ..Default::default()
                };
                run(&pair, "tc_change_proto", params, packet, &ctx, 1);
            }
        }
    }
    for repeat in [2, 3] {
        let params = Params {
            from: be(0x86dd),
            ..Default::default()
        };
        run(&pair, "tc_change_proto", params, &v4, &[0; 192], repeat);
    }
}

#[test]
fn skb_vlan_push_and_pop() {
    let Some(pair) = Pair::load("packet_skb_change") else {
        return;
    };
    let be = |ethertype: u16| u64::from(u16::from_ne_bytes(ethertype.to_be_bytes()));
    let plain = ipv4_packet(17, 64, UNICAST);
    let tagged = vlan_tagged(&plain, &[(0x8100, 0x0123)]);
    let double = vlan_tagged(&plain, &[(0x88a8, 0x0045), (0x8100, 0x0123)]);
    let triple = vlan_tagged(&plain, &[(0x88a8, 1), (0x8100, 2), (0x8100, 3)]);
    let mut odd = vlan_tagged(&plain, &[(0x8100, 7)]);
    odd[16..18].copy_from_slice(&[0x00, 0x40]); // 802.3 length inside
    let mut raw = odd.clone();
    raw[18..20].copy_from_slice(&[0xff, 0xff]); // and the IPX magic after it
    let short: Vec<Vec<u8>> = [14, 17, 18, 19, 20]
        .iter()
        .map(|&n| tagged[..n].to_vec())
        .collect();
    let mut packets = vec![plain, tagged, double, triple, odd, raw];
    packets.extend(short);
    for packet in &packets {
        for (pushes, pops) in [
            (0, 1),
            (0, 2),
            (0, 3),
            (1, 0),
            (2, 0),
            (3, 0),
            (4, 0),
            (1, 1),
            (2, 1),
            (2, 2),
            (3, 4),
            (4, 4),
        ] {
            for (proto, tci) in [(be(0x8100), 0x0064), (be(0x88a8), 0xf00d), (be(0x0800), 5)] {
                let params = Params {
                    offset: pushes,
                    offset2: pops,
                    from: proto,
                    to: tci,
                    ..Default::default()
                };
                run(&pair, "tc_vlan", params, packet, &[0; 192], 1);
            }
        }
    }
    // The hardware tag and the pushed headers carry over between repeated runs.
    for repeat in [2, 5] {
        let params = Params {
            offset: 1,
            from: be(0x8100),
            to: 9,
            ..Default::default()
        };
        run(&pair, "tc_vlan", params, &packets[0], &[0; 192], repeat);
        let params = Params {
            offset2: 1,
            ..Default::default()
        };
        run(&pair, "tc_vlan", params, &packets[3], &[0; 192], repeat);
    }
}

#[test]
fn skb_checksum_level_type_ecn_hash() {
    let Some(pair) = Pair::load("packet_skb_change") else {
        return;
    };
    let packet = ipv4_packet(6, 74, UNICAST);
    let ctx = vec![0u8; 192];
    let levels = |ops: &[u8]| {
        let mut flags = [0xffu8; 8];
        flags[..ops.len()].copy_from_slice(ops);
        u64::from_le_bytes(flags)
    };
    for ops in [
        &[][..],
        &[0],
        &[1],
        &[1, 0],
        &[1, 1, 1, 1, 1, 0],
        &[1, 2],
        &[1, 1, 2, 0],
        &[2, 0],
        &[1, 3, 0],
        &[3],
        &[4],
        &[1, 4, 0],
        &[0xfe],
        &[1, 1, 1, 2, 2, 2, 2],
    ] {
        let params = Params {
            flags: levels(ops),
            ..Default::default()
        };
        run(&pair, "tc_csum_level", params, &packet, &ctx, 1);
        run(&pair, "tc_csum_level", params, &packet, &ctx, 3);
    }
    for (first, second) in [(0, 1), (3, 2), (4, 0), (1, 4), (7, 0), (u32::MAX, 1)] {
        for dst in [UNICAST, [0; 6], [0xff; 6]] {
            let params = Params {
                len: first,
                offset: second,
                ..Default::default()
            };
            run(
                &pair,
                "tc_change_type",
                params,
                &ipv4_packet(6, 74, dst),
                &ctx,
                1,
            );
        }
    }
    // ECN: every codepoint of IPv4 (checksum updated) and IPv6, VLAN-tagged packets (the
    // kernel looks for the IP protocol inside the tags but marks at the network header),
    // other protocols, packets shorter than their header.
    let v6 = ipv6_packet(94);
    let mut cases = Vec::new();
    for ecn in 0..4u8 {
        let mut p = packet.clone();
        p[15] = 0xb8 | ecn;
        let csum = inet_csum(&{
            let mut h = p[14..34].to_vec();
            h[10] = 0;
            h[11] = 0;
            h
        });
        p[24..26].copy_from_slice(&csum.to_be_bytes());
        cases.push(p.clone());
        cases.push(vlan_tagged(&p, &[(0x8100, 1)]));
        let mut q = v6.clone();
        q[15] = ecn << 4 | 0x0a;
        q[14] = 0x6b;
        cases.push(q.clone());
        cases.push(q[..53].to_vec());
    }
    let mut arp = packet.clone();
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    cases.push(arp);
    cases.push(packet[..33].to_vec());
    for p in &cases {
        for times in [1, 2] {
            let params = Params {
                len: times,
                ..Default::default()
            };
            let out = run(&pair, "tc_ecn", params, p, &ctx, 1);
            if let Some((_, out, _)) = out {
                if p.len() >= 34 && p[12..14] == [0x08, 0x00] {
                    assert_eq!(inet_csum(&out[14..34]), 0, "IPv4 checksum after ECN");
                }
            }
        }
    }
    for hash in [0, 1, 0xdead_beef, u32::MAX] {
        let params = Params {
            len: hash,
            ..Default::default()
        };
        let (_, _, ctx_out) = run(&pair, "tc_set_hash", params, &packet, &ctx, 1).unwrap();
        assert_eq!(
            ctx_out[60], 0b11,
            "relations of set_hash to get_hash_recalc"
        );
    }
}

/// ebee's fixed room (`SKB_EXTRA_ROOM`): pushes past it fail with `-ENOMEM` (where the
/// kernel would reallocate), and the run goes on.
#[test]
fn skb_growth_past_ebees_room_is_enomem() {
    let object = ebee::Engine::new()
        .load_file(common::compile("packet_skb_change"))
        .expect("loads");
    let params = Params {
        offset: 4,
        from: u64::from(u16::from_ne_bytes(0x8100u16.to_be_bytes())),
        to: 1,
        ..Default::default()
    };
    object
        .map("params")
        .unwrap()
        .update(&0u32.to_ne_bytes(), &params.bytes(), 0)
        .unwrap();
    let packet = ipv4_packet(17, 64, UNICAST);
    let out = object
        .program("tc_vlan")
        .unwrap()
        .test_run(&ebee::TestRun {
            data_in: &packet,
            ctx_in: Some(&[0; 192]),
            repeat: 3000,
            cpu: 0,
        })
        .expect("runs");
    let pushes = u32::from_ne_bytes(out.ctx_out[48..52].try_into().unwrap());
    assert_eq!(pushes, 0xf4f4_f4f4, "every push of the last run: -ENOMEM");
    // All of the room before the packet (2 * 16064 + 64 bytes) was used.
    assert_eq!(out.data_out.len(), 64 + 2 * 16064 + 64);
}
