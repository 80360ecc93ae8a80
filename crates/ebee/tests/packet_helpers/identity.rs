//! Socket cookie, cgroup ids, check_mtu, fib_lookup and the socket lookups. The kernel's
//! answers depend on the namespace the test run happens in, so the test thread first moves
//! into a network namespace of its own (only loopback, down), which is what ebee answers
//! for.

use super::*;

/// Moves the calling thread into a new network namespace; false (after saying why) when it
/// cannot.
pub(crate) fn own_netns() -> bool {
    // SAFETY: unshare(2) with CLONE_NEWNET changes only the calling thread's namespaces.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        eprintln!(
            "skipping: unshare(CLONE_NEWNET): {}",
            std::io::Error::last_os_error()
        );
        return false;
    }
    true
}

#[test]
fn socket_cookie_by_relation() {
    let Some(pair) = Pair::load("packet_identity") else {
        return;
    };
    let packet = ipv4_packet(6, 74, UNICAST);
    let ctx = vec![0u8; 192];
    for program in ["tc_cookie", "sock_cookie"] {
        let mut cookies = [Vec::new(), Vec::new()];
        for repeat in [1, 1, 4] {
            let ours = pair.ebee.program(program).unwrap();
            let ours = ours
                .test_run(&ebee::TestRun {
                    data_in: &packet,
                    ctx_in: Some(&ctx),
                    repeat,
                    cpu: 0,
                })
                .unwrap();
            let run = ebee_kernel::TestRun {
                data_in: &packet,
                ctx_in: Some(&ctx),
                repeat,
                data_size_out: 4096,
                ctx_size_out: 192,
                ..Default::default()
            };
            let theirs = pair.kernel.test_run(program, &run).unwrap();
            for (side, out) in [&ours.ctx_out, &theirs.ctx_out].into_iter().enumerate() {
                assert_eq!(
                    out[48], 0b11,
                    "{program} side {side}: not 0, stable in a run"
                );
                cookies[side].push(u64::from_ne_bytes(out[52..60].try_into().unwrap()));
            }
            assert_eq!(ours.data_out, theirs.data_out, "{program}: data_out");
            assert_eq!(ours.retval, theirs.retval, "{program}: retval");
        }
        for (side, c) in cookies.iter().enumerate() {
            assert!(
                c[0] != c[1] && c[1] != c[2],
                "{program} side {side}: a socket per test run: {c:?}"
            );
        }
    }
}

/// `get_netns_cookie` from TC (Linux 6.15 and later) in a namespace of the test thread's
/// own: the packet's namespace and the initial one (NULL context) have cookies that are not
/// 0, differ, and stay the same across test runs.
#[test]
fn netns_cookies_by_relation() {
    let Some(pair) = Pair::load("packet_identity") else {
        return;
    };
    if !own_netns() {
        return;
    }
    let packet = ipv4_packet(6, 74, UNICAST);
    let mut seen = Vec::new();
    for _ in 0..2 {
        let both = pair.run_both("tc_netns_cookie", &packet, Some(&[0; 192]));
        let cookies = |ctx: &[u8]| {
            let word = |at: usize| u64::from_ne_bytes(ctx[at..at + 8].try_into().unwrap());
            (word(48), word(56))
        };
        let sides = [cookies(&both.ebee.ctx_out), cookies(&both.kernel.ctx_out)];
        for (side, (own, init)) in sides.iter().enumerate() {
            assert!(
                *own != 0 && *init != 0 && own != init,
                "side {side}: {own} {init}"
            );
        }
        seen.push(sides);
    }
    assert_eq!(seen[0], seen[1], "stable across test runs");
}

#[test]
fn cgroup_ids_and_classids() {
    let Some(pair) = Pair::load("packet_identity") else {
        return;
    };
    let (_, _, ctx) = run(
        &pair,
        "tc_cgroup",
        Params::default(),
        &ipv4_packet(6, 74, UNICAST),
        &[0; 192],
        1,
    )
    .expect("runs");
    assert_ne!(&ctx[48..56], &[0; 8], "the caller's cgroup has an id");
    // cgroup_skb: the same socket questions, and ECN from the network header.
    for tos in [0u8, 1, 2, 3] {
        let mut packet = ipv4_packet(6, 74, UNICAST);
        packet[15] = tos;
        let h = inet_csum(&{
            let mut h = packet[14..34].to_vec();
            h[10] = 0;
            h[11] = 0;
            h
        });
        packet[24..26].copy_from_slice(&h.to_be_bytes());
        let (_, out, ctx) = run(
            &pair,
            "cg_identity",
            Params::default(),
            &packet,
            &[0; 192],
            1,
        )
        .expect("runs");
        assert_eq!(ctx[56], 0b11, "cookie relations");
        assert_eq!(inet_csum(&out[14..34]), 0, "IPv4 checksum after ECN");
    }
}

#[test]
fn check_mtu_on_loopback() {
    let Some(pair) = Pair::load("packet_identity") else {
        return;
    };
    if !own_netns() {
        return;
    }
    let packet = ipv4_packet(6, 74, UNICAST);
    for ctx in [vec![0u8; 192], {
        let mut c = vec![0u8; 192];
        c[176..180].copy_from_slice(&1400u32.to_ne_bytes());
        c
    }] {
        for (ifindex, len, delta, flags) in [
            (0, 0, 0, 0),
            (1, 0, 0, 0),
            (2, 0, 0, 0),
            (99, 0, 0, 0),
            (0, 1500, 0, 0),
            (0, 65536, 0, 0),
            (0, 65537, 0, 0),
            (0, 0, 65476, 0),
            (0, 0, 65477, 0),
            (0, 0, -100, 0),
            (0, 65536, 1, 0),
            (0, 65537, -1, 0),
            (0, u32::MAX, 0, 0),
            (0, 0, i32::MAX, 0),
            (0, 0, 0, 1),
            (0, 0, 1, 1),
            (0, 1, 0, 1),
            (0, 0, 0, 2),
            (0, 0, 0, 1 << 40),
            (2, 0, 0, 1),
        ] {
            let params = Params {
                ifindex,
                len,
                delta,
                flags,
                ..Default::default()
            };
            run(&pair, "tc_check_mtu", params, &packet, &ctx, 1);
            if ctx[176] == 0 {
                run(&pair, "xdp_check_mtu", params, &packet, &xdp_md(0, 74), 1);
            }
        }
    }
}

#[test]
fn fib_and_socket_lookups_in_an_empty_namespace() {
    let Some(pair) = Pair::load("packet_identity") else {
        return;
    };
    if !own_netns() {
        return;
    }
    let packet = ipv4_packet(6, 74, UNICAST);
    let dst = u64::from(u32::from_ne_bytes([10, 0, 0, 2]));
    let local = u64::from(u32::from_ne_bytes([127, 0, 0, 1]));
    for family in [2, 10, 0, 1] {
        for ifindex in [1, 0, 2] {
            for (flags, len, tot_len) in [
                (0, 0, 0),
                (1, 0, 0),
                (2, 0, 0),
                (3, 0, 0),
                (1 << 4, 0, 0),
                (1 << 5, 0, 0),
                (1 << 6, 0, 0),
                (0, 1, 0),
                (0, 0, 1500),
            ] {
                for to in [dst, local] {
                    let params = Params {
                        offset: family,
                        ifindex,
                        flags,
                        len,
                        offset2: tot_len,
                        to,
                        ..Default::default()
                    };
                    run(&pair, "tc_fib", params, &packet, &[0; 192], 1);
                    run(&pair, "xdp_fib", params, &packet, &xdp_md(0, 74), 1);
                }
            }
        }
    }
    for netns in [u64::MAX, 0, 1, 0x7fff_ffff, 0x8000_0000] {
        for flags in [0, 1] {
            for to in [dst, local] {
                let params = Params {
                    from: netns,
                    flags,
                    to,
                    ifindex: u32::from(u16::from_ne_bytes(80u16.to_be_bytes())),
                    ..Default::default()
                };
                let (bits, _, _) =
                    run(&pair, "tc_sk_lookup", params, &packet, &[0; 192], 1).unwrap();
                assert_eq!(bits, 0, "no sockets");
                run(&pair, "xdp_sk_lookup", params, &packet, &xdp_md(0, 74), 1);
            }
        }
    }
}
