// SPDX-License-Identifier: GPL-2.0
// Array map lookups and updates: each payload byte selects one of 64 slots, which is
// written through the looked-up pointer and, every fourth byte, with bpf_map_update_elem;
// returns the sum of the 64 slots read back.
#include "suite.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

SEC("xdp") int array_map(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	unsigned char *p = data + PAYLOAD;
	for (__u32 i = 0; i < 128; i++) {
		if (p + 1 > end)
			return 0;
		__u32 key = *p++ & 63;
		__u64 value = i * 1000 + key;
		if (i % 4 == 0) {
			bpf_map_update_elem(&slots, &key, &value, BPF_ANY);
			continue;
		}
		__u64 *slot = bpf_map_lookup_elem(&slots, &key);
		if (slot)
			*slot = value;
	}
	__u64 sum = 0;
	for (__u32 key = 0; key < 64; key++) {
		__u64 *slot = bpf_map_lookup_elem(&slots, &key);
		if (slot)
			sum += *slot * (key + 1);
	}
	return sum ^ (sum >> 32);
}
