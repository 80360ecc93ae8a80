//! Test data for ebee: deterministic mixed Ethernet traffic, pcap files, and
//! xdp-filter (xdp-tools) configurations with the kernel's verdicts as reference.
//!
//! * [`mixed_traffic`] makes the same frames for the same seed: TCP, UDP, ICMP,
//!   ICMPv6 over IPv4/IPv6, untagged, 802.1Q and QinQ, ARP, IPv4 options, IPv6
//!   extension headers, and truncated/malformed headers, drawn from small pools of
//!   MAC/IP addresses and ports so that filter rules hit some frames and miss others.
//! * [`write_pcap`] stores frames as a reproducible classic pcap (Ethernet link type)
//!   for tcpdump and Wireshark, with ebee's own pcap writer (`ebee::hooks::pcap`, which
//!   also reads them back).
//! * [`FilterRule`] and [`map_updates`] give the raw map entries the `xdp-filter`
//!   tool writes for its `port`, `ip` and `ether` commands (layouts in [`filter`]).
//! * [`scenarios`] pairs Debian's `xdpfilt_{alw,dny}_{all,eth,ip,tcp,udp}.o` objects
//!   with rule sets; [`kernel_verdicts`] runs packets through one in the kernel
//!   (`BPF_PROG_TEST_RUN` via `ebee-kernel`) for packet-by-packet comparison.
//!
//! [`kernel_selftests`] makes the Linux kernel's own verifier selftests data: each program of
//! `progs/verifier_*.c` compiled, linked by ebee-object, with its annotations and the running
//! kernel's verdict (`tests/kernel_selftests.rs`, `kernel_selftests/README.md`).
//!
//! [`real_world`] is every BPF object reachable without a network (Debian's packages, the
//! kernel tree's selftests and samples compiled here), with what `ebee prog list` and Linux
//! (through libbpf) do with each (`tests/real_world_objects.rs`, `real_world/README.md`).
//!
//! `cargo run -p ebee-testdata --example write_mixed_pcap -- out.pcap [seed] [count]`
//! writes the traffic for a look with `tcpdump -nn -e -vv -r out.pcap`.
//!
//! ```no_run
//! let packets = ebee_testdata::mixed_traffic(42, 300);
//! for scenario in ebee_testdata::scenarios() {
//!     let verdicts = ebee_testdata::kernel_verdicts(&scenario, &packets)?;
//!     println!("{}: {} verdicts", scenario.name, verdicts.len());
//! }
//! # Ok::<(), String>(())
//! ```
//!
//! # The xdp-filter programs (xdp-tools 1.3.1 as packaged by Debian)
//!
//! `xdpfilt_alw_*` ("policy allow") pass packets no rule matches and drop hits;
//! `xdpfilt_dny_*` ("policy deny") drop unmatched packets and pass hits. Features
//! per variant: `all` = Ethernet, IPv4, IPv6, TCP, UDP; `eth`; `ip` = IPv4+IPv6;
//! `tcp`; `udp`. Check order: destination MAC then source MAC; then (after up to 4
//! VLAN tags) IPv4 or IPv6 destination then source; then UDP or TCP destination
//! port then source port. Frames of other ethertypes (ARP, LLDP) get the miss
//! verdict; headers that do not fit the frame give `XDP_ABORTED`. Each run adds to
//! `xdp_stats_map[action]` on the current CPU. (Later xdp-tools releases also match
//! ARP sender/target and IPv6 neighbour discovery targets against the IP maps; the
//! traffic contains both, so those paths get exercised when such objects are used.)
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod filter;
mod kernel;
pub mod kernel_selftests;
mod packets;
mod pcap;
mod pools;
pub mod real_world;
mod scenarios;
pub mod verifier_corpus;

pub use ebee_abi::xdp_action::{XDP_ABORTED, XDP_DROP, XDP_PASS};
pub use filter::{
    filter_value_hits, map_updates, stats_totals, Direction, FilterRule, MapUpdate, PortProto,
    Target,
};
pub use kernel::{
    kernel_skip_reason, kernel_verdicts, run_kernel, KernelError, KernelRun, RuleHits,
    STATS_ENTRIES,
};
pub use packets::{
    mixed_traffic, BROADCAST_MAC, ETH_HLEN, IPV4_POOL, IPV6_POOL, MAC_POOL, MIN_FRAME, PORT_POOL,
};
pub use pcap::{write_pcap, PCAP_EPOCH_SECS};
pub use scenarios::{scenarios, scenarios_with_cpus, Policy, Scenario, XDP_TOOLS_BPF_DIR};
