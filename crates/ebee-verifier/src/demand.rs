//! Which registers' values can matter to safety, at each instruction: a static, all-paths
//! form of the kernel's precision tracking (`mark_chain_precision`).
//!
//! A number matters where it decides something the verifier checks: a branch, a memory
//! access's address, a helper's or function's argument, the return value, a value spilled to
//! the stack (which later loads bring back). Where a number only flows into other numbers
//! that never reach such a place (into a packet or map value, say, or nowhere), two states
//! that differ in it are equally safe, so pruning need not tell them apart: without this a
//! loop that accumulates a result (`bits |= 1 << i`) has a new state at every iteration and
//! every branch, and never converges.
//!
//! Two passes over each function: forward, the registers that may hold a stack pointer (a
//! store through one is a spill, whose value matters); backward, the registers whose value
//! may reach a place where it matters ("demanded").
//!
//! As in the kernel, a conditional jump demands its operands only where a path found it
//! decided (one way impossible): where both ways are explored, every value is safe on the
//! way it takes. Which jumps are decided is known only after exploring, so [`crate::verify`]
//! explores again with the jumps found decided until no new one is found.

use crate::cfg::Cfg;
use ebee_isa::{AluOp, AtomicOp, CallKind, Instruction, Operand, Semantics};
use std::collections::BTreeSet;

/// r1-r5.
const ARGS: u16 = 0b11_1110;
/// r0-r5.
const CLOBBERED: u16 = 0b11_1111;
/// r10.
const FRAME_POINTER: u16 = 1 << 10;

/// The demanded registers at each slot.
pub struct Demand {
    demanded_in: Vec<u16>,
}

impl Demand {
    /// Analyses `program`, whose structure `cfg` has checked. A conditional jump's operands
    /// are demanded only at the slots `decided` lists: the jumps some path found to go one
    /// way only (see [`crate::verify`]).
    ///
    /// The program's return value is demanded only where `return_checked` (its type has a
    /// return range), unless its first function is also called.
    pub fn new(
        program: &[Instruction],
        cfg: &Cfg,
        decided: &BTreeSet<usize>,
        return_checked: bool,
    ) -> Demand {
        let slots = program.last().map_or(0, |i| i.pc + i.slots());
        let entry_called = program.iter().any(|i| {
            let callee = match i.op {
                ebee_isa::Op::CallLocal => i.branch_target(),
                _ => i.function_reference(),
            };
            callee == Some(0)
        });
        let r0_free_at = |insn: &Instruction| {
            !return_checked
                && !entry_called
                && cfg.function_of(insn.pc) == 0
                && insn.def().sem == Semantics::Exit
        };
        let stack_pointers = may_hold_stack_pointers(program, cfg, slots);
        let mut demanded_in = vec![0u16; slots];
        let mut changed = true;
        while changed {
            changed = false;
            for insn in program.iter().rev() {
                let out = Cfg::successors(insn).fold(0, |m, s| m | demanded_in[s]);
                let decided = decided.contains(&insn.pc);
                let before = match r0_free_at(insn) {
                    true => 0,
                    false => demanded_before(insn, out, stack_pointers[insn.pc], decided),
                };
                let before = before | FRAME_POINTER;
                if before != demanded_in[insn.pc] {
                    demanded_in[insn.pc] = before;
                    changed = true;
                }
            }
        }
        Demand { demanded_in }
    }

    /// Whether the value register `r` holds at slot `pc` may matter to safety later.
    pub fn demanded(&self, pc: usize, r: u8) -> bool {
        self.demanded_in.get(pc).is_none_or(|m| m & (1 << r) != 0)
    }
}

/// The registers demanded before `insn`, given those demanded after it (`out`), those that
/// may hold a stack pointer before it, and, for a conditional jump, whether it was decided.
fn demanded_before(insn: &Instruction, out: u16, stack_pointers: u16, decided: bool) -> u16 {
    let d = 1u16 << insn.dst;
    let s = 1u16 << insn.src;
    let dst_demanded = out & d != 0;
    match insn.def().sem {
        Semantics::Alu {
            op: AluOp::Mov | AluOp::Movsx { .. },
            operand,
            ..
        } => {
            (out & !d)
                | if dst_demanded && operand == Operand::Reg {
                    s
                } else {
                    0
                }
        }
        Semantics::Alu {
            operand: Operand::Reg,
            ..
        } => match dst_demanded {
            true => out | s,
            false => out & !d,
        },
        Semantics::Alu { .. } | Semantics::Endian { .. } => match dst_demanded {
            true => out,
            false => out & !d,
        },
        Semantics::LoadImm64 { .. } => out & !d,
        Semantics::Load { .. } => (out & !d) | s,
        Semantics::Store {
            operand: Operand::Reg,
            ..
        } => out | d | if stack_pointers & d != 0 { s } else { 0 },
        Semantics::Store { .. } => out | d,
        Semantics::Atomic { op, .. } => out | d | s | if op == AtomicOp::Cmpxchg { 1 } else { 0 },
        Semantics::LegacyPacketLoad { indirect, .. } => {
            (out & !CLOBBERED) | 1 << 6 | if indirect { s } else { 0 }
        }
        Semantics::Jump { cond: None, .. } | Semantics::MayGoto => out,
        // A jump both ways of which were explored decides nothing by itself: each way is
        // safe for every value that takes it (what comes after demands the rest).
        Semantics::Jump { .. } if !decided => out,
        Semantics::Jump {
            operand: Operand::Reg,
            ..
        } => out | d | s,
        Semantics::Jump { .. } => out | d,
        Semantics::Call(CallKind::HelperInReg) => (out & !CLOBBERED) | ARGS | d,
        Semantics::Call(_) => (out & !CLOBBERED) | ARGS,
        Semantics::Exit => 1,
    }
}

/// The registers that may hold a pointer into a stack at each slot. The program starts with
/// only r10 one; any other function may be given stack pointers as arguments.
fn may_hold_stack_pointers(program: &[Instruction], cfg: &Cfg, slots: usize) -> Vec<u16> {
    let mut may_in = vec![0u16; slots];
    for (i, &function) in cfg.functions.iter().enumerate() {
        may_in[function] = FRAME_POINTER | if i == 0 { 0 } else { ARGS };
    }
    // Whether a stack pointer may be spilled at all: until one is, what loads from the
    // stack bring back is no stack pointer.
    let mut spilled = false;
    let mut changed = true;
    while changed {
        changed = false;
        for insn in program {
            let before = may_in[insn.pc];
            let stores_stack_pointer = match insn.def().sem {
                Semantics::Store {
                    operand: Operand::Reg,
                    ..
                }
                | Semantics::Atomic { .. } => before & (1 << insn.src) != 0,
                _ => false,
            };
            if stores_stack_pointer && !spilled {
                spilled = true;
                changed = true;
            }
            let after = stack_pointers_after(insn, before, spilled);
            for next in Cfg::successors(insn) {
                if may_in[next] | after != may_in[next] {
                    may_in[next] |= after;
                    changed = true;
                }
            }
        }
    }
    may_in
}

fn stack_pointers_after(insn: &Instruction, before: u16, spilled: bool) -> u16 {
    let d = 1u16 << insn.dst;
    let s = 1u16 << insn.src;
    let src_may = before & s != 0;
    let set = |mask: u16, on: bool| if on { before | mask } else { before & !mask };
    match insn.def().sem {
        Semantics::Alu {
            op: AluOp::Mov | AluOp::Movsx { .. },
            operand,
            ..
        } => set(d, operand == Operand::Reg && src_may),
        Semantics::Alu {
            operand: Operand::Reg,
            ..
        } => before | if src_may { d } else { 0 },
        Semantics::LoadImm64 { .. } => set(d, false),
        // A spilled stack pointer comes back from the stack.
        Semantics::Load { .. } => set(d, spilled && before & s != 0),
        Semantics::Atomic {
            op: AtomicOp::Cmpxchg,
            ..
        } => set(1, spilled && before & d != 0),
        Semantics::Atomic { fetch: true, .. } => set(s, spilled && before & d != 0),
        Semantics::LegacyPacketLoad { .. } | Semantics::Call(CallKind::Helper) => {
            before & !CLOBBERED
        }
        // Whatever a function returns, conservatively.
        Semantics::Call(_) => (before & !CLOBBERED) | 1,
        _ => before,
    }
}
