//! Program types: the kernel's `enum bpf_prog_type`, one constant per value, and bpftool's
//! name of each.
//!
//! ```
//! use ebee_abi::prog_type::{prog_type_name, BPF_PROG_TYPE_SCHED_CLS};
//! assert_eq!(BPF_PROG_TYPE_SCHED_CLS, 3);
//! assert_eq!(prog_type_name(BPF_PROG_TYPE_SCHED_CLS), Some("sched_cls"));
//! assert_eq!(prog_type_name(1000), None);
//! ```

kernel_enum! {
    /// Every program type as `(value, name)`, in value order; the name is the enumerator
    /// without `BPF_PROG_TYPE_`, lower case, as bpftool and libbpf print it.
    PROG_TYPES;
    /// `BPF_PROG_TYPE_UNSPEC` (no program type).
    BPF_PROG_TYPE_UNSPEC = 0, "unspec";
    /// `BPF_PROG_TYPE_SOCKET_FILTER`.
    BPF_PROG_TYPE_SOCKET_FILTER = 1, "socket_filter";
    /// `BPF_PROG_TYPE_KPROBE`.
    BPF_PROG_TYPE_KPROBE = 2, "kprobe";
    /// `BPF_PROG_TYPE_SCHED_CLS` (tc classifier).
    BPF_PROG_TYPE_SCHED_CLS = 3, "sched_cls";
    /// `BPF_PROG_TYPE_SCHED_ACT` (tc action).
    BPF_PROG_TYPE_SCHED_ACT = 4, "sched_act";
    /// `BPF_PROG_TYPE_TRACEPOINT`.
    BPF_PROG_TYPE_TRACEPOINT = 5, "tracepoint";
    /// `BPF_PROG_TYPE_XDP`.
    BPF_PROG_TYPE_XDP = 6, "xdp";
    /// `BPF_PROG_TYPE_PERF_EVENT`.
    BPF_PROG_TYPE_PERF_EVENT = 7, "perf_event";
    /// `BPF_PROG_TYPE_CGROUP_SKB`.
    BPF_PROG_TYPE_CGROUP_SKB = 8, "cgroup_skb";
    /// `BPF_PROG_TYPE_CGROUP_SOCK`.
    BPF_PROG_TYPE_CGROUP_SOCK = 9, "cgroup_sock";
    /// `BPF_PROG_TYPE_LWT_IN`.
    BPF_PROG_TYPE_LWT_IN = 10, "lwt_in";
    /// `BPF_PROG_TYPE_LWT_OUT`.
    BPF_PROG_TYPE_LWT_OUT = 11, "lwt_out";
    /// `BPF_PROG_TYPE_LWT_XMIT`.
    BPF_PROG_TYPE_LWT_XMIT = 12, "lwt_xmit";
    /// `BPF_PROG_TYPE_SOCK_OPS`.
    BPF_PROG_TYPE_SOCK_OPS = 13, "sock_ops";
    /// `BPF_PROG_TYPE_SK_SKB`.
    BPF_PROG_TYPE_SK_SKB = 14, "sk_skb";
    /// `BPF_PROG_TYPE_CGROUP_DEVICE`.
    BPF_PROG_TYPE_CGROUP_DEVICE = 15, "cgroup_device";
    /// `BPF_PROG_TYPE_SK_MSG`.
    BPF_PROG_TYPE_SK_MSG = 16, "sk_msg";
    /// `BPF_PROG_TYPE_RAW_TRACEPOINT`.
    BPF_PROG_TYPE_RAW_TRACEPOINT = 17, "raw_tracepoint";
    /// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`.
    BPF_PROG_TYPE_CGROUP_SOCK_ADDR = 18, "cgroup_sock_addr";
    /// `BPF_PROG_TYPE_LWT_SEG6LOCAL`.
    BPF_PROG_TYPE_LWT_SEG6LOCAL = 19, "lwt_seg6local";
    /// `BPF_PROG_TYPE_LIRC_MODE2`.
    BPF_PROG_TYPE_LIRC_MODE2 = 20, "lirc_mode2";
    /// `BPF_PROG_TYPE_SK_REUSEPORT`.
    BPF_PROG_TYPE_SK_REUSEPORT = 21, "sk_reuseport";
    /// `BPF_PROG_TYPE_FLOW_DISSECTOR`.
    BPF_PROG_TYPE_FLOW_DISSECTOR = 22, "flow_dissector";
    /// `BPF_PROG_TYPE_CGROUP_SYSCTL`.
    BPF_PROG_TYPE_CGROUP_SYSCTL = 23, "cgroup_sysctl";
    /// `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`.
    BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE = 24, "raw_tracepoint_writable";
    /// `BPF_PROG_TYPE_CGROUP_SOCKOPT`.
    BPF_PROG_TYPE_CGROUP_SOCKOPT = 25, "cgroup_sockopt";
    /// `BPF_PROG_TYPE_TRACING`.
    BPF_PROG_TYPE_TRACING = 26, "tracing";
    /// `BPF_PROG_TYPE_STRUCT_OPS`.
    BPF_PROG_TYPE_STRUCT_OPS = 27, "struct_ops";
    /// `BPF_PROG_TYPE_EXT`.
    BPF_PROG_TYPE_EXT = 28, "ext";
    /// `BPF_PROG_TYPE_LSM`.
    BPF_PROG_TYPE_LSM = 29, "lsm";
    /// `BPF_PROG_TYPE_SK_LOOKUP`.
    BPF_PROG_TYPE_SK_LOOKUP = 30, "sk_lookup";
    /// `BPF_PROG_TYPE_SYSCALL` (programs that can execute syscalls).
    BPF_PROG_TYPE_SYSCALL = 31, "syscall";
    /// `BPF_PROG_TYPE_NETFILTER` (Linux 6.4, after the 6.1 header).
    BPF_PROG_TYPE_NETFILTER = 32, "netfilter";
}

/// bpftool's name of program type `id` (`"xdp"`), if the kernel has such a type.
pub fn prog_type_name(id: u32) -> Option<&'static str> {
    crate::name_in(PROG_TYPES, id)
}
