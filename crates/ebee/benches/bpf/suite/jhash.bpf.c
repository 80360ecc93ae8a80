// SPDX-License-Identifier: GPL-2.0
// Bob Jenkins' lookup3 hash (the kernel's jhash) over the payload, 12 bytes a round.
#include "suite.h"

#define MIX(a, b, c)                                                                       \
	do {                                                                               \
		a -= c; a ^= rol32(c, 4);  c += b;                                        \
		b -= a; b ^= rol32(a, 6);  a += c;                                        \
		c -= b; c ^= rol32(b, 8);  b += a;                                        \
		a -= c; a ^= rol32(c, 16); c += b;                                        \
		b -= a; b ^= rol32(a, 19); a += c;                                        \
		c -= b; c ^= rol32(b, 4);  b += a;                                        \
	} while (0)

#define FINAL(a, b, c)                                                                     \
	do {                                                                               \
		c ^= b; c -= rol32(b, 14);                                                \
		a ^= c; a -= rol32(c, 11);                                                \
		b ^= a; b -= rol32(a, 25);                                                \
		c ^= b; c -= rol32(b, 16);                                                \
		a ^= c; a -= rol32(c, 4);                                                 \
		b ^= a; b -= rol32(a, 14);                                                \
		c ^= b; c -= rol32(b, 24);                                                \
	} while (0)

SEC("xdp") int jhash(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 a, b, c;
	a = b = c = 0xdeadbeef + PAYLOAD_LEN + 42;
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < PAYLOAD_LEN / 12; i++) {
		a += *(__u32 *)p;
		b += *(__u32 *)(p + 4);
		c += *(__u32 *)(p + 8);
		MIX(a, b, c);
		p += 12;
	}
	a += *(__u32 *)p;
	FINAL(a, b, c);
	return c;
}
