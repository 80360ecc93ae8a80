// SPDX-License-Identifier: GPL-2.0
// Bit tricks on the payload's 64-bit words: byte swaps, rotates, parity, the highest set bit
// by binary search, and bit reversal by masks.
#include "suite.h"

SEC("xdp") int bit_tricks(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u64 acc = 0;
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < PAYLOAD_LEN / 8; i++) {
		__u64 x = *(__u64 *)p | 1;
		__u64 s = __builtin_bswap64(x) ^ rol64(x, 13) ^ (__builtin_bswap32(x) << 7);
		__u64 par = x ^ (x >> 32);
		par ^= par >> 16;
		par ^= par >> 8;
		par ^= par >> 4;
		par ^= par >> 2;
		par ^= par >> 1;
		__u32 hi = 0;
		__u64 y = x;
		if (y >> 32) { y >>= 32; hi += 32; }
		if (y >> 16) { y >>= 16; hi += 16; }
		if (y >> 8) { y >>= 8; hi += 8; }
		if (y >> 4) { y >>= 4; hi += 4; }
		if (y >> 2) { y >>= 2; hi += 2; }
		if (y >> 1) hi += 1;
		__u64 r = x;
		r = ((r >> 1) & 0x5555555555555555ull) | ((r & 0x5555555555555555ull) << 1);
		r = ((r >> 2) & 0x3333333333333333ull) | ((r & 0x3333333333333333ull) << 2);
		r = ((r >> 4) & 0x0f0f0f0f0f0f0f0full) | ((r & 0x0f0f0f0f0f0f0f0full) << 4);
		r = __builtin_bswap64(r);
		acc = rol64(acc, 7) ^ s ^ (par & 1) ^ ((__u64)hi << 40) ^ r;
		p += 8;
	}
	return acc ^ (acc >> 32);
}
