//! `struct __sk_buff`: the layout every skb program type shares, each field with the types
//! (roles) that may read and write it, after the kernel's `bpf_skb_is_valid_access` and each
//! type's own rules (`sk_filter_`, `tc_cls_act_`, `cg_skb_`, `lwt_`, `sk_skb_` and
//! `flow_dissector_is_valid_access`); socket filter and TC here, the other types in
//! `skb_types.rs` and `flow_dissector.rs`.
//!
//! - Socket filters may write only `cb`, and may not read the packet pointers, `tc_classid`,
//!   the socket fields (`family` … `local_port`), `tstamp`, `wire_len` or `hwtstamp`.
//! - TC may also write `mark`, `priority`, `tc_index`, `tc_classid`, `queue_mapping` and
//!   `tstamp`, and read everything but the socket fields.
//! - cgroup_skb may write `mark`, `priority`, `cb` and `tstamp`, and read everything but
//!   `tc_classid`, `data_meta` and `wire_len`; lwt may write `mark`, `priority` and `cb`,
//!   and may not read `tc_classid`, the socket fields, `data_meta`, `tstamp`, `wire_len` or
//!   `hwtstamp`; sk_skb may write `tc_index` and `priority` and may not touch `mark`,
//!   `tc_classid`, `data_meta`, `tstamp`, `wire_len` or `hwtstamp`; the flow dissector reads
//!   only `data`, `data_end` and `flow_keys`.
//! - 4-byte fields may be read in part, `cb` in any aligned size; the socket addresses only
//!   whole; `sk` reads NULL (ebee has no sockets).
//!
//! `tstamp_type` (which TC may read) is refused: ebee keeps no timestamp type.

use super::sizes::{ANY, B4, B8, UP_TO_4};
use super::{
    verdict, Fate, Field, FieldKind, PacketContext, ProgramTypeSpec, RunFields, Verdict, Who,
};
use ebee_abi::prog_type::{
    BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER,
};
use ebee_abi::tc_act::*;
use FieldKind::{Null, Pointer, Scalar};
use Who::{Nobody, Only};

/// Role of socket filters.
pub(crate) const SF: u32 = 1;
/// Role of TC classifiers and actions.
pub(crate) const TC: u32 = 2;
/// Role of cgroup_skb programs.
pub(crate) const CG: u32 = 4;
/// Role of lwt_in, lwt_out and lwt_xmit programs.
pub(crate) const LWT: u32 = 8;
/// Role of sk_skb programs.
pub(crate) const SK: u32 = 16;
/// Role of flow dissectors.
pub(crate) const FLOW: u32 = 32;
/// Every skb type but the flow dissector.
const ALL: u32 = SF | TC | CG | LWT | SK;

const fn field(name: &'static str, offset: u16, size: u16, readable: u32, writable: u32) -> Field {
    let reads = match size {
        4 => UP_TO_4,
        20 => ANY,
        _ => B8,
    };
    Field {
        name,
        offset,
        size,
        reads,
        writes: match size {
            20 => ANY,
            4 => B4,
            _ => B8,
        },
        narrow_at_start: false,
        kernel_size: if size > 8 { 8 } else { size as u8 },
        readable: if readable == 0 {
            Nobody
        } else {
            Only(readable)
        },
        writable: if writable == 0 {
            Nobody
        } else {
            Only(writable)
        },
        kind: Scalar,
    }
}

/// A field read only in whole 4-byte loads (packet pointers, socket addresses).
const fn whole(mut f: Field, kind: FieldKind) -> Field {
    f.reads = B4;
    f.kind = kind;
    f
}

pub(crate) const FIELDS: &[Field] = &[
    field("len", 0, 4, ALL, 0),
    field("pkt_type", 4, 4, ALL, 0).kernel(1),
    field("mark", 8, 4, SF | TC | CG | LWT, TC | CG | LWT),
    field("queue_mapping", 12, 4, ALL, TC).kernel(2),
    field("protocol", 16, 4, ALL, 0).kernel(2),
    field("vlan_present", 20, 4, ALL, 0),
    field("vlan_tci", 24, 4, ALL, 0).kernel(2),
    field("vlan_proto", 28, 4, ALL, 0).kernel(2),
    field("priority", 32, 4, ALL, TC | CG | LWT | SK),
    field("ingress_ifindex", 36, 4, ALL, 0),
    field("ifindex", 40, 4, ALL, 0),
    field("tc_index", 44, 4, ALL, TC | SK).kernel(2),
    field("cb", 48, 20, ALL, SF | TC | CG | LWT),
    field("hash", 68, 4, ALL, 0),
    field("tc_classid", 72, 4, TC, TC).kernel(2),
    whole(
        field("data", 76, 4, TC | CG | LWT | SK | FLOW, 0),
        Pointer(0),
    ),
    whole(
        field("data_end", 80, 4, TC | CG | LWT | SK | FLOW, 0),
        Pointer(1),
    ),
    field("napi_id", 84, 4, ALL, 0),
    // Read through the socket in the kernel; ebee's test runs fill them as the kernel's test
    // run's socket has them (family and addresses from the packet, ports 0).
    field("family", 88, 4, CG | SK, 0).kernel(2),
    whole(field("remote_ip4", 92, 4, CG | SK, 0), Scalar),
    whole(field("local_ip4", 96, 4, CG | SK, 0), Scalar),
    whole(field("remote_ip6", 100, 16, CG | SK, 0), Scalar),
    whole(field("local_ip6", 116, 16, CG | SK, 0), Scalar),
    field("remote_port", 132, 4, CG | SK, 0),
    field("local_port", 136, 4, CG | SK, 0).kernel(2),
    whole(field("data_meta", 140, 4, TC, 0), Pointer(2)),
    field("flow_keys", 144, 8, FLOW, 0).kind(Pointer(3)),
    field("tstamp", 152, 8, TC | CG, TC | CG),
    field("wire_len", 160, 4, TC, 0),
    field("gso_segs", 164, 4, ALL, 0).kernel(2),
    field("sk", 168, 8, ALL, 0).kind(Null),
    field("gso_size", 176, 4, ALL, 0).kernel(2),
    field("tstamp_type", 180, 1, 0, 0),
    field("hwtstamp", 184, 8, TC | CG, 0),
];

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

/// `tc_cls_act_func_proto`'s helpers beyond the base that ebee implements: skb_store_bytes
/// (9), l3/l4_csum_replace (10, 11), get_cgroup_classid (17), skb_vlan_push/pop (18, 19),
/// redirect (23), skb_load_bytes (26), csum_diff (28), skb_change_proto/type (31, 32),
/// get_hash_recalc (34), skb_change_tail (38), skb_pull_data (39), set_hash_invalid (41),
/// skb_change_head (43), get_socket_cookie (46), set_hash (48), skb_load_bytes_relative
/// (68), fib_lookup (69), skb_cgroup_id (79), sk_lookup_tcp/udp (84, 85), sk_release (86),
/// skb_ecn_set_ce (97), skc_lookup_tcp (99), get_netns_cookie (122: since Linux 6.15, the
/// one entry newer than 6.12's list), csum_level (135), skb_cgroup_classid (151), check_mtu
/// (163); skb_get/set_tunnel_key (20, 21), csum_update (40), skb_adjust_room (50),
/// redirect_neigh (152), redirect_peer (155).
const TC_HELPERS: &[u32] = &[
    9, 10, 11, 17, 18, 19, 20, 21, 23, 26, 28, 31, 32, 34, 38, 39, 40, 41, 43, 46, 48, 50, 68, 69,
    79, 84, 85, 86, 97, 99, 122, 135, 151, 152, 155, 163,
];

/// `convert___skb_to_skb`: the fields a test run's context may set.
pub(crate) const TEST_RUN_INPUT: RunFields = RunFields::Named(&[
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
]);

/// `convert_skb_to___skb`: the fields a test run reports back.
pub(crate) const TEST_RUN_OUTPUT: RunFields = RunFields::Named(&[
    "mark",
    "priority",
    "ingress_ifindex",
    "ifindex",
    "tstamp",
    "cb",
    "wire_len",
    "gso_segs",
    "hwtstamp",
]);

/// A spec over `__sk_buff` with the skb test run (`bpf_prog_test_run_skb`).
pub(crate) const fn skb_spec(
    name: &'static str,
    kernel_type: u32,
    attach_type: Option<u32>,
    roles: u32,
    helpers: &'static [u32],
    return_range: Option<(u32, u32)>,
    verdicts: &'static [Verdict],
) -> ProgramTypeSpec {
    ProgramTypeSpec {
        name,
        kernel_type,
        attach_type,
        ctx_size: 192,
        fields: FIELDS,
        roles,
        packet: PacketContext::Skb {
            pulls_ethernet: roles & TC == 0,
        },
        // The kernel's `may_access_skb`: socket filters and TC.
        legacy_packet_access: matches!(
            kernel_type,
            BPF_PROG_TYPE_SOCKET_FILTER | BPF_PROG_TYPE_SCHED_CLS | BPF_PROG_TYPE_SCHED_ACT
        ),
        helpers,
        return_range,
        verdicts,
        test_run_input: TEST_RUN_INPUT,
        test_run_output: TEST_RUN_OUTPUT,
    }
}

/// `BPF_PROG_TYPE_SOCKET_FILTER`: returns how many bytes of the packet to keep (0 drops);
/// sees the packet from the network header. Helpers beyond the base that ebee implements:
/// skb_load_bytes (26), get_socket_cookie (46), skb_load_bytes_relative (68).
pub static SOCKET_FILTER: ProgramTypeSpec = skb_spec(
    "socket_filter",
    BPF_PROG_TYPE_SOCKET_FILTER,
    None,
    SF,
    &[26, 46, 68],
    None,
    &[],
);

/// `BPF_PROG_TYPE_SCHED_CLS` (`tc`, `classifier`, `tcx/*`): verdicts `TC_ACT_*`.
pub static TC_CLS: ProgramTypeSpec = skb_spec(
    "sched_cls",
    BPF_PROG_TYPE_SCHED_CLS,
    None,
    TC,
    TC_HELPERS,
    None,
    TC_VERDICTS,
);

/// `BPF_PROG_TYPE_SCHED_ACT` (`action`).
pub static TC_ACT: ProgramTypeSpec = skb_spec(
    "sched_act",
    BPF_PROG_TYPE_SCHED_ACT,
    None,
    TC,
    TC_HELPERS,
    None,
    TC_VERDICTS,
);

#[cfg(test)]
mod tests {
    use super::super::translate::tests::{read, write};
    use super::*;

    #[test]
    fn roles_decide_who_reads_and_writes() {
        assert!(read(&SOCKET_FILTER, 168, 8).is_ok(), "sk reads NULL");
        assert!(read(&SOCKET_FILTER, 88, 4).is_err(), "no socket fields");
        assert!(read(&SOCKET_FILTER, 144, 8).is_err(), "flow_keys");
        assert!(read(&TC_CLS, 180, 1).is_err(), "tstamp_type");
        assert!(write(&TC_CLS, 12, 4).is_ok(), "queue_mapping");
        let err = read(&TC_CLS, 92, 4).unwrap_err();
        assert!(
            err.contains("field remote_ip4 may not be read by sched_cls"),
            "{err}"
        );
        let err = read(&TC_CLS, 0, 8).unwrap_err();
        assert!(err.contains("field len is crossed"), "{err}");
    }
}
