//! Objects in the formats older toolchains and loaders wrote, loaded by ebee and by Linux
//! (the raw-bpf(2) oracle, `KernelObject::load_spec`, from the same parsed object) and run
//! in both: legacy `maps` records with symbol sizes 0 (rewritten here as clang before 10
//! wrote them), iproute2's `struct bpf_elf_map` with a map of maps linked by `inner_id`,
//! a `.text` subprogram using a map of a `maps/…` section, section names only libbpf 0.x
//! knows, libbpf's load-time map adjustments and host-set map sizes, `e_machine` 0, a
//! `.text` entry point given its type by the host; and the listing of programs whose
//! helpers ebee lacks.

mod common;

use common::pair::{packet, Pair};
use ebee::{Engine, Error};
use ebee_object::{ObjectSpec, ProgramKind, SlotTarget, TypeRule};
use object::{Object, ObjectSection, ObjectSymbol};

/// `elf` with every symbol of section `section` given size 0, as clang before 10 wrote
/// the map symbols of the `maps` section.
fn zero_symbol_sizes(elf: &[u8], section: &str) -> Vec<u8> {
    let file = object::File::parse(elf).expect("an ELF file");
    let index = file.section_by_name(section).expect("the section").index();
    let (symtab, _) = file
        .section_by_name(".symtab")
        .and_then(|s| s.file_range())
        .expect("a symbol table");
    let mut out = elf.to_vec();
    let mut rewritten = 0;
    for symbol in file.symbols().filter(|s| s.section_index() == Some(index)) {
        // Elf64_Sym: st_name 4, st_info 1, st_other 1, st_shndx 2, st_value 8, st_size 8.
        let at = symtab as usize + symbol.index().0 * 24 + 16;
        out[at..at + 8].copy_from_slice(&0u64.to_le_bytes());
        rewritten += 1;
    }
    assert!(rewritten > 0, "no symbol in {section}");
    out
}

/// `legacy_formats.bpf.c` as an old toolchain wrote it.
fn legacy_object() -> Vec<u8> {
    let elf = std::fs::read(common::compile("legacy_formats")).expect("the object");
    zero_symbol_sizes(&elf, "maps")
}

/// The host's part: the scratch array's value size, and the `.text` entry's type.
fn size_and_type(builder: &mut ebee::ObjectBuilder) {
    builder
        .set_map_value_size("scratch", 16)
        .expect("scratch exists")
        .set_program_type(Some("text_entry"), "classifier")
        .expect("text_entry exists");
}

#[test]
fn legacy_maps_with_symbol_size_zero_are_read_by_libbpfs_rule() {
    let elf = legacy_object();
    let spec = ObjectSpec::parse(&elf).unwrap();
    let sizes: Vec<_> = spec
        .maps()
        .iter()
        .map(|m| {
            let m = m.adjusted_for_load(3, 4096);
            (m.name, m.map_type, m.key_size, m.value_size, m.max_entries)
        })
        .collect();
    assert_eq!(
        sizes,
        [
            ("counts".to_string(), 2, 4, 8, 4),
            ("lengths".to_string(), 1, 4, 4, 16),
            ("events".to_string(), 4, 4, 4, 3), // perf event array: 4 bytes, one per CPU
            ("records".to_string(), 27, 0, 0, 8192), // ring buffer: 5000 → 2 pages
            ("scratch".to_string(), 2, 4, 0, 1),
        ]
    );
    let rules: Vec<_> = spec
        .programs()
        .iter()
        .map(|p| (p.name.as_str(), p.kind.clone(), p.rule.to_string()))
        .collect();
    assert_eq!(
        rules,
        [
            (
                "mark_by_length",
                ProgramKind::Xdp,
                "libbpf 0.x prefix \"xdp\"".into()
            ),
            (
                "half_length",
                ProgramKind::SocketFilter,
                "libbpf 0.x prefix \"socket\"".into()
            ),
            (
                "text_entry",
                ProgramKind::Unknown(".text".into()),
                "no rule".into()
            ),
        ]
    );

    // A section whose size does not divide among its size-0 symbols is refused, naming it.
    let file = object::File::parse(&*elf).unwrap();
    let maps = file.section_by_name("maps").unwrap();
    let mut odd = elf.clone();
    // Elf64_Ehdr: e_shoff at 0x28, e_shentsize at 0x3a; Elf64_Shdr: sh_size at 0x20.
    let header = u64::from_le_bytes(odd[0x28..0x30].try_into().unwrap()) as usize;
    let shentsize = u16::from_le_bytes(odd[0x3a..0x3c].try_into().unwrap()) as usize;
    let size_at = header + maps.index().0 * shentsize + 0x20;
    assert_eq!(
        u64::from_le_bytes(odd[size_at..size_at + 8].try_into().unwrap()),
        maps.size()
    );
    odd[size_at..size_at + 8].copy_from_slice(&(maps.size() - 1).to_le_bytes());
    let err = ObjectSpec::parse(&odd).unwrap_err().to_string();
    assert!(
        err.contains("maps") && err.contains("do not divide into 5"),
        "{err}"
    );
}

#[test]
fn legacy_formats_load_and_run_as_in_linux() {
    let elf = legacy_object();
    let Some(pair) = Pair::load_spec("legacy_formats", &elf, size_and_type) else {
        return;
    };
    for len in [64, 150, 80] {
        let data = packet(&vec![0xab; len]);
        pair.run("mark_by_length", &data);
        pair.run("half_length", &data);
        pair.run("text_entry", &data);
    }
    for map in ["counts", "lengths", "scratch"] {
        pair.assert_map_equal(map);
    }
    let listed = pair
        .ebee
        .program("text_entry")
        .unwrap()
        .linked()
        .rule
        .clone();
    assert_eq!(listed, TypeRule::Override("classifier".into()));
}

#[test]
fn a_map_still_invalid_at_creation_is_refused_naming_it_by_both() {
    let elf = legacy_object();
    let err = Engine::new()
        .load(&elf)
        .err()
        .expect("value size 0 is refused");
    let text = err.to_string();
    assert!(
        matches!(err, Error::Map(_)) && text.contains("scratch"),
        "{text}"
    );
    if ebee_kernel::availability().is_err() {
        eprintln!("skipping the kernel's side: bpf() is unavailable");
        return;
    }
    let spec = ObjectSpec::parse(&elf).unwrap();
    let Err(kernel) = ebee_kernel::KernelObject::load_spec(&elf, spec, &Default::default()) else {
        panic!("the kernel accepts value size 0");
    };
    assert!(kernel.to_string().contains("scratch"), "{kernel}");
}

#[test]
fn e_machine_zero_loads_with_a_warning_and_runs_as_in_linux() {
    let mut elf = legacy_object();
    elf[18..20].copy_from_slice(&0u16.to_le_bytes());
    let spec = ObjectSpec::parse(&elf).unwrap();
    assert_eq!(spec.warnings().len(), 1);
    assert!(
        spec.warnings()[0].contains("e_machine is 0"),
        "{:?}",
        spec.warnings()
    );
    // Other machines are still refused.
    let mut x86 = elf.clone();
    x86[18..20].copy_from_slice(&62u16.to_le_bytes());
    assert!(ObjectSpec::parse(&x86).is_err());
    let Some(pair) = Pair::load_spec("legacy_formats (e_machine 0)", &elf, size_and_type) else {
        return;
    };
    assert_eq!(pair.ebee.warnings(), spec.warnings());
    pair.run("mark_by_length", &packet(&[1; 120]));
    pair.run("half_length", &packet(&[2; 70]));
    pair.assert_map_equal("counts");
}

#[test]
fn iproute2_maps_of_maps_link_by_inner_id_and_run_as_in_linux() {
    let elf = std::fs::read(common::compile("iproute2_maps")).unwrap();
    let spec = ObjectSpec::parse(&elf).unwrap();
    let outer = spec.map("outer").unwrap();
    let inner = spec.map_index("inner").unwrap();
    assert_eq!(outer.inner.as_ref().map(|m| m.value_size), Some(4));
    assert_eq!(outer.initial_slots.len(), 1);
    assert_eq!(
        (outer.initial_slots[0].index, &outer.initial_slots[0].target),
        (1, &SlotTarget::Map(inner))
    );
    assert_eq!(
        spec.map("inner").unwrap().iproute2.map(|ids| ids.id),
        Some(42)
    );
    // The `.text` subprogram's map, in section `maps/seen`.
    assert!(spec.map("seen").is_some());
    let Some(pair) = Pair::load_spec("iproute2_maps", &elf, |_| {}) else {
        return;
    };
    for len in [60, 20, 30] {
        pair.run("through_outer", &packet(&vec![7; len]));
    }
    pair.assert_map_equal("inner");
    pair.assert_map_equal("seen");
}

#[test]
fn an_inner_id_naming_no_map_is_refused_naming_the_map() {
    let elf = std::fs::read(common::compile("iproute2_maps")).unwrap();
    let file = object::File::parse(&*elf).unwrap();
    let maps = file.section_by_name("maps").unwrap();
    let (offset, _) = maps.file_range().unwrap();
    let outer = file.symbols().find(|s| s.name() == Ok("outer")).unwrap();
    // inner_id is field 7 of struct bpf_elf_map.
    let at = (offset + outer.address()) as usize + 7 * 4;
    let mut bad = elf.clone();
    bad[at..at + 4].copy_from_slice(&7u32.to_le_bytes());
    let err = ObjectSpec::parse(&bad).unwrap_err().to_string();
    assert!(err.contains("outer") && err.contains("inner_id 7"), "{err}");
}

#[test]
fn programs_whose_helpers_ebee_lacks_list_but_do_not_load() {
    let path = "/usr/lib/x86_64-linux-gnu/bpf/xdpdump_bpf.o";
    let spec = ObjectSpec::read(path).expect("xdp-tools is installed (scripts/test.sh)");
    let listing = Engine::new().list_programs(&spec).unwrap();
    assert_eq!(listing.len(), 2);
    for program in &listing {
        let missing: Vec<_> = program.missing_helpers().map(|h| (h.id, h.name)).collect();
        assert_eq!(missing, [(121, Some("xdp_output"))], "{}", program.name);
        assert_eq!(program.program_type, "tracing");
    }
    let err = Engine::new().load_file(path).err().unwrap().to_string();
    assert!(err.contains("xdp_output (id 121)"), "{err}");
    // Registered by the embedder, it is no longer missing.
    let engine = Engine::new().with_helper(121, "xdp_output", |_, _| Ok(0));
    let listing = engine.list_programs(&spec).unwrap();
    assert!(listing.iter().all(|p| p.missing_helpers().next().is_none()));
}
