// SPDX-License-Identifier: GPL-2.0
// The TCP checksum over the pseudo-header and the whole segment, 16 bits at a time; returns
// the folded sum (0xffff when the packet's checksum is right) and the segment length.
#include "suite.h"

#define IP 22
#define TCP (IP + 20)

SEC("xdp") int l4_csum(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	if (!HAVE(data, end, IP, 20))
		return 0;
	unsigned char *ip = data + IP;
	__u32 tot_len = bpf_ntohs(*(__u16 *)(ip + 2));
	__u64 sum = *(__u16 *)(ip + 12) + *(__u16 *)(ip + 14) + *(__u16 *)(ip + 16) +
		    *(__u16 *)(ip + 18) + bpf_htons(6) + bpf_htons(tot_len - 20);
	unsigned char *p = data + TCP;
	for (int i = 0; i < 750; i++) {
		if (p + 2 > end)
			break;
		sum += *(__u16 *)p;
		p += 2;
	}
	if (p + 1 <= end)
		sum += *p;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum << 16) | (p - (data + TCP));
}
