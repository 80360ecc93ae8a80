//! The object loader on the project's C programs (compiled by clang-19 at test time):
//! programs and their kinds, linking of subprograms and callbacks, maps of every origin,
//! global variables, map references, line info.

mod common;

use common::bpf_object;
use ebee_abi::flags::{BPF_F_MMAPABLE, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG};
use ebee_isa::{decode_program, encode_program, Instruction, Op};
use ebee_object::{
    DataSection, LinkedProgram, MapOrigin, MapReference, ObjectError, ObjectSpec, ProgramKind,
    SlotTarget,
};

fn spec(name: &str) -> ObjectSpec {
    ObjectSpec::read(bpf_object(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn linked<'a>(programs: &'a [LinkedProgram], name: &str) -> &'a LinkedProgram {
    programs
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no program {name}"))
}

/// The name of the function a local call or function address at `insn` goes to.
fn target_function<'a>(program: &'a LinkedProgram, insn: &Instruction) -> &'a str {
    let target = (insn.pc as i64 + 1 + (insn.imm as i32) as i64) as usize;
    let function = program
        .functions
        .iter()
        .find(|f| f.pc == target)
        .unwrap_or_else(|| {
            panic!(
                "{}: pc {} targets {target}, no function start",
                program.name, insn.pc
            )
        });
    &function.name
}

#[test]
fn programs_are_found_with_their_kinds() {
    let spec = spec("linking");
    let found: Vec<_> = spec
        .programs()
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.section.as_str(),
                p.kind.clone(),
                p.attach_target.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("xdp_first", "xdp", ProgramKind::Xdp, None),
            ("xdp_second", "xdp", ProgramKind::Xdp, None),
            ("tc_prog", "tc", ProgramKind::SchedCls, None),
            (
                "probe",
                "kprobe/do_sys_open",
                ProgramKind::Kprobe,
                Some("do_sys_open")
            ),
            (
                "unknown_kind",
                "custom/whatever",
                ProgramKind::Unknown("custom/whatever".into()),
                None
            ),
        ]
    );
    assert_eq!(spec.license(), "Dual MIT/GPL");
    assert_eq!(spec.kernel_version(), Some(0x060100));
    // Static functions and `.text` functions are subprograms, not programs.
    for name in ["local_helper", "clamp", "scale", "step"] {
        assert!(spec.program(name).is_none(), "{name}");
    }
}

#[test]
fn subprograms_are_appended_and_calls_fixed_up() {
    let spec = spec("linking");
    let programs = spec.link(None).unwrap();
    assert_eq!(programs.len(), 5);
    let first = linked(&programs, "xdp_first");
    let names: Vec<&str> = first.functions.iter().map(|f| f.name.as_str()).collect();
    // libbpf's depth-first order: each subprogram is walked as soon as it is appended, so
    // `scale` (called by `twice`) comes before `local_helper`. This is the order
    // `bpftool prog dump xlated` shows for this program loaded by libbpf.
    assert_eq!(
        names,
        [
            "xdp_first",
            "step",
            "twice",
            "scale",
            "local_helper",
            "clamp"
        ]
    );
    let mut calls = Vec::new();
    for insn in &first.instructions {
        match insn.op {
            Op::CallLocal => calls.push(target_function(first, insn)),
            Op::LddwFunc => {
                assert_eq!(insn.imm >> 32, 0, "second slot of a function address is 0");
                assert_eq!(target_function(first, insn), "step");
            }
            _ => {}
        }
    }
    assert_eq!(calls, ["twice", "local_helper", "clamp", "scale", "scale"]);
    // `.text` functions called from two programs are in both.
    let second = linked(&programs, "xdp_second");
    assert_eq!(
        second.functions.iter().map(|f| &f.name).collect::<Vec<_>>(),
        ["xdp_second", "clamp"]
    );
    let tc = linked(&programs, "tc_prog");
    assert_eq!(
        tc.functions.iter().map(|f| &f.name).collect::<Vec<_>>(),
        ["tc_prog", "scale"]
    );
    // Every linked program is valid code, and its bytes decode to the same instructions.
    for program in &programs {
        let slots = encode_program(&program.instructions);
        assert_eq!(decode_program(&slots).unwrap(), program.instructions);
        assert_eq!(program.to_bytes().len(), slots.len() * 8);
        assert!(program.functions.iter().all(|f| f.btf_type_id.is_some()));
    }
    let one = spec.link_program("tc_prog", None).unwrap();
    assert_eq!(&one, tc);
    assert!(matches!(
        spec.link_program("nope", None),
        Err(ObjectError::NotFound {
            what: "program",
            ..
        })
    ));
}

#[test]
fn global_data_becomes_array_maps_with_variables() {
    let spec = spec("linking");
    let maps: Vec<_> = spec.maps().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(maps, [".rodata", ".bss", ".data", ".data.tagged"]);
    let rodata = spec.map(".rodata").unwrap();
    assert_eq!(
        (rodata.map_type, rodata.key_size, rodata.max_entries),
        (2, 4, 1)
    );
    assert_eq!(rodata.map_flags, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE);
    assert_eq!(rodata.origin, MapOrigin::GlobalData(DataSection::Rodata));
    let data = rodata.initial_data.as_ref().unwrap();
    assert_eq!(rodata.value_size as usize, data.len());
    assert_eq!(&data[..4], &100u32.to_le_bytes());
    assert_eq!(&data[8..16], &3u64.to_le_bytes());
    let bss = spec.map(".bss").unwrap();
    assert_eq!(bss.initial_data.as_deref(), Some(&[0u8; 8][..]));
    assert_eq!(bss.map_flags, BPF_F_MMAPABLE);
    let tagged = spec.map(".data.tagged").unwrap();
    assert_eq!(tagged.initial_data.as_ref().unwrap()[4], 2);

    let globals: Vec<_> = spec
        .globals()
        .iter()
        .map(|g| {
            (
                g.name.as_str(),
                g.section.as_str(),
                g.offset,
                g.size,
                g.is_static,
            )
        })
        .collect();
    assert_eq!(
        globals,
        [
            ("threshold", ".rodata", 0, 4, false),
            ("ratio", ".rodata", 8, 8, false),
            ("calls", ".bss", 0, 8, false),
            ("loops", ".data", 0, 4, false),
            ("hidden", ".data", 4, 4, true),
            ("tagged", ".data.tagged", 0, 16, false),
        ]
    );
}

#[test]
fn set_global_changes_initial_data() {
    let mut spec = spec("linking");
    spec.set_global("ratio", &7u64.to_le_bytes()).unwrap();
    spec.set_global("calls", &9u64.to_le_bytes()).unwrap();
    let rodata = spec.map(".rodata").unwrap().initial_data.clone().unwrap();
    assert_eq!(&rodata[8..16], &7u64.to_le_bytes());
    assert_eq!(&rodata[..4], &100u32.to_le_bytes(), "neighbours untouched");
    assert_eq!(
        spec.map(".bss").unwrap().initial_data.as_ref().unwrap()[0],
        9
    );
    let err = spec.set_global("ratio", &[1, 2]).unwrap_err();
    assert!(err.to_string().contains("is 8 bytes, not 2"), "{err}");
    let err = spec.set_global("nope", &[0]).unwrap_err();
    assert!(
        matches!(
            err,
            ObjectError::NotFound {
                what: "global variable",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn map_references_name_the_map_and_offset() {
    let spec = spec("linking");
    let programs = spec.link(None).unwrap();
    let tc = linked(&programs, "tc_prog");
    let refs: Vec<_> = tc
        .map_references()
        .map(|r| (spec.maps()[r.map_index].name.as_str(), r.value_offset))
        .collect();
    // threshold, then scale's calls, ratio and the static `hidden`.
    assert_eq!(
        refs,
        [
            (".rodata", Some(0)),
            (".bss", Some(0)),
            (".rodata", Some(8)),
            (".data", Some(4))
        ]
    );
    for r in tc.map_references() {
        let insn = tc.instructions.iter().find(|i| i.pc == r.pc).unwrap();
        assert_eq!((insn.op, insn.src), (Op::LddwMapIdxValue, 6));
        assert_eq!(MapReference::from_instruction(insn), Some(r));
    }
}

#[test]
fn line_info_maps_linked_instructions_to_source() {
    let spec = spec("linking");
    let programs = spec.link(None).unwrap();
    let first = linked(&programs, "xdp_first");
    assert!(first.line_info.windows(2).all(|w| w[0].pc <= w[1].pc));
    let start = first.source_line(0).unwrap();
    assert!(start.file.ends_with("linking.bpf.c"), "{start}");
    assert!(start.text.contains("xdp_first"), "{start}");
    // The appended `scale` keeps its own lines at its new place.
    let scale = first.functions.iter().find(|f| f.name == "scale").unwrap();
    let line = first.source_line(scale.pc + 1).unwrap();
    assert!(line.pc >= scale.pc, "{line}");
    assert!(
        line.text.contains("calls++") || line.text.contains("scale"),
        "{line}"
    );
    let reference = first.map_references().find(|r| r.map_index == 3).unwrap();
    assert!(first
        .source_line(reference.pc)
        .unwrap()
        .text
        .contains("tagged"));
}

#[test]
fn btf_maps_of_every_shape() {
    let spec = spec("btf_maps");
    let names: Vec<_> = spec.maps().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "first_inner",
            "outer",
            "jumps",
            "counters",
            "seen",
            "events",
            "scratch",
            "recent",
            ".data.lock"
        ]
    );
    let lock = spec.map(".data.lock").unwrap();
    let lock_at = spec.global("global_lock").unwrap().offset;
    assert_eq!(lock.spin_lock_offset, Some(lock_at));
    assert_eq!(spec.global("guarded").unwrap().size, 8);
    let m = |name| spec.map(name).unwrap();
    let counters = m("counters");
    assert_eq!(counters.type_name(), Some("HASH"));
    assert_eq!(
        (counters.key_size, counters.value_size, counters.max_entries),
        (4, 24, 1024)
    );
    assert_eq!(counters.map_flags, BPF_F_NO_PREALLOC);
    assert_eq!(counters.spin_lock_offset, Some(8));
    let value = spec
        .btf()
        .unwrap()
        .type_by_id(counters.value_type_id.unwrap())
        .unwrap();
    assert_eq!(value.name, "counter");
    let scratch = m("scratch");
    assert_eq!(
        (scratch.type_name(), scratch.key_size, scratch.value_size),
        (Some("PERCPU_ARRAY"), 4, 16)
    );
    assert_eq!(scratch.key_type_id, None);
    assert_eq!((m("recent").key_size, m("recent").pinning), (8, 1));
    assert_eq!(
        (m("events").type_name(), m("events").max_entries),
        (Some("RINGBUF"), 4096)
    );
    assert_eq!(
        (m("seen").type_name(), m("seen").map_extra),
        (Some("BLOOM_FILTER"), 3)
    );
    let outer = m("outer");
    assert!(outer.is_map_in_map());
    assert_eq!(
        (outer.key_size, outer.value_size, outer.max_entries),
        (4, 4, 3)
    );
    let inner = outer.inner.as_deref().unwrap();
    assert_eq!(
        (inner.name.as_str(), inner.type_name()),
        ("outer.inner", Some("ARRAY"))
    );
    assert_eq!(
        (inner.key_size, inner.value_size, inner.max_entries),
        (4, 8, 2)
    );
    assert_eq!(outer.initial_slots.len(), 1);
    assert_eq!(outer.initial_slots[0].index, 1);
    assert_eq!(
        outer.initial_slots[0].target,
        SlotTarget::Map(spec.map_index("first_inner").unwrap())
    );
    let jumps = m("jumps");
    assert_eq!(jumps.type_name(), Some("PROG_ARRAY"));
    assert_eq!(
        jumps.initial_slots[0].target,
        SlotTarget::Program("tail".into())
    );
    assert!(spec.maps()[..8]
        .iter()
        .all(|m| m.origin == MapOrigin::Btf && m.initial_data.is_none()));

    let program = spec.link_program("use_maps", None).unwrap();
    let used: Vec<_> = program
        .map_references()
        .map(|r| spec.maps()[r.map_index].name.as_str())
        .filter(|&name| name != ".data.lock")
        .collect();
    assert_eq!(
        used,
        ["counters", "outer", "seen", "events", "scratch", "recent", "jumps"]
    );
    let lock_refs: Vec<_> = program
        .map_references()
        .filter(|r| r.value_offset.is_some())
        .map(|r| spec.maps()[r.map_index].name.as_str())
        .collect();
    assert!(!lock_refs.is_empty() && lock_refs.iter().all(|&n| n == ".data.lock"));
}

#[test]
fn legacy_maps_section() {
    let spec = spec("legacy_maps");
    let maps: Vec<_> = spec
        .maps()
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.map_type,
                m.key_size,
                m.value_size,
                m.max_entries,
                m.map_flags,
            )
        })
        .collect();
    assert_eq!(
        maps,
        [
            ("legacy_hash", 1, 4, 8, 32, 1),
            ("legacy_array", 2, 4, 4, 4, 0)
        ]
    );
    assert!(spec.maps().iter().all(|m| m.origin == MapOrigin::Legacy));
    let program = spec.link_program("legacy", None).unwrap();
    assert_eq!(program.kind, ProgramKind::SocketFilter);
    let used: Vec<_> = program.map_references().map(|r| r.map_index).collect();
    assert_eq!(used, [0, 1]);
}

#[test]
fn the_original_maps_program_links() {
    let spec = spec("maps");
    let names: Vec<_> = spec.maps().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["packets", "bytes_by_proto", ".rodata", ".bss", ".data"]
    );
    assert!(spec.global("drop_proto").is_some());
    for program in spec.link(None).unwrap() {
        assert!(program.map_references().count() > 0, "{}", program.name);
    }
}

#[test]
fn every_c_program_links() {
    for program in common::bpf_programs() {
        let spec = ObjectSpec::read(&program.object).unwrap_or_else(|e| panic!("{e}"));
        let linked = spec
            .link(None)
            .unwrap_or_else(|e| panic!("{}: {e}", program.name));
        assert_eq!(linked.len(), spec.programs().len(), "{}", program.name);
    }
}
