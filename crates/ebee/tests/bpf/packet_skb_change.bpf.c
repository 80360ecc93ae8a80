// SPDX-License-Identifier: GPL-2.0
// The skb helpers that change the packet's length, headers or skb state, for TC
// (tests/packet_helpers.rs, packet_helpers/skb_change.rs). Arguments come from `params`;
// results go to the return value and skb->cb (reported in ctx_out), the packet to data_out.
#include "packet_params.h"
#include <bpf/bpf_endian.h>

#define FIELD(skb, f) (*(volatile __u32 *)&(skb)->f)

/* What the skb looks like after a change: cb[1] = len, cb[2] = data_end - data,
 * cb[3] = protocol | vlan_proto << 16, cb[4] = vlan_present | vlan_tci << 8. */
static __always_inline void shape(struct __sk_buff *skb)
{
	FIELD(skb, cb[1]) = FIELD(skb, len);
	FIELD(skb, cb[2]) = skb->data_end - skb->data;
	FIELD(skb, cb[3]) = FIELD(skb, protocol) | FIELD(skb, vlan_proto) << 16;
	FIELD(skb, cb[4]) = FIELD(skb, vlan_present) | FIELD(skb, vlan_tci) << 8;
}

/* change_tail(len, flags); with offset2 != 0 a second change_tail(offset2, 0). */
SEC("tc")
int tc_change_tail(struct __sk_buff *skb)
{
	struct params *p = get_params();
	long ret;

	if (!p)
		return -1;
	ret = bpf_skb_change_tail(skb, p->len, p->flags);
	if (p->offset2)
		ret |= bpf_skb_change_tail(skb, p->offset2, 0) << 8;
	FIELD(skb, cb[0]) = ret;
	shape(skb);
	return ret;
}

/* change_head(len, flags); with offset2 != 0 then change_tail(offset2, 0) (whose lower
 * bound is the network header, which change_head moved away from data). */
SEC("tc")
int tc_change_head(struct __sk_buff *skb)
{
	struct params *p = get_params();
	long ret;

	if (!p)
		return -1;
	ret = bpf_skb_change_head(skb, p->len, p->flags);
	if (p->offset2)
		ret |= bpf_skb_change_tail(skb, p->offset2, 0) << 8;
	FIELD(skb, cb[0]) = ret;
	shape(skb);
	return ret;
}

/* change_proto(from, flags), then with `to` != 0 change_proto(to, 0). */
SEC("tc")
int tc_change_proto(struct __sk_buff *skb)
{
	struct params *p = get_params();
	long ret;

	if (!p)
		return -1;
	ret = bpf_skb_change_proto(skb, p->from, p->flags) & 0xffff;
	if (p->to)
		ret |= (bpf_skb_change_proto(skb, p->to, 0) & 0xffff) << 16;
	FIELD(skb, cb[0]) = ret;
	shape(skb);
	return ret;
}

/* `offset` vlan_pushes (proto `from`, tci `to` + i), then `offset2` vlan_pops; results one
 * byte per call in cb[0] (pushes) and the return value (pops). */
SEC("tc")
int tc_vlan(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 pushes = 0, pops = 0;
	int i;

	if (!p)
		return -1;
	for (i = 0; i < 4; i++) {
		if (i >= p->offset)
			break;
		pushes |= (bpf_skb_vlan_push(skb, p->from, p->to + i) & 0xff) << (8 * i);
	}
	for (i = 0; i < 4; i++) {
		if (i >= p->offset2)
			break;
		pops |= (bpf_skb_vlan_pop(skb) & 0xff) << (8 * i);
	}
	FIELD(skb, cb[0]) = pushes;
	shape(skb);
	return pops;
}

/* csum_level with the levels in the bytes of `flags` (0xff ends), results one byte each in
 * cb[0] and cb[1]; cb[2] = a final query. */
SEC("tc")
int tc_csum_level(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u64 results = 0;
	int i;

	if (!p)
		return -1;
	for (i = 0; i < 8; i++) {
		__u64 level = (p->flags >> (8 * i)) & 0xff;

		if (level == 0xff)
			break;
		results |= (__u64)(bpf_csum_level(skb, level) & 0xff) << (8 * i);
	}
	skb->cb[0] = results;
	skb->cb[1] = results >> 32;
	skb->cb[2] = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	return 0;
}

/* change_type(len), then change_type(offset); cb[0..1] pkt_type after each. */
SEC("tc")
int tc_change_type(struct __sk_buff *skb)
{
	struct params *p = get_params();
	long ret, ret2;

	if (!p)
		return -1;
	ret = bpf_skb_change_type(skb, p->len);
	skb->cb[0] = skb->pkt_type;
	ret2 = bpf_skb_change_type(skb, p->offset);
	skb->cb[1] = skb->pkt_type;
	return (ret & 0xff) | (ret2 & 0xff) << 8;
}

/* ecn_set_ce, `len` times (0: once); the packet out shows the header. */
SEC("tc")
int tc_ecn(struct __sk_buff *skb)
{
	struct params *p = get_params();
	long ret = 0;
	int i;

	if (!p)
		return -1;
	for (i = 0; i < 3; i++) {
		ret = ret << 8 | (bpf_skb_ecn_set_ce(skb) & 0xff);
		if (i + 1 >= p->len)
			break;
	}
	shape(skb);
	return ret;
}

/* set_hash / set_hash_invalid against get_hash_recalc (whose own values are the kernel's
 * random-seeded ones, so only relations to them are reported):
 * cb[0] = hash after set_hash(len), cb[1] = recalc after it, cb[2] = hash after
 * set_hash_invalid, bit 0 of cb[3]: recalc then is not 0, bit 1: recalc after set_hash(0) is
 * 0. */
SEC("tc")
int tc_set_hash(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 bits = 0;

	if (!p)
		return -1;
	bpf_set_hash(skb, p->len);
	skb->cb[0] = skb->hash;
	skb->cb[1] = bpf_get_hash_recalc(skb);
	bpf_set_hash_invalid(skb);
	skb->cb[2] = skb->hash;
	bits |= bpf_get_hash_recalc(skb) != 0;
	bpf_set_hash(skb, 0);
	bits |= (bpf_get_hash_recalc(skb) == 0) << 1;
	skb->cb[3] = bits;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
