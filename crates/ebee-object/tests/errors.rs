//! Bad input gives errors that name where the fault is: unknown relocation types and
//! symbols, unsupported map definitions and externs, corrupt ELF and BTF.

mod common;

use common::{bpf_object, compile_c};
use ebee_object::{ObjectError, ObjectSpec};
use object::read::elf::{ElfFile64, SectionHeader};
use object::{LittleEndian, Object, ObjectSection};

const HEADER: &str = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n";

fn parse_c(name: &str, body: &str) -> Result<ObjectSpec, ObjectError> {
    let object = compile_c(
        name,
        &format!("{HEADER}{body}\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n"),
    );
    ObjectSpec::parse(&std::fs::read(object).unwrap())
}

/// The file offset of the relocation section that applies to section `name`.
fn rel_section_offset(bytes: &[u8], name: &str) -> usize {
    let file = ElfFile64::<LittleEndian>::parse(bytes).unwrap();
    let section = file.section_by_name(name).unwrap();
    let rel = section.elf_relocation_section().unwrap().unwrap();
    rel.sh_offset(LittleEndian) as usize
}

#[test]
fn unknown_relocation_types_name_section_instruction_and_symbol() {
    let mut bytes = std::fs::read(bpf_object("legacy_maps")).unwrap();
    let rel = rel_section_offset(&bytes, "socket");
    let insn = u64::from_le_bytes(bytes[rel..rel + 8].try_into().unwrap()) / 8;
    bytes[rel + 8] = 7; // r_type of the first relocation
    let err = ObjectSpec::parse(&bytes).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ObjectError::Relocation { .. }), "{text}");
    assert!(text.contains("section socket"), "{text}");
    assert!(text.contains(&format!("instruction {insn}")), "{text}");
    assert!(text.contains("legacy_hash"), "{text}");
    assert!(text.contains("unknown relocation type 7"), "{text}");
}

#[test]
fn relocations_against_unknown_symbols_are_errors() {
    let mut bytes = std::fs::read(bpf_object("legacy_maps")).unwrap();
    let rel = rel_section_offset(&bytes, "socket");
    bytes[rel + 12..rel + 16].copy_from_slice(&0x7fff_u32.to_le_bytes()); // r_sym
    let err = ObjectSpec::parse(&bytes).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("section socket") && text.contains("symbol #32767"),
        "{text}"
    );
}

#[test]
fn unsupported_map_definitions_are_errors() {
    let err = parse_c(
        "unknown_field",
        "struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __uint(colour, 3); \
         __type(key, __u32); __type(value, __u32); } m SEC(\".maps\");\n\
         SEC(\"xdp\") int p(void *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&m, &k) != 0; }",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("map `m`: unknown field `colour`"),
        "{err}"
    );
    let err = parse_c(
        "conflict",
        "struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __uint(key_size, 8); \
         __type(key, __u32); __type(value, __u32); } m SEC(\".maps\");\n\
         SEC(\"xdp\") int p(void *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&m, &k) != 0; }",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("conflicting key size 8 != 4"),
        "{err}"
    );
    let err = parse_c(
        "values_on_hash",
        "struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); \
         __type(key, __u32); __type(value, __u32); };\n\
         struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); \
         __type(key, __u32); __array(values, struct inner); } m SEC(\".maps\");\n\
         SEC(\"xdp\") int p(void *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&m, &k) != 0; }",
    )
    .unwrap_err();
    assert!(err.to_string().contains("only for map-in-map"), "{err}");
}

/// Extern variables are `tests/externs.rs`'s.
#[test]
fn kfuncs_are_left_to_the_host() {
    let spec = parse_c(
        "kfunc",
        "extern int bpf_my_kfunc(int x) __attribute__((section(\".ksyms\")));\n\
         SEC(\"xdp\") int p(void *ctx) { return bpf_my_kfunc(3); }",
    )
    .unwrap();
    let program = spec.link_program("p", None).unwrap();
    assert_eq!(program.kfunc_calls.len(), 1);
    let call = &program.kfunc_calls[0];
    assert_eq!(call.name, "bpf_my_kfunc");
    let insn = program
        .instructions
        .iter()
        .find(|i| i.pc == call.pc)
        .unwrap();
    assert_eq!((insn.src, insn.imm), (2, 0));
}

#[test]
fn corrupt_files_are_errors() {
    let bytes = std::fs::read(bpf_object("linking")).unwrap();
    assert!(matches!(
        ObjectSpec::parse(&bytes[..100]),
        Err(ObjectError::NotElf { .. })
    ));
    let mut x86 = bytes.clone();
    x86[18] = 62; // e_machine
    assert!(matches!(
        ObjectSpec::parse(&x86),
        Err(ObjectError::NotBpf { machine: 62 })
    ));
    let file = ElfFile64::<LittleEndian>::parse(&*bytes).unwrap();
    let btf_at = file
        .section_by_name(".BTF")
        .unwrap()
        .file_range()
        .unwrap()
        .0 as usize;
    let mut bad_btf = bytes.clone();
    bad_btf[btf_at] ^= 0xff;
    let err = ObjectSpec::parse(&bad_btf).unwrap_err();
    assert!(
        matches!(err, ObjectError::Btf { .. }) && err.to_string().contains(".BTF"),
        "{err}"
    );
    let err = ObjectSpec::read("/nonexistent/x.o").unwrap_err();
    assert!(matches!(err, ObjectError::Io { .. }), "{err}");
}

#[test]
fn pseudo_kinds_without_relocation_are_refused() {
    // Found by the `object` fuzz target: an lddw that claims to be a map reference (src 5)
    // with no relocation behind it.
    let mut bytes = std::fs::read(bpf_object("legacy_maps")).unwrap();
    let rel = rel_section_offset(&bytes, "socket");
    let insn = u64::from_le_bytes(bytes[rel..rel + 8].try_into().unwrap()) as usize;
    bytes[rel + 8] = 0; // R_BPF_NONE: the relocation is gone
    let file = ElfFile64::<LittleEndian>::parse(&*bytes).unwrap();
    let code = file
        .section_by_name("socket")
        .unwrap()
        .file_range()
        .unwrap()
        .0 as usize;
    bytes[code + insn + 1] |= ebee_abi::pseudo::BPF_PSEUDO_MAP_IDX << 4;
    let err = ObjectSpec::parse(&bytes).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("lddw of pseudo kind 5 without a relocation"),
        "{text}"
    );
    assert!(
        text.contains(&format!("instruction {}", insn / 8)),
        "{text}"
    );
}
