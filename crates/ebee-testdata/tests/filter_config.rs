//! The map entries and scenarios, without a kernel.
//!
//! The expected bytes are what `bpftool map dump` showed after running the real
//! `xdp-filter` 1.3.1 on a veth in a scratch network namespace (2 possible CPUs):
//!
//! ```text
//! xdp-filter load -m skb -p deny veth0
//! xdp-filter port 80 -m src,dst -p tcp
//! xdp-filter port 53 -p udp
//! xdp-filter port 53 -m src -p tcp
//! xdp-filter port 8080
//! xdp-filter ip 10.1.2.3 -m src
//! xdp-filter ip fd00::1:2
//! xdp-filter ip 10.1.2.3
//! xdp-filter ether 02:00:00:00:00:01 -m src,dst
//!
//! filter_ports    00350000 -> 0f00000000000000 x2   (53: src,dst,tcp,udp)
//!                 00500000 -> 0700000000000000 x2   (80: src,dst,tcp)
//!                 1f900000 -> 0e00000000000000 x2   (8080: dst,tcp,udp)
//! filter_ipv4     0a010203 -> 0300000000000000 x2
//! filter_ipv6     fd000000000000000000000000010002 -> 0200000000000000 x2
//! filter_ethernet 020000000001 -> 0300000000000000 x2
//! ```

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use ebee_testdata::{
    map_updates, scenarios_with_cpus, Direction, FilterRule, MapUpdate, Policy, PortProto, Target,
};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn entry(map: &str, key: &str, value: &str, ncpus: usize) -> MapUpdate {
    MapUpdate {
        map: map.into(),
        key: hex(key),
        value: hex(value).repeat(ncpus),
    }
}

#[test]
fn map_updates_match_what_xdp_filter_wrote() {
    use Direction::{Both, Dst, Src};
    let rules = [
        FilterRule::port(80, PortProto::Tcp, Both),
        FilterRule::port(53, PortProto::Udp, Dst),
        FilterRule::port(53, PortProto::Tcp, Src),
        FilterRule::port(8080, PortProto::Both, Dst),
        FilterRule::ipv4(Ipv4Addr::new(10, 1, 2, 3), Src),
        FilterRule::ipv6("fd00::1:2".parse().unwrap(), Dst),
        FilterRule::ipv4(Ipv4Addr::new(10, 1, 2, 3), Dst),
        FilterRule::ethernet([2, 0, 0, 0, 0, 1], Both),
    ];
    for ncpus in [1, 2, 7] {
        let expected = vec![
            entry("filter_ports", "00500000", "0700000000000000", ncpus),
            entry("filter_ports", "00350000", "0f00000000000000", ncpus),
            entry("filter_ports", "1f900000", "0e00000000000000", ncpus),
            entry("filter_ipv4", "0a010203", "0300000000000000", ncpus),
            entry(
                "filter_ipv6",
                "fd000000000000000000000000010002",
                "0200000000000000",
                ncpus,
            ),
            entry("filter_ethernet", "020000000001", "0300000000000000", ncpus),
        ];
        assert_eq!(map_updates(&rules, ncpus), expected, "{ncpus} CPUs");
    }
}

#[test]
fn commands_are_the_xdp_filter_command_lines() {
    let r = FilterRule::ethernet([2, 0, 0, 0, 0, 0xab], Direction::Both);
    assert_eq!(
        r.command(),
        "xdp-filter ether 02:00:00:00:00:ab --mode src,dst"
    );
    let r = FilterRule::ipv6(Ipv6Addr::LOCALHOST, Direction::Src);
    assert_eq!(r.command(), "xdp-filter ip ::1 --mode src");
    let r = FilterRule::port(8080, PortProto::Both, Direction::Dst);
    assert_eq!(
        r.command(),
        "xdp-filter port 8080 --proto tcp,udp --mode dst"
    );
}

#[test]
fn empty_and_zero_cpu_inputs_do_not_panic() {
    assert!(map_updates(&[], 4).is_empty());
    let u = map_updates(&[FilterRule::port(1, PortProto::Tcp, Direction::Dst)], 0);
    assert_eq!(u.len(), 1);
    assert!(u[0].value.is_empty());
    assert_eq!(ebee_testdata::filter_value_hits(&[1, 2, 3]), (vec![], 0));
    assert_eq!(ebee_testdata::stats_totals(&[]), (0, 0));
}

#[test]
fn scenarios_cover_both_policies_every_rule_kind_and_direction() {
    let all = scenarios_with_cpus(3);
    let names: BTreeSet<_> = all.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), all.len(), "duplicate scenario names");

    let mut seen = BTreeSet::new();
    for s in &all {
        assert_eq!(s.updates, map_updates(&s.rules, 3), "{}", s.name);
        assert!(
            s.updates.iter().all(|u| u.value.len() == 3 * 8),
            "{}",
            s.name
        );
        assert_eq!(
            s.object.file_name().and_then(|n| n.to_str()),
            Some(format!("{}.o", s.program).as_str())
        );
        let variant = s.program.rsplit('_').next().unwrap_or_default();
        for r in &s.rules {
            // Every rule's map exists in the variant (xdp-filter refuses otherwise).
            let ok = match r.target {
                Target::Port { .. } => matches!(variant, "all" | "tcp" | "udp"),
                Target::Ipv4(_) | Target::Ipv6(_) => matches!(variant, "all" | "ip"),
                Target::Ethernet(_) => matches!(variant, "all" | "eth"),
            };
            assert!(ok, "{}: {} has no map for {r:?}", s.name, s.program);
            let kind = match r.target {
                Target::Port { proto, .. } => format!("port-{proto:?}"),
                Target::Ipv4(_) => "ipv4".into(),
                Target::Ipv6(_) => "ipv6".into(),
                Target::Ethernet(_) => "ether".into(),
            };
            seen.insert((kind, r.direction));
        }
    }
    for kind in ["port-Tcp", "port-Udp", "ipv4", "ipv6", "ether"] {
        for dir in [Direction::Src, Direction::Dst] {
            assert!(
                seen.contains(&(kind.to_string(), dir)),
                "no {kind} {dir:?} rule"
            );
        }
    }
    for policy in [Policy::Allow, Policy::Deny] {
        for variant in ["all", "eth", "ip", "tcp", "udp"] {
            assert!(
                all.iter()
                    .any(|s| s.policy() == policy && s.program.ends_with(variant)),
                "no {policy:?} scenario for {variant}"
            );
        }
    }
}

#[test]
fn scenario_objects_are_installed() {
    let all = scenarios_with_cpus(1);
    if !all[0].object.exists() {
        eprintln!("skipping: xdp-tools is not installed (apt-get install xdp-tools)");
        return;
    }
    for s in &all {
        assert!(s.object.is_file(), "{}", s.object.display());
    }
}
