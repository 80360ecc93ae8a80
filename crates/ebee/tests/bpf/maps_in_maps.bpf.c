// SPDX-License-Identifier: GPL-2.0
// BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS (tests/kernel_maps.rs).
#include "cmd.h"

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner_hash {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner_array inner_a SEC(".maps"), inner_b SEC(".maps");
struct inner_hash inner_h SEC(".maps");

/* Slot 0 holds inner_a from the object itself (libbpf fills it at load; the test fills it
 * by hand for the kernel, which is loaded without libbpf); slot 1 is set by the host. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner_array);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner_a },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_hash);
} outer_hash SEC(".maps");

/* cmd.key: the outer key in the upper 16 bits, the inner key in the lower 16; the inner
 * operation as in MAP_OPS. res is -100 when the outer lookup finds nothing. */
#define OUTER_OPS(prog, outer)                                                         \
	SEC("xdp") int prog(struct xdp_md *ctx)                                        \
	{                                                                              \
		struct cmd *c = cmd_of(ctx);                                           \
		__u32 okey, key;                                                       \
		__u64 value, *p;                                                       \
		void *inner;                                                           \
                                                                                       \
		if (!c)                                                                \
			return XDP_ABORTED;                                            \
		okey = c->key >> 16;                                                   \
		key = c->key & 0xffff;                                                 \
		value = c->value;                                                      \
		inner = bpf_map_lookup_elem(&outer, &okey);                            \
		if (!inner) {                                                          \
			c->res = -100;                                                 \
			return XDP_PASS;                                               \
		}                                                                      \
		switch (c->op) {                                                       \
		case OP_LOOKUP:                                                        \
			p = bpf_map_lookup_elem(inner, &key);                          \
			c->res = p != 0;                                               \
			if (p)                                                         \
				c->out = *p;                                           \
			break;                                                         \
		case OP_UPDATE:                                                        \
			c->res = bpf_map_update_elem(inner, &key, &value, c->flags);   \
			break;                                                         \
		case OP_DELETE:                                                        \
			c->res = bpf_map_delete_elem(inner, &key);                     \
			break;                                                         \
		case OP_ADD:                                                           \
			p = bpf_map_lookup_elem(inner, &key);                          \
			c->res = p != 0;                                               \
			if (p)                                                         \
				c->out = __sync_fetch_and_add(p, value);               \
			break;                                                         \
		default:                                                               \
			return XDP_DROP;                                               \
		}                                                                      \
		return XDP_PASS;                                                       \
	}

OUTER_OPS(outer_array_ops, outer_array)
OUTER_OPS(outer_hash_ops, outer_hash)

char LICENSE[] SEC("license") = "GPL";
