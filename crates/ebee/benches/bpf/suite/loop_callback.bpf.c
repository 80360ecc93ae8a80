// SPDX-License-Identifier: GPL-2.0
// bpf_loop: 512 iterations of a callback that steps an xorshift generator seeded from the
// packet and folds it into a running sum.
#include "suite.h"

struct state {
	__u64 x;
	__u64 sum;
};

static long step(__u64 index, void *ctx)
{
	struct state *s = ctx;
	s->x ^= s->x << 13;
	s->x ^= s->x >> 7;
	s->x ^= s->x << 17;
	s->sum += s->x ^ index;
	return 0;
}

SEC("xdp") int loop_callback(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	if (!HAVE(data, end, PAYLOAD, 8))
		return 0;
	struct state s = { .x = *(__u64 *)(data + PAYLOAD) | 1, .sum = 0 };
	long n = bpf_loop(512, step, &s, 0);
	return (s.sum ^ (s.sum >> 32)) + n;
}
