// SPDX-License-Identifier: GPL-2.0
// cgroup_skb, sk_skb and flow dissector programs reading every context field they may read
// (and writing the writable ones) into the `out` map (tests/program_types_skb.rs). The
// S_* slots are mirrored by the test.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define WITH_MAPS
#include "ctx_access.h"

#define SKB(f) OFF(__sk_buff, f)

enum {
	S_LEN, S_PKT_TYPE, S_QUEUE_MAPPING, S_PROTOCOL, S_VLAN_PRESENT, S_VLAN_TCI, S_VLAN_PROTO,
	S_PRIORITY, S_INGRESS_IFINDEX, S_IFINDEX, S_TC_INDEX, S_CB0, S_CB1, S_CB2, S_CB3, S_CB4,
	S_HASH, S_NAPI_ID, S_GSO_SEGS, S_GSO_SIZE, S_DATA_LEN, S_FAMILY, S_REMOTE_IP4,
	S_LOCAL_IP4, S_REMOTE_IP6, /* 4 slots */
	S_LOCAL_IP6 = S_REMOTE_IP6 + 4, /* 4 slots */
	S_REMOTE_PORT = S_LOCAL_IP6 + 4, S_LOCAL_PORT,
	/* narrow reads */
	S_LEN_BYTE1, S_PROTOCOL_HIGH, S_FAMILY_BYTE0, S_FAMILY_HIGH, S_LOCAL_PORT_LOW,
	S_CB_WIDE, S_PRIORITY_BYTE3, S_FIRST_BYTE,
	S_COMMON_END,
	/* cgroup_skb only */
	S_MARK = S_COMMON_END, S_TSTAMP, S_HWTSTAMP, S_MARK_BYTE2,
	S_AFTER, /* 5 slots: mark, priority, cb[0], cb[2..3] as u64, tstamp after the writes */
	S_SK = S_AFTER + 5, /* not compared: the kernel's test-run skb has a socket, ebee's not */
	S_END,
};

/* The reads every cgroup_skb and sk_skb program makes. */
static __always_inline void read_common(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	put(S_LEN, R32(skb, SKB(len)));
	put(S_PKT_TYPE, R32(skb, SKB(pkt_type)));
	put(S_QUEUE_MAPPING, R32(skb, SKB(queue_mapping)));
	put(S_PROTOCOL, R32(skb, SKB(protocol)));
	put(S_VLAN_PRESENT, R32(skb, SKB(vlan_present)));
	put(S_VLAN_TCI, R32(skb, SKB(vlan_tci)));
	put(S_VLAN_PROTO, R32(skb, SKB(vlan_proto)));
	put(S_PRIORITY, R32(skb, SKB(priority)));
	put(S_INGRESS_IFINDEX, R32(skb, SKB(ingress_ifindex)));
	put(S_IFINDEX, R32(skb, SKB(ifindex)));
	put(S_TC_INDEX, R32(skb, SKB(tc_index)));
	put(S_CB0, R32(skb, SKB(cb[0])));
	put(S_CB1, R32(skb, SKB(cb[1])));
	put(S_CB2, R32(skb, SKB(cb[2])));
	put(S_CB3, R32(skb, SKB(cb[3])));
	put(S_CB4, R32(skb, SKB(cb[4])));
	put(S_HASH, R32(skb, SKB(hash)));
	put(S_NAPI_ID, R32(skb, SKB(napi_id)));
	put(S_GSO_SEGS, R32(skb, SKB(gso_segs)));
	put(S_GSO_SIZE, R32(skb, SKB(gso_size)));
	put(S_DATA_LEN, end - data);
	put(S_FAMILY, R32(skb, SKB(family)));
	put(S_REMOTE_IP4, R32(skb, SKB(remote_ip4)));
	put(S_LOCAL_IP4, R32(skb, SKB(local_ip4)));
	put(S_REMOTE_IP6, R32(skb, SKB(remote_ip6[0])));
	put(S_REMOTE_IP6 + 1, R32(skb, SKB(remote_ip6[1])));
	put(S_REMOTE_IP6 + 2, R32(skb, SKB(remote_ip6[2])));
	put(S_REMOTE_IP6 + 3, R32(skb, SKB(remote_ip6[3])));
	put(S_LOCAL_IP6, R32(skb, SKB(local_ip6[0])));
	put(S_LOCAL_IP6 + 1, R32(skb, SKB(local_ip6[1])));
	put(S_LOCAL_IP6 + 2, R32(skb, SKB(local_ip6[2])));
	put(S_LOCAL_IP6 + 3, R32(skb, SKB(local_ip6[3])));
	put(S_REMOTE_PORT, R32(skb, SKB(remote_port)));
	put(S_LOCAL_PORT, R32(skb, SKB(local_port)));
	put(S_LEN_BYTE1, R8(skb, SKB(len) + 1));
	put(S_PROTOCOL_HIGH, R16(skb, SKB(protocol) + 2));
	put(S_FAMILY_BYTE0, R8(skb, SKB(family)));
	put(S_FAMILY_HIGH, R16(skb, SKB(family) + 2));
	put(S_LOCAL_PORT_LOW, R16(skb, SKB(local_port)));
	put(S_CB_WIDE, R64(skb, SKB(cb[2])));
	put(S_PRIORITY_BYTE3, R8(skb, SKB(priority) + 3));
	if (data + 1 <= end)
		put(S_FIRST_BYTE, *(__u8 *)data);
	put(S_SK, skb->sk != 0);
}

enum { W_MARK, W_PRIORITY, W_CB0, W_CB12, W_TSTAMP, W_RET, W_TC_INDEX };

static __always_inline int cgroup_skb(struct __sk_buff *skb)
{
	read_common(skb);
	put(S_MARK, R32(skb, SKB(mark)));
	put(S_TSTAMP, R64(skb, SKB(tstamp)));
	put(S_HWTSTAMP, R64(skb, SKB(hwtstamp)));
	put(S_MARK_BYTE2, R8(skb, SKB(mark) + 2));
	R32(skb, SKB(mark)) = get(W_MARK);
	R32(skb, SKB(priority)) = get(W_PRIORITY);
	R32(skb, SKB(cb[0])) = get(W_CB0);
	R64(skb, SKB(cb[2])) = get(W_CB12);
	R64(skb, SKB(tstamp)) = get(W_TSTAMP);
	put(S_AFTER, R32(skb, SKB(mark)));
	put(S_AFTER + 1, R32(skb, SKB(priority)));
	put(S_AFTER + 2, R32(skb, SKB(cb[0])));
	put(S_AFTER + 3, R64(skb, SKB(cb[2])));
	put(S_AFTER + 4, R64(skb, SKB(tstamp)));
	return get(W_RET);
}

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
	return cgroup_skb(skb) & 1;
}

SEC("cgroup_skb/egress")
int cg_egress(struct __sk_buff *skb)
{
	return cgroup_skb(skb) & 3;
}

/* sk_skb: no mark; tc_index and priority are writable. */
static __always_inline int sk_skb(struct __sk_buff *skb)
{
	read_common(skb);
	R32(skb, SKB(tc_index)) = get(W_TC_INDEX);
	R32(skb, SKB(priority)) = get(W_PRIORITY);
	put(S_AFTER, R32(skb, SKB(tc_index)));
	put(S_AFTER + 1, R32(skb, SKB(priority)));
	return skb->len;
}

SEC("sk_skb/stream_parser")
int sk_parser(struct __sk_buff *skb)
{
	return sk_skb(skb);
}

SEC("sk_skb/stream_verdict")
int sk_verdict(struct __sk_buff *skb)
{
	sk_skb(skb);
	return get(W_RET) ? SK_PASS : SK_DROP;
}

/* A flow dissector for Ethernet + IPv4/IPv6 + TCP/UDP; UDP flows set offsets the test run
 * clamps (nhoff below the Ethernet header, thoff past the packet). */
SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct bpf_flow_keys *k = skb->flow_keys;
	__u8 *ip = data + 14;
	__u16 ports[2];
	__u32 thoff;

	put(0, k->nhoff);
	put(1, k->thoff);
	put(2, k->n_proto);
	put(3, k->flags);
	put(4, end - data);
	k->addr_proto = k->n_proto;
	if (k->flags & BPF_FLOW_DISSECTOR_F_STOP_AT_ENCAP)
		k->is_encap = 1;
	if (k->n_proto == __builtin_bswap16(0x0800)) {
		if ((void *)(ip + 20) > end)
			return BPF_DROP;
		k->ip_proto = ip[9];
		k->ipv4_src = *(__u32 *)(ip + 12);
		k->ipv4_dst = *(__u32 *)(ip + 16);
		thoff = 14 + (ip[0] & 0xf) * 4;
	} else if (k->n_proto == __builtin_bswap16(0x86dd)) {
		if ((void *)(ip + 40) > end)
			return BPF_DROP;
		k->ip_proto = ip[6];
		__builtin_memcpy(k->ipv6_src, ip + 8, 16);
		__builtin_memcpy(k->ipv6_dst, ip + 24, 16);
		k->flow_label = *(__u32 *)ip & __builtin_bswap32(0xfffff);
		thoff = 54;
	} else {
		return BPF_FLOW_DISSECTOR_CONTINUE;
	}
	k->thoff = thoff;
	if (bpf_skb_load_bytes(skb, thoff, ports, 4) == 0) {
		k->sport = ports[0];
		k->dport = ports[1];
	}
	if (k->ip_proto == 17) {
		k->nhoff = 2;
		k->thoff = 0xfff0;
	}
	put(5, k->thoff);
	return BPF_OK;
}

char _license[] SEC("license") = "GPL";
