// SPDX-License-Identifier: MIT OR Apache-2.0
// Calls kernel functions (kfuncs): the loader finds their BTF ids in the running kernel's BTF,
// and the object's BTF, which declares them extern, must still load.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

SEC("xdp")
int xdp_kfunc(struct xdp_md *ctx)
{
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
