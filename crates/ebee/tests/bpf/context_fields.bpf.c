// SPDX-License-Identifier: GPL-2.0
// Every readable and writable context field of XDP, socket filter and TC programs
// (tests/context_fields.rs). Each program stores what it reads into its array map, one
// slot per read (slot numbers: the S_* / X_* enums, mirrored by the test); TC programs
// write the values of the `wr` map into the writable fields and read them back.
//
// Built with -DBAD=<n>, the file instead holds one program making a context access the
// kernel's verifier refuses (see the BAD cases at the end).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Volatile loads and stores of one size at one offset: clang keeps them as written. */
#define AT(ctx, off, type) (*(volatile type *)((char *)(ctx) + (off)))
#define R8(ctx, off) AT(ctx, off, __u8)
#define R16(ctx, off) AT(ctx, off, __u16)
#define R32(ctx, off) AT(ctx, off, __u32)
#define R64(ctx, off) AT(ctx, off, __u64)
#define OFF(f) __builtin_offsetof(struct __sk_buff, f)

#ifndef BAD

struct slots {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 96);
	__type(key, __u32);
	__type(value, __u64);
};

struct slots xdp_out SEC(".maps");
struct slots sock_out SEC(".maps");
struct slots tc_out SEC(".maps");
/* Values TC programs write: W_* slots. */
struct slots wr SEC(".maps");

static __always_inline void put(void *map, __u32 slot, __u64 value)
{
	__u64 *p = bpf_map_lookup_elem(map, &slot);

	if (p)
		*p = value;
}

static __always_inline __u64 get(__u32 slot)
{
	__u64 *p = bpf_map_lookup_elem(&wr, &slot);

	return p ? *p : 0;
}

enum { X_LEN, X_META, X_INGRESS, X_QUEUE };

SEC("xdp")
int xdp_fields(struct xdp_md *ctx)
{
	long data = R32(ctx, 0), end = R32(ctx, 4), meta = R32(ctx, 8);

	put(&xdp_out, X_LEN, end - data);
	put(&xdp_out, X_META, data - meta);
	put(&xdp_out, X_INGRESS, R32(ctx, 12));
	put(&xdp_out, X_QUEUE, R32(ctx, 16));
	return XDP_PASS;
}

/* Slots of the __sk_buff reads both socket filters and TC make: whole fields first. */
enum {
	S_LEN, S_PKT_TYPE, S_MARK, S_QUEUE_MAPPING, S_PROTOCOL, S_VLAN_PRESENT, S_VLAN_TCI,
	S_VLAN_PROTO, S_PRIORITY, S_INGRESS_IFINDEX, S_IFINDEX, S_TC_INDEX, S_CB0, S_CB1,
	S_CB2, S_CB3, S_CB4, S_HASH, S_NAPI_ID, S_GSO_SEGS, S_GSO_SIZE,
	/* narrow reads: each byte of len, mark, priority and ingress_ifindex ... */
	S_NARROW,
	/* ... then 1-byte and 2-byte reads of every other part of the smaller fields */
	S_NARROW2 = S_NARROW + 16,
	/* cb read as 8 bytes (cb[0..1], cb[2..3]) and as 1/2 bytes */
	S_CB_WIDE = S_NARROW2 + 24,
	S_COMMON_END = S_CB_WIDE + 6,
};

/* One byte of each of four 4-byte fields. */
#define BYTES4(ctx, slot, off)                                                             \
	do {                                                                               \
		put(map, slot, R8(ctx, off));                                              \
		put(map, slot + 1, R8(ctx, off + 1));                                      \
		put(map, slot + 2, R8(ctx, off + 2));                                      \
		put(map, slot + 3, R8(ctx, off + 3));                                      \
	} while (0)

/* Byte 1, byte 2 and both halves (as 2-byte loads) of a field: 4 slots. */
#define PARTS(ctx, slot, off)                                                              \
	do {                                                                               \
		put(map, slot, R8(ctx, off + 1));                                          \
		put(map, slot + 1, R8(ctx, off + 2));                                      \
		put(map, slot + 2, R16(ctx, off));                                         \
		put(map, slot + 3, R16(ctx, off + 2));                                     \
	} while (0)

static __always_inline void read_common(struct __sk_buff *skb, void *map)
{
	put(map, S_LEN, R32(skb, OFF(len)));
	put(map, S_PKT_TYPE, R32(skb, OFF(pkt_type)));
	put(map, S_MARK, R32(skb, OFF(mark)));
	put(map, S_QUEUE_MAPPING, R32(skb, OFF(queue_mapping)));
	put(map, S_PROTOCOL, R32(skb, OFF(protocol)));
	put(map, S_VLAN_PRESENT, R32(skb, OFF(vlan_present)));
	put(map, S_VLAN_TCI, R32(skb, OFF(vlan_tci)));
	put(map, S_VLAN_PROTO, R32(skb, OFF(vlan_proto)));
	put(map, S_PRIORITY, R32(skb, OFF(priority)));
	put(map, S_INGRESS_IFINDEX, R32(skb, OFF(ingress_ifindex)));
	put(map, S_IFINDEX, R32(skb, OFF(ifindex)));
	put(map, S_TC_INDEX, R32(skb, OFF(tc_index)));
	put(map, S_CB0, R32(skb, OFF(cb[0])));
	put(map, S_CB1, R32(skb, OFF(cb[1])));
	put(map, S_CB2, R32(skb, OFF(cb[2])));
	put(map, S_CB3, R32(skb, OFF(cb[3])));
	put(map, S_CB4, R32(skb, OFF(cb[4])));
	put(map, S_HASH, R32(skb, OFF(hash)));
	put(map, S_NAPI_ID, R32(skb, OFF(napi_id)));
	put(map, S_GSO_SEGS, R32(skb, OFF(gso_segs)));
	put(map, S_GSO_SIZE, R32(skb, OFF(gso_size)));

	BYTES4(skb, S_NARROW, OFF(len));
	BYTES4(skb, S_NARROW + 4, OFF(mark));
	BYTES4(skb, S_NARROW + 8, OFF(priority));
	BYTES4(skb, S_NARROW + 12, OFF(ingress_ifindex));

	put(map, S_NARROW2, R8(skb, OFF(pkt_type)));
	put(map, S_NARROW2 + 1, R8(skb, OFF(pkt_type) + 1));
	put(map, S_NARROW2 + 2, R16(skb, OFF(pkt_type) + 2));
	put(map, S_NARROW2 + 3, R8(skb, OFF(protocol)));
	PARTS(skb, S_NARROW2 + 4, OFF(protocol));
	PARTS(skb, S_NARROW2 + 8, OFF(vlan_tci));
	PARTS(skb, S_NARROW2 + 12, OFF(tc_index));
	PARTS(skb, S_NARROW2 + 16, OFF(gso_segs));
	PARTS(skb, S_NARROW2 + 20, OFF(gso_size));

	put(map, S_CB_WIDE, R64(skb, OFF(cb[0])));
	put(map, S_CB_WIDE + 1, R64(skb, OFF(cb[2])));
	put(map, S_CB_WIDE + 2, R8(skb, OFF(cb[4]) + 3));
	put(map, S_CB_WIDE + 3, R16(skb, OFF(cb[1]) + 2));
	put(map, S_CB_WIDE + 4, R8(skb, OFF(vlan_present)));
	put(map, S_CB_WIDE + 5, R16(skb, OFF(vlan_proto)));
}

/* cb written whole, in 8 bytes, and in 1 and 2 bytes. */
static __always_inline void write_cb(struct __sk_buff *skb)
{
	R32(skb, OFF(cb[0])) = R32(skb, OFF(cb[0])) + 0x01010101;
	R64(skb, OFF(cb[2])) = 0x1122334455667788ULL;
	R8(skb, OFF(cb[1]) + 1) = 0xab;
	R16(skb, OFF(cb[4]) + 2) = 0xcdef;
}

SEC("socket")
int sock_fields(struct __sk_buff *skb)
{
	read_common(skb, &sock_out);
	write_cb(skb);
	return R32(skb, OFF(len));
}

enum {
	T_TC_CLASSID = S_COMMON_END, T_DATA_LEN, T_META_LEN, T_TSTAMP, T_WIRE_LEN, T_HWTSTAMP,
	T_CLASSID_PARTS, /* 4 slots */
	T_WIRE_BYTES = T_CLASSID_PARTS + 4, /* 4 slots */
	/* read back after the writes */
	T_AFTER = T_WIRE_BYTES + 4,
	T_END = T_AFTER + 8,
};

/* Values written: W_MARK .. W_TSTAMP of the `wr` map. */
enum { W_MARK, W_PRIORITY, W_TC_INDEX, W_TC_CLASSID, W_QUEUE_MAPPING, W_TSTAMP, W_RET };

SEC("tc")
int tc_fields(struct __sk_buff *skb)
{
	void *map = &tc_out;
	long data = R32(skb, OFF(data)), end = R32(skb, OFF(data_end));
	long meta = R32(skb, OFF(data_meta));

	read_common(skb, map);
	put(map, T_TC_CLASSID, R32(skb, OFF(tc_classid)));
	put(map, T_DATA_LEN, end - data);
	put(map, T_META_LEN, data - meta);
	put(map, T_TSTAMP, R64(skb, OFF(tstamp)));
	put(map, T_WIRE_LEN, R32(skb, OFF(wire_len)));
	put(map, T_HWTSTAMP, R64(skb, OFF(hwtstamp)));
	PARTS(skb, T_CLASSID_PARTS, OFF(tc_classid));
	BYTES4(skb, T_WIRE_BYTES, OFF(wire_len));

	R32(skb, OFF(mark)) = get(W_MARK);
	R32(skb, OFF(priority)) = get(W_PRIORITY);
	R32(skb, OFF(tc_index)) = get(W_TC_INDEX);
	R32(skb, OFF(tc_classid)) = get(W_TC_CLASSID);
	R32(skb, OFF(queue_mapping)) = get(W_QUEUE_MAPPING);
	R64(skb, OFF(tstamp)) = get(W_TSTAMP);
	write_cb(skb);

	put(map, T_AFTER, R32(skb, OFF(mark)));
	put(map, T_AFTER + 1, R32(skb, OFF(priority)));
	put(map, T_AFTER + 2, R32(skb, OFF(tc_index)));
	put(map, T_AFTER + 3, R32(skb, OFF(tc_classid)));
	put(map, T_AFTER + 4, R32(skb, OFF(queue_mapping)));
	put(map, T_AFTER + 5, R64(skb, OFF(tstamp)));
	put(map, T_AFTER + 6, R64(skb, OFF(cb[0])));
	put(map, T_AFTER + 7, R32(skb, OFF(cb[4])));
	return get(W_RET);
}

/* Constant stores (BPF_ST) of tc_index, tc_classid and queue_mapping. */
SEC("tc")
int tc_store_imm(struct __sk_buff *skb)
{
	void *map = &tc_out;

	R32(skb, OFF(queue_mapping)) = 7;
	put(map, T_END, R32(skb, OFF(queue_mapping)));
	R32(skb, OFF(tc_index)) = 0x12345;
	put(map, T_END + 1, R32(skb, OFF(tc_index)));
	R32(skb, OFF(tc_classid)) = 0x6789a;
	put(map, T_END + 2, R32(skb, OFF(tc_classid)));
	return 0;
}

/* Constant stores of NO_QUEUE_MAPPING (0xffff) and more, which the kernel drops. */
SEC("tc")
int tc_store_imm_queue(struct __sk_buff *skb)
{
	void *map = &tc_out;

	R32(skb, OFF(queue_mapping)) = 0xffff;
	put(map, T_END + 3, R32(skb, OFF(queue_mapping)));
	R32(skb, OFF(queue_mapping)) = 0x10003;
	put(map, T_END + 4, R32(skb, OFF(queue_mapping)));
	return 0;
}

#else /* BAD */

/* Programs the verifier refuses, one per BAD value. */
#if BAD == 1
SEC("socket") int bad(struct __sk_buff *s) { return R32(s, OFF(data)); }
#elif BAD == 2
SEC("socket") int bad(struct __sk_buff *s) { return R32(s, OFF(tc_classid)); }
#elif BAD == 3
SEC("socket") int bad(struct __sk_buff *s) { return R64(s, OFF(tstamp)); }
#elif BAD == 4
SEC("socket") int bad(struct __sk_buff *s) { return R32(s, OFF(wire_len)); }
#elif BAD == 5
SEC("socket") int bad(struct __sk_buff *s) { return R64(s, OFF(hwtstamp)); }
#elif BAD == 6
SEC("socket") int bad(struct __sk_buff *s) { R32(s, OFF(mark)) = 1; return 0; }
#elif BAD == 7
SEC("socket") int bad(struct __sk_buff *s) { R32(s, OFF(priority)) = 1; return 0; }
#elif BAD == 8
SEC("socket") int bad(struct __sk_buff *s) { return R32(s, OFF(data_meta)); }
#elif BAD == 9
SEC("xdp") int bad(struct xdp_md *x) { R32(x, 12) = 1; return XDP_PASS; }
#elif BAD == 10
SEC("xdp") int bad(struct xdp_md *x) { R32(x, 16) = 1; return XDP_PASS; }
#elif BAD == 11
SEC("xdp") int bad(struct xdp_md *x) { return R8(x, 12); }
#elif BAD == 12
SEC("xdp") int bad(struct xdp_md *x) { return R32(x, 20); }
#elif BAD == 13
SEC("xdp") int bad(struct xdp_md *x) { return R16(x, 16); }
#elif BAD == 14
SEC("tc") int bad(struct __sk_buff *s) { R32(s, OFF(len)) = 1; return 0; }
#elif BAD == 15
SEC("tc") int bad(struct __sk_buff *s) { R32(s, OFF(protocol)) = 1; return 0; }
#elif BAD == 16
SEC("tc") int bad(struct __sk_buff *s) { R32(s, OFF(hash)) = 1; return 0; }
#elif BAD == 17
SEC("tc") int bad(struct __sk_buff *s) { R32(s, OFF(ifindex)) = 1; return 0; }
#elif BAD == 18
SEC("tc") int bad(struct __sk_buff *s) { R16(s, OFF(mark)) = 1; return 0; }
#elif BAD == 19
SEC("tc") int bad(struct __sk_buff *s) { return R16(s, OFF(data)); }
#elif BAD == 20
SEC("tc") int bad(struct __sk_buff *s) { R64(s, OFF(hwtstamp)) = 1; return 0; }
#elif BAD == 21
SEC("tc") int bad(struct __sk_buff *s) { return R32(s, OFF(remote_ip4)); }
#elif BAD == 22
SEC("tc") int bad(struct __sk_buff *s) { return R64(s, OFF(len)); }
#elif BAD == 23
SEC("tc") int bad(struct __sk_buff *s) { return R32(s, OFF(tstamp)); }
#elif BAD == 24
SEC("tc") int bad(struct __sk_buff *s) { R32(s, OFF(wire_len)) = 1; return 0; }
#elif BAD == 25
SEC("tc") int bad(struct __sk_buff *s) { R32(s, OFF(gso_segs)) = 1; return 0; }
#elif BAD == 26
SEC("tc") int bad(struct __sk_buff *s) { return R32(s, OFF(family)); }
#elif BAD == 27
SEC("tc") int bad(struct __sk_buff *s) { return R64(s, OFF(cb[4])); }
#elif BAD == 28
SEC("tc") int bad(struct __sk_buff *s) { R32(s, OFF(napi_id)) = 1; return 0; }
#endif

#endif /* BAD */

char _license[] SEC("license") = "GPL";
