//! Contexts that are bytes without a structure ebee knows: a tracepoint's record, a raw
//! tracepoint's argument array, a syscall program's user buffer. The context is exactly the
//! caller's bytes (`ctx_in`, [`ContextInput::Bytes`]).
//!
//! - tracepoint (`tp_prog_is_valid_access`): aligned loads of any size from offset 8 (the
//!   record's common fields, where the kernel keeps a pointer to the registers, are hidden)
//!   up to `PERF_MAX_TRACE_SIZE`. The kernel checks the furthest byte a program reads
//!   against the tracepoint's format when it attaches; ebee has no formats and checks it
//!   against the record given when it runs (a run with a shorter record is refused).
//! - raw_tracepoint (`bpf_tracing_ctx_access`): aligned loads of any size in the 12 `u64`
//!   arguments. Runs as `bpf_prog_test_run_raw_tp`: at most 96 bytes, at least up to the
//!   furthest byte read.
//! - syscall (`syscall_prog_is_valid_access`): aligned loads and stores of any size below
//!   65535; runs as `bpf_prog_test_run_syscall`, which writes the buffer back.

use super::sizes::ANY;
use super::{ContextInput, Field, PacketContext, ProgramTypeSpec, RunFields, Who};
use ebee_abi::prog_type::{
    BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_TRACEPOINT,
};

/// `PERF_MAX_TRACE_SIZE`: the largest tracepoint record.
const PERF_MAX_TRACE_SIZE: u16 = 8192;

/// `MAX_BPF_FUNC_ARGS * sizeof(u64)`: a raw tracepoint's arguments.
const RAW_TP_ARGS: u16 = 12 * 8;

/// `U16_MAX`: the largest syscall program context.
const SYSCALL_MAX: u16 = u16::MAX;

/// A spec whose context is `size` bytes with one field (`fields`).
const fn bytes_spec(
    name: &'static str,
    kernel_type: u32,
    fields: &'static [Field],
    size: u16,
    helpers: &'static [u32],
) -> ProgramTypeSpec {
    ProgramTypeSpec {
        name,
        kernel_type,
        attach_type: None,
        ctx_size: size,
        fields,
        roles: 0,
        packet: PacketContext::NoPacket(ContextInput::Bytes),
        legacy_packet_access: false,
        helpers,
        return_range: None,
        verdicts: &[],
        test_run_input: RunFields::Scalars,
        test_run_output: RunFields::Scalars,
    }
}

/// `tp_prog_func_proto` beyond the base: the tracing helpers (as kprobe's, without
/// override_return).
const TRACING_HELPERS: &[u32] = &[
    4, 22, 27, 35, 36, 37, 45, 55, 67, 109, 117, 141, 148, 149, 153, 154, 156, 157, 158, 173, 174,
    175, 176, 180, 191, 210, 211,
];

/// `BPF_PROG_TYPE_TRACEPOINT` (`tracepoint/…`, `tp/…`): the record, fields at their format
/// offsets.
pub static TRACEPOINT: ProgramTypeSpec = bytes_spec(
    "tracepoint",
    BPF_PROG_TYPE_TRACEPOINT,
    &[Field::read_only("record", 8, PERF_MAX_TRACE_SIZE - 8, ANY)],
    PERF_MAX_TRACE_SIZE,
    TRACING_HELPERS,
);

/// `BPF_PROG_TYPE_RAW_TRACEPOINT` (`raw_tracepoint/…`, `raw_tp/…`): the `u64` arguments.
/// Helpers: `raw_tp_prog_func_proto`'s, the tracing ones.
pub static RAW_TRACEPOINT: ProgramTypeSpec = bytes_spec(
    "raw_tracepoint",
    BPF_PROG_TYPE_RAW_TRACEPOINT,
    &[Field::read_only("args", 0, RAW_TP_ARGS, ANY)],
    RAW_TP_ARGS,
    TRACING_HELPERS,
);

/// `BPF_PROG_TYPE_SYSCALL` (`syscall`): the caller's buffer, read and written. Helpers
/// (`syscall_prog_func_proto`, then `tracing_prog_func_proto` without its iterator- and
/// trampoline-only ones): the tracing helpers, sys_bpf (166), btf_find_by_name_kind (167),
/// sys_close (168), kallsyms_lookup_name (179), the socket casts and storage, skb/xdp_output,
/// sock_from_file, d_path, xdp_get_buff_len.
pub static SYSCALL: ProgramTypeSpec = bytes_spec(
    "syscall",
    BPF_PROG_TYPE_SYSCALL,
    &[Field::read_only("buffer", 0, SYSCALL_MAX, ANY).writable(Who::Everyone, ANY)],
    SYSCALL_MAX,
    &[
        4, 22, 27, 35, 36, 37, 45, 46, 55, 67, 107, 108, 109, 111, 117, 121, 136, 137, 138, 139,
        140, 141, 147, 148, 149, 153, 154, 156, 157, 158, 162, 166, 167, 168, 173, 175, 176, 178,
        179, 180, 188, 191, 196, 210, 211,
    ],
);

#[cfg(test)]
mod tests {
    use super::super::translate::tests::{read, write};
    use super::*;

    #[test]
    fn byte_contexts_take_any_aligned_access_in_range() {
        assert!(read(&TRACEPOINT, 4, 4).is_err(), "common fields are hidden");
        assert!(read(&TRACEPOINT, 8, 8).is_ok() && read(&TRACEPOINT, 13, 1).is_ok());
        assert!(read(&TRACEPOINT, 14, 4).is_err(), "misaligned");
        assert!(write(&TRACEPOINT, 8, 4).is_err());
        assert!(read(&RAW_TRACEPOINT, 88, 8).is_ok() && read(&RAW_TRACEPOINT, 92, 4).is_ok());
        assert!(read(&RAW_TRACEPOINT, 96, 8).is_err());
        let host = write(&SYSCALL, 1000, 2).unwrap();
        assert_eq!((host.offset, host.size), (1000, 2));
        assert!(read(&SYSCALL, 30000, 8).is_ok());
    }
}
