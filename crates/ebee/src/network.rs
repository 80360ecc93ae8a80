//! The host network environment the identity helpers answer from: interfaces, routes,
//! neighbours, sockets, and the tunnel metadata of the packets a test run gives the program.
//!
//! In the kernel, `bpf_fib_lookup`, `bpf_skb_get_tunnel_key`, `bpf_check_mtu` and their
//! kind ask the network namespace the program runs in. ebee has no namespace; the host
//! describes one with a [`NetworkEnvironment`] ([`crate::Engine::with_network`], the CLI's
//! `--env FILE`), and the helpers answer as Linux 6.18 answers for a namespace configured
//! that way with `ip`. The default, [`NetworkEnvironment::new`], is a namespace of its own
//! with nothing in it but the loopback device (down, no addresses, forwarding off).
//!
//! What is modelled (see `helpers/fib.rs` for the lookup itself):
//! - [`Interface`]: ifindex, name, MAC address, MTU, whether it is up, whether forwarding
//!   is enabled on it (`net.ipv4.conf.<dev>.forwarding`, `net.ipv6.conf.<dev>.forwarding`),
//!   and its addresses. As `ip addr add` does, each address makes a local route (in the
//!   local table: lookups of it are not forwarded) and, on an interface that is up, a
//!   connected route to its prefix (IPv4 metric 0, IPv6 metric 256).
//! - [`Route`]: prefix, type (unicast, blackhole, unreachable, prohibit), device, gateway,
//!   preferred source, metric, table, MTU — what `ip route add` sets.
//! - [`Neighbour`]: an IP address's MAC address on a device (`ip neigh add … nud permanent`).
//! - [`Socket`]: a TCP or UDP socket (listening, connected or bound; family, addresses and
//!   ports, state, device, mark, priority), what `bpf_sk_lookup_tcp`, `bpf_sk_lookup_udp`
//!   and `bpf_skc_lookup_tcp` find (the rules are in `network/socket.rs`).
//! - [`TunnelKey`]: the tunnel metadata of each packet a test run receives, as a
//!   `collect_md` tunnel device would have attached it (`bpf_skb_get_tunnel_key` reads it).
//!
//! Not modelled: policy routing rules (marks, `BPF_FIB_LOOKUP_MARK` has nothing to select),
//! multipath routes, lightweight tunnel encapsulations, VRFs, VLAN devices; of sockets,
//! time-wait and request sockets, reuseport groups and other namespaces.

mod socket;

pub(crate) use socket::{lookup as lookup_socket, Tuple, BPF_SOCK_SIZE};
pub use socket::{tcp_state, Protocol, Socket};

use std::net::IpAddr;

/// `RT_TABLE_MAIN`: the table routes go to unless they say otherwise.
pub const RT_TABLE_MAIN: u32 = 254;
/// `RT_TABLE_LOCAL`: the table of local addresses.
pub const RT_TABLE_LOCAL: u32 = 255;

/// A network namespace as the helpers see it.
///
/// ```
/// use ebee::network::{Interface, Neighbour, NetworkEnvironment, Route};
/// let env = NetworkEnvironment::new()
///     .with_interface(
///         Interface::ethernet(2, "eth0", [2, 0, 0, 0, 0, 0xaa], 1500)
///             .with_forwarding(true)
///             .with_address("10.1.0.1".parse()?, 24),
///     )
///     .with_route(Route::via("10.2.0.0".parse()?, 16, "10.1.0.2".parse()?, 2))
///     .with_neighbour(Neighbour {
///         ip: "10.1.0.2".parse()?,
///         mac: [2, 0, 0, 0, 0, 0xbb],
///         ifindex: 2,
///     });
/// env.validate()?;
/// let engine = ebee::Engine::new().with_network(env);
/// # let _ = engine;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkEnvironment {
    /// The devices, loopback (ifindex 1) included.
    pub interfaces: Vec<Interface>,
    /// Routes beyond those the interfaces' addresses make.
    pub routes: Vec<Route>,
    /// Neighbour (ARP, NDP) entries.
    pub neighbours: Vec<Neighbour>,
    /// Tunnel metadata of every packet a test run receives; `None`: packets come from no
    /// tunnel (`bpf_skb_get_tunnel_key` fails with `-EINVAL`, as in a kernel test run).
    pub tunnel: Option<TunnelKey>,
    /// The sockets the socket lookups find; none by default (every lookup NULL).
    pub sockets: Vec<Socket>,
}

impl Default for NetworkEnvironment {
    fn default() -> Self {
        Self::new()
    }
}

/// A network device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Its index (`ifindex`, not 0).
    pub ifindex: u32,
    /// Its name (`eth0`).
    pub name: String,
    /// Its MAC address (`smac` of a FIB lookup through it).
    pub mac: [u8; 6],
    /// Its MTU.
    pub mtu: u32,
    /// Whether it is up (a device that is down gets no connected routes and forwards
    /// nothing).
    pub up: bool,
    /// Whether IPv4 and IPv6 forwarding are enabled on it (`BPF_FIB_LKUP_RET_FWD_DISABLED`
    /// for lookups coming in through it otherwise).
    pub forwarding: bool,
    /// Its addresses with their prefix lengths.
    pub addresses: Vec<(IpAddr, u8)>,
}

impl Interface {
    /// The loopback device of a new namespace: ifindex 1, `lo`, MTU 65536, down.
    pub fn loopback() -> Interface {
        Interface {
            ifindex: 1,
            name: "lo".into(),
            mac: [0; 6],
            mtu: 65536,
            up: false,
            forwarding: false,
            addresses: Vec::new(),
        }
    }

    /// An Ethernet device that is up, without addresses, forwarding disabled.
    pub fn ethernet(ifindex: u32, name: &str, mac: [u8; 6], mtu: u32) -> Interface {
        Interface {
            ifindex,
            name: name.into(),
            mac,
            mtu,
            up: true,
            forwarding: false,
            addresses: Vec::new(),
        }
    }

    /// Adds address `ip/prefix_len`.
    pub fn with_address(mut self, ip: IpAddr, prefix_len: u8) -> Interface {
        self.addresses.push((ip, prefix_len));
        self
    }

    /// Enables or disables forwarding on it.
    pub fn with_forwarding(mut self, forwarding: bool) -> Interface {
        self.forwarding = forwarding;
        self
    }
}

/// What a route does with what it matches (`ip route add TYPE …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// Forwarded through its device (`BPF_FIB_LKUP_RET_SUCCESS` when a neighbour is known).
    Unicast,
    /// A local address: not forwarded (`BPF_FIB_LKUP_RET_NOT_FWDED`).
    Local,
    /// Dropped silently (`BPF_FIB_LKUP_RET_BLACKHOLE`).
    Blackhole,
    /// Unreachable (`BPF_FIB_LKUP_RET_UNREACHABLE`).
    Unreachable,
    /// Administratively prohibited (`BPF_FIB_LKUP_RET_PROHIBIT`).
    Prohibit,
}

/// A route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The destination prefix's address (host bits are ignored).
    pub destination: IpAddr,
    /// The prefix length.
    pub prefix_len: u8,
    /// Its type.
    pub kind: RouteKind,
    /// The output device (0 for blackhole, unreachable and prohibit routes).
    pub ifindex: u32,
    /// The next hop, if not directly connected (the same family as the destination).
    pub gateway: Option<IpAddr>,
    /// The preferred source (`src`), what `BPF_FIB_LOOKUP_SRC` gives.
    pub source: Option<IpAddr>,
    /// The metric; `None`: `ip`'s default (0 for IPv4, 1024 for IPv6).
    pub metric: Option<u32>,
    /// The table (`RT_TABLE_MAIN` unless `table N`).
    pub table: u32,
    /// The route's MTU as `mtu lock N` sets it; 0: the device's. (An IPv4 lookup checks
    /// against a route's MTU only when it is locked, or with `ip_forward_use_pmtu`: describe
    /// an unlocked `mtu N` IPv4 route with 0.)
    pub mtu: u32,
}

impl Route {
    /// A unicast route to `destination/prefix_len` directly on device `ifindex`.
    pub fn direct(destination: IpAddr, prefix_len: u8, ifindex: u32) -> Route {
        Route {
            destination,
            prefix_len,
            kind: RouteKind::Unicast,
            ifindex,
            gateway: None,
            source: None,
            metric: None,
            table: RT_TABLE_MAIN,
            mtu: 0,
        }
    }

    /// A unicast route to `destination/prefix_len` via `gateway` on device `ifindex`.
    pub fn via(destination: IpAddr, prefix_len: u8, gateway: IpAddr, ifindex: u32) -> Route {
        Route {
            gateway: Some(gateway),
            ..Route::direct(destination, prefix_len, ifindex)
        }
    }

    /// A route of `kind` without a device (blackhole, unreachable, prohibit).
    pub fn of_kind(kind: RouteKind, destination: IpAddr, prefix_len: u8) -> Route {
        Route {
            kind,
            ..Route::direct(destination, prefix_len, 0)
        }
    }

    /// The metric the kernel gives it.
    pub fn effective_metric(&self) -> u32 {
        self.metric
            .unwrap_or(if self.destination.is_ipv4() { 0 } else { 1024 })
    }

    /// Whether `ip` is in its prefix.
    pub fn matches(&self, ip: IpAddr) -> bool {
        in_prefix(ip, self.destination, self.prefix_len)
    }
}

/// A neighbour entry: `ip` is at `mac` on device `ifindex`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neighbour {
    /// The neighbour's address.
    pub ip: IpAddr,
    /// Its MAC address (`dmac` of a FIB lookup to it).
    pub mac: [u8; 6],
    /// The device it is reachable on.
    pub ifindex: u32,
}

/// Tunnel metadata of a received packet (`struct ip_tunnel_info` of a `collect_md` tunnel
/// device, in receive mode), what `bpf_skb_get_tunnel_key` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TunnelKey {
    /// The tunnel id (VNI, GRE key); the helper reports its low 32 bits.
    pub id: u64,
    /// The outer source: the remote end (`remote_ipv4`/`remote_ipv6`).
    pub remote: IpAddr,
    /// The outer destination: this end (`local_ipv4`/`local_ipv6`); the same family as
    /// `remote`.
    pub local: IpAddr,
    /// The outer TOS.
    pub tos: u8,
    /// The outer TTL.
    pub ttl: u8,
    /// The IPv6 flow label (IPv6 tunnels only).
    pub label: u32,
    /// The tunnel flags as `BPF_F_TUNINFO_FLAGS` reports them in host order (the `TUNNEL_*`
    /// bits: `0x1` checksum, `0x4` key, `0x8` sequence number, `0x100` don't fragment).
    pub flags: u16,
}

impl NetworkEnvironment {
    /// An empty network namespace: only the loopback device, down ([`Interface::loopback`]).
    pub fn new() -> NetworkEnvironment {
        NetworkEnvironment {
            interfaces: vec![Interface::loopback()],
            routes: Vec::new(),
            neighbours: Vec::new(),
            tunnel: None,
            sockets: Vec::new(),
        }
    }

    /// Adds `interface`, replacing the one with its ifindex (loopback can be replaced so).
    pub fn with_interface(mut self, interface: Interface) -> NetworkEnvironment {
        self.interfaces.retain(|i| i.ifindex != interface.ifindex);
        self.interfaces.push(interface);
        self.interfaces.sort_by_key(|i| i.ifindex);
        self
    }

    /// Adds `route`.
    pub fn with_route(mut self, route: Route) -> NetworkEnvironment {
        self.routes.push(route);
        self
    }

    /// Adds `neighbour`.
    pub fn with_neighbour(mut self, neighbour: Neighbour) -> NetworkEnvironment {
        self.neighbours.push(neighbour);
        self
    }

    /// Gives every packet of a test run the tunnel metadata `key`.
    pub fn with_tunnel(mut self, key: TunnelKey) -> NetworkEnvironment {
        self.tunnel = Some(key);
        self
    }

    /// Adds `socket`.
    pub fn with_socket(mut self, socket: Socket) -> NetworkEnvironment {
        self.sockets.push(socket);
        self
    }

    /// The device with index `ifindex`.
    pub fn interface(&self, ifindex: u32) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.ifindex == ifindex)
    }

    /// The neighbour entry of `ip` on device `ifindex`.
    pub fn neighbour(&self, ifindex: u32, ip: IpAddr) -> Option<&Neighbour> {
        self.neighbours
            .iter()
            .find(|n| n.ifindex == ifindex && n.ip == ip)
    }

    /// Every route: the host's, then the local and connected routes the addresses make.
    pub fn all_routes(&self) -> Vec<Route> {
        let mut routes = self.routes.clone();
        for interface in &self.interfaces {
            for &(ip, prefix_len) in &interface.addresses {
                let host = if ip.is_ipv4() { 32 } else { 128 };
                routes.push(Route {
                    kind: RouteKind::Local,
                    table: RT_TABLE_LOCAL,
                    source: Some(ip),
                    metric: Some(0),
                    ..Route::direct(ip, host, interface.ifindex)
                });
                if interface.up && prefix_len < host {
                    // Loopback's prefix routes are local ones (`127.0.0.0/8`).
                    let kind = match interface.ifindex {
                        1 => RouteKind::Local,
                        _ => RouteKind::Unicast,
                    };
                    routes.push(Route {
                        kind,
                        source: Some(ip),
                        metric: Some(if ip.is_ipv4() { 0 } else { 256 }),
                        ..Route::direct(ip, prefix_len, interface.ifindex)
                    });
                }
            }
        }
        routes
    }

    /// Checks that the description is consistent: unique, non-zero ifindexes with a
    /// loopback at 1, prefix lengths within their family, routes and neighbours on
    /// devices that exist, gateways, sources and tunnel ends of the right family, sockets
    /// with a port, a state that fits them and a device that exists.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for i in &self.interfaces {
            if i.ifindex == 0 || !seen.insert(i.ifindex) {
                return Err(format!(
                    "interface {}: ifindex {} is 0 or used twice",
                    i.name, i.ifindex
                ));
            }
            if i.mtu == 0 {
                return Err(format!("interface {}: MTU 0", i.name));
            }
            for &(ip, len) in &i.addresses {
                check_prefix(ip, len).map_err(|e| format!("interface {}: {e}", i.name))?;
            }
        }
        if self.interface(1).is_none() {
            return Err("no loopback device (ifindex 1)".into());
        }
        let device = |what: &str, ifindex: u32| match self.interface(ifindex) {
            Some(_) => Ok(()),
            None => Err(format!("{what}: no interface with ifindex {ifindex}")),
        };
        for (n, r) in self.routes.iter().enumerate() {
            let what = format!("route {n} ({}/{})", r.destination, r.prefix_len);
            check_prefix(r.destination, r.prefix_len).map_err(|e| format!("{what}: {e}"))?;
            match r.kind {
                RouteKind::Unicast | RouteKind::Local => device(&what, r.ifindex)?,
                _ if r.ifindex != 0 => device(&what, r.ifindex)?,
                _ => {}
            }
            for (name, ip) in [("gateway", r.gateway), ("source", r.source)] {
                if ip.is_some_and(|ip| ip.is_ipv4() != r.destination.is_ipv4()) {
                    return Err(format!("{what}: {name} of the other family"));
                }
            }
        }
        for n in &self.neighbours {
            device(&format!("neighbour {}", n.ip), n.ifindex)?;
        }
        for (n, s) in self.sockets.iter().enumerate() {
            let what = format!("socket {n} ({:?} {})", s.protocol, s.local);
            s.validate().map_err(|e| format!("{what}: {e}"))?;
            if s.bound_dev_if != 0 {
                device(&what, s.bound_dev_if)?;
            }
        }
        if let Some(t) = &self.tunnel {
            if t.remote.is_ipv4() != t.local.is_ipv4() {
                return Err("tunnel: remote and local of different families".into());
            }
        }
        Ok(())
    }
}

/// Checks a prefix length against the address family.
fn check_prefix(ip: IpAddr, len: u8) -> Result<(), String> {
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if len > max {
        return Err(format!("prefix length {len} of {ip} is above {max}"));
    }
    Ok(())
}

/// Whether `ip` lies in `prefix/len` (of the same family).
pub(crate) fn in_prefix(ip: IpAddr, prefix: IpAddr, len: u8) -> bool {
    let (a, b, bits) = match (ip, prefix) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (
            u128::from(u32::from(a)) << 96,
            u128::from(u32::from(b)) << 96,
            32,
        ),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    let len = u32::from(len).min(bits);
    len == 0 || (a ^ b) >> (128 - len) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_by_their_leading_bits() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_prefix(ip("10.2.3.4"), ip("10.2.0.0"), 16));
        assert!(!in_prefix(ip("10.3.3.4"), ip("10.2.0.0"), 16));
        assert!(in_prefix(ip("1.2.3.4"), ip("0.0.0.0"), 0));
        assert!(in_prefix(ip("2001:db8::5"), ip("2001:db8::"), 64));
        assert!(!in_prefix(ip("2001:db9::5"), ip("2001:db8::"), 32));
        assert!(!in_prefix(ip("10.0.0.1"), ip("::"), 0));
    }

    #[test]
    fn addresses_make_local_and_connected_routes() {
        let env = NetworkEnvironment::new().with_interface(
            Interface::ethernet(3, "d0", [2, 0, 0, 0, 0, 1], 1500)
                .with_address("10.1.0.1".parse().unwrap(), 24),
        );
        let routes = env.all_routes();
        assert_eq!(routes.len(), 2);
        assert_eq!(routes[0].kind, RouteKind::Local);
        assert_eq!(routes[0].table, RT_TABLE_LOCAL);
        assert!(routes[1].matches("10.1.0.77".parse().unwrap()));
        assert_eq!(env.validate(), Ok(()));
    }

    #[test]
    fn validation_names_what_is_wrong() {
        let env =
            NetworkEnvironment::new().with_route(Route::direct("10.0.0.0".parse().unwrap(), 8, 7));
        let err = env.validate().unwrap_err();
        assert!(
            err.contains("route 0 (10.0.0.0/8): no interface with ifindex 7"),
            "{err}"
        );
        let env = NetworkEnvironment::new().with_route(Route::via(
            "10.0.0.0".parse().unwrap(),
            8,
            "::1".parse().unwrap(),
            1,
        ));
        assert!(env
            .validate()
            .unwrap_err()
            .contains("gateway of the other family"));
        let mut env = NetworkEnvironment::new();
        env.interfaces.clear();
        assert!(env.validate().unwrap_err().contains("loopback"));
    }

    #[test]
    fn sockets_are_validated() {
        let a = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
        for (socket, message) in [
            (Socket::tcp_listener(a("127.0.0.1:0")), "local port 0"),
            (
                Socket::tcp_listener(a("127.0.0.1:80")).with_device(9),
                "ifindex 9",
            ),
            (
                Socket::tcp_connected(a("127.0.0.1:80"), a("[::1]:9")),
                "remote of the other family",
            ),
            (
                Socket::tcp_listener(a("127.0.0.1:80")).with_state(tcp_state::TIME_WAIT),
                "not modelled",
            ),
            (
                Socket::udp(a("127.0.0.1:53")).with_state(tcp_state::LISTEN),
                "state 10 does not fit",
            ),
            (Socket::udp(a("127.0.0.1:53")).with_v6only(true), "v6only"),
        ] {
            let err = NetworkEnvironment::new()
                .with_socket(socket)
                .validate()
                .unwrap_err();
            assert!(
                err.starts_with("socket 0 (") && err.contains(message),
                "{err}"
            );
        }
    }
}
