//! Every context access of every program type ebee has a spec for, accepted or refused by
//! ebee exactly as by the Linux verifier: for each spec, each offset of its context (and a
//! little past it), each access size and both loads and stores, a three-instruction program
//! (`r2 = 0; r2 = *(size *)(r1 + off)` or `*(size *)(r1 + off) = r2`; `r0 = <lowest allowed
//! return value>; exit`) is loaded into ebee with the spec as its context layout and into
//! the kernel (raw `BPF_PROG_LOAD` with the program and expected attach type). The answers
//! must agree but for the deviations [`KNOWN`] lists and explains.

mod common;

use ebee::program_type::{self, ProgramTypeSpec};
use ebee_abi::attach_type::*;
use ebee_abi::prog_type::*;

/// Accesses ebee answers differently on purpose: `(spec name, first offset, last offset,
/// why)`, for every size and direction in that range where the answers differ.
const KNOWN: &[(&str, u16, u16, &str)] = &[
    (
        "sched_cls",
        180,
        180,
        "__sk_buff.tstamp_type: ebee keeps no timestamp type, so TC reads of it are refused",
    ),
    (
        "sched_act",
        180,
        180,
        "__sk_buff.tstamp_type: ebee keeps no timestamp type, so TC reads of it are refused",
    ),
    (
        "cgroup_sock_addr",
        64,
        71,
        "bpf_sock_addr.sk: a socket, which ebee does not provide; loads are refused",
    ),
    (
        "sk_msg",
        72,
        79,
        "sk_msg_md.sk: a socket, which ebee does not provide; loads are refused",
    ),
];

/// The attach type the kernel needs for a spec without one of its own.
fn attach_type(spec: &ProgramTypeSpec) -> u32 {
    spec.attach_type.unwrap_or(match spec.kernel_type {
        BPF_PROG_TYPE_SK_LOOKUP => BPF_SK_LOOKUP,
        BPF_PROG_TYPE_FLOW_DISSECTOR => BPF_FLOW_DISSECTOR,
        BPF_PROG_TYPE_SK_SKB => BPF_SK_SKB_STREAM_VERDICT,
        BPF_PROG_TYPE_SK_MSG => BPF_SK_MSG_VERDICT,
        BPF_PROG_TYPE_SOCK_OPS => BPF_CGROUP_SOCK_OPS,
        _ => 0,
    })
}

/// One instruction slot.
fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
    u64::from(code)
        | u64::from(dst | src << 4) << 8
        | u64::from(off as u16) << 16
        | u64::from(imm as u32) << 32
}

/// The program making one access.
fn program(spec: &ProgramTypeSpec, offset: i16, size: u8, write: bool) -> Vec<u64> {
    let size_code = match size {
        1 => 0x10,
        2 => 0x08,
        4 => 0x00,
        _ => 0x18,
    };
    let access = if write {
        insn(0x63 | size_code, 1, 2, offset, 0)
    } else {
        insn(0x61 | size_code, 2, 1, offset, 0)
    };
    let retval = spec.return_range.map_or(0, |(low, _)| low as i32);
    vec![
        insn(0xb7, 2, 0, 0, 0),
        access,
        insn(0xb7, 0, 0, 0, retval),
        insn(0x95, 0, 0, 0, 0),
    ]
}

fn ebee_accepts(spec: &'static ProgramTypeSpec, insns: &[u64]) -> bool {
    let slots: Vec<ebee_isa::Insn> = insns
        .iter()
        .map(|i| ebee_isa::Insn::from_bytes(i.to_le_bytes()))
        .collect();
    let program = ebee_isa::decode_program(&slots).expect("a valid program");
    let vm = ebee_vm::Vm::new(ebee_vm::Helpers::new());
    vm.load_with_context(&program, spec).is_ok()
}

fn kernel_accepts(spec: &ProgramTypeSpec, insns: &[u64]) -> bool {
    let flags = if spec.kernel_type == BPF_PROG_TYPE_SYSCALL {
        1 << 4 // BPF_F_SLEEPABLE: syscall programs must be sleepable
    } else {
        0
    };
    ebee_kernel::RawProgram::load(spec.name, spec.kernel_type, attach_type(spec), flags, insns)
        .is_ok()
}

/// The offsets tried: the whole context (its start and end for the big byte contexts) and
/// 8 bytes past it.
fn offsets(spec: &ProgramTypeSpec) -> Vec<i16> {
    let size = spec.ctx_size as i32;
    let mut offsets: Vec<i32> = (0..size.min(256) + 8).collect();
    if size > 256 {
        let end = size.min(i16::MAX as i32 - 16);
        offsets.extend(end - 24..end + 8);
    }
    offsets.into_iter().map(|o| o as i16).collect()
}

fn known(spec: &ProgramTypeSpec, offset: i16) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(name, first, last, _)| {
            *name == spec.name && (*first as i16..=*last as i16).contains(&offset)
        })
        .map(|k| k.3)
}

#[test]
fn every_context_access_is_judged_as_the_kernel_judges_it() {
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping: the kernel cannot be the oracle here: {reason}");
        return;
    }
    let mut differences = Vec::new();
    let mut deviations = std::collections::BTreeSet::new();
    let (mut checked, mut accepted) = (0, 0);
    for spec in program_type::all() {
        let attach = attach_type(spec);
        for offset in offsets(spec) {
            for size in [1u8, 2, 4, 8] {
                for write in [false, true] {
                    let insns = program(spec, offset, size, write);
                    let ours = ebee_accepts(spec, &insns);
                    let theirs = kernel_accepts(spec, &insns);
                    checked += 1;
                    accepted += usize::from(ours && theirs);
                    if ours == theirs {
                        continue;
                    }
                    let what = format!(
                        "{} (attach {attach}): {} of {size} at {offset}: ebee {}, kernel {}",
                        spec.name,
                        if write { "store" } else { "load" },
                        if ours { "accepts" } else { "refuses" },
                        if theirs { "accepts" } else { "refuses" },
                    );
                    match known(spec, offset) {
                        Some(why) => {
                            deviations.insert(format!("{}@{offset}: {why}", spec.name));
                        }
                        None => differences.push(what),
                    }
                }
            }
        }
    }
    eprintln!("{checked} accesses compared, {accepted} accepted by both; known deviations:");
    assert!(
        accepted > 4000,
        "only {accepted} accesses accepted: is the kernel refusing all?"
    );
    for d in &deviations {
        eprintln!("  {d}");
    }
    assert!(
        differences.is_empty(),
        "{} of {checked} accesses judged differently:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
