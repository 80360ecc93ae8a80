// SPDX-License-Identifier: GPL-2.0
// Collatz sequence lengths (up to 300 steps) from 16 starting values taken from the payload.
// A step is branch-free (n / 2 plus the odd bit times the rest of 3n + 1): with a branch,
// the verifier walks one path per sequence of odd and even steps, each with other bounds
// on n, and gives up.
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
			__u64 odd = n & 1;
			// A product, not a branch or a mask: clang would make either of it.
			barrier_var(odd);
			// odd: (n - 1) / 2 + (5n + 3) / 2 = 3n + 1; even: n / 2.
			n = n / 2 + odd * (2 * n + n / 2 + 2);
			steps++;
		}
		total = total * 7 + steps;
		p += 2;
	}
	return total;
}
