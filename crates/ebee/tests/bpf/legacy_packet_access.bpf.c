// SPDX-License-Identifier: GPL-2.0
// Legacy packet access (tests/legacy_packet_access.rs): clang's load_byte/load_half/
// load_word (LLVM's llvm.bpf.load.* intrinsics, BPF_LD|BPF_ABS at a constant offset,
// BPF_LD|BPF_IND at a register offset, the skb in r6) in socket filters and TC programs.
// Each program does one load chosen by `params.mode` and returns its value; after the load
// it sets skb->cb[0] = 1, so a run that the out-of-range load ended (r0 = 0) shows cb[0] 0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

#define SKF_NET_OFF (-0x100000)
#define SKF_LL_OFF (-0x200000)

struct params {
	__u32 mode;
	__u32 pad;
	__u64 offset; /* the register of the BPF_IND loads, all 64 bits of it */
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

/* The BPF_ABS loads, one per mode: (mode, load, offset). The test's ABS table lists the
 * same loads in the same order. */
#define ABS_LOADS(X)                                                                       \
	X(0, load_byte, 0)                                                                 \
	X(1, load_half, 0)                                                                 \
	X(2, load_word, 0)                                                                 \
	X(3, load_byte, 13)                                                                \
	X(4, load_half, 12)                                                                \
	X(5, load_word, 14)                                                                \
	X(6, load_byte, 49)                                                                \
	X(7, load_byte, 50)                                                                \
	X(8, load_half, 48)                                                                \
	X(9, load_half, 49)                                                                \
	X(10, load_word, 46)                                                               \
	X(11, load_word, 47)                                                               \
	X(12, load_byte, 63)                                                               \
	X(13, load_byte, 64)                                                               \
	X(14, load_word, 60)                                                               \
	X(15, load_word, 61)                                                               \
	X(16, load_byte, 0x7fffffff)                                                       \
	X(17, load_word, 0x7ffffffc)                                                       \
	X(18, load_byte, -1)                                                               \
	X(19, load_half, -2)                                                               \
	X(20, load_byte, SKF_NET_OFF)                                                      \
	X(21, load_half, SKF_NET_OFF + 2)                                                  \
	X(22, load_word, SKF_NET_OFF + 12)                                                 \
	X(23, load_byte, SKF_NET_OFF + 49)                                                 \
	X(24, load_byte, SKF_NET_OFF + 50)                                                 \
	X(25, load_word, SKF_NET_OFF + 46)                                                 \
	X(26, load_word, SKF_NET_OFF + 47)                                                 \
	X(27, load_byte, SKF_NET_OFF - 1)                                                  \
	X(28, load_byte, SKF_LL_OFF)                                                       \
	X(29, load_half, SKF_LL_OFF + 12)                                                  \
	X(30, load_word, SKF_LL_OFF + 14)                                                  \
	X(31, load_byte, SKF_LL_OFF + 63)                                                  \
	X(32, load_byte, SKF_LL_OFF + 64)                                                  \
	X(33, load_word, SKF_LL_OFF + 60)                                                  \
	X(34, load_word, SKF_LL_OFF + 61)                                                  \
	X(35, load_byte, SKF_LL_OFF - 1)                                                   \
	X(36, load_word, -0x1000) /* SKF_AD_OFF: classic BPF only */                       \
	X(37, load_half, SKF_LL_OFF + 0xffffe)                                             \
	X(38, load_half, SKF_LL_OFF + 0xfffff)

/* A BPF_IND load with a non-zero imm, which clang never emits: written as its bytes
 * (opcode, src r1, imm) with the offset in r1, the skb in r6, r1-r5 clobbered. */
#define IND_IMM(opcode, b0, b1, b2, b3)                                                    \
	({                                                                                 \
		register void *skb_ asm("r6") = skb;                                       \
		register __u64 off_ asm("r1") = p->offset;                                 \
		register __u64 r0_ asm("r0");                                              \
		asm volatile(".byte " #opcode ", 0x10, 0, 0, " #b0 ", " #b1 ", " #b2 ", " #b3 \
			     : "=r"(r0_), "+r"(off_)                                           \
			     : "r"(skb_)                                                        \
			     : "r2", "r3", "r4", "r5", "memory");                               \
		r0_;                                                                       \
	})

#define ABS_CASE(mode, load, offset)                                                       \
	case mode:                                                                         \
		value = load(skb, offset);                                                 \
		break;

static __always_inline __u32 abs_load(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 value;

	if (!p)
		return 0xdeadbeef;
	switch (p->mode) {
		ABS_LOADS(ABS_CASE)
	default:
		return 0xdeadbeef;
	}
	skb->cb[0] = 1;
	return value;
}

/* BPF_IND: modes 0-2 as clang compiles them (imm 0), 3-5 with an imm. */
static __always_inline __u32 ind_load(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 value;

	if (!p)
		return 0xdeadbeef;
	switch (p->mode) {
	case 0:
		value = load_byte(skb, p->offset);
		break;
	case 1:
		value = load_half(skb, p->offset);
		break;
	case 2:
		value = load_word(skb, p->offset);
		break;
	case 3: /* ldindb %r1, -3 */
		value = IND_IMM(0x50, 0xfd, 0xff, 0xff, 0xff);
		break;
	case 4: /* ldindh %r1, 16 */
		value = IND_IMM(0x48, 0x10, 0, 0, 0);
		break;
	case 5: /* ldindw %r1, 0x7fffffff */
		value = IND_IMM(0x40, 0xff, 0xff, 0xff, 0x7f);
		break;
	default:
		return 0xdeadbeef;
	}
	skb->cb[0] = 1;
	return value;
}

/* In a bpf-to-bpf function the out-of-range load returns 0 from that function only: the
 * caller goes on (0x1000 + 0; cb[1] = 1 shows the caller ran after it). */
static __noinline int sub_load(struct __sk_buff *skb, __u64 offset)
{
	int value = load_half(skb, offset);

	skb->cb[0] = 1;
	return value + 1;
}

static __always_inline __u32 sub(struct __sk_buff *skb)
{
	struct params *p = get_params();
	__u32 value;

	if (!p)
		return 0xdeadbeef;
	value = sub_load(skb, p->offset) + 0x1000;
	skb->cb[1] = 1;
	return value;
}

SEC("socket")
int sock_abs(struct __sk_buff *skb)
{
	return abs_load(skb);
}

SEC("socket")
int sock_ind(struct __sk_buff *skb)
{
	return ind_load(skb);
}

SEC("socket")
int sock_sub(struct __sk_buff *skb)
{
	return sub(skb);
}

SEC("tc")
int tc_abs(struct __sk_buff *skb)
{
	return abs_load(skb);
}

SEC("tc")
int tc_ind(struct __sk_buff *skb)
{
	return ind_load(skb);
}

SEC("tc")
int tc_sub(struct __sk_buff *skb)
{
	return sub(skb);
}

#ifdef XDP_LEGACY
/* Refused: XDP has no skb (the kernel: "BPF_LD_[ABS|IND] instructions not allowed for this
 * program type"). */
SEC("xdp")
int xdp_legacy(struct xdp_md *ctx)
{
	return load_byte(ctx, 12);
}
#endif

char _license[] SEC("license") = "GPL";
