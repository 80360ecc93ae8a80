// SPDX-License-Identifier: GPL-2.0
// Test object for ebee-kernel: ring buffer, perf event array, queue and per-CPU array.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} percpu SEC(".maps");

/* Mutable global in .data (non-zero initializer; zero would put it in .bss). */
__u32 runs = 100;

SEC("xdp")
int xdp_events(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u64 sample = 0xabcd000000000000ULL | len;
	__u32 key = 0;
	__u32 *slot;
	__u32 popped;

	bpf_ringbuf_output(&ring, &len, sizeof(len), 0);
	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &sample, sizeof(sample));
	bpf_map_push_elem(&queue, &len, 0);
	slot = bpf_map_lookup_elem(&percpu, &key);
	if (slot)
		*slot += len;
	runs++;
	/* Pop what user space pushed, if anything, and return it. */
	if (bpf_map_pop_elem(&queue, &popped) == 0)
		return popped;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
