//! The other skb program types over `struct __sk_buff` (layout and roles in `skb.rs`): cgroup_skb,
//! lwt_in/out/xmit and sk_skb. All three see the packet from the network header: the kernel's
//! test run (`bpf_prog_test_run_skb`) pulls the Ethernet header for every type but TC, and an
//! sk_skb program sees the socket's data, which ebee's run gives as the packet past the
//! Ethernet header.

use super::skb::{skb_spec, CG, LWT, SK};
use super::{verdict, Fate, ProgramTypeSpec, Verdict};
use ebee_abi::attach_type::{BPF_CGROUP_INET_EGRESS, BPF_CGROUP_INET_INGRESS};
use ebee_abi::prog_type::{
    BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT,
    BPF_PROG_TYPE_SK_SKB,
};
use ebee_abi::ret_code::*;

/// `cg_skb_func_proto` (with `cgroup_common_func_proto`, `sk_filter_func_proto` and
/// `bpf_sk_base_func_proto`) beyond the base: skb_load_bytes, get_socket_cookie/uid,
/// skb_load_bytes_relative, the cgroup ids, get_local_storage, the socket lookups, sk_fullsock,
/// tcp_sock, skb_ecn_set_ce, get_listener_sock, sk_storage, the skc_to_* casts. Not
/// get/set_retval, which ingress and egress programs may not call.
const CGROUP_SKB_HELPERS: &[u32] = &[
    26, 46, 47, 68, 79, 81, 83, 84, 85, 86, 95, 96, 97, 98, 99, 107, 108, 128, 129, 136, 137, 138,
    139, 140, 178, 196,
];

/// cgroup_skb verdicts: 1 lets the packet through, 0 drops it; egress programs may add 2
/// (congestion notification, `NET_XMIT_CN`).
const CGROUP_SKB_VERDICTS: &[Verdict] = &[
    verdict(0, "drop", Fate::Drop),
    verdict(1, "allow", Fate::Pass),
    verdict(2, "drop_cn", Fate::Drop),
    verdict(3, "allow_cn", Fate::Pass),
];

/// `BPF_PROG_TYPE_CGROUP_SKB` attached at ingress (`cgroup_skb/ingress`, `cgroup/skb`):
/// returns 0 or 1 (`check_return_code`).
pub static CGROUP_SKB_INGRESS: ProgramTypeSpec = skb_spec(
    "cgroup_skb",
    BPF_PROG_TYPE_CGROUP_SKB,
    Some(BPF_CGROUP_INET_INGRESS),
    CG,
    CGROUP_SKB_HELPERS,
    Some((0, 1)),
    CGROUP_SKB_VERDICTS,
);

/// `BPF_PROG_TYPE_CGROUP_SKB` attached at egress (`cgroup_skb/egress`): returns 0 to 3.
pub static CGROUP_SKB_EGRESS: ProgramTypeSpec = skb_spec(
    "cgroup_skb",
    BPF_PROG_TYPE_CGROUP_SKB,
    Some(BPF_CGROUP_INET_EGRESS),
    CG,
    CGROUP_SKB_HELPERS,
    Some((0, 3)),
    CGROUP_SKB_VERDICTS,
);

/// lwt verdicts (`enum bpf_ret_code`).
const LWT_VERDICTS: &[Verdict] = &[
    verdict(BPF_OK as i32, "BPF_OK", Fate::Pass),
    verdict(BPF_DROP as i32, "BPF_DROP", Fate::Drop),
    verdict(BPF_REDIRECT as i32, "BPF_REDIRECT", Fate::Redirect),
    verdict(BPF_LWT_REROUTE as i32, "BPF_LWT_REROUTE", Fate::Other),
];

/// `lwt_out_func_proto` beyond the base: get_cgroup_classid (17), get_route_realm (24),
/// skb_load_bytes (26), csum_diff (28), skb_under_cgroup (33), get_hash_recalc (34),
/// skb_pull_data (39), the skc_to_* casts (136–140, 178, 196).
const LWT_OUT_HELPERS: &[u32] = &[
    17, 24, 26, 28, 33, 34, 39, 136, 137, 138, 139, 140, 178, 196,
];

/// `BPF_PROG_TYPE_LWT_IN` (`lwt_in`): lwt_out's helpers and lwt_push_encap (73).
pub static LWT_IN: ProgramTypeSpec = skb_spec(
    "lwt_in",
    BPF_PROG_TYPE_LWT_IN,
    None,
    LWT,
    &[
        17, 24, 26, 28, 33, 34, 39, 73, 136, 137, 138, 139, 140, 178, 196,
    ],
    None,
    LWT_VERDICTS,
);

/// `BPF_PROG_TYPE_LWT_OUT` (`lwt_out`).
pub static LWT_OUT: ProgramTypeSpec = skb_spec(
    "lwt_out",
    BPF_PROG_TYPE_LWT_OUT,
    None,
    LWT,
    LWT_OUT_HELPERS,
    None,
    LWT_VERDICTS,
);

/// `BPF_PROG_TYPE_LWT_XMIT` (`lwt_xmit`): lwt_out's helpers and the packet-writing ones
/// (`lwt_xmit_func_proto`): skb_store_bytes, the checksum helpers, clone_redirect, the
/// tunnel keys and options, redirect, skb_change_tail/head, set_hash_invalid,
/// lwt_push_encap, csum_level.
pub static LWT_XMIT: ProgramTypeSpec = skb_spec(
    "lwt_xmit",
    BPF_PROG_TYPE_LWT_XMIT,
    None,
    LWT,
    &[
        9, 10, 11, 13, 17, 20, 21, 23, 24, 26, 28, 29, 30, 33, 34, 38, 39, 40, 41, 43, 73, 135,
        136, 137, 138, 139, 140, 178, 196,
    ],
    None,
    LWT_VERDICTS,
);

/// `SK_PASS` and `SK_DROP`.
pub(crate) const SK_VERDICTS: &[Verdict] = &[
    verdict(SK_DROP as i32, "SK_DROP", Fate::Drop),
    verdict(SK_PASS as i32, "SK_PASS", Fate::Pass),
];

/// `BPF_PROG_TYPE_SK_SKB` (`sk_skb/stream_parser`, `sk_skb/stream_verdict`,
/// `sk_skb/verdict`: one set of rules for every attach type). Parsers return a message
/// length, verdict programs `SK_PASS`/`SK_DROP`; the kernel checks no return range.
/// `sk_skb_func_proto` beyond the base: skb_store_bytes, skb_load_bytes, skb_change_tail,
/// skb_pull_data, skb_change_head, get_socket_cookie/uid, skb_adjust_room,
/// sk_redirect_map/hash, the socket lookups, the skc_to_* casts.
pub static SK_SKB: ProgramTypeSpec = skb_spec(
    "sk_skb",
    BPF_PROG_TYPE_SK_SKB,
    None,
    SK,
    &[
        9, 26, 38, 39, 43, 46, 47, 50, 52, 72, 84, 85, 86, 99, 136, 137, 138, 139, 140, 178, 196,
    ],
    None,
    SK_VERDICTS,
);

#[cfg(test)]
mod tests {
    use super::super::translate::tests::{read, write};
    use super::super::TC_CLS;
    use super::*;

    #[test]
    fn cgroup_skb_reads_the_socket_fields_and_writes_mark_priority_cb_tstamp() {
        let s = &CGROUP_SKB_INGRESS;
        for (offset, size) in [
            (88, 4),
            (90, 2),
            (92, 4),
            (100, 4),
            (112, 4),
            (132, 4),
            (136, 2),
        ] {
            assert!(read(s, offset, size).is_ok(), "{offset}");
        }
        assert!(read(s, 92, 2).is_err(), "remote_ip4 only whole");
        assert!(read(s, 140, 4).is_err(), "data_meta");
        assert!(read(s, 72, 4).is_err(), "tc_classid");
        assert!(read(s, 160, 4).is_err(), "wire_len");
        assert!(read(s, 184, 8).is_ok(), "hwtstamp");
        for offset in [8, 32, 48, 152] {
            let size = if offset == 152 { 8 } else { 4 };
            assert!(write(s, offset, size).is_ok(), "{offset}");
        }
        assert!(write(s, 44, 4).is_err(), "tc_index");
        assert!(write(s, 12, 4).is_err(), "queue_mapping");
        assert_eq!(s.return_range, Some((0, 1)));
        assert_eq!(CGROUP_SKB_EGRESS.return_range, Some((0, 3)));
        // The packet pointers, after the 4 pointer slots of __sk_buff.
        assert_eq!(read(s, 80, 4).unwrap().offset, 200);
        assert_eq!(s.host_ctx_size(), 192 + 32);
    }

    #[test]
    fn lwt_writes_mark_priority_cb_and_reads_no_socket() {
        for s in [&LWT_IN, &LWT_OUT, &LWT_XMIT] {
            assert!(read(s, 76, 4).is_ok() && read(s, 80, 4).is_ok());
            assert!(read(s, 88, 4).is_err(), "family");
            assert!(read(s, 152, 8).is_err(), "tstamp");
            assert!(read(s, 184, 8).is_err(), "hwtstamp");
            assert!(write(s, 8, 4).is_ok() && write(s, 32, 4).is_ok());
            assert!(write(s, 50, 2).is_ok(), "cb in part");
            assert!(write(s, 44, 4).is_err(), "tc_index");
            assert_ne!(
                s.packet, TC_CLS.packet,
                "lwt sees the packet from the network header"
            );
        }
        assert!(LWT_IN.allows_helper(73) && !LWT_OUT.allows_helper(73));
        assert!(LWT_XMIT.allows_helper(9) && !LWT_IN.allows_helper(9));
    }

    #[test]
    fn sk_skb_writes_tc_index_and_priority_only_and_never_touches_mark() {
        let s = &SK_SKB;
        assert!(write(s, 44, 4).is_ok() && write(s, 32, 4).is_ok());
        assert!(write(s, 48, 4).is_err(), "cb is read-only");
        assert!(read(s, 48, 4).is_ok());
        let err = read(s, 8, 4).unwrap_err();
        assert!(
            err.contains("field mark may not be read by sk_skb"),
            "{err}"
        );
        assert!(read(s, 92, 4).is_ok(), "remote_ip4");
        assert!(read(s, 160, 4).is_err(), "wire_len");
        assert_eq!(s.verdict_name(1), "SK_PASS");
    }
}
