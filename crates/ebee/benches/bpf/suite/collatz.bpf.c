// SPDX-License-Identifier: GPL-2.0
// Collatz sequence lengths (up to 300 steps) from 16 starting values taken from the payload.
#include "suite.h"

SEC("xdp") int collatz(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 total = 0;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < 16; i++) {
		if (p + 2 > end)
			return 0;
		__u64 n = *(__u16 *)p + 1;
		__u32 steps = 0;
		while (n != 1 && steps < 300) {
			n = (n & 1) ? 3 * n + 1 : n / 2;
			steps++;
		}
		total = total * 7 + steps;
		p += 2;
	}
	return total;
}
