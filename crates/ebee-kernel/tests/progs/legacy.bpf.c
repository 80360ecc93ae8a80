// SPDX-License-Identifier: MIT OR Apache-2.0
// An object in the older conventions ebee reads: iproute2's `struct bpf_elf_map` in the
// legacy `maps` section, and a libbpf 0.x `xdp/<name>` section name.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_elf_map {
	__u32 type;
	__u32 size_key;
	__u32 size_value;
	__u32 max_elem;
	__u32 flags;
	__u32 id;
	__u32 pinning;
	__u32 inner_id;
	__u32 inner_idx;
};

struct bpf_elf_map SEC("maps") legacy_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 4,
};

SEC("xdp/legacy_count")
int legacy_count(struct xdp_md *ctx)
{
	__u32 key = 2;
	__u64 *count = bpf_map_lookup_elem(&legacy_counts, &key);
	if (count)
		*count += ctx->data_end - ctx->data;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
