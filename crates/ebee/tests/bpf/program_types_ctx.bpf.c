// SPDX-License-Identifier: GPL-2.0
// Programs of the types without a packet, each reading its context as
// program_types_reads.h lists (the n-th read into slot n of `out`) and writing the fields
// it may write (tests/program_types_ctx.rs).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define WITH_MAPS
#include "ctx_access.h"
#include "program_types_reads.h"

#define R_1 R8
#define R_2 R16
#define R_4 R32
#define R_8 R64
#define READ(off, n) put(slot++, R_##n(ctx, off));
#define READS(list)                                                                        \
	do {                                                                               \
		__u32 slot = 0;                                                            \
		list(READ)                                                                 \
	} while (0)
/* Reads after others of the same program start at slot 64. */
#define MORE_READS(list)                                                                   \
	do {                                                                               \
		__u32 slot = 64;                                                           \
		list(READ)                                                                 \
	} while (0)
#define MORE_READS2(list)                                                                  \
	do {                                                                               \
		__u32 slot = 96;                                                           \
		list(READ)                                                                 \
	} while (0)

SEC("kprobe/do_nanosleep")
int kprobe(void *ctx)
{
	READS(KPROBE_READS);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint(void *ctx)
{
	READS(TRACEPOINT_READS);
	return 0;
}

SEC("perf_event")
int pe(void *ctx)
{
	READS(PERF_EVENT_READS);
	return 0;
}

SEC("sockops")
int ops(struct bpf_sock_ops *ctx)
{
	READS(SOCK_OPS_READS);
	R32(ctx, OFF(bpf_sock_ops, reply)) = R32(ctx, OFF(bpf_sock_ops, op)) + 1;
	R32(ctx, OFF(bpf_sock_ops, sk_txhash)) = 0xabcd1234;
	return 1;
}

/* sock_create: bound_dev_if, mark and priority are written (each plus one). */
SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *ctx)
{
	READS(SOCK_CREATE_READS);
	R32(ctx, OFF(bpf_sock, bound_dev_if)) = R32(ctx, OFF(bpf_sock, bound_dev_if)) + 1;
	R32(ctx, OFF(bpf_sock, mark)) = R32(ctx, OFF(bpf_sock, mark)) + 1;
	R32(ctx, OFF(bpf_sock, priority)) = R32(ctx, OFF(bpf_sock, priority)) + 1;
	return 1;
}

SEC("cgroup/post_bind4")
int post_bind4(struct bpf_sock *ctx)
{
	READS(POST_BIND4_READS);
	return 1;
}

SEC("cgroup/post_bind6")
int post_bind6(struct bpf_sock *ctx)
{
	READS(POST_BIND6_READS);
	return 1;
}

#define SA(f) OFF(bpf_sock_addr, f)

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	READS(SOCK_ADDR_READS);
	MORE_READS(IP4_READS);
	R32(ctx, SA(user_ip4)) = 0x0100007f;
	R32(ctx, SA(user_port)) = 0x12345678;
	return 1;
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	READS(SOCK_ADDR_READS);
	MORE_READS(IP6_READS);
	R64(ctx, SA(user_ip6[2])) = 0x0100000000000000ULL;
	R32(ctx, SA(user_ip6[0])) = 0;
	return 1;
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	READS(SOCK_ADDR_READS);
	MORE_READS(IP4_READS);
	MORE_READS2(MSG_SRC4_READS);
	R32(ctx, SA(msg_src_ip4)) = 0x0a00000a;
	return 1;
}

SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr *ctx)
{
	READS(SOCK_ADDR_READS);
	MORE_READS(IP6_READS);
	MORE_READS2(MSG_SRC6_READS);
	R64(ctx, SA(msg_src_ip6[1])) = 0x1111111122222222ULL;
	R32(ctx, SA(msg_src_ip6[3])) = 0x33333333;
	return 1;
}

SEC("cgroup/bind4")
int bind4(struct bpf_sock_addr *ctx)
{
	READS(SOCK_ADDR_READS);
	MORE_READS(IP4_READS);
	return 3;
}

SEC("cgroup/recvmsg6")
int recvmsg6(struct bpf_sock_addr *ctx)
{
	READS(SOCK_ADDR_READS);
	MORE_READS(IP6_READS);
	return 1;
}

SEC("sk_msg")
int msg(struct sk_msg_md *ctx)
{
	void *data = ctx->data, *end = ctx->data_end;

	READS(SK_MSG_READS);
	put(63, end - data);
	if (data + 1 <= end)
		put(62, *(__u8 *)data);
	return SK_PASS;
}

SEC("raw_tp/sys_enter")
int raw_tp(void *ctx)
{
	READS(RAW_TP_READS);
	return 0;
}

SEC("sk_lookup")
int lookup(struct bpf_sk_lookup *ctx)
{
	READS(SK_LOOKUP_READS);
	return get(0) & 1;
}

char _license[] SEC("license") = "GPL";
