// SPDX-License-Identifier: GPL-2.0
// Parses Ethernet, up to two VLAN tags, IPv4 (with its IHL) and TCP, then walks the TCP
// options; returns a mix of the ports, VLAN ids and every option's value.
#include "suite.h"

SEC("xdp") int parse_vlan_tcp(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 off = 12, result = 0;
	if (!HAVE(data, end, 0, 14))
		return 0;
	__u16 proto = bpf_ntohs(*(__u16 *)(data + 12));
	for (int tag = 0; tag < 2; tag++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if (!HAVE(data, end, off, 6))
			return 0;
		result = result * 31 + (bpf_ntohs(*(__u16 *)(data + off + 2)) & 0xfff);
		proto = bpf_ntohs(*(__u16 *)(data + off + 4));
		off += 4;
	}
	off += 2;
	if (proto != ETH_P_IP || !HAVE(data, end, off, 20))
		return 1;
	unsigned char *ip = data + off;
	__u32 ihl = (ip[0] & 15) * 4;
	if (ip[9] != 6 || ihl < 20)
		return 2;
	unsigned char *tcp = ip + ihl;
	if (tcp + 20 > end)
		return 3;
	result = result * 31 + bpf_ntohs(*(__u16 *)tcp);
	result = result * 31 + bpf_ntohs(*(__u16 *)(tcp + 2));
	__u32 doff = (tcp[12] >> 4) * 4;
	unsigned char *opt = tcp + 20, *opt_end = tcp + doff;
	for (int i = 0; i < 40; i++) {
		if (opt + 1 > end || opt >= opt_end)
			break;
		__u8 kind = opt[0];
		if (kind == 0)
			break;
		if (kind == 1) {
			opt++;
			continue;
		}
		if (opt + 2 > end)
			break;
		__u8 len = opt[1];
		if (len < 2)
			break;
		if (kind == 2 && opt + 4 <= end)
			result = result * 31 + bpf_ntohs(*(__u16 *)(opt + 2));
		else if (kind == 3 && opt + 3 <= end)
			result = result * 31 + opt[2];
		else if (kind == 8 && opt + 10 <= end)
			result = result * 31 + bpf_ntohl(*(__u32 *)(opt + 2)) +
				 bpf_ntohl(*(__u32 *)(opt + 6));
		else
			result = result * 31 + kind;
		opt += len;
	}
	return result;
}
