// SPDX-License-Identifier: MIT OR Apache-2.0
// BTF-defined maps of several types: sizes given by `__type` and by `__uint(key_size, ..)`,
// flags, `map_extra`, a value holding a `bpf_spin_lock`, map-in-map with an inner map
// definition and an initial slot, a program array initialised with a program, and a spin
// lock in global data.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counter {
	__u64 packets;
	struct bpf_spin_lock lock;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct counter);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 16);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} recent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 256);
	__type(value, __u32);
	__uint(map_extra, 3);
} seen SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner first_inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [1] = &first_inner },
};

// A spin lock in global data: the `.data.lock` map's value holds it.
struct bpf_spin_lock global_lock SEC(".data.lock");
__u64 guarded SEC(".data.lock") = 0;

int tail(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(struct xdp_md *));
} jumps SEC(".maps") = {
	.values = { [0] = (void *)&tail },
};

SEC("xdp")
int tail(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int use_maps(struct xdp_md *ctx)
{
	__u32 key = 1;
	struct counter *c = bpf_map_lookup_elem(&counters, &key);
	if (c) {
		bpf_spin_lock(&c->lock);
		c->packets++;
		bpf_spin_unlock(&c->lock);
	}
	void *in = bpf_map_lookup_elem(&outer, &key);
	if (in) {
		__u64 *v = bpf_map_lookup_elem(in, &key);
		if (v)
			*v += 1;
	}
	__u32 v = 7;
	bpf_map_push_elem(&seen, &v, 0);
	bpf_ringbuf_output(&events, &v, sizeof(v), 0);
	bpf_map_lookup_elem(&scratch, &key);
	__u64 k = 3;
	bpf_map_update_elem(&recent, &k, &v, BPF_ANY);
	bpf_spin_lock(&global_lock);
	guarded++;
	bpf_spin_unlock(&global_lock);
	bpf_tail_call(ctx, &jumps, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
