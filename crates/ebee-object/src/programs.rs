//! Program discovery: what kind of program a section name stands for, by libbpf's
//! conventions (`SEC("xdp")`, `SEC("kprobe/do_sys_open")`, ...), and which rule said so.
//! The tables are in `section_defs.rs`.

use std::fmt;

use crate::section_defs::{Match, LIBBPF_0_PREFIXES, LIBBPF_1};

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

/// Which rule gave a program its type.
///
/// ```
/// use ebee_object::{ProgramKind, TypeRule};
/// let (kind, rule) = TypeRule::for_section("xdp_mark");
/// assert_eq!(kind, ProgramKind::Xdp);
/// assert_eq!(rule.to_string(), "libbpf 0.x prefix \"xdp\"");
/// assert_eq!(TypeRule::for_section("xdp").1.to_string(), "libbpf 1.x: SEC(\"xdp\")");
/// assert_eq!(TypeRule::for_section("kprobe/f").1.to_string(), "libbpf 1.x: SEC(\"kprobe+\")");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TypeRule {
    /// An entry of libbpf 1.x's `section_defs`, as written there (`xdp`, `kprobe+`).
    Libbpf1(String),
    /// A libbpf 0.x prefix (`xdp` for `xdp_mark`), for a name libbpf 1.x no longer matches.
    Libbpf0Prefix(&'static str),
    /// Set by the host ([`crate::ObjectSpec::set_program_type`], `--type`), with the name
    /// it was given.
    Override(String),
    /// No rule: a section name no libbpf knows, or a function of `.text` no section calls.
    None,
}

impl TypeRule {
    /// The program kind a section name stands for, and the rule that says so: libbpf 1.x's
    /// table first, then libbpf 0.x's prefixes. libbpf's leading `?` (do not load
    /// automatically) is ignored.
    pub fn for_section(section: &str) -> (ProgramKind, TypeRule) {
        let info = section_info(section);
        (info.kind, info.rule)
    }
}

impl fmt::Display for TypeRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeRule::Libbpf1(entry) => write!(f, "libbpf 1.x: SEC(\"{entry}\")"),
            TypeRule::Libbpf0Prefix(prefix) => write!(f, "libbpf 0.x prefix \"{prefix}\""),
            TypeRule::Override(name) => write!(f, "--type override \"{name}\""),
            TypeRule::None => f.write_str("no rule"),
        }
    }
}

/// What a section name says about the programs in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SectionInfo {
    pub kind: ProgramKind,
    pub rule: TypeRule,
    /// The part after the matched entry and `/` (`do_sys_open` in `kprobe/do_sys_open`).
    pub attach_target: Option<String>,
    pub sleepable: bool,
    pub frags: bool,
}

/// Looks a section name up: libbpf 1.x's `section_defs`, then libbpf 0.x's prefixes.
pub(crate) fn section_info(section: &str) -> SectionInfo {
    let name = section.strip_prefix('?').unwrap_or(section);
    for (entry, how, kind, flags) in LIBBPF_1 {
        let rest = match how {
            Match::Exact => (name == *entry).then_some(""),
            Match::Plus if name == *entry => Some(""),
            Match::Plus => name
                .strip_prefix(entry)
                .and_then(|rest| rest.strip_prefix('/')),
        };
        if let Some(rest) = rest {
            let written = match how {
                Match::Exact => (*entry).to_owned(),
                Match::Plus => format!("{entry}+"),
            };
            return SectionInfo {
                kind: kind.clone(),
                rule: TypeRule::Libbpf1(written),
                attach_target: (!rest.is_empty()).then(|| rest.to_owned()),
                sleepable: flags.sleepable,
                frags: flags.frags,
            };
        }
    }
    for (prefix, kind) in LIBBPF_0_PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix) {
            let target = if prefix.ends_with('/') {
                Some(rest)
            } else {
                rest.strip_prefix('/')
            };
            return SectionInfo {
                kind: kind.clone(),
                rule: TypeRule::Libbpf0Prefix(prefix.trim_end_matches('/')),
                attach_target: target.filter(|t| !t.is_empty()).map(str::to_owned),
                sleepable: false,
                frags: false,
            };
        }
    }
    SectionInfo {
        kind: ProgramKind::Unknown(name.to_owned()),
        rule: TypeRule::None,
        attach_target: None,
        sleepable: false,
        frags: false,
    }
}

/// The kind a `--type` name stands for, as `bpftool prog load … type NAME` takes it: a
/// program type's name (`xdp`, `sched_cls`, `socket_filter`) or a section name libbpf
/// knows (`classifier`, `socket`, `cgroup/connect4`, `kprobe`).
///
/// ```
/// use ebee_object::{program_type_by_name, ProgramKind};
/// assert_eq!(program_type_by_name("xdp"), Some(ProgramKind::Xdp));
/// assert_eq!(program_type_by_name("sched_cls"), Some(ProgramKind::SchedCls));
/// assert_eq!(program_type_by_name("classifier"), Some(ProgramKind::SchedCls));
/// assert_eq!(program_type_by_name("nonsense"), None);
/// ```
pub fn program_type_by_name(name: &str) -> Option<ProgramKind> {
    let by_type = ebee_abi::prog_type::PROG_TYPES
        .iter()
        .find(|(_, type_name)| *type_name == name)
        .and_then(|(id, _)| {
            LIBBPF_1
                .iter()
                .map(|(_, _, kind, _)| kind)
                .find(|kind| kind.prog_type() == Some(*id))
        });
    if let Some(kind) = by_type {
        return Some(kind.clone());
    }
    let info = section_info(name);
    (info.rule != TypeRule::None).then_some(info.kind)
}

impl ProgramKind {
    /// The kind a section name stands for (see [`TypeRule::for_section`]).
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
            ("xdp_mark", ProgramKind::Xdp, None),
            ("xdp_vlan_remove_outer", ProgramKind::Xdp, None),
            ("tc", ProgramKind::SchedCls, None),
            ("classifier", ProgramKind::SchedCls, None),
            ("classifier/x", ProgramKind::SchedCls, Some("x")),
            ("tc/ingress", ProgramKind::SchedCls, None),
            ("action", ProgramKind::SchedAct, None),
            ("socket", ProgramKind::SocketFilter, None),
            ("socket1", ProgramKind::SocketFilter, None),
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
            ("sk_skb/other", ProgramKind::SkSkb, Some("other")),
            ("sk_msg", ProgramKind::SkMsg, None),
            ("lsm/file_open", ProgramKind::Lsm, Some("file_open")),
            ("perf_event", ProgramKind::PerfEvent, None),
            ("flow_dissector", ProgramKind::FlowDissector, None),
            ("lwt_out", ProgramKind::LwtOut, None),
            ("sk_lookup", ProgramKind::SkLookup, None),
            ("cgroup/connect4", ProgramKind::CgroupSockAddr, None),
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
            section_info("tcx/other").kind,
            ProgramKind::Unknown("tcx/other".into())
        );
        assert_eq!(section_info("my_section").rule, TypeRule::None);
    }

    #[test]
    fn rules_say_which_table_matched() {
        let rule = |s: &str| section_info(s).rule.to_string();
        assert_eq!(rule("xdp"), "libbpf 1.x: SEC(\"xdp\")");
        assert_eq!(rule("xdp/prog"), "libbpf 0.x prefix \"xdp\"");
        assert_eq!(rule("socket1"), "libbpf 0.x prefix \"socket\"");
        assert_eq!(rule("kprobe/f"), "libbpf 1.x: SEC(\"kprobe+\")");
        assert_eq!(rule("kprobe"), "libbpf 1.x: SEC(\"kprobe+\")");
        assert_eq!(rule("sk_skb/x"), "libbpf 0.x prefix \"sk_skb\"");
        assert_eq!(rule("xdp_devmap/f"), "libbpf 0.x prefix \"xdp_devmap\"");
    }

    #[test]
    fn type_names_are_bpftools() {
        assert_eq!(program_type_by_name("lwt_xmit"), Some(ProgramKind::LwtXmit));
        assert_eq!(
            program_type_by_name("socket"),
            Some(ProgramKind::SocketFilter)
        );
        assert_eq!(
            program_type_by_name("cgroup_sock_addr"),
            Some(ProgramKind::CgroupSockAddr)
        );
        assert_eq!(program_type_by_name("unspec"), None);
    }
}
