// SPDX-License-Identifier: GPL-2.0
// A little byte-code machine: each payload byte's low 4 bits select one of 16 operations on
// an accumulator (a switch the compiler turns into a jump table or a tree).
#include "suite.h"

SEC("xdp") int switch_dispatch(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u32 acc = 1, aux = 7;
	unsigned char *p = data + PAYLOAD;
	for (int i = 0; i < PAYLOAD_LEN; i++) {
		if (p + 1 > end)
			break;
		__u8 op = *p++;
		__u32 arg = op >> 4;
		switch (op & 15) {
		case 0: acc += arg; break;
		case 1: acc -= arg; break;
		case 2: acc *= arg | 1; break;
		case 3: acc ^= aux; break;
		case 4: acc = rol32(acc, arg + 1); break;
		case 5: aux += acc; break;
		case 6: acc |= arg << 8; break;
		case 7: acc &= ~(arg << 4); break;
		case 8: acc = acc / (arg + 1); break;
		case 9: acc = acc % (arg + 3); break;
		case 10: aux ^= acc >> 3; break;
		case 11: acc = ~acc; break;
		case 12: acc += aux * 3; break;
		case 13: acc = acc >> (arg & 7); break;
		case 14: aux = aux * 5 + arg; break;
		default: acc = acc * 17 + aux; break;
		}
	}
	return acc ^ aux;
}
