// SPDX-License-Identifier: MIT OR Apache-2.0
// Atomic read-modify-write on global variables: add, or, and, xor with and without fetching
// the old value, exchange and compare-exchange, on 32- and 64-bit words (-mcpu=v4).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 counter64 = 0;
__u32 counter32 = 0;
__u64 flags64 = 0xf0;
__u32 flags32 = 0xf0;
__u64 fetched = 0;

SEC("xdp")
int atomics(struct xdp_md *ctx)
{
	__u64 v = ctx->rx_queue_index + 1;
	__u32 w = ctx->ingress_ifindex | 1;

	// Result unused: the non-fetching forms.
	__sync_fetch_and_add(&counter64, v);
	__sync_fetch_and_add(&counter32, w);
	__sync_fetch_and_or(&flags64, v);
	__sync_fetch_and_or(&flags32, w);
	__sync_fetch_and_and(&flags64, v | 0x0f);
	__sync_fetch_and_and(&flags32, w | 0x0f);
	__sync_fetch_and_xor(&flags64, v);
	__sync_fetch_and_xor(&flags32, w);

	// Result used: the fetching forms.
	__u64 r = __sync_fetch_and_add(&counter64, 2);
	r += __sync_fetch_and_add(&counter32, 2);
	r += __sync_fetch_and_or(&flags64, 0x100);
	r += __sync_fetch_and_or(&flags32, 0x100);
	r += __sync_fetch_and_and(&flags64, ~0x100ULL);
	r += __sync_fetch_and_and(&flags32, ~0x100U);
	r += __sync_fetch_and_xor(&flags64, 0x3);
	r += __sync_fetch_and_xor(&flags32, 0x3);
	r += __atomic_exchange_n(&counter64, r, __ATOMIC_SEQ_CST);
	r += __atomic_exchange_n(&counter32, (__u32)r, __ATOMIC_SEQ_CST);
	r += __sync_val_compare_and_swap(&flags64, 0xf3, r);
	r += __sync_val_compare_and_swap(&flags32, 0xf3, (__u32)r);
	fetched = r;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
