// SPDX-License-Identifier: GPL-2.0
// skb_adjust_room, csum_update, the tunnel key helpers and redirect_neigh/redirect_peer for
// TC (tests/packet_helpers.rs, packet_helpers/skb_room.rs and network.rs). Arguments come
// from `params`; results go to the return value and skb->cb (reported in ctx_out), the
// packet to data_out.
#include "packet_params.h"

#define FIELD(skb, f) (*(volatile __u32 *)&(skb)->f)

/* adjust_room(delta, mode = offset, flags); with delta2 != 0 a second
 * adjust_room(delta2, offset2, 0) (encapsulating twice, or undoing the first). Before:
 * csum_level(INC) when `len` is 1. After: cb[1] = len, cb[2] = data_end - data, cb[3] =
 * protocol, cb[4] = csum_level(QUERY). */
SEC("tc")
int tc_adjust_room(struct __sk_buff *skb)
{
	struct params *p = get_params();
	long ret;

	if (!p)
		return -1;
	if (p->len == 1)
		bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	ret = bpf_skb_adjust_room(skb, p->delta, p->offset, p->flags) & 0xffff;
	if (p->delta2)
		ret |= (bpf_skb_adjust_room(skb, p->delta2, p->offset2, 0) & 0xffff) << 16;
	FIELD(skb, cb[0]) = ret;
	FIELD(skb, cb[1]) = FIELD(skb, len);
	FIELD(skb, cb[2]) = skb->data_end - skb->data;
	FIELD(skb, cb[3]) = FIELD(skb, protocol);
	FIELD(skb, cb[4]) = bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY);
	return ret;
}

/* csum_update(from); with len 1 after csum_level(INC). */
SEC("tc")
int tc_csum_update(struct __sk_buff *skb)
{
	struct params *p = get_params();

	if (!p)
		return -1;
	if (p->len == 1)
		bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	return bpf_csum_update(skb, p->from);
}

/* One call site per constant size (clang would merge calls differing only in the size into
 * one with a variable size, which the verifier refuses). */
#define SET_KEY(n)                                                                          \
	static __attribute__((noinline)) long set_##n(struct __sk_buff *skb,               \
						      struct bpf_tunnel_key *k, __u64 f)     \
	{                                                                                   \
		return bpf_skb_set_tunnel_key(skb, k, n, f);                                \
	}
#define GET_KEY(n)                                                                          \
	static __attribute__((noinline)) long get_##n(struct __sk_buff *skb,               \
						      struct bpf_tunnel_key *k, __u64 f)     \
	{                                                                                   \
		return bpf_skb_get_tunnel_key(skb, k, n, f);                                \
	}
SET_KEY(44) SET_KEY(28) SET_KEY(24) SET_KEY(22) SET_KEY(8) SET_KEY(12)
GET_KEY(44) GET_KEY(28) GET_KEY(24) GET_KEY(22) GET_KEY(8) GET_KEY(12)

/* Tunnel keys: with `len` != 0 set_tunnel_key(key, len, flags) where the key has id `from`,
 * remote_ipv4 / remote_ipv6[0] `to`, local the same + 1, tos 4, ttl 64, label `offset`; then
 * get_tunnel_key(cb-sized buffer, offset2 ? offset2 : 44, delta as flags). The key read goes
 * to the packet from byte 14; set's result in bits 0-15, get's in 16-31. */
SEC("tc")
int tc_tunnel_key(struct __sk_buff *skb)
{
	struct params *p = get_params();
	struct bpf_tunnel_key key = {}, got;
	long set = 0, get;

	if (!p)
		return -1;
	key.tunnel_id = p->from;
	key.remote_ipv6[0] = p->to;
	key.remote_ipv6[3] = p->to >> 32;
	key.local_ipv6[0] = p->to + 1;
	key.local_ipv6[3] = p->to >> 32;
	key.tunnel_tos = 4;
	key.tunnel_ttl = 64;
	key.tunnel_label = p->offset;
	key.tunnel_ext = p->delta2;
	switch (p->len) {
	case 44: set = set_44(skb, &key, p->flags); break;
	case 28: set = set_28(skb, &key, p->flags); break;
	case 24: set = set_24(skb, &key, p->flags); break;
	case 22: set = set_22(skb, &key, p->flags); break;
	case 8: set = set_8(skb, &key, p->flags); break;
	case 12: set = set_12(skb, &key, p->flags); break;
	}
	__builtin_memset(&got, 0x5a, sizeof(got));
	switch (p->offset2) {
	case 28: get = get_28(skb, &got, p->delta); break;
	case 24: get = get_24(skb, &got, p->delta); break;
	case 22: get = get_22(skb, &got, p->delta); break;
	case 8: get = get_8(skb, &got, p->delta); break;
	case 12: get = get_12(skb, &got, p->delta); break;
	default: get = get_44(skb, &got, p->delta); break;
	}
	bpf_skb_store_bytes(skb, 14, &got, sizeof(got), 0);
	return (set & 0xffff) | (get & 0xffff) << 16;
}

static __attribute__((noinline)) long neigh_short(__u32 ifindex, struct bpf_redir_neigh *nh,
						 __u64 flags)
{
	return bpf_redirect_neigh(ifindex, nh, 8, flags);
}

/* redirect_neigh(ifindex, nh, plen = len, flags) with nh family `offset`, address `to`;
 * plen 0 passes NULL. */
SEC("tc")
int tc_redirect_neigh(struct __sk_buff *skb)
{
	struct params *p = get_params();
	struct bpf_redir_neigh nh = {};

	if (!p)
		return -1;
	nh.nh_family = p->offset;
	nh.ipv6_nh[0] = p->to;
	nh.ipv6_nh[3] = p->to >> 32;
	switch (p->len) {
	case 0: return bpf_redirect_neigh(p->ifindex, 0, 0, p->flags);
	case 8: return neigh_short(p->ifindex, &nh, p->flags);
	default: return bpf_redirect_neigh(p->ifindex, &nh, sizeof(nh), p->flags);
	}
}

SEC("tc")
int tc_redirect_peer(struct __sk_buff *skb)
{
	struct params *p = get_params();

	if (!p)
		return -1;
	return bpf_redirect_peer(p->ifindex, p->flags);
}

/* fib_lookup as tc_fib of packet_identity.bpf.c, but with the whole struct bpf_fib_lookup
 * after the call stored in the packet from byte 14 (IPv6 addresses: `to` in the first word
 * of the destination, `from` in the last; the source `delta2` in its first word). */
SEC("tc")
int tc_fib_full(struct __sk_buff *skb)
{
	struct params *p = get_params();
	struct bpf_fib_lookup f;
	long ret;

	if (!p)
		return -1;
	__builtin_memset(&f, 0, sizeof(f));
	f.family = p->offset;
	f.ifindex = p->ifindex;
	f.tot_len = p->offset2;
	f.l4_protocol = 6;
	if (p->offset == 10) {
		f.ipv6_dst[0] = p->to;
		f.ipv6_dst[3] = p->from;
		f.ipv6_src[0] = p->delta2;
		f.ipv6_src[3] = 0x01000000;
	} else {
		f.ipv4_src = p->delta2;
		f.ipv4_dst = p->to;
	}
	f.tbid = p->delta;
	ret = bpf_fib_lookup(skb, &f, sizeof(f), p->flags);
	bpf_skb_store_bytes(skb, 14, &f, sizeof(f), 0);
	return ret;
}

SEC("xdp")
int xdp_fib_full(struct xdp_md *ctx)
{
	struct params *p = get_params();
	struct bpf_fib_lookup f;
	long ret;

	if (!p)
		return XDP_ABORTED;
	__builtin_memset(&f, 0, sizeof(f));
	f.family = p->offset;
	f.ifindex = p->ifindex;
	f.tot_len = p->offset2;
	f.l4_protocol = 6;
	if (p->offset == 10) {
		f.ipv6_dst[0] = p->to;
		f.ipv6_dst[3] = p->from;
		f.ipv6_src[0] = p->delta2;
		f.ipv6_src[3] = 0x01000000;
	} else {
		f.ipv4_src = p->delta2;
		f.ipv4_dst = p->to;
	}
	f.tbid = p->delta;
	ret = bpf_fib_lookup(ctx, &f, sizeof(f), p->flags);
	bpf_xdp_store_bytes(ctx, 14, &f, sizeof(f));
	return ret;
}

char LICENSE[] SEC("license") = "GPL";
