//! Type compatibility for CO-RE, after libbpf's `relo_core.c`: essential names (without
//! `___flavor`), field compatibility, `__bpf_core_types_are_compat` for type-based
//! relocations and `__bpf_core_types_match` for `TYPE_MATCHES`. Each check spends from the
//! relocation's step budget, so cyclic or huge BTF cannot make it run away.

use super::spec::{spend, MAX_DEPTH};
use crate::btf::{Btf, BtfKind, BtfMember};

/// Length of a name without its `___flavor` suffix (libbpf's
/// `bpf_core_essential_name_len`).
pub(crate) fn essential_len(name: &str) -> usize {
    let b = name.as_bytes();
    for i in (0..b.len().saturating_sub(4)).rev() {
        if b[i] != b'_'
            && b[i + 1] == b'_'
            && b[i + 2] == b'_'
            && b[i + 3] == b'_'
            && b[i + 4] != b'_'
        {
            return i + 1;
        }
    }
    b.len()
}

pub(crate) fn essential(name: &str) -> &str {
    &name[..essential_len(name)]
}

/// `btf_kind_core_compat`: same kind, or both enums.
pub(crate) fn kinds_compat(a: &BtfKind, b: &BtfKind) -> bool {
    a.number() == b.number() || (a.is_enum() && b.is_enum())
}

pub(crate) fn size_of(btf: &Btf, id: u32) -> Result<u64, String> {
    btf.resolve_size(id)
        .ok_or_else(|| format!("type [{id}] has no size"))
}

pub(crate) fn skip(btf: &Btf, id: u32) -> Result<(u32, &crate::btf::BtfType), String> {
    btf.skip_modifiers(id)
        .ok_or_else(|| format!("type [{id}] is missing"))
}

pub(crate) fn members(kind: &BtfKind) -> &[BtfMember] {
    kind.members().unwrap_or(&[])
}

/// `bpf_core_fields_are_compat`.
pub(crate) fn fields_compat(
    local: &Btf,
    local_id: u32,
    target: &Btf,
    targ_id: u32,
) -> Result<bool, String> {
    let (mut lid, mut tid) = (local_id, targ_id);
    for _ in 0..MAX_DEPTH {
        let (_, lt) = skip(local, lid)?;
        let (_, tt) = skip(target, tid)?;
        if lt.kind.is_composite() && tt.kind.is_composite() {
            return Ok(true);
        }
        if !kinds_compat(&lt.kind, &tt.kind) {
            return Ok(false);
        }
        return Ok(match (&lt.kind, &tt.kind) {
            (BtfKind::Ptr { .. }, _) | (BtfKind::Float { .. }, _) => true,
            (BtfKind::Fwd { .. } | BtfKind::Enum { .. } | BtfKind::Enum64 { .. }, _) => {
                let (l, t) = (essential(&lt.name), essential(&tt.name));
                l.is_empty() || t.is_empty() || l == t
            }
            (BtfKind::Int { bit_offset: a, .. }, BtfKind::Int { bit_offset: b, .. }) => {
                *a == 0 && *b == 0
            }
            (BtfKind::Array { elem: a, .. }, BtfKind::Array { elem: b, .. }) => {
                (lid, tid) = (*a, *b);
                continue;
            }
            _ => false,
        });
    }
    Err("type nesting too deep".into())
}

/// `__bpf_core_types_are_compat`, for type-based relocations.
pub(crate) fn types_compat(
    local: &Btf,
    local_id: u32,
    target: &Btf,
    targ_id: u32,
    budget: &mut u32,
) -> Result<bool, String> {
    let (mut lid, mut tid) = (local_id, targ_id);
    for _ in 0..MAX_DEPTH {
        spend(budget)?;
        let (_, lt) = skip(local, lid)?;
        let (_, tt) = skip(target, tid)?;
        if !kinds_compat(&lt.kind, &tt.kind) {
            return Ok(false);
        }
        match (&lt.kind, &tt.kind) {
            (BtfKind::Int { bit_offset: a, .. }, BtfKind::Int { bit_offset: b, .. }) => {
                return Ok(*a == 0 && *b == 0)
            }
            (BtfKind::Ptr { target: a }, BtfKind::Ptr { target: b }) => (lid, tid) = (*a, *b),
            (BtfKind::Array { elem: a, .. }, BtfKind::Array { elem: b, .. }) => {
                (lid, tid) = (*a, *b)
            }
            (
                BtfKind::FuncProto {
                    ret: lr,
                    params: lp,
                },
                BtfKind::FuncProto {
                    ret: tr,
                    params: tp,
                },
            ) => {
                if lp.len() != tp.len() {
                    return Ok(false);
                }
                for (a, b) in lp.iter().zip(tp) {
                    if !types_compat(local, a.type_id, target, b.type_id, budget)? {
                        return Ok(false);
                    }
                }
                (lid, tid) = (*lr, *tr);
            }
            (k, _) => {
                return Ok(matches!(
                    k,
                    BtfKind::Void
                        | BtfKind::Struct { .. }
                        | BtfKind::Union { .. }
                        | BtfKind::Enum { .. }
                        | BtfKind::Enum64 { .. }
                        | BtfKind::Fwd { .. }
                ));
            }
        }
    }
    Err("type nesting too deep".into())
}

/// `bpf_core_names_match`.
fn names_match(local: &str, target: &str) -> bool {
    if target.is_empty() {
        return local.is_empty();
    }
    essential(local) == essential(target)
}

/// `__bpf_core_types_match`, for `TYPE_MATCHES` relocations.
pub(crate) fn types_match(
    local: &Btf,
    local_id: u32,
    target: &Btf,
    targ_id: u32,
    behind_ptr: bool,
    level: i32,
    budget: &mut u32,
) -> Result<bool, String> {
    if level <= 0 {
        return Err("type nesting too deep".into());
    }
    spend(budget)?;
    let (_, lt) = skip(local, local_id)?;
    let (_, tt) = skip(target, targ_id)?;
    if !names_match(&lt.name, &tt.name) {
        return Ok(false);
    }
    let mut recur =
        |l: u32, t: u32, behind: bool| types_match(local, l, target, t, behind, level - 1, budget);
    Ok(match (&lt.kind, &tt.kind) {
        (BtfKind::Void, t) => matches!(t, BtfKind::Void),
        (BtfKind::Fwd { is_union: lu }, t) => match t {
            BtfKind::Fwd { is_union: tu } => lu == tu,
            BtfKind::Struct { .. } if behind_ptr => !lu,
            BtfKind::Union { .. } if behind_ptr => *lu,
            _ => false,
        },
        (l, t) if l.is_enum() => {
            let (BtfKind::Enum {
                size: ls,
                values: lv,
                ..
            }
            | BtfKind::Enum64 {
                size: ls,
                values: lv,
                ..
            }) = l
            else {
                return Ok(false);
            };
            match t {
                BtfKind::Enum { size, values, .. } | BtfKind::Enum64 { size, values, .. } => {
                    ls == size
                        && lv
                            .iter()
                            .all(|v| values.iter().any(|w| names_match(&v.name, &w.name)))
                }
                _ => false,
            }
        }
        (l, t) if l.is_composite() => {
            let same = l.number() == t.number();
            if behind_ptr {
                same || matches!(t, BtfKind::Fwd { is_union } if *is_union == matches!(l, BtfKind::Union { .. }))
            } else if !same {
                false
            } else {
                let (lm, tm) = (members(l), members(t));
                if lm.len() > tm.len() {
                    return Ok(false);
                }
                for m in lm {
                    let mut found = false;
                    for n in tm.iter().filter(|n| names_match(&m.name, &n.name)) {
                        if recur(m.type_id, n.type_id, behind_ptr)? {
                            found = true;
                            break;
                        }
                    }
                    if !found {
                        return Ok(false);
                    }
                }
                true
            }
        }
        (
            BtfKind::Int {
                size: a,
                signed: sa,
                ..
            },
            BtfKind::Int {
                size: b,
                signed: sb,
                ..
            },
        ) => a == b && sa == sb,
        (BtfKind::Ptr { target: a }, BtfKind::Ptr { target: b }) => recur(*a, *b, true)?,
        (
            BtfKind::Array {
                elem: a, len: la, ..
            },
            BtfKind::Array {
                elem: b, len: lb, ..
            },
        ) => la == lb && recur(*a, *b, behind_ptr)?,
        (
            BtfKind::FuncProto {
                ret: lr,
                params: lp,
            },
            BtfKind::FuncProto {
                ret: tr,
                params: tp,
            },
        ) => {
            if lp.len() != tp.len() {
                return Ok(false);
            }
            for (a, b) in lp.iter().zip(tp) {
                if !recur(a.type_id, b.type_id, behind_ptr)? {
                    return Ok(false);
                }
            }
            recur(*lr, *tr, behind_ptr)?
        }
        _ => false,
    })
}
