//! Socket filters and TC programs: `struct __sk_buff`, with the kernel's per-type access rules
//! (`sk_filter_is_valid_access`, `tc_cls_act_is_valid_access`, `bpf_skb_is_valid_access`):
//! socket filters may write only `cb`, and may not read the packet pointers, `tc_classid`,
//! `tstamp`, `wire_len` or `hwtstamp`; TC programs may also write `mark`, `priority`,
//! `tc_index`, `tc_classid`, `queue_mapping` and `tstamp`. 4-byte fields may be read in part.

use super::{Fate, Field, FieldKind, PacketContext, ProgramTypeSpec, Verdict, Who};
use ebee_abi::prog_type::{
    BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER,
};
use ebee_abi::tc_act::*;
use FieldKind::{Pointer, Scalar};
use Who::{Everyone, Nobody, TcOnly};

const fn field(
    name: &'static str,
    offset: u16,
    size: u16,
    readable: Who,
    writable: Who,
    kind: FieldKind,
) -> Field {
    Field {
        name,
        offset,
        size,
        narrow_reads: size == 4 || size == 20,
        kernel_size: if size > 8 { 8 } else { size as u8 },
        readable,
        writable,
        kind,
    }
}

/// `field` backed by a narrower kernel field (see [`Field::kernel_size`]).
const fn narrow(mut f: Field, kernel_size: u8) -> Field {
    f.kernel_size = kernel_size;
    f
}

const FIELDS: &[Field] = &[
    field("len", 0, 4, Everyone, Nobody, Scalar),
    narrow(field("pkt_type", 4, 4, Everyone, Nobody, Scalar), 1),
    field("mark", 8, 4, Everyone, TcOnly, Scalar),
    narrow(field("queue_mapping", 12, 4, Everyone, TcOnly, Scalar), 2),
    narrow(field("protocol", 16, 4, Everyone, Nobody, Scalar), 2),
    field("vlan_present", 20, 4, Everyone, Nobody, Scalar),
    narrow(field("vlan_tci", 24, 4, Everyone, Nobody, Scalar), 2),
    narrow(field("vlan_proto", 28, 4, Everyone, Nobody, Scalar), 2),
    field("priority", 32, 4, Everyone, TcOnly, Scalar),
    field("ingress_ifindex", 36, 4, Everyone, Nobody, Scalar),
    field("ifindex", 40, 4, Everyone, Nobody, Scalar),
    narrow(field("tc_index", 44, 4, Everyone, TcOnly, Scalar), 2),
    field("cb", 48, 20, Everyone, Everyone, Scalar),
    field("hash", 68, 4, Everyone, Nobody, Scalar),
    narrow(field("tc_classid", 72, 4, TcOnly, TcOnly, Scalar), 2),
    field("data", 76, 4, TcOnly, Nobody, Pointer(0)),
    field("data_end", 80, 4, TcOnly, Nobody, Pointer(1)),
    field("napi_id", 84, 4, Everyone, Nobody, Scalar),
    field("family", 88, 4, Nobody, Nobody, Scalar),
    field("remote_ip4", 92, 4, Nobody, Nobody, Scalar),
    field("local_ip4", 96, 4, Nobody, Nobody, Scalar),
    field("remote_ip6", 100, 16, Nobody, Nobody, Scalar),
    field("local_ip6", 116, 16, Nobody, Nobody, Scalar),
    field("remote_port", 132, 4, Nobody, Nobody, Scalar),
    field("local_port", 136, 4, Nobody, Nobody, Scalar),
    field("data_meta", 140, 4, TcOnly, Nobody, Pointer(2)),
    field("flow_keys", 144, 8, Nobody, Nobody, Scalar),
    field("tstamp", 152, 8, TcOnly, TcOnly, Scalar),
    field("wire_len", 160, 4, TcOnly, Nobody, Scalar),
    narrow(field("gso_segs", 164, 4, Everyone, Nobody, Scalar), 2),
    field("sk", 168, 8, Nobody, Nobody, Scalar),
    narrow(field("gso_size", 176, 4, Everyone, Nobody, Scalar), 2),
    field("tstamp_type", 180, 1, Nobody, Nobody, Scalar),
    field("hwtstamp", 184, 8, TcOnly, Nobody, Scalar),
];

const fn verdict(value: i32, name: &'static str, fate: Fate) -> Verdict {
    Verdict {
        value: value as u32,
        name,
        fate,
    }
}

/// The `TC_ACT_*` verdicts (`TC_ACT_UNSPEC`, `TC_ACT_OK` and `TC_ACT_PIPE` let the packet
/// continue).
const TC_VERDICTS: &[Verdict] = &[
    verdict(TC_ACT_UNSPEC, "TC_ACT_UNSPEC", Fate::Pass),
    verdict(TC_ACT_OK, "TC_ACT_OK", Fate::Pass),
    verdict(TC_ACT_RECLASSIFY, "TC_ACT_RECLASSIFY", Fate::Other),
    verdict(TC_ACT_SHOT, "TC_ACT_SHOT", Fate::Drop),
    verdict(TC_ACT_PIPE, "TC_ACT_PIPE", Fate::Pass),
    verdict(TC_ACT_STOLEN, "TC_ACT_STOLEN", Fate::Other),
    verdict(TC_ACT_QUEUED, "TC_ACT_QUEUED", Fate::Other),
    verdict(TC_ACT_REPEAT, "TC_ACT_REPEAT", Fate::Other),
    verdict(TC_ACT_REDIRECT, "TC_ACT_REDIRECT", Fate::Redirect),
    verdict(TC_ACT_TRAP, "TC_ACT_TRAP", Fate::Other),
];

/// `tc_cls_act_func_proto`'s helpers beyond the base: skb_store_bytes (9),
/// l3/l4_csum_replace (10, 11), redirect (23), skb_load_bytes (26), csum_diff (28),
/// get_hash_recalc (34), skb_pull_data (39), skb_load_bytes_relative (68).
const TC_HELPERS: &[u32] = &[9, 10, 11, 23, 26, 28, 34, 39, 68];

/// `convert___skb_to_skb`: the fields a test run's context may set.
const TEST_RUN_INPUT: &[&str] = &[
    "mark",
    "priority",
    "ingress_ifindex",
    "ifindex",
    "cb",
    "tstamp",
    "wire_len",
    "gso_segs",
    "gso_size",
    "hwtstamp",
];

/// `convert_skb_to___skb`: the fields a test run reports back.
const TEST_RUN_OUTPUT: &[&str] = &[
    "mark",
    "priority",
    "ingress_ifindex",
    "ifindex",
    "tstamp",
    "cb",
    "wire_len",
    "gso_segs",
    "hwtstamp",
];

/// `BPF_PROG_TYPE_SOCKET_FILTER`: returns how many bytes of the packet to keep (0 drops);
/// sees the packet from the network header. Helpers beyond the base: skb_load_bytes (26),
/// skb_load_bytes_relative (68).
pub static SOCKET_FILTER: ProgramTypeSpec = ProgramTypeSpec {
    name: "socket_filter",
    kernel_type: BPF_PROG_TYPE_SOCKET_FILTER,
    ctx_size: 192,
    fields: FIELDS,
    is_tc: false,
    packet: PacketContext::Skb {
        pulls_ethernet: true,
    },
    legacy_packet_access: true,
    helpers: &[26, 68],
    return_range: None,
    verdicts: &[],
    test_run_input: TEST_RUN_INPUT,
    test_run_output: TEST_RUN_OUTPUT,
};

/// `BPF_PROG_TYPE_SCHED_CLS` (`tc`, `classifier`, `tcx/*`): verdicts `TC_ACT_*`.
pub static TC_CLS: ProgramTypeSpec = ProgramTypeSpec {
    name: "sched_cls",
    kernel_type: BPF_PROG_TYPE_SCHED_CLS,
    ctx_size: 192,
    fields: FIELDS,
    is_tc: true,
    packet: PacketContext::Skb {
        pulls_ethernet: false,
    },
    legacy_packet_access: true,
    helpers: TC_HELPERS,
    return_range: None,
    verdicts: TC_VERDICTS,
    test_run_input: TEST_RUN_INPUT,
    test_run_output: TEST_RUN_OUTPUT,
};

/// `BPF_PROG_TYPE_SCHED_ACT` (`action`).
pub static TC_ACT: ProgramTypeSpec = ProgramTypeSpec {
    name: "sched_act",
    kernel_type: BPF_PROG_TYPE_SCHED_ACT,
    ctx_size: 192,
    fields: FIELDS,
    is_tc: true,
    packet: PacketContext::Skb {
        pulls_ethernet: false,
    },
    legacy_packet_access: true,
    helpers: TC_HELPERS,
    return_range: None,
    verdicts: TC_VERDICTS,
    test_run_input: TEST_RUN_INPUT,
    test_run_output: TEST_RUN_OUTPUT,
};
