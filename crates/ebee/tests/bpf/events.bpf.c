// SPDX-License-Identifier: GPL-2.0
// BPF_MAP_TYPE_RINGBUF and BPF_MAP_TYPE_PERF_EVENT_ARRAY: ringbuf_output, ringbuf_reserve,
// ringbuf_submit, ringbuf_discard, ringbuf_query and perf_event_output
// (tests/kernel_events.rs).
#include "cmd.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

/* A record of cmd.value bytes (at most 64) holding the bytes of the packet after the
 * command, written by ringbuf_output with flags cmd.flags. */
SEC("xdp")
int rb_output(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);
	__u8 buf[64];
	__u32 len;

	if (!c)
		return XDP_ABORTED;
	for (int i = 0; i < 64; i++)
		buf[i] = c->key + i;
	len = c->value;
	if (len > sizeof(buf))
		len = sizeof(buf);
	c->res = bpf_ringbuf_output(&ring, buf, len, c->flags);
	return XDP_PASS;
}

/* Reserves 16 bytes (or cmd.value when it is not 0: a non-constant size is refused by
 * the verifier, so sizes come from a switch), fills them, then submits (op 1) or
 * discards (op 2) with flags cmd.flags. res: 1 when the reservation succeeded. */
SEC("xdp")
int rb_reserve(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);
	__u64 *rec;

	if (!c)
		return XDP_ABORTED;
	switch (c->value) {
	case 0:
		rec = bpf_ringbuf_reserve(&ring, 16, 0);
		break;
	case 1:
		rec = bpf_ringbuf_reserve(&ring, 4000, 0);
		break;
	case 2:
		rec = bpf_ringbuf_reserve(&ring, 16, 1); /* flags must be 0 */
		break;
	default:
		rec = bpf_ringbuf_reserve(&ring, 8192, 0); /* larger than the ring */
		break;
	}
	c->res = rec != 0;
	if (!rec)
		return XDP_PASS;
	rec[0] = 0x1122334455667788ULL + c->key;
	rec[1] = c->value;
	if (c->op == 2)
		bpf_ringbuf_discard(rec, c->flags);
	else
		bpf_ringbuf_submit(rec, c->flags);
	return XDP_PASS;
}

/* out = ringbuf_query(ring, cmd.flags) */
SEC("xdp")
int rb_query(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);

	if (!c)
		return XDP_ABORTED;
	c->out = bpf_ringbuf_query(&ring, c->flags);
	return XDP_PASS;
}

/* res = perf_event_output(ctx, perf, cmd.flags, bytes key.., cmd.value bytes) */
SEC("xdp")
int perf_output(struct xdp_md *ctx)
{
	struct cmd *c = cmd_of(ctx);
	__u8 buf[64];
	__u32 len;

	if (!c)
		return XDP_ABORTED;
	for (int i = 0; i < 64; i++)
		buf[i] = c->key + i;
	len = c->value;
	if (len > sizeof(buf))
		len = sizeof(buf);
	c->res = bpf_perf_event_output(ctx, &perf, c->flags, buf, len);
	return XDP_PASS;
}

/* The same from TC (bpf_skb_event_output: BPF_F_CTXLEN_MASK appends skb bytes). */
SEC("tc")
int perf_output_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct cmd *c = data;
	__u8 buf[64];
	__u32 len;

	if ((void *)(c + 1) > end)
		return 2; /* TC_ACT_SHOT */
	for (int i = 0; i < 64; i++)
		buf[i] = c->key + i;
	len = c->value;
	if (len > sizeof(buf))
		len = sizeof(buf);
	c->res = bpf_perf_event_output(skb, &perf, c->flags, buf, len);
	return 0; /* TC_ACT_OK */
}

char LICENSE[] SEC("license") = "GPL";
