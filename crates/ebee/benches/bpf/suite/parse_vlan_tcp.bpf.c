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
	unsigned char *opt_end = tcp + doff;
	// The option's offset is a number below 40 (options take at most 40 bytes, so the
	// check against opt_end implies it), not a pointer moved by each option's length, and
	// masked (a no-op that clang must keep): the verifier then has the same bounds for it
	// on every path, instead of one lower bound per mix of option lengths, and prunes.
	__u32 opt_off = 0;
	for (int i = 0; i < 40; i++) {
		if (opt_off >= 40)
			break;
		barrier_var(opt_off);
		opt_off &= 63;
		unsigned char *opt = tcp + 20 + opt_off;
		if (opt + 1 > end || opt >= opt_end)
			break;
		__u8 kind = opt[0];
		if (kind == 0)
			break;
		if (kind == 1) {
			opt_off++;
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
		opt_off += len;
	}
	return result;
}
