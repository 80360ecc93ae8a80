//! XDP: adjust head, tail and metadata, loads and stores, redirect, metadata in the input,
//! refused inputs, repeated runs.

use super::*;

#[test]
fn xdp_adjust_head_tail_meta() {
    let Some(pair) = Pair::load("packet_xdp") else {
        return;
    };
    for len in [14usize, 15, 64, 128, 1500, 3520] {
        let packet = if len < 64 {
            ipv4_packet(17, 64, UNICAST)[..len].to_vec()
        } else {
            ipv4_packet(17, len, UNICAST)
        };
        let ctx = xdp_md(0, len);
        let l = len as i32;
        for d in [
            0,
            -1,
            -14,
            -40,
            -215,
            -216,
            -217,
            -232,
            -256,
            -257,
            1,
            14,
            l - 16,
            l - 14,
            l - 13,
            l,
            1 << 30,
            i32::MIN,
        ] {
            run(&pair, "xdp_head", delta(d), &packet, &ctx, 1);
        }
        let room = 4096 - 320 - 256 - l;
        for d in [
            0,
            1,
            4,
            -1,
            -(l - 16),
            -(l - 14),
            -(l - 13),
            -l,
            room - 1,
            room,
            room + 1,
            4096,
            i32::MIN,
            i32::MAX,
        ] {
            run(&pair, "xdp_tail", delta(d), &packet, &ctx, 1);
        }
        for d in [
            0, -1, -3, -4, -8, -32, -36, -40, -212, -216, -220, -252, -256, 4, 8,
        ] {
            run(&pair, "xdp_meta", delta(d), &packet, &ctx, 1);
        }
        for (m, h) in [
            (-8, -16),
            (-8, -208),
            (-8, -209),
            (-32, -184),
            (-32, -185),
            (-4, 20),
            (-4, l - 14),
            (-4, l - 13),
            (0, -216),
        ] {
            run(
                &pair,
                "xdp_meta_head",
                Params {
                    delta: m,
                    delta2: h,
                    ..Default::default()
                },
                &packet,
                &ctx,
                1,
            );
        }
        for (h, t) in [
            (-20, 20),
            (20, -20),
            (20, -(l - 34)),
            (20, -(l - 33)),
            (-200, room),
            (-200, room + 1),
            (14, 0),
        ] {
            run(
                &pair,
                "xdp_head_tail",
                Params {
                    delta: h,
                    delta2: t,
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
fn xdp_metadata_in_the_input() {
    let Some(pair) = Pair::load("packet_xdp") else {
        return;
    };
    for meta in [0usize, 4, 8, 32, 36, 64, 252, 256, 3] {
        let mut data: Vec<u8> = (0..meta as u8).map(|i| 0x80 | i).collect();
        data.extend(ipv4_packet(6, 80, UNICAST));
        let ctx = xdp_md(meta, data.len());
        for d in [0, 4, -4, -8, -(meta as i32), 8] {
            run(&pair, "xdp_meta", delta(d), &data, &ctx, 1);
        }
        for d in [-16, -216 + meta as i32, -217 + meta as i32, 20] {
            run(&pair, "xdp_head", delta(d), &data, &ctx, 1);
        }
        run(&pair, "xdp_buff_len", Params::default(), &data, &ctx, 1);
    }
    // Contexts the test run refuses: data_meta set, data_end past the packet, data past
    // data_end, egress set, a queue without an interface, no Ethernet header after the
    // metadata, metadata running into the xdp_frame area.
    let data = ipv4_packet(6, 80, UNICAST);
    for (meta, end, at, value) in [
        (0, 80, 8usize, 4u32),
        (0, 81, 0, 0),
        (40, 36, 0, 0),
        (0, 80, 20, 1),
        (0, 80, 16, 1),
        (4, 80, 0, 0),
    ] {
        let mut ctx = xdp_md(meta, end);
        let merged = value | u32_at(&ctx, at);
        ctx[at..at + 4].copy_from_slice(&merged.to_ne_bytes());
        let data = if meta == 4 { &data[..17] } else { &data[..] };
        assert!(
            run(&pair, "xdp_buff_len", Params::default(), data, &ctx, 1).is_none(),
            "refused: {ctx:?}"
        );
    }
    let mut data = vec![0u8; 220];
    data.extend(ipv4_packet(6, 80, UNICAST));
    assert!(run(
        &pair,
        "xdp_buff_len",
        Params::default(),
        &data,
        &xdp_md(220, data.len()),
        1
    )
    .is_none());
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Multi-buffer frames are not supported: a `data_end` short of the packet, or a packet
/// longer than one buffer, which the kernel splits into fragments, is refused with a reason.
#[test]
fn xdp_fragments_are_refused() {
    let object = ebee::Engine::new()
        .load_file(common::compile("packet_xdp"))
        .expect("loads");
    let program = object.program("xdp_buff_len").unwrap();
    let data = ipv4_packet(6, 80, UNICAST);
    let ctx = xdp_md(0, 79);
    let err = program
        .test_run(&ebee::TestRun {
            data_in: &data,
            ctx_in: Some(&ctx),
            ..Default::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("frags"), "{err}");
    let big = vec![0u8; 3521];
    let err = program
        .test_run(&ebee::TestRun {
            data_in: &big,
            ..Default::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("fragments"), "{err}");
    let max = vec![0u8; 3520];
    assert_eq!(
        program
            .test_run(&ebee::TestRun {
                data_in: &max,
                ..Default::default()
            })
            .unwrap()
            .retval,
        3520
    );
}

#[test]
fn xdp_repeated_runs_keep_the_changes() {
    let Some(pair) = Pair::load("packet_xdp") else {
        return;
    };
    let packet = ipv4_packet(17, 100, UNICAST);
    let ctx = xdp_md(0, 100);
    for (program, d) in [
        ("xdp_head", -16),
        ("xdp_head", 8),
        ("xdp_tail", 300),
        ("xdp_tail", -10),
        ("xdp_meta", -4),
    ] {
        for repeat in [2, 5, 20] {
            run(&pair, program, delta(d), &packet, &ctx, repeat);
        }
    }
}

#[test]
fn xdp_load_store_redirect() {
    let Some(pair) = Pair::load("packet_xdp") else {
        return;
    };
    let packet = ipv4_packet(6, 64, UNICAST);
    let ctx = xdp_md(0, 64);
    for (offset, offset2) in [
        (0, 8),
        (56, 0),
        (57, 0),
        (0, 56),
        (0, 57),
        (64, 0),
        (0x10000, 0),
        (0xffff, 0),
        (u32::MAX, 0),
        (0, u32::MAX),
    ] {
        let out = run(
            &pair,
            "xdp_load_store",
            Params {
                offset,
                offset2,
                ..Default::default()
            },
            &packet,
            &ctx,
            1,
        );
        assert!(out.is_some());
    }
    for (ifindex, flags) in [
        (1, 0),
        (0, 0),
        (12345, 0),
        (1, 1),
        (1, 1 << 3),
        (1, u64::MAX),
    ] {
        run(
            &pair,
            "xdp_redirect",
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
    let ours = pair.ebee.program("xdp_redirect").unwrap();
    pair.update(
        "params",
        &0u32.to_ne_bytes(),
        &Params {
            ifindex: 7,
            ..Default::default()
        }
        .bytes(),
        0,
    )
    .unwrap();
    let result = ours
        .test_run(&ebee::TestRun {
            data_in: &packet,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        result.redirect,
        Some(ebee::Redirect::Ifindex {
            ifindex: 7,
            flags: 0
        })
    );
}

/// `xdp_load_bytes` / `xdp_store_bytes` with lengths 1–64 around the end of the packet,
/// after the tail grew or shrank, and `xdp_get_buff_len` after it.
#[test]
fn xdp_load_store_lengths_and_buff_len() {
    let Some(pair) = Pair::load("packet_xdp") else {
        return;
    };
    for (len_in, meta) in [(64usize, 0usize), (100, 8), (14, 0)] {
        let mut data: Vec<u8> = (0..meta as u8).collect();
        data.extend(ipv4_packet(17, len_in.max(64), UNICAST)[..len_in].iter());
        let ctx = xdp_md(meta, data.len());
        let l = len_in as u32;
        for delta in [0, 20, -10, 3000, -50] {
            let end = (l as i32 + delta).max(0) as u32;
            for len in [0u32, 7, 13, 63] {
                let n = len + 1;
                for (offset, offset2) in [
                    (0, 0),
                    (end.saturating_sub(n), 0),
                    (end.saturating_sub(n) + 1, 0),
                    (0, end.saturating_sub(n)),
                    (0, end.saturating_sub(n) + 1),
                    (end, 0),
                    (l, l),
                    (0xffff, 0),
                    (0, 0x10000),
                ] {
                    run(
                        &pair,
                        "xdp_bytes_len",
                        Params {
                            delta,
                            len,
                            offset,
                            offset2,
                            ..Default::default()
                        },
                        &data,
                        &ctx,
                        1,
                    );
                }
            }
        }
    }
}

/// `bpf_redirect_map` without a redirect map (ebee has none): the verifier refuses an array
/// for it, as the kernel's does; loaded unverified, the lookup fails, so the result is the
/// action in the low bits of the flags, `XDP_ABORTED` for unknown flags, and no redirect is
/// recorded.
#[test]
fn xdp_redirect_map_without_redirect_maps() {
    let path = common::compile("packet_redirect_map");
    let refusal = ebee::Engine::new().load_file(&path).err().expect("refused");
    assert!(
        refusal
            .to_string()
            .contains("cannot pass map_type 2 into func bpf_redirect_map"),
        "{refusal}"
    );
    let bytes = std::fs::read(&path).unwrap();
    let object = ebee::Engine::new()
        .open(&bytes)
        .and_then(|builder| builder.unverified().load())
        .expect("loads unverified");
    let program = object.program("xdp_redirect_map").unwrap();
    let params = object.map("params").unwrap();
    let packet = ipv4_packet(17, 64, UNICAST);
    for (flags, verdict) in [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
        (1 << 3 | 2, 2),
        (1 << 4 | 1, 1),
        (4, 0),
        (1 << 5 | 2, 0),
    ] {
        let bytes = Params {
            ifindex: 1,
            flags,
            ..Default::default()
        }
        .bytes();
        params.update(&0u32.to_ne_bytes(), &bytes, 0).unwrap();
        let out = program
            .test_run(&ebee::TestRun {
                data_in: &packet,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            (out.retval, out.redirect),
            (verdict, None),
            "flags {flags:#x}"
        );
    }
}
