//! Conditional jumps: which ways can be taken, and what each way teaches (the kernel's
//! `check_cond_jmp_op`): number ranges refined on both ways, NULL checks making a pointer
//! usable or zero on every copy, packet pointers compared with the packet's end gaining a
//! verified range on every copy.

use crate::error::{uninit, Fault, Rule};
use crate::explore::Verifier;
use crate::scalar::Scalar;
use crate::state::State;
use crate::value::{Pointer, PtrKind, Reg};
use ebee_isa::{Cond, Instruction, Operand, Width};

/// The ways a conditional jump can go: the state on each, `None` where impossible.
pub(crate) struct Ways {
    pub taken: Option<State>,
    pub fallthrough: Option<State>,
}

impl Verifier<'_> {
    pub(crate) fn cond_jump(
        &self,
        st: State,
        insn: &Instruction,
        cond: Cond,
        width: Width,
        operand: Operand,
    ) -> Result<Ways, Fault> {
        let (d, s) = (insn.dst, insn.src);
        let dst = st.reg(d);
        if dst == Reg::Uninit {
            return Err(uninit(d));
        }
        let src = match operand {
            Operand::Imm => Reg::constant(insn.imm as u64),
            Operand::Reg => match st.reg(s) {
                Reg::Uninit => return Err(uninit(s)),
                r => r,
            },
        };
        let src_reg = (operand == Operand::Reg).then_some(s);
        match (dst, src) {
            (Reg::Scalar(a), Reg::Scalar(b)) => Ok(scalar_ways(st, d, src_reg, a, b, cond, width)),
            (Reg::Ptr(p), other) | (other, Reg::Ptr(p))
                if other.is_zero()
                    && width == Width::W64
                    && matches!(cond, Cond::Eq | Cond::Ne)
                    && (p.maybe_null || self.env.options.allow_ptr_leaks()) =>
            {
                Ok(null_check(st, p, cond))
            }
            (Reg::Ptr(a), Reg::Ptr(b)) if width == Width::W64 && packet_pair(&a, &b) => {
                Ok(packet_ways(st, a, b, cond))
            }
            _ if self.env.options.allow_ptr_leaks() => Ok(Ways {
                taken: Some(st.clone()),
                fallthrough: Some(st),
            }),
            _ => {
                let r = if dst.pointer().is_some() { d } else { s };
                Err(Fault::new(
                    Rule::PointerComparison,
                    &[d, s],
                    format!("r{r} is a pointer compared with something else than NULL or a packet bound (R{r} pointer comparison prohibited)"),
                ))
            }
        }
    }
}

fn scalar_ways(
    st: State,
    d: u8,
    s: Option<u8>,
    a: Scalar,
    b: Scalar,
    cond: Cond,
    width: Width,
) -> Ways {
    match a.decide(cond, width, b) {
        Some(true) => Ways {
            taken: Some(st),
            fallthrough: None,
        },
        Some(false) => Ways {
            taken: None,
            fallthrough: Some(st),
        },
        None => {
            let way = |holds: bool| {
                let (na, nb) = a.refine(cond, width, b, holds)?;
                let mut out = st.clone();
                out.set(d, Reg::Scalar(na));
                if let Some(s) = s {
                    out.set(s, Reg::Scalar(nb));
                }
                Some(out)
            };
            Ways {
                taken: way(true),
                fallthrough: way(false),
            }
        }
    }
}

/// `p == 0` / `p != 0`.
fn null_check(st: State, p: Pointer, cond: Cond) -> Ways {
    if !p.maybe_null {
        // A pointer that cannot be NULL is never 0.
        let (taken, fallthrough) = if cond == Cond::Eq {
            (None, Some(st))
        } else {
            (Some(st), None)
        };
        return Ways { taken, fallthrough };
    }
    let mut null = st.clone();
    let mut valid = st;
    let same = |r: &Reg| matches!(r, Reg::Ptr(q) if q.maybe_null && q.id == p.id);
    null.for_each_reg(|r| {
        if same(r) {
            *r = Reg::constant(0);
        }
    });
    if p.ref_obj != 0 {
        // A NULL result holds nothing to release.
        null.refs.retain(|r| r.id != p.ref_obj);
    }
    valid.for_each_reg(|r| {
        if let Reg::Ptr(q) = r {
            if q.maybe_null && q.id == p.id {
                q.maybe_null = false;
            }
        }
    });
    if cond == Cond::Eq {
        Ways {
            taken: Some(null),
            fallthrough: Some(valid),
        }
    } else {
        Ways {
            taken: Some(valid),
            fallthrough: Some(null),
        }
    }
}

/// A packet pointer and the pointer bounding it (data and data_end, or data_meta and data
/// itself: a pointer past data bounds nothing, the kernel's `reg_is_init_pkt_pointer`).
fn packet_pair(a: &Pointer, b: &Pointer) -> bool {
    let data = |p: &Pointer| p.kind == PtrKind::Packet && p.off == 0 && p.fixed();
    let bounds = |p: &Pointer, end: &Pointer| {
        (p.kind == PtrKind::Packet && end.kind == PtrKind::PacketEnd)
            || (p.kind == PtrKind::PacketMeta && data(end))
    };
    bounds(a, b) || bounds(b, a)
}

/// A packet pointer compared with its bound: the way on which `pointer <= end` (or `<`)
/// holds gives every copy of the pointer a verified range.
fn packet_ways(st: State, dst: Pointer, src: Pointer, cond: Cond) -> Ways {
    let dst_is_pointer = matches!(
        (dst.kind, src.kind),
        (PtrKind::Packet, PtrKind::PacketEnd) | (PtrKind::PacketMeta, PtrKind::Packet)
    );
    let (pointer, cond) = if dst_is_pointer {
        (dst, cond)
    } else {
        (src, mirror(cond))
    };
    // Now `pointer cond end`; which way proves `pointer <= end`, and is it `<`?
    let (proving_way_is_taken, strict) = match cond {
        Cond::Gt => (false, false),
        Cond::Ge => (false, true),
        Cond::Lt => (true, true),
        Cond::Le => (true, false),
        _ => {
            return Ways {
                taken: Some(st.clone()),
                fallthrough: Some(st),
            };
        }
    };
    let mut proven = st.clone();
    mark_range(&mut proven, &pointer, strict);
    if proving_way_is_taken {
        Ways {
            taken: Some(proven),
            fallthrough: Some(st),
        }
    } else {
        Ways {
            taken: Some(st),
            fallthrough: Some(proven),
        }
    }
}

/// `a cond b` as `b cond' a`.
fn mirror(cond: Cond) -> Cond {
    match cond {
        Cond::Gt => Cond::Lt,
        Cond::Ge => Cond::Le,
        Cond::Lt => Cond::Gt,
        Cond::Le => Cond::Ge,
        Cond::Sgt => Cond::Slt,
        Cond::Sge => Cond::Sle,
        Cond::Slt => Cond::Sgt,
        Cond::Sle => Cond::Sge,
        other => other,
    }
}

/// The kernel's `find_good_pkt_pointers`: `pointer <= end` (`strict`: `<`) proves the bytes
/// before `pointer` are in the packet, for every pointer sharing its variable part.
fn mark_range(st: &mut State, pointer: &Pointer, strict: bool) {
    if pointer.off < 0 || (pointer.off == 0 && strict) {
        return;
    }
    if pointer.var.umax > 0xffff || pointer.var.umax.saturating_add(pointer.off as u64) > 0xffff {
        return;
    }
    let range = pointer.off + i64::from(strict);
    st.for_each_reg(|r| {
        if let Reg::Ptr(q) = r {
            if q.kind == pointer.kind && q.id == pointer.id {
                q.range = q.range.max(range);
            }
        }
    });
}
