// SPDX-License-Identifier: GPL-2.0
// Sieve of Eratosthenes in a 256-byte stack array; returns how many primes are below 256,
// their sum and the packet byte the sum indexes.
#include "suite.h"

#define N 256

SEC("xdp") int sieve(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u8 composite[N];
	__builtin_memset(composite, 0, sizeof(composite));
	for (__u32 i = 2; i < 16; i++) {
		if (composite[i])
			continue;
		for (__u32 j = i * i; j < N; j += i)
			composite[j] = 1;
	}
	__u32 count = 0, sum = 0;
	for (__u32 i = 2; i < N; i++) {
		if (!composite[i]) {
			count++;
			sum += i;
		}
	}
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	return (count << 24) ^ (sum << 8) ^ data[PAYLOAD + (sum & 0xff)];
}
