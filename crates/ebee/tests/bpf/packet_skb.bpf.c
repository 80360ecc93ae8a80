// SPDX-License-Identifier: GPL-2.0
// The skb packet helpers, for socket filters and TC (tests/packet_helpers.rs). Results go
// to the return value and to skb->cb, which BPF_PROG_TEST_RUN reports in ctx_out.
#include "packet_params.h"

#define TC_ACT_OK 0

/* cb[0..1] = 8 bytes loaded at offset (0xee filler untouched by the helper shows as
 * such), cb[2] = the helper's result. */
static __always_inline long load(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 buf[2] = { 0xeeeeeeee, 0xeeeeeeee };
	long ret;

	if (!p)
		return -1;
	ret = bpf_skb_load_bytes(skb, p->offset, buf, sizeof(buf));
	skb->cb[0] = buf[0];
	skb->cb[1] = buf[1];
	skb->cb[2] = ret;
	return ret;
}

/* As load, through bpf_skb_load_bytes_relative(start header = ifindex). */
static __always_inline long load_relative(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 buf[2] = { 0xeeeeeeee, 0xeeeeeeee };
	long ret;

	if (!p)
		return -1;
	ret = bpf_skb_load_bytes_relative(skb, p->offset, buf, sizeof(buf), p->ifindex);
	skb->cb[0] = buf[0];
	skb->cb[1] = buf[1];
	skb->cb[2] = ret;
	return ret;
}

/* One 4-byte context load (volatile: clang would merge neighbouring fields into one 8-byte
 * load, which no context allows). */
#define FIELD(skb, f) (*(volatile __u32 *)&(skb)->f)

/* The context fields the test run sets up, in cb and the return value. */
#define CTX_FIELDS(skb, a, b, c, d, e)                                                     \
	do {                                                                               \
		FIELD(skb, cb[0]) = FIELD(skb, a);                                         \
		FIELD(skb, cb[1]) = FIELD(skb, b);                                         \
		FIELD(skb, cb[2]) = FIELD(skb, c);                                         \
		FIELD(skb, cb[3]) = FIELD(skb, d);                                         \
		FIELD(skb, cb[4]) = FIELD(skb, e);                                         \
	} while (0)

SEC("socket")
int sock_load(struct __sk_buff *skb)
{
	return load(skb);
}

SEC("socket")
int sock_load_relative(struct __sk_buff *skb)
{
	return load_relative(skb);
}

SEC("socket")
int sock_ctx(struct __sk_buff *skb)
{
	CTX_FIELDS(skb, len, pkt_type, protocol, ifindex, ingress_ifindex);
	return skb->mark;
}

SEC("socket")
int sock_ctx2(struct __sk_buff *skb)
{
	CTX_FIELDS(skb, priority, queue_mapping, vlan_present, gso_segs, gso_size);
	return skb->hash;
}

SEC("tc")
int tc_load(struct __sk_buff *skb)
{
	return load(skb);
}

SEC("tc")
int tc_load_relative(struct __sk_buff *skb)
{
	return load_relative(skb);
}

SEC("tc")
int tc_ctx(struct __sk_buff *skb)
{
	CTX_FIELDS(skb, len, pkt_type, protocol, ifindex, ingress_ifindex);
	return skb->wire_len;
}

SEC("tc")
int tc_ctx2(struct __sk_buff *skb)
{
	CTX_FIELDS(skb, priority, queue_mapping, vlan_present, gso_segs, gso_size);
	skb->mark = skb->mark + 1;
	skb->priority = 7;
	return skb->data_end - skb->data;
}

/* Stores 4 bytes (0xc0ffee00 + cb[0]'s low byte) at offset with flags. */
SEC("tc")
int tc_store(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 value;

	if (!p)
		return -1;
	value = 0xc0ffee00 | (skb->cb[0] & 0xff);
	return bpf_skb_store_bytes(skb, p->offset, &value, sizeof(value), p->flags);
}

SEC("tc")
int tc_l3_csum(struct __sk_buff *skb)
{
	struct params *p = get_params();

	if (!p)
		return -1;
	return bpf_l3_csum_replace(skb, p->offset, p->from, p->to, p->flags);
}

SEC("tc")
int tc_l4_csum(struct __sk_buff *skb)
{
	struct params *p = get_params();

	if (!p)
		return -1;
	return bpf_l4_csum_replace(skb, p->offset, p->from, p->to, p->flags);
}

/* NAT on an IPv4/TCP or UDP packet: destination address := params.to, destination port
 * := params.from, with the IP and L4 checksums updated incrementally (L4 checksum at
 * params.offset); results in cb[0..4]. */
SEC("tc")
int tc_nat(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 old_ip, new_ip;
	__u16 old_port, new_port;

	if (!p)
		return -1;
	new_ip = p->to;
	new_port = p->from;
	skb->cb[0] = bpf_skb_load_bytes(skb, 30, &old_ip, 4);
	skb->cb[0] |= bpf_skb_load_bytes(skb, 36, &old_port, 2);
	skb->cb[1] = bpf_skb_store_bytes(skb, 30, &new_ip, 4, 0);
	skb->cb[2] = bpf_l3_csum_replace(skb, 24, old_ip, new_ip, 4);
	skb->cb[3] = bpf_l4_csum_replace(skb, p->offset, old_ip, new_ip, BPF_F_PSEUDO_HDR | 4 | p->flags);
	skb->cb[4] = bpf_skb_store_bytes(skb, 36, &new_port, 2, 0);
	return bpf_l4_csum_replace(skb, p->offset, old_port, new_port, 2 | p->flags);
}

/* Flow hash: the kernel's value has a random seed, so only relations are reported:
 * bit 0: recalc != 0, bit 1: skb->hash == recalc, bit 2: skb->hash == 0 after a store
 * with BPF_F_INVALIDATE_HASH, bit 3: recalc after that gives the first value again,
 * bit 4: a store without the flag keeps skb->hash. */
SEC("tc")
int tc_hash(struct __sk_buff *skb)
{
	__u32 h1, h2, h3, h4, h5;
	__u8 byte;

	h1 = bpf_get_hash_recalc(skb);
	h2 = skb->hash;
	bpf_skb_load_bytes(skb, 20, &byte, 1);
	bpf_skb_store_bytes(skb, 20, &byte, 1, BPF_F_INVALIDATE_HASH);
	h3 = skb->hash;
	h4 = bpf_get_hash_recalc(skb);
	bpf_skb_store_bytes(skb, 20, &byte, 1, 0);
	h5 = skb->hash;
	return (h1 != 0) | (h1 == h2) << 1 | (h3 == 0) << 2 | (h4 == h1) << 3 | (h5 == h4) << 4;
}

/* Two packets of the same flow in opposite directions hash the same in the kernel; the
 * test compares hashes across runs through cb[0]. */
SEC("tc")
int tc_hash_value(struct __sk_buff *skb)
{
	skb->cb[0] = bpf_get_hash_recalc(skb);
	return TC_ACT_OK;
}

SEC("tc")
int tc_pull(struct __sk_buff *skb)
{
	struct params *p = get_params();
	long ret;

	if (!p)
		return -1;
	ret = bpf_skb_pull_data(skb, p->len);
	skb->cb[0] = skb->data_end - skb->data;
	skb->cb[1] = skb->len;
	return ret;
}

SEC("tc")
int tc_redirect(struct __sk_buff *skb)
{
	struct params *p = get_params();

	if (!p)
		return -1;
	return bpf_redirect(p->ifindex, p->flags);
}

char LICENSE[] SEC("license") = "GPL";
