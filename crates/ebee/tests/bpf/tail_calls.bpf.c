// SPDX-License-Identifier: GPL-2.0
// BPF_MAP_TYPE_PROG_ARRAY and bpf_tail_call (tests/kernel_events.rs).
#include "cmd.h"

/* Counts the programs a run went through (a .bss global). */
__u64 hops;

/* Filled by the host. (A `__array(values, int(struct xdp_md *))` slot initialiser, which
 * ebee fills at load as libbpf does, would be refused by the kernel-side loader, aya 0.14,
 * which does not parse that BTF.) */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jmp SEC(".maps");

/* Writes a marker and returns XDP_DROP. */
SEC("xdp")
int target_drop(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);

	if (!c)
		return XDP_ABORTED;
	c->out = 0xd0d0;
	hops++;
	return XDP_DROP;
}

/* Writes a marker and returns XDP_TX. */
SEC("xdp")
int target_tx(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);

	if (!c)
		return XDP_ABORTED;
	c->out2 = 0x7777;
	hops++;
	return XDP_TX;
}

/* Tail-calls itself through slot 3 until the kernel's limit (33 tail calls) stops it;
 * counts the programs run in cmd.out. */
SEC("xdp")
int chain(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);

	if (!c)
		return XDP_ABORTED;
	c->out++;
	hops++;
	bpf_tail_call(ctx, &jmp, 3);
	return XDP_PASS;
}

/* Tail-calls slot cmd.key; when the call fails, res = 1 and XDP_PASS. (bpf_tail_call's
 * return value may not be read: the verifier treats it as void.) */
SEC("xdp")
int entry(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);

	if (!c)
		return XDP_ABORTED;
	hops++;
	bpf_tail_call(ctx, &jmp, c->key);
	c->res = 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
