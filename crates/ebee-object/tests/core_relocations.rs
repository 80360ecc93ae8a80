//! CO-RE relocations of `tests/bpf/core.bpf.c`, resolved against the object's own BTF and
//! against a target BTF built in Rust in which fields moved, changed size or signedness, or
//! disappeared. The program stores each relocated constant into `out[i]`; the tests read
//! back what each became.

mod common;

use std::collections::BTreeMap;

use common::bpf_object;
use ebee_isa::{Instruction, Op, Shape};
use ebee_object::{
    Btf, BtfEnumValue, BtfMember, BtfType, LinkedProgram, ObjectSpec, CORE_POISON_IMM,
};

fn spec() -> ObjectSpec {
    ObjectSpec::read(bpf_object("core")).unwrap_or_else(|e| panic!("{e}"))
}

/// The constant stored into each `out[i]`: for every `*(u64 *)(base + 8 * i) = rX`, where
/// `base` holds the address of `out`, the immediate last written to `rX` before it.
fn stored_constants(program: &LinkedProgram) -> BTreeMap<usize, i64> {
    let insns = &program.instructions;
    let base = insns
        .iter()
        .find(|i| i.op == Op::LddwMapIdxValue)
        .expect("the address of `out`")
        .dst;
    let mut out = BTreeMap::new();
    for (at, insn) in insns.iter().enumerate() {
        if insn.op != Op::Stxdw || insn.dst != base {
            continue;
        }
        let writer = insns[..at].iter().rev().find(|w| writes(w, insn.src));
        if let Some(w) = writer.filter(|w| matches!(w.op, Op::Mov64Imm | Op::Lddw | Op::Mov32Imm)) {
            out.insert(insn.off as usize / 8, w.imm);
        }
    }
    out
}

/// True when `insn` gives register `reg` a new value (`w1 = w1` does not count).
fn writes(insn: &Instruction, reg: u8) -> bool {
    let shape = insn.def().shape;
    let is_copy = shape == Shape::AluReg && insn.src == insn.dst;
    insn.dst == reg
        && !is_copy
        && matches!(
            shape,
            Shape::AluImm | Shape::AluReg | Shape::LoadImm64 | Shape::Load | Shape::MovSx
        )
        || (reg == 0 && shape == Shape::Call)
}

/// Target types: `struct task` with fields moved (`pid` unsigned and after `start`, which is
/// an `int`), `state` moved, `extra` gone; `struct env` with `task` moved and `count` grown
/// to 64 bits; `enum mode` without `MODE_NEW` and another `MODE_ON`; no `struct gone`.
fn target() -> (Btf, u32) {
    let mut btf = Btf::new();
    let int = btf.add_int("int", 4, true);
    let uint = btf.add_int("unsigned int", 4, false);
    let u64_id = btf.add_int("unsigned long long", 8, false);
    let task_id = btf.len() as u32 + 1;
    let task_ptr = btf.add_pointer(task_id);
    let task = btf.add_type(BtfType::structure(
        "task",
        40,
        vec![
            BtfMember::new("start", int, 0),
            BtfMember::new("pid", uint, 64),
            BtfMember::new("parent", task_ptr, 128),
            BtfMember {
                name: "flags".into(),
                type_id: uint,
                bit_offset: 192,
                bitfield_size: 3,
            },
            BtfMember {
                name: "state".into(),
                type_id: uint,
                bit_offset: 200,
                bitfield_size: 5,
            },
            BtfMember::new("more", u64_id, 256),
        ],
    ));
    assert_eq!(task, task_id);
    btf.add_c_struct(
        "env",
        &[("cookie", u64_id), ("task", task_ptr), ("count", u64_id)],
    )
    .unwrap();
    btf.add_type(BtfType::enumeration(
        "mode",
        4,
        vec![
            BtfEnumValue::new("MODE_OFF", 0),
            BtfEnumValue::new("MODE_ON", 10),
        ],
    ));
    (btf, task)
}

#[test]
fn the_own_btf_keeps_what_clang_compiled() {
    let spec = spec();
    let program = spec.link_program("core_reads", None).unwrap();
    assert!(
        program.core_diagnostics.is_empty(),
        "{:?}",
        program.core_diagnostics
    );
    let local_task = i64::from(spec.btf().unwrap().id_by_name("task").unwrap());
    let values = stored_constants(&program);
    let expected = [
        (0, 0),
        (2, 1),
        (3, 8),
        (5, 1),
        (6, 32),
        (7, 1),
        (8, 1),
        (9, 1),
        (10, local_task),
        (11, local_task),
        (13, 1),
        (16, 16),
    ];
    for (slot, value) in expected {
        assert_eq!(values.get(&slot), Some(&value), "out[{slot}] in {values:?}");
    }
}

#[test]
fn relocations_follow_the_target_btf() {
    let spec = spec();
    let (target, target_task) = target();
    let program = spec.link_program("core_reads", Some(&target)).unwrap();
    let local_task = i64::from(spec.btf().unwrap().id_by_name("task").unwrap());
    let values = stored_constants(&program);
    let expected = [
        (0, 8),                       // pid moved
        (2, 0),                       // extra is gone
        (3, 4),                       // start is an int now
        (5, 0),                       // struct gone is gone
        (6, 40),                      // struct task grew
        (7, 0),                       // MODE_NEW is gone
        (8, 10),                      // MODE_ON changed
        (9, 0),                       // pid is unsigned
        (10, local_task),             // local ids stay
        (11, i64::from(target_task)), // target ids are the target's
        (13, 0),                      // env.count no longer matches
        (16, 16),                     // parent stayed
    ];
    for (slot, value) in expected {
        assert_eq!(values.get(&slot), Some(&value), "out[{slot}] in {values:?}");
    }
    // The bitfield's shifts moved with it (bit 200 instead of 195).
    let shifts: Vec<i64> = program
        .instructions
        .iter()
        .filter(|i| i.op == Op::Lsh64Imm)
        .map(|i| i.imm)
        .collect();
    assert!(shifts.contains(&51), "{shifts:?}");
    // Direct context loads: `ctx->task` moved to 8, `ctx->count` grew to a 64-bit load.
    let ctx_loads: Vec<(Op, i16)> = program
        .instructions
        .iter()
        .filter(|i| i.src == 6 && matches!(i.op, Op::Ldxw | Op::Ldxdw))
        .map(|i| (i.op, i.off))
        .collect();
    assert_eq!(ctx_loads, [(Op::Ldxdw, 8), (Op::Ldxdw, 16)]);
    // The read of `extra` is poisoned, and said so.
    assert_eq!(
        program.core_diagnostics.len(),
        1,
        "{:?}",
        program.core_diagnostics
    );
    let diagnostic = &program.core_diagnostics[0];
    assert_eq!(diagnostic.kind, "byte_off");
    assert!(
        diagnostic.access.contains("task") && diagnostic.access.contains("0:5"),
        "{diagnostic}"
    );
    let poisoned = program
        .instructions
        .iter()
        .find(|i| i.pc == diagnostic.pc)
        .unwrap();
    assert_eq!(
        (poisoned.op, poisoned.imm),
        (Op::CallHelper, i64::from(CORE_POISON_IMM))
    );
    let text = diagnostic.to_string();
    assert!(text.contains("call 0xbad2310"), "{text}");
    let line = program.source_line(diagnostic.pc).unwrap();
    assert!(line.text.contains("extra"), "{line}");
}

#[test]
fn target_btf_can_come_from_bytes_or_an_object_file() {
    let spec = spec();
    let (target, _) = target();
    let from_bytes = Btf::parse(&target.to_bytes()).unwrap();
    assert_eq!(
        spec.link_program("core_reads", Some(&from_bytes)).unwrap(),
        spec.link_program("core_reads", Some(&target)).unwrap()
    );
    let own = Btf::from_elf(&std::fs::read(bpf_object("core")).unwrap()).unwrap();
    assert_eq!(
        spec.link_program("core_reads", Some(&own)).unwrap(),
        spec.link_program("core_reads", None).unwrap()
    );
}
