//! Load-time data-flow over register kinds, as the kernel's verifier tracks them in part:
//!
//! - a register read before every path to it wrote it is an error (`R0 !read_ok`);
//! - when the program has a context, every load or store through the unmodified context
//!   pointer (r1 at entry, then wherever it is copied, or spilled to and reloaded from a
//!   fixed stack slot) is found, so it can be rewritten to the host layout; accesses through
//!   a modified context pointer, or through a register that holds the context on some paths
//!   only, are refused.
//!
//! Stack pointers are followed with their constant offsets (`r2 = r10; r2 += -8`), so a spill
//! through a copy of r10 is a spill. What ebee cannot follow is refused or forgotten the way
//! the kernel's verifier forgets it, never silently kept:
//! - a context pointer stored anywhere but a fixed, 8-byte-aligned stack slot is refused;
//! - a spilled context pointer overwritten in part, or possibly overwritten (a store at a
//!   variable stack offset, a helper writing through a pointer to the stack, a bpf-to-bpf
//!   call that receives a pointer to the stack), reloads as "modified", and dereferencing it
//!   is refused, as the kernel refuses dereferencing what was a pointer;
//! - a load through a stack pointer of unknown offset, in a program that spills the context,
//!   may be the context: dereferencing the value is refused.
//!
//! Hence: for every program the kernel accepts, every context access is found; programs the
//! kernel refuses still run memory-safely in checked mode.
//!
//! At the entry and at every bpf-to-bpf function entry r1–r5 (arguments) and r10 are set;
//! after a call, and after a legacy packet load (`ldabs*`, `ldind*`, which also needs r6 to
//! be the context), r0 is set and r1–r5 are clobbered, as in the kernel. The callee's r1–r5 kinds
//! are the join over its call sites; a pointer to a caller's frame is a stack pointer of
//! unknown offset there.

use crate::error::VmError;
use crate::helpers::{Helpers, ALL_ARGS};
use crate::ops::alu;
use ebee_isa::{CallKind, Instruction, Operand, Semantics, Shape, Width};

/// What a register (or a spilled 8-byte stack slot) holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Not written on some path.
    Uninit,
    /// The context pointer, unmodified.
    Ctx,
    /// Computed from the context pointer, or what was a context pointer partly overwritten.
    CtxDerived,
    /// The context pointer on some paths, something else on others.
    Mixed,
    /// This frame's r10 plus a known offset.
    Stack(i64),
    /// A pointer that may point into the stack, at an unknown offset (or another frame).
    StackAny,
    /// A known number.
    Const(u64),
    /// Anything else.
    Other,
}

impl Kind {
    fn tainted(self) -> bool {
        matches!(self, Kind::Ctx | Kind::CtxDerived | Kind::Mixed)
    }

    fn stacky(self) -> bool {
        matches!(self, Kind::Stack(_) | Kind::StackAny)
    }

    fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Uninit, _) | (_, Kind::Uninit) => Kind::Uninit,
            (a, b) if a.tainted() || b.tainted() => Kind::Mixed,
            (a, b) if a.stacky() || b.stacky() => Kind::StackAny,
            _ => Kind::Other,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    regs: [Kind; 11],
    /// 8-byte stack slots (offset from r10) whose kind is tracked (pointers); absent means
    /// `Other`.
    spills: Vec<(i64, Kind)>,
}

impl State {
    fn entry(args: [Kind; 5]) -> State {
        let mut regs = [Kind::Uninit; 11];
        regs[1..6].copy_from_slice(&args);
        regs[10] = Kind::Stack(0);
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
        for &(off, _) in self.spills.iter().chain(&other.spills) {
            let joined = self.spill(off).join(other.spill(off));
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

    /// A store of `size` bytes at `off`: slots it overlaps are overwritten in part (an exact
    /// 8-byte store replaces the slot with `stored`).
    fn store(&mut self, off: i64, size: i64, stored: Kind) {
        let exact = size == 8 && off % 8 == 0;
        for slot in self.spills.iter_mut() {
            if slot.0 < off + size && off < slot.0 + 8 && !(exact && slot.0 == off) {
                slot.1 = partly_overwritten(slot.1);
            }
        }
        self.spills
            .retain(|s| s.1 != Kind::Other && !(exact && s.0 == off));
        let kind = if exact {
            stored
        } else if stored.tainted() {
            Kind::CtxDerived
        } else {
            Kind::Other
        };
        if kind != Kind::Other && !matches!(kind, Kind::Const(_)) {
            self.spills.push((off, kind));
            self.spills.sort_unstable_by_key(|s| s.0);
        }
    }

    /// Slots in `[from, to)` may have been written with anything.
    fn clobber(&mut self, from: i64, to: i64) {
        for slot in self.spills.iter_mut() {
            if slot.0 < to && from < slot.0 + 8 {
                slot.1 = partly_overwritten(slot.1);
            }
        }
        self.spills.retain(|s| s.1 != Kind::Other);
    }

    /// The kind a load of `size` bytes at `off` gives.
    fn load(&self, off: i64, size: i64) -> Kind {
        if size == 8 {
            if let Some(&(_, kind)) = self.spills.iter().find(|s| s.0 == off) {
                return kind;
            }
        }
        let overlaps = |s: &&(i64, Kind)| s.0 < off + size && off < s.0 + 8;
        match self.spills.iter().find(overlaps) {
            Some((_, kind)) if kind.tainted() => Kind::CtxDerived,
            _ => Kind::Other,
        }
    }
}

/// What a tracked slot holds after part of it was overwritten.
fn partly_overwritten(kind: Kind) -> Kind {
    match kind {
        k if k.tainted() => Kind::CtxDerived,
        _ => Kind::Other,
    }
}

/// What the analysis found: the slots whose memory access goes through the context pointer.
pub(crate) struct Facts {
    pub ctx_accesses: Vec<usize>,
}

fn reg_index(r: u8) -> usize {
    (r as usize).min(10)
}

/// Runs the analysis. `has_ctx`: whether r1 holds a program-type context at entry;
/// `helpers` tells which helpers may write memory their arguments point to.
pub(crate) fn analyze(
    program: &[Instruction],
    has_ctx: bool,
    helpers: &Helpers,
) -> Result<Facts, VmError> {
    // Whether the program spills the context pointer somewhere: decides how loads through
    // unknown stack pointers are treated, so the analysis runs again when it finds the first.
    let mut ctx_spilled = false;
    loop {
        let mut analysis = Analysis {
            helpers,
            ctx_spilled,
        };
        let facts = analysis.run(program, has_ctx)?;
        if analysis.ctx_spilled == ctx_spilled {
            return Ok(facts);
        }
        ctx_spilled = true;
    }
}

struct Analysis<'h> {
    helpers: &'h Helpers,
    ctx_spilled: bool,
}

impl Analysis<'_> {
    fn run(&mut self, program: &[Instruction], has_ctx: bool) -> Result<Facts, VmError> {
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
        let entry_r1 = if has_ctx { Kind::Ctx } else { Kind::Other };
        let args = [entry_r1, Kind::Other, Kind::Other, Kind::Other, Kind::Other];
        merge(&mut states, &mut work, 0, State::entry(args));
        while let Some(slot) = work.pop() {
            let (Some(state), Some(insn)) =
                (states[slot].clone(), program.get(index_of_slot[slot]))
            else {
                continue;
            };
            let before = state.regs;
            let after = self.step(insn, state, &mut ctx_access[slot])?;
            let next = insn.pc + insn.slots();
            let target = insn.branch_target().map(|t| t as usize);
            if let Some(callback) = insn.function_reference() {
                // A callback: a function entered with arguments from a helper, which may
                // point to the caller's stack (`bpf_loop`'s `callback_ctx`).
                merge(
                    &mut states,
                    &mut work,
                    callback as usize,
                    State::entry([Kind::StackAny; 5]),
                );
            }
            match (insn.def().shape, target) {
                (Shape::Exit, _) => {}
                (Shape::Ja | Shape::Ja32, Some(t)) => merge(&mut states, &mut work, t, after),
                (Shape::Call, Some(entry)) => {
                    let mut args = [Kind::Other; 5];
                    for (arg, kind) in args.iter_mut().zip(&before[1..6]) {
                        // The caller's frame is another frame to the callee.
                        *arg = if kind.stacky() { Kind::StackAny } else { *kind };
                    }
                    merge(&mut states, &mut work, entry, State::entry(args));
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

    /// Applies one instruction to the state; marks `is_ctx_access` when it accesses the
    /// context.
    fn step(
        &mut self,
        insn: &Instruction,
        mut state: State,
        is_ctx_access: &mut bool,
    ) -> Result<State, VmError> {
        let (d, s) = (reg_index(insn.dst), reg_index(insn.src));
        let pc = insn.pc;
        let refuse = |reason: &str| VmError::BadContextAccess {
            pc,
            reason: reason.to_string(),
        };
        let read = |state: &State, r: usize| -> Result<Kind, VmError> {
            match state.regs[r] {
                Kind::Uninit => Err(VmError::UninitializedRegister { pc, reg: r as u8 }),
                kind => Ok(kind),
            }
        };
        // The base of a memory access: plain, context, or refused.
        let base = |state: &State, r: usize, is_ctx: &mut bool| -> Result<Kind, VmError> {
            let kind = read(state, r)?;
            match kind {
                Kind::Ctx => *is_ctx = true,
                Kind::CtxDerived => {
                    return Err(refuse("dereference of a modified context pointer"))
                }
                Kind::Mixed => {
                    return Err(refuse(
                        "register holds the context pointer on some paths only",
                    ))
                }
                _ => {}
            }
            Ok(kind)
        };
        let off = insn.off as i64;
        match insn.def().sem {
            Semantics::Alu { op, width, operand } => {
                let value = match operand {
                    Operand::Imm => Kind::Const(insn.imm as u64),
                    Operand::Reg => read(&state, s)?,
                };
                let unary = matches!(op, ebee_isa::AluOp::Mov | ebee_isa::AluOp::Movsx { .. });
                let current = if unary {
                    Kind::Const(0)
                } else {
                    read(&state, d)?
                };
                state.regs[d] = alu_kind(op, width, current, value);
            }
            Semantics::Endian { .. } => {
                let k = read(&state, d)?;
                state.regs[d] = if k.tainted() {
                    Kind::CtxDerived
                } else {
                    Kind::Other
                };
            }
            Semantics::LoadImm64 { .. } => state.regs[d] = Kind::Other,
            Semantics::Load { size, .. } => {
                let loaded = match base(&state, s, is_ctx_access)? {
                    Kind::Stack(at) => state.load(at + off, size as i64),
                    Kind::StackAny if self.ctx_spilled => Kind::Mixed,
                    _ => Kind::Other,
                };
                state.regs[d] = loaded;
            }
            Semantics::LegacyPacketLoad { indirect, .. } => {
                // The kernel's `check_ld_abs`: r6 readable and the unmodified context (the
                // skb), the offset register readable; afterwards r0 is set and r1-r5 are
                // clobbered, as by a helper call. The load writes no memory.
                let skb = read(&state, 6)?;
                if skb != Kind::Ctx {
                    let what = match skb {
                        Kind::CtxDerived => "a modified context pointer",
                        Kind::Mixed => "the context pointer on some paths only",
                        _ => "not the context pointer",
                    };
                    return Err(VmError::LegacyPacketAccess {
                        pc,
                        mnemonic: insn.def().mnemonic,
                        reason: format!("r6 must hold the skb (the context), and is {what}"),
                    });
                }
                if indirect {
                    read(&state, s)?;
                }
                state.regs[1..6].fill(Kind::Uninit);
                state.regs[0] = Kind::Other;
            }
            Semantics::Store { size, operand } => {
                let value = match operand {
                    Operand::Imm => Kind::Const(insn.imm as u64),
                    Operand::Reg => read(&state, s)?,
                };
                match base(&state, d, is_ctx_access)? {
                    Kind::Stack(at) => {
                        if value.tainted() {
                            if size != 8 || (at + off) % 8 != 0 {
                                return Err(refuse(
                                    "the context pointer is stored in part or misaligned",
                                ));
                            }
                            self.ctx_spilled = true;
                        }
                        state.store(at + off, size as i64, value);
                    }
                    _ if value.tainted() => {
                        return Err(refuse(
                            "the context pointer is stored outside a fixed stack slot \
                             (ebee follows it only through spills to the stack)",
                        ))
                    }
                    Kind::StackAny => state.clobber(i64::MIN, i64::MAX),
                    _ => {}
                }
            }
            Semantics::Atomic { op, .. } => {
                let mut on_ctx = false;
                let target = base(&state, d, &mut on_ctx)?;
                if on_ctx {
                    return Err(refuse("atomic operation on the context"));
                }
                let value = read(&state, s)?;
                if value.tainted() {
                    return Err(refuse("the context pointer is an atomic operand"));
                }
                match target {
                    Kind::Stack(at) => state.clobber(at + off, at + off + 8),
                    Kind::StackAny => state.clobber(i64::MIN, i64::MAX),
                    _ => {}
                }
                if op == ebee_isa::AtomicOp::Cmpxchg {
                    read(&state, 0)?;
                    state.regs[0] = Kind::Other;
                } else if insn.imm & 1 != 0 {
                    state.regs[s] = Kind::Other;
                }
            }
            // Refused at load (`Vm::load`), after this analysis.
            Semantics::MayGoto => {}
            Semantics::Jump { cond, operand, .. } => {
                if cond.is_some() {
                    read(&state, d)?;
                    if operand == Operand::Reg {
                        read(&state, s)?;
                    }
                }
            }
            Semantics::Call(kind) => {
                // (which arguments the call may write through, whether sizes follow them)
                let (writes, sized) = match kind {
                    CallKind::Helper => {
                        let helper = self.helpers.get(insn.imm as u32);
                        (helper.map_or(ALL_ARGS, |h| h.writes_through), true)
                    }
                    CallKind::HelperInReg => {
                        read(&state, d)?;
                        (ALL_ARGS, true)
                    }
                    CallKind::Local | CallKind::Kfunc => (ALL_ARGS, false),
                };
                clobber_written_args(&mut state, writes, sized);
                state.regs[1..6].fill(Kind::Uninit);
                state.regs[0] = Kind::Other;
            }
            Semantics::Exit => {
                read(&state, 0)?;
            }
        }
        Ok(state)
    }
}

/// Stack slots a call may write through its pointer arguments (`writes` bit `i`: r1+i): from
/// the pointer, when `sized`, as many bytes as the next argument says if it is a constant (the
/// kernel's `ARG_CONST_SIZE` convention for helpers; at least 8), else to the frame's top.
fn clobber_written_args(state: &mut State, writes: u8, sized: bool) {
    for i in 0..5 {
        if writes & (1 << i) == 0 {
            continue;
        }
        match state.regs[1 + i] {
            Kind::Stack(at) => {
                let len = match state.regs.get(2 + i) {
                    Some(Kind::Const(n)) if sized && i < 4 => (*n as i64).clamp(8, 4096),
                    _ => i64::MAX / 2,
                };
                state.clobber(at, at.saturating_add(len));
            }
            Kind::StackAny => state.clobber(i64::MIN, i64::MAX),
            _ => {}
        }
    }
}

/// The kind of `current op value`.
fn alu_kind(op: ebee_isa::AluOp, width: Width, current: Kind, value: Kind) -> Kind {
    use ebee_isa::AluOp::{Add, Mov, Sub};
    match (op, width, current, value) {
        (Mov, Width::W64, _, v) => v,
        (Mov | ebee_isa::AluOp::Movsx { .. }, _, _, v) if v.tainted() => Kind::CtxDerived,
        (_, _, Kind::Const(a), Kind::Const(b)) => Kind::Const(alu(op, width, a, b)),
        (_, _, c, v) if c.tainted() || v.tainted() => Kind::CtxDerived,
        (Add, Width::W64, Kind::Stack(at), Kind::Const(n)) => {
            Kind::Stack(at.wrapping_add(n as i64))
        }
        (Sub, Width::W64, Kind::Stack(at), Kind::Const(n)) => {
            Kind::Stack(at.wrapping_sub(n as i64))
        }
        (Add, Width::W64, Kind::Const(n), Kind::Stack(at)) => {
            Kind::Stack(at.wrapping_add(n as i64))
        }
        (_, Width::W64, c, v) if c.stacky() || v.stacky() => Kind::StackAny,
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests;

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
