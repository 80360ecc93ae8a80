// SPDX-License-Identifier: GPL-2.0
// Modular exponentiation by squaring with 64-bit division (mod a 31-bit prime): eight
// bases and exponents from the payload.
#include "suite.h"

#define P 2147483647ull

SEC("xdp") int modexp(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 result = 0;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < 8; i++) {
		if (p + 8 > end)
			return 0;
		__u64 base = *(__u32 *)p % P, e = *(__u32 *)(p + 4), r = 1;
		for (int bit = 0; bit < 32; bit++) {
			if (e & 1)
				r = r * base % P;
			base = base * base % P;
			e >>= 1;
		}
		result = result * 31 + (__u32)r;
		p += 8;
	}
	return result;
}
