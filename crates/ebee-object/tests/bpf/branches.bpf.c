// SPDX-License-Identifier: MIT OR Apache-2.0
// Jumps: every condition on 64- and 32-bit operands against an immediate and a register,
// `goto`, `gotol` and `may_goto`, and bpf-to-bpf calls between noinline static functions.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NOINLINE static __attribute__((noinline))

__u64 trace = 0;

// A call in each branch keeps clang from turning the comparisons into selects.
NOINLINE void mark(__u64 bit)
{
	trace |= bit;
}

// Comparisons as clang compiles them: it canonicalises the conditions, so only some of the
// jump forms appear here.
NOINLINE void cmp64(__u64 a, __u64 b)
{
	__s64 sa = (__s64)a, sb = (__s64)b;
	if (a == 11) mark(1);
	if (a != b) mark(2);
	if (a > 12) mark(4);
	if (a >= b) mark(8);
	if (a < 13) mark(16);
	if (a <= b) mark(32);
	if (a & 0x40) mark(64);
	if (a & b) mark(128);
	if (sa > -14) mark(256);
	if (sa >= sb) mark(512);
	if (sa < -15) mark(1024);
	if (sa <= sb) mark(2048);
}

NOINLINE void cmp32(__u32 a, __u32 b)
{
	__s32 sa = (__s32)a, sb = (__s32)b;
	if (a == 21) mark(1);
	if (a != b) mark(2);
	if (a > 22) mark(4);
	if (a >= b) mark(8);
	if (a < 23) mark(16);
	if (a <= b) mark(32);
	if (a & 0x40) mark(64);
	if (a & b) mark(128);
	if (sa > -24) mark(256);
	if (sa >= sb) mark(512);
	if (sa < -25) mark(1024);
	if (sa <= sb) mark(2048);
}

// Every condition in every form, written out in assembly: each jump skips one increment of r.
// The "w" constraint puts a 32-bit value in a 32-bit subregister (wN).
#define JUMP(cond, a, b, constraint)                              \
	asm volatile("if %[x] " cond " %[y] goto +1\n\t"            \
		     "%[r] += 1\n\t"                                 \
		     "if %[x] " cond " -7 goto +1\n\t"               \
		     "%[r] += 1"                                     \
		     : [r] "+r"(r)                                   \
		     : [x] constraint(a), [y] constraint(b))
#define JUMP64(cond) JUMP(cond, a, b, "r")
#define JUMP32(cond) JUMP(cond, (__u32)a, (__u32)b, "w")

NOINLINE __u64 all_conditions(__u64 a, __u64 b)
{
	__u64 r = 0;
	JUMP64("==");
	JUMP64("!=");
	JUMP64(">");
	JUMP64(">=");
	JUMP64("<");
	JUMP64("<=");
	JUMP64("&");
	JUMP64("s>");
	JUMP64("s>=");
	JUMP64("s<");
	JUMP64("s<=");
	JUMP32("==");
	JUMP32("!=");
	JUMP32(">");
	JUMP32(">=");
	JUMP32("<");
	JUMP32("<=");
	JUMP32("&");
	JUMP32("s>");
	JUMP32("s>=");
	JUMP32("s<");
	JUMP32("s<=");
	// `gotol` (32-bit offset); clang only emits it for jumps too far for a 16-bit offset.
	asm volatile("gotol +1\n\t%[r] += 100" : [r] "+r"(r));
	// `may_goto` (BPF_JCOND), the escape of bpf_experimental.h's `can_loop`.
	asm volatile("may_goto +1\n\t%[r] += 1" : [r] "+r"(r));
	return r;
}

SEC("xdp")
int branches(struct xdp_md *ctx)
{
	__u64 a = ctx->rx_queue_index;
	__u64 b = ctx->ingress_ifindex;
	cmp64(a, b);
	cmp64(b, a);
	cmp32((__u32)a, (__u32)b);
	__u64 r = all_conditions(a, b) + all_conditions(b, a);
	return trace + r > 100 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
