// SPDX-License-Identifier: GPL-2.0
// Helpers that ask who and where a packet is (tests/packet_helpers.rs,
// packet_helpers/identity.rs), run in a network namespace of its own with only loopback:
// socket cookie, cgroup ids, check_mtu, fib_lookup, socket lookups. Results in the return
// value and skb->cb, or for XDP in the packet's first bytes.
#include "packet_params.h"

/* Two cookies of the test run's socket: cb[0] = (first != 0) | (first == second) << 1,
 * cb[1..2] the cookie (compared by relation only: the kernel's counter is global). */
SEC("tc")
int tc_cookie(struct __sk_buff *skb)
{
	__u64 first = bpf_get_socket_cookie(skb), second = bpf_get_socket_cookie(skb);

	skb->cb[0] = (first != 0) | (first == second) << 1;
	skb->cb[1] = first;
	skb->cb[2] = first >> 32;
	return 0;
}

SEC("socket")
int sock_cookie(struct __sk_buff *skb)
{
	__u64 first = bpf_get_socket_cookie(skb), second = bpf_get_socket_cookie(skb);

	skb->cb[0] = (first != 0) | (first == second) << 1;
	skb->cb[1] = first;
	skb->cb[2] = first >> 32;
	return 0;
}

/* Network namespace cookies: cb[0..1] = the packet's, cb[2..3] = the initial namespace's
 * (NULL context); compared by relation. */
SEC("tc")
int tc_netns_cookie(struct __sk_buff *skb)
{
	__u64 own = bpf_get_netns_cookie(skb), init = bpf_get_netns_cookie(0);

	skb->cb[0] = own;
	skb->cb[1] = own >> 32;
	skb->cb[2] = init;
	skb->cb[3] = init >> 32;
	return 0;
}

/* cb[0..1] = skb_cgroup_id, cb[2] = get_cgroup_classid, cb[3] = skb_cgroup_classid. */
SEC("tc")
int tc_cgroup(struct __sk_buff *skb)
{
	__u64 id = bpf_skb_cgroup_id(skb);

	skb->cb[0] = id;
	skb->cb[1] = id >> 32;
	skb->cb[2] = bpf_get_cgroup_classid(skb);
	skb->cb[3] = bpf_skb_cgroup_classid(skb);
	return 0;
}

/* check_mtu(ifindex, &mtu = len, delta, flags); cb[0] = mtu after. */
SEC("tc")
int tc_check_mtu(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 mtu;
	long ret;

	if (!p)
		return -1;
	mtu = p->len;
	ret = bpf_check_mtu(skb, p->ifindex, &mtu, p->delta, p->flags);
	skb->cb[0] = mtu;
	return ret;
}

SEC("xdp")
int xdp_check_mtu(struct xdp_md *ctx)
{
	struct params *p = get_params();
	__u32 mtu;
	long ret;

	if (!p)
		return XDP_ABORTED;
	mtu = p->len;
	ret = bpf_check_mtu(ctx, p->ifindex, &mtu, p->delta, p->flags);
	bpf_xdp_store_bytes(ctx, 0, &mtu, sizeof(mtu));
	return ret;
}

/* fib_lookup with family `offset`, ifindex `ifindex`, tot_len `offset2`, destination `to`
 * and flags `flags`; plen sizeof(params) unless `len` is 1 (32 bytes). The parameters after
 * the call go to the packet (XDP) or cb (TC: the first 20 bytes). */
static __always_inline void fib_params(struct bpf_fib_lookup *f, struct params *p)
{
	__builtin_memset(f, 0, sizeof(*f));
	f->family = p->offset;
	f->ifindex = p->ifindex;
	f->tot_len = p->offset2;
	f->l4_protocol = 6;
	f->ipv4_src = 0x0100000a;
	f->ipv4_dst = p->to;
	f->ipv6_dst[0] = p->to;
}

SEC("tc")
int tc_fib(struct __sk_buff *skb)
{
	struct params *p = get_params();
	struct bpf_fib_lookup f;
	long ret;

	if (!p)
		return -1;
	fib_params(&f, p);
	if (p->len == 1)
		ret = bpf_fib_lookup(skb, &f, 32, p->flags);
	else
		ret = bpf_fib_lookup(skb, &f, sizeof(f), p->flags);
	__builtin_memcpy(skb->cb, &f, 20);
	return ret;
}

SEC("xdp")
int xdp_fib(struct xdp_md *ctx)
{
	struct params *p = get_params();
	struct bpf_fib_lookup f;
	long ret;

	if (!p)
		return XDP_ABORTED;
	fib_params(&f, p);
	if (p->len == 1)
		ret = bpf_fib_lookup(ctx, &f, 32, p->flags);
	else
		ret = bpf_fib_lookup(ctx, &f, sizeof(f), p->flags);
	bpf_xdp_store_bytes(ctx, 0, &f, sizeof(f));
	return ret;
}

/* The three lookups with the tuple sizes of IPv4, IPv6 and a wrong one, netns `from` and
 * flags `flags`: bit n of the result is set when lookup n found a socket (then released). */
#define LOOKUP(n, fn, ctx, size)                                                            \
	do {                                                                                \
		struct bpf_sock *sk = fn(ctx, &t, size, p->from, p->flags);                 \
		if (sk) {                                                                   \
			bits |= 1 << (n);                                                   \
			bpf_sk_release(sk);                                                 \
		}                                                                           \
	} while (0)

#define LOOKUPS(ctx)                                                                        \
	do {                                                                                \
		LOOKUP(0, bpf_sk_lookup_tcp, ctx, sizeof(t.ipv4));                          \
		LOOKUP(1, bpf_sk_lookup_udp, ctx, sizeof(t.ipv4));                          \
		LOOKUP(2, bpf_skc_lookup_tcp, ctx, sizeof(t.ipv4));                         \
		LOOKUP(3, bpf_sk_lookup_tcp, ctx, sizeof(t.ipv6));                          \
		LOOKUP(4, bpf_sk_lookup_udp, ctx, sizeof(t.ipv6));                          \
		LOOKUP(5, bpf_skc_lookup_tcp, ctx, sizeof(t.ipv6));                         \
		LOOKUP(6, bpf_sk_lookup_tcp, ctx, 5);                                       \
	} while (0)

static __always_inline void tuple(struct bpf_sock_tuple *t, struct params *p)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->ipv4.saddr = 0x0100007f;
	t->ipv4.daddr = p->to;
	t->ipv4.sport = 0x3930;
	t->ipv4.dport = p->ifindex;
}

SEC("tc")
int tc_sk_lookup(struct __sk_buff *skb)
{
	struct params *p = get_params();
	struct bpf_sock_tuple t;
	__u32 bits = 0;

	if (!p)
		return -1;
	tuple(&t, p);
	LOOKUPS(skb);
	return bits;
}

SEC("xdp")
int xdp_sk_lookup(struct xdp_md *ctx)
{
	struct params *p = get_params();
	struct bpf_sock_tuple t;
	__u32 bits = 0;

	if (!p)
		return XDP_ABORTED;
	tuple(&t, p);
	LOOKUPS(ctx);
	return bits;
}

/* The same questions from cgroup_skb, whose test run sees the packet from the network header:
 * cb[0..1] = skb_cgroup_id, cb[2] = (cookie != 0) | (cookie stable) << 1, cb[3] = ECN. */
SEC("cgroup_skb/ingress")
int cg_identity(struct __sk_buff *skb)
{
	__u64 id = bpf_skb_cgroup_id(skb);
	__u64 cookie = bpf_get_socket_cookie(skb);

	skb->cb[0] = id;
	skb->cb[1] = id >> 32;
	skb->cb[2] = (cookie != 0) | (cookie == bpf_get_socket_cookie(skb)) << 1;
	skb->cb[3] = bpf_skb_ecn_set_ce(skb);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
