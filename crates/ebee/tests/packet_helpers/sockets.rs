//! The socket lookups against real sockets: the test thread moves into a network namespace
//! of its own, brings loopback up and opens sockets there (TCP listeners on IPv4, IPv6 and
//! dual-stack addresses, connected TCP pairs of both families, bound, dual-stack, v6only and
//! connected UDP sockets, listeners bound to a device with a mark and a priority), and ebee
//! gets the equal `ebee::NetworkEnvironment` sockets. `tests/bpf/packet_sockets.bpf.c` looks
//! tuples up (hits and misses, each helper, both families, wrong sizes, flags, netns
//! values) and writes what it read of the socket into the packet, which must be equal.
//! Also: an unreleased socket refused by both verifiers, and a socket released twice
//! stopping an unverified ebee run.

use super::identity::own_netns;
use super::*;
use ebee::network::{Interface, NetworkEnvironment, Socket};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Sets an integer (or, for `SO_BINDTODEVICE`, string) socket option; panics on failure.
fn set_option(fd: &impl AsRawFd, level: i32, name: i32, value: &[u8]) {
    // SAFETY: `value` is valid for `value.len()` bytes during the call; the fd is open.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            value.as_ptr().cast(),
            value.len() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt: {}", std::io::Error::last_os_error());
}

/// A UDP socket on `[::]` with `IPV6_V6ONLY`, and its port.
fn v6only_udp() -> (OwnedFd, u16) {
    // SAFETY: socket(2) has no memory arguments.
    let raw = unsafe { libc::socket(libc::AF_INET6, libc::SOCK_DGRAM, 0) };
    assert!(raw >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: `raw` is a new descriptor nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    set_option(
        &fd,
        libc::IPPROTO_IPV6,
        libc::IPV6_V6ONLY,
        &1i32.to_ne_bytes(),
    );
    // SAFETY: all-zero is a valid `sockaddr_in6` (`::`, port 0).
    let mut addr: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    addr.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    let mut len = std::mem::size_of_val(&addr) as libc::socklen_t;
    // SAFETY: `addr` is a `sockaddr_in6` of `len` bytes, alive during the call.
    let bound = unsafe { libc::bind(fd.as_raw_fd(), (&raw const addr).cast(), len) } == 0;
    // SAFETY: as for bind(2); the kernel writes at most `len` bytes into `addr`.
    let ok = bound
        && unsafe { libc::getsockname(fd.as_raw_fd(), (&raw mut addr).cast(), &mut len) } == 0;
    assert!(ok, "bind: {}", std::io::Error::last_os_error());
    (fd, u16::from_be(addr.sin6_port))
}

/// The kernel's sockets (kept open while the test runs) and the equal environment.
struct Sockets {
    _open: Vec<Box<dyn std::any::Any>>,
    env: NetworkEnvironment,
    /// Tuples to look up: `(remote, local)`.
    tuples: Vec<(SocketAddr, SocketAddr)>,
}

fn open_sockets() -> Sockets {
    let a = |s: &str| s.parse::<SocketAddr>().unwrap();
    let with_port = |ip: &str, port: u16| SocketAddr::new(ip.parse().unwrap(), port);
    let mut open: Vec<Box<dyn std::any::Any>> = Vec::new();
    let mut env = NetworkEnvironment::new();
    let mut tuples = Vec::new();
    // TCP listeners and connections through them.
    for (bind, v6) in [("127.0.0.1:0", false), ("[::1]:0", true)] {
        let listener = TcpListener::bind(bind).unwrap();
        let at = listener.local_addr().unwrap();
        let client = TcpStream::connect(at).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let (c_local, c_remote) = (client.local_addr().unwrap(), client.peer_addr().unwrap());
        let s_remote = accepted.peer_addr().unwrap();
        env = env
            .with_socket(Socket::tcp_listener(at))
            .with_socket(Socket::tcp_connected(c_local, c_remote))
            .with_socket(Socket::tcp_accepted(at, s_remote));
        let other = if v6 { "::1" } else { "127.0.0.1" };
        tuples.extend([
            (s_remote, at),                              // the accepted socket
            (c_remote, c_local),                         // the client socket
            (with_port(other, 9), at),                   // the listener
            (s_remote, with_port(other, at.port() + 1)), // nothing
        ]);
        open.extend([
            Box::new(listener) as Box<dyn std::any::Any>,
            Box::new(client),
            Box::new(accepted),
        ]);
    }
    // A dual-stack listener, found by IPv4 and IPv6 tuples.
    let dual = TcpListener::bind("[::]:0").unwrap();
    let port = dual.local_addr().unwrap().port();
    env = env.with_socket(Socket::tcp_listener(with_port("::", port)));
    tuples.push((a("127.0.0.1:9"), with_port("127.0.0.1", port)));
    tuples.push((a("[::1]:9"), with_port("::1", port)));
    open.push(Box::new(dual));
    // A listener bound to loopback with a mark and a priority, and one bound to another
    // device, which packets arriving on loopback do not reach.
    for device in ["lo", "d0"] {
        let listener = TcpListener::bind("0.0.0.0:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        set_option(
            &listener,
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            device.as_bytes(),
        );
        set_option(
            &listener,
            libc::SOL_SOCKET,
            libc::SO_MARK,
            &7u32.to_ne_bytes(),
        );
        set_option(
            &listener,
            libc::SOL_SOCKET,
            libc::SO_PRIORITY,
            &3u32.to_ne_bytes(),
        );
        let socket = Socket::tcp_listener(with_port("0.0.0.0", port))
            .with_device(ifindex(device))
            .with_mark(7)
            .with_priority(3);
        env = env.with_socket(socket);
        tuples.push((a("127.0.0.1:9"), with_port("127.0.0.1", port)));
        open.push(Box::new(listener));
    }
    // UDP: bound on IPv4, dual-stack, v6only, and connected.
    let bound = UdpSocket::bind("127.0.0.1:0").unwrap();
    let bound_at = bound.local_addr().unwrap();
    let dual = UdpSocket::bind("[::]:0").unwrap();
    let dual_port = dual.local_addr().unwrap().port();
    let connected = UdpSocket::bind("127.0.0.1:0").unwrap();
    connected.connect(bound_at).unwrap();
    let connected_at = connected.local_addr().unwrap();
    let (v6only, v6only_port) = v6only_udp();
    let bound6 = UdpSocket::bind("[::1]:0").unwrap();
    let bound6_at = bound6.local_addr().unwrap();
    let connected6 = UdpSocket::bind("[::1]:0").unwrap();
    connected6.connect(bound6_at).unwrap();
    let connected6_at = connected6.local_addr().unwrap();
    env = env
        .with_socket(Socket::udp(bound_at))
        .with_socket(Socket::udp(with_port("::", dual_port)))
        .with_socket(Socket::udp_connected(connected_at, bound_at))
        .with_socket(Socket::udp(with_port("::", v6only_port)).with_v6only(true))
        .with_socket(Socket::udp(bound6_at))
        .with_socket(Socket::udp_connected(connected6_at, bound6_at));
    tuples.extend([
        (a("127.0.0.1:9"), bound_at),
        (a("127.0.0.1:9"), with_port("127.0.0.1", dual_port)),
        (a("[::1]:9"), with_port("::1", dual_port)),
        (bound_at, connected_at),
        (a("127.0.0.1:9"), connected_at), // connected elsewhere: not found
        (a("127.0.0.1:9"), with_port("127.0.0.1", v6only_port)),
        (a("[::1]:9"), with_port("::1", v6only_port)),
        (a("[::1]:9"), bound6_at),
        (bound6_at, connected6_at),
        (a("[::1]:9"), connected6_at),
    ]);
    open.extend([
        Box::new(bound) as Box<dyn std::any::Any>,
        Box::new(dual),
        Box::new(connected),
        Box::new(v6only),
        Box::new(bound6),
        Box::new(connected6),
    ]);
    Sockets {
        _open: open,
        env,
        tuples,
    }
}

/// The index of device `name` in the calling thread's namespace.
fn ifindex(name: &str) -> u32 {
    let name = std::ffi::CString::new(name).unwrap();
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    assert_ne!(index, 0, "{name:?}: {}", std::io::Error::last_os_error());
    index
}

/// `struct lookup` of `packet_sockets.bpf.c`.
fn lookup(helper: u32, size: u32, netns: u64, flags: u64, tuple: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    b.extend(helper.to_ne_bytes());
    b.extend(size.to_ne_bytes());
    b.extend(netns.to_ne_bytes());
    b.extend(flags.to_ne_bytes());
    b.extend(tuple);
    b.resize(64, 0);
    b
}

/// `struct bpf_sock_tuple` for `remote` → `local`, and the size of its family's part.
fn tuple(remote: SocketAddr, local: SocketAddr) -> (Vec<u8>, u32) {
    let ip = |a: SocketAddr| match a.ip() {
        std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
        std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    let mut b = ip(remote);
    b.extend(ip(local));
    b.extend(remote.port().to_be_bytes());
    b.extend(local.port().to_be_bytes());
    let size = b.len() as u32;
    b.resize(36, 0);
    (b, size)
}

#[test]
fn socket_lookups_find_what_the_kernel_finds() {
    let path = common::compile("packet_sockets");
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping: {reason}");
        return;
    }
    if !own_netns() {
        return;
    }
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("ip link set lo up && ip link add d0 type veth peer name p0")
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("skipping: cannot bring loopback up or add a veth pair");
        return;
    }
    let sockets = open_sockets();
    let mut lo = Interface::loopback();
    lo.up = true;
    let env = sockets
        .env
        .clone()
        .with_interface(
            lo.with_address("127.0.0.1".parse().unwrap(), 8)
                .with_address("::1".parse().unwrap(), 128),
        )
        .with_interface(Interface::ethernet(
            ifindex("d0"),
            "d0",
            [2, 0, 0, 0, 0, 1],
            1500,
        ))
        .with_interface(Interface::ethernet(
            ifindex("p0"),
            "p0",
            [2, 0, 0, 0, 0, 2],
            1500,
        ));
    env.validate().expect("a consistent environment");
    let elf = std::fs::read(&path).unwrap();
    let engine = ebee::Engine::new()
        .with_cpus(ebee_kernel::num_possible_cpus().unwrap())
        .with_network(env);
    let Some(pair) = Pair::load_with_engine("packet_sockets", &elf, engine) else {
        return;
    };
    let packet = ipv4_packet(6, 128, UNICAST);
    let mut found = [0usize; 3];
    let mut each = |helper: u32, size: u32, netns: u64, flags: u64, t: &[u8]| {
        pair.update(
            "lookups",
            &0u32.to_ne_bytes(),
            &lookup(helper, size, netns, flags, t),
            0,
        )
        .expect("lookups");
        let (rc, _, _) = run(
            &pair,
            "tc_sk_read",
            Params::default(),
            &packet,
            &[0; 192],
            1,
        )
        .expect("the test run runs");
        run(
            &pair,
            "xdp_sk_read",
            Params::default(),
            &packet,
            &xdp_md(0, 128),
            1,
        );
        if rc != 0 {
            assert_eq!(rc, 3, "found, and the same socket again");
            found[helper as usize] += 1;
        }
        rc
    };
    for &(remote, local) in &sockets.tuples {
        let (t, size) = tuple(remote, local);
        for helper in 0..3 {
            each(helper, size, u64::MAX, 0, &t);
        }
    }
    // The accepted IPv4 socket under every size, netns and flags.
    let (t, size) = tuple(sockets.tuples[0].0, sockets.tuples[0].1);
    assert_eq!(
        each(0, size, u64::MAX, 0, &t),
        3,
        "the accepted socket is found"
    );
    for size in [0, 5, 11, 13, 36] {
        each(0, size, u64::MAX, 0, &t);
    }
    for netns in [
        0xffff_ffff,
        0x8000_0000,
        0x1_ffff_ffff,
        0x1_8000_0000,
        0,
        1,
        0x7fff_ffff,
        0x1_0000_0000,
    ] {
        for helper in 0..3 {
            each(helper, size, netns, 0, &t);
        }
    }
    for flags in [1, 2, 1 << 63] {
        each(2, size, u64::MAX, flags, &t);
    }
    assert!(
        found.iter().all(|&n| n >= 4),
        "every helper found sockets: {found:?}"
    );
}

/// A socket looked up and not released is refused by ebee's verifier as by the kernel's.
#[test]
fn an_unreleased_socket_is_refused() {
    let path = common::compile_with("packet_sockets", &["LEAK=1"]);
    let elf = std::fs::read(&path).unwrap();
    let ours = ebee::Engine::new()
        .load(&elf)
        .err()
        .expect("ebee refuses it");
    assert!(ours.to_string().contains("tc_sk_leak"), "{ours}");
    assert!(
        ours.to_string().to_lowercase().contains("unreleased"),
        "{ours}"
    );
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping the kernel half: {reason}");
        return;
    }
    let theirs = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap_err();
    assert!(
        theirs.to_string().contains("Unreleased reference"),
        "{theirs}"
    );
}

/// Loaded unverified, a program releasing a socket twice stops at the second release; with
/// no sockets its lookup is NULL and it returns 0.
#[test]
fn a_socket_is_released_once_per_lookup() {
    let path = common::compile_with("packet_sockets", &["DOUBLE_RELEASE=1"]);
    let elf = std::fs::read(&path).unwrap();
    let packet = ipv4_packet(6, 74, UNICAST);
    let run = |env: NetworkEnvironment| {
        let object = ebee::Engine::new()
            .with_network(env)
            .open(&elf)
            .unwrap()
            .unverified()
            .load()
            .unwrap();
        let program = object.program("tc_sk_double_release").unwrap();
        program
            .test_run(&ebee::TestRun {
                data_in: &packet,
                ctx_in: None,
                repeat: 1,
                cpu: 0,
            })
            .map(|r| r.retval)
            .map_err(|e| e.to_string())
    };
    assert_eq!(run(NetworkEnvironment::new()), Ok(0));
    let listener = Socket::tcp_listener("127.0.0.1:80".parse().unwrap());
    let err = run(NetworkEnvironment::new().with_socket(listener)).unwrap_err();
    assert!(err.contains("released already"), "{err}");
}
