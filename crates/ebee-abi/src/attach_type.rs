//! Attach types: the kernel's `enum bpf_attach_type` (what `expected_attach_type` and
//! `BPF_PROG_ATTACH` take), one constant per value of Linux 6.1's header and the later ones up to
//! Linux 6.12 (each marked with the version that added it), and libbpf's name of each.
//!
//! ```
//! use ebee_abi::attach_type::{attach_type_name, BPF_XDP};
//! assert_eq!(BPF_XDP, 37);
//! assert_eq!(attach_type_name(BPF_XDP), Some("xdp"));
//! ```

kernel_enum! {
    /// Every attach type as `(value, name)`, in value order; the name is the enumerator
    /// without `BPF_`, lower case, as libbpf prints it.
    ATTACH_TYPES;
    /// `BPF_CGROUP_INET_INGRESS`.
    BPF_CGROUP_INET_INGRESS = 0, "cgroup_inet_ingress";
    /// `BPF_CGROUP_INET_EGRESS`.
    BPF_CGROUP_INET_EGRESS = 1, "cgroup_inet_egress";
    /// `BPF_CGROUP_INET_SOCK_CREATE`.
    BPF_CGROUP_INET_SOCK_CREATE = 2, "cgroup_inet_sock_create";
    /// `BPF_CGROUP_SOCK_OPS`.
    BPF_CGROUP_SOCK_OPS = 3, "cgroup_sock_ops";
    /// `BPF_SK_SKB_STREAM_PARSER`.
    BPF_SK_SKB_STREAM_PARSER = 4, "sk_skb_stream_parser";
    /// `BPF_SK_SKB_STREAM_VERDICT`.
    BPF_SK_SKB_STREAM_VERDICT = 5, "sk_skb_stream_verdict";
    /// `BPF_CGROUP_DEVICE`.
    BPF_CGROUP_DEVICE = 6, "cgroup_device";
    /// `BPF_SK_MSG_VERDICT`.
    BPF_SK_MSG_VERDICT = 7, "sk_msg_verdict";
    /// `BPF_CGROUP_INET4_BIND`.
    BPF_CGROUP_INET4_BIND = 8, "cgroup_inet4_bind";
    /// `BPF_CGROUP_INET6_BIND`.
    BPF_CGROUP_INET6_BIND = 9, "cgroup_inet6_bind";
    /// `BPF_CGROUP_INET4_CONNECT`.
    BPF_CGROUP_INET4_CONNECT = 10, "cgroup_inet4_connect";
    /// `BPF_CGROUP_INET6_CONNECT`.
    BPF_CGROUP_INET6_CONNECT = 11, "cgroup_inet6_connect";
    /// `BPF_CGROUP_INET4_POST_BIND`.
    BPF_CGROUP_INET4_POST_BIND = 12, "cgroup_inet4_post_bind";
    /// `BPF_CGROUP_INET6_POST_BIND`.
    BPF_CGROUP_INET6_POST_BIND = 13, "cgroup_inet6_post_bind";
    /// `BPF_CGROUP_UDP4_SENDMSG`.
    BPF_CGROUP_UDP4_SENDMSG = 14, "cgroup_udp4_sendmsg";
    /// `BPF_CGROUP_UDP6_SENDMSG`.
    BPF_CGROUP_UDP6_SENDMSG = 15, "cgroup_udp6_sendmsg";
    /// `BPF_LIRC_MODE2`.
    BPF_LIRC_MODE2 = 16, "lirc_mode2";
    /// `BPF_FLOW_DISSECTOR`.
    BPF_FLOW_DISSECTOR = 17, "flow_dissector";
    /// `BPF_CGROUP_SYSCTL`.
    BPF_CGROUP_SYSCTL = 18, "cgroup_sysctl";
    /// `BPF_CGROUP_UDP4_RECVMSG`.
    BPF_CGROUP_UDP4_RECVMSG = 19, "cgroup_udp4_recvmsg";
    /// `BPF_CGROUP_UDP6_RECVMSG`.
    BPF_CGROUP_UDP6_RECVMSG = 20, "cgroup_udp6_recvmsg";
    /// `BPF_CGROUP_GETSOCKOPT`.
    BPF_CGROUP_GETSOCKOPT = 21, "cgroup_getsockopt";
    /// `BPF_CGROUP_SETSOCKOPT`.
    BPF_CGROUP_SETSOCKOPT = 22, "cgroup_setsockopt";
    /// `BPF_TRACE_RAW_TP`.
    BPF_TRACE_RAW_TP = 23, "trace_raw_tp";
    /// `BPF_TRACE_FENTRY`.
    BPF_TRACE_FENTRY = 24, "trace_fentry";
    /// `BPF_TRACE_FEXIT`.
    BPF_TRACE_FEXIT = 25, "trace_fexit";
    /// `BPF_MODIFY_RETURN`.
    BPF_MODIFY_RETURN = 26, "modify_return";
    /// `BPF_LSM_MAC`.
    BPF_LSM_MAC = 27, "lsm_mac";
    /// `BPF_TRACE_ITER`.
    BPF_TRACE_ITER = 28, "trace_iter";
    /// `BPF_CGROUP_INET4_GETPEERNAME`.
    BPF_CGROUP_INET4_GETPEERNAME = 29, "cgroup_inet4_getpeername";
    /// `BPF_CGROUP_INET6_GETPEERNAME`.
    BPF_CGROUP_INET6_GETPEERNAME = 30, "cgroup_inet6_getpeername";
    /// `BPF_CGROUP_INET4_GETSOCKNAME`.
    BPF_CGROUP_INET4_GETSOCKNAME = 31, "cgroup_inet4_getsockname";
    /// `BPF_CGROUP_INET6_GETSOCKNAME`.
    BPF_CGROUP_INET6_GETSOCKNAME = 32, "cgroup_inet6_getsockname";
    /// `BPF_XDP_DEVMAP`.
    BPF_XDP_DEVMAP = 33, "xdp_devmap";
    /// `BPF_CGROUP_INET_SOCK_RELEASE`.
    BPF_CGROUP_INET_SOCK_RELEASE = 34, "cgroup_inet_sock_release";
    /// `BPF_XDP_CPUMAP`.
    BPF_XDP_CPUMAP = 35, "xdp_cpumap";
    /// `BPF_SK_LOOKUP`.
    BPF_SK_LOOKUP = 36, "sk_lookup";
    /// `BPF_XDP`.
    BPF_XDP = 37, "xdp";
    /// `BPF_SK_SKB_VERDICT`.
    BPF_SK_SKB_VERDICT = 38, "sk_skb_verdict";
    /// `BPF_SK_REUSEPORT_SELECT`.
    BPF_SK_REUSEPORT_SELECT = 39, "sk_reuseport_select";
    /// `BPF_SK_REUSEPORT_SELECT_OR_MIGRATE`.
    BPF_SK_REUSEPORT_SELECT_OR_MIGRATE = 40, "sk_reuseport_select_or_migrate";
    /// `BPF_PERF_EVENT`.
    BPF_PERF_EVENT = 41, "perf_event";
    /// `BPF_TRACE_KPROBE_MULTI`.
    BPF_TRACE_KPROBE_MULTI = 42, "trace_kprobe_multi";
    /// `BPF_LSM_CGROUP`.
    BPF_LSM_CGROUP = 43, "lsm_cgroup";
    /// `BPF_STRUCT_OPS` (Linux 6.4).
    BPF_STRUCT_OPS = 44, "struct_ops";
    /// `BPF_NETFILTER` (Linux 6.4).
    BPF_NETFILTER = 45, "netfilter";
    /// `BPF_TCX_INGRESS` (Linux 6.6).
    BPF_TCX_INGRESS = 46, "tcx_ingress";
    /// `BPF_TCX_EGRESS` (Linux 6.6).
    BPF_TCX_EGRESS = 47, "tcx_egress";
    /// `BPF_TRACE_UPROBE_MULTI` (Linux 6.6).
    BPF_TRACE_UPROBE_MULTI = 48, "trace_uprobe_multi";
    /// `BPF_CGROUP_UNIX_CONNECT` (Linux 6.7).
    BPF_CGROUP_UNIX_CONNECT = 49, "cgroup_unix_connect";
    /// `BPF_CGROUP_UNIX_SENDMSG` (Linux 6.7).
    BPF_CGROUP_UNIX_SENDMSG = 50, "cgroup_unix_sendmsg";
    /// `BPF_CGROUP_UNIX_RECVMSG` (Linux 6.7).
    BPF_CGROUP_UNIX_RECVMSG = 51, "cgroup_unix_recvmsg";
    /// `BPF_CGROUP_UNIX_GETPEERNAME` (Linux 6.7).
    BPF_CGROUP_UNIX_GETPEERNAME = 52, "cgroup_unix_getpeername";
    /// `BPF_CGROUP_UNIX_GETSOCKNAME` (Linux 6.7).
    BPF_CGROUP_UNIX_GETSOCKNAME = 53, "cgroup_unix_getsockname";
    /// `BPF_NETKIT_PRIMARY` (Linux 6.7).
    BPF_NETKIT_PRIMARY = 54, "netkit_primary";
    /// `BPF_NETKIT_PEER` (Linux 6.7).
    BPF_NETKIT_PEER = 55, "netkit_peer";
    /// `BPF_TRACE_KPROBE_SESSION` (Linux 6.10).
    BPF_TRACE_KPROBE_SESSION = 56, "trace_kprobe_session";
}

/// libbpf's name of attach type `id` (`"cgroup_inet_ingress"`), if the kernel has it.
pub fn attach_type_name(id: u32) -> Option<&'static str> {
    crate::name_in(ATTACH_TYPES, id)
}
