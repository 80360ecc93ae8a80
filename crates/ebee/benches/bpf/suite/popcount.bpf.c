// SPDX-License-Identifier: GPL-2.0
// Counts the set bits of the payload, one 64-bit word at a time, clearing the lowest set
// bit until none is left (Kernighan); returns the count and a position-weighted sum. The
// loop over the words is unrolled: kept as a loop (clang unrolls only up to 9 words), the
// verifier walks its data-dependent inner loop without pruning and gives up.
#include "suite.h"

SEC("xdp") int popcount(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 count = 0, weighted = 0;
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	unsigned char *p = data + PAYLOAD;
	UNROLL
	for (int i = 0; i < PAYLOAD_LEN / 8; i++) {
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
