// SPDX-License-Identifier: GPL-2.0
// The IPv4 header checksum, recomputed and folded as a router does, 64 times with a
// different TTL each time; returns the sum of the checksums.
#include "suite.h"

#define IP 22

SEC("xdp") int ipv4_csum(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	if (!HAVE(data, end, IP, 20))
		return 0;
	__u16 *words = (__u16 *)(data + IP);
	__u32 total = 0;
	for (__u32 ttl = 0; ttl < 64; ttl++) {
		__u32 sum = 0;
		for (int i = 0; i < 10; i++) {
			__u16 w = words[i];
			if (i == 4)
				w = (w & bpf_htons(0x00ff)) | bpf_htons(ttl << 8);
			if (i != 5)
				sum += w;
		}
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		total += (__u16)~sum;
	}
	return total;
}
