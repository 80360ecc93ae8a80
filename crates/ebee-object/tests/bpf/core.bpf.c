// SPDX-License-Identifier: MIT OR Apache-2.0
// CO-RE relocations: `BPF_CORE_READ` through structs marked `preserve_access_index`, direct
// context field loads, and every relocation kind — field offset, size, existence,
// signedness, bitfield shifts, type existence, size, ids and matching, enum values. Each
// relocated constant is stored into its own `out[i]`, so the tests can read what it became
// after linking against target BTF built in Rust, where fields move, grow or disappear.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task {
	int pid;
	long long start;
	struct task *parent;
	unsigned int flags : 3;
	unsigned int state : 5;
	int extra;
} __attribute__((preserve_access_index));

struct gone {
	int x;
} __attribute__((preserve_access_index));

enum mode { MODE_OFF = 0, MODE_ON = 1, MODE_NEW = 2 };

struct env {
	struct task *task;
	unsigned int count;
} __attribute__((preserve_access_index));

__u64 out[20];

#define FIELD(field, kind) __builtin_preserve_field_info(field, kind)

SEC("tp/sched/sched_switch")
int core_reads(struct env *ctx)
{
	struct task *t = ctx->task;
	out[0] = FIELD(t->pid, BPF_FIELD_BYTE_OFFSET);
	out[1] = BPF_CORE_READ(t, parent, start);
	out[2] = bpf_core_field_exists(t->extra);
	out[3] = bpf_core_field_size(t->start);
	out[4] = BPF_CORE_READ_BITFIELD_PROBED(t, state);
	out[5] = bpf_core_type_exists(struct gone);
	out[6] = bpf_core_type_size(struct task);
	out[7] = bpf_core_enum_value_exists(enum mode, MODE_NEW);
	out[8] = bpf_core_enum_value(enum mode, MODE_ON);
	out[9] = FIELD(t->pid, BPF_FIELD_SIGNED);
	out[10] = bpf_core_type_id_local(struct task);
	out[11] = bpf_core_type_id_kernel(struct task);
	if (bpf_core_field_exists(t->extra))
		out[12] = BPF_CORE_READ(t, extra);
	out[13] = bpf_core_type_matches(struct env);
	out[14] = FIELD(t->state, BPF_FIELD_LSHIFT_U64);
	out[15] = FIELD(t->state, BPF_FIELD_RSHIFT_U64);
	out[16] = FIELD(t->parent, BPF_FIELD_BYTE_OFFSET);
	out[17] = ctx->count;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
