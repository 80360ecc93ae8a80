/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the packet helper test programs (tests/packet_helpers.rs): the arguments of
 * the helper under test come from entry 0 of the `params` array, which the test sets on
 * both sides (ebee and the kernel) before each run, so one load serves every case. */
#ifndef EBEE_TEST_PACKET_PARAMS_H
#define EBEE_TEST_PACKET_PARAMS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct params {
	__s32 delta;   /* adjust_head/tail/meta offset */
	__s32 delta2;  /* a second adjustment */
	__u32 offset;  /* load/store/csum offset */
	__u32 offset2; /* second offset (store after load) */
	__u64 flags;
	__u64 from;
	__u64 to;
	__u32 ifindex; /* redirect target; skb_load_bytes_relative start header */
	__u32 len;     /* skb_pull_data length */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct params);
} params SEC(".maps");

static __always_inline struct params *get_params(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&params, &key);
}

#endif
