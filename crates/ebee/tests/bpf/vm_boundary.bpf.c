// SPDX-License-Identifier: GPL-2.0
// Programs at the VM boundary (tests/vm_boundary.rs). Compiled with -DPROGRAM=n, one program
// per object, since the kernel refuses the object when one program fails to load.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 limit = 7;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

#if PROGRAM == 1
/* Stores to a `const volatile` global: .rodata is read-only for programs. */
SEC("xdp")
int write_rodata(struct xdp_md *ctx)
{
	*(volatile __u32 *)&limit = 9;
	return XDP_PASS;
}
#elif PROGRAM == 2
/* A program without a packet: its context is host bytes. */
SEC("kprobe/do_nothing")
int probe(void *ctx)
{
	return limit;
}
#else
/* Counts its runs (the object the load-and-drop test uses). */
SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&counts, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return limit == 7 ? XDP_PASS : XDP_DROP;
}
#endif

char LICENSE[] SEC("license") = "GPL";
