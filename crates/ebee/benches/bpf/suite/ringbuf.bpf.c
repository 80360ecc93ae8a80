// SPDX-License-Identifier: GPL-2.0
// Ring-buffer output: eight 16-byte records of the flow's addresses and payload words per
// run; returns a hash of what was sent and the number of records the ring took.
#include "suite.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct record {
	__u32 saddr, daddr, word, index;
};

SEC("xdp") int ringbuf(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	__u32 hash = 0, sent = 0;
	for (__u32 i = 0; i < 8; i++) {
		struct record r = {
			.saddr = *(__u32 *)(data + 34),
			.daddr = *(__u32 *)(data + 38),
			.word = *(__u32 *)(data + PAYLOAD + 4 * i),
			.index = i,
		};
		hash = (hash ^ r.word) * 16777619u + r.saddr;
		sent += bpf_ringbuf_output(&events, &r, sizeof(r), 0) == 0;
	}
	return hash ^ (sent << 24);
}
