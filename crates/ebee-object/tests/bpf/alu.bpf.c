// SPDX-License-Identifier: MIT OR Apache-2.0
// ALU64 and ALU32 arithmetic of every kind, signed division and modulo (-mcpu=v4), byte swaps,
// sign-extending loads and sign-extending moves, on values read from an XDP packet.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NOINLINE static __attribute__((noinline))

// Each function takes its operands as arguments, so clang cannot fold them away.
NOINLINE __u64 alu64(__u64 a, __u64 b, __s64 s, __s64 t)
{
	__u64 r = a + b;
	r += 7;
	r -= a >> 1;
	r -= 0x1234;
	r *= b;
	r *= 3;
	r ^= a / (b | 1);
	r ^= a / 10;
	r += (__u64)(s / (t | 1));
	r += (__u64)(s / -7);
	// Other operands than the divisions': clang computes x % y as x - x / y * y when it
	// also has x / y.
	r ^= a % (b | 3);
	r ^= a % 11;
	r += (__u64)(s % (t | 3));
	r += (__u64)(s % -9);
	r |= a;
	r |= 0x100;
	r &= b | 0xff00;
	r &= 0xfffffff0;
	r ^= a << (b & 63);
	r ^= a << 5;
	r ^= a >> (b & 63);
	r ^= a >> 9;
	r ^= (__u64)(s >> (b & 63));
	r ^= (__u64)(s >> 3);
	r ^= -a;
	r ^= a ^ 0x5a5a;
	// clang turns `r -= constant` into `r += -constant`.
	asm volatile("%[r] -= 0x1234" : [r] "+r"(r));
	return r;
}

NOINLINE __u32 alu32(__u32 a, __u32 b, __s32 s, __s32 t)
{
	__u32 r = a + b;
	r += 7;
	r -= a >> 1;
	r *= b;
	r *= 5;
	r ^= a / (b | 1);
	r ^= a / 10;
	r += (__u32)(s / (t | 1));
	r += (__u32)(s / -7);
	r ^= a % (b | 3);
	r ^= a % 11;
	r += (__u32)(s % (t | 3));
	r += (__u32)(s % -9);
	r |= a;
	r |= 0x100;
	r &= b | 0xff00;
	r &= 0xfff0;
	r ^= a << (b & 31);
	r ^= a << 5;
	r ^= a >> (b & 31);
	r ^= a >> 9;
	r ^= (__u32)(s >> (b & 31));
	r ^= (__u32)(s >> 3);
	r ^= -a;
	r ^= a ^ 0x5a5a;
	asm volatile("%[r] -= 0x1234" : [r] "+w"(r));
	return r;
}

NOINLINE __u64 swaps(__u64 a)
{
	__u64 r = __builtin_bswap16((__u16)a);
	r ^= __builtin_bswap32((__u32)a);
	r ^= __builtin_bswap64(a);
	// With -mcpu=v4 clang only emits the unconditional bswap; the legacy to-little/big-endian
	// forms come from inline assembly.
	asm volatile("%0 = be16 %0; %0 = be32 %0; %0 = be64 %0" : "+r"(r));
	asm volatile("%0 = le16 %0; %0 = le32 %0; %0 = le64 %0" : "+r"(r));
	return r;
}

NOINLINE __s64 sign_extend(const void *p, __s64 x)
{
	__s64 r = *(const __s8 *)p;
	r += *(const __s16 *)(p + 2);
	r += *(const __s32 *)(p + 4);
	r += (__s8)x;
	r += (__s16)x;
	r += (__s32)x;
	__s32 w = (__s32)x;
	w += (__s8)w;
	w += (__s16)w;
	return r + w;
}

SEC("xdp")
int alu(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	if (data + 16 > end)
		return XDP_PASS;
	__u64 a = *(__u64 *)data;
	__u64 b = *(__u64 *)(data + 8);
	__u64 r = alu64(a, b, (__s64)a, (__s64)b);
	r += alu32((__u32)a, (__u32)b, (__s32)a, (__s32)b);
	r += swaps(r);
	r += (__u64)sign_extend(data, (__s64)r);
	return r & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
