//! Helpers 1–70 (`map_lookup_elem` … `sock_hash_update`).

use super::*;

/// One row per helper, its name (`ebee_abi::helper_names`) in the comment.
#[rustfmt::skip]
pub(super) const ROWS: &[Prototype] = &[
    proto(1, &[MapPtr, MapKey], Ret::MapValueOrNull), // map_lookup_elem
    proto(2, &[MapPtr, MapKey, MapValue, Anything], Ret::Integer), // map_update_elem
    proto(3, &[MapPtr, MapKey], Ret::Integer), // map_delete_elem
    // probe_read: `bpf_probe_read_compat_proto`.
    gpl(4, PROBE_READ, Ret::Integer),
    proto(5, &[], Ret::Integer), // ktime_get_ns
    // trace_printk: r3–r5 (the format's arguments) are `ARG_DONTCARE` in the proto: passed on
    // unchecked.
    gpl(6, &[READ, SIZE], Ret::Integer),
    proto(7, &[], Ret::Integer), // get_prandom_u32
    // get_smp_processor_id: `bpf_get_smp_processor_id_proto`; base programs get
    // `bpf_get_raw_smp_processor_id_proto`, the same.
    proto(8, &[], Ret::Integer),
    proto(9, &[CTX, Anything, READ, SIZE, Anything], Ret::Integer), // skb_store_bytes
    proto(10, &[CTX, Anything, Anything, Anything, Anything], Ret::Integer), // l3_csum_replace
    proto(11, &[CTX, Anything, Anything, Anything, Anything], Ret::Integer), // l4_csum_replace
    proto(12, &[CTX, MapPtr, Anything], Ret::Void), // tail_call
    proto(13, &[CTX, Anything, Anything], Ret::Integer), // clone_redirect
    proto(14, &[], Ret::Integer), // get_current_pid_tgid
    proto(15, &[], Ret::Integer), // get_current_uid_gid
    proto(16, &[WRITE, SIZE], Ret::Integer), // get_current_comm
    // get_cgroup_classid: `bpf_get_cgroup_classid_proto` (skb programs); cgroup and socket programs
    // get `bpf_get_cgroup_classid_curr_proto`, which takes no argument.
    proto(17, &[CTX], Ret::Integer),
    proto(18, &[CTX, Anything, Anything], Ret::Integer), // skb_vlan_push
    proto(19, &[CTX], Ret::Integer), // skb_vlan_pop
    proto(20, &[CTX, WRITE, SIZE, Anything], Ret::Integer), // skb_get_tunnel_key
    proto(21, &[CTX, READ, SIZE, Anything], Ret::Integer), // skb_set_tunnel_key
    gpl(22, &[MapPtr, Anything], Ret::Integer), // perf_event_read
    // redirect: `bpf_redirect_proto` (TC); XDP's `bpf_xdp_redirect_proto` is the same.
    proto(23, &[Anything, Anything], Ret::Integer),
    proto(24, &[CTX], Ret::Integer), // get_route_realm
    // perf_event_output: `bpf_perf_event_output_proto` (kprobes); the tracepoint, raw-tracepoint,
    // skb, XDP and `bpf_event_output_data_proto` variants are the same.
    gpl(25, &[CTX, MapPtr, Anything, READ, SIZE_OR_ZERO], Ret::Integer),
    // skb_load_bytes: `bpf_skb_load_bytes_proto`; the flow-dissector and reuseport variants are the
    // same.
    proto(26, &[CTX, Anything, WRITE, SIZE], Ret::Integer),
    // get_stackid: `bpf_get_stackid_proto`; perf-event programs get `bpf_get_stackid_proto_pe`, not
    // `gpl_only`; the tracepoint variants are the same.
    gpl(27, &[CTX, MapPtr, Anything], Ret::Integer),
    // csum_diff
    proto(28, &[READ_OR_NULL, SIZE_OR_ZERO, READ_OR_NULL, SIZE_OR_ZERO, Anything], Ret::Integer),
    proto(29, &[CTX, WRITE, SIZE], Ret::Integer), // skb_get_tunnel_opt
    proto(30, &[CTX, READ, SIZE], Ret::Integer), // skb_set_tunnel_opt
    proto(31, &[CTX, Anything, Anything], Ret::Integer), // skb_change_proto
    proto(32, &[CTX, Anything], Ret::Integer), // skb_change_type
    proto(33, &[CTX, MapPtr, Anything], Ret::Integer), // skb_under_cgroup
    proto(34, &[CTX], Ret::Integer), // get_hash_recalc
    gpl(35, &[], Ret::Integer), // get_current_task
    gpl(36, &[Anything, READ, SIZE], Ret::Integer), // probe_write_user
    proto(37, &[MapPtr, Anything], Ret::Integer), // current_task_under_cgroup
    // skb_change_tail: `bpf_skb_change_tail_proto`; `sk_skb_change_tail_proto` is the same.
    proto(38, &[CTX, Anything, Anything], Ret::Integer),
    // skb_pull_data: `bpf_skb_pull_data_proto`; `sk_skb_pull_data_proto` is the same.
    proto(39, &[CTX, Anything], Ret::Integer),
    proto(40, &[CTX, Anything], Ret::Integer), // csum_update
    proto(41, &[CTX], Ret::Integer), // set_hash_invalid
    proto(42, &[], Ret::Integer), // get_numa_node_id
    // skb_change_head: `bpf_skb_change_head_proto`; `sk_skb_change_head_proto` is the same.
    proto(43, &[CTX, Anything, Anything], Ret::Integer),
    proto(44, &[CTX, Anything], Ret::Integer), // xdp_adjust_head
    // probe_read_str: `bpf_probe_read_compat_str_proto`.
    gpl(45, PROBE_READ, Ret::Integer),
    // get_socket_cookie: `bpf_get_socket_cookie_proto` (skb); the sock, sock_addr and sock_ops
    // variants are the same; tracing gets `bpf_get_socket_ptr_cookie_proto` (a nullable BTF
    // `sock_common`).
    proto(46, &[CTX], Ret::Integer),
    proto(47, &[CTX], Ret::Integer), // get_socket_uid
    proto(48, &[CTX, Anything], Ret::Integer), // set_hash
    // setsockopt: `bpf_sk_setsockopt_proto` (cgroup sockopt, struct_ops, iterators, LSM);
    // `bpf_sock_ops_setsockopt_proto` and `bpf_sock_addr_setsockopt_proto` take the context.
    proto(49, &[SOCK_COMMON, Anything, Anything, READ, SIZE], Ret::Integer),
    // skb_adjust_room: `bpf_skb_adjust_room_proto`; `sk_skb_adjust_room_proto` is the same.
    proto(50, &[CTX, Anything, Anything, Anything], Ret::Integer),
    // redirect_map: `bpf_xdp_redirect_map_proto` (the only one).
    proto(51, &[MapPtr, Anything, Anything], Ret::Integer),
    proto(52, &[CTX, MapPtr, Anything, Anything], Ret::Integer), // sk_redirect_map
    proto(53, &[CTX, MapPtr, MapKey, Anything], Ret::Integer), // sock_map_update
    proto(54, &[CTX, Anything], Ret::Integer), // xdp_adjust_meta
    gpl(55, &[MapPtr, Anything, WRITE, SIZE], Ret::Integer), // perf_event_read_value
    gpl(56, &[CTX, WRITE, SIZE], Ret::Integer), // perf_prog_read_value
    // getsockopt: `bpf_sk_getsockopt_proto`; `bpf_sock_ops_getsockopt_proto` and
    // `bpf_sock_addr_getsockopt_proto` take the context.
    proto(57, &[SOCK_COMMON, Anything, Anything, WRITE, SIZE], Ret::Integer),
    gpl(58, &[CTX, Anything], Ret::Integer), // override_return
    proto(59, &[CTX, Anything], Ret::Integer), // sock_ops_cb_flags_set
    proto(60, &[CTX, MapPtr, Anything, Anything], Ret::Integer), // msg_redirect_map
    proto(61, &[CTX, Anything], Ret::Integer), // msg_apply_bytes
    proto(62, &[CTX, Anything], Ret::Integer), // msg_cork_bytes
    proto(63, &[CTX, Anything, Anything, Anything], Ret::Integer), // msg_pull_data
    proto(64, &[CTX, READ, SIZE], Ret::Integer), // bind
    proto(65, &[CTX, Anything], Ret::Integer), // xdp_adjust_tail
    proto(66, &[CTX, Anything, WRITE, SIZE, Anything], Ret::Integer), // skb_get_xfrm_state
    // get_stack: `bpf_get_stack_proto`; raw tracepoints get `bpf_get_stack_proto_raw_tp`, whose
    // buffer is `ARG_PTR_TO_MEM | MEM_RDONLY`; the other variants are the same.
    gpl(67, &[CTX, WRITE, SIZE_OR_ZERO, Anything], Ret::Integer),
    // skb_load_bytes_relative: `bpf_skb_load_bytes_relative_proto`; the reuseport variant is the
    // same.
    proto(68, &[CTX, Anything, WRITE, SIZE, Anything], Ret::Integer),
    // fib_lookup: `bpf_skb_fib_lookup_proto`; `bpf_xdp_fib_lookup_proto` is the same.
    gpl(69, &[CTX, RW, SIZE, Anything], Ret::Integer),
    proto(70, &[CTX, MapPtr, MapKey, Anything], Ret::Integer), // sock_hash_update
];
