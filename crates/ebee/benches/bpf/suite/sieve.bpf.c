// SPDX-License-Identifier: GPL-2.0
// Sieve of Eratosthenes in a 256-byte stack array; returns how many primes are below 256,
// their sum and the packet byte the sum indexes. Every i below 16 marks its multiples (no
// skipping of composites) and the count is branch-free: a branch on each stack byte, which
// the verifier cannot know, doubles the paths it walks (2^254 for the count).
#include "suite.h"

#define N 256

SEC("xdp") int sieve(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u8 composite[N];
	__builtin_memset(composite, 0, sizeof(composite));
	for (__u32 i = 2; i < 16; i++)
		for (__u32 j = i * i; j < N; j += i)
			composite[j] = 1;
	__u32 count = 0, sum = 0;
	for (__u32 i = 2; i < N; i++) {
		__u32 prime = composite[i] ^ 1;
		count += prime;
		sum += i * prime;
	}
	// Checked where it is read: a pointer moved by a variable offset has no checked range.
	unsigned char *byte = data + PAYLOAD + (sum & 0xff);
	if (byte + 1 > end)
		return 0;
	return (count << 24) ^ (sum << 8) ^ *byte;
}
