// SPDX-License-Identifier: GPL-2.0
// BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK and BPF_MAP_TYPE_BLOOM_FILTER
// (tests/kernel_maps.rs).
#include "cmd.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u64);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, __u64);
} stack SEC(".maps");

/* A zero seed: the kernel's hash functions are then the same on every load, so false
 * positives are too. 3 hash functions (map_extra). */
struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__uint(max_entries, 16);
	__uint(map_extra, 3);
	__type(value, __u64);
} bloom SEC(".maps");

/* OP_PUSH / OP_POP (when can_pop: the verifier refuses pop on bloom filters) / OP_PEEK. */
#define PUSH_POP(prog, map, can_pop)                                                          \
	SEC("xdp") int prog(struct xdp_md *ctx)                                        \
	{                                                                              \
		struct cmd *c = cmd_of(ctx);                                           \
		__u64 value;                                                           \
                                                                                       \
		if (!c)                                                                \
			return XDP_ABORTED;                                            \
		value = c->value;                                                      \
		switch (c->op) {                                                       \
		case OP_PUSH:                                                          \
			c->res = bpf_map_push_elem(&map, &value, c->flags);            \
			break;                                                         \
		case OP_POP:                                                           \
			if (!(can_pop))                                                \
				return XDP_DROP;                                       \
			c->res = bpf_map_pop_elem(&map, &value);                       \
			c->out = value;                                                \
			break;                                                         \
		case OP_PEEK:                                                          \
			c->res = bpf_map_peek_elem(&map, &value);                      \
			c->out = value;                                                \
			break;                                                         \
		default:                                                               \
			return XDP_DROP;                                               \
		}                                                                      \
		return XDP_PASS;                                                       \
	}

PUSH_POP(queue_ops, queue, 1)
PUSH_POP(stack_ops, stack, 1)
PUSH_POP(bloom_ops, bloom, 0)

/* Tests the 32 values value..value+31 against the bloom filter: bit i of out says
 * whether value+i may be in it. */
SEC("xdp")
int bloom_scan(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);
	__u64 bits = 0, value;

	if (!c)
		return XDP_ABORTED;
	for (int i = 0; i < 32; i++) {
		value = c->value + i;
		if (bpf_map_peek_elem(&bloom, &value) == 0)
			bits |= 1ULL << i;
	}
	c->out = bits;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
