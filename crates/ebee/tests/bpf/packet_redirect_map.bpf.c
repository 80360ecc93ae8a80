// SPDX-License-Identifier: GPL-2.0
// bpf_redirect_map in ebee only (tests/packet_helpers.rs): ebee has no devmap, cpumap or
// xskmap, so the map here is an array, which the kernel's verifier would refuse for this
// helper. ebee treats the lookup as failed and returns the action in the flags' low bits.
#include "packet_params.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} targets SEC(".maps");

SEC("xdp")
int xdp_redirect_map(struct xdp_md *ctx)
{
	struct params *p = get_params();

	if (!p)
		return XDP_ABORTED;
	return bpf_redirect_map(&targets, p->ifindex, p->flags);
}

char LICENSE[] SEC("license") = "GPL";
