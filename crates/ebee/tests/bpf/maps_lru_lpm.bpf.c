// SPDX-License-Identifier: GPL-2.0
// BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH and BPF_MAP_TYPE_LPM_TRIE
// (tests/kernel_maps.rs).
#include "cmd.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} lru_percpu SEC(".maps");

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 8);
	__type(key, struct lpm_key);
	__type(value, __u64);
} lpm SEC(".maps");

MAP_OPS(lru_ops, lru, __u32, 0)
MAP_OPS(lru_percpu_ops, lru_percpu, __u32, 1)

/* cmd.op: the operation in the low byte, the prefix length above it; cmd.key: the
 * address bytes. */
SEC("xdp")
int lpm_ops(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);
	struct lpm_key key;
	__u64 value, *p;

	if (!c)
		return XDP_ABORTED;
	key.prefixlen = c->op >> 8;
	__builtin_memcpy(key.addr, &c->key, 4);
	value = c->value;
	switch (c->op & 0xff) {
	case OP_LOOKUP:
		p = bpf_map_lookup_elem(&lpm, &key);
		c->res = p != 0;
		if (p)
			c->out = *p;
		break;
	case OP_UPDATE:
		c->res = bpf_map_update_elem(&lpm, &key, &value, c->flags);
		break;
	case OP_DELETE:
		c->res = bpf_map_delete_elem(&lpm, &key);
		break;
	default:
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
