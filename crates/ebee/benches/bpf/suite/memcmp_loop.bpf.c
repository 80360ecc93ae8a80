// SPDX-License-Identifier: GPL-2.0
// memcmp-style loops: the payload's first 16 bytes against each 16-byte window that follows
// (byte by byte, stopping at the first difference), and the halves of the payload in
// 8-byte words; returns the comparison results.
#include "suite.h"

SEC("xdp") int memcmp_loop(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	unsigned char *a = data + PAYLOAD;
	__u32 result = 0;
	for (int w = 1; w < 16; w++) {
		unsigned char *b = a + 16 * w;
		int cmp = 0;
		for (int i = 0; i < 16; i++) {
			if (a[i] != b[i]) {
				cmp = a[i] < b[i] ? -(i + 1) : i + 1;
				break;
			}
		}
		result = result * 33 + cmp;
	}
	__u32 equal = 0;
	for (int i = 0; i < PAYLOAD_LEN / 2; i += 8)
		equal += *(__u64 *)(a + i) == *(__u64 *)(a + PAYLOAD_LEN / 2 + i);
	return result + equal;
}
