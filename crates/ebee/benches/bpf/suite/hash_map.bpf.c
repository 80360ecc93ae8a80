// SPDX-License-Identifier: GPL-2.0
// Hash map updates and lookups: 32 keys from the payload's first words are stored with
// values from the next ones, then 64 keys (half of them stored) looked up.
#include "suite.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} table SEC(".maps");

SEC("xdp") int hash_map(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	__u32 *words = (__u32 *)(data + PAYLOAD);
	for (int i = 0; i < 32; i++) {
		__u32 key = words[i];
		__u64 value = words[i + 32] | ((__u64)i << 32);
		bpf_map_update_elem(&table, &key, &value, BPF_ANY);
	}
	__u64 sum = 0;
	__u32 hits = 0;
	for (int i = 0; i < 64; i++) {
		__u32 key = (i & 1) ? words[i / 2] : words[i] ^ 0x5a5a5a5a;
		__u64 *value = bpf_map_lookup_elem(&table, &key);
		if (value) {
			sum += *value;
			hits++;
		}
	}
	return (sum ^ (sum >> 32)) + hits;
}
