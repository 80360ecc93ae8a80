// SPDX-License-Identifier: GPL-2.0
// bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf (tests/kernel_helpers.rs).
// Input: words w[0] = which format, w[1..7] = arguments; output: w[7] = the helper's
// result, the formatted text (snprintf) from byte 64.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NFMT 8

static __always_inline __u64 *words(struct xdp_md *ctx, int n)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + n * 8 > end)
		return 0;
	return data;
}

#define PRINTK(f, a, b, c)                                                             \
	({                                                                             \
		static const char _f[] = f;                                            \
		bpf_trace_printk(_f, sizeof(_f), a, b, c);                            \
	})

SEC("xdp")
int printk(struct xdp_md *ctx)
{
	__u64 *w = words(ctx, 8);
	char name[8] = "ebee";

	if (!w)
		return XDP_ABORTED;
	switch (w[0]) {
	case 0:
		w[7] = PRINTK("a=%d b=%u c=%x\n", (int)w[1], (__u32)w[2], (__u32)w[3]);
		break;
	case 1:
		w[7] = PRINTK("big %lld %llu %llx", w[1], w[2], w[3]);
		break;
	case 2:
		w[7] = PRINTK("name=%s ch=%c [%5d]\n", (long)name, w[1], (int)w[2]);
		break;
	case 3:
		w[7] = PRINTK("no conversions", 0, 0, 0);
		break;
	case 4:
		w[7] = PRINTK("bad %f", w[1], 0, 0); /* unsupported: -EINVAL */
		break;
	case 5:
		w[7] = PRINTK("%d %d %d %d", 1, 2, 3); /* 4 conversions: -EINVAL */
		break;
	default:
		w[7] = PRINTK("%-6x|%06d|%+d%%", w[1], (int)w[2], (int)w[3]);
		break;
	}
	return XDP_PASS;
}

SEC("xdp")
int vprintk(struct xdp_md *ctx)
{
	static const char f[] = "v: %d %d %d %d %d %s";
	__u64 *w = words(ctx, 8);
	char name[8] = "vp";
	__u64 args[6];

	if (!w)
		return XDP_ABORTED;
	for (int i = 0; i < 5; i++)
		args[i] = w[i + 1];
	args[5] = (long)name;
	w[7] = bpf_trace_vprintk(f, sizeof(f), args, sizeof(args));
	return XDP_PASS;
}

/* snprintf into a stack buffer (helpers may not write packets) copied to the packet from
 * byte 64 (w[0] < 8: 64 bytes of room; else 8 bytes). */
SEC("xdp")
int format(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 *w = data;
	char out[64] = {};
	char name[8] = "snp";
	__u8 ip[4] = { 192, 168, 1, 254 };
	__u64 a[8];
	long r;

	if (data + 128 > end)
		return XDP_ABORTED;
	for (int i = 0; i < 6; i++)
		a[i] = w[i + 1];
	switch (w[0] & 7) {
	case 0: {
		static const char f[] = "%d|%i|%u|%x|%X";
		r = bpf_snprintf(out, w[0] < 8 ? 64 : 8, f, a, 5 * 8);
		break;
	}
	case 1: {
		static const char f[] = "%lld %llu %llx %lli";
		r = bpf_snprintf(out, 64, f, a, 4 * 8);
		break;
	}
	case 2: {
		static const char f[] = "[%5d] [%-5d] [%05d] [%+d] [% d]";
		r = bpf_snprintf(out, 64, f, a, 5 * 8);
		break;
	}
	case 3: {
		static const char f[] = "%s,%c|%%|%pI4|%pi4";
		a[0] = (long)name;
		a[2] = (long)ip;
		a[3] = (long)ip;
		r = bpf_snprintf(out, 64, f, a, 4 * 8);
		break;
	}
	case 4: {
		static const char f[] = "%ld %lu %lx %lX";
		r = bpf_snprintf(out, 64, f, a, 4 * 8);
		break;
	}
	default: {
		static const char f[] = "plain text";
		r = bpf_snprintf(out, 64, f, 0, 0);
		break;
	}
	}
	w[7] = r;
	__builtin_memcpy(data + 64, out, sizeof(out));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
