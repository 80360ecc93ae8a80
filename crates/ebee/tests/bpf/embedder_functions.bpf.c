// SPDX-License-Identifier: MIT
// Calls a helper id no kernel helper uses and a kernel function (kfunc) by BTF name: both are
// provided by the embedder through ebee's helper table.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static long (*host_scale)(long x, long factor) = (void *)0x8000;
extern int host_add(int a, int b) __ksym;

SEC("xdp")
int call_host(struct xdp_md *ctx)
{
	return host_scale(3, 7) + host_add(100, 11);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
