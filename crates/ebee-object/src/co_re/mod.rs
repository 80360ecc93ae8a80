//! CO-RE relocations: each `bpf_core_relo` of `.BTF.ext` resolved against a target BTF and
//! patched into its instruction, as libbpf's `bpf_core_calc_relo_insn` and
//! `bpf_core_patch_insn` do. A relocation with no matching target is, depending on its kind,
//! resolved to 0 (existence checks) or poisoned: its instruction becomes `call 0xbad2310`.

mod compat;
mod spec;

use ebee_isa::{Insn, Op, Operand, Semantics};

use crate::btf::{Btf, BtfKind, CoreRelo};
use crate::linked::CORE_POISON_IMM;
use crate::relocations::semantics;
use crate::ObjectError;
use spec::{
    candidates, is_field_based, is_type_based, kind, match_spec, parse_spec, Spec, STEP_BUDGET,
};

/// A relocation whose instruction was poisoned, by slot in its section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Poisoned {
    pub slot: usize,
    pub kind: &'static str,
    pub access: String,
    pub reason: String,
}

/// The relocation kind as `llvm-objdump -r` prints it.
fn kind_name(k: u32) -> &'static str {
    const NAMES: [&str; 13] = [
        "byte_off",
        "byte_sz",
        "field_exists",
        "signed",
        "lshift_u64",
        "rshift_u64",
        "local_type_id",
        "target_type_id",
        "type_exists",
        "type_size",
        "enumval_exists",
        "enumval_value",
        "type_matches",
    ];
    NAMES.get(k as usize).copied().unwrap_or("unknown")
}

/// What a relocation resolves to (libbpf's `struct bpf_core_relo_res`).
#[derive(Clone, Copy, Debug, Default)]
struct Resolution {
    orig_val: u64,
    new_val: u64,
    poison: bool,
    validate: bool,
    fail_memsz_adjust: bool,
    orig_sz: u32,
    new_sz: u32,
}

/// One side (local or target) of a field relocation: value, memory size, field type.
struct FieldValue {
    val: u64,
    size: u32,
    type_id: u32,
    validate: bool,
}

/// Signals that the relocation must poison its instruction.
const POISON: &str = "\0poison";

/// `bpf_core_calc_field_relo`.
fn field_value(relo_kind: u32, spec: Option<&Spec<'_>>) -> Result<FieldValue, String> {
    let mut out = FieldValue {
        val: 0,
        size: 0,
        type_id: 0,
        validate: true,
    };
    if relo_kind == kind::FIELD_EXISTS {
        out.val = u64::from(spec.is_some());
        return Ok(out);
    }
    let spec = spec.ok_or(POISON)?;
    let acc = spec.spec.last().ok_or("empty access")?;
    let btf = spec.btf;
    let size_of = |id| {
        btf.resolve_size(id)
            .ok_or_else(|| format!("type [{id}] has no size"))
    };
    let Some(name) = &acc.name else {
        match relo_kind {
            kind::FIELD_BYTE_OFFSET => {
                out.val = spec.bit_offset / 8;
                out.size = size_of(acc.type_id)? as u32;
                out.type_id = acc.type_id;
            }
            kind::FIELD_BYTE_SIZE => out.val = size_of(acc.type_id)?,
            _ => {
                return Err(format!(
                    "relocation <{}> on an array access",
                    kind_name(relo_kind)
                ))
            }
        }
        return Ok(out);
    };
    let parent = btf
        .type_by_id(acc.type_id)
        .ok_or("field's type is missing")?;
    let member = parent
        .kind
        .members()
        .and_then(|m| m.get(acc.idx as usize))
        .ok_or_else(|| format!("member `{name}` is missing"))?;
    let (field_type_id, mt) = btf
        .skip_modifiers(member.type_id)
        .ok_or("member type is missing")?;
    let bit_off = spec.bit_offset;
    let mut bit_sz = u64::from(member.bitfield_size);
    let bitfield = bit_sz > 0;
    let (byte_off, byte_sz);
    if bitfield {
        let mut sz = u64::from(match mt.kind {
            BtfKind::Int { size, .. }
            | BtfKind::Enum { size, .. }
            | BtfKind::Enum64 { size, .. } => size,
            _ => return Err("bitfield of a non-integer type".into()),
        });
        if sz == 0 {
            return Err("bitfield of size 0".into());
        }
        let mut off = bit_off / 8 / sz * sz;
        while bit_off + bit_sz - off * 8 > sz * 8 {
            if sz >= 8 {
                return Err("bitfield cannot be read with a 64-bit load".into());
            }
            sz *= 2;
            off = bit_off / 8 / sz * sz;
        }
        (byte_off, byte_sz) = (off, sz);
    } else {
        byte_sz = size_of(field_type_id)?;
        byte_off = bit_off / 8;
        bit_sz = byte_sz * 8;
    }
    out.validate = !bitfield;
    match relo_kind {
        kind::FIELD_BYTE_OFFSET => {
            out.val = byte_off;
            if !bitfield {
                out.size = byte_sz as u32;
                out.type_id = field_type_id;
            }
        }
        kind::FIELD_SIGNED => {
            out.val = u64::from(match &mt.kind {
                BtfKind::Enum { signed, .. } | BtfKind::Enum64 { signed, .. } => *signed,
                BtfKind::Int { signed, .. } => *signed,
                _ => false,
            });
            out.validate = true;
        }
        kind::FIELD_BYTE_SIZE => out.val = byte_sz,
        kind::FIELD_LSHIFT_U64 => out.val = 64u64.wrapping_sub(bit_off + bit_sz - byte_off * 8),
        kind::FIELD_RSHIFT_U64 => {
            out.val = 64u64.wrapping_sub(bit_sz);
            out.validate = true;
        }
        other => return Err(format!("unsupported relocation kind {other}")),
    }
    Ok(out)
}

/// `bpf_core_calc_relo`: the local and target values of a relocation.
fn calc(relo_kind: u32, local: &Spec<'_>, target: Option<&Spec<'_>>) -> Result<Resolution, String> {
    let mut res = Resolution {
        validate: true,
        ..Resolution::default()
    };
    let poisoned = |e: String| {
        if e == POISON {
            Ok(Resolution {
                poison: true,
                validate: true,
                ..Resolution::default()
            })
        } else {
            Err(e)
        }
    };
    if is_field_based(relo_kind) {
        let l = match field_value(relo_kind, Some(local)) {
            Ok(v) => v,
            Err(e) => return poisoned(e),
        };
        let t = match field_value(relo_kind, target) {
            Ok(v) => v,
            Err(e) => return poisoned(e),
        };
        (res.orig_val, res.new_val, res.validate) = (l.val, t.val, l.validate);
        (res.orig_sz, res.new_sz) = (l.size, t.size);
        if l.size != t.size {
            let lt = local.btf.type_by_id(l.type_id).map(|t| &t.kind);
            let tt = target
                .and_then(|s| s.btf.type_by_id(t.type_id))
                .map(|t| &t.kind);
            // Resizing a load keeps the value only for pointers and unsigned integers.
            let safe = matches!(
                (lt, tt),
                (Some(BtfKind::Ptr { .. }), Some(BtfKind::Ptr { .. }))
                    | (
                        Some(BtfKind::Int { signed: false, .. }),
                        Some(BtfKind::Int { signed: false, .. })
                    )
            );
            res.fail_memsz_adjust = !safe;
        }
    } else if is_type_based(relo_kind) {
        let value = |spec: Option<&Spec<'_>>| -> Result<u64, String> {
            let Some(spec) = spec else {
                return Ok(0);
            };
            Ok(match relo_kind {
                kind::TYPE_ID_TARGET => u64::from(spec.root_type_id),
                kind::TYPE_EXISTS | kind::TYPE_MATCHES => 1,
                kind::TYPE_SIZE => spec
                    .btf
                    .resolve_size(spec.root_type_id)
                    .ok_or("type has no size")?,
                other => return Err(format!("unsupported relocation kind {other}")),
            })
        };
        (res.orig_val, res.new_val) = (value(Some(local))?, value(target)?);
        res.validate = relo_kind != kind::TYPE_ID_TARGET;
    } else {
        let value = |spec: Option<&Spec<'_>>| -> Result<u64, String> {
            match relo_kind {
                kind::ENUMVAL_EXISTS => Ok(u64::from(spec.is_some())),
                _ => {
                    let spec = spec.ok_or(POISON)?;
                    let acc = &spec.spec[0];
                    let t = spec
                        .btf
                        .type_by_id(acc.type_id)
                        .ok_or("enum type is missing")?;
                    let values = t.kind.enum_values().ok_or("not an enum")?;
                    let v = values
                        .get(acc.idx as usize)
                        .ok_or("enumerator is missing")?;
                    Ok(v.value as u64)
                }
            }
        };
        res.orig_val = match value(Some(local)) {
            Ok(v) => v,
            Err(e) => return poisoned(e),
        };
        res.new_val = match value(target) {
            Ok(v) => v,
            Err(e) => return poisoned(e),
        };
    }
    Ok(res)
}

/// Resolves one relocation (`bpf_core_calc_relo_insn`); the `String` of the result says
/// why it was poisoned.
fn resolve(
    local_btf: &Btf,
    target_btf: &Btf,
    relo: &CoreRelo,
    access: &str,
) -> Result<(Resolution, String), String> {
    let local = parse_spec(local_btf, relo.type_id, access, relo.kind)?;
    if relo.kind == kind::TYPE_ID_LOCAL {
        let id = u64::from(local.root_type_id);
        let res = Resolution {
            orig_val: id,
            new_val: id,
            ..Resolution::default()
        };
        return Ok((res, String::new()));
    }
    let local_name = local_btf
        .type_by_id(relo.type_id)
        .map_or("", |t| t.name.as_str());
    if local_name.is_empty() {
        return Err("relocations against anonymous types are not supported".into());
    }
    let mut budget = STEP_BUDGET;
    let mut chosen: Option<(Resolution, Spec<'_>)> = None;
    // Against the object's own BTF (no target given), a type is itself: its flavours
    // (`name___x`, with other layouts) are not candidates beside it, or every type with a
    // flavour would be ambiguous.
    let own = std::ptr::eq(local_btf, target_btf);
    let mut candidates = candidates(local_btf, relo.type_id, target_btf);
    if own && candidates.contains(&relo.type_id) {
        candidates = vec![relo.type_id];
    }
    for candidate in candidates {
        let Some(targ) = match_spec(&local, relo.kind, target_btf, candidate, &mut budget)? else {
            continue;
        };
        let res = calc(relo.kind, &local, Some(&targ))?;
        match &chosen {
            None => chosen = Some((res, targ)),
            Some((_, first)) if first.bit_offset != targ.bit_offset => {
                return Err(format!(
                    "field offset ambiguity: {} != {}",
                    first.bit_offset, targ.bit_offset
                ));
            }
            Some((first, _)) if first.poison != res.poison || first.new_val != res.new_val => {
                return Err(format!(
                    "relocation decision ambiguity: {} != {}",
                    first.new_val, res.new_val
                ));
            }
            Some(_) => {}
        }
    }
    match chosen {
        Some((res, _)) => {
            let why = if res.poison {
                "the target field cannot be read"
            } else {
                ""
            };
            Ok((res, why.to_owned()))
        }
        None => Ok((
            calc(relo.kind, &local, None)?,
            format!("no type matching `{local_name}` in the target BTF"),
        )),
    }
}

/// The same memory access (load, store or atomic) with another access size, as libbpf
/// rewrites the size bits of an instruction; `None` when no such instruction exists.
fn resized(sem: Semantics, size: u8) -> Option<Op> {
    match sem {
        Semantics::Load { sign_extend, .. } => Op::load(size, sign_extend),
        Semantics::Store { operand, .. } => Op::store(size, operand),
        Semantics::Atomic { op, fetch, .. } => Op::find(Semantics::Atomic { op, size, fetch }),
        _ => None,
    }
}

/// Writes libbpf's poison into a slot: `call 0xbad2310`, a helper call (`src` 0).
fn poison(slot: &mut Insn) {
    *slot = Insn {
        opcode: Op::CallHelper.def().opcode,
        imm: CORE_POISON_IMM,
        ..Insn::default()
    };
}

/// `bpf_core_patch_insn`: the relocation's value into its instruction.
fn patch(slots: &mut [Insn], idx: usize, res: &Resolution) -> Result<bool, String> {
    let insn = slots[idx];
    let sem = semantics(&insn);
    let is_ldimm64 = matches!(sem, Some(Semantics::LoadImm64 { .. }));
    if res.poison {
        if is_ldimm64 {
            if let Some(next) = slots.get_mut(idx + 1) {
                poison(next);
            }
        }
        poison(&mut slots[idx]);
        return Ok(true);
    }
    let (orig, new) = (res.orig_val, res.new_val);
    match sem {
        Some(Semantics::Alu { operand, .. }) => {
            if operand == Operand::Reg {
                return Err("ALU instruction with a register operand".into());
            }
            if res.validate && i64::from(insn.imm) as u64 != orig {
                return Err(format!("instruction holds {}, expected {orig}", insn.imm));
            }
            slots[idx].imm = new as i32;
        }
        Some(
            sem @ (Semantics::Load { .. } | Semantics::Store { .. } | Semantics::Atomic { .. }),
        ) => {
            if res.validate && i64::from(insn.off) as u64 != orig {
                return Err(format!(
                    "instruction offset is {}, expected {orig}",
                    insn.off
                ));
            }
            if new > i16::MAX as u64 {
                return Err(format!("offset {new} is too large"));
            }
            if res.fail_memsz_adjust {
                poison(&mut slots[idx]);
                return Ok(true);
            }
            slots[idx].off = new as i16;
            if res.new_sz != res.orig_sz {
                let size = sem.access_size().map_or(0, u32::from);
                if size != res.orig_sz {
                    return Err(format!("unexpected memory size {size}"));
                }
                let op = u8::try_from(res.new_sz)
                    .ok()
                    .and_then(|new_sz| resized(sem, new_sz))
                    .ok_or_else(|| format!("invalid new memory size {}", res.new_sz))?;
                slots[idx].opcode = op.def().opcode;
            }
        }
        Some(Semantics::LoadImm64 { pseudo }) => {
            let next = slots.get(idx + 1).copied().ok_or("lddw is cut short")?;
            if pseudo != 0
                || insn.off != 0
                || next.opcode != 0
                || next.dst != 0
                || next.src != 0
                || next.off != 0
            {
                return Err("lddw has an unexpected form".into());
            }
            let imm = u64::from(insn.imm as u32) | (u64::from(next.imm as u32) << 32);
            if res.validate && imm != orig {
                return Err(format!("instruction holds {imm}, expected {orig}"));
            }
            slots[idx].imm = new as i32;
            slots[idx + 1].imm = (new >> 32) as i32;
        }
        _ => return Err(format!("cannot relocate opcode {:#04x}", insn.opcode)),
    }
    Ok(false)
}

/// Applies a code section's CO-RE relocations to its slots, resolving against `target`.
/// Returns the poisoned ones; fails, naming the instruction, where libbpf fails.
pub(crate) fn apply(
    local: &Btf,
    target: &Btf,
    relos: &[CoreRelo],
    section: &str,
    slots: &mut [Insn],
) -> Result<Vec<Poisoned>, ObjectError> {
    let mut poisoned = Vec::new();
    for relo in relos {
        let err = |reason: String| ObjectError::Core {
            section: section.to_owned(),
            insn: relo.insn,
            reason,
        };
        if relo.insn >= slots.len() {
            return Err(err(format!(
                "instruction out of range ({} slots)",
                slots.len()
            )));
        }
        let access = local.string_at(relo.access_off).ok_or_else(|| {
            err(format!(
                "access string offset {:#x} out of range",
                relo.access_off
            ))
        })?;
        let describe = || {
            let ty = local.type_by_id(relo.type_id).map_or_else(
                || format!("[{}]", relo.type_id),
                |t| format!("{} {}", t.kind.name().to_lowercase(), t.name),
            );
            format!("{ty} ({access})")
        };
        let (res, why) = resolve(local, target, relo, access)
            .map_err(|e| err(format!("<{}> {}: {e}", kind_name(relo.kind), describe())))?;
        let was_poisoned = patch(slots, relo.insn, &res)
            .map_err(|e| err(format!("<{}> {}: {e}", kind_name(relo.kind), describe())))?;
        if was_poisoned {
            let reason = if res.fail_memsz_adjust {
                "the target field's size differs and it is not an unsigned integer or pointer"
                    .to_owned()
            } else {
                why
            };
            poisoned.push(Poisoned {
                slot: relo.insn,
                kind: kind_name(relo.kind),
                access: describe(),
                reason,
            });
        }
    }
    Ok(poisoned)
}

#[cfg(test)]
mod tests;
