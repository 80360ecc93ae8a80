// SPDX-License-Identifier: GPL-2.0
// 4x4 matrix product of two 32-bit matrices from the payload in stack arrays, squared
// four times; returns the trace and a checksum of the result.
#include "suite.h"

SEC("xdp") int matrix(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 a[16], b[16], c[16];
	if (!HAVE(data, end, PAYLOAD, 128))
		return 0;
	for (int i = 0; i < 16; i++) {
		a[i] = *(__u32 *)(data + PAYLOAD + 4 * i);
		b[i] = *(__u32 *)(data + PAYLOAD + 64 + 4 * i);
	}
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++) {
				__u32 s = 0;
				for (int k = 0; k < 4; k++)
					s += a[4 * i + k] * b[4 * k + j];
				c[4 * i + j] = s;
			}
		for (int i = 0; i < 16; i++) {
			a[i] = c[i];
			b[i] ^= c[i] >> 3;
		}
	}
	__u32 sum = 0;
	for (int i = 0; i < 16; i++)
		sum = sum * 7 + c[i];
	return sum ^ (c[0] + c[5] + c[10] + c[15]);
}
