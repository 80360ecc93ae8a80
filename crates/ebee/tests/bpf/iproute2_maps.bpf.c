// SPDX-License-Identifier: MIT OR Apache-2.0
// iproute2's legacy format (tests/legacy_formats.rs): `struct bpf_elf_map` records in
// `maps`, a map of maps whose inner map comes from `inner_id` (the template is the map with
// that `id`, stored at slot `inner_idx`), and a `.text` subprogram that uses a map defined
// in a `maps/…` subsection.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct bpf_elf_map {
	__u32 type;
	__u32 size_key;
	__u32 size_value;
	__u32 max_elem;
	__u32 flags;
	__u32 id;
	__u32 pinning;
	__u32 inner_id;
	__u32 inner_idx;
};

#define INNER_ID 42

struct bpf_elf_map SEC("maps") inner = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 2,
	.id = INNER_ID,
	.inner_idx = 1,
};

struct bpf_elf_map SEC("maps") outer = {
	.type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 2,
	.inner_id = INNER_ID,
};

struct bpf_map_def_legacy {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def_legacy SEC("maps/seen") seen = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

static __attribute__((noinline)) int note(__u32 len)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&seen, &zero);
	if (n)
		*n += len;
	return 0;
}

SEC("classifier")
int through_outer(struct __sk_buff *skb)
{
	__u32 slot = 1, key = 0;
	note(skb->len);
	void *map = bpf_map_lookup_elem(&outer, &slot);
	if (!map)
		return TC_ACT_SHOT;
	__u32 *value = bpf_map_lookup_elem(map, &key);
	if (!value)
		return TC_ACT_SHOT;
	*value += skb->len;
	return *value > 100 ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
