//! Load-time data-flow over register kinds, as the kernel's verifier tracks them in part:
//!
//! - a register read before every path to it wrote it is an error (`R0 !read_ok`);
//! - when the program has a context, every load or store through the unmodified context
//!   pointer (r1 at entry, then wherever it is copied or spilled to the stack) is found, so it
//!   can be rewritten to the host layout; accesses through a modified context pointer, or
//!   through a register that holds the context on some paths only, are refused.
//!
//! At the entry and at every bpf-to-bpf function entry r1–r5 (arguments) and r10 are set;
//! after a call r0 is set and r1–r5 are clobbered, as in the kernel. The callee's r1–r5 kinds
//! are the join over its call sites.

use crate::error::VmError;
use ebee_isa::{Instruction, Op, Shape};

/// What a register (or an 8-byte stack slot) holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Not written on some path.
    Uninit,
    /// The context pointer, unmodified.
    Ctx,
    /// Computed from the context pointer.
    CtxDerived,
    /// Anything else.
    Other,
    /// The context pointer on some paths, something else on others.
    Mixed,
}

impl Kind {
    fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Uninit, _) | (_, Kind::Uninit) => Kind::Uninit,
            _ => Kind::Mixed,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    regs: [Kind; 11],
    /// Stack slots (offset from r10) holding a context-related value; absent means `Other`.
    spills: Vec<(i64, Kind)>,
}

impl State {
    fn entry(args: Kind) -> State {
        let mut regs = [Kind::Uninit; 11];
        regs[1..6].fill(Kind::Other);
        regs[1] = args;
        regs[10] = Kind::Other;
        State {
            regs,
            spills: Vec::new(),
        }
    }

    fn join(&self, other: &State) -> State {
        let mut regs = self.regs;
        for (r, o) in regs.iter_mut().zip(other.regs) {
            *r = r.join(o);
        }
        let mut spills: Vec<(i64, Kind)> = Vec::new();
        for &(off, kind) in self.spills.iter().chain(&other.spills) {
            let joined = kind.join(other.spill(off)).join(self.spill(off));
            if !spills.iter().any(|s| s.0 == off) && joined != Kind::Other {
                spills.push((off, joined));
            }
        }
        spills.sort_unstable_by_key(|s| s.0);
        State { regs, spills }
    }

    fn spill(&self, off: i64) -> Kind {
        self.spills
            .iter()
            .find(|s| s.0 == off)
            .map_or(Kind::Other, |s| s.1)
    }

    fn set_spill(&mut self, off: i64, kind: Kind) {
        self.spills.retain(|s| s.0 != off);
        if kind != Kind::Other {
            self.spills.push((off, kind));
            self.spills.sort_unstable_by_key(|s| s.0);
        }
    }
}

/// What the analysis found: the slots whose memory access goes through the context pointer.
pub(crate) struct Facts {
    pub ctx_accesses: Vec<usize>,
}

fn reg_index(r: u8) -> usize {
    (r as usize).min(10)
}

/// Runs the analysis. `has_ctx`: whether r1 holds a program-type context at entry.
pub(crate) fn analyze(program: &[Instruction], has_ctx: bool) -> Result<Facts, VmError> {
    let Some(last) = program.last() else {
        return Ok(Facts {
            ctx_accesses: Vec::new(),
        });
    };
    let slots = last.pc + last.slots();
    let mut index_of_slot = vec![usize::MAX; slots];
    for (index, insn) in program.iter().enumerate() {
        index_of_slot[insn.pc] = index;
    }
    let mut states: Vec<Option<State>> = vec![None; slots];
    let mut work = Vec::new();
    let mut ctx_access = vec![false; slots];
    let entry_kind = if has_ctx { Kind::Ctx } else { Kind::Other };
    merge(&mut states, &mut work, 0, State::entry(entry_kind));
    while let Some(slot) = work.pop() {
        let (Some(state), Some(insn)) = (states[slot].clone(), program.get(index_of_slot[slot]))
        else {
            continue;
        };
        let after = step(insn, state, &mut ctx_access[slot])?;
        let next = insn.pc + insn.slots();
        let target = insn.branch_target().map(|t| t as usize);
        if insn.op == Op::LddwFunc {
            // A callback: analyzed as a function entered with arguments from a helper.
            let callback = insn.pc as i64 + 1 + insn.imm;
            if let Ok(callback) = usize::try_from(callback) {
                merge(&mut states, &mut work, callback, State::entry(Kind::Other));
            }
        }
        match (insn.def().shape, target) {
            (Shape::Exit, _) => {}
            (Shape::Ja | Shape::Ja32, Some(t)) => merge(&mut states, &mut work, t, after),
            (Shape::Call, Some(entry)) => {
                let mut callee = State::entry(Kind::Other);
                callee.regs[1..6].copy_from_slice(&states[slot].as_ref().expect("set").regs[1..6]);
                merge(&mut states, &mut work, entry, callee);
                merge(&mut states, &mut work, next, after);
            }
            (Shape::JumpImm | Shape::JumpReg, Some(t)) => {
                merge(&mut states, &mut work, t, after.clone());
                merge(&mut states, &mut work, next, after);
            }
            _ => merge(&mut states, &mut work, next, after),
        }
    }
    Ok(Facts {
        ctx_accesses: (0..slots).filter(|&s| ctx_access[s]).collect(),
    })
}

fn merge(states: &mut [Option<State>], work: &mut Vec<usize>, slot: usize, incoming: State) {
    let Some(entry) = states.get_mut(slot) else {
        return;
    };
    let merged = match entry {
        Some(old) => old.join(&incoming),
        None => incoming,
    };
    if entry.as_ref() != Some(&merged) {
        *entry = Some(merged);
        work.push(slot);
    }
}

/// Applies one instruction to the state; marks `is_ctx_access` when it accesses the context.
fn step(insn: &Instruction, mut state: State, is_ctx_access: &mut bool) -> Result<State, VmError> {
    let (d, s) = (reg_index(insn.dst), reg_index(insn.src));
    let read = |state: &State, r: usize| -> Result<Kind, VmError> {
        match state.regs[r] {
            Kind::Uninit => Err(VmError::UninitializedRegister {
                pc: insn.pc,
                reg: r as u8,
            }),
            kind => Ok(kind),
        }
    };
    // A memory access through `base`: plain, context, or refused.
    let access = |state: &State, base: usize, is_ctx: &mut bool| -> Result<(), VmError> {
        let refuse = |reason: &'static str| VmError::BadContextAccess {
            pc: insn.pc,
            reason: reason.to_string(),
        };
        match read(state, base)? {
            Kind::Ctx => {
                *is_ctx = true;
                Ok(())
            }
            Kind::CtxDerived => Err(refuse("dereference of a modified context pointer")),
            Kind::Mixed => Err(refuse(
                "register holds the context pointer on some paths only",
            )),
            _ => Ok(()),
        }
    };
    let is_mov = matches!(insn.op, Op::Mov64Reg | Op::Mov32Reg);
    let tainted = |k: Kind| matches!(k, Kind::Ctx | Kind::CtxDerived | Kind::Mixed);
    match insn.def().shape {
        Shape::AluImm if matches!(insn.op, Op::Mov64Imm | Op::Mov32Imm) => {
            state.regs[d] = Kind::Other
        }
        Shape::AluReg if is_mov => {
            let k = read(&state, s)?;
            state.regs[d] = if insn.op == Op::Mov64Reg {
                k
            } else if tainted(k) {
                Kind::CtxDerived
            } else {
                Kind::Other
            };
        }
        Shape::AluImm | Shape::AluUnary | Shape::Endian => {
            let k = read(&state, d)?;
            state.regs[d] = if tainted(k) {
                Kind::CtxDerived
            } else {
                Kind::Other
            };
        }
        Shape::AluReg => {
            let (kd, ks) = (read(&state, d)?, read(&state, s)?);
            state.regs[d] = if tainted(kd) || tainted(ks) {
                Kind::CtxDerived
            } else {
                Kind::Other
            };
        }
        Shape::MovSx => {
            read(&state, s)?;
            state.regs[d] = Kind::Other;
        }
        Shape::LoadImm64 => state.regs[d] = Kind::Other,
        Shape::Load => {
            access(&state, s, is_ctx_access)?;
            let spilled = (s == 10 && insn.op == Op::Ldxdw).then(|| state.spill(insn.off as i64));
            state.regs[d] = spilled.unwrap_or(Kind::Other);
        }
        Shape::StoreImm => {
            access(&state, d, is_ctx_access)?;
            if d == 10 {
                state.set_spill(insn.off as i64, Kind::Other);
            }
        }
        Shape::StoreReg => {
            access(&state, d, is_ctx_access)?;
            let k = read(&state, s)?;
            if d == 10 {
                let kind = if insn.op == Op::Stxdw {
                    k
                } else if tainted(k) {
                    Kind::CtxDerived
                } else {
                    Kind::Other
                };
                state.set_spill(insn.off as i64, kind);
            }
        }
        Shape::Atomic => {
            let mut on_ctx = false;
            access(&state, d, &mut on_ctx)?;
            if on_ctx {
                return Err(VmError::BadContextAccess {
                    pc: insn.pc,
                    reason: "atomic operation on the context".to_string(),
                });
            }
            read(&state, s)?;
            match insn.op {
                Op::AtomicCmpxchg32 | Op::AtomicCmpxchg64 => {
                    read(&state, 0)?;
                    state.regs[0] = Kind::Other;
                }
                _ if insn.imm & 1 != 0 => state.regs[s] = Kind::Other,
                _ => {}
            }
        }
        Shape::JumpImm => {
            read(&state, d)?;
        }
        Shape::JumpReg => {
            read(&state, d)?;
            read(&state, s)?;
        }
        Shape::Ja | Shape::Ja32 => {}
        Shape::Call | Shape::CallReg => {
            if insn.def().shape == Shape::CallReg {
                read(&state, d)?;
            }
            state.regs[1..6].fill(Kind::Uninit);
            state.regs[0] = Kind::Other;
        }
        Shape::Exit => {
            read(&state, 0)?;
        }
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(asm: &str, has_ctx: bool) -> Result<Vec<usize>, VmError> {
        let program = ebee_isa::assemble(asm).expect("assembles");
        analyze(&program, has_ctx).map(|f| f.ctx_accesses)
    }

    #[test]
    fn reads_of_unwritten_registers_are_refused() {
        let err = facts("or %r0, %r10\nexit", false).unwrap_err();
        assert_eq!(err, VmError::UninitializedRegister { pc: 0, reg: 0 });
        let err = facts("jeq %r1, 0, +1\nmov %r0, 1\nexit", false).unwrap_err();
        assert_eq!(err, VmError::UninitializedRegister { pc: 2, reg: 0 });
        let err = facts("call 5\nmov %r0, %r1\nexit", false).unwrap_err();
        assert_eq!(err, VmError::UninitializedRegister { pc: 1, reg: 1 });
        assert!(facts("call 5\nexit", false).is_ok());
    }

    #[test]
    fn context_accesses_are_found_through_copies_spills_and_calls() {
        let asm = "mov %r6, %r1
ldxw %r0, [%r6+4]
stxdw [%r10-8], %r6
ldxdw %r7, [%r10-8]
ldxw %r2, [%r7+0]
call local f
exit
f:
ldxw %r0, [%r1+8]
exit";
        // Slot 1 (via r6), slot 4 (via the reloaded spill), slot 7 (callee's r1).
        assert_eq!(facts(asm, true).unwrap(), vec![1, 4, 7]);
        assert_eq!(facts(asm, false).unwrap(), Vec::<usize>::new());
    }

    #[test]
    fn modified_or_ambiguous_context_pointers_are_refused() {
        let err = facts("add %r1, 4\nldxw %r0, [%r1+0]\nexit", true).unwrap_err();
        assert!(
            matches!(err, VmError::BadContextAccess { pc: 1, .. }),
            "{err}"
        );
        let asm = "mov %r2, %r10\njeq %r3, 0, +1\nmov %r2, %r1\nldxw %r0, [%r2-4]\nexit";
        let err = facts(asm, true).unwrap_err();
        assert!(err.to_string().contains("some paths"), "{err}");
    }
}
