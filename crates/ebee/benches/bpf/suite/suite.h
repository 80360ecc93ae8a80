// SPDX-License-Identifier: GPL-2.0
// The one include of every benchmark program of the suite (benches/suite_vs_kernel.rs).
// Built for eBPF (clang -target bpf) it is the libbpf headers; built for the host
// (clang -O2, the bench's native column) it is native.h, which maps the same names to
// plain C. Either way the program text below the include is the same.
#ifndef SUITE_H
#define SUITE_H

#ifdef __bpf__
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#else
#include "native.h"
#endif
#include <bpf/bpf_endian.h>

// The packet every program runs on (benches/suite_vs_kernel.rs builds it): Ethernet, an 802.1ad and an
// 802.1Q tag, IPv4, TCP with options, payload.
#define ETH_P_IP 0x0800
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

// Where the TCP payload (256 bytes) starts: 14 + 2 * 4 + 20 + 40.
#define PAYLOAD 82
#define PAYLOAD_LEN 256

// The packet's start and end, as every program reads them.
#define PACKET(ctx, data, end)                                                         \
	unsigned char *data = (unsigned char *)(long)(ctx)->data;                      \
	unsigned char *end = (unsigned char *)(long)(ctx)->data_end

// Unroll the next loop fully in the eBPF build (for the verifier, where it cannot prune a
// loop); the host compiler decides for itself.
#ifdef __bpf__
#define UNROLL _Pragma("unroll")
#else
#define UNROLL
#endif

// Bytes [off, off + n) of the packet are there (n a constant).
#define HAVE(data, end, off, n) ((data) + (off) + (n) <= (end))

static __always_inline __u32 rol32(__u32 x, int k)
{
	return (x << k) | (x >> (32 - k));
}

static __always_inline __u64 rol64(__u64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

char LICENSE[] SEC("license") = "GPL";

#endif
