// SPDX-License-Identifier: GPL-2.0
// Tracing helpers on contexts the host supplies (tests/tracing_helpers.rs): get_stack,
// get_func_ip, override_return, probe_write_user, perf_event_read. The kernel cannot
// test-run these types; it loads the object to show it accepts it. Results go to `out`.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 4);
} events SEC(".maps");

static __always_inline void put(__u32 i, __u64 v)
{
	bpf_map_update_elem(&out, &i, &v, 0);
}

/* get_stack with the flags in r8 (the context's, a host choice), the 64-byte buffer's first
 * eight words and the result to out[0..8], get_func_ip to out[9]. */
SEC("kprobe/do_stack")
int kprobe_stack(struct pt_regs *ctx)
{
	__u64 buf[8];
	long ret;

	ret = bpf_get_stack(ctx, buf, sizeof(buf), ctx->r8);
	put(8, ret);
	for (int i = 0; i < 8; i++)
		put(i, buf[i]);
	put(9, bpf_get_func_ip(ctx));
	return 0;
}

/* get_stack into 12 bytes: never a multiple of an element. */
SEC("kprobe/do_stack_odd")
int kprobe_stack_odd(struct pt_regs *ctx)
{
	char buf[12];

	put(8, bpf_get_stack(ctx, buf, sizeof(buf), 0));
	return 0;
}

/* override_return(rdi) and probe_write_user: kernels built without
 * CONFIG_BPF_KPROBE_OVERRIDE, or locked down against user writes, refuse them (the test's
 * kernel does both): the test gives the kernel a build with -DKERNEL_SUBSET. */
#ifndef KERNEL_SUBSET
SEC("kprobe/do_override")
int kprobe_override(struct pt_regs *ctx)
{
	put(0, bpf_override_return(ctx, ctx->rdi));
	return 0;
}

/* probe_write_user(rdi, "ebee", 5) and the bytes read back. */
SEC("uprobe/do_write")
int uprobe_write(struct pt_regs *ctx)
{
	char text[8] = "ebee";
	__u64 back = 0;

	put(0, bpf_probe_write_user((void *)ctx->rdi, text, 5));
	bpf_probe_read_user(&back, sizeof(back), (void *)ctx->rdi);
	put(1, back);
	return 0;
}
#endif

/* perf_event_read(events, rdi). */
SEC("kprobe/do_read")
int kprobe_perf_read(struct pt_regs *ctx)
{
	put(0, bpf_perf_event_read(&events, ctx->rdi));
	return 0;
}

/* get_stack of a tracepoint: no registers. (The kernel refuses get_func_ip here.) */
SEC("tracepoint/syscalls/sys_enter_getpid")
int tp_stack(void *ctx)
{
	__u64 buf[2];

	put(8, bpf_get_stack(ctx, buf, sizeof(buf), 0));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
