// SPDX-License-Identifier: GPL-2.0
// The verifier must reject this: packet access without a bounds check.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_reject(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[20];
}

char LICENSE[] SEC("license") = "GPL";
