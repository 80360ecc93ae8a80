// SPDX-License-Identifier: GPL-2.0
// Global data: .rodata (const volatile, set before load), .data, .bss and a custom
// .data.* section, read and written by programs (tests/kernel_events.rs).
#include "cmd.h"

/* Set before load by the test (ebee: ObjectBuilder::set_global; kernel: LoadOptions). */
const volatile __u32 verdict = XDP_PASS;
const volatile __u64 factor = 1;
const volatile __u8 table[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* .data */
__u64 total = 1000;
__u32 seen[4] = { 10, 20, 30, 40 };

/* .bss */
__u64 runs;
struct {
	__u32 last_key;
	__u16 last_op;
	__u8 flag;
} last;

/* A custom data section (libbpf: its own array map named after the section). */
__u64 custom_counter SEC(".data.custom") = 7;

SEC("xdp")
int use_globals(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);
	__u32 i;

	if (!c)
		return XDP_ABORTED;
	i = c->key & 3;
	runs++;
	total += c->value * factor;
	seen[i]++;
	last.last_key = c->key;
	last.last_op = c->op;
	last.flag = 1;
	custom_counter += table[c->key & 7];
	c->out = total;
	c->out2 = seen[i] | (__u64)table[i + 4] << 32;
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
