//! xdp-filter's rules and the raw map entries the `xdp-filter` tool writes for them.
//!
//! Layouts (xdp-tools 1.3.1, checked against the objects' BTF, their disassembly,
//! and `bpftool map dump` after real `xdp-filter port/ip/ether` commands):
//!
//! | map               | type            | key                                   | value (per CPU) |
//! |-------------------|-----------------|---------------------------------------|-----------------|
//! | `filter_ports`    | `PERCPU_ARRAY`  | `u32` = `htons(port)` (native endian) | `u64` flags     |
//! | `filter_ipv4`     | `PERCPU_HASH`   | 4 address bytes, network order        | `u64` flags     |
//! | `filter_ipv6`     | `PERCPU_HASH`   | 16 address bytes (`struct in6_addr`)  | `u64` flags     |
//! | `filter_ethernet` | `PERCPU_HASH`   | 6 MAC bytes (`struct ethaddr`)        | `u64` flags     |
//! | `xdp_stats_map`   | `PERCPU_ARRAY`  | `u32` XDP action (5 entries)          | `{u64 packets; u64 bytes}` |
//!
//! A value's low 4 bits are the rule ([`MAP_FLAG_SRC`], [`MAP_FLAG_DST`],
//! [`MAP_FLAG_TCP`], [`MAP_FLAG_UDP`]); the program adds `1 << COUNTER_SHIFT` (64)
//! to the current CPU's value on every hit, so bits 6.. count hits. The tool writes
//! the same flags into every possible CPU's slot, ORed with the flags already stored
//! under that key, so two rules on one key merge (port 53 `udp,dst` plus port 53
//! `tcp,src` becomes `src,dst,tcp,udp`, which also matches UDP source port 53).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Flag bit: match the source port/address.
pub const MAP_FLAG_SRC: u64 = 1 << 0;
/// Flag bit: match the destination port/address.
pub const MAP_FLAG_DST: u64 = 1 << 1;
/// Flag bit: the port rule applies to TCP.
pub const MAP_FLAG_TCP: u64 = 1 << 2;
/// Flag bit: the port rule applies to UDP.
pub const MAP_FLAG_UDP: u64 = 1 << 3;
/// All rule bits of a value.
pub const MAP_FLAGS: u64 = MAP_FLAG_SRC | MAP_FLAG_DST | MAP_FLAG_TCP | MAP_FLAG_UDP;
/// Hits are counted from this bit up.
pub const COUNTER_SHIFT: u32 = 6;

/// The port map (`PERCPU_ARRAY`, 65536 entries).
pub const MAP_PORTS: &str = "filter_ports";
/// The IPv4 address map (`PERCPU_HASH`, 10000 entries).
pub const MAP_IPV4: &str = "filter_ipv4";
/// The IPv6 address map (`PERCPU_HASH`, 10000 entries).
pub const MAP_IPV6: &str = "filter_ipv6";
/// The MAC address map (`PERCPU_HASH`, 10000 entries).
pub const MAP_ETHERNET: &str = "filter_ethernet";
/// Per-action counters (`PERCPU_ARRAY`, 5 entries, `struct xdp_stats_record`).
pub const MAP_STATS: &str = "xdp_stats_map";

/// Which header field a rule matches (`xdp-filter ... --mode src|dst|src,dst`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Source port/address.
    Src,
    /// Destination port/address (the tool's default).
    Dst,
    /// Either.
    Both,
}

impl Direction {
    /// The [`MAP_FLAG_SRC`]/[`MAP_FLAG_DST`] bits.
    pub fn flags(self) -> u64 {
        match self {
            Direction::Src => MAP_FLAG_SRC,
            Direction::Dst => MAP_FLAG_DST,
            Direction::Both => MAP_FLAG_SRC | MAP_FLAG_DST,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Direction::Src => "src",
            Direction::Dst => "dst",
            Direction::Both => "src,dst",
        }
    }
}

/// Which transport protocols a port rule covers (`xdp-filter port --proto`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortProto {
    /// TCP only.
    Tcp,
    /// UDP only.
    Udp,
    /// TCP and UDP (the tool's default).
    Both,
}

impl PortProto {
    /// The [`MAP_FLAG_TCP`]/[`MAP_FLAG_UDP`] bits.
    pub fn flags(self) -> u64 {
        match self {
            PortProto::Tcp => MAP_FLAG_TCP,
            PortProto::Udp => MAP_FLAG_UDP,
            PortProto::Both => MAP_FLAG_TCP | MAP_FLAG_UDP,
        }
    }

    fn word(self) -> &'static str {
        match self {
            PortProto::Tcp => "tcp",
            PortProto::Udp => "udp",
            PortProto::Both => "tcp,udp",
        }
    }
}

/// What a rule matches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A TCP and/or UDP port (`xdp-filter port`).
    Port {
        /// The port number (host order here; the map key is network order).
        port: u16,
        /// TCP, UDP or both.
        proto: PortProto,
    },
    /// An IPv4 address (`xdp-filter ip`).
    Ipv4(Ipv4Addr),
    /// An IPv6 address (`xdp-filter ip`).
    Ipv6(Ipv6Addr),
    /// A MAC address (`xdp-filter ether`).
    Ethernet([u8; 6]),
}

/// One `xdp-filter port|ip|ether` command: what to match and in which direction.
///
/// Whether a hit passes or drops the packet is the loaded program's policy (see
/// [`crate::Policy`]), not part of the rule.
///
/// # Example
///
/// ```
/// use ebee_testdata::{Direction, FilterRule, PortProto};
///
/// let r = FilterRule::port(53, PortProto::Udp, Direction::Dst);
/// assert_eq!(r.command(), "xdp-filter port 53 --proto udp --mode dst");
/// assert_eq!(r.map_name(), "filter_ports");
/// assert_eq!(r.key(), 53u16.to_be_bytes().iter().chain(&[0, 0]).copied().collect::<Vec<_>>());
/// assert_eq!(r.flags(), 0b1010); // UDP | DST
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FilterRule {
    /// The port or address.
    pub target: Target,
    /// Source, destination or both.
    pub direction: Direction,
}

impl FilterRule {
    /// A port rule.
    pub fn port(port: u16, proto: PortProto, direction: Direction) -> Self {
        Self {
            target: Target::Port { port, proto },
            direction,
        }
    }

    /// An IPv4 address rule.
    pub fn ipv4(addr: Ipv4Addr, direction: Direction) -> Self {
        Self {
            target: Target::Ipv4(addr),
            direction,
        }
    }

    /// An IPv6 address rule.
    pub fn ipv6(addr: Ipv6Addr, direction: Direction) -> Self {
        Self {
            target: Target::Ipv6(addr),
            direction,
        }
    }

    /// A MAC address rule.
    pub fn ethernet(mac: [u8; 6], direction: Direction) -> Self {
        Self {
            target: Target::Ethernet(mac),
            direction,
        }
    }

    /// The map the rule lives in.
    pub fn map_name(&self) -> &'static str {
        match self.target {
            Target::Port { .. } => MAP_PORTS,
            Target::Ipv4(_) => MAP_IPV4,
            Target::Ipv6(_) => MAP_IPV6,
            Target::Ethernet(_) => MAP_ETHERNET,
        }
    }

    /// The map key bytes: the port as a native-endian `u32` holding `htons(port)`
    /// (what the program builds from the header's big-endian field), addresses as
    /// their bytes in network order.
    pub fn key(&self) -> Vec<u8> {
        match self.target {
            Target::Port { port, .. } => u32::from(port.to_be()).to_ne_bytes().to_vec(),
            Target::Ipv4(a) => a.octets().to_vec(),
            Target::Ipv6(a) => a.octets().to_vec(),
            Target::Ethernet(m) => m.to_vec(),
        }
    }

    /// This rule's bits: direction, and for ports the protocols.
    pub fn flags(&self) -> u64 {
        let proto = match self.target {
            Target::Port { proto, .. } => proto.flags(),
            _ => 0,
        };
        self.direction.flags() | proto
    }

    /// The `xdp-filter` command line that installs this rule.
    pub fn command(&self) -> String {
        let mode = self.direction.word();
        match self.target {
            Target::Port { port, proto } => {
                format!(
                    "xdp-filter port {port} --proto {} --mode {mode}",
                    proto.word()
                )
            }
            Target::Ipv4(a) => format!("xdp-filter ip {a} --mode {mode}"),
            Target::Ipv6(a) => format!("xdp-filter ip {a} --mode {mode}"),
            Target::Ethernet(m) => format!(
                "xdp-filter ether {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} --mode {mode}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
        }
    }
}

/// One map entry to write with `BPF_MAP_UPDATE_ELEM` (flags `BPF_ANY`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapUpdate {
    /// The map's name in the object (`filter_ports`, ...).
    pub map: String,
    /// The key bytes.
    pub key: Vec<u8>,
    /// The value in the `bpf(2)` layout: one native-endian `u64` per possible CPU.
    pub value: Vec<u8>,
}

/// The map entries `xdp-filter` leaves behind after installing `rules` in order on a
/// machine with `ncpus` possible CPUs (`/sys/devices/system/cpu/possible`; pass
/// [`ebee_kernel::num_possible_cpus`] for the kernel).
///
/// Rules on the same key merge by OR, as the tool does (it reads the stored flags
/// and ORs the new ones in). Entries come in the order their key first appears.
/// Every CPU slot holds the flags with a zero hit counter. `ncpus == 0` yields empty
/// values, which the kernel rejects.
///
/// # Example
///
/// ```
/// use ebee_testdata::{map_updates, Direction, FilterRule, PortProto};
/// use std::net::Ipv4Addr;
///
/// let rules = [
///     FilterRule::port(53, PortProto::Udp, Direction::Dst),
///     FilterRule::port(53, PortProto::Tcp, Direction::Src),
///     FilterRule::ipv4(Ipv4Addr::new(10, 1, 2, 3), Direction::Src),
/// ];
/// let u = map_updates(&rules, 2);
/// assert_eq!(u.len(), 2);
/// assert_eq!(u[0].map, "filter_ports");
/// assert_eq!(u[0].key, [0x00, 0x35, 0, 0]);
/// assert_eq!(u[0].value, [[0x0f, 0, 0, 0, 0, 0, 0, 0]; 2].concat());
/// assert_eq!((u[1].map.as_str(), &u[1].key[..]), ("filter_ipv4", &[10, 1, 2, 3][..]));
/// assert_eq!(u[1].value, [[0x01, 0, 0, 0, 0, 0, 0, 0]; 2].concat());
/// ```
pub fn map_updates(rules: &[FilterRule], ncpus: usize) -> Vec<MapUpdate> {
    let mut order: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let mut flags: BTreeMap<(&'static str, Vec<u8>), u64> = BTreeMap::new();
    for rule in rules {
        let id = (rule.map_name(), rule.key());
        let slot = flags.entry(id.clone()).or_insert_with(|| {
            order.push(id);
            0
        });
        *slot |= rule.flags() & MAP_FLAGS;
    }
    order
        .into_iter()
        .map(|id| {
            let f = flags.get(&id).copied().unwrap_or(0);
            MapUpdate {
                map: id.0.to_owned(),
                key: id.1,
                value: f.to_ne_bytes().repeat(ncpus),
            }
        })
        .collect()
}

/// Splits a per-CPU `u64` filter value (the `bpf(2)` layout) into the rule flags of
/// each CPU slot and the total hit count over all CPUs.
///
/// # Example
///
/// ```
/// let mut v = (0x02u64 | 3 << 6).to_ne_bytes().to_vec(); // CPU 0: dst, 3 hits
/// v.extend_from_slice(&0x02u64.to_ne_bytes()); // CPU 1: dst, no hits
/// assert_eq!(ebee_testdata::filter_value_hits(&v), (vec![0x02, 0x02], 3));
/// ```
pub fn filter_value_hits(value: &[u8]) -> (Vec<u64>, u64) {
    let words = value.chunks_exact(8).map(|c| {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        u64::from_ne_bytes(b)
    });
    let mut flags = Vec::new();
    let mut hits = 0u64;
    for w in words {
        flags.push(w & MAP_FLAGS);
        hits = hits.wrapping_add(w >> COUNTER_SHIFT);
    }
    (flags, hits)
}

/// Sums a per-CPU `struct xdp_stats_record { u64 packets; u64 bytes; }` value (the
/// `bpf(2)` layout: 16 bytes per CPU) into `(packets, bytes)`.
///
/// # Example
///
/// ```
/// let v: Vec<u8> = [1u64, 60, 2, 130].iter().flat_map(|x| x.to_ne_bytes()).collect();
/// assert_eq!(ebee_testdata::stats_totals(&v), (3, 190));
/// ```
pub fn stats_totals(value: &[u8]) -> (u64, u64) {
    let mut totals = (0u64, 0u64);
    for (i, c) in value.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let x = u64::from_ne_bytes(b);
        if i % 2 == 0 {
            totals.0 = totals.0.wrapping_add(x);
        } else {
            totals.1 = totals.1.wrapping_add(x);
        }
    }
    totals
}
