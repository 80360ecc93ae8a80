//! CO-RE access specs and type matching, after libbpf's `relo_core.c`: parsing an access
//! string (`0:1:2`) against the local type, finding candidate target types by essential
//! name, and matching a spec against a candidate.

use super::compat::{
    essential, fields_compat, kinds_compat, members, size_of, skip, types_compat, types_match,
};
use crate::btf::{Btf, BtfKind};

/// libbpf's `BPF_CORE_SPEC_MAX_LEN`.
const MAX_SPEC_LEN: usize = 64;
/// Recursion limit for type compatibility checks.
pub(crate) const MAX_DEPTH: i32 = 32;
/// Steps (members visited, types compared) allowed per relocation: cyclic or very wide BTF
/// would otherwise make the searches below exponential.
pub(crate) const STEP_BUDGET: u32 = 1 << 16;

/// Adds `count` elements of `size` bytes to a bit offset, failing rather than overflowing
/// (offsets past 2^40 bits are no real struct's).
fn add_bits(bit_offset: &mut u64, count: u64, size: u64) -> Result<(), String> {
    let bits = count
        .checked_mul(size)
        .and_then(|bytes| bytes.checked_mul(8))
        .ok_or("offset overflows")?;
    add_raw_bits(bit_offset, bits)
}

/// Adds `bits` to a bit offset, failing rather than overflowing.
fn add_raw_bits(bit_offset: &mut u64, bits: u64) -> Result<(), String> {
    *bit_offset = bit_offset
        .checked_add(bits)
        .filter(|&b| b < 1 << 40)
        .ok_or("offset overflows")?;
    Ok(())
}

/// Takes one step from the budget.
pub(crate) fn spend(budget: &mut u32) -> Result<(), String> {
    *budget = budget
        .checked_sub(1)
        .ok_or("type search exceeds its step budget (cyclic or huge BTF)")?;
    Ok(())
}

/// The relocation kinds (`enum bpf_core_relo_kind`).
pub(crate) mod kind {
    pub const FIELD_BYTE_OFFSET: u32 = 0;
    pub const FIELD_BYTE_SIZE: u32 = 1;
    pub const FIELD_EXISTS: u32 = 2;
    pub const FIELD_SIGNED: u32 = 3;
    pub const FIELD_LSHIFT_U64: u32 = 4;
    pub const FIELD_RSHIFT_U64: u32 = 5;
    pub const TYPE_ID_LOCAL: u32 = 6;
    pub const TYPE_ID_TARGET: u32 = 7;
    pub const TYPE_EXISTS: u32 = 8;
    pub const TYPE_SIZE: u32 = 9;
    pub const ENUMVAL_EXISTS: u32 = 10;
    pub const ENUMVAL_VALUE: u32 = 11;
    pub const TYPE_MATCHES: u32 = 12;
}

pub(crate) fn is_field_based(k: u32) -> bool {
    k <= kind::FIELD_RSHIFT_U64
}

pub(crate) fn is_type_based(k: u32) -> bool {
    matches!(
        k,
        kind::TYPE_ID_LOCAL
            | kind::TYPE_ID_TARGET
            | kind::TYPE_EXISTS
            | kind::TYPE_SIZE
            | kind::TYPE_MATCHES
    )
}

pub(crate) fn is_enumval_based(k: u32) -> bool {
    matches!(k, kind::ENUMVAL_EXISTS | kind::ENUMVAL_VALUE)
}

/// One step of an access: a named member, or an array index (the first step always is).
#[derive(Clone, Debug)]
pub(crate) struct Accessor {
    /// The struct/union/enum (for named steps) or element type (for array steps).
    pub type_id: u32,
    /// Member, enumerator or array index.
    pub idx: u32,
    /// Member or enumerator name; `None` for array indices.
    pub name: Option<String>,
}

/// A parsed access: its accessors (named members and array indices; anonymous members are
/// only in `raw`) and the bit offset it reaches.
#[derive(Clone, Debug)]
pub(crate) struct Spec<'b> {
    pub btf: &'b Btf,
    pub root_type_id: u32,
    pub spec: Vec<Accessor>,
    pub raw: Vec<u32>,
    pub bit_offset: u64,
}

impl<'b> Spec<'b> {
    fn new(btf: &'b Btf, root_type_id: u32) -> Spec<'b> {
        Spec {
            btf,
            root_type_id,
            spec: Vec::new(),
            raw: Vec::new(),
            bit_offset: 0,
        }
    }
}

/// `is_flex_arr`: an array of 0 elements that is the last member of its struct.
fn is_flex_array(btf: &Btf, parent: Option<&Accessor>, len: u32) -> bool {
    let Some(parent) = parent.filter(|p| p.name.is_some() && len == 0) else {
        return false;
    };
    let count = btf
        .type_by_id(parent.type_id)
        .map_or(0, |t| members(&t.kind).len());
    parent.idx as usize + 1 == count
}

/// Parses the access string of a relocation against the local BTF
/// (`bpf_core_parse_spec`).
pub(crate) fn parse_spec<'b>(
    btf: &'b Btf,
    type_id: u32,
    access: &str,
    relo_kind: u32,
) -> Result<Spec<'b>, String> {
    if access.is_empty() || access.starts_with(':') {
        return Err(format!("bad access string `{access}`"));
    }
    let mut spec = Spec::new(btf, type_id);
    if is_type_based(relo_kind) {
        return if access == "0" {
            Ok(spec)
        } else {
            Err(format!("type relocation with access string `{access}`"))
        };
    }
    for part in access.split(':') {
        let idx: u32 = part
            .parse()
            .map_err(|_| format!("bad access string `{access}`"))?;
        if spec.raw.len() == MAX_SPEC_LEN {
            return Err("access string too long".into());
        }
        spec.raw.push(idx);
    }
    let (mut id, t) = skip(btf, type_id)?;
    let first = spec.raw[0];
    if is_enumval_based(relo_kind) {
        let values = t
            .kind
            .enum_values()
            .ok_or("enum value relocation on a non-enum")?;
        let value = values
            .get(first as usize)
            .filter(|_| spec.raw.len() == 1)
            .ok_or_else(|| format!("enumerator {first} out of range"))?;
        spec.spec.push(Accessor {
            type_id: id,
            idx: first,
            name: Some(value.name.clone()),
        });
        return Ok(spec);
    }
    if !is_field_based(relo_kind) {
        return Err(format!("unknown relocation kind {relo_kind}"));
    }
    spec.spec.push(Accessor {
        type_id: id,
        idx: first,
        name: None,
    });
    add_bits(&mut spec.bit_offset, u64::from(first), size_of(btf, id)?)?;
    for i in 1..spec.raw.len() {
        let (tid, t) = skip(btf, id)?;
        id = tid;
        let idx = spec.raw[i];
        match &t.kind {
            BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => {
                let m = members
                    .get(idx as usize)
                    .ok_or_else(|| format!("member {idx} of type [{id}] out of range"))?;
                add_raw_bits(&mut spec.bit_offset, u64::from(m.bit_offset))?;
                if !m.name.is_empty() {
                    spec.spec.push(Accessor {
                        type_id: id,
                        idx,
                        name: Some(m.name.clone()),
                    });
                }
                id = m.type_id;
            }
            BtfKind::Array { elem, len, .. } => {
                let (elem_id, _) = skip(btf, *elem)?;
                let flex = is_flex_array(btf, spec.spec.last(), *len);
                if !flex && idx >= *len {
                    return Err(format!("array index {idx} out of range ({len})"));
                }
                spec.spec.push(Accessor {
                    type_id: elem_id,
                    idx,
                    name: None,
                });
                add_bits(&mut spec.bit_offset, u64::from(idx), size_of(btf, elem_id)?)?;
                id = elem_id;
            }
            other => return Err(format!("access step into a {} (type [{id}])", other.name())),
        }
    }
    Ok(spec)
}

/// Target types whose kind fits and whose essential name equals the local type's.
pub(crate) fn candidates(local: &Btf, local_id: u32, target: &Btf) -> Vec<u32> {
    let Some(local_t) = local.type_by_id(local_id) else {
        return Vec::new();
    };
    let name = essential(&local_t.name);
    target
        .types()
        .filter(|(_, t)| !t.name.is_empty() && kinds_compat(&t.kind, &local_t.kind))
        .filter(|(_, t)| essential(&t.name) == name)
        .map(|(id, _)| id)
        .collect()
}

/// `bpf_core_match_member`: finds the local accessor's member in target type `targ_id`,
/// descending into anonymous members; on success pushes the accessor and returns the
/// member's type.
fn match_member(
    local: &Spec<'_>,
    acc: &Accessor,
    target: &mut Spec<'_>,
    targ_id: u32,
    budget: &mut u32,
) -> Result<Option<u32>, String> {
    let (targ_id, tt) = skip(target.btf, targ_id)?;
    let targ_members = match &tt.kind {
        BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => members.clone(),
        _ => return Ok(None),
    };
    let local_t = local
        .btf
        .type_by_id(acc.type_id)
        .ok_or("local type missing")?;
    let local_member = members(&local_t.kind)
        .get(acc.idx as usize)
        .ok_or("local member missing")?;
    for (i, m) in targ_members.iter().enumerate() {
        spend(budget)?;
        if target.raw.len() == MAX_SPEC_LEN {
            return Err("access nesting too deep".into());
        }
        add_raw_bits(&mut target.bit_offset, u64::from(m.bit_offset))?;
        target.raw.push(i as u32);
        if m.name.is_empty() {
            if let Some(found) = match_member(local, acc, target, m.type_id, budget)? {
                return Ok(Some(found));
            }
        } else if m.name == local_member.name {
            if !fields_compat(local.btf, local_member.type_id, target.btf, m.type_id)? {
                return Ok(None);
            }
            target.spec.push(Accessor {
                type_id: targ_id,
                idx: i as u32,
                name: Some(m.name.clone()),
            });
            return Ok(Some(m.type_id));
        }
        target.bit_offset -= u64::from(m.bit_offset);
        target.raw.pop();
    }
    Ok(None)
}

/// `bpf_core_spec_match`: the target spec for candidate `targ_id`, or `None` when it does
/// not match.
pub(crate) fn match_spec<'b>(
    local: &Spec<'_>,
    relo_kind: u32,
    target: &'b Btf,
    targ_id: u32,
    budget: &mut u32,
) -> Result<Option<Spec<'b>>, String> {
    let mut spec = Spec::new(target, targ_id);
    if is_type_based(relo_kind) {
        let matched = if relo_kind == kind::TYPE_MATCHES {
            types_match(
                local.btf,
                local.root_type_id,
                target,
                targ_id,
                false,
                MAX_DEPTH,
                budget,
            )?
        } else {
            types_compat(local.btf, local.root_type_id, target, targ_id, budget)?
        };
        return Ok(matched.then_some(spec));
    }
    if is_enumval_based(relo_kind) {
        let acc = &local.spec[0];
        let (targ_id, tt) = skip(target, targ_id)?;
        let Some(values) = tt.kind.enum_values() else {
            return Ok(None);
        };
        let name = essential(acc.name.as_deref().unwrap_or(""));
        let Some(i) = values.iter().position(|v| essential(&v.name) == name) else {
            return Ok(None);
        };
        spec.spec.push(Accessor {
            type_id: targ_id,
            idx: i as u32,
            name: Some(values[i].name.clone()),
        });
        spec.raw.push(i as u32);
        return Ok(Some(spec));
    }
    let mut targ_id = targ_id;
    for (i, acc) in local.spec.iter().enumerate() {
        let (tid, tt) = skip(target, targ_id)?;
        targ_id = tid;
        if acc.name.is_some() {
            match match_member(local, acc, &mut spec, targ_id, budget)? {
                Some(next) => targ_id = next,
                None => return Ok(None),
            }
            continue;
        }
        if i > 0 {
            let BtfKind::Array { elem, len, .. } = tt.kind else {
                return Ok(None);
            };
            let flex = is_flex_array(target, spec.spec.last(), len);
            if !flex && acc.idx >= len {
                return Ok(None);
            }
            targ_id = skip(target, elem)?.0;
        }
        if spec.raw.len() == MAX_SPEC_LEN {
            return Err("access nesting too deep".into());
        }
        spec.spec.push(Accessor {
            type_id: targ_id,
            idx: acc.idx,
            name: None,
        });
        spec.raw.push(acc.idx);
        add_bits(
            &mut spec.bit_offset,
            u64::from(acc.idx),
            size_of(target, targ_id)?,
        )?;
    }
    Ok(Some(spec))
}
