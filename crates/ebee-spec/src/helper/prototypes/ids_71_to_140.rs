//! Helpers 71–140 (`msg_redirect_hash` … `skc_to_udp6_sock`).

use super::*;

/// One row per helper, its name (`ebee_abi::helper_names`) in the comment.
#[rustfmt::skip]
pub(super) const ROWS: &[Prototype] = &[
    proto(71, &[CTX, MapPtr, MapKey, Anything], Ret::Integer), // msg_redirect_hash
    proto(72, &[CTX, MapPtr, MapKey, Anything], Ret::Integer), // sk_redirect_hash
    // lwt_push_encap: `bpf_lwt_in_push_encap_proto`; `bpf_lwt_xmit_push_encap_proto` is the same.
    proto(73, &[CTX, Anything, READ, SIZE], Ret::Integer),
    proto(74, &[CTX, Anything, READ, SIZE], Ret::Integer), // lwt_seg6_store_bytes
    proto(75, &[CTX, Anything, Anything], Ret::Integer), // lwt_seg6_adjust_srh
    proto(76, &[CTX, Anything, READ, SIZE], Ret::Integer), // lwt_seg6_action
    // rc_repeat: `rc_repeat_proto` (`drivers/media/rc/bpf-lirc.c`).
    gpl(77, &[CTX], Ret::Integer),
    // rc_keydown: `rc_keydown_proto` (`drivers/media/rc/bpf-lirc.c`).
    gpl(78, &[CTX, Anything, Anything, Anything], Ret::Integer),
    proto(79, &[CTX], Ret::Integer), // skb_cgroup_id
    proto(80, &[], Ret::Integer), // get_current_cgroup_id
    proto(81, &[MapPtr, Anything], Ret::MapValue), // get_local_storage
    // sk_select_reuseport: `sk_select_reuseport_proto`.
    proto(82, &[CTX, MapPtr, MapKey, Anything], Ret::Integer),
    proto(83, &[CTX, Anything], Ret::Integer), // skb_ancestor_cgroup_id
    // sk_lookup_tcp: `bpf_sk_lookup_tcp_proto`; the TC, XDP and sock_addr variants are the same.
    proto(84, &[CTX, READ, SIZE_OR_ZERO, Anything, Anything], Ret::SocketOrNull),
    // sk_lookup_udp: `bpf_sk_lookup_udp_proto`; the TC, XDP and sock_addr variants are the same.
    proto(85, &[CTX, READ, SIZE_OR_ZERO, Anything, Anything], Ret::SocketOrNull),
    proto(86, &[BtfSockCommon { nullable: false, release: true }], Ret::Integer), // sk_release
    proto(87, &[MapPtr, MapValue, Anything], Ret::Integer), // map_push_elem
    proto(88, &[MapPtr, MapValueOut], Ret::Integer), // map_pop_elem
    proto(89, &[MapPtr, MapValueOut], Ret::Integer), // map_peek_elem
    proto(90, &[CTX, Anything, Anything, Anything], Ret::Integer), // msg_push_data
    proto(91, &[CTX, Anything, Anything, Anything], Ret::Integer), // msg_pop_data
    // rc_pointer_rel: `rc_pointer_rel_proto` (`drivers/media/rc/bpf-lirc.c`).
    gpl(92, &[CTX, Anything, Anything], Ret::Integer),
    proto(93, &[SpinLock], Ret::Void), // spin_lock
    proto(94, &[SpinLock], Ret::Void), // spin_unlock
    proto(95, &[SockCommon], Ret::SocketOrNull), // sk_fullsock
    proto(96, &[SockCommon], Ret::TcpSockOrNull), // tcp_sock
    proto(97, &[CTX], Ret::Integer), // skb_ecn_set_ce
    proto(98, &[SockCommon], Ret::SocketOrNull), // get_listener_sock
    // skc_lookup_tcp: `bpf_skc_lookup_tcp_proto`; the TC, XDP and sock_addr variants are the same.
    proto(99, &[CTX, READ, SIZE_OR_ZERO, Anything, Anything], Ret::SockCommonOrNull),
    gpl(100, &[SOCK_COMMON, READ, SIZE, READ, SIZE], Ret::Integer), // tcp_check_syncookie
    proto(101, &[CTX, RW, SIZE, Anything], Ret::Integer), // sysctl_get_name
    proto(102, &[CTX, WRITE, SIZE], Ret::Integer), // sysctl_get_current_value
    proto(103, &[CTX, WRITE, SIZE], Ret::Integer), // sysctl_get_new_value
    proto(104, &[CTX, READ, SIZE], Ret::Integer), // sysctl_set_new_value
    proto(105, &[READ, SIZE, Anything, U64_OUT], Ret::Integer), // strtol
    proto(106, &[READ, SIZE, Anything, U64_OUT], Ret::Integer), // strtoul
    // sk_storage_get: `bpf_sk_storage_get_proto`; cgroup socket programs get
    // `bpf_sk_storage_get_cg_sock_proto` (the context), tracing `bpf_sk_storage_get_tracing_proto`
    // (a nullable BTF `sock_common`).
    proto(107, &[MapPtr, SOCK_COMMON, MapValueOrNull, Anything], Ret::MapValueOrNull),
    // sk_storage_delete: `bpf_sk_storage_delete_proto`; tracing gets
    // `bpf_sk_storage_delete_tracing_proto` (a nullable BTF `sock_common`).
    proto(108, &[MapPtr, SOCK_COMMON], Ret::Integer),
    proto(109, &[Anything], Ret::Integer), // send_signal
    gpl(110, &[SOCK_COMMON, READ, SIZE, READ, SIZE], Ret::Integer), // tcp_gen_syncookie
    gpl(111, &[btf("sk_buff"), MapPtr, Anything, READ, SIZE_OR_ZERO], Ret::Integer), // skb_output
    gpl(112, PROBE_READ, Ret::Integer), // probe_read_user
    gpl(113, PROBE_READ, Ret::Integer), // probe_read_kernel
    gpl(114, PROBE_READ, Ret::Integer), // probe_read_user_str
    gpl(115, PROBE_READ, Ret::Integer), // probe_read_kernel_str
    proto(116, &[btf("tcp_sock"), Anything], Ret::Integer), // tcp_send_ack
    proto(117, &[Anything], Ret::Integer), // send_signal_thread
    proto(118, &[], Ret::Integer), // jiffies64
    gpl(119, &[CTX, RW_OR_NULL, SIZE_OR_ZERO, Anything], Ret::Integer), // read_branch_records
    proto(120, &[Anything, Anything, WRITE, SIZE], Ret::Integer), // get_ns_current_pid_tgid
    gpl(121, &[btf("xdp_buff"), MapPtr, Anything, READ, SIZE_OR_ZERO], Ret::Integer), // xdp_output
    // get_netns_cookie: `bpf_get_netns_cookie_sock_proto`; the sock_addr, sock_ops, sk_msg and
    // sockopt variants are the same.
    proto(122, &[CTX_OR_NULL], Ret::Integer),
    proto(123, &[Anything], Ret::Integer), // get_current_ancestor_cgroup_id
    // sk_assign: `bpf_sk_assign_proto` (TC); `sk_lookup` programs get `bpf_sk_lookup_assign_proto`,
    // whose socket is `ARG_PTR_TO_SOCKET_OR_NULL`.
    proto(124, &[CTX, SOCK_COMMON, Anything], Ret::Integer),
    proto(125, &[], Ret::Integer), // ktime_get_boot_ns
    // seq_printf
    gpl(126, &[btf("seq_file"), READ, SIZE, READ_OR_NULL, SIZE_OR_ZERO], Ret::Integer),
    gpl(127, &[btf("seq_file"), READ, SIZE_OR_ZERO], Ret::Integer), // seq_write
    proto(128, &[SOCK_COMMON], Ret::Integer), // sk_cgroup_id
    proto(129, &[SOCK_COMMON, Anything], Ret::Integer), // sk_ancestor_cgroup_id
    proto(130, &[MapPtr, READ, SIZE_OR_ZERO, Anything], Ret::Integer), // ringbuf_output
    proto(131, &[MapPtr, AllocSize, Anything], Ret::RingbufRecordOrNull), // ringbuf_reserve
    proto(132, &[RingbufRecord, Anything], Ret::Void), // ringbuf_submit
    proto(133, &[RingbufRecord, Anything], Ret::Void), // ringbuf_discard
    proto(134, &[MapPtr, Anything], Ret::Integer), // ringbuf_query
    proto(135, &[CTX, Anything], Ret::Integer), // csum_level
    proto(136, &[SOCK_COMMON], btf_or_null_ret("tcp6_sock")), // skc_to_tcp6_sock
    proto(137, &[SOCK_COMMON], btf_or_null_ret("tcp_sock")), // skc_to_tcp_sock
    proto(138, &[SOCK_COMMON], btf_or_null_ret("tcp_timewait_sock")), // skc_to_tcp_timewait_sock
    proto(139, &[SOCK_COMMON], btf_or_null_ret("tcp_request_sock")), // skc_to_tcp_request_sock
    proto(140, &[SOCK_COMMON], btf_or_null_ret("udp6_sock")), // skc_to_udp6_sock
];
