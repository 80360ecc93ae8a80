//! Program discovery: what kind of program a section name stands for, by libbpf's
//! conventions (`SEC("xdp")`, `SEC("kprobe/do_sys_open")`, ...).

use std::fmt;

/// The program type a section name stands for (the kernel's `enum bpf_prog_type`), with
/// [`ProgramKind::Unknown`] for section names libbpf does not know.
///
/// ```
/// use ebee_object::ProgramKind;
/// assert_eq!(ProgramKind::from_section("xdp.frags"), ProgramKind::Xdp);
/// assert_eq!(ProgramKind::from_section("tcx/ingress"), ProgramKind::SchedCls);
/// assert_eq!(ProgramKind::from_section("kretprobe/do_exit"), ProgramKind::Kprobe);
/// assert_eq!(ProgramKind::from_section("fentry/tcp_v4_rcv"), ProgramKind::Tracing);
/// assert_eq!(ProgramKind::Xdp.prog_type(), Some(6));
/// assert_eq!(
///     ProgramKind::from_section("my_section"),
///     ProgramKind::Unknown("my_section".into())
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProgramKind {
    /// `socket`: `BPF_PROG_TYPE_SOCKET_FILTER`.
    SocketFilter,
    /// `kprobe/`, `kretprobe/`, `uprobe/`, `uretprobe/`, `ksyscall/`, `usdt/`, their `.multi`
    /// and `.s` forms: `BPF_PROG_TYPE_KPROBE`.
    Kprobe,
    /// `tc`, `classifier`, `tc/ingress`, `tc/egress`, `tcx/ingress`, `tcx/egress`,
    /// `netkit/…`: `BPF_PROG_TYPE_SCHED_CLS`.
    SchedCls,
    /// `action`: `BPF_PROG_TYPE_SCHED_ACT`.
    SchedAct,
    /// `tracepoint/…`, `tp/…`: `BPF_PROG_TYPE_TRACEPOINT`.
    Tracepoint,
    /// `xdp`, `xdp.frags`, `xdp/…`, `xdp/devmap`, `xdp/cpumap`: `BPF_PROG_TYPE_XDP`.
    Xdp,
    /// `perf_event`: `BPF_PROG_TYPE_PERF_EVENT`.
    PerfEvent,
    /// `cgroup_skb/ingress`, `cgroup_skb/egress`, `cgroup/skb`: `BPF_PROG_TYPE_CGROUP_SKB`.
    CgroupSkb,
    /// `cgroup/sock_create`, `cgroup/sock`, `cgroup/post_bind4`...: `BPF_PROG_TYPE_CGROUP_SOCK`.
    CgroupSock,
    /// `lwt_in`: `BPF_PROG_TYPE_LWT_IN`.
    LwtIn,
    /// `lwt_out`: `BPF_PROG_TYPE_LWT_OUT`.
    LwtOut,
    /// `lwt_xmit`: `BPF_PROG_TYPE_LWT_XMIT`.
    LwtXmit,
    /// `sockops`: `BPF_PROG_TYPE_SOCK_OPS`.
    SockOps,
    /// `sk_skb`, `sk_skb/stream_parser`, `sk_skb/stream_verdict`: `BPF_PROG_TYPE_SK_SKB`.
    SkSkb,
    /// `cgroup/dev`: `BPF_PROG_TYPE_CGROUP_DEVICE`.
    CgroupDevice,
    /// `sk_msg`: `BPF_PROG_TYPE_SK_MSG`.
    SkMsg,
    /// `raw_tracepoint/…`, `raw_tp/…`: `BPF_PROG_TYPE_RAW_TRACEPOINT`.
    RawTracepoint,
    /// `cgroup/bind4`, `cgroup/connect6`, `cgroup/sendmsg4`...:
    /// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`.
    CgroupSockAddr,
    /// `lwt_seg6local`: `BPF_PROG_TYPE_LWT_SEG6LOCAL`.
    LwtSeg6local,
    /// `lirc_mode2`: `BPF_PROG_TYPE_LIRC_MODE2`.
    LircMode2,
    /// `sk_reuseport`, `sk_reuseport/migrate`: `BPF_PROG_TYPE_SK_REUSEPORT`.
    SkReuseport,
    /// `flow_dissector`: `BPF_PROG_TYPE_FLOW_DISSECTOR`.
    FlowDissector,
    /// `cgroup/sysctl`: `BPF_PROG_TYPE_CGROUP_SYSCTL`.
    CgroupSysctl,
    /// `raw_tracepoint.w/…`, `raw_tp.w/…`: `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`.
    RawTracepointWritable,
    /// `cgroup/getsockopt`, `cgroup/setsockopt`: `BPF_PROG_TYPE_CGROUP_SOCKOPT`.
    CgroupSockopt,
    /// `fentry/…`, `fexit/…`, `fmod_ret/…`, `tp_btf/…`, `iter/…` (and `.s` forms):
    /// `BPF_PROG_TYPE_TRACING`.
    Tracing,
    /// `struct_ops/…`: `BPF_PROG_TYPE_STRUCT_OPS`.
    StructOps,
    /// `freplace/…`: `BPF_PROG_TYPE_EXT`.
    Ext,
    /// `lsm/…`, `lsm.s/…`, `lsm_cgroup/…`: `BPF_PROG_TYPE_LSM`.
    Lsm,
    /// `sk_lookup`: `BPF_PROG_TYPE_SK_LOOKUP`.
    SkLookup,
    /// `syscall`: `BPF_PROG_TYPE_SYSCALL`.
    Syscall,
    /// `netfilter`: `BPF_PROG_TYPE_NETFILTER`.
    Netfilter,
    /// A section name libbpf does not know (the name is kept). Such programs are still
    /// linked; what to run them as is the host's choice.
    Unknown(String),
}

/// How a table entry matches a section name.
#[derive(Clone, Copy)]
enum Match {
    /// The name itself, or the name followed by `/` and anything (libbpf's `+` entries, and
    /// the legacy `xdp/name` style libbpf accepted before 1.0).
    Prefix,
    /// The name exactly.
    Exact,
}

/// libbpf's `section_defs`, most specific first.
const SECTIONS: &[(&str, Match, ProgramKind, Flags)] = {
    use Match::{Exact, Prefix};
    use ProgramKind::*;
    const N: Flags = Flags::NONE;
    const S: Flags = Flags::SLEEPABLE;
    const F: Flags = Flags::FRAGS;
    &[
        ("socket", Prefix, SocketFilter, N),
        ("sk_reuseport/migrate", Exact, SkReuseport, N),
        ("sk_reuseport", Exact, SkReuseport, N),
        ("kprobe", Prefix, Kprobe, N),
        ("uprobe", Prefix, Kprobe, N),
        ("uprobe.s", Prefix, Kprobe, S),
        ("kretprobe", Prefix, Kprobe, N),
        ("uretprobe", Prefix, Kprobe, N),
        ("uretprobe.s", Prefix, Kprobe, S),
        ("kprobe.multi", Prefix, Kprobe, N),
        ("kretprobe.multi", Prefix, Kprobe, N),
        ("kprobe.session", Prefix, Kprobe, N),
        ("uprobe.multi", Prefix, Kprobe, N),
        ("uretprobe.multi", Prefix, Kprobe, N),
        ("uprobe.session", Prefix, Kprobe, N),
        ("uprobe.multi.s", Prefix, Kprobe, S),
        ("uretprobe.multi.s", Prefix, Kprobe, S),
        ("uprobe.session.s", Prefix, Kprobe, S),
        ("ksyscall", Prefix, Kprobe, N),
        ("kretsyscall", Prefix, Kprobe, N),
        ("usdt", Prefix, Kprobe, N),
        ("usdt.s", Prefix, Kprobe, S),
        ("tc/ingress", Exact, SchedCls, N),
        ("tc/egress", Exact, SchedCls, N),
        ("tcx/ingress", Exact, SchedCls, N),
        ("tcx/egress", Exact, SchedCls, N),
        ("tc", Prefix, SchedCls, N),
        ("classifier", Prefix, SchedCls, N),
        ("action", Prefix, SchedAct, N),
        ("netkit/primary", Exact, SchedCls, N),
        ("netkit/peer", Exact, SchedCls, N),
        ("tracepoint", Prefix, Tracepoint, N),
        ("tp", Prefix, Tracepoint, N),
        ("raw_tracepoint", Prefix, RawTracepoint, N),
        ("raw_tp", Prefix, RawTracepoint, N),
        ("raw_tracepoint.w", Prefix, RawTracepointWritable, N),
        ("raw_tp.w", Prefix, RawTracepointWritable, N),
        ("tp_btf", Prefix, Tracing, N),
        ("fentry", Prefix, Tracing, N),
        ("fmod_ret", Prefix, Tracing, N),
        ("fexit", Prefix, Tracing, N),
        ("fentry.s", Prefix, Tracing, S),
        ("fmod_ret.s", Prefix, Tracing, S),
        ("fexit.s", Prefix, Tracing, S),
        ("freplace", Prefix, Ext, N),
        ("lsm", Prefix, Lsm, N),
        ("lsm.s", Prefix, Lsm, S),
        ("lsm_cgroup", Prefix, Lsm, N),
        ("iter", Prefix, Tracing, N),
        ("iter.s", Prefix, Tracing, S),
        ("syscall", Exact, Syscall, S),
        ("xdp.frags/devmap", Exact, Xdp, F),
        ("xdp/devmap", Exact, Xdp, N),
        ("xdp.frags/cpumap", Exact, Xdp, F),
        ("xdp/cpumap", Exact, Xdp, N),
        ("xdp.frags", Exact, Xdp, F),
        ("xdp", Prefix, Xdp, N),
        ("perf_event", Prefix, PerfEvent, N),
        ("lwt_in", Prefix, LwtIn, N),
        ("lwt_out", Prefix, LwtOut, N),
        ("lwt_xmit", Prefix, LwtXmit, N),
        ("lwt_seg6local", Prefix, LwtSeg6local, N),
        ("sockops", Prefix, SockOps, N),
        ("sk_skb/stream_parser", Exact, SkSkb, N),
        ("sk_skb/stream_verdict", Exact, SkSkb, N),
        ("sk_skb/verdict", Exact, SkSkb, N),
        ("sk_skb", Prefix, SkSkb, N),
        ("sk_msg", Prefix, SkMsg, N),
        ("lirc_mode2", Prefix, LircMode2, N),
        ("flow_dissector", Prefix, FlowDissector, N),
        ("cgroup_skb/ingress", Exact, CgroupSkb, N),
        ("cgroup_skb/egress", Exact, CgroupSkb, N),
        ("cgroup/skb", Exact, CgroupSkb, N),
        ("cgroup/sock_create", Exact, CgroupSock, N),
        ("cgroup/sock_release", Exact, CgroupSock, N),
        ("cgroup/sock", Exact, CgroupSock, N),
        ("cgroup/post_bind4", Exact, CgroupSock, N),
        ("cgroup/post_bind6", Exact, CgroupSock, N),
        ("cgroup/bind4", Exact, CgroupSockAddr, N),
        ("cgroup/bind6", Exact, CgroupSockAddr, N),
        ("cgroup/connect4", Exact, CgroupSockAddr, N),
        ("cgroup/connect6", Exact, CgroupSockAddr, N),
        ("cgroup/connect_unix", Exact, CgroupSockAddr, N),
        ("cgroup/sendmsg4", Exact, CgroupSockAddr, N),
        ("cgroup/sendmsg6", Exact, CgroupSockAddr, N),
        ("cgroup/sendmsg_unix", Exact, CgroupSockAddr, N),
        ("cgroup/recvmsg4", Exact, CgroupSockAddr, N),
        ("cgroup/recvmsg6", Exact, CgroupSockAddr, N),
        ("cgroup/recvmsg_unix", Exact, CgroupSockAddr, N),
        ("cgroup/getpeername4", Exact, CgroupSockAddr, N),
        ("cgroup/getpeername6", Exact, CgroupSockAddr, N),
        ("cgroup/getpeername_unix", Exact, CgroupSockAddr, N),
        ("cgroup/getsockname4", Exact, CgroupSockAddr, N),
        ("cgroup/getsockname6", Exact, CgroupSockAddr, N),
        ("cgroup/getsockname_unix", Exact, CgroupSockAddr, N),
        ("cgroup/sysctl", Exact, CgroupSysctl, N),
        ("cgroup/getsockopt", Exact, CgroupSockopt, N),
        ("cgroup/setsockopt", Exact, CgroupSockopt, N),
        ("cgroup/dev", Exact, CgroupDevice, N),
        ("struct_ops", Prefix, StructOps, N),
        ("struct_ops.s", Prefix, StructOps, S),
        ("sk_lookup", Prefix, SkLookup, N),
        ("netfilter", Exact, Netfilter, N),
    ]
};

/// Properties a section name gives a program besides its kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flags {
    sleepable: bool,
    frags: bool,
}

impl Flags {
    const NONE: Flags = Flags {
        sleepable: false,
        frags: false,
    };
    const SLEEPABLE: Flags = Flags {
        sleepable: true,
        frags: false,
    };
    const FRAGS: Flags = Flags {
        sleepable: false,
        frags: true,
    };
}

/// What a section name says about the programs in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SectionInfo {
    pub kind: ProgramKind,
    /// The part after the matched prefix and `/` (`do_sys_open` in `kprobe/do_sys_open`).
    pub attach_target: Option<String>,
    pub sleepable: bool,
    pub frags: bool,
}

/// Looks a section name up; libbpf's leading `?` (do not load automatically) is ignored.
pub(crate) fn section_info(section: &str) -> SectionInfo {
    let name = section.strip_prefix('?').unwrap_or(section);
    for (prefix, how, kind, flags) in SECTIONS {
        let rest = match how {
            Match::Exact => (name == *prefix).then_some(""),
            Match::Prefix if name == *prefix => Some(""),
            Match::Prefix => name
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('/')),
        };
        if let Some(rest) = rest {
            let exact_with_slash = matches!(how, Match::Exact) && prefix.contains('/');
            return SectionInfo {
                kind: kind.clone(),
                attach_target: (!rest.is_empty() && !exact_with_slash).then(|| rest.to_owned()),
                sleepable: flags.sleepable,
                frags: flags.frags,
            };
        }
    }
    SectionInfo {
        kind: ProgramKind::Unknown(name.to_owned()),
        attach_target: None,
        sleepable: false,
        frags: false,
    }
}

impl ProgramKind {
    /// The kind a section name stands for.
    pub fn from_section(section: &str) -> ProgramKind {
        section_info(section).kind
    }

    /// The kernel's `enum bpf_prog_type` number, or `None` for [`ProgramKind::Unknown`].
    pub fn prog_type(&self) -> Option<u32> {
        use ebee_abi::prog_type::*;
        use ProgramKind::*;
        Some(match self {
            SocketFilter => BPF_PROG_TYPE_SOCKET_FILTER,
            Kprobe => BPF_PROG_TYPE_KPROBE,
            SchedCls => BPF_PROG_TYPE_SCHED_CLS,
            SchedAct => BPF_PROG_TYPE_SCHED_ACT,
            Tracepoint => BPF_PROG_TYPE_TRACEPOINT,
            Xdp => BPF_PROG_TYPE_XDP,
            PerfEvent => BPF_PROG_TYPE_PERF_EVENT,
            CgroupSkb => BPF_PROG_TYPE_CGROUP_SKB,
            CgroupSock => BPF_PROG_TYPE_CGROUP_SOCK,
            LwtIn => BPF_PROG_TYPE_LWT_IN,
            LwtOut => BPF_PROG_TYPE_LWT_OUT,
            LwtXmit => BPF_PROG_TYPE_LWT_XMIT,
            SockOps => BPF_PROG_TYPE_SOCK_OPS,
            SkSkb => BPF_PROG_TYPE_SK_SKB,
            CgroupDevice => BPF_PROG_TYPE_CGROUP_DEVICE,
            SkMsg => BPF_PROG_TYPE_SK_MSG,
            RawTracepoint => BPF_PROG_TYPE_RAW_TRACEPOINT,
            CgroupSockAddr => BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
            LwtSeg6local => BPF_PROG_TYPE_LWT_SEG6LOCAL,
            LircMode2 => BPF_PROG_TYPE_LIRC_MODE2,
            SkReuseport => BPF_PROG_TYPE_SK_REUSEPORT,
            FlowDissector => BPF_PROG_TYPE_FLOW_DISSECTOR,
            CgroupSysctl => BPF_PROG_TYPE_CGROUP_SYSCTL,
            RawTracepointWritable => BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
            CgroupSockopt => BPF_PROG_TYPE_CGROUP_SOCKOPT,
            Tracing => BPF_PROG_TYPE_TRACING,
            StructOps => BPF_PROG_TYPE_STRUCT_OPS,
            Ext => BPF_PROG_TYPE_EXT,
            Lsm => BPF_PROG_TYPE_LSM,
            SkLookup => BPF_PROG_TYPE_SK_LOOKUP,
            Syscall => BPF_PROG_TYPE_SYSCALL,
            Netfilter => BPF_PROG_TYPE_NETFILTER,
            Unknown(_) => return None,
        })
    }
}

impl fmt::Display for ProgramKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProgramKind::Unknown(section) => write!(f, "unknown (section `{section}`)"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_map_to_kinds_and_targets() {
        let cases = [
            ("xdp", ProgramKind::Xdp, None),
            ("xdp/my_prog", ProgramKind::Xdp, Some("my_prog")),
            ("xdp/devmap", ProgramKind::Xdp, None),
            ("tc", ProgramKind::SchedCls, None),
            ("classifier", ProgramKind::SchedCls, None),
            ("tc/ingress", ProgramKind::SchedCls, None),
            ("action", ProgramKind::SchedAct, None),
            ("socket", ProgramKind::SocketFilter, None),
            (
                "kprobe/do_sys_open",
                ProgramKind::Kprobe,
                Some("do_sys_open"),
            ),
            (
                "uprobe//bin/sh:main",
                ProgramKind::Kprobe,
                Some("/bin/sh:main"),
            ),
            (
                "tp/sched/sched_switch",
                ProgramKind::Tracepoint,
                Some("sched/sched_switch"),
            ),
            (
                "tracepoint/syscalls/x",
                ProgramKind::Tracepoint,
                Some("syscalls/x"),
            ),
            (
                "raw_tp/sys_enter",
                ProgramKind::RawTracepoint,
                Some("sys_enter"),
            ),
            (
                "raw_tracepoint/sys_enter",
                ProgramKind::RawTracepoint,
                Some("sys_enter"),
            ),
            ("fentry/func", ProgramKind::Tracing, Some("func")),
            ("fexit/func", ProgramKind::Tracing, Some("func")),
            ("syscall", ProgramKind::Syscall, None),
            ("cgroup_skb/ingress", ProgramKind::CgroupSkb, None),
            ("sk_skb/stream_parser", ProgramKind::SkSkb, None),
            ("sk_msg", ProgramKind::SkMsg, None),
            ("lsm/file_open", ProgramKind::Lsm, Some("file_open")),
            ("perf_event", ProgramKind::PerfEvent, None),
            ("flow_dissector", ProgramKind::FlowDissector, None),
            ("?xdp", ProgramKind::Xdp, None),
        ];
        for (section, kind, target) in cases {
            let info = section_info(section);
            assert_eq!(info.kind, kind, "{section}");
            assert_eq!(info.attach_target.as_deref(), target, "{section}");
        }
        assert!(section_info("xdp.frags").frags);
        assert!(section_info("lsm.s/bpf").sleepable);
        assert_eq!(
            section_info("xdpfoo").kind,
            ProgramKind::Unknown("xdpfoo".into())
        );
        assert_eq!(
            section_info("tcx/other").kind,
            ProgramKind::Unknown("tcx/other".into())
        );
    }
}
