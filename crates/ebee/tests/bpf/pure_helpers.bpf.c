// SPDX-License-Identifier: GPL-2.0
// Kernel oracle for ebee's map-free, packet-free helpers (tests/pure_helpers.rs).
// Every program is XDP so BPF_PROG_TEST_RUN can feed it inputs in the packet and
// return its results in the packet: r0 of the helper first, then any output.
#include <stddef.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* bpf_snprintf's format and argument count: ARG_PTR_TO_CONST_STR needs a frozen
 * read-only map, and the verifier checks the format against a constant data_len,
 * so both are set per load. */
const volatile char snprintf_fmt[128] = "";
const volatile __u32 snprintf_nargs = 0;

struct csum_in {
	__u32 from_size;
	__u32 to_size;
	__u32 seed;
	__u32 pad;
	__u8 from[64];
	__u8 to[64];
};

/* out[0..8] = bpf_csum_diff(from, from_size, to, to_size, seed) */
SEC("xdp")
int ph_csum_diff(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct csum_in *in = data;
	__u8 from[64], to[64];
	__u32 fs, ts;

	if ((void *)(in + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(from, in->from, sizeof(from));
	__builtin_memcpy(to, in->to, sizeof(to));
	fs = in->from_size;
	ts = in->to_size;
	if (fs > sizeof(from) || ts > sizeof(to))
		return XDP_ABORTED;
	*(__s64 *)data = bpf_csum_diff((void *)from, fs, (void *)to, ts, in->seed);
	return XDP_PASS;
}

struct strtox_in {
	__u64 flags;
	__u32 len;
	__u32 pad;
	char buf[64];
};

/* out[0..8] = r0, out[8..16] = *res (res starts as 0x5555) */
static __always_inline int strtox(struct xdp_md *ctx, int is_signed)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct strtox_in *in = data;
	char buf[64];
	__u32 len;
	long res = 0x5555;
	long ret;

	if ((void *)(in + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(buf, in->buf, sizeof(buf));
	len = in->len;
	if (len == 0 || len > sizeof(buf))
		return XDP_ABORTED;
	if (is_signed)
		ret = bpf_strtol(buf, len, in->flags, &res);
	else
		ret = bpf_strtoul(buf, len, in->flags, (unsigned long *)&res);
	((__s64 *)data)[0] = ret;
	((__s64 *)data)[1] = res;
	return XDP_PASS;
}

SEC("xdp")
int ph_strtol(struct xdp_md *ctx)
{
	return strtox(ctx, 1);
}

SEC("xdp")
int ph_strtoul(struct xdp_md *ctx)
{
	return strtox(ctx, 0);
}

struct printf_in {
	__u64 args[12];
	__u32 size;     /* str_size for snprintf; fmt_size for the printk helpers */
	__u32 ptr_mask; /* bit i: args[i] = address of strs[args[i] % 4] instead */
	__u32 data_len; /* trace_vprintk's data_len */
	__u32 pad;
	char strs[4][128];
	char fmt[128];  /* trace_printk/trace_vprintk format */
};

#define OUT_SIZE 256

/* Helpers that take strings refuse packet pointers: strings, formats and the
 * output buffer live in this per-CPU scratch value. */
struct scratch {
	char out[OUT_SIZE];
	char strs[4][128];
	char fmt[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Copies the strings and the format to the scratch value and fills args: args[i]
 * = in->args[i], or the address of the string strs[in->args[i] % 4] when bit i of
 * in->ptr_mask is set. */
static __always_inline struct scratch *printf_setup(struct printf_in *in, __u64 *args)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);

	if (!s)
		return NULL;
	__builtin_memcpy(s->strs, in->strs, sizeof(s->strs));
	__builtin_memcpy(s->fmt, in->fmt, sizeof(s->fmt));
	__builtin_memset(s->out, 0xAA, sizeof(s->out));
	for (int i = 0; i < 12; i++)
		args[i] = (in->ptr_mask & (1u << i)) ? (__u64)(long)s->strs[in->args[i] & 3] : in->args[i];
	return s;
}

/* out[0..8] = bpf_snprintf(buf, size, snprintf_fmt, args, 8 * snprintf_nargs),
 * out[8..8 + OUT_SIZE] = buf (0xAA-filled before the call). */
SEC("xdp")
int ph_snprintf(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct printf_in *in = data;
	struct scratch *s;
	__u64 args[12];
	__u32 size;

	if ((void *)(in + 1) > end || data + 8 + OUT_SIZE > end)
		return XDP_ABORTED;
	s = printf_setup(in, args);
	if (!s)
		return XDP_ABORTED;
	size = in->size;
	if (size > OUT_SIZE)
		return XDP_ABORTED;
	*(__s64 *)data = bpf_snprintf(s->out, size, (const char *)snprintf_fmt, args,
				      8 * snprintf_nargs);
	__builtin_memcpy(data + 8, s->out, OUT_SIZE);
	return XDP_PASS;
}

/* out[0..8] = bpf_trace_printk(fmt, size, args[0], args[1], args[2]) */
SEC("xdp")
int ph_trace_printk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct printf_in *in = data;
	struct scratch *s;
	__u64 args[12];
	__u32 size;

	if ((void *)(in + 1) > end)
		return XDP_ABORTED;
	s = printf_setup(in, args);
	if (!s)
		return XDP_ABORTED;
	size = in->size;
	if (size == 0 || size > sizeof(s->fmt))
		return XDP_ABORTED;
	*(__s64 *)data = bpf_trace_printk(s->fmt, size, args[0], args[1], args[2]);
	return XDP_PASS;
}

/* out[0..8] = bpf_trace_vprintk(fmt, size, args, data_len) */
SEC("xdp")
int ph_trace_vprintk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct printf_in *in = data;
	struct scratch *s;
	__u64 args[12];
	__u32 size, data_len;

	if ((void *)(in + 1) > end)
		return XDP_ABORTED;
	s = printf_setup(in, args);
	if (!s)
		return XDP_ABORTED;
	size = in->size;
	data_len = in->data_len;
	if (size == 0 || size > sizeof(s->fmt) || data_len > sizeof(args))
		return XDP_ABORTED;
	*(__s64 *)data = bpf_trace_vprintk(s->fmt, size, args, data_len);
	return XDP_PASS;
}

struct probe_in {
	__u64 addr;
	__u32 variant; /* 0 kernel, 1 user, 2 kernel_str, 3 user_str */
	__u32 pad;
};

/* out[0..8] = bpf_probe_read_{kernel,user}[_str](buf, 8, addr), out[8..16] = buf
 * (0xAA-filled before the call). */
SEC("xdp")
int ph_probe(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct probe_in *in = data;
	const void *addr;
	char buf[8];
	long ret;

	if ((void *)(in + 1) > end)
		return XDP_ABORTED;
	__builtin_memset(buf, 0xAA, sizeof(buf));
	addr = (const void *)(long)in->addr;
	switch (in->variant) {
	case 0:
		ret = bpf_probe_read_kernel(buf, sizeof(buf), addr);
		break;
	case 1:
		ret = bpf_probe_read_user(buf, sizeof(buf), addr);
		break;
	case 2:
		ret = bpf_probe_read_kernel_str(buf, sizeof(buf), addr);
		break;
	default:
		ret = bpf_probe_read_user_str(buf, sizeof(buf), addr);
		break;
	}
	((__s64 *)data)[0] = ret;
	__builtin_memcpy(data + 8, buf, sizeof(buf));
	return XDP_PASS;
}

/* out[0..4] = ktime_get_ns, ktime_get_boot_ns, ktime_get_coarse_ns, jiffies64;
 * out[4] = get_current_pid_tgid, out[5] = get_current_uid_gid, out[6..8] = comm. */
SEC("xdp")
int ph_task(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 *out = data;

	if ((void *)(out + 8) > end)
		return XDP_ABORTED;
	out[0] = bpf_ktime_get_ns();
	out[1] = bpf_ktime_get_boot_ns();
	out[2] = bpf_ktime_get_coarse_ns();
	out[3] = bpf_jiffies64();
	out[4] = bpf_get_current_pid_tgid();
	out[5] = bpf_get_current_uid_gid();
	{
		char comm[16];

		bpf_get_current_comm(comm, sizeof(comm));
		__builtin_memcpy(&out[6], comm, sizeof(comm));
	}
	return XDP_PASS;
}

/* The checksum arithmetic of l3/l4_csum_replace on a CHECKSUM_NONE skb: the packet
 * (from skb->data) is this struct; the helper updates `sum` and its r0 goes to `ret`. */
struct csum_replace_in {
	__u64 from;
	__u64 to;
	__u64 flags;
	__u16 sum;
	__u16 pad[3];
	__s64 ret;
};

static __always_inline int csum_replace(struct __sk_buff *skb, int l4)
{
	struct csum_replace_in in;
	__u32 at = offsetof(struct csum_replace_in, sum);
	__s64 ret;

	if (bpf_skb_load_bytes(skb, 0, &in, sizeof(in)))
		return 2; /* TC_ACT_SHOT */
	if (l4)
		ret = bpf_l4_csum_replace(skb, at, in.from, in.to, in.flags);
	else
		ret = bpf_l3_csum_replace(skb, at, in.from, in.to, in.flags);
	bpf_skb_store_bytes(skb, offsetof(struct csum_replace_in, ret), &ret, sizeof(ret), 0);
	return 0;
}

SEC("tc")
int ph_l3_csum_replace(struct __sk_buff *skb)
{
	return csum_replace(skb, 0);
}

SEC("tc")
int ph_l4_csum_replace(struct __sk_buff *skb)
{
	return csum_replace(skb, 1);
}

char _license[] SEC("license") = "GPL";
