// SPDX-License-Identifier: GPL-2.0
// Context accesses of one size at one offset (volatile: clang keeps them as written), for
// the program-type tests (tests/program_types_*.rs).
#ifndef CTX_ACCESS_H
#define CTX_ACCESS_H

#define AT(ctx, off, type) (*(volatile type *)((char *)(ctx) + (off)))
#define R8(ctx, off) AT(ctx, off, __u8)
#define R16(ctx, off) AT(ctx, off, __u16)
#define R32(ctx, off) AT(ctx, off, __u32)
#define R64(ctx, off) AT(ctx, off, __u64)
#define OFF(s, f) __builtin_offsetof(struct s, f)

#ifdef WITH_MAPS
/* `out`: what a program read, one slot per read; `wr`: values the host wants written. */
struct slots {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
};

struct slots out SEC(".maps");
struct slots wr SEC(".maps");

static __always_inline void put(__u32 slot, __u64 value)
{
	__u64 *p = bpf_map_lookup_elem(&out, &slot);

	if (p)
		*p = value;
}

static __always_inline __u64 get(__u32 slot)
{
	__u64 *p = bpf_map_lookup_elem(&wr, &slot);

	return p ? *p : 0;
}
#endif

#endif
