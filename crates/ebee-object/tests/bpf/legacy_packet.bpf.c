// SPDX-License-Identifier: MIT OR Apache-2.0
// Legacy packet access: clang's `load_byte`/`load_half`/`load_word` (LLVM's
// `llvm.bpf.load.*` intrinsics) compile to BPF_LD|BPF_ABS at a constant offset and to
// BPF_LD|BPF_IND at a register offset, with the skb in r6.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

SEC("socket")
int legacy(struct __sk_buff *skb)
{
	__u64 off = load_byte(skb, 14) & 0x0f;

	return load_word(skb, off) + load_half(skb, off + 2) + load_byte(skb, off * 4) +
	       load_half(skb, 12) + load_word(skb, -0x100000 + 16);
}

char _license[] SEC("license") = "Dual MIT/GPL";
