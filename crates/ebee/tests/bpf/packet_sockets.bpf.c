// SPDX-License-Identifier: GPL-2.0
// The socket lookups against real sockets (tests/packet_helpers/sockets.rs): the test opens
// sockets in a network namespace of its own and describes them to ebee; each run looks up
// the tuple of entry 0 of `lookups` with the helper it names and writes what it read of the
// socket into the packet. Returns 0 for NULL, else 1 | (second lookup gave the same
// pointer) << 1.
#include "packet_params.h"
#include <bpf/bpf_endian.h>

struct lookup {
	__u32 helper; /* 0 sk_lookup_tcp, 1 sk_lookup_udp, 2 skc_lookup_tcp */
	__u32 size;   /* tuple_size */
	__u64 netns;
	__u64 flags;
	struct bpf_sock_tuple tuple;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lookup);
} lookups SEC(".maps");

/* The fields of a socket common to every lookup (sock_common allows these): out[0..17]. */
#define READ_COMMON(out, sk)                                                                \
	do {                                                                                \
		out[0] = sk->bound_dev_if;                                                  \
		out[1] = sk->family;                                                        \
		out[2] = sk->src_ip4;                                                       \
		out[3] = sk->src_ip6[0];                                                    \
		out[4] = sk->src_ip6[1];                                                    \
		out[5] = sk->src_ip6[2];                                                    \
		out[6] = sk->src_ip6[3];                                                    \
		out[7] = sk->src_port;                                                      \
		out[8] = *(volatile __u32 *)&sk->dst_port;                                  \
		out[9] = sk->dst_ip4;                                                       \
		out[10] = sk->dst_ip6[0];                                                   \
		out[11] = sk->dst_ip6[1];                                                   \
		out[12] = sk->dst_ip6[2];                                                   \
		out[13] = sk->dst_ip6[3];                                                   \
		out[14] = sk->state;                                                        \
		/* Established sockets may have recorded loopback's queue, or not: timing. */ \
		out[15] = sk->state == BPF_TCP_ESTABLISHED ? 0 : sk->rx_queue_mapping;      \
		out[16] = *(volatile __u16 *)&sk->dst_port | ((volatile __u8 *)&sk->src_ip4)[1] << 16 \
			  | ((volatile __u8 *)&sk->family)[0] << 24;                        \
	} while (0)

/* And those of a full socket: out[17..20]. */
#define READ_FULL(out, sk)                                                                  \
	do {                                                                                \
		READ_COMMON(out, sk);                                                       \
		out[17] = sk->type;                                                         \
		out[18] = sk->protocol;                                                     \
		out[19] = sk->mark;                                                         \
		out[20] = sk->priority;                                                     \
	} while (0)

#define LOOK(fn, ctx, READ)                                                                 \
	do {                                                                                \
		struct bpf_sock *sk = fn(ctx, &t, size, l->netns, l->flags), *again;        \
		if (!sk)                                                                    \
			break;                                                              \
		READ(out, sk);                                                              \
		again = fn(ctx, &t, size, l->netns, l->flags);                              \
		ret = 1;                                                                    \
		if (again) {                                                                \
			ret |= (again == sk) << 1;                                          \
			bpf_sk_release(again);                                              \
		}                                                                           \
		bpf_sk_release(sk);                                                         \
	} while (0)

#define LOOKUP(ctx, store)                                                                  \
	do {                                                                                \
		__u32 key = 0, out[21] = {}, size;                                          \
		struct lookup *l = bpf_map_lookup_elem(&lookups, &key);                     \
		struct bpf_sock_tuple t;                                                    \
		long ret = 0;                                                               \
		if (!l)                                                                     \
			return -1;                                                          \
		__builtin_memcpy(&t, &l->tuple, sizeof(t));                                 \
		size = l->size;                                                             \
		if (size > sizeof(t))                                                       \
			return -2;                                                          \
		if (l->helper == 0)                                                         \
			LOOK(bpf_sk_lookup_tcp, ctx, READ_FULL);                            \
		else if (l->helper == 1)                                                    \
			LOOK(bpf_sk_lookup_udp, ctx, READ_FULL);                            \
		else                                                                        \
			LOOK(bpf_skc_lookup_tcp, ctx, READ_COMMON);                         \
		store(ctx, 0, out, sizeof(out));                                            \
		return ret;                                                                 \
	} while (0)

static __always_inline void skb_store(struct __sk_buff *skb, __u32 at, void *from, __u32 len)
{
	bpf_skb_store_bytes(skb, at, from, len, 0);
}

SEC("tc")
int tc_sk_read(struct __sk_buff *skb)
{
	LOOKUP(skb, skb_store);
}

SEC("xdp")
int xdp_sk_read(struct xdp_md *ctx)
{
	LOOKUP(ctx, bpf_xdp_store_bytes);
}

#ifdef LEAK
/* A socket looked up and not released: both verifiers refuse it (compiled with -DLEAK). */
SEC("tc")
int tc_sk_leak(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);

	return sk ? sk->state : 0;
}
#endif

#ifdef DOUBLE_RELEASE
/* 127.0.0.1:9 -> 127.0.0.1:80 looked up once and released twice (-DDOUBLE_RELEASE, run unverified). */
SEC("tc")
int tc_sk_double_release(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;

	t.ipv4.saddr = t.ipv4.daddr = bpf_htonl(0x7f000001);
	t.ipv4.sport = bpf_htons(9);
	t.ipv4.dport = bpf_htons(80);
	sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	bpf_sk_release(sk);
	bpf_sk_release(sk);
	return 1;
}
#endif

char LICENSE[] SEC("license") = "GPL";
