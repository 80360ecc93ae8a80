// SPDX-License-Identifier: GPL-2.0
// Map operations for benches/maps_vs_kernel.rs: each XDP program performs N_OPS operations of
// one kind per run, so that (run time - baseline run time) / N_OPS is the cost of one
// operation. Every program has the same loop: a bounded, not unrolled loop over i in
// [0, N_OPS) whose key is (seed + i * STRIDE) % N_ENTRIES, stored on the stack. The
// baseline does nothing else; the others add one helper call per iteration.
//
// The packet carries the seed in (bytes 0..4) and the number of successful operations of
// the last run out (bytes 4..8), so the bench can check that both runtimes did the same work.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define N_OPS 64
#define N_ENTRIES 10000
#define HASH_MAX 16384 /* room to replace existing LRU elements without evicting */
#define STRIDE 157     /* coprime with N_ENTRIES: 64 distinct keys per run */

struct lpm_key {
	__u32 prefixlen;
	__u32 addr; /* network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, N_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, N_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} percpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HASH_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HASH_MAX);
	__type(key, __u32);
	__type(value, __u64);
} percpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HASH_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lru_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, HASH_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u64);
} lpm_trie SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} ringbuf SEC(".maps");

/* The seed word and the result word at the start of the packet. */
static __always_inline __u32 *packet_io(struct xdp_md *ctx)
{
	__u32 *io = (void *)(long)ctx->data;

	if ((void *)(io + 2) > (void *)(long)ctx->data_end)
		return 0;
	return io;
}

/* One program: `body` runs N_OPS times with `key` (a __u32 on the stack) and `i` set, and
 * adds to `done` the operations that succeeded. */
#define MAP_OP(name, key_type, make_key, body)                                                 \
	SEC("xdp")                                                                             \
	int name(struct xdp_md *ctx)                                                           \
	{                                                                                      \
		__u32 *io = packet_io(ctx);                                                    \
		__u32 seed, done = 0;                                                          \
                                                                                               \
		if (!io)                                                                       \
			return XDP_ABORTED;                                                    \
		seed = io[0];                                                                  \
		_Pragma("clang loop unroll(disable)") for (__u32 i = 0; i < N_OPS; i++)        \
		{                                                                              \
			__u32 k = (seed + i * STRIDE) % N_ENTRIES;                             \
			key_type key = make_key;                                               \
			body                                                                   \
		}                                                                              \
		io[1] = done;                                                                  \
		return XDP_PASS;                                                               \
	}

#define LOOKUP(map)                                                                            \
	{                                                                                      \
		__u64 *v = bpf_map_lookup_elem(&map, &key);                                    \
		if (v)                                                                         \
			done += *v;                                                            \
	}

#define UPDATE(map)                                                                            \
	{                                                                                      \
		__u64 value = 1;                                                               \
		if (bpf_map_update_elem(&map, &key, &value, BPF_ANY) == 0)                     \
			done++;                                                                \
	}

/* Forces `key` into its stack slot, as passing &key to a helper does, and counts. */
#define BASELINE                                                                               \
	{                                                                                      \
		asm volatile("" : : "r"(&key) : "memory");                                     \
		done++;                                                                        \
	}

#define U32_KEY k
#define LPM_HOST(k) ((struct lpm_key){ 32, bpf_htonl(0x0a000000 | ((k) << 8) | 5) })
#define LPM_PREFIX(k) ((struct lpm_key){ 24, bpf_htonl(0x0a000000 | ((k) << 8)) })

MAP_OP(baseline, __u32, U32_KEY, BASELINE)
MAP_OP(helper_call, __u32, U32_KEY, { done += bpf_get_prandom_u32() & 1; asm volatile("" : : "r"(&key) : "memory"); })
MAP_OP(array_lookup, __u32, U32_KEY, LOOKUP(array))
MAP_OP(array_update, __u32, U32_KEY, UPDATE(array))
MAP_OP(percpu_array_lookup, __u32, U32_KEY, LOOKUP(percpu_array))
MAP_OP(percpu_array_update, __u32, U32_KEY, UPDATE(percpu_array))
MAP_OP(hash_lookup, __u32, U32_KEY, LOOKUP(hash))
MAP_OP(hash_update, __u32, U32_KEY, UPDATE(hash))
MAP_OP(percpu_hash_lookup, __u32, U32_KEY, LOOKUP(percpu_hash))
MAP_OP(percpu_hash_update, __u32, U32_KEY, UPDATE(percpu_hash))
MAP_OP(lru_hash_lookup, __u32, U32_KEY, LOOKUP(lru_hash))
MAP_OP(lru_hash_update, __u32, U32_KEY, UPDATE(lru_hash))
MAP_OP(lpm_trie_lookup, struct lpm_key, LPM_HOST(k), LOOKUP(lpm_trie))
MAP_OP(lpm_trie_update, struct lpm_key, LPM_PREFIX(k), UPDATE(lpm_trie))
MAP_OP(ringbuf_output, __u32, U32_KEY, {
	__u64 record = k;
	if (bpf_ringbuf_output(&ringbuf, &record, sizeof(record), BPF_RB_NO_WAKEUP) == 0)
		done++;
	asm volatile("" : : "r"(&key) : "memory");
})

char LICENSE[] SEC("license") = "GPL";
