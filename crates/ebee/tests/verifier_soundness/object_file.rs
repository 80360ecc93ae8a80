//! The soundness fuzzer's programs as ELF objects: an `xdp` or `tc` section, a legacy `maps`
//! section with `m0` and `m1`, and the relocations of the map references.

use super::generate::{Case, MAP_MARK, MAX_ENTRIES};
use ebee_abi::MapType;
use ebee_isa::{assemble, encode_program, slots_to_bytes, Op};
use object::elf;

/// One section of the object file.
pub(crate) struct Section {
    name: String,
    kind: u32,
    flags: u64,
    data: Vec<u8>,
    link: u32,
    info: u32,
    entsize: u64,
}

pub(crate) fn section(name: &str, kind: u32, flags: u32, data: Vec<u8>) -> Section {
    Section {
        name: name.to_string(),
        kind,
        flags: flags.into(),
        data,
        link: 0,
        info: 0,
        entsize: 0,
    }
}

pub(crate) fn add_string(table: &mut Vec<u8>, name: &str) -> u32 {
    let offset = table.len() as u32;
    table.extend(name.as_bytes());
    table.push(0);
    offset
}

/// A relocatable BPF object: the program `prog` in its type's section, the maps as legacy
/// `struct bpf_map_def` records, the `lddw`s marked with [`MAP_MARK`] relocated to them.
pub(crate) fn object_file(case: &Case, code: &[u8], map_refs: &[(usize, usize)]) -> Vec<u8> {
    let section_name = if case.xdp { "xdp" } else { "tc" };
    let mut strtab = vec![0];
    let mut symtab = vec![0; 24];
    let mut symbol = |name: &str, info: u8, shndx: u16, value: u64, size: u64| {
        let name = add_string(&mut strtab, name);
        symtab.extend(name.to_le_bytes());
        symtab.extend([info, 0]);
        symtab.extend(shndx.to_le_bytes());
        symtab.extend(value.to_le_bytes());
        symtab.extend(size.to_le_bytes());
    };
    let global = elf::STB_GLOBAL << 4;
    symbol("prog", global | elf::STT_FUNC, 1, 0, code.len() as u64);
    let mut maps = Vec::new();
    for (i, vs) in case.value_sizes.iter().enumerate() {
        let ty = if i == 0 {
            MapType::Array
        } else {
            MapType::Hash
        };
        for field in [ty as u32, 4, *vs, MAX_ENTRIES, 0] {
            maps.extend(field.to_le_bytes());
        }
        symbol(
            &format!("m{i}"),
            global | elf::STT_OBJECT,
            2,
            20 * i as u64,
            20,
        );
    }
    let mut rel = Vec::new();
    for &(slot, map) in map_refs {
        rel.extend((slot as u64 * 8).to_le_bytes());
        rel.extend((((2 + map as u64) << 32) | u64::from(elf::R_BPF_64_64)).to_le_bytes());
    }
    let exec = elf::SHF_ALLOC | elf::SHF_EXECINSTR;
    let mut sections = vec![
        section(section_name, elf::SHT_PROGBITS, exec, code.to_vec()),
        section(
            "maps",
            elf::SHT_PROGBITS,
            elf::SHF_ALLOC | elf::SHF_WRITE,
            maps,
        ),
        section(
            "license",
            elf::SHT_PROGBITS,
            elf::SHF_ALLOC,
            b"GPL\0".to_vec(),
        ),
        Section {
            link: 5,
            info: 1,
            entsize: 24,
            ..section(".symtab", elf::SHT_SYMTAB, 0, symtab)
        },
        section(".strtab", elf::SHT_STRTAB, 0, strtab),
        Section {
            link: 4,
            info: 1,
            entsize: 16,
            ..section(&format!(".rel{section_name}"), elf::SHT_REL, 0, rel)
        },
    ];
    let mut shstrtab = vec![0];
    let mut names: Vec<u32> = sections
        .iter()
        .map(|s| add_string(&mut shstrtab, &s.name))
        .collect();
    names.push(add_string(&mut shstrtab, ".shstrtab"));
    sections.push(section(".shstrtab", elf::SHT_STRTAB, 0, shstrtab));

    let mut out = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend(elf::ET_REL.to_le_bytes());
    out.extend(elf::EM_BPF.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    out.extend([0; 16]); // e_entry, e_phoff
    let shoff_at = out.len();
    out.extend([0; 8]);
    out.extend(0u32.to_le_bytes());
    let count = sections.len() as u16;
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

/// The object file of a program text; `None` when it does not assemble.
pub(crate) fn build(case: &Case) -> Option<Vec<u8>> {
    let program = assemble(&case.text).ok()?;
    let mut slots = encode_program(program.instructions());
    let mut refs = Vec::new();
    for (slot, insn) in program.instructions().iter().map(|i| (i.pc, i)) {
        if insn.op == Op::Lddw && (insn.imm & !0xff) == MAP_MARK {
            refs.push((slot, (insn.imm - MAP_MARK) as usize));
            slots[slot].imm = 0;
            slots[slot + 1].imm = 0;
        }
    }
    Some(object_file(case, &slots_to_bytes(&slots), &refs))
}
