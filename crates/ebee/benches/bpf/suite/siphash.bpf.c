// SPDX-License-Identifier: GPL-2.0
// SipHash-2-4 with a fixed key over the payload, 8 bytes a block; returns the 64-bit hash
// folded to 32 bits.
#include "suite.h"

#define SIPROUND                                                                           \
	do {                                                                               \
		v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);               \
		v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;                                   \
		v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;                                   \
		v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);               \
	} while (0)

SEC("xdp") int siphash(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	const __u64 k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
	__u64 v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	__u64 v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < PAYLOAD_LEN / 8; i++) {
		__u64 m = *(__u64 *)p;
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
		p += 8;
	}
	__u64 b = (__u64)PAYLOAD_LEN << 56;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	__u64 h = v0 ^ v1 ^ v2 ^ v3;
	return h ^ (h >> 32);
}
