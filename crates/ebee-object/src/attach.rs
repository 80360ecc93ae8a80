//! The expected attach type libbpf loads a program with, from its section name (the
//! `expected_attach_type` column of libbpf's `section_defs`). The kernel checks some program
//! types' context accesses, helpers and return values against it (sock_addr programs see the
//! addresses of their family, cgroup_skb egress programs may return 2 and 3, …).

use ebee_abi::attach_type::*;

/// `(section name, attach type)`: the name itself or followed by `/` and anything.
const ATTACH_TYPES: &[(&str, u32)] = &[
    ("cgroup_skb/ingress", BPF_CGROUP_INET_INGRESS),
    ("cgroup_skb/egress", BPF_CGROUP_INET_EGRESS),
    ("cgroup/sock_create", BPF_CGROUP_INET_SOCK_CREATE),
    ("cgroup/sock_release", BPF_CGROUP_INET_SOCK_RELEASE),
    ("cgroup/sock", BPF_CGROUP_INET_SOCK_CREATE),
    ("cgroup/post_bind4", BPF_CGROUP_INET4_POST_BIND),
    ("cgroup/post_bind6", BPF_CGROUP_INET6_POST_BIND),
    ("cgroup/bind4", BPF_CGROUP_INET4_BIND),
    ("cgroup/bind6", BPF_CGROUP_INET6_BIND),
    ("cgroup/connect4", BPF_CGROUP_INET4_CONNECT),
    ("cgroup/connect6", BPF_CGROUP_INET6_CONNECT),
    ("cgroup/connect_unix", BPF_CGROUP_UNIX_CONNECT),
    ("cgroup/sendmsg4", BPF_CGROUP_UDP4_SENDMSG),
    ("cgroup/sendmsg6", BPF_CGROUP_UDP6_SENDMSG),
    ("cgroup/sendmsg_unix", BPF_CGROUP_UNIX_SENDMSG),
    ("cgroup/recvmsg4", BPF_CGROUP_UDP4_RECVMSG),
    ("cgroup/recvmsg6", BPF_CGROUP_UDP6_RECVMSG),
    ("cgroup/recvmsg_unix", BPF_CGROUP_UNIX_RECVMSG),
    ("cgroup/getpeername4", BPF_CGROUP_INET4_GETPEERNAME),
    ("cgroup/getpeername6", BPF_CGROUP_INET6_GETPEERNAME),
    ("cgroup/getpeername_unix", BPF_CGROUP_UNIX_GETPEERNAME),
    ("cgroup/getsockname4", BPF_CGROUP_INET4_GETSOCKNAME),
    ("cgroup/getsockname6", BPF_CGROUP_INET6_GETSOCKNAME),
    ("cgroup/getsockname_unix", BPF_CGROUP_UNIX_GETSOCKNAME),
    ("cgroup/sysctl", BPF_CGROUP_SYSCTL),
    ("cgroup/getsockopt", BPF_CGROUP_GETSOCKOPT),
    ("cgroup/setsockopt", BPF_CGROUP_SETSOCKOPT),
    ("cgroup/dev", BPF_CGROUP_DEVICE),
    ("sockops", BPF_CGROUP_SOCK_OPS),
    ("sk_skb/stream_parser", BPF_SK_SKB_STREAM_PARSER),
    ("sk_skb/stream_verdict", BPF_SK_SKB_STREAM_VERDICT),
    ("sk_skb/verdict", BPF_SK_SKB_VERDICT),
    ("sk_msg", BPF_SK_MSG_VERDICT),
    ("lirc_mode2", BPF_LIRC_MODE2),
    ("flow_dissector", BPF_FLOW_DISSECTOR),
    ("sk_lookup", BPF_SK_LOOKUP),
    ("sk_reuseport/migrate", BPF_SK_REUSEPORT_SELECT_OR_MIGRATE),
    ("sk_reuseport", BPF_SK_REUSEPORT_SELECT),
    ("xdp/devmap", BPF_XDP_DEVMAP),
    ("xdp.frags/devmap", BPF_XDP_DEVMAP),
    ("xdp/cpumap", BPF_XDP_CPUMAP),
    ("xdp.frags/cpumap", BPF_XDP_CPUMAP),
    // libbpf 0.x's names for devmap and cpumap programs.
    ("xdp_devmap", BPF_XDP_DEVMAP),
    ("xdp_cpumap", BPF_XDP_CPUMAP),
    ("tcx/ingress", BPF_TCX_INGRESS),
    ("tcx/egress", BPF_TCX_EGRESS),
    ("netkit/primary", BPF_NETKIT_PRIMARY),
    ("netkit/peer", BPF_NETKIT_PEER),
    ("kprobe.multi", BPF_TRACE_KPROBE_MULTI),
    ("kretprobe.multi", BPF_TRACE_KPROBE_MULTI),
    ("kprobe.session", BPF_TRACE_KPROBE_SESSION),
    ("uprobe.multi", BPF_TRACE_UPROBE_MULTI),
    ("uretprobe.multi", BPF_TRACE_UPROBE_MULTI),
    ("uprobe.multi.s", BPF_TRACE_UPROBE_MULTI),
    ("uretprobe.multi.s", BPF_TRACE_UPROBE_MULTI),
    ("netfilter", BPF_NETFILTER),
];

/// The expected attach type of a program in `section` (`BPF_*` of `enum bpf_attach_type`),
/// or `None` where libbpf loads it without one (0). A leading `?` is ignored.
///
/// ```
/// use ebee_object::expected_attach_type;
/// assert_eq!(expected_attach_type("cgroup/connect4"), Some(10));
/// assert_eq!(expected_attach_type("cgroup_skb/egress"), Some(1));
/// assert_eq!(expected_attach_type("sk_lookup/redirect"), Some(36));
/// assert_eq!(expected_attach_type("xdp_devmap/forward"), Some(33));
/// assert_eq!(expected_attach_type("netfilter"), Some(45));
/// assert_eq!(expected_attach_type("kprobe/do_exit"), None);
/// ```
pub fn expected_attach_type(section: &str) -> Option<u32> {
    let name = section.strip_prefix('?').unwrap_or(section);
    ATTACH_TYPES.iter().find_map(|&(prefix, attach)| {
        let rest = name.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some(attach)
    })
}
