//! CO-RE resolution on BTF built in Rust: flavors, anonymous members, missing fields,
//! poisoning and memory size adjustment.

use super::*;
use crate::btf::{BtfMember, BtfType};

fn relo(type_id: u32, kind: u32) -> CoreRelo {
    CoreRelo {
        insn: 0,
        type_id,
        access_off: 0,
        kind,
    }
}

/// Local: `struct task { int pid; unsigned int count; }`, and `struct task___old`.
fn local() -> (Btf, u32) {
    let mut btf = Btf::new();
    let int = btf.add_int("int", 4, true);
    let uint = btf.add_int("unsigned int", 4, false);
    let task = btf
        .add_c_struct("task", &[("pid", int), ("count", uint)])
        .unwrap();
    (btf, task)
}

/// Target: `struct task { long pad; union { struct { int pid; }; }; unsigned long count; }`.
fn target() -> Btf {
    let mut btf = Btf::new();
    let long = btf.add_int("long", 8, true);
    let int = btf.add_int("int", 4, true);
    let ulong = btf.add_int("unsigned long", 8, false);
    let inner = btf.add_c_struct("", &[("pid", int)]).unwrap();
    let union = btf.add_type(BtfType::new(
        "",
        BtfKind::Union {
            size: 4,
            members: vec![BtfMember::new("", inner, 0)],
        },
    ));
    btf.add_c_struct("task___v2", &[("pad", long), ("", union), ("count", ulong)])
        .unwrap();
    btf
}

#[test]
fn essential_names_drop_the_flavor() {
    assert_eq!(compat::essential_len("task___v2"), 4);
    assert_eq!(compat::essential_len("task"), 4);
    assert_eq!(
        compat::essential_len("a____b"),
        6,
        "four underscores are no separator"
    );
    assert_eq!(compat::essential_len("___x"), 4);
    assert_eq!(compat::essential_len(""), 0);
}

#[test]
fn fields_are_found_through_flavors_and_anonymous_members() {
    let (local, task) = local();
    let target = target();
    let (res, _) = resolve(&local, &target, &relo(task, kind::FIELD_BYTE_OFFSET), "0:0").unwrap();
    assert_eq!((res.orig_val, res.new_val, res.poison), (0, 8, false));
    let (res, _) = resolve(&local, &target, &relo(task, kind::FIELD_BYTE_SIZE), "0:1").unwrap();
    assert_eq!((res.orig_val, res.new_val), (4, 8));
    let (res, _) = resolve(&local, &target, &relo(task, kind::FIELD_EXISTS), "0:1").unwrap();
    assert_eq!(res.new_val, 1);
    let (res, _) = resolve(&local, &target, &relo(task, kind::TYPE_SIZE), "0").unwrap();
    assert_eq!((res.orig_val, res.new_val), (8, 24));
}

#[test]
fn loads_of_unsigned_fields_change_size_and_others_are_poisoned() {
    let (local, task) = local();
    let target = target();
    // ldxw r1, [r2+4] of `count`: the target's is 8 bytes at 16, unsigned → ldxdw [r2+16].
    let mut slots = vec![Insn {
        opcode: 0x61,
        dst: 1,
        src: 2,
        off: 4,
        imm: 0,
    }];
    let (res, _) = resolve(&local, &target, &relo(task, kind::FIELD_BYTE_OFFSET), "0:1").unwrap();
    assert!(!patch(&mut slots, 0, &res).unwrap());
    assert_eq!((slots[0].opcode, slots[0].off), (0x79, 16));
    // A load whose instruction does not hold the local offset is refused, as by libbpf.
    let mut wrong = vec![Insn {
        opcode: 0x61,
        off: 12,
        ..Insn::default()
    }];
    assert!(patch(&mut wrong, 0, &res)
        .unwrap_err()
        .contains("expected 4"));
    // Relocating a signed field of another size poisons the load.
    let mut local = local;
    let short = local.add_int("short", 2, true);
    let other = local.add_c_struct("task", &[("pid", short)]).unwrap();
    let (res, _) = resolve(
        &local,
        &target,
        &relo(other, kind::FIELD_BYTE_OFFSET),
        "0:0",
    )
    .unwrap();
    let mut slots = vec![Insn {
        opcode: 0x69,
        ..Insn::default()
    }];
    assert!(patch(&mut slots, 0, &res).unwrap());
    assert_eq!((slots[0].opcode, slots[0].imm), (0x85, CORE_POISON_IMM));
}

#[test]
fn missing_fields_poison_and_existence_checks_give_zero() {
    let (mut local, _) = local();
    let int = local.id_by_name("int").unwrap();
    let gone = local
        .add_c_struct("task", &[("pid", int), ("missing", int)])
        .unwrap();
    let target = target();
    let (res, why) = resolve(&local, &target, &relo(gone, kind::FIELD_BYTE_OFFSET), "0:1").unwrap();
    assert!(res.poison);
    assert!(why.contains("task"), "{why}");
    let (res, _) = resolve(&local, &target, &relo(gone, kind::FIELD_EXISTS), "0:1").unwrap();
    assert_eq!((res.poison, res.new_val), (false, 0));
    // An lddw is poisoned in both slots.
    let mut slots = vec![
        Insn {
            opcode: 0x18,
            ..Insn::default()
        },
        Insn::default(),
    ];
    let poison = Resolution {
        poison: true,
        ..Resolution::default()
    };
    assert!(patch(&mut slots, 0, &poison).unwrap());
    assert!(slots
        .iter()
        .all(|s| s.opcode == 0x85 && s.imm == CORE_POISON_IMM));
}

#[test]
fn bad_access_strings_and_anonymous_types_are_errors() {
    let (local, task) = local();
    let target = target();
    for access in ["", ":1", "0:x", "0:9"] {
        assert!(resolve(
            &local,
            &target,
            &relo(task, kind::FIELD_BYTE_OFFSET),
            access
        )
        .is_err());
    }
    assert!(resolve(&local, &target, &relo(task, kind::TYPE_SIZE), "0:1").is_err());
    let mut local = local;
    let int = local.id_by_name("int").unwrap();
    let anon = local.add_c_struct("", &[("x", int)]).unwrap();
    let err = resolve(&local, &target, &relo(anon, kind::FIELD_BYTE_OFFSET), "0:0").unwrap_err();
    assert!(err.contains("anonymous"), "{err}");
}

#[test]
fn cyclic_anonymous_members_exhaust_the_budget_instead_of_hanging() {
    let (local, task) = local();
    let mut target = Btf::new();
    // struct task { struct task; struct task; ... } through anonymous members, forever.
    let id = target.len() as u32;
    target.add_type(BtfType::structure(
        "task",
        8,
        (0..8).map(|_| BtfMember::new("", id, 0)).collect(),
    ));
    let err = resolve(&local, &target, &relo(task, kind::FIELD_BYTE_OFFSET), "0:0").unwrap_err();
    assert!(err.contains("budget") || err.contains("deep"), "{err}");
}

#[test]
fn memory_accesses_resize_to_the_same_kind_of_access() {
    let resize = |op: Op, size| resized(op.semantics(), size);
    assert_eq!(resize(Op::Ldxw, 8), Some(Op::Ldxdw));
    assert_eq!(resize(Op::Ldxsh, 1), Some(Op::Ldxsb));
    assert_eq!(resize(Op::Ldxsw, 8), None); // there is no sign-extending 8-byte load
    assert_eq!(resize(Op::Stb, 4), Some(Op::Stw));
    assert_eq!(resize(Op::Stxdw, 2), Some(Op::Stxh));
    assert_eq!(resize(Op::AtomicFetchAdd32, 8), Some(Op::AtomicFetchAdd64));
    assert_eq!(resize(Op::AtomicAdd64, 2), None);
    assert_eq!(resize(Op::Mov64Imm, 4), None);
}
