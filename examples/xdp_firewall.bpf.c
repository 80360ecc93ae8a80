// SPDX-License-Identifier: MIT
// A small XDP firewall: counts packets per IP protocol in a per-CPU array, drops TCP to the
// ports listed in a hash map (empty until the host fills it), passes everything else.
// Run it with ebee (no kernel, no root):  ./scripts/example.sh
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} packets_per_protocol SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} blocked_tcp_ports SEC(".maps");

/* Set before load to also block this port (0: none), as a skeleton would. */
const volatile __u16 extra_blocked_port = 0;

static __always_inline int tcp_verdict(struct tcphdr *tcp, void *data_end)
{
	if ((void *)(tcp + 1) > data_end)
		return XDP_PASS;
	__u16 port = bpf_ntohs(tcp->dest);
	if (extra_blocked_port && port == extra_blocked_port)
		return XDP_DROP;
	return bpf_map_lookup_elem(&blocked_tcp_ports, &port) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;

	__u32 protocol;
	void *l4;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return XDP_PASS;
		protocol = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		protocol = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return XDP_PASS;
	}

	__u64 *count = bpf_map_lookup_elem(&packets_per_protocol, &protocol);
	if (count)
		*count += 1;
	if (protocol == IPPROTO_TCP)
		return tcp_verdict(l4, data_end);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
