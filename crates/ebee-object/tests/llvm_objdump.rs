//! ebee's LLVM-syntax disassembly against `llvm-objdump-19 -d`, line by line: every code
//! section, every instruction, the bytes column, the `<sym+0x..>` jump annotations and the
//! symbol headings, for the generic CPU and for `--mcpu=v4`.
//!
//! Two sources of instructions: the project's C programs in `tests/bpf/` compiled by clang-19,
//! and, for every row of the opcode table, six instances (various registers, positive and
//! negative immediates and offsets) wrapped in an ELF object by llvm-mc-19.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write;

use common::{bpf_programs, check_against_llvm_objdump, out_dir, run, LLVM_MC};
use ebee_isa::{encode_program, slots_to_bytes, Instruction, Op, OpDef, Select, Shape, OPCODES};
use ebee_object::ElfObject;

#[test]
fn c_programs_match_llvm_objdump() {
    for program in bpf_programs() {
        check_against_llvm_objdump(&program.object);
    }
}

/// Six instances of one row of the opcode table, with `pc` still 0.
fn instances(def: &OpDef) -> Vec<Instruction> {
    let registers = if def.shape == Shape::Atomic {
        [(1, 2), (10, 0), (9, 3)] // a fetch writes src, so src is never r10
    } else {
        [(1, 2), (0, 10), (9, 3)] // dst is written by most forms, so never r10
    };
    let imms = [4, -4, 0, 0x7fff_ffff, -0x8000_0000, 0x10];
    let offsets = [4, -8, 0, 0x7fff, -0x8000, 0x10];
    let jumps = [3, -2, 0, 1, -3, 2];
    let imm64s = [0x1234_0000_9abc, -4, 0, i64::MAX, i64::MIN, 0x1_0000_0000];
    (0..6)
        .map(|k| {
            let (dst, src) = registers[k % 3];
            let mut insn = Instruction {
                pc: 0,
                op: def.op,
                dst: 0,
                src: 0,
                off: 0,
                imm: 0,
            };
            match def.shape {
                Shape::AluImm => (insn.dst, insn.imm) = (dst, imms[k]),
                Shape::AluReg | Shape::MovSx => (insn.dst, insn.src) = (dst, src),
                Shape::AluUnary | Shape::Endian | Shape::CallReg => insn.dst = dst,
                Shape::LoadImm64 => (insn.dst, insn.imm) = (dst, imm64s[k]),
                Shape::Load | Shape::StoreReg | Shape::Atomic => {
                    (insn.dst, insn.src, insn.off) = (dst, src, offsets[k])
                }
                Shape::StoreImm => (insn.dst, insn.off, insn.imm) = (dst, offsets[k], imms[k]),
                Shape::Ja | Shape::MayGoto => insn.off = jumps[k],
                Shape::Ja32 => insn.imm = jumps[k].into(),
                Shape::JumpImm => (insn.dst, insn.off, insn.imm) = (dst, jumps[k], imms[k]),
                Shape::JumpReg => (insn.dst, insn.src, insn.off) = (dst, src, jumps[k]),
                Shape::Call => insn.imm = [1, -1, 5, -2, 0, 0x7fff_ffff][k],
                Shape::Exit => {}
                Shape::PacketAbs => insn.imm = imms[k],
                Shape::PacketInd => (insn.src, insn.imm) = (src, imms[k]),
            }
            if def.op == Op::CallLocal {
                insn.imm = jumps[k].into(); // stay inside the program
            }
            match def.select {
                Select::None => {}
                Select::Off(off) => insn.off = off,
                Select::Imm(imm) => insn.imm = imm.into(),
                Select::Src(src) => insn.src = src,
            }
            insn
        })
        .collect()
}

/// `.byte` lines for `program`.
fn byte_directives(program: &[Instruction]) -> String {
    let mut out = String::new();
    for insn in program {
        let bytes = slots_to_bytes(&encode_program(std::slice::from_ref(insn)));
        let list: Vec<String> = bytes.iter().map(|b| format!("{b:#04x}")).collect();
        let _ = writeln!(out, "\t.byte {}\t# {:?}", list.join(", "), insn.op);
    }
    out
}

#[test]
fn every_opcode_row_matches_llvm_objdump() {
    let padding = |op, dst, n| {
        vec![
            Instruction {
                pc: 0,
                op,
                dst,
                src: 0,
                off: 0,
                imm: 0,
            };
            n
        ]
    };
    let mut program = padding(Op::Mov64Imm, 1, 4);
    let mut first_jump = None;
    for def in OPCODES {
        if first_jump.is_none() && def.shape == Shape::Ja {
            first_jump = Some(program.len());
        }
        program.extend(instances(def));
    }
    program.extend(padding(Op::Exit, 0, 4));
    let mut pc = 0;
    for insn in &mut program {
        insn.pc = pc;
        pc += insn.slots();
    }
    // A second function starts at the first `goto`, so annotations name both functions.
    let split = first_jump.expect("the table has a goto");
    let mut source = String::from("\t.text\n\t.globl prog\n\t.type prog,@function\nprog:\n");
    source.push_str(&byte_directives(&program[..split]));
    source.push_str("\t.globl jumps\n\t.type jumps,@function\njumps:\n");
    source.push_str(&byte_directives(&program[split..]));
    // A section without symbols: llvm-objdump labels it with the section's name.
    source.push_str("\t.section raw,\"ax\",@progbits\n");
    source.push_str("\t.byte 0x05, 0, 1, 0, 0, 0, 0, 0\n\t.byte 0x95, 0, 0, 0, 0, 0, 0, 0\n");
    source.push_str("\t.byte 0x05, 0, 0xfd, 0xff, 0, 0, 0, 0\n\t.byte 0x95, 0, 0, 0, 0, 0, 0, 0\n");

    let dir = out_dir("rows");
    let (asm, object) = (dir.join("rows.s"), dir.join("rows.o"));
    std::fs::write(&asm, source).unwrap();
    run(
        LLVM_MC,
        &[
            "-triple",
            "bpf",
            "-mcpu=v4",
            "-filetype=obj",
            &asm.to_string_lossy(),
            "-o",
            &object.to_string_lossy(),
        ],
    );
    // The bytes survived the trip through the assembler and the ELF reader unchanged.
    let parsed = ElfObject::read(&object).unwrap();
    let text = &parsed.code_sections()[0];
    assert_eq!(text.decode().unwrap(), program);

    // 6 instances of each 32-bit atomic other than a plain add.
    let atomics32 = OPCODES
        .iter()
        .filter(|d| d.opcode == 0xc3 && d.select != Select::Imm(0))
        .count();
    assert_eq!(check_against_llvm_objdump(&object), 6 * atomics32);
}

/// Forms the C programs cannot produce: `lddw` pseudo kinds (set by a loader, not clang),
/// kfunc calls (need kernel BTF) and `callx` (clang never emits it for BPF).
fn not_expected_from_c(def: &OpDef) -> bool {
    matches!(def.select, Select::Src(1..)) && def.shape == Shape::LoadImm64
        || matches!(def.op, Op::CallKfunc | Op::Callx)
}

#[test]
fn c_programs_decode_and_cover_the_instruction_set() {
    let mut seen = BTreeSet::new();
    for program in bpf_programs() {
        let object = ElfObject::read(&program.object).unwrap_or_else(|e| panic!("{e}"));
        assert!(!object.code_sections().is_empty(), "{}", program.name);
        for section in object.code_sections() {
            assert!(
                !section.symbols.is_empty(),
                "{}: {}",
                program.name,
                section.name
            );
            let decoded = section
                .decode()
                .unwrap_or_else(|e| panic!("{}: {e}", program.name));
            seen.extend(decoded.iter().map(|insn| insn.op as usize));
        }
    }
    let missing: Vec<Op> = OPCODES
        .iter()
        .filter(|def| !not_expected_from_c(def) && !seen.contains(&(def.op as usize)))
        .map(|def| def.op)
        .collect();
    assert!(
        missing.is_empty(),
        "no C program in tests/bpf uses {missing:?}"
    );
}
