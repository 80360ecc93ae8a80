//! The sockets of the host network environment, and how `bpf_sk_lookup_tcp`,
//! `bpf_sk_lookup_udp` and `bpf_skc_lookup_tcp` find them: as `__inet_lookup`,
//! `__inet6_lookup`, `__udp4_lib_lookup` and `__udp6_lib_lookup` of Linux 6.18 do for the
//! tuple a program gives (checked against the kernel by `tests/packet_helpers/sockets.rs`).
//!
//! - TCP: an established socket (every state but `LISTEN` and `CLOSE`) whose four-tuple
//!   is the tuple's, else a listener on the tuple's local port, bound to its local address
//!   before one bound to the wildcard address; among those the best score (bound to the
//!   device before unbound, for IPv4 lookups an IPv4 socket before a dual-stack IPv6 one).
//! - UDP: sockets bound to the tuple's local address before wildcard ones; among them the
//!   best score (connected to the tuple's remote end, bound to the device, IPv4 before
//!   dual-stack IPv6); a socket connected elsewhere does not match.
//! - A socket bound to a device matches packets on that device only; IPv4 lookups also
//!   find IPv6 sockets that are not `IPV6_V6ONLY`, bound to `::` or to an IPv4-mapped
//!   address (connected ones: to an IPv4-mapped peer).
//!
//! Not modelled: `TIME_WAIT` and request (`NEW_SYN_RECV`) sockets, `SO_REUSEPORT` groups
//! (among equal candidates the first listed wins), `sk_lookup` programs attached to the
//! namespace, VRFs (l3mdev), the incoming-CPU tie-break, and other namespaces (no namespace
//! ids are assigned, so a lookup naming one finds nothing).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The `BPF_TCP_*` socket states (`linux/bpf.h`), what `struct bpf_sock`'s `state` holds.
pub mod tcp_state {
    /// `BPF_TCP_ESTABLISHED`.
    pub const ESTABLISHED: u32 = 1;
    /// `BPF_TCP_SYN_SENT`.
    pub const SYN_SENT: u32 = 2;
    /// `BPF_TCP_SYN_RECV`.
    pub const SYN_RECV: u32 = 3;
    /// `BPF_TCP_FIN_WAIT1`.
    pub const FIN_WAIT1: u32 = 4;
    /// `BPF_TCP_FIN_WAIT2`.
    pub const FIN_WAIT2: u32 = 5;
    /// `BPF_TCP_TIME_WAIT` (not modelled: such sockets are not full sockets).
    pub const TIME_WAIT: u32 = 6;
    /// `BPF_TCP_CLOSE`: an unconnected UDP socket, or a TCP socket neither listening nor
    /// connected (which lookups never find).
    pub const CLOSE: u32 = 7;
    /// `BPF_TCP_CLOSE_WAIT`.
    pub const CLOSE_WAIT: u32 = 8;
    /// `BPF_TCP_LAST_ACK`.
    pub const LAST_ACK: u32 = 9;
    /// `BPF_TCP_LISTEN`.
    pub const LISTEN: u32 = 10;
    /// `BPF_TCP_CLOSING`.
    pub const CLOSING: u32 = 11;
    /// `BPF_TCP_NEW_SYN_RECV` (not modelled: request sockets).
    pub const NEW_SYN_RECV: u32 = 12;
}

/// A socket's transport protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `SOCK_STREAM`, `IPPROTO_TCP`.
    Tcp,
    /// `SOCK_DGRAM`, `IPPROTO_UDP`.
    Udp,
}

/// A socket of the namespace, as the socket lookups see it.
///
/// ```
/// use ebee::network::{NetworkEnvironment, Socket};
/// let env = NetworkEnvironment::new()
///     .with_socket(Socket::tcp_listener("127.0.0.1:8080".parse()?).with_mark(7))
///     .with_socket(Socket::tcp_accepted(
///         "127.0.0.1:8080".parse()?,
///         "127.0.0.1:40000".parse()?,
///     ))
///     .with_socket(Socket::udp("[::]:53".parse()?).with_device(1));
/// env.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Socket {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// The local address and port (its family is the socket's; `0.0.0.0`/`::`: bound to
    /// every address).
    pub local: SocketAddr,
    /// The remote end of a connected socket, in the local address's family.
    pub remote: Option<SocketAddr>,
    /// Its state (a [`tcp_state`] number): TCP listeners `LISTEN`, connected TCP sockets
    /// `ESTABLISHED` or a later state, UDP sockets `ESTABLISHED` when connected and `CLOSE`
    /// otherwise.
    pub state: u32,
    /// The device it is bound to (`SO_BINDTODEVICE`), 0 for none.
    pub bound_dev_if: u32,
    /// `SO_MARK`.
    pub mark: u32,
    /// `SO_PRIORITY`.
    pub priority: u32,
    /// `IPV6_V6ONLY` (IPv6 sockets only): not found by IPv4 lookups.
    pub v6only: bool,
    /// A connected TCP socket that a listener accepted rather than one that connected; the
    /// kernel gives an accepted IPv6 socket the IPv4 form `127.0.0.6` of its peer
    /// (`dst_ip4`), a connecting one 0.
    pub accepted: bool,
}

impl Socket {
    fn new(protocol: Protocol, local: SocketAddr, remote: Option<SocketAddr>, state: u32) -> Self {
        Socket {
            protocol,
            local,
            remote,
            state,
            bound_dev_if: 0,
            mark: 0,
            priority: 0,
            v6only: false,
            accepted: false,
        }
    }

    /// A TCP socket listening on `local`.
    pub fn tcp_listener(local: SocketAddr) -> Socket {
        Socket::new(Protocol::Tcp, local, None, tcp_state::LISTEN)
    }

    /// A TCP socket that connected from `local` to `remote`, established.
    pub fn tcp_connected(local: SocketAddr, remote: SocketAddr) -> Socket {
        Socket::new(Protocol::Tcp, local, Some(remote), tcp_state::ESTABLISHED)
    }

    /// A TCP socket a listener on `local` accepted from `remote`, established.
    pub fn tcp_accepted(local: SocketAddr, remote: SocketAddr) -> Socket {
        Socket {
            accepted: true,
            ..Socket::tcp_connected(local, remote)
        }
    }

    /// A UDP socket bound to `local`, not connected.
    pub fn udp(local: SocketAddr) -> Socket {
        Socket::new(Protocol::Udp, local, None, tcp_state::CLOSE)
    }

    /// A UDP socket bound to `local` and connected to `remote`.
    pub fn udp_connected(local: SocketAddr, remote: SocketAddr) -> Socket {
        Socket::new(Protocol::Udp, local, Some(remote), tcp_state::ESTABLISHED)
    }

    /// Binds it to device `ifindex`.
    pub fn with_device(mut self, ifindex: u32) -> Socket {
        self.bound_dev_if = ifindex;
        self
    }

    /// Sets its mark.
    pub fn with_mark(mut self, mark: u32) -> Socket {
        self.mark = mark;
        self
    }

    /// Sets its priority.
    pub fn with_priority(mut self, priority: u32) -> Socket {
        self.priority = priority;
        self
    }

    /// Sets its state (a [`tcp_state`] number).
    pub fn with_state(mut self, state: u32) -> Socket {
        self.state = state;
        self
    }

    /// Sets `IPV6_V6ONLY`.
    pub fn with_v6only(mut self, v6only: bool) -> Socket {
        self.v6only = v6only;
        self
    }

    /// Checks it on its own (its device is checked by [`super::NetworkEnvironment::validate`]).
    pub(crate) fn validate(&self) -> Result<(), String> {
        use tcp_state::*;
        if self.local.port() == 0 {
            return Err("local port 0 (a bound socket has a port)".into());
        }
        if let Some(remote) = self.remote {
            if remote.is_ipv4() != self.local.is_ipv4() {
                return Err("remote of the other family".into());
            }
            if remote.port() == 0 || remote.ip().is_unspecified() {
                return Err(format!("remote {remote}: no address or port 0"));
            }
        }
        let mapped = matches!(self.local.ip(), IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some());
        if self.v6only && (self.local.is_ipv4() || mapped) {
            return Err("v6only on an IPv4 socket or one bound to an IPv4-mapped address".into());
        }
        let connected = self.remote.is_some();
        if self.accepted && (self.protocol != Protocol::Tcp || !connected) {
            return Err("accepted, but not a connected TCP socket".into());
        }
        if connected && self.local.ip().is_unspecified() {
            return Err("connected but bound to no address (connecting binds one)".into());
        }
        let ok = match (self.protocol, self.state) {
            (Protocol::Tcp, LISTEN) => !connected,
            (Protocol::Tcp, CLOSE) => true,
            (Protocol::Tcp, TIME_WAIT | NEW_SYN_RECV) => {
                return Err(format!(
                    "state {}: time-wait and request sockets are not modelled",
                    self.state
                ))
            }
            (Protocol::Tcp, ESTABLISHED..=CLOSING) => connected,
            (Protocol::Udp, ESTABLISHED) => connected,
            (Protocol::Udp, CLOSE) => !connected,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "state {} does not fit a {:?} socket {}",
                self.state,
                self.protocol,
                if connected {
                    "with a remote"
                } else {
                    "without a remote"
                }
            ));
        }
        Ok(())
    }

    /// The `struct bpf_sock` (`linux/bpf.h`) a lookup returns for it, as the kernel's
    /// rewritten loads read it from its `struct sock`.
    pub(crate) fn bpf_sock(&self) -> [u8; BPF_SOCK_SIZE] {
        let (family, kind, protocol): (u32, u32, u32) = match (self.local.is_ipv4(), self.protocol)
        {
            (true, Protocol::Tcp) => (AF_INET, 1, 6),
            (true, Protocol::Udp) => (AF_INET, 2, 17),
            (false, Protocol::Tcp) => (AF_INET6, 1, 6),
            (false, Protocol::Udp) => (AF_INET6, 2, 17),
        };
        // Connected TCP sockets of IPv4 carry IPv4-mapped IPv6 forms of their ends.
        let mapped = self.protocol == Protocol::Tcp && self.remote.is_some();
        let (src4, src6) = addresses(Some(self.local.ip()), mapped);
        let (mut dst4, dst6) = addresses(self.remote.map(|r| r.ip()), mapped);
        if !self.accepted && dst4 == LOOPBACK4_IPV6.octets() {
            dst4 = [0; 4];
        }
        let dst_port = self.remote.map_or(0, |r| r.port());
        let mut b = [0u8; BPF_SOCK_SIZE];
        let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
        put(0, &self.bound_dev_if.to_ne_bytes());
        put(4, &family.to_ne_bytes());
        put(8, &kind.to_ne_bytes());
        put(12, &protocol.to_ne_bytes());
        put(16, &self.mark.to_ne_bytes());
        put(20, &self.priority.to_ne_bytes());
        put(24, &src4);
        put(28, &src6);
        put(44, &u32::from(self.local.port()).to_ne_bytes());
        put(48, &dst_port.to_be_bytes());
        put(52, &dst4);
        put(56, &dst6);
        put(72, &self.state.to_ne_bytes());
        put(76, &NO_QUEUE_MAPPING.to_ne_bytes());
        b
    }
}

/// `sizeof(struct bpf_sock)`.
pub(crate) const BPF_SOCK_SIZE: usize = 80;
const AF_INET: u32 = 2;
const AF_INET6: u32 = 10;
/// `rx_queue_mapping` of a socket no packet recorded a queue for: -1. (The kernel records
/// one on some sockets that received packets, for loopback queue 0, depending on the path
/// the packet took; ebee's sockets have received none.)
const NO_QUEUE_MAPPING: i32 = -1;
/// `LOOPBACK4_IPV6`, the IPv4 address the kernel gives IPv6 sockets bound or connected to an
/// address without an IPv4 equivalent.
const LOOPBACK4_IPV6: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 6);

/// The IPv4 and IPv6 fields of `struct bpf_sock` for one end (`None`: unconnected): an IPv4
/// address has its mapped IPv6 form when `mapped`, zeros otherwise; an IPv6 one has the
/// IPv4 form its mapped part gives, 0 for `::`, `LOOPBACK4_IPV6` otherwise.
fn addresses(ip: Option<IpAddr>, mapped: bool) -> ([u8; 4], [u8; 16]) {
    match ip {
        None => ([0; 4], [0; 16]),
        Some(IpAddr::V4(v4)) if mapped => (v4.octets(), v4.to_ipv6_mapped().octets()),
        Some(IpAddr::V4(v4)) => (v4.octets(), [0; 16]),
        Some(IpAddr::V6(v6)) => {
            let v4 = match v4_of(IpAddr::V6(v6)) {
                Some(v4) => v4,
                None => LOOPBACK4_IPV6,
            };
            (v4.octets(), v6.octets())
        }
    }
}

/// The IPv4 address an address stands for in IPv4 lookups: itself, an IPv4-mapped IPv6
/// address's IPv4 part, `0.0.0.0` for `::`; `None` for other IPv6 addresses.
fn v4_of(ip: IpAddr) -> Option<Ipv4Addr> {
    match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) if v6.is_unspecified() => Some(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    }
}

/// A lookup's `struct bpf_sock_tuple`: `saddr`/`sport` are the remote end, `daddr`/`dport`
/// the local one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tuple {
    pub(crate) remote: SocketAddr,
    pub(crate) local: SocketAddr,
}

impl Tuple {
    /// The tuple in `bytes` (IPv4 when 12 bytes, IPv6 when 36).
    pub(crate) fn parse(bytes: &[u8]) -> Option<Tuple> {
        let port = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        let (remote, local): (IpAddr, IpAddr) = match bytes.len() {
            12 => (
                Ipv4Addr::from(<[u8; 4]>::try_from(&bytes[0..4]).ok()?).into(),
                Ipv4Addr::from(<[u8; 4]>::try_from(&bytes[4..8]).ok()?).into(),
            ),
            36 => (
                Ipv6Addr::from(<[u8; 16]>::try_from(&bytes[0..16]).ok()?).into(),
                Ipv6Addr::from(<[u8; 16]>::try_from(&bytes[16..32]).ok()?).into(),
            ),
            _ => return None,
        };
        let ports = bytes.len() - 4;
        Some(Tuple {
            remote: SocketAddr::new(remote, port(ports)),
            local: SocketAddr::new(local, port(ports + 2)),
        })
    }
}

/// The socket of `sockets` a lookup of `protocol` finds for `tuple` on a packet of device
/// `dif` (its index in `sockets`).
pub(crate) fn lookup(
    sockets: &[Socket],
    protocol: Protocol,
    tuple: &Tuple,
    dif: u32,
) -> Option<usize> {
    let v4 = tuple.local.is_ipv4();
    // The socket's end as the lookup's family sees it.
    let view = |ip: IpAddr| -> Option<IpAddr> {
        match (v4, ip) {
            (true, _) => v4_of(ip).map(IpAddr::V4),
            (false, IpAddr::V6(_)) => Some(ip),
            (false, IpAddr::V4(_)) => None,
        }
    };
    let candidates = sockets.iter().enumerate().filter(|(_, s)| {
        s.protocol == protocol
            && s.local.port() == tuple.local.port()
            && (s.bound_dev_if == 0 || s.bound_dev_if == dif)
            && if v4 {
                s.local.is_ipv4() || !s.v6only
            } else {
                !s.local.is_ipv4()
            }
    });
    let candidates: Vec<(usize, &Socket)> = candidates.collect();
    // IPv4 lookups see IPv4 sockets before dual-stack IPv6 ones.
    let family_bonus = |s: &Socket| u32::from(v4 && s.local.is_ipv4());
    let device_bonus = |s: &Socket| u32::from(s.bound_dev_if != 0);
    if protocol == Protocol::Tcp {
        let established = candidates.iter().find(|(_, s)| {
            let Some(remote) = s.remote else { return false };
            let ehash = !matches!(s.state, tcp_state::LISTEN | tcp_state::CLOSE);
            // Mapped connections are hashed as IPv4 ones: IPv6 lookups miss them.
            let mapped = !s.local.is_ipv4() && v4_of(s.local.ip()).is_some();
            ehash
                && (v4 || !mapped)
                && view(s.local.ip()) == Some(tuple.local.ip())
                && view(remote.ip()) == Some(tuple.remote.ip())
                && remote.port() == tuple.remote.port()
        });
        if let Some(&(i, _)) = established {
            return Some(i);
        }
    }
    let wildcard: IpAddr = if v4 {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        Ipv6Addr::UNSPECIFIED.into()
    };
    for address in [tuple.local.ip(), wildcard] {
        let mut best: Option<(u32, usize)> = None;
        for &(i, s) in &candidates {
            if view(s.local.ip()) != Some(address) {
                continue;
            }
            let score = match protocol {
                Protocol::Tcp if s.state != tcp_state::LISTEN => continue,
                Protocol::Tcp => 1 + device_bonus(s) + family_bonus(s),
                Protocol::Udp => {
                    let mut score = family_bonus(s) + device_bonus(s) * 4;
                    if let Some(remote) = s.remote {
                        if view(remote.ip()) != Some(tuple.remote.ip())
                            || remote.port() != tuple.remote.port()
                        {
                            continue;
                        }
                        score += 8;
                    }
                    score
                }
            };
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, i));
            }
        }
        if let Some((_, i)) = best {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(remote: &str, local: &str) -> Tuple {
        Tuple {
            remote: remote.parse().unwrap(),
            local: local.parse().unwrap(),
        }
    }

    #[test]
    fn established_before_listening_specific_before_wildcard() {
        let a = |s: &str| s.parse::<SocketAddr>().unwrap();
        let sockets = [
            Socket::tcp_listener(a("0.0.0.0:80")),
            Socket::tcp_listener(a("10.0.0.2:80")),
            Socket::tcp_accepted(a("10.0.0.2:80"), a("10.0.0.1:4660")),
            Socket::tcp_listener(a("[::]:81")),
            Socket::udp(a("[::]:53")).with_v6only(true),
        ];
        let tcp = |t: Tuple| lookup(&sockets, Protocol::Tcp, &t, 1);
        assert_eq!(tcp(tuple("10.0.0.1:4660", "10.0.0.2:80")), Some(2));
        assert_eq!(tcp(tuple("10.0.0.1:4661", "10.0.0.2:80")), Some(1));
        assert_eq!(tcp(tuple("10.0.0.1:4661", "10.0.0.3:80")), Some(0));
        assert_eq!(
            tcp(tuple("10.0.0.1:4661", "10.0.0.3:81")),
            Some(3),
            "dual stack"
        );
        assert_eq!(tcp(tuple("[::1]:4661", "[::1]:80")), None);
        let udp = |t: Tuple| lookup(&sockets, Protocol::Udp, &t, 1);
        assert_eq!(udp(tuple("10.0.0.1:1", "10.0.0.2:53")), None, "v6only");
        assert_eq!(udp(tuple("[::1]:1", "[::1]:53")), Some(4));
    }

    #[test]
    fn the_tuple_is_remote_then_local() {
        let mut bytes = [10, 0, 0, 1, 10, 0, 0, 2, 0x12, 0x34, 0, 80].to_vec();
        assert_eq!(
            Tuple::parse(&bytes),
            Some(tuple("10.0.0.1:4660", "10.0.0.2:80"))
        );
        bytes.push(0);
        assert_eq!(Tuple::parse(&bytes), None);
    }
}
