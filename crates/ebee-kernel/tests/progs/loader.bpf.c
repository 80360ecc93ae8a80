// SPDX-License-Identifier: MIT OR Apache-2.0
// What the ebee-object loading path must set up beyond plain maps: a map whose value holds a
// bpf_spin_lock (needs the object's BTF in the kernel), a map of maps and a program array
// declared with initial values, the three kinds of global data (.rodata frozen), and program
// types the kernel needs more for: an expected attach type (cgroup/connect4), a kernel
// version (kprobe, for old kernels), an attach target (fentry: skipped).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct locked {
	struct bpf_spin_lock lock;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} locked SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [1] = &inner_b },
};

SEC("xdp")
int tail_target(struct xdp_md *ctx)
{
	return XDP_TX;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(void *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&tail_target },
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 5000); // rounded up to a power-of-two number of pages
} ring SEC(".maps");

__u64 data_counter = 7;
__u64 bss_counter;
const volatile __u32 increment = 5;

SEC("xdp")
int xdp_loader(struct xdp_md *ctx)
{
	__u32 zero = 0, one = 1;
	struct locked *l = bpf_map_lookup_elem(&locked, &zero);
	if (l) {
		bpf_spin_lock(&l->lock);
		l->count++;
		bpf_spin_unlock(&l->lock);
	}
	void *in = bpf_map_lookup_elem(&outer, &one);
	if (in) {
		__u32 *v = bpf_map_lookup_elem(in, &zero);
		if (v)
			*v += increment;
	}
	data_counter++;
	bss_counter += 2;
	bpf_ringbuf_output(&ring, &data_counter, sizeof(data_counter), 0);
	bpf_tail_call(ctx, &jumps, 1);
	return XDP_PASS;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	return ctx->user_port == bpf_htons(7) ? 0 : 1;
}

SEC("kprobe/do_nanosleep")
int kprobe_nanosleep(void *ctx)
{
	return 0;
}

SEC("fentry/do_nanosleep")
int fentry_nanosleep(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
