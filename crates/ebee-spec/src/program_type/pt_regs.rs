//! Contexts of saved registers: kprobe and uprobe programs get x86-64's `struct pt_regs`
//! (`asm/ptrace.h`), perf_event programs `struct bpf_perf_event_data` (`linux/bpf_perf_event.h`:
//! the registers, then `sample_period` and `addr`). Both are read-only.
//!
//! - kprobe (`kprobe_prog_is_valid_access`): any aligned load of 1, 2, 4 or 8 bytes inside the
//!   structure.
//! - perf_event (`pe_prog_is_valid_access`): the registers in whole 8-byte loads,
//!   `sample_period` and `addr` also in part.
//!
//! The kernel runs neither type with `BPF_PROG_TEST_RUN`; ebee runs them with the caller's
//! structure as the context (`ctx_in`, zero-filled to its size), and reports it back
//! unchanged.

use super::sizes::{ANY, B8};
use super::{ContextInput, Field, PacketContext, ProgramTypeSpec, RunFields};
use ebee_abi::prog_type::{BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_PERF_EVENT};

/// The registers of x86-64's `struct pt_regs`, in order (8 bytes each).
const REGISTERS: [&str; 21] = [
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi",
    "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss",
];

/// `sizeof(struct pt_regs)` on x86-64.
const PT_REGS_SIZE: u16 = 8 * REGISTERS.len() as u16;

/// `pt_regs` as `N` fields read in `reads` sizes, followed by zeroed slots.
const fn registers<const N: usize>(reads: u8) -> [Field; N] {
    let mut fields = [Field::read_only("", 0, 0, 0); N];
    let mut i = 0;
    while i < REGISTERS.len() {
        fields[i] = Field::read_only(REGISTERS[i], 8 * i as u16, 8, reads);
        i += 1;
    }
    fields
}

const KPROBE_FIELDS: [Field; 21] = registers(ANY);

const PERF_EVENT_FIELDS: [Field; 23] = {
    let mut fields = registers::<23>(B8);
    fields[21] = Field::read_only("sample_period", PT_REGS_SIZE, 8, ANY);
    fields[22] = Field::read_only("addr", PT_REGS_SIZE + 8, 8, ANY);
    fields
};

/// `bpf_tracing_func_proto`'s helpers beyond the base (probe_read*, perf_event_read*,
/// get_stack*, get_current_task*, probe_write_user, send_signal*, task and cgroup storage,
/// copy_from_user*, snprintf_btf, per_cpu_ptr, get_func_ip, get_attach_cookie, task_pt_regs,
/// get_branch_snapshot, find_vma) and, for kprobes, override_return (58).
const KPROBE_HELPERS: &[u32] = &[
    4, 22, 27, 35, 36, 37, 45, 55, 58, 67, 109, 117, 141, 148, 149, 153, 154, 156, 157, 158, 173,
    174, 175, 176, 180, 191, 210, 211,
];

/// `BPF_PROG_TYPE_KPROBE` (`kprobe/`, `kretprobe/`, `uprobe/`, `usdt/`, `ksyscall/`, their
/// multi forms): `struct pt_regs`. The kernel checks no return range (but for
/// `kprobe.session`, which ebee does not distinguish).
pub static KPROBE: ProgramTypeSpec = ProgramTypeSpec {
    name: "kprobe",
    kernel_type: BPF_PROG_TYPE_KPROBE,
    attach_type: None,
    ctx_size: PT_REGS_SIZE,
    fields: &KPROBE_FIELDS,
    roles: 0,
    packet: PacketContext::NoPacket(ContextInput::Struct),
    legacy_packet_access: false,
    helpers: KPROBE_HELPERS,
    return_range: None,
    verdicts: &[],
    test_run_input: RunFields::Scalars,
    test_run_output: RunFields::Scalars,
};

/// `BPF_PROG_TYPE_PERF_EVENT` (`perf_event`): `struct bpf_perf_event_data`. Helpers: the
/// tracing ones (as kprobe's, without override_return) and perf_prog_read_value (56),
/// read_branch_records (119).
pub static PERF_EVENT: ProgramTypeSpec = ProgramTypeSpec {
    name: "perf_event",
    kernel_type: BPF_PROG_TYPE_PERF_EVENT,
    attach_type: None,
    ctx_size: PT_REGS_SIZE + 16,
    fields: &PERF_EVENT_FIELDS,
    roles: 0,
    packet: PacketContext::NoPacket(ContextInput::Struct),
    legacy_packet_access: false,
    helpers: &[
        4, 22, 27, 35, 36, 37, 45, 55, 56, 67, 109, 117, 119, 141, 148, 149, 153, 154, 156, 157,
        158, 173, 174, 175, 176, 180, 191, 210, 211,
    ],
    return_range: None,
    verdicts: &[],
    test_run_input: RunFields::Scalars,
    test_run_output: RunFields::Scalars,
};

#[cfg(test)]
mod tests {
    use super::super::translate::tests::{read, write};
    use super::*;

    #[test]
    fn kprobe_reads_any_aligned_part_of_any_register() {
        let s = &KPROBE;
        assert_eq!(s.ctx_size, 168);
        assert_eq!(s.offset_of("rdi"), 112);
        assert_eq!(s.offset_of("rip"), 128);
        for (offset, size) in [
            (0, 8),
            (112, 8),
            (113, 1),
            (114, 2),
            (116, 4),
            (160, 8),
            (167, 1),
        ] {
            let host = read(s, offset, size).unwrap();
            assert_eq!((host.offset, host.size), (offset, size));
        }
        assert!(read(s, 113, 2).is_err(), "misaligned");
        assert!(read(s, 168, 1).is_err(), "past pt_regs");
        assert!(write(s, 112, 8).is_err(), "read-only");
        assert_eq!(s.host_ctx_size(), 168);
    }

    #[test]
    fn perf_event_reads_registers_whole_and_the_sample_in_part() {
        let s = &PERF_EVENT;
        assert_eq!(
            (s.offset_of("sample_period"), s.offset_of("addr")),
            (168, 176)
        );
        assert!(read(s, 8, 8).is_ok());
        assert!(read(s, 8, 4).is_err(), "registers only whole");
        assert!(read(s, 172, 4).is_ok() && read(s, 177, 1).is_ok());
        assert!(read(s, 184, 8).is_err());
        assert!(s.allows_helper(56) && !s.allows_helper(58) && KPROBE.allows_helper(58));
    }
}
