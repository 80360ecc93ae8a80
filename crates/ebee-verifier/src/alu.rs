//! ALU and byte-order instructions: numbers through the scalar domain, pointers through the
//! kernel's pointer-arithmetic rules (`adjust_ptr_min_max_vals`).

use crate::error::{uninit, Fault, Rule};
use crate::explore::Verifier;
use crate::scalar::Scalar;
use crate::state::State;
use crate::value::{Pointer, PtrKind, Reg};
use ebee_isa::{AluOp, ByteOrder, Instruction, Operand, Width};

/// Offsets a pointer may not reach or be moved by (the kernel's `BPF_MAX_VAR_OFF`).
const MAX_VAR_OFF: i64 = 1 << 29;

/// Marks a result that needs a fresh id from the state.
const FRESH_ID: u32 = u32::MAX;

impl Verifier<'_> {
    pub(crate) fn alu(
        &self,
        st: &mut State,
        insn: &Instruction,
        op: AluOp,
        width: Width,
        operand: Operand,
    ) -> Result<(), Fault> {
        let (d, s) = (insn.dst, insn.src);
        let src = match operand {
            Operand::Imm => Reg::constant(insn.imm as u64),
            Operand::Reg => match st.reg(s) {
                Reg::Uninit => return Err(uninit(s)),
                r => r,
            },
        };
        let leaks = self.env.options.allow_ptr_leaks();
        if let AluOp::Mov | AluOp::Movsx { .. } = op {
            let value = match src {
                Reg::Ptr(_) if op == AluOp::Mov && width == Width::W64 => src,
                Reg::Ptr(_) if leaks => {
                    Reg::Scalar(Scalar::unknown().alu(op, width, Scalar::unknown()))
                }
                Reg::Ptr(p) => {
                    return Err(Fault::new(
                        Rule::PointerLeak,
                        &[s],
                        format!(
                        "r{s} ({}) is copied in part into a number (R{s} partial copy of pointer)",
                        p.kind
                    ),
                    ))
                }
                Reg::Scalar(v) => Reg::Scalar(Scalar::unknown().alu(op, width, v)),
                Reg::Uninit => unreachable!("checked above"),
            };
            st.set(d, value);
            return Ok(());
        }
        let dst = st.reg(d);
        if dst == Reg::Uninit {
            return Err(uninit(d));
        }
        let divides = matches!(op, AluOp::Div | AluOp::Sdiv | AluOp::Mod | AluOp::Smod);
        if divides && operand == Operand::Imm && insn.imm == 0 {
            return Err(Fault::new(
                Rule::DivisionByZero,
                &[],
                "division by the constant 0 (div by zero)",
            ));
        }
        let result = match (dst, src) {
            (Reg::Ptr(p), _) if op == AluOp::Neg => {
                if !leaks {
                    return Err(Fault::new(Rule::PointerArithmetic, &[d], format!("negation of {} (R{d} pointer arithmetic prohibited)", p.kind)));
                }
                Reg::unknown()
            }
            (Reg::Scalar(a), Reg::Scalar(b)) => Reg::Scalar(a.alu(op, width, b)),
            (Reg::Ptr(p), Reg::Scalar(b)) => self.pointer_arithmetic(p, d, op, width, b)?,
            (Reg::Scalar(a), Reg::Ptr(p)) if op == AluOp::Add => {
                self.pointer_arithmetic(p, d, op, width, a)?
            }
            (Reg::Scalar(a), Reg::Ptr(p)) if op == AluOp::Sub && width == Width::W32 => {
                self.pointer_arithmetic(p, d, op, width, a)?
            }
            (Reg::Scalar(_), Reg::Ptr(_)) if op == AluOp::Sub => {
                return Err(Fault::new(
                    Rule::PointerArithmetic,
                    &[d, s],
                    format!("a pointer is subtracted from a number (R{d} tried to subtract pointer from scalar)"),
                ))
            }
            (Reg::Ptr(_), Reg::Ptr(_)) if op == AluOp::Sub && leaks => {
                unknown_result(width)
            }
            (Reg::Ptr(_), Reg::Ptr(_)) => {
                return Err(Fault::new(
                    Rule::PointerArithmetic,
                    &[d, s],
                    format!("two pointers combined by {op:?} (R{d} pointer {op:?} pointer prohibited)"),
                ))
            }
            (Reg::Scalar(_), Reg::Ptr(_)) if leaks => Reg::unknown(),
            (Reg::Scalar(_), Reg::Ptr(p)) => {
                return Err(Fault::new(
                    Rule::PointerLeak,
                    &[s],
                    format!("r{s} ({}) is used in arithmetic as a number (R{s} pointer arithmetic prohibited)", p.kind),
                ))
            }
            _ => unreachable!("both initialized"),
        };
        let result = match result {
            Reg::Ptr(mut p) if p.id == FRESH_ID => {
                p.id = st.fresh_id();
                Reg::Ptr(p)
            }
            other => other,
        };
        st.set(d, result);
        Ok(())
    }

    /// `p op value` (or `value + p`).
    fn pointer_arithmetic(
        &self,
        p: Pointer,
        d: u8,
        op: AluOp,
        width: Width,
        value: Scalar,
    ) -> Result<Reg, Fault> {
        let fail = |message: String| Err(Fault::new(Rule::PointerArithmetic, &[d], message));
        if width == Width::W32 {
            // The kernel: "32-bit ALU ops on pointers produce (meaningless) scalars", a
            // subtraction only, and only where pointers may leak.
            if op == AluOp::Sub && self.env.options.allow_ptr_leaks() {
                return Ok(unknown_result(width));
            }
            return fail(format!(
                "32-bit arithmetic on {} (R{d} 32-bit pointer arithmetic prohibited)",
                p.kind
            ));
        }
        if !matches!(op, AluOp::Add | AluOp::Sub) {
            return fail(format!(
                "{op:?} of {} (R{d} pointer arithmetic with {op:?} operator prohibited)",
                p.kind
            ));
        }
        if p.maybe_null {
            return Err(Fault::new(
                Rule::NullCheck,
                &[d],
                format!("arithmetic on {p} before it is checked against NULL (R{d} pointer arithmetic on ptr_or_null_ prohibited, null-check it first)"),
            )
            .suggest(format!("compare r{d} with 0 before using it")));
        }
        let constant_zero = value.as_constant() == Some(0);
        match p.kind {
            PtrKind::PacketEnd => {
                return fail(format!("arithmetic on the packet end pointer (R{d} pointer arithmetic on pkt_end prohibited)"))
            }
            PtrKind::Map(_) | PtrKind::Socket(_) | PtrKind::BtfObject | PtrKind::Func(_) if !constant_zero => {
                return fail(format!("arithmetic on {} (R{d} pointer arithmetic on {} prohibited)", p.kind, p.kind))
            }
            _ => {}
        }
        let mut out = p;
        match value.as_constant() {
            Some(c) => {
                let c = c as i64;
                if !(-MAX_VAR_OFF..MAX_VAR_OFF).contains(&c) {
                    return fail(format!(
                        "{} moved by {c} (math between pointer and {c} is not allowed)",
                        p.kind
                    ));
                }
                out.off = if op == AluOp::Sub {
                    p.off - c
                } else {
                    p.off + c
                };
            }
            None => {
                if value.smin <= -MAX_VAR_OFF {
                    return Err(Fault::new(
                        Rule::PointerArithmetic,
                        &[d],
                        format!("{} moved by a number without a lower bound (math between pointer and register with unbounded min value is not allowed)", p.kind),
                    )
                    .suggest("bound the number first, e.g. with an unsigned comparison or `&= mask`"));
                }
                if value.smax >= MAX_VAR_OFF {
                    return Err(Fault::new(
                        Rule::PointerArithmetic,
                        &[d],
                        format!("{} moved by a number without an upper bound (math between pointer and register with unbounded max value is not allowed)", p.kind),
                    )
                    .suggest("bound the number first, e.g. `if (n > LIMIT) return` or `n &= mask`"));
                }
                out.var = out.var.alu(op, Width::W64, value);
                if p.is_packet() {
                    // A new variable part: the bounds checks made so far no longer apply.
                    out.id = FRESH_ID;
                    out.range = 0;
                }
            }
        }
        if out.off.abs() >= MAX_VAR_OFF
            || out.var.smin <= -MAX_VAR_OFF
            || out.var.smax >= MAX_VAR_OFF
        {
            return fail(format!(
                "{} moved out of any object (value out of range)",
                p.kind
            ));
        }
        Ok(Reg::Ptr(out))
    }

    pub(crate) fn endian(
        &self,
        st: &mut State,
        insn: &Instruction,
        order: ByteOrder,
        bits: u8,
    ) -> Result<(), Fault> {
        let d = insn.dst;
        let value = match st.reg(d) {
            Reg::Uninit => return Err(uninit(d)),
            Reg::Scalar(v) => v.endian(order, bits),
            Reg::Ptr(_) if self.env.options.allow_ptr_leaks() => {
                Scalar::unknown().endian(order, bits)
            }
            Reg::Ptr(p) => {
                return Err(Fault::new(
                    Rule::PointerLeak,
                    &[d],
                    format!(
                        "byte swap of {} (R{d} pointer arithmetic prohibited)",
                        p.kind
                    ),
                ))
            }
        };
        st.set(d, Reg::Scalar(value));
        Ok(())
    }
}

/// Any number an instruction of `width` can produce (a 32-bit result is zero-extended).
fn unknown_result(width: Width) -> Reg {
    Reg::Scalar(Scalar::unknown().alu(AluOp::Mov, width, Scalar::unknown()))
}
