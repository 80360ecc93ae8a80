// SPDX-License-Identifier: GPL-2.0
// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (tests/kernel_maps.rs).
#include "cmd.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} percpu_array SEC(".maps");

/* A value that is not a multiple of 8 bytes: per-CPU values are padded in the syscall
 * layout. */
struct small {
	__u32 a;
	__u16 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct small);
} percpu_small SEC(".maps");

MAP_OPS(array_ops, array, __u32, 0)
MAP_OPS(percpu_array_ops, percpu_array, __u32, 1)

/* Writes {a = value, b = key} to percpu_small[key] through the lookup pointer. */
SEC("xdp")
int percpu_small_ops(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);
	struct small *s;
	__u32 key;

	if (!c)
		return XDP_ABORTED;
	key = c->key;
	s = bpf_map_lookup_elem(&percpu_small, &key);
	c->res = s != 0;
	if (s) {
		s->a += c->value;
		s->b = key + 7;
		c->out = s->a;
	}
	return XDP_PASS;
}

/* Hands a looked-up element to helpers: copies array[key] into array[key + 1] through
 * map_update_elem (which reads the element), then overwrites array[key] with the command's
 * value through probe_read_kernel (which writes it). ebee's JIT computes these lookups
 * inline, so the helpers must accept the element without the grant a helper lookup makes. */
SEC("xdp")
int array_copy_ops(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);
	__u32 key, next;
	__u64 *p;

	if (!c)
		return XDP_ABORTED;
	key = c->key;
	next = key + 1;
	p = bpf_map_lookup_elem(&array, &key);
	if (!p)
		return XDP_DROP;
	c->res = bpf_map_update_elem(&array, &next, p, BPF_ANY);
	c->out = bpf_probe_read_kernel(p, sizeof(*p), &c->value);
	c->out2 = *p;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
