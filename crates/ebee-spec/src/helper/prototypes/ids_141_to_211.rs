//! Helpers 141–211 (`get_task_stack` … `cgrp_storage_delete`).

use super::*;

/// One row per helper, its name (`ebee_abi::helper_names`) in the comment.
#[rustfmt::skip]
pub(super) const ROWS: &[Prototype] = &[
    // get_task_stack: `bpf_get_task_stack_proto`; the sleepable variant is the same.
    proto(141, &[TASK, WRITE, SIZE_OR_ZERO, Anything], Ret::Integer),
    // load_hdr_opt: `bpf_sock_ops_load_hdr_opt_proto`.
    proto(142, &[CTX, RW, SIZE, Anything], Ret::Integer),
    // store_hdr_opt: `bpf_sock_ops_store_hdr_opt_proto`.
    proto(143, &[CTX, READ, SIZE, Anything], Ret::Integer),
    // reserve_hdr_opt: `bpf_sock_ops_reserve_hdr_opt_proto`.
    proto(144, &[CTX, Anything, Anything], Ret::Integer),
    // inode_storage_get
    proto(145, &[MapPtr, btf_or_null("inode"), MapValueOrNull, Anything], Ret::MapValueOrNull),
    proto(146, &[MapPtr, btf_or_null("inode")], Ret::Integer), // inode_storage_delete
    proto(147, &[btf("path"), RW, SIZE_OR_ZERO], Ret::Integer), // d_path
    proto(148, &[WRITE, SIZE_OR_ZERO, Anything], Ret::Integer), // copy_from_user
    proto(149, &[RW, SIZE, READ, SIZE, Anything], Ret::Integer), // snprintf_btf
    gpl(150, &[btf("seq_file"), READ, SIZE_OR_ZERO, Anything], Ret::Integer), // seq_printf_btf
    proto(151, &[CTX], Ret::Integer), // skb_cgroup_classid
    proto(152, &[Anything, READ_OR_NULL, SIZE_OR_ZERO, Anything], Ret::Integer), // redirect_neigh
    proto(153, &[PercpuBtfId, Anything], Ret::MemOrBtfIdOrNull), // per_cpu_ptr
    proto(154, &[PercpuBtfId], Ret::MemOrBtfId), // this_cpu_ptr
    proto(155, &[Anything, Anything], Ret::Integer), // redirect_peer
    // task_storage_get: `bpf_task_storage_get_proto`; the `_recur` variant is the same.
    proto(156, &[MapPtr, TASK_OR_NULL, MapValueOrNull, Anything], Ret::MapValueOrNull),
    // task_storage_delete: `bpf_task_storage_delete_proto`; the `_recur` variant is the same.
    proto(157, &[MapPtr, TASK_OR_NULL], Ret::Integer),
    gpl(158, &[], btf_trusted_ret("task_struct")), // get_current_task_btf
    proto(159, &[btf("linux_binprm"), Anything], Ret::Integer), // bprm_opts_set
    proto(160, &[], Ret::Integer), // ktime_get_coarse_ns
    proto(161, &[btf("inode"), WRITE, SIZE], Ret::Integer), // ima_inode_hash
    proto(162, &[btf("file")], btf_or_null_ret("socket")), // sock_from_file
    // check_mtu: `bpf_skb_check_mtu_proto`; `bpf_xdp_check_mtu_proto` is the same.
    gpl(163, &[CTX, Anything, U32_IN_OUT, Anything, Anything], Ret::Integer),
    proto(164, &[MapPtr, Callback, StackOrNull, Anything], Ret::Integer), // for_each_map_elem
    // snprintf
    gpl(165, &[RW_OR_NULL, SIZE_OR_ZERO, ConstStr, READ_OR_NULL, SIZE_OR_ZERO], Ret::Integer),
    proto(166, &[Anything, READ, SIZE], Ret::Integer), // sys_bpf
    proto(167, &[READ, SIZE, Anything, Anything], Ret::Integer), // btf_find_by_name_kind
    proto(168, &[Anything], Ret::Integer), // sys_close
    gpl(169, &[Timer, MapPtr, Anything], Ret::Integer), // timer_init
    gpl(170, &[Timer, Callback], Ret::Integer), // timer_set_callback
    gpl(171, &[Timer, Anything, Anything], Ret::Integer), // timer_start
    gpl(172, &[Timer], Ret::Integer), // timer_cancel
    // get_func_ip: `bpf_get_func_ip_proto_tracing` (and `_kprobe`, the same); the kprobe-multi and
    // uprobe-multi variants are not `gpl_only`.
    gpl(173, &[CTX], Ret::Integer),
    // get_attach_cookie: `bpf_get_attach_cookie_proto_trace`; the other variants (perf event,
    // tracing, LSM, multi-probes) are the same.
    proto(174, &[CTX], Ret::Integer),
    gpl(175, &[TASK], btf_ret("pt_regs")), // task_pt_regs
    gpl(176, &[WRITE, SIZE_OR_ZERO], Ret::Integer), // get_branch_snapshot
    gpl(177, &[READ, SIZE, READ_OR_NULL, SIZE_OR_ZERO], Ret::Integer), // trace_vprintk
    proto(178, &[SOCK_COMMON], btf_or_null_ret("unix_sock")), // skc_to_unix_sock
    proto(179, &[RW, SIZE_OR_ZERO, Anything, U64_OUT], Ret::Integer), // kallsyms_lookup_name
    proto(180, &[TASK, Anything, Callback, StackOrNull, Anything], Ret::Integer), // find_vma
    proto(181, &[Scalar, Callback, StackOrNull, Anything], Ret::Integer), // loop
    proto(182, &[READ, SIZE, ConstStr], Ret::Integer), // strncmp
    proto(183, &[CTX, Anything, U64_OUT], Ret::Integer), // get_func_arg
    proto(184, &[CTX, U64_OUT], Ret::Integer), // get_func_ret
    proto(185, &[CTX], Ret::Integer), // get_func_arg_cnt
    proto(186, &[], Ret::Integer), // get_retval
    proto(187, &[Anything], Ret::Integer), // set_retval
    // xdp_get_buff_len: `bpf_xdp_get_buff_len_proto` (XDP); tracing gets
    // `bpf_xdp_get_buff_len_trace_proto` (a BTF `xdp_buff`).
    proto(188, &[CTX], Ret::Integer),
    proto(189, &[CTX, Anything, WRITE, SIZE], Ret::Integer), // xdp_load_bytes
    proto(190, &[CTX, Anything, READ, SIZE], Ret::Integer), // xdp_store_bytes
    gpl(191, &[WRITE, SIZE_OR_ZERO, Anything, TASK, Anything], Ret::Integer), // copy_from_user_task
    proto(192, &[CTX, Anything, Anything], Ret::Integer), // skb_set_tstamp
    proto(193, &[btf("file"), WRITE, SIZE], Ret::Integer), // ima_file_hash
    proto(194, &[Kptr, KPTR_OBJECT], KPTR_OBJECT_RET), // kptr_xchg
    proto(195, &[MapPtr, MapKey, Anything], Ret::MapValueOrNull), // map_lookup_percpu_elem
    proto(196, &[SockCommon], btf_or_null_ret("mptcp_sock")), // skc_to_mptcp_sock
    // dynptr_from_mem
    proto(197, &[WRITE, SIZE_OR_ZERO, Anything, LOCAL_DYNPTR_INIT], Ret::Integer),
    // ringbuf_reserve_dynptr
    proto(198, &[MapPtr, Anything, Anything, RINGBUF_DYNPTR_INIT], Ret::Integer),
    proto(199, &[RINGBUF_DYNPTR_RELEASE, Anything], Ret::Void), // ringbuf_submit_dynptr
    proto(200, &[RINGBUF_DYNPTR_RELEASE, Anything], Ret::Void), // ringbuf_discard_dynptr
    proto(201, &[WRITE, SIZE_OR_ZERO, DYNPTR, Anything, Anything], Ret::Integer), // dynptr_read
    proto(202, &[DYNPTR, Anything, READ, SIZE_OR_ZERO, Anything], Ret::Integer), // dynptr_write
    proto(203, &[DYNPTR, Anything, AllocSize], Ret::DynptrMemOrNull), // dynptr_data
    gpl(204, &[fixed_in(20), RW, SIZE_OR_ZERO], Ret::Integer), // tcp_raw_gen_syncookie_ipv4
    gpl(205, &[fixed_in(40), RW, SIZE_OR_ZERO], Ret::Integer), // tcp_raw_gen_syncookie_ipv6
    gpl(206, &[fixed_in(20), fixed_in(20)], Ret::Integer), // tcp_raw_check_syncookie_ipv4
    gpl(207, &[fixed_in(40), fixed_in(20)], Ret::Integer), // tcp_raw_check_syncookie_ipv6
    proto(208, &[], Ret::Integer), // ktime_get_tai_ns
    proto(209, &[MapPtr, Callback, StackOrNull, Anything], Ret::Integer), // user_ringbuf_drain
    // cgrp_storage_get
    proto(210, &[MapPtr, btf_or_null("cgroup"), MapValueOrNull, Anything], Ret::MapValueOrNull),
    proto(211, &[MapPtr, btf_or_null("cgroup")], Ret::Integer), // cgrp_storage_delete
];
