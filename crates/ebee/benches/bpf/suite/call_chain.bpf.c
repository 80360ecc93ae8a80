// SPDX-License-Identifier: GPL-2.0
// bpf-to-bpf calls: a chain of four functions that are not inlined, called once per payload
// word, each doing a little arithmetic on its arguments.
#include "suite.h"

static __noinline __u32 step4(__u32 x, __u32 y)
{
	return (x ^ y) * 0x9e3779b1u;
}

static __noinline __u32 step3(__u32 x, __u32 y, __u32 z)
{
	return step4(x + z, rol32(y, 5)) + z;
}

static __noinline __u32 step2(__u32 x, __u32 y)
{
	return step3(y, x, x ^ y) ^ (x >> 3);
}

static __noinline __u32 step1(__u32 acc, __u32 word, __u32 i)
{
	return step2(acc + i, word) + 1;
}

SEC("xdp") int call_chain(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 acc = 0;
	unsigned char *p = data + PAYLOAD;
	for (__u32 i = 0; i < PAYLOAD_LEN / 4; i++) {
		if (p + 4 > end)
			return 0;
		acc = step1(acc, *(__u32 *)p, i);
		p += 4;
	}
	return acc;
}
