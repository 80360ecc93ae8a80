// SPDX-License-Identifier: GPL-2.0
// Counts the set bits of the payload, one 64-bit word at a time, clearing the lowest set
// bit until none is left (Kernighan); returns the count and a position-weighted sum.
#include "suite.h"

SEC("xdp") int popcount(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 count = 0, weighted = 0;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < PAYLOAD_LEN / 8; i++) {
		if (p + 8 > end)
			return 0;
		__u64 x = *(__u64 *)p;
		__u32 n = 0;
		for (int bit = 0; bit < 64 && x; bit++) {
			x &= x - 1;
			n++;
		}
		count += n;
		weighted += n * (i + 1);
		p += 8;
	}
	return (count << 16) ^ weighted;
}
