//! Code relocations, resolved as libbpf's `bpf_program__record_reloc` does: what each
//! relocated instruction refers to (a map, a place in global data, a function, a kfunc), and
//! the rewrite of map references into ebee-isa's OS-free `lddw` pseudo kinds.

use std::collections::BTreeMap;

use ebee_abi::pseudo::{
    BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
};
use ebee_isa::{CallKind, Insn, Op, Semantics};

use crate::elf::{reloc, Elf, ElfSection, ElfSymbol};
use crate::maps::{MapOrigin, MapSpec};
use crate::spec::Code;
use crate::ObjectError;

/// What a raw slot means, from the opcode table (`None` for a byte that is no instruction,
/// such as an `lddw`'s second slot).
pub(crate) fn semantics(slot: &Insn) -> Option<Semantics> {
    Op::of_slot(slot).map(Op::semantics)
}

/// What a relocated instruction refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reloc {
    /// `lddw` of a map (index in the object's map list).
    Map(usize),
    /// `lddw` of an address in a map's value: global data.
    MapValue { map: usize, offset: u32 },
    /// A bpf-to-bpf call to slot `slot` of code section `code`.
    Call { code: usize, slot: usize },
    /// An `lddw` of the address of the function at slot `slot` of code section `code`.
    FuncAddr { code: usize, slot: usize },
    /// A call to an extern function: a kfunc, resolved by name by the host.
    Kfunc(String),
}

/// Resolves the relocations of code section `this` (ELF `section`).
pub(crate) fn resolve_relocations(
    elf: &Elf<'_>,
    section: &ElfSection<'_>,
    code: &[Code],
    this: usize,
    maps: &[MapSpec],
    kconfig: Option<(usize, &BTreeMap<String, u32>)>,
) -> Result<BTreeMap<usize, Reloc>, ObjectError> {
    let slots = &code[this].slots;
    let mut out = BTreeMap::new();
    for rel in &section.relocations {
        if rel.kind == reloc::NONE {
            continue;
        }
        let insn = (rel.offset / 8) as usize;
        let err = |symbol: Option<String>, reason: String| ObjectError::Relocation {
            section: section.name.clone(),
            insn,
            symbol,
            reason,
        };
        if rel.offset % 8 != 0 || insn >= slots.len() {
            return Err(err(
                None,
                format!(
                    "offset {:#x} is not an instruction of the section",
                    rel.offset
                ),
            ));
        }
        let symbol = elf.symbol_for(rel.symbol, &section.name, insn)?;
        let name = Some(elf.symbol_label(symbol));
        if rel.kind != reloc::R_BPF_64_64 && rel.kind != reloc::R_BPF_64_32 {
            return Err(err(
                name,
                format!("unknown relocation type {} in code", rel.kind),
            ));
        }
        let slot = slots[insn];
        let target = match semantics(&slot) {
            Some(Semantics::Call(kind)) if kind != CallKind::HelperInReg => {
                call_target(elf, code, symbol, slot).map_err(|reason| err(name.clone(), reason))?
            }
            Some(Semantics::LoadImm64 { .. }) if insn + 1 < slots.len() => {
                lddw_target(elf, code, maps, kconfig, symbol, slot)
                    .map_err(|reason| err(name.clone(), reason))?
            }
            _ => {
                return Err(err(
                    name,
                    format!(
                        "relocation on opcode {:#04x} with src {}, which is neither lddw nor call",
                        slot.opcode, slot.src
                    ),
                ))
            }
        };
        out.insert(insn, target);
    }
    reject_unrelocated_pseudo(section, slots, &out)?;
    Ok(out)
}

/// An `lddw` with a pseudo kind (map fd, map index, BTF id, function) or a kfunc call that
/// no relocation produced: its immediate would name a kernel object or an index this object
/// never defined, so it is refused, naming the instruction.
fn reject_unrelocated_pseudo(
    section: &ElfSection<'_>,
    slots: &[Insn],
    relocs: &BTreeMap<usize, Reloc>,
) -> Result<(), ObjectError> {
    let pseudo = |slot: &Insn| match semantics(slot) {
        Some(Semantics::LoadImm64 { pseudo }) if pseudo != 0 => Some(("lddw", pseudo)),
        Some(Semantics::Call(CallKind::Kfunc)) => Some(("call", BPF_PSEUDO_KFUNC_CALL)),
        _ => None,
    };
    let unrelocated = slots
        .iter()
        .enumerate()
        .filter(|(insn, _)| !relocs.contains_key(insn))
        .find_map(|(insn, slot)| Some((insn, pseudo(slot)?)));
    match unrelocated {
        Some((insn, (what, kind))) => Err(ObjectError::Relocation {
            section: section.name.clone(),
            insn,
            symbol: None,
            reason: format!("{what} of pseudo kind {kind} without a relocation"),
        }),
        None => Ok(()),
    }
}

/// The code section holding an ELF section, by ELF index.
fn code_index(code: &[Code], elf_index: Option<usize>) -> Option<usize> {
    code.iter().position(|c| Some(c.elf_index) == elf_index)
}

/// A relocated `call`: a kfunc, or a bpf-to-bpf call whose target is the symbol's offset
/// plus `imm + 1` slots (`imm` is -1 for a call to a global function, the offset of the
/// callee in its section for a static one).
fn call_target(
    elf: &Elf<'_>,
    code: &[Code],
    symbol: &ElfSymbol,
    slot: Insn,
) -> Result<Reloc, String> {
    if symbol.is_undefined() {
        if slot.src != BPF_PSEUDO_CALL && slot.src != BPF_PSEUDO_KFUNC_CALL {
            return Err(format!("call kind {} to an extern function", slot.src));
        }
        return Ok(Reloc::Kfunc(symbol.name.clone()));
    }
    if slot.src != BPF_PSEUDO_CALL {
        return Err(format!(
            "relocation on a call of kind {}, not a bpf-to-bpf call",
            slot.src
        ));
    }
    let target = code_index(code, symbol.section).ok_or_else(|| {
        let section = symbol
            .section
            .and_then(|s| elf.section(s))
            .map_or("?", |s| &s.name);
        format!("call target is in section {section}, which holds no code")
    })?;
    if !symbol.value.is_multiple_of(8) {
        return Err(format!(
            "call target offset {:#x} is not a whole instruction",
            symbol.value
        ));
    }
    let index = i64::try_from(symbol.value / 8).unwrap_or(i64::MAX) + i64::from(slot.imm) + 1;
    let len = code[target].slots.len();
    let slot = usize::try_from(index)
        .ok()
        .filter(|&s| s < len)
        .ok_or_else(|| {
            format!(
                "call target {index} is outside section {} ({len} instructions)",
                code[target].name
            )
        })?;
    Ok(Reloc::Call { code: target, slot })
}

/// A relocated `lddw`: a function address, a map, a place in global data, or a `__kconfig`
/// extern (a place in the `.kconfig` map, index and offsets in `kconfig`).
fn lddw_target(
    elf: &Elf<'_>,
    code: &[Code],
    maps: &[MapSpec],
    kconfig: Option<(usize, &BTreeMap<String, u32>)>,
    symbol: &ElfSymbol,
    slot: Insn,
) -> Result<Reloc, String> {
    let addend = u64::from(slot.imm as u32);
    if symbol.is_undefined() {
        let extern_offset =
            kconfig.and_then(|(map, offsets)| Some((map, *offsets.get(&symbol.name)?)));
        return match extern_offset {
            Some((map, offset)) => u32::try_from(addend)
                .ok()
                .and_then(|a| offset.checked_add(a))
                .map(|offset| Reloc::MapValue { map, offset })
                .ok_or_else(|| format!("offset {addend:#x} into a __kconfig extern is too large")),
            None => Err(
                "__ksym extern variables are not supported: a kernel symbol has no address \
                 outside the kernel"
                    .into(),
            ),
        };
    }
    let section = symbol
        .section
        .and_then(|s| elf.section(s))
        .ok_or_else(|| "the symbol is in no section".to_owned())?;
    if let Some(target) = code_index(code, symbol.section) {
        let offset = symbol.value.checked_add(addend).filter(|o| o % 8 == 0);
        let index = offset
            .map(|o| o / 8)
            .filter(|&s| s < code[target].slots.len() as u64);
        let slot = index.ok_or_else(|| {
            format!(
                "function address {:#x}+{addend:#x} is not an instruction of {}",
                symbol.value, section.name
            )
        })?;
        return Ok(Reloc::FuncAddr {
            code: target,
            slot: slot as usize,
        });
    }
    let mut in_section = maps
        .iter()
        .enumerate()
        .filter(|(_, m)| m.location.0 == section.index)
        .peekable();
    match in_section.peek() {
        Some(&(map, m)) if matches!(m.origin, MapOrigin::GlobalData(_)) => {
            let offset = symbol
                .value
                .checked_add(addend)
                .and_then(|o| u32::try_from(o).ok())
                .ok_or_else(|| {
                    format!(
                        "offset {:#x}+{addend:#x} in {} is too large",
                        symbol.value, section.name
                    )
                })?;
            Ok(Reloc::MapValue { map, offset })
        }
        Some(_) => in_section
            .find(|(_, m)| m.location.1 == symbol.value)
            .map(|(map, _)| Reloc::Map(map))
            .ok_or_else(|| {
                format!(
                    "no map is defined at offset {:#x} of {}",
                    symbol.value, section.name
                )
            }),
        None => Err(format!(
            "the symbol is in section {}, which is neither a map section nor global data",
            section.name
        )),
    }
}

/// Rewrites the map references of a section's slots into `lddw` pseudo kinds, as libbpf's
/// `fd_array` mode encodes them: [`BPF_PSEUDO_MAP_IDX`] with `imm` = map index, or
/// [`BPF_PSEUDO_MAP_IDX_VALUE`] with `imm` = map index and the second slot's `imm` = offset
/// into the value.
pub(crate) fn apply_map_relocations(code: &Code, slots: &mut [Insn]) {
    for (&insn, reloc) in &code.relocs {
        let (src, imm, second) = match reloc {
            Reloc::Map(map) => (BPF_PSEUDO_MAP_IDX, *map, 0),
            Reloc::MapValue { map, offset } => (BPF_PSEUDO_MAP_IDX_VALUE, *map, *offset),
            _ => continue,
        };
        // Both slots exist: resolve_relocations checked it.
        if let [first, next, ..] = &mut slots[insn..] {
            first.src = src;
            first.imm = imm as i32;
            next.imm = second as i32;
        }
    }
}
