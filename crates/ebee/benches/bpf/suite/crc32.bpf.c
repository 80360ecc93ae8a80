// SPDX-License-Identifier: GPL-2.0
// CRC-32 (IEEE, reflected) of the first 128 payload bytes, bit by bit, without a table. The
// polynomial is multiplied by the low bit: clang turns the usual mask, -(crc & 1), into an
// arithmetic shift and an AND with [-1, 0], on which the verifier splits its state (2^1024
// paths).
#include "suite.h"

SEC("xdp") int crc32(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 crc = 0xffffffff;
	if (!HAVE(data, end, PAYLOAD, 128))
		return 0;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < 128; i++) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++) {
			__u32 low = crc & 1;
			barrier_var(low);
			crc = (crc >> 1) ^ (low * 0xedb88320);
		}
	}
	return ~crc;
}
