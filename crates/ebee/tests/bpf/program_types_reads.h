// SPDX-License-Identifier: GPL-2.0
// The context reads of the programs of program_types_ctx.bpf.c, as X(offset, bytes): the
// program stores the n-th read in slot n of `out`. tests/program_types_ctx.rs reads this file
// too, to know what each slot must hold.

/* kprobe: struct pt_regs, every register, then reads of parts of rdi, rsi and ss. */
#define KPROBE_READS(X)                                                                    \
	X(0, 8) X(8, 8) X(16, 8) X(24, 8) X(32, 8) X(40, 8) X(48, 8) X(56, 8) X(64, 8)     \
	X(72, 8) X(80, 8) X(88, 8) X(96, 8) X(104, 8) X(112, 8) X(120, 8) X(128, 8)        \
	X(136, 8) X(144, 8) X(152, 8) X(160, 8)                                            \
	X(113, 1) X(114, 2) X(116, 4) X(104, 4) X(160, 4) X(167, 1)

/* tracepoint: record fields from offset 8 (the furthest byte read is 40). */
#define TRACEPOINT_READS(X) X(8, 8) X(16, 8) X(24, 4) X(28, 2) X(30, 1) X(31, 1) X(32, 8)

/* perf_event: registers (whole), sample_period and addr (in part too). */
#define PERF_EVENT_READS(X)                                                                \
	X(0, 8) X(112, 8) X(128, 8) X(160, 8) X(168, 8) X(168, 4) X(172, 2) X(175, 1)       \
	X(176, 8) X(180, 4)

/* sockops: every 4-byte field, the 8-byte ones, the pointers (NULL), skb_tcp_flags. */
#define SOCK_OPS_READS(X)                                                                  \
	X(0, 4) X(4, 4) X(8, 4) X(12, 4) X(16, 4) X(20, 4) X(24, 4) X(28, 4) X(32, 4)      \
	X(36, 4) X(40, 4) X(44, 4) X(48, 4) X(52, 4) X(56, 4) X(60, 4) X(64, 4) X(68, 4)   \
	X(72, 4) X(76, 4) X(80, 4) X(84, 4) X(88, 4) X(92, 4) X(96, 4) X(100, 4)           \
	X(104, 4) X(108, 4) X(112, 4) X(116, 4) X(120, 4) X(124, 4) X(128, 4) X(132, 4)    \
	X(136, 4) X(140, 4) X(144, 4) X(148, 4) X(152, 4) X(156, 4) X(160, 4) X(164, 4)    \
	X(168, 8) X(176, 8) X(184, 8) X(192, 8) X(200, 8) X(208, 4) X(212, 4) X(212, 1)     \
	X(216, 8)

/* cgroup/sock: what each attach type may read. */
#define SOCK_CREATE_READS(X)                                                               \
	X(0, 4) X(4, 4) X(4, 2) X(4, 1) X(8, 4) X(12, 4) X(16, 4) X(20, 4) X(48, 4)        \
	X(48, 2) X(49, 1) X(52, 4) X(53, 1) X(56, 4) X(60, 4) X(64, 4) X(68, 4) X(72, 4)   \
	X(72, 1) X(76, 4)
#define POST_BIND4_READS(X)                                                                \
	X(4, 4) X(8, 4) X(12, 2) X(24, 4) X(25, 1) X(26, 2) X(44, 4) X(44, 2) X(48, 4)     \
	X(52, 4) X(72, 4)
#define POST_BIND6_READS(X)                                                                \
	X(4, 4) X(28, 4) X(32, 4) X(36, 4) X(40, 4) X(30, 2) X(41, 1) X(44, 4) X(56, 4)    \
	X(68, 4)

/* sock_addr: the fixed fields, the port, and the addresses of the attach type. */
#define SOCK_ADDR_READS(X) X(0, 4) X(24, 4) X(24, 2) X(25, 1) X(28, 4) X(32, 4) X(36, 4)
#define IP4_READS(X) X(4, 4) X(5, 1) X(6, 2)
#define IP6_READS(X) X(8, 4) X(12, 4) X(16, 4) X(20, 4) X(8, 8) X(16, 8) X(10, 2) X(23, 1)
#define MSG_SRC4_READS(X) X(40, 4) X(41, 1)
#define MSG_SRC6_READS(X) X(44, 4) X(48, 4) X(52, 4) X(56, 4) X(48, 8) X(46, 2)

/* sk_msg: every field but the socket. */
#define SK_MSG_READS(X)                                                                    \
	X(16, 4) X(20, 4) X(24, 4) X(28, 4) X(32, 4) X(36, 4) X(40, 4) X(44, 4) X(48, 4)   \
	X(52, 4) X(56, 4) X(60, 4) X(64, 4) X(68, 4)

/* raw_tp: the arguments, whole and in part (the furthest byte read is 96). */
#define RAW_TP_READS(X) X(0, 8) X(8, 8) X(16, 4) X(20, 4) X(24, 2) X(30, 2) X(31, 1) X(88, 8)

/* sk_lookup: every field, in part too, and the padding after remote_port. */
#define SK_LOOKUP_READS(X)                                                                 \
	X(0, 8) X(8, 4) X(10, 2) X(9, 1) X(12, 4) X(14, 2) X(16, 4) X(17, 1) X(20, 4)      \
	X(24, 4) X(28, 4) X(32, 4) X(22, 2) X(36, 4) X(36, 2) X(37, 1) X(38, 2) X(39, 1)   \
	X(40, 4) X(42, 2) X(44, 4) X(48, 4) X(52, 4) X(56, 4) X(57, 1) X(60, 4) X(62, 2)   \
	X(60, 1) X(64, 4) X(66, 2)
