// SPDX-License-Identifier: GPL-2.0
// CRC-32 (IEEE, reflected) of the first 128 payload bytes, bit by bit, without a table.
#include "suite.h"

SEC("xdp") int crc32(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 crc = 0xffffffff;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < 128; i++) {
		if (p + 1 > end)
			return 0;
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}
