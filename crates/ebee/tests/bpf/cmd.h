/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the map test programs (tests/kernel_maps.rs): every run performs one command
 * read from the start of the packet and writes the helper's result (and any value it read)
 * back into the packet, so BPF_PROG_TEST_RUN's data_out carries the outcome. */
#ifndef EBEE_TEST_CMD_H
#define EBEE_TEST_CMD_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct cmd {
	__u32 op;
	__u32 key;
	__u64 value;
	__u64 flags;
	__s64 res; /* helper return value; lookups: 1 found, 0 not found */
	__u64 out; /* value read */
	__u64 out2;
};

enum {
	OP_LOOKUP = 1,	/* out = *lookup(key) */
	OP_UPDATE,	/* res = update(key, value, flags) */
	OP_DELETE,	/* res = delete(key) */
	OP_ADD,		/* out = fetch_add(lookup(key), value) */
	OP_PERCPU,	/* out = *lookup_percpu_elem(key, cpu = flags) */
	OP_PUSH,	/* res = push(value, flags) */
	OP_POP,		/* res = pop(&out) */
	OP_PEEK,	/* res = peek(&out) (bloom filter: peek(&value)) */
};

static __always_inline struct cmd *cmd_of(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct cmd *c = data;

	if ((void *)(c + 1) > end)
		return 0;
	return c;
}

/* An XDP program running OP_LOOKUP/UPDATE/DELETE/ADD on `map` (u64 values, keys of
 * type key_t built from cmd.key), plus OP_PERCPU when `percpu` is 1. */
#define MAP_OPS(prog, map, key_t, percpu)                                              \
	SEC("xdp") int prog(struct xdp_md *ctx)                                        \
	{                                                                              \
		struct cmd *c = cmd_of(ctx);                                           \
		__u64 value, *p;                                                       \
		key_t key;                                                             \
                                                                                       \
		if (!c)                                                                \
			return XDP_ABORTED;                                            \
		__builtin_memset(&key, 0, sizeof(key));                                \
		key = (key_t)c->key;                                                   \
		value = c->value;                                                      \
		switch (c->op) {                                                       \
		case OP_LOOKUP:                                                        \
			p = bpf_map_lookup_elem(&map, &key);                           \
			c->res = p != 0;                                               \
			if (p)                                                         \
				c->out = *p;                                           \
			break;                                                         \
		case OP_UPDATE:                                                        \
			c->res = bpf_map_update_elem(&map, &key, &value, c->flags);    \
			break;                                                         \
		case OP_DELETE:                                                        \
			c->res = bpf_map_delete_elem(&map, &key);                      \
			break;                                                         \
		case OP_ADD:                                                           \
			p = bpf_map_lookup_elem(&map, &key);                           \
			c->res = p != 0;                                               \
			if (p)                                                         \
				c->out = __sync_fetch_and_add(p, value);               \
			break;                                                         \
		case OP_PERCPU:                                                        \
			if (!(percpu))                                                 \
				return XDP_DROP;                                       \
			p = bpf_map_lookup_percpu_elem(&map, &key, c->flags);          \
			c->res = p != 0;                                               \
			if (p)                                                         \
				c->out = *p;                                           \
			break;                                                         \
		default:                                                               \
			return XDP_DROP;                                               \
		}                                                                      \
		return XDP_PASS;                                                       \
	}

#endif
