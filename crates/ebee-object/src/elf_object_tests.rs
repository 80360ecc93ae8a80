//! Unit tests of `ElfObject` on small ELF files built by hand, and on corrupted copies of them.

use super::*;
use ebee_isa::IsaError;

const MOV_R0_0: [u8; 8] = [0xb7, 0, 0, 0, 0, 0, 0, 0];
const EXIT: [u8; 8] = [0x95, 0, 0, 0, 0, 0, 0, 0];

/// One section of a hand-built ELF file.
struct Section {
    name: &'static str,
    kind: u32,
    flags: u64,
    data: Vec<u8>,
    link: u32,
    info: u32,
    entsize: u64,
}

fn section(name: &'static str, kind: u32, flags: u32, data: Vec<u8>) -> Section {
    Section {
        name,
        kind,
        flags: flags.into(),
        data,
        link: 0,
        info: 0,
        entsize: 0,
    }
}

/// Appends `name` to a string table, returning its offset.
fn add_string(table: &mut Vec<u8>, name: &str) -> u32 {
    let offset = table.len() as u32;
    table.extend(name.as_bytes());
    table.push(0);
    offset
}

/// A relocatable BPF ELF file: `xdp` holds `code` and the symbols `label` (local, no type,
/// at 8), a section symbol, and `prog` (global function at 0); `.text` is empty; `.data`
/// holds the object `var`; `.relxdp` has an `R_BPF_64_32` relocation at each of `relocated`.
fn elf_with_relocations(machine: u16, code: &[u8], relocated: &[u64]) -> Vec<u8> {
    let mut strtab = vec![0];
    let mut symtab = vec![0; 24];
    let mut symbol = |name: &str, info: u8, shndx: u16, value: u64, size: u64| {
        let name = if name.is_empty() {
            0
        } else {
            add_string(&mut strtab, name)
        };
        symtab.extend(name.to_le_bytes());
        symtab.extend([info, 0]);
        symtab.extend(shndx.to_le_bytes());
        symtab.extend(value.to_le_bytes());
        symtab.extend(size.to_le_bytes());
    };
    symbol("label", elf::STT_NOTYPE, 1, 8, 0);
    symbol("", elf::STT_SECTION, 1, 0, 0);
    symbol("prog", (elf::STB_GLOBAL << 4) | elf::STT_FUNC, 1, 0, 16);
    symbol("var", (elf::STB_GLOBAL << 4) | elf::STT_OBJECT, 3, 0, 8);
    let exec = elf::SHF_ALLOC | elf::SHF_EXECINSTR;
    let mut sections = vec![
        section("xdp", elf::SHT_PROGBITS, exec, code.to_vec()),
        section(".text", elf::SHT_PROGBITS, exec, Vec::new()),
        section(
            ".data",
            elf::SHT_PROGBITS,
            elf::SHF_ALLOC | elf::SHF_WRITE,
            vec![0; 8],
        ),
        Section {
            link: 5,
            info: 3,
            entsize: 24,
            ..section(".symtab", elf::SHT_SYMTAB, 0, symtab)
        },
        section(".strtab", elf::SHT_STRTAB, 0, strtab),
        Section {
            link: 4,
            info: 1,
            entsize: 16,
            ..section(".relxdp", elf::SHT_REL, 0, relocations(relocated))
        },
    ];
    let mut shstrtab = vec![0];
    let mut names: Vec<u32> = sections
        .iter()
        .map(|s| add_string(&mut shstrtab, s.name))
        .collect();
    names.push(add_string(&mut shstrtab, ".shstrtab"));
    sections.push(section(".shstrtab", elf::SHT_STRTAB, 0, shstrtab));

    let mut out = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend(elf::ET_REL.to_le_bytes());
    out.extend(machine.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    out.extend([0; 16]); // e_entry, e_phoff
    let shoff_at = out.len();
    out.extend([0; 8]);
    out.extend(0u32.to_le_bytes());
    let count = sections.len() as u16;
    // e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum (with the null section), e_shstrndx
    for half in [64, 0, 0, 64, count + 1, count] {
        out.extend(half.to_le_bytes());
    }
    let mut offsets = Vec::new();
    for s in &sections {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        offsets.push(out.len() as u64);
        out.extend(&s.data);
    }
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u64;
    out[shoff_at..shoff_at + 8].copy_from_slice(&shoff.to_le_bytes());
    out.extend([0; 64]);
    for ((s, name), offset) in sections.iter().zip(names).zip(offsets) {
        out.extend(name.to_le_bytes());
        out.extend(s.kind.to_le_bytes());
        out.extend(s.flags.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        out.extend(offset.to_le_bytes());
        out.extend((s.data.len() as u64).to_le_bytes());
        out.extend(s.link.to_le_bytes());
        out.extend(s.info.to_le_bytes());
        out.extend(8u64.to_le_bytes());
        out.extend(s.entsize.to_le_bytes());
    }
    out
}

/// `Elf64_Rel` entries against the section symbol of `xdp`.
fn relocations(offsets: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    for offset in offsets {
        out.extend(offset.to_le_bytes());
        out.extend(((2u64 << 32) | u64::from(elf::R_BPF_64_32)).to_le_bytes());
    }
    out
}

fn elf_with_code(machine: u16, code: &[u8]) -> Vec<u8> {
    elf_with_relocations(machine, code, &[])
}

fn good_elf() -> Vec<u8> {
    elf_with_relocations(elf::EM_BPF, &[MOV_R0_0, EXIT].concat(), &[0])
}

#[test]
fn lists_code_sections_with_their_symbols() {
    let object = ElfObject::parse(&good_elf()).unwrap();
    let [xdp] = object.code_sections() else {
        panic!("expected only xdp: {object:?}");
    };
    assert_eq!(xdp.name, "xdp");
    assert_eq!(xdp.index, 1);
    assert_eq!(xdp.bytes, [MOV_R0_0, EXIT].concat());
    let symbols: Vec<_> = xdp
        .symbols
        .iter()
        .map(|s| (s.name.as_str(), s.offset, s.size, s.is_function))
        .collect();
    assert_eq!(symbols, [("label", 8, 0, false), ("prog", 0, 16, true)]);
    assert_eq!(xdp.decode().unwrap().len(), 2);
}

#[test]
fn rejects_other_files_naming_what_is_wrong() {
    let err = ElfObject::parse(&elf_with_code(62, &EXIT)).unwrap_err();
    assert!(matches!(err, ObjectError::NotBpf { machine: 62 }), "{err}");
    let mut big_endian = good_elf();
    big_endian[5] = 2;
    assert!(matches!(
        ElfObject::parse(&big_endian),
        Err(ObjectError::NotElf { .. })
    ));
    assert!(matches!(
        ElfObject::parse(&[]),
        Err(ObjectError::NotElf { .. })
    ));
}

#[test]
fn decode_errors_name_the_section_and_instruction() {
    let object = ElfObject::parse(&elf_with_code(elf::EM_BPF, &[EXIT, MOV_R0_0].concat())).unwrap();
    let err = object.code_sections()[0].decode().unwrap_err();
    assert_eq!(
        err.to_string(),
        "section xdp: instruction 1: last instruction is not exit or an unconditional jump; \
         execution would fall off the end"
    );
    // The cause is part of the message, so it is not also a `source` (printed twice).
    assert!(std::error::Error::source(&err).is_none());
    let odd = ElfObject::parse(&elf_with_code(elf::EM_BPF, &[0x95, 0, 0])).unwrap();
    assert!(odd.code_sections()[0].decode().is_err());
}

#[test]
fn relocated_calls_keep_their_addend() {
    // `call 0x43` into another section, as clang leaves it for the linker.
    let call = [0x85, 0x10, 0, 0, 0x43, 0, 0, 0];
    let code = [MOV_R0_0, call, EXIT].concat();
    let object = ElfObject::parse(&elf_with_relocations(elf::EM_BPF, &code, &[8])).unwrap();
    let program = object.code_sections()[0].decode().unwrap();
    assert_eq!((program[1].op, program[1].imm), (Op::CallLocal, 0x43));
    // Without the relocation, it is a call out of the program.
    let object = ElfObject::parse(&elf_with_code(elf::EM_BPF, &code)).unwrap();
    let err = object.code_sections()[0].decode().unwrap_err();
    assert!(
        matches!(
            err,
            ObjectError::Decode {
                error: IsaError::JumpOutOfBounds { pc: 1, .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn file_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("ebee-object-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.o");
    let err = ElfObject::read(&missing).unwrap_err();
    assert!(matches!(err, ObjectError::Io { .. }));
    assert!(err.to_string().contains("missing.o"), "{err}");
    let garbage = dir.join("garbage.o");
    std::fs::write(&garbage, b"garbage").unwrap();
    let err = ElfObject::read(&garbage).unwrap_err();
    assert!(
        err.to_string().starts_with(&garbage.display().to_string()),
        "{err}"
    );
    std::fs::write(&garbage, good_elf()).unwrap();
    assert_eq!(ElfObject::read(&garbage).unwrap().code_sections().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Parses and decodes; only a panic fails.
fn parse_anything(bytes: &[u8]) {
    if let Ok(object) = ElfObject::parse(bytes) {
        for section in object.code_sections() {
            let _ = section.decode();
        }
    }
}

#[test]
fn corrupt_files_never_panic() {
    let good = good_elf();
    for len in 0..good.len() {
        parse_anything(&good[..len]);
    }
    for at in 0..good.len() {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut bad = good.clone();
            bad[at] = value;
            parse_anything(&bad);
        }
    }
    // A simple xorshift generator: many random corruptions at once, reproducibly.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..2000 {
        let mut bad = good.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bad.len() as u64) as usize;
            bad[at] = (state >> 32) as u8;
        }
        parse_anything(&bad);
    }
}
