// SPDX-License-Identifier: GPL-2.0
// FNV-1a (32 bits) over every byte of the packet.
#include "suite.h"

SEC("xdp") int fnv1a(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 h = 2166136261u;
	unsigned char *p = data;
	for (int i = 0; i < 1500; i++) {
		if (p + 1 > end)
			break;
		h = (h ^ *p) * 16777619u;
		p++;
	}
	return h;
}
