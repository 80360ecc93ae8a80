// SPDX-License-Identifier: MIT OR Apache-2.0
// Objects in the formats older toolchains and loaders wrote (tests/legacy_formats.rs):
// libbpf 0.x `struct bpf_map_def` records in `maps` (the test rewrites their symbol sizes to
// 0, as clang before 10 wrote them), section names only libbpf 0.x's prefix rules know,
// maps libbpf adjusts at load (a perf event array without sizes, a ring buffer of a size
// that is no power-of-two number of pages, a scratch array the host sizes), and a global
// function of `.text` that no section calls.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4,
};

struct bpf_map_def SEC("maps") lengths = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 16,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def SEC("maps") events = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
};

struct bpf_map_def SEC("maps") records = {
	.type = BPF_MAP_TYPE_RINGBUF,
	.max_entries = 5000,
};

// Declared with value size 0: the host sets it before load.
struct bpf_map_def SEC("maps") scratch = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = 0,
	.max_entries = 1,
};

static __always_inline void count(__u32 key, __u32 len)
{
	__u64 *n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		*n += 1;
	bpf_map_update_elem(&lengths, &key, &len, BPF_ANY);
}

// libbpf 0.x prefix "xdp" (xdp_adjust_meta's section name).
SEC("xdp_mark")
int mark_by_length(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	count(0, len);
	return len > 100 ? XDP_DROP : XDP_PASS;
}

// libbpf 0.x prefix "socket".
SEC("socket1")
int half_length(struct __sk_buff *skb)
{
	count(1, skb->len);
	__u32 zero = 0;
	__u64 *slot = bpf_map_lookup_elem(&scratch, &zero);
	if (!slot)
		return 0;
	slot[1] += skb->len; // the scratch value is 16 bytes once the host sized it
	return skb->len / 2;
}

// A global function in .text that no section calls: its own entry point, whose type the
// host gives (`--type classifier`).
__attribute__((noinline)) int text_entry(struct __sk_buff *skb)
{
	count(2, skb->len);
	return skb->len > 60 ? 2 : 0;
}

char LICENSE[] SEC("license") = "GPL";
