// SPDX-License-Identifier: MIT
// Many threads run this at once: a per-CPU counter (plain increment, one CPU per worker), a
// shared counter in a hash map (atomic add), and inserts of per-packet keys into a hash.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} per_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} shared SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	__u64 *mine = bpf_map_lookup_elem(&per_cpu, &zero);
	if (mine)
		*mine += 1;
	__u64 *total = bpf_map_lookup_elem(&shared, &zero);
	if (total)
		__sync_fetch_and_add(total, 1);
	if (data + 4 > data_end)
		return XDP_ABORTED;
	__u32 key = *(__u32 *)data;
	__u64 one = 1;
	bpf_map_update_elem(&shared, &key, &one, BPF_NOEXIST);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
