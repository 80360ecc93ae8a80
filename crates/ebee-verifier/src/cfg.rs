//! The program's static structure, checked before any path is explored (the kernel's
//! `check_subprogs` and `check_cfg`): functions, jumps staying inside their function, every
//! function ending in `exit` or `ja`, every instruction reachable; and register liveness,
//! which lets pruning ignore registers no later instruction reads.

use ebee_isa::{CallKind, Instruction, Op, Operand, Semantics};

/// The structure of a program.
pub struct Cfg {
    /// Instruction index of each slot (`None` for the second slot of `lddw`).
    index: Vec<Option<u32>>,
    /// First slot of each function, ascending; the program's own first.
    pub functions: Vec<usize>,
    /// Registers (bit `r`) that may be read before written, at each slot.
    live_in: Vec<u16>,
    /// Slots where paths meet (jump targets, after conditional jumps, function starts):
    /// states are saved there for pruning.
    pub prune_point: Vec<bool>,
}

/// A structural error: `(slot, message)`.
pub type CfgError = (usize, String);

const ARGS: u16 = 0b11_1110;
const CLOBBERED: u16 = 0b11_1111;

impl Cfg {
    /// Analyses `program` (already validated: jumps land on instructions).
    pub fn new(program: &[Instruction]) -> Result<Cfg, CfgError> {
        let slots = program.last().map_or(0, |i| i.pc + i.slots());
        let mut index = vec![None; slots];
        for (i, insn) in program.iter().enumerate() {
            index[insn.pc] = Some(i as u32);
        }
        let mut functions = vec![0];
        for insn in program {
            let target = match insn.op {
                Op::CallLocal => insn.branch_target(),
                _ => insn.function_reference(),
            };
            if let Some(t) = target {
                functions.push(t as usize);
            }
        }
        functions.sort_unstable();
        functions.dedup();
        let mut cfg = Cfg {
            index,
            functions,
            live_in: vec![0; slots],
            prune_point: vec![false; slots],
        };
        cfg.check_functions(program)?;
        cfg.check_reachable(program)?;
        cfg.compute_liveness(program);
        Ok(cfg)
    }

    /// The instruction at slot `pc`.
    pub fn at<'p>(&self, program: &'p [Instruction], pc: usize) -> Option<&'p Instruction> {
        self.index
            .get(pc)
            .copied()
            .flatten()
            .map(|i| &program[i as usize])
    }

    /// The function containing slot `pc`: its first slot.
    pub fn function_of(&self, pc: usize) -> usize {
        let at = self.functions.partition_point(|&f| f <= pc);
        self.functions[at - 1]
    }

    /// Whether register `r` may be read at or after slot `pc` before being written.
    pub fn live(&self, pc: usize, r: u8) -> bool {
        self.live_in.get(pc).is_some_and(|m| m & (1 << r) != 0)
    }

    fn function_end(&self, function: usize) -> usize {
        let at = self.functions.partition_point(|&f| f <= function);
        self.functions.get(at).copied().unwrap_or(self.index.len())
    }

    fn check_functions(&mut self, program: &[Instruction]) -> Result<(), CfgError> {
        for insn in program {
            let function = self.function_of(insn.pc);
            let end = self.function_end(function);
            if let (Some(t), false) = (insn.branch_target(), insn.op == Op::CallLocal) {
                if (t as usize) < function || t as usize >= end {
                    let msg = format!("jump out of range from insn {} to {t}", insn.pc);
                    return Err((insn.pc, msg));
                }
                self.prune_point[t as usize] = true;
                if matches!(insn.def().sem, Semantics::Jump { cond: Some(_), .. }) {
                    self.prune_point[insn.pc + 1] = true;
                }
            }
            if insn.pc + insn.slots() == end {
                let last_ok = matches!(
                    insn.def().sem,
                    Semantics::Exit | Semantics::Jump { cond: None, .. }
                );
                if !last_ok {
                    let msg = "last insn is not an exit or jmp".to_string();
                    return Err((insn.pc, msg));
                }
            }
        }
        for &f in &self.functions {
            self.prune_point[f] = true;
        }
        Ok(())
    }

    /// Successor slots of an instruction within its function (calls fall through; the
    /// functions they reach are walked from their own starts).
    pub(crate) fn successors(insn: &Instruction) -> impl Iterator<Item = usize> {
        let next = insn.pc + insn.slots();
        let (fall, jump) = match insn.def().sem {
            Semantics::Exit => (None, None),
            Semantics::Jump { cond: None, .. } => (None, insn.branch_target()),
            Semantics::Jump { .. } | Semantics::MayGoto => (Some(next), insn.branch_target()),
            _ => (Some(next), None),
        };
        fall.into_iter().chain(jump.map(|t| t as usize))
    }

    fn check_reachable(&self, program: &[Instruction]) -> Result<(), CfgError> {
        let mut seen = vec![false; self.index.len()];
        let mut work = vec![0usize];
        let mut functions_seen = vec![0usize];
        while let Some(pc) = work.pop() {
            if std::mem::replace(&mut seen[pc], true) {
                continue;
            }
            let insn = self
                .at(program, pc)
                .expect("validated jumps land on instructions");
            let callee = match insn.op {
                Op::CallLocal => insn.branch_target(),
                _ => insn.function_reference(),
            };
            if let Some(f) = callee {
                if !functions_seen.contains(&(f as usize)) {
                    functions_seen.push(f as usize);
                    work.push(f as usize);
                }
            }
            work.extend(Self::successors(insn));
        }
        match program.iter().find(|i| !seen[i.pc]) {
            Some(insn) => Err((insn.pc, format!("unreachable insn {}", insn.pc))),
            None => Ok(()),
        }
    }

    fn compute_liveness(&mut self, program: &[Instruction]) {
        let effects: Vec<(u16, u16)> = program.iter().map(uses_and_defs).collect();
        let mut changed = true;
        while changed {
            changed = false;
            for (i, insn) in program.iter().enumerate().rev() {
                let out = Self::successors(insn).fold(0u16, |m, s| m | self.live_in[s]);
                let (uses, defs) = effects[i];
                let live = uses | (out & !defs);
                if live != self.live_in[insn.pc] {
                    self.live_in[insn.pc] = live;
                    changed = true;
                }
            }
        }
    }
}

/// The registers an instruction reads and writes, as bit masks.
fn uses_and_defs(insn: &Instruction) -> (u16, u16) {
    let d = 1u16 << insn.dst;
    let s = 1u16 << insn.src;
    match insn.def().sem {
        Semantics::Alu {
            op: ebee_isa::AluOp::Mov | ebee_isa::AluOp::Movsx { .. },
            operand,
            ..
        } => (if operand == Operand::Reg { s } else { 0 }, d),
        Semantics::Alu {
            operand: Operand::Reg,
            ..
        } => (d | s, d),
        Semantics::Alu { .. } | Semantics::Endian { .. } => (d, d),
        Semantics::LoadImm64 { .. } => (0, d),
        Semantics::Load { .. } => (s, d),
        Semantics::Store {
            operand: Operand::Reg,
            ..
        } => (d | s, 0),
        Semantics::Store { .. } => (d, 0),
        Semantics::Atomic {
            op: ebee_isa::AtomicOp::Cmpxchg,
            ..
        } => (d | s | 1, 1),
        Semantics::Atomic { fetch: true, .. } => (d | s, s),
        Semantics::Atomic { .. } => (d | s, 0),
        Semantics::LegacyPacketLoad { indirect, .. } => {
            (1 << 6 | if indirect { s } else { 0 }, CLOBBERED)
        }
        Semantics::Jump { cond: None, .. } | Semantics::MayGoto => (0, 0),
        Semantics::Jump {
            operand: Operand::Reg,
            ..
        } => (d | s, 0),
        Semantics::Jump { .. } => (d, 0),
        Semantics::Call(CallKind::HelperInReg) => (ARGS | d, CLOBBERED),
        Semantics::Call(_) => (ARGS, CLOBBERED),
        Semantics::Exit => (1, 0),
    }
}
