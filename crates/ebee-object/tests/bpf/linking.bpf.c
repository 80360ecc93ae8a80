// SPDX-License-Identifier: MIT OR Apache-2.0
// Linking: `.text` subprograms called from programs in two sections, several programs in one
// section, a static subprogram in a program's own section, a `bpf_loop` callback (an `lddw`
// of a function address), and global data in `.data`, `.rodata`, `.bss` and `.data.*`.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define NOINLINE static __attribute__((noinline))

const volatile __u32 threshold = 100;   // .rodata, set by the host before loading
const volatile __u64 ratio = 3;          // .rodata
__u64 calls = 0;                         // .bss
__u32 loops = 5;                         // .data
__u32 tagged[4] SEC(".data.tagged") = {1, 2, 3, 4};
static volatile __u32 hidden = 9;        // .data, static

NOINLINE __u64 scale(__u64 x)
{
	calls++;
	return x * ratio + hidden;
}

// A global (non-static) function: a subprogram verified on its own by the kernel.
__attribute__((noinline)) int clamp(int x)
{
	if (x > (int)threshold)
		return threshold;
	return x < 0 ? 0 : x;
}

NOINLINE __u64 twice(__u64 x)
{
	return scale(x) + scale(x + 1);
}

static long step(__u32 index, void *ctx)
{
	__u64 *sum = ctx;
	*sum += tagged[index & 3];
	return 0;
}

// A static subprogram placed in the `xdp` section itself: called without a relocation.
static __attribute__((noinline, section("xdp"))) int local_helper(int x)
{
	return x ^ 0x55;
}

SEC("xdp")
int xdp_first(struct xdp_md *ctx)
{
	__u64 sum = 0;
	bpf_loop(loops, step, &sum, 0);
	return clamp(twice(sum) + local_helper(ctx->ingress_ifindex)) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int xdp_second(struct xdp_md *ctx)
{
	return clamp(ctx->rx_queue_index) > 1 ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_prog(struct __sk_buff *skb)
{
	return scale(skb->len) > threshold ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("kprobe/do_sys_open")
int probe(void *ctx)
{
	calls += 2;
	return 0;
}

SEC("custom/whatever")
int unknown_kind(void *ctx)
{
	return 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
__u32 VERSION SEC("version") = 0x060100;
