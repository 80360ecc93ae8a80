// SPDX-License-Identifier: GPL-2.0
// The XDP packet helpers (tests/packet_helpers.rs): each program calls the helper under
// test with the arguments in `params`, then reports what it sees through the context (the
// helper results, data_end - data and data - data_meta) in the first 16 bytes of the
// packet, and returns the (first) helper result.
#include "packet_params.h"

struct report {
	__s32 ret;
	__s32 ret2;
	__u32 len;
	__u32 metalen;
};

static __always_inline void report(struct xdp_md *ctx, long ret, long ret2)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	void *meta = (void *)(long)ctx->data_meta;
	struct report *r = data;

	if ((void *)(r + 1) > end)
		return;
	r->ret = ret;
	r->ret2 = ret2;
	r->len = end - data;
	r->metalen = data - meta;
}

/* Writes a marker into the first 4 bytes of the metadata, if there are 4. */
static __always_inline void mark_meta(struct xdp_md *ctx, __u32 marker)
{
	void *data = (void *)(long)ctx->data;
	__u32 *meta = (void *)(long)ctx->data_meta;

	if ((void *)(meta + 1) <= data)
		*meta = marker;
}

SEC("xdp")
int xdp_head(struct xdp_md *ctx)
{
	struct params *p = get_params();
	long ret;

	if (!p)
		return XDP_ABORTED;
	ret = bpf_xdp_adjust_head(ctx, p->delta);
	report(ctx, ret, 0);
	return ret;
}

SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	struct params *p = get_params();
	long ret, len;

	if (!p)
		return XDP_ABORTED;
	ret = bpf_xdp_adjust_tail(ctx, p->delta);
	len = bpf_xdp_get_buff_len(ctx);
	report(ctx, ret, len);
	return ret;
}

SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	struct params *p = get_params();
	long ret;

	if (!p)
		return XDP_ABORTED;
	ret = bpf_xdp_adjust_meta(ctx, p->delta);
	mark_meta(ctx, 0xa1b2c3d4);
	report(ctx, ret, 0);
	return ret;
}

/* adjust_meta, then adjust_head: the metadata must move with the data. */
SEC("xdp")
int xdp_meta_head(struct xdp_md *ctx)
{
	struct params *p = get_params();
	long ret, ret2;

	if (!p)
		return XDP_ABORTED;
	ret = bpf_xdp_adjust_meta(ctx, p->delta);
	mark_meta(ctx, 0x11223344);
	ret2 = bpf_xdp_adjust_head(ctx, p->delta2);
	report(ctx, ret, ret2);
	return ret2;
}

/* adjust_head, then adjust_tail. */
SEC("xdp")
int xdp_head_tail(struct xdp_md *ctx)
{
	struct params *p = get_params();
	long ret, ret2;

	if (!p)
		return XDP_ABORTED;
	ret = bpf_xdp_adjust_head(ctx, p->delta);
	ret2 = bpf_xdp_adjust_tail(ctx, p->delta2);
	report(ctx, ret, ret2);
	return ret2;
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	struct params *p = get_params();

	if (!p)
		return XDP_ABORTED;
	return bpf_redirect(p->ifindex, p->flags);
}

/* load 8 bytes at offset, store them at offset2 (a failed load leaves the 0xee filler,
 * which the store then writes); returns (load result & 0xff) | (store result & 0xff) << 8. */
SEC("xdp")
int xdp_load_store(struct xdp_md *ctx)
{
	struct params *p = get_params();
	__u8 buf[8];
	long ret, ret2;

	if (!p)
		return XDP_ABORTED;
	__builtin_memset(buf, 0xee, sizeof(buf));
	ret = bpf_xdp_load_bytes(ctx, p->offset, buf, sizeof(buf));
	ret2 = bpf_xdp_store_bytes(ctx, p->offset2, buf, sizeof(buf));
	return (ret & 0xff) | (ret2 & 0xff) << 8;
}

/* adjust_tail(delta), then load `len & 63` + 1 bytes at offset and store them at offset2
 * (the 0xee filler where the load failed); returns the three results, one byte each, and
 * the buffer length in the top byte's place (<< 24). */
SEC("xdp")
int xdp_bytes_len(struct xdp_md *ctx)
{
	struct params *p = get_params();
	__u8 buf[64];
	__u32 len;
	long ret0, ret, ret2;

	if (!p)
		return XDP_ABORTED;
	__builtin_memset(buf, 0xee, sizeof(buf));
	len = (p->len & 63) + 1;
	ret0 = bpf_xdp_adjust_tail(ctx, p->delta);
	ret = bpf_xdp_load_bytes(ctx, p->offset, buf, len);
	ret2 = bpf_xdp_store_bytes(ctx, p->offset2, buf, len);
	return (ret & 0xff) | (ret2 & 0xff) << 8 | (ret0 & 0xff) << 16 |
	       bpf_xdp_get_buff_len(ctx) << 24;
}

SEC("xdp")
int xdp_buff_len(struct xdp_md *ctx)
{
	return bpf_xdp_get_buff_len(ctx);
}

char LICENSE[] SEC("license") = "GPL";
