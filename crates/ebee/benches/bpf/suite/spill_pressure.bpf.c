// SPDX-License-Identifier: GPL-2.0
// Sixteen accumulators live across a loop over the payload: more than eBPF's registers, so
// the compiler spills them to the stack and reloads them every round.
#include "suite.h"

SEC("xdp") int spill_pressure(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u64 a0 = 1, a1 = 2, a2 = 3, a3 = 4, a4 = 5, a5 = 6, a6 = 7, a7 = 8;
	__u64 a8 = 9, a9 = 10, a10 = 11, a11 = 12, a12 = 13, a13 = 14, a14 = 15, a15 = 16;
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < PAYLOAD_LEN / 4; i++) {
		__u64 w = *(__u32 *)p;
		a0 += w ^ a15; a1 ^= a0 + w; a2 += a1 * 3; a3 ^= a2 >> 1;
		a4 += a3 ^ w; a5 -= a4; a6 += a5 << 2; a7 ^= a6 + i;
		a8 += a7 * 5; a9 ^= a8 >> 3; a10 += a9 ^ w; a11 -= a10;
		a12 += a11 << 1; a13 ^= a12 + a0; a14 += a13 * 7; a15 ^= a14 >> 2;
		p += 4;
	}
	__u64 r = a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7 ^ a8 ^ a9 ^ a10 ^ a11 ^ a12 ^ a13 ^
		  a14 ^ a15;
	return r ^ (r >> 32);
}
