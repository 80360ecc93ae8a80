// SPDX-License-Identifier: GPL-2.0
// 64-bit multiply-xorshift mixing (splitmix64) of 512 values derived from the packet: the
// multiplier-heavy inner loop of many hash tables and random generators.
#include "suite.h"

SEC("xdp") int xorshift_mix(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	if (!HAVE(data, end, PAYLOAD, 8))
		return 0;
	__u64 state = *(__u64 *)(data + PAYLOAD), acc = 0;
	for (int i = 0; i < 512; i++) {
		state += 0x9e3779b97f4a7c15ull;
		__u64 z = state;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		acc += z ^ (z >> 31);
	}
	return acc ^ (acc >> 32);
}
