// SPDX-License-Identifier: GPL-2.0
// Insertion sort of 32 payload bytes in a stack array; returns a position-weighted sum of
// the sorted bytes.
#include "suite.h"

#define N 32

SEC("xdp") int insertion_sort(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u8 a[N];
	if (!HAVE(data, end, PAYLOAD, N))
		return 0;
	for (int i = 0; i < N; i++)
		a[i] = data[PAYLOAD + i];
	for (int i = 1; i < N; i++) {
		__u8 v = a[i];
		int j = i - 1;
		for (int k = 0; k < N && j >= 0 && a[j & (N - 1)] > v; k++) {
			a[(j + 1) & (N - 1)] = a[j & (N - 1)];
			j--;
		}
		a[(j + 1) & (N - 1)] = v;
	}
	__u32 sum = 0;
	for (int i = 0; i < N; i++)
		sum = sum * 3 + a[i];
	return sum;
}
