// SPDX-License-Identifier: GPL-2.0
// BPF_MAP_TYPE_HASH (preallocated and BPF_F_NO_PREALLOC) and BPF_MAP_TYPE_PERCPU_HASH
// (tests/kernel_maps.rs).
#include "cmd.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64);
} hash_noprealloc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} percpu_hash SEC(".maps");

/* Keys with padding inside: the whole key, padding included, is hashed and compared. */
struct flow {
	__u8 proto;
	__u16 port;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__uint(max_entries, 16);
	__type(key, struct flow);
	__type(value, __u32);
} flows SEC(".maps");

MAP_OPS(hash_ops, hash, __u32, 0)
MAP_OPS(hash_noprealloc_ops, hash_noprealloc, __u64, 0)
MAP_OPS(percpu_hash_ops, percpu_hash, __u32, 1)

/* Counts the packet under its (proto, port, addr) from cmd.key / cmd.value; the padding
 * byte of the key is zeroed. */
SEC("xdp")
int flows_count(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);
	struct flow f;
	__u32 one = 1, *n;

	if (!c)
		return XDP_ABORTED;
	__builtin_memset(&f, 0, sizeof(f));
	f.proto = c->key & 0xff;
	f.port = c->key >> 16;
	f.addr = c->value;
	n = bpf_map_lookup_elem(&flows, &f);
	if (n) {
		__sync_fetch_and_add(n, 1);
		c->out = *n;
	} else {
		c->res = bpf_map_update_elem(&flows, &f, &one, BPF_NOEXIST);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
