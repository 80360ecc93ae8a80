//! fib_lookup against a configured network: the test thread moves into a network namespace
//! of its own and configures it with `ip` (a veth pair, addresses, routes of every type,
//! neighbours, forwarding), and ebee gets the equal `ebee::NetworkEnvironment`; the same
//! lookups (both families, every flag, MTU checks, success, `NO_NEIGH`, blackholes, …) must
//! return the same codes and leave the same `struct bpf_fib_lookup`.

use super::*;
use ebee::network::{Interface, Neighbour, NetworkEnvironment, Route, RouteKind};
use std::net::IpAddr;
use std::process::Command;

const D0_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0xaa];
const P0_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0xcc];
const GW_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0xbb];
const GW6_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0xbd];

/// Runs `ip` (or a shell line) in the test thread's namespace; panics on failure.
fn sh(line: &str) {
    let out = Command::new("sh").arg("-c").arg(line).output().expect("sh");
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The index of device `name` in the calling thread's namespace.
fn ifindex(name: &str) -> u32 {
    let name = std::ffi::CString::new(name).unwrap();
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    assert_ne!(index, 0, "{name:?}: {}", std::io::Error::last_os_error());
    index
}

/// Configures the namespace and returns the equal environment; `None` (after saying why)
/// where the kernel cannot be set up so.
fn configure() -> Option<NetworkEnvironment> {
    // SAFETY: unshare(2) with CLONE_NEWNET changes only the calling thread's namespaces.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        eprintln!("skipping: unshare: {}", std::io::Error::last_os_error());
        return None;
    }
    if Command::new("ip")
        .args(["link", "add", "d0", "type", "veth", "peer", "name", "p0"])
        .status()
        .map_or(true, |s| !s.success())
    {
        eprintln!("skipping: no veth devices");
        return None;
    }
    sh(
        "ip link set d0 address 02:00:00:00:00:aa && ip link set p0 address 02:00:00:00:00:cc \
        && ip link set d0 up && ip link set p0 up \
        && ip addr add 10.1.0.1/24 dev d0 && ip -6 addr add 2001:db8::1:1/112 dev d0 nodad \
        && ip route add 10.2.0.0/16 via 10.1.0.2 dev d0 \
        && ip route add 10.3.0.0/16 via 10.1.0.3 dev d0 src 10.1.0.1 metric 5 \
        && ip route add 10.7.0.0/16 via 10.1.0.2 dev d0 mtu lock 1400 \
        && ip route add 10.8.0.0/16 via 10.1.0.2 dev d0 table 100 \
        && ip route add blackhole 10.4.0.0/16 && ip route add unreachable 10.5.0.0/16 \
        && ip route add prohibit 10.6.0.0/16 \
        && ip -6 route add 2001:db8::2:0/112 via 2001:db8::1:2 dev d0 \
        && ip -6 route add blackhole 2001:db8::4:0/112 \
        && ip neigh add 10.1.0.2 lladdr 02:00:00:00:00:bb dev d0 nud permanent \
        && ip -6 neigh add 2001:db8::1:2 lladdr 02:00:00:00:00:bd dev d0 nud permanent \
        && echo 1 > /proc/sys/net/ipv4/conf/all/forwarding \
        && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding",
    );
    let (d0, p0) = (ifindex("d0"), ifindex("p0"));
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let mut lo = Interface::loopback();
    lo.forwarding = true;
    let env = NetworkEnvironment::new()
        .with_interface(lo)
        .with_interface(
            Interface::ethernet(d0, "d0", D0_MAC, 1500)
                .with_forwarding(true)
                .with_address(ip("10.1.0.1"), 24)
                .with_address(ip("2001:db8::1:1"), 112),
        )
        .with_interface(Interface::ethernet(p0, "p0", P0_MAC, 1500).with_forwarding(true))
        .with_route(Route::via(ip("10.2.0.0"), 16, ip("10.1.0.2"), d0))
        .with_route(Route {
            source: Some(ip("10.1.0.1")),
            metric: Some(5),
            ..Route::via(ip("10.3.0.0"), 16, ip("10.1.0.3"), d0)
        })
        .with_route(Route {
            mtu: 1400,
            ..Route::via(ip("10.7.0.0"), 16, ip("10.1.0.2"), d0)
        })
        .with_route(Route {
            table: 100,
            ..Route::via(ip("10.8.0.0"), 16, ip("10.1.0.2"), d0)
        })
        .with_route(Route::of_kind(RouteKind::Blackhole, ip("10.4.0.0"), 16))
        .with_route(Route::of_kind(RouteKind::Unreachable, ip("10.5.0.0"), 16))
        .with_route(Route::of_kind(RouteKind::Prohibit, ip("10.6.0.0"), 16))
        .with_route(Route::via(
            ip("2001:db8::2:0"),
            112,
            ip("2001:db8::1:2"),
            d0,
        ))
        .with_route(Route::of_kind(
            RouteKind::Blackhole,
            ip("2001:db8::4:0"),
            112,
        ))
        .with_neighbour(Neighbour {
            ip: ip("10.1.0.2"),
            mac: GW_MAC,
            ifindex: d0,
        })
        .with_neighbour(Neighbour {
            ip: ip("2001:db8::1:2"),
            mac: GW6_MAC,
            ifindex: d0,
        });
    env.validate().expect("a consistent environment");
    Some(env)
}

fn word(ip: [u8; 4]) -> u64 {
    u64::from(u32::from_ne_bytes(ip))
}

#[test]
fn fib_lookup_in_a_configured_namespace() {
    // Compiled and loaded in ebee with the environment, in the kernel in the namespace.
    let path = common::compile("packet_skb_room");
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping: {reason}");
        return;
    }
    let Some(env) = configure() else {
        return;
    };
    let (d0, p0) = (ifindex("d0"), ifindex("p0"));
    let elf = std::fs::read(&path).unwrap();
    let engine = ebee::Engine::new()
        .with_cpus(ebee_kernel::num_possible_cpus().unwrap())
        .with_network(env);
    let Some(pair) = Pair::load_with_engine("packet_skb_room", &elf, engine) else {
        return;
    };
    let v4 = |ip: [u8; 4]| (2u32, word(ip), 0u64, word([10, 1, 0, 1]) as i32);
    let v6 = |last: [u8; 4]| {
        (
            10u32,
            word([0x20, 1, 0x0d, 0xb8]),
            word(last),
            word([0x20, 1, 0x0d, 0xb8]) as i32,
        )
    };
    let destinations = [
        v4([10, 2, 0, 5]),
        v4([10, 1, 0, 2]),
        v4([10, 1, 0, 9]),
        v4([10, 3, 0, 1]),
        v4([10, 4, 0, 1]),
        v4([10, 5, 0, 1]),
        v4([10, 6, 0, 1]),
        v4([10, 7, 0, 1]),
        v4([10, 8, 0, 1]),
        v4([10, 1, 0, 1]),
        v4([10, 9, 9, 9]),
        v6([0, 2, 0, 5]),
        v6([0, 1, 0, 2]),
        v6([0, 1, 0, 9]),
        v6([0, 1, 0, 1]),
        v6([0, 4, 0, 1]),
        v6([0, 9, 0, 1]),
        (
            10,
            word([0xfe, 0x80, 0, 0]),
            word([0, 0, 0, 1]),
            word([0x20, 1, 0x0d, 0xb8]) as i32,
        ),
        (7, 0, 0, 0),
    ];
    let flags_tbid: [(u64, i32); 9] = [
        (0, 0),
        (1, 0),
        (2, 0),
        (4, 0),
        (16, 0),
        (1 | 8, 100),
        (1 | 8, 254),
        (1 | 8, 77),
        (2 | 4 | 16, 0),
    ];
    let small = ipv4_packet(6, 74, UNICAST);
    let big = ipv4_packet(6, 1600, UNICAST);
    let mut codes = std::collections::BTreeSet::new();
    for &(family, to, from, src) in &destinations {
        for ifindex in [1, d0, p0, 99] {
            for (flags, tbid) in flags_tbid {
                for tot_len in [0, 1400, 1401, 1501] {
                    let params = Params {
                        offset: family,
                        ifindex,
                        flags,
                        delta: tbid,
                        offset2: tot_len,
                        delta2: src,
                        to,
                        from,
                        ..Default::default()
                    };
                    let (rc, _, _) =
                        run(&pair, "tc_fib_full", params, &small, &[0; 192], 1).unwrap();
                    codes.insert(rc as i32);
                    run(&pair, "xdp_fib_full", params, &small, &xdp_md(0, 74), 1);
                    if tot_len == 0 {
                        run(&pair, "tc_fib_full", params, &big, &[0; 192], 1);
                    }
                }
            }
        }
    }
    // Success, blackhole, unreachable, prohibit, not forwarded, no neighbour, fragmentation
    // needed, -ENODEV and -EAFNOSUPPORT all happened.
    for code in [0, 1, 2, 3, 4, 7, 8, -19, -97] {
        assert!(
            codes.contains(&code),
            "no lookup returned {code}: {codes:?}"
        );
    }
}
