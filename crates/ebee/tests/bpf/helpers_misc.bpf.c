// SPDX-License-Identifier: GPL-2.0
// Time, CPU, task, string, loop, iteration and spin-lock helpers (tests/kernel_helpers.rs).
// Every program is XDP: inputs come in the packet, results go back into it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u64 *words(struct xdp_md *ctx, int n)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + n * 8 > end)
		return 0;
	return data;
}

/* w[0..5] = ktime_get_ns, ktime_get_ns, ktime_get_boot_ns, ktime_get_coarse_ns, jiffies64 */
SEC("xdp")
int clocks(struct xdp_md *ctx)
{
	__u64 *w = words(ctx, 5);

	if (!w)
		return XDP_ABORTED;
	w[0] = bpf_ktime_get_ns();
	w[1] = bpf_ktime_get_ns();
	w[2] = bpf_ktime_get_boot_ns();
	w[3] = bpf_ktime_get_coarse_ns();
	w[4] = bpf_jiffies64();
	return XDP_PASS;
}

/* w[0] = smp_processor_id, w[1] = numa_node_id, w[2], w[3] = two prandom draws */
SEC("xdp")
int cpu_and_random(struct xdp_md *ctx)
{
	__u64 *w = words(ctx, 4);

	if (!w)
		return XDP_ABORTED;
	w[0] = bpf_get_smp_processor_id();
	w[1] = bpf_get_numa_node_id();
	w[2] = bpf_get_prandom_u32();
	w[3] = bpf_get_prandom_u32();
	return XDP_PASS;
}

/* w[0] = pid_tgid, w[1] = uid_gid, w[2] = get_current_comm(&w[3], 16), w[5] =
 * get_current_comm into 4 bytes at w[6] */
SEC("xdp")
int task(struct xdp_md *ctx)
{
	__u64 *w = words(ctx, 8);
	char comm[16], small[4];

	if (!w)
		return XDP_ABORTED;
	w[0] = bpf_get_current_pid_tgid();
	w[1] = bpf_get_current_uid_gid();
	w[2] = bpf_get_current_comm(comm, sizeof(comm));
	__builtin_memcpy(&w[3], comm, sizeof(comm));
	w[5] = bpf_get_current_comm(small, sizeof(small));
	__builtin_memcpy(&w[6], small, sizeof(small));
	return XDP_PASS;
}

struct str_in {
	__u64 flags;
	__u32 len;
	__u32 pad;
	char buf[32];
	/* results */
	__s64 strtol_ret;
	__s64 strtol_res;
	__s64 strtoul_ret;
	__u64 strtoul_res;
	__s64 cmp[4];
};

/* strtol and strtoul of buf[0..len] (len 1..32) with base flags; strncmp of the same bytes
 * with four constant strings. */
SEC("xdp")
int strings(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct str_in *in = data;
	char buf[32];
	long res = 0x5555;
	unsigned long ures = 0x5555;
	__u32 len;

	if ((void *)(in + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(buf, in->buf, sizeof(buf));
	len = (in->len - 1) % 32 + 1;
	in->strtol_ret = bpf_strtol(buf, len, in->flags, &res);
	in->strtol_res = res;
	in->strtoul_ret = bpf_strtoul(buf, len, in->flags, &ures);
	in->strtoul_res = ures;
	in->cmp[0] = bpf_strncmp(buf, len, "hello");
	in->cmp[1] = bpf_strncmp(buf, len, "hell");
	in->cmp[2] = bpf_strncmp(buf, len, "");
	in->cmp[3] = bpf_strncmp(buf, len, "help me");
	return XDP_PASS;
}

struct loop_ctx {
	__u64 sum;
	__u64 stop;
	__u64 calls;
};

static long loop_step(__u64 i, void *ctx)
{
	struct loop_ctx *l = ctx;

	l->sum += i + 1;
	l->calls++;
	return i >= l->stop;
}

/* w[0] = nr_loops, w[1] = the index that stops the loop, w[2] = flags;
 * out: w[3] = bpf_loop's result, w[4] = sum of (i + 1), w[5] = callback calls */
SEC("xdp")
int loops(struct xdp_md *ctx)
{
	__u64 *w = words(ctx, 6);
	struct loop_ctx l = {};

	if (!w)
		return XDP_ABORTED;
	l.stop = w[1];
	w[3] = bpf_loop(w[0], loop_step, &l, w[2]);
	w[4] = l.sum;
	w[5] = l.calls;
	return XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 6);
	__type(key, __u32);
	__type(value, __u64);
} iter_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} iter_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} iter_percpu SEC(".maps");

struct each_ctx {
	__u64 sum;
	__u64 order; /* the keys visited, 4 bits each */
	__u64 stop;  /* stop after this many elements */
	__u64 seen;
};

/* Sums the values, records the order of the keys, adds 100 to each value it visits. */
static long each_elem(void *map, __u32 *key, __u64 *value, struct each_ctx *c)
{
	c->sum += *value;
	c->order = c->order << 4 | (*key & 0xf);
	*value += 100;
	return ++c->seen >= c->stop;
}

/* w[0]: which map (0 array, 1 hash, 2 per-CPU array), w[1]: stop after, w[2]: flags;
 * out: w[3] = for_each_map_elem's result, w[4] = sum, w[5] = key order */
SEC("xdp")
int for_each(struct xdp_md *ctx)
{
	__u64 *w = words(ctx, 6);
	struct each_ctx c = {};
	long r;

	if (!w)
		return XDP_ABORTED;
	c.stop = w[1];
	if (w[0] == 0)
		r = bpf_for_each_map_elem(&iter_array, each_elem, &c, w[2]);
	else if (w[0] == 1)
		r = bpf_for_each_map_elem(&iter_hash, each_elem, &c, w[2]);
	else
		r = bpf_for_each_map_elem(&iter_percpu, each_elem, &c, w[2]);
	w[3] = r;
	w[4] = c.sum;
	w[5] = c.order;
	return XDP_PASS;
}

struct locked {
	struct bpf_spin_lock lock;
	__u32 updates;
	__u64 counter;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct locked);
} locks SEC(".maps");

/* Adds w[1] to locks[w[0]].counter under its lock; w[2] = the counter after, w[3] = 1 when
 * the element exists. */
SEC("xdp")
int spin(struct xdp_md *ctx)
{
	__u64 *w = words(ctx, 4);
	struct locked *v;
	__u32 key;

	if (!w)
		return XDP_ABORTED;
	key = w[0];
	v = bpf_map_lookup_elem(&locks, &key);
	w[3] = v != 0;
	if (!v)
		return XDP_PASS;
	bpf_spin_lock(&v->lock);
	v->counter += w[1];
	v->updates++;
	w[2] = v->counter;
	bpf_spin_unlock(&v->lock);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
