// SPDX-License-Identifier: GPL-2.0
// Test object for ebee-kernel: a BTF hash map, an array map, a .rodata global and
// programs of three types (XDP, tc classifier, socket filter).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} config SEC(".maps");

/* Set from user space before load; the verifier treats it as a constant. */
const volatile __u32 verdict = XDP_PASS;

/* Counts packets per EtherType in `counts`, stamps config[0] into the first
 * destination MAC byte and returns `verdict`. */
SEC("xdp")
int xdp_basic(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 key = 0;
	__u32 *cfg;
	__u32 proto;
	__u64 *count;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	proto = eth->h_proto;
	count = bpf_map_lookup_elem(&counts, &proto);
	if (count) {
		__sync_fetch_and_add(count, 1);
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&counts, &proto, &one, BPF_ANY);
	}
	cfg = bpf_map_lookup_elem(&config, &key);
	if (cfg)
		eth->h_dest[0] = (__u8)*cfg;
	return verdict;
}

/* A global (separately verified) function: the kernel needs its BTF func info,
 * which checks that the `tc` section's .BTF.ext records reach the kernel. */
__attribute__((noinline)) int tc_add(__u32 a, __u32 b)
{
	return a + b;
}

/* Returns skb->len + config[1]. */
SEC("tc")
int tc_basic(struct __sk_buff *skb)
{
	__u32 key = 1;
	__u32 *cfg = bpf_map_lookup_elem(&config, &key);

	return tc_add(skb->len, cfg ? *cfg : 0);
}

/* Accepts the whole packet (returns skb->len). */
SEC("socket")
int socket_basic(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
