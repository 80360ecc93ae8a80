// SPDX-License-Identifier: MIT OR Apache-2.0
// BTF-defined maps in `.maps` (so `lddw` map relocations), global variables in `.data`,
// `.bss` and `.rodata`, and XDP context access, in two programs sharing one map.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u64);
} bytes_by_proto SEC(".maps");

const volatile __u32 drop_proto = 0x86dd; // .rodata: set by the loader before loading.
__u64 seen = 0;                           // .bss
__u32 last_ifindex = 7;                   // .data

// Stores of every size, from registers and immediates.
struct packet_info {
	__u8 first_byte;
	__u8 flag;
	__u16 proto;
	__u16 marker;
	__u32 len;
	__u64 magic;
} last_packet = {};

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	__u32 queue = ctx->rx_queue_index & 7;
	__u64 *count = bpf_map_lookup_elem(&packets, &queue);
	if (count)
		*count += 1;
	__u16 proto = bpf_ntohs(eth->h_proto);
	__u64 len = end - data;
	__u64 *total = bpf_map_lookup_elem(&bytes_by_proto, &proto);
	if (total)
		*total += len;
	else
		bpf_map_update_elem(&bytes_by_proto, &proto, &len, BPF_NOEXIST);
	seen++;
	last_ifindex = ctx->ingress_ifindex;
	last_packet.first_byte = *(__u8 *)data;
	last_packet.flag = 1;
	last_packet.proto = proto;
	last_packet.marker = 0xbeef;
	last_packet.len = (__u32)len;
	last_packet.magic = 0x5a;
	return proto == drop_proto ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int read_counter(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *count = bpf_map_lookup_elem(&packets, &key);
	return count && *count > seen ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
