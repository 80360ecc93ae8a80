//! xdp-filter scenarios: an xdp-tools object, its program, and a rule set.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use ebee_abi::xdp_action::{XDP_DROP, XDP_PASS};

use crate::filter::{map_updates, Direction, FilterRule, MapUpdate, PortProto};
use crate::packets::{IPV4_POOL, IPV6_POOL, MAC_POOL};

/// Where Debian's `xdp-tools` package installs the compiled xdp-filter objects.
pub const XDP_TOOLS_BPF_DIR: &str = "/usr/lib/x86_64-linux-gnu/bpf";

/// What an xdp-filter program does with packets no rule matches
/// (`xdp-filter load --policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// `xdpfilt_alw_*`: unmatched packets pass, rule hits are dropped (a deny list).
    Allow,
    /// `xdpfilt_dny_*`: unmatched packets are dropped, rule hits pass (an allow list).
    Deny,
}

impl Policy {
    /// The verdict of a packet that hits a rule.
    pub fn hit_verdict(self) -> u32 {
        match self {
            Policy::Allow => XDP_DROP,
            Policy::Deny => XDP_PASS,
        }
    }

    /// The verdict of a well-formed packet that hits no rule.
    pub fn miss_verdict(self) -> u32 {
        match self {
            Policy::Allow => XDP_PASS,
            Policy::Deny => XDP_DROP,
        }
    }
}

/// One xdp-filter configuration to run traffic through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// A unique, descriptive name (`alw_udp_ports`, ...).
    pub name: String,
    /// The `xdpfilt_*.o` object (under [`XDP_TOOLS_BPF_DIR`]).
    pub object: PathBuf,
    /// The XDP program in it (the object's stem, e.g. `xdpfilt_alw_udp`).
    pub program: String,
    /// The rules, in the order the `xdp-filter` commands would be given.
    pub rules: Vec<FilterRule>,
    /// [`map_updates`] of `rules`, for the CPU count the scenarios were made for.
    pub updates: Vec<MapUpdate>,
}

impl Scenario {
    /// The program's policy, from its name (`xdpfilt_alw_*` or `xdpfilt_dny_*`).
    pub fn policy(&self) -> Policy {
        if self.program.starts_with("xdpfilt_dny") {
            Policy::Deny
        } else {
            Policy::Allow
        }
    }

    /// The `xdp-filter` commands that set this scenario up on an interface.
    ///
    /// ```
    /// let s = &ebee_testdata::scenarios()[0];
    /// let cmds = s.commands();
    /// assert!(cmds[0].starts_with("xdp-filter load --policy"));
    /// assert_eq!(cmds.len(), s.rules.len() + 1);
    /// ```
    pub fn commands(&self) -> Vec<String> {
        let policy = match self.policy() {
            Policy::Allow => "allow",
            Policy::Deny => "deny",
        };
        let features = match self.program.rsplit('_').next() {
            Some("eth") => "ethernet",
            Some("ip") => "ipv4,ipv6",
            Some("tcp") => "tcp",
            Some("udp") => "udp",
            _ => "all",
        };
        let mut cmds = vec![format!(
            "xdp-filter load --policy {policy} --features {features} <ifname>"
        )];
        cmds.extend(self.rules.iter().map(FilterRule::command));
        cmds
    }
}

fn scenario(name: &str, variant: &str, rules: Vec<FilterRule>, ncpus: usize) -> Scenario {
    let program = format!("xdpfilt_{variant}");
    Scenario {
        name: name.to_owned(),
        object: Path::new(XDP_TOOLS_BPF_DIR).join(format!("{program}.o")),
        updates: map_updates(&rules, ncpus),
        program,
        rules,
    }
}

/// [`scenarios_with_cpus`] for this machine's possible CPUs
/// ([`ebee_kernel::num_possible_cpus`], or 1 if that cannot be read).
///
/// # Example
///
/// ```
/// let all = ebee_testdata::scenarios();
/// assert!(all.iter().any(|s| s.program == "xdpfilt_dny_all"));
/// assert!(all.iter().all(|s| s.object.ends_with(format!("{}.o", s.program))));
/// ```
pub fn scenarios() -> Vec<Scenario> {
    scenarios_with_cpus(ebee_kernel::num_possible_cpus().unwrap_or(1))
}

/// The xdp-filter scenarios, with per-CPU values for `ncpus` CPUs: allow and deny
/// policies; port rules (TCP, UDP, both; source, destination, both), IPv4, IPv6 and
/// MAC rules in each direction, alone and combined; rules merging on one key; and
/// rules a variant ignores (TCP ports for `xdpfilt_alw_udp`). Every scenario's rules
/// name addresses and ports of the [`crate::mixed_traffic`] pools, so with a few
/// hundred frames each one both passes and drops some.
pub fn scenarios_with_cpus(ncpus: usize) -> Vec<Scenario> {
    use Direction::{Both, Dst, Src};
    use PortProto::{Tcp, Udp};
    let port = FilterRule::port;
    let v4 =
        |i: usize, d| FilterRule::ipv4(IPV4_POOL.get(i).copied().unwrap_or(Ipv4Addr::LOCALHOST), d);
    let v6 =
        |i: usize, d| FilterRule::ipv6(IPV6_POOL.get(i).copied().unwrap_or(Ipv6Addr::LOCALHOST), d);
    let mac = |i: usize, d| FilterRule::ethernet(MAC_POOL.get(i).copied().unwrap_or([0; 6]), d);
    let s =
        |name: &str, variant: &str, rules: Vec<FilterRule>| scenario(name, variant, rules, ncpus);
    vec![
        s(
            "alw_all_mixed",
            "alw_all",
            vec![
                port(80, Tcp, Dst),
                port(53, Udp, Src),
                v4(1, Src),
                v6(1, Dst),
                mac(2, Src),
            ],
        ),
        s(
            "dny_all_mixed",
            "dny_all",
            vec![
                port(443, Tcp, Dst),
                port(123, Udp, Both),
                v4(0, Dst),
                v6(3, Src),
                mac(0, Dst),
            ],
        ),
        s(
            "alw_all_merged_port_flags",
            "alw_all",
            // 53 udp,dst + 53 tcp,src merge into src,dst,tcp,udp; 8080 is the tool's
            // default (tcp,udp dst).
            vec![
                port(53, Udp, Dst),
                port(53, Tcp, Src),
                port(8080, PortProto::Both, Dst),
            ],
        ),
        s(
            "dny_all_addresses_both_directions",
            "dny_all",
            vec![v4(3, Both), v6(0, Both), mac(4, Both)],
        ),
        s(
            "dny_all_ports_only",
            "dny_all",
            vec![port(80, Tcp, Dst), port(53, Udp, Dst)],
        ),
        s(
            "alw_tcp_dst_ports",
            "alw_tcp",
            vec![port(22, Tcp, Dst), port(443, Tcp, Dst)],
        ),
        s("alw_tcp_src_port", "alw_tcp", vec![port(80, Tcp, Src)]),
        s(
            "dny_tcp_ports",
            "dny_tcp",
            vec![
                port(80, Tcp, Dst),
                port(443, Tcp, Src),
                port(8080, PortProto::Both, Dst),
            ],
        ),
        s(
            "alw_udp_ports",
            "alw_udp",
            vec![port(53, Udp, Dst), port(123, Udp, Src)],
        ),
        s(
            "dny_udp_ports",
            "dny_udp",
            vec![
                port(53, Udp, Both),
                port(5353, Udp, Dst),
                port(51820, Udp, Src),
            ],
        ),
        s(
            "alw_udp_ignores_tcp_rules",
            "alw_udp",
            vec![port(80, Tcp, Dst), port(443, Tcp, Src), port(53, Udp, Dst)],
        ),
        s("alw_ip_ipv4_src", "alw_ip", vec![v4(0, Src)]),
        s("alw_ip_ipv4_dst", "alw_ip", vec![v4(2, Dst)]),
        s("alw_ip_ipv6_src", "alw_ip", vec![v6(2, Src)]),
        s("alw_ip_ipv6_dst", "alw_ip", vec![v6(4, Dst)]),
        s(
            "dny_ip_mixed",
            "dny_ip",
            vec![v4(1, Dst), v4(4, Src), v6(1, Src), v6(5, Both)],
        ),
        s("alw_eth_src", "alw_eth", vec![mac(0, Src)]),
        s("alw_eth_dst", "alw_eth", vec![mac(1, Dst)]),
        s("dny_eth_both", "dny_eth", vec![mac(2, Both), mac(3, Dst)]),
    ]
}
