// SPDX-License-Identifier: GPL-2.0
// Copies the payload to a stack buffer 8 bytes at a time, reversed word order, then copies
// it back within the buffer shifted by one word and sums it.
#include "suite.h"

#define WORDS (PAYLOAD_LEN / 8)

SEC("xdp") int memcpy_loop(struct xdp_md *ctx)
{
	PACKET(ctx, data, end);
	__u64 buf[WORDS + 1];
	if (!HAVE(data, end, PAYLOAD, PAYLOAD_LEN))
		return 0;
	__u64 *src = (__u64 *)(data + PAYLOAD);
	for (int i = 0; i < WORDS; i++)
		buf[WORDS - 1 - i] = src[i];
	buf[WORDS] = 0;
	for (int i = WORDS; i > 0; i--)
		buf[i] = buf[i - 1];
	__u64 sum = 0;
	for (int i = 0; i <= WORDS; i++)
		sum = sum * 3 + buf[i];
	return sum ^ (sum >> 32);
}
