// SPDX-License-Identifier: GPL-2.0
// LPM trie: eight prefixes (/8, /16, /24 of addresses from the payload) are stored, then 32
// addresses looked up; returns the sum of the matched prefixes' values.
#include "suite.h"

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__type(key, struct lpm_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

SEC("xdp") int lpm_map(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	__u32 *words = (__u32 *)(data + PAYLOAD);
	for (__u32 i = 0; i < 8; i++) {
		struct lpm_key key = { .prefixlen = 8 + 8 * (i % 3), .addr = words[i] };
		__u32 value = i + 1;
		bpf_map_update_elem(&routes, &key, &value, BPF_ANY);
	}
	__u32 sum = 0;
	for (__u32 i = 0; i < 32; i++) {
		struct lpm_key key = { .prefixlen = 32, .addr = words[i % 8] ^ bpf_htonl(i) };
		__u32 *value = bpf_map_lookup_elem(&routes, &key);
		sum = sum * 9 + (value ? *value : 0);
	}
	return sum;
}
