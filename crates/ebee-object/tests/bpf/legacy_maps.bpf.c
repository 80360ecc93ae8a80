// SPDX-License-Identifier: MIT OR Apache-2.0
// Legacy map definitions in the `maps` section, as iproute2 and old libbpf read them: one
// record of the classic 20-byte `struct bpf_map_def`, one with extra trailing fields.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// Modern libbpf headers dropped this struct; it is declared here as it used to be.
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

// iproute2's record: the classic fields, then id, pinning and inner map fields.
struct bpf_elf_map {
	unsigned int type;
	unsigned int size_key;
	unsigned int size_value;
	unsigned int max_elem;
	unsigned int flags;
	unsigned int id;
	unsigned int pinning;
};

struct bpf_map_def SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 32,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_elf_map SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 4,
};

SEC("socket")
int legacy(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *count = bpf_map_lookup_elem(&legacy_hash, &key);
	if (count)
		*count += 1;
	__u32 *len = bpf_map_lookup_elem(&legacy_array, &key);
	if (len)
		*len = skb->len;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
