//! The path explorer: every path from the first instruction, depth first (the fall-through
//! of a branch first, as the kernel), one instruction at a time, with states saved at the
//! places paths meet so that a path reaching a state already proven safe stops there
//! (pruning), and a path coming back to a state it already had is a loop that need not end.

use crate::cfg::Cfg;
use crate::demand::Demand;
use crate::env::{Environment, MapInfo};
use crate::error::{uninit, Branch, Fault, Rejection, Rule, Stats};
use crate::mem::Access;
use crate::scalar::Scalar;
use crate::state::{Need, State};
use crate::value::{Pointer, PtrKind, Reg};
use ebee_abi::MapType;
use ebee_isa::{
    AluOp, AtomicOp, CallKind, Instruction, LlvmDisassembler, Op, Operand, Semantics, Width,
};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use std::time::Instant;

/// What one instruction does to the path.
pub(crate) enum Step {
    /// Go on at this slot.
    Goto(usize),
    /// The path ends (the program exits).
    End,
    /// Go on at `pc`; another path starts at `other`. `branch`: the conditional jump whose
    /// fall-through this path is and whose taken way the other is.
    Fork {
        pc: usize,
        other: (usize, State),
        branch: Option<usize>,
    },
}

/// A saved state.
struct Checkpoint {
    state: State,
    parent: Option<usize>,
    /// Paths under it still being explored; 0: everything from it is proven safe.
    branches: u32,
    /// Paths it covered, and paths it was compared with but did not cover.
    hits: u32,
    misses: u32,
}

/// A branch decision of a path, linked to the decisions before it.
struct PathNode {
    branch: Branch,
    parent: Option<Rc<PathNode>>,
}

impl Drop for PathNode {
    /// Frees a long chain of decisions one by one, not by recursion.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(node) = next {
            next = match Rc::try_unwrap(node) {
                Ok(mut node) => node.parent.take(),
                Err(_) => None,
            };
        }
    }
}

/// A path waiting to be explored.
struct Pending {
    pc: usize,
    state: State,
    checkpoint: Option<usize>,
    path: Option<Rc<PathNode>>,
}

/// The most paths waiting at once (the kernel's `BPF_COMPLEXITY_LIMIT_JMP_SEQ`).
const MAX_PENDING: usize = 8192;
/// The most unfinished states at one instruction compared for loop detection.
const MAX_LOOP_CHECKS: usize = 16;
/// The most saved states at one instruction a path is compared with (the newest).
const MAX_COMPARED: usize = 256;
/// The most stack all frames of a call chain may use.
const MAX_COMBINED_STACK: i64 = 512;

/// One verification.
pub(crate) struct Verifier<'a> {
    pub env: &'a Environment<'a>,
    program: &'a [Instruction],
    cfg: Cfg,
    demand: Demand,
    /// The environment's maps, then the inner-map templates of maps of maps.
    pub maps: Vec<MapInfo>,
    inner: Vec<Option<u16>>,
    checkpoints: Vec<Checkpoint>,
    at_pc: HashMap<usize, Vec<usize>>,
    /// States saved and not forgotten.
    saved_now: usize,
    depths: RefCell<BTreeMap<usize, i64>>,
    calls: RefCell<BTreeSet<(usize, usize)>>,
    tail_callers: RefCell<BTreeSet<usize>>,
    /// Memory instructions seen: the pointer kind of the first path that reached each, and
    /// whether every path did with a pointer whose memory the host backs exactly as the
    /// verifier assumes ([`direct_memory`]).
    accesses: RefCell<BTreeMap<usize, SeenAccess>>,
    /// Helper calls seen: the map every path had in r1, `None` once paths differed (or one
    /// had no map of the environment there).
    call_maps: RefCell<BTreeMap<usize, Option<u16>>>,
    /// Conditional jumps assumed decided, and those found decided.
    decided: BTreeSet<usize>,
    found_decided: RefCell<BTreeSet<usize>>,
    pub stats: Stats,
}

impl<'a> Verifier<'a> {
    /// A verifier of `program` in `env` that takes the conditional jumps at `decided` to be
    /// the only ones some path finds going one way ([`crate::demand`]).
    pub(crate) fn new(
        program: &'a [Instruction],
        env: &'a Environment<'a>,
        decided: BTreeSet<usize>,
    ) -> Result<Verifier<'a>, Rejection> {
        let cfg = Cfg::new(program).map_err(|(pc, message)| {
            let insn = program.iter().find(|i| i.pc == pc).or(program.last());
            structural(insn, pc, Rule::ControlFlow, message)
        })?;
        let return_checked = env.spec.is_some_and(|s| s.return_range.is_some());
        let demand = Demand::new(program, &cfg, &decided, return_checked);
        let mut maps = env.maps.to_vec();
        let mut inner = vec![None; maps.len()];
        for m in 0..env.maps.len() {
            if let Some(template) = &env.maps[m].inner {
                inner[m] = Some(maps.len() as u16);
                maps.push((**template).clone());
                inner.push(None);
            }
        }
        Ok(Verifier {
            env,
            program,
            cfg,
            demand,
            maps,
            inner,
            checkpoints: Vec::new(),
            at_pc: HashMap::new(),
            saved_now: 0,
            depths: RefCell::default(),
            calls: RefCell::default(),
            tail_callers: RefCell::default(),
            accesses: RefCell::default(),
            call_maps: RefCell::default(),
            decided,
            found_decided: RefCell::default(),
            stats: Stats::default(),
        })
    }

    pub(crate) fn inner_index(&self, map: u16) -> Option<u16> {
        self.inner.get(map as usize).copied().flatten()
    }

    pub(crate) fn note_depth(&self, st: &State, frame: u8, lowest: i64) {
        let function = st.frames[frame as usize].function;
        let mut depths = self.depths.borrow_mut();
        let depth = depths.entry(function).or_default();
        *depth = (*depth).max(-lowest);
    }

    pub(crate) fn note_call(&self, caller: usize, callee: usize) {
        self.calls.borrow_mut().insert((caller, callee));
    }

    pub(crate) fn note_tail_call(&self, st: &State) {
        self.tail_callers.borrow_mut().insert(st.frame().function);
    }

    /// Explores every path; the first error found refuses the program.
    pub(crate) fn run(&mut self) -> Result<Stats, Rejection> {
        let started = Instant::now();
        let entry = State::entry(Reg::Ptr(Pointer::new(PtrKind::Ctx, 0)));
        let mut pending = vec![Pending {
            pc: 0,
            state: entry,
            checkpoint: None,
            path: None,
        }];
        while let Some(Pending {
            mut pc,
            mut state,
            checkpoint,
            mut path,
        }) = pending.pop()
        {
            let mut checkpoint = checkpoint;
            loop {
                self.stats.processed += 1;
                let insn = self
                    .cfg
                    .at(self.program, pc)
                    .expect("paths stay on instructions");
                if self.stats.processed > self.env.options.max_processed {
                    let message = format!(
                        "more than {} instructions processed: the verifier cannot prove the program ends or it has too many paths (BPF program is too large. Processed {} insn)",
                        self.env.options.max_processed, self.stats.processed
                    );
                    let fault = Fault::new(Rule::Complexity, &[], message)
                        .suggest("bound loops by constants, or use bpf_loop for long loops");
                    return Err(self.rejection(insn, fault, &state, &path, started));
                }
                if self.cfg.prune_point[pc] {
                    match self.visit(pc, &state, checkpoint) {
                        Visit::Prune => {
                            self.stats.pruned += 1;
                            self.finish(checkpoint);
                            break;
                        }
                        Visit::Loop => {
                            let fault = Fault::new(Rule::Complexity, &[], format!("the path returns to instruction {pc} in a state it already had there, so the loop need not end (infinite loop detected at insn {pc})"))
                                .suggest("make the loop's exit condition depend on a counter bounded by a constant");
                            return Err(self.rejection(insn, fault, &state, &path, started));
                        }
                        Visit::Saved(new) => checkpoint = Some(new),
                    }
                }
                match self.step(&mut state, insn) {
                    Err(fault) => return Err(self.rejection(insn, fault, &state, &path, started)),
                    Ok(Step::Goto(next)) => pc = next,
                    Ok(Step::End) => {
                        self.finish(checkpoint);
                        break;
                    }
                    Ok(Step::Fork {
                        pc: next,
                        other: (other_pc, other),
                        branch,
                    }) => {
                        if pending.len() >= MAX_PENDING {
                            let fault = Fault::new(Rule::Complexity, &[], format!("more than {MAX_PENDING} paths wait to be explored (The sequence of {} jumps is too complex)", MAX_PENDING + 1));
                            return Err(self.rejection(insn, fault, &state, &path, started));
                        }
                        let (this_path, other_path) = match branch {
                            Some(at) => (link(&path, at, false), link(&path, at, true)),
                            None => (path.clone(), path.clone()),
                        };
                        if let Some(c) = checkpoint {
                            self.checkpoints[c].branches += 1;
                        }
                        pending.push(Pending {
                            pc: other_pc,
                            state: other,
                            checkpoint,
                            path: other_path,
                        });
                        path = this_path;
                        pc = next;
                    }
                }
            }
        }
        self.check_combined_stack().map_err(|fault| {
            let state = State::entry(Reg::Uninit);
            self.rejection(&self.program[0], fault, &state, &None, started)
        })?;
        self.stats.micros = started.elapsed().as_micros() as u64;
        Ok(self.stats)
    }

    /// The conditional jumps found decided that were not assumed to be (after a run).
    pub(crate) fn newly_decided(&self) -> BTreeSet<usize> {
        let found = self.found_decided.borrow();
        found.difference(&self.decided).copied().collect()
    }

    /// The memory instructions proved in bounds on every path, through pointers to memory
    /// the host backs as the verifier assumes (after a successful [`Verifier::run`]).
    /// The helper calls whose r1 was the same map of the environment on every path, with
    /// that map's index.
    pub(crate) fn call_maps(&self) -> Vec<(usize, u16)> {
        let call_maps = self.call_maps.borrow();
        call_maps
            .iter()
            .filter_map(|(&pc, &map)| Some((pc, map?)))
            .collect()
    }

    pub(crate) fn direct_accesses(&self) -> Vec<usize> {
        let accesses = self.accesses.borrow();
        accesses
            .iter()
            .filter(|(_, seen)| seen.all_direct)
            .map(|(&pc, _)| pc)
            .collect()
    }

    /// At a place paths meet: stop when a saved state covers this one, refuse a loop that
    /// came back to a state it had, else save this state. Because paths wait last in,
    /// first out, the saved states whose exploration is unfinished are exactly the
    /// ancestors of the current path.
    fn visit(&mut self, pc: usize, st: &State, current: Option<usize>) -> Visit {
        let cfg = &self.cfg;
        let demand = &self.demand;
        // An unfinished state is compared in full: a loop that only changes an unneeded
        // number would otherwise look like one that never ends.
        let exact = |frame, r| need(cfg, None, st, pc, frame, r);
        let safety = |frame, r| need(cfg, Some(demand), st, pc, frame, r);
        let frame = st.frame();
        // A callback runs as often as its helper says: a state it had before at its start is
        // an invariant, not a loop that may not end.
        let callback_entry = frame.callback.is_some() && frame.function == pc;
        let mut verdict = None;
        let mut ancestors_checked = 0;
        if let Some(saved) = self.at_pc.get_mut(&pc) {
            let checkpoints = &mut self.checkpoints;
            for &c in saved.iter().rev().take(MAX_COMPARED) {
                let cp = &mut checkpoints[c];
                if cp.branches > 0 {
                    // Looking only at the nearest unfinished states keeps visits cheap; a
                    // loop missed here ends at the instruction limit instead.
                    ancestors_checked += 1;
                    if ancestors_checked <= MAX_LOOP_CHECKS && st.covered_by(&cp.state, exact) {
                        verdict = Some(if callback_entry {
                            Visit::Prune
                        } else {
                            Visit::Loop
                        });
                        break;
                    }
                } else if st.covered_by(&cp.state, safety) {
                    cp.hits += 1;
                    verdict = Some(Visit::Prune);
                    break;
                } else {
                    cp.misses += 1;
                }
            }
            // As the kernel does, forget finished states that rarely help (now and then, so
            // that this stays cheap on average).
            if saved.len().is_power_of_two() {
                let before = saved.len();
                saved.retain(|&c| {
                    let cp = &checkpoints[c];
                    cp.branches > 0 || cp.misses <= cp.hits * 3 + 3
                });
                self.saved_now -= before - saved.len();
            }
        }
        if let Some(verdict) = verdict {
            return verdict;
        }
        let index = self.checkpoints.len();
        self.checkpoints.push(Checkpoint {
            state: st.clone(),
            parent: current,
            branches: 1,
            hits: 0,
            misses: 0,
        });
        self.at_pc.entry(pc).or_default().push(index);
        self.stats.states += 1;
        self.saved_now += 1;
        self.stats.peak_states = self.stats.peak_states.max(self.saved_now as u64);
        Visit::Saved(index)
    }

    /// A path under `checkpoint` ended.
    fn finish(&mut self, mut checkpoint: Option<usize>) {
        while let Some(i) = checkpoint {
            let cp = &mut self.checkpoints[i];
            cp.branches -= 1;
            if cp.branches > 0 {
                break;
            }
            checkpoint = cp.parent;
        }
    }

    fn step(&self, st: &mut State, insn: &Instruction) -> Result<Step, Fault> {
        let pc = insn.pc;
        let next = pc + insn.slots();
        let base = match insn.def().sem {
            Semantics::Load { .. } => Some(insn.src),
            Semantics::Store { .. } | Semantics::Atomic { .. } => Some(insn.dst),
            _ => None,
        };
        if let (Some(base), Reg::Ptr(p)) = (base, base.map_or(Reg::Uninit, |b| st.reg(b))) {
            let mut accesses = self.accesses.borrow_mut();
            let seen = accesses.entry(pc).or_insert(SeenAccess {
                all_direct: true,
                kind: p.kind,
            });
            seen.all_direct &= direct_memory(p.kind);
            if pointer_types_clash(seen.kind, p.kind) {
                return Err(Fault::new(
                    Rule::InvalidMemoryAccess,
                    &[base],
                    format!(
                        "this instruction accesses {} on one path and {} on another: a context or socket access is rewritten for its structure, so it must always be one (same insn cannot be used with different pointers)",
                        seen.kind, p.kind
                    ),
                ));
            }
        }
        match insn.def().sem {
            Semantics::Alu { op, width, operand } => self.alu(st, insn, op, width, operand)?,
            Semantics::Endian { order, bits } => self.endian(st, insn, order, bits)?,
            Semantics::LoadImm64 { .. } => {
                let value = self.load_imm64(insn)?;
                st.set(insn.dst, value);
            }
            Semantics::Load { size, sign_extend } => {
                let value = self.access(
                    st,
                    insn.src,
                    insn.off as i64,
                    size,
                    Access::Load { sign_extend },
                )?;
                st.set(insn.dst, value);
            }
            Semantics::Store { size, operand } => {
                let value = match operand {
                    Operand::Imm => Reg::constant(insn.imm as u64),
                    Operand::Reg => match st.reg(insn.src) {
                        Reg::Uninit => return Err(uninit(insn.src)),
                        r => r,
                    },
                };
                self.access(
                    st,
                    insn.dst,
                    insn.off as i64,
                    size,
                    Access::Store(Some(truncate(value, size))),
                )?;
            }
            Semantics::Atomic { op, size, fetch } => self.atomic(st, insn, op, size, fetch)?,
            Semantics::Jump { cond: None, .. } => {
                return Ok(Step::Goto(
                    insn.branch_target().expect("a jump has a target") as usize,
                ))
            }
            Semantics::Jump {
                cond: Some(cond),
                width,
                operand,
                ..
            } => {
                let target = insn.branch_target().expect("a jump has a target") as usize;
                let ways = self.cond_jump(st.clone(), insn, cond, width, operand)?;
                if ways.taken.is_none() || ways.fallthrough.is_none() {
                    self.found_decided.borrow_mut().insert(pc);
                }
                return Ok(match (ways.taken, ways.fallthrough) {
                    (Some(taken), Some(fall)) => {
                        *st = fall;
                        Step::Fork {
                            pc: next,
                            other: (target, taken),
                            branch: Some(pc),
                        }
                    }
                    (Some(taken), None) => {
                        *st = taken;
                        Step::Goto(target)
                    }
                    (None, Some(fall)) => {
                        *st = fall;
                        Step::Goto(next)
                    }
                    (None, None) => Step::End,
                });
            }
            Semantics::Call(CallKind::Helper) => {
                let map = match st.reg(1) {
                    Reg::Ptr(p) => match p.kind {
                        PtrKind::Map(m) if (m as usize) < self.env.maps.len() && p.off == 0 => {
                            Some(m)
                        }
                        _ => None,
                    },
                    _ => None,
                };
                let mut call_maps = self.call_maps.borrow_mut();
                let seen = call_maps.entry(pc).or_insert(map);
                if *seen != map {
                    *seen = None;
                }
                drop(call_maps);
                return self.helper_call(st, pc, insn.imm as u32);
            }
            Semantics::Call(CallKind::Local) => return self.local_call(st, insn),
            Semantics::Call(CallKind::Kfunc) if self.env.kfuncs => {
                // No prototype: the arguments are not checked.
                for r in 1..=5 {
                    st.set(r, Reg::Uninit);
                }
                st.set(0, Reg::unknown());
            }
            Semantics::Call(CallKind::Kfunc) => {
                return Err(Fault::new(
                    Rule::HelperNotAllowed,
                    &[],
                    format!(
                        "call to kernel function {} (kfunc calls are not supported)",
                        insn.imm
                    ),
                ));
            }
            Semantics::Call(CallKind::HelperInReg) => {
                return Err(Fault::new(
                    Rule::Unsupported,
                    &[insn.dst],
                    "ebee does not verify callx yet",
                ));
            }
            Semantics::LegacyPacketLoad { size, indirect } => {
                self.legacy_packet_load(st, insn, size, indirect)?
            }
            Semantics::Exit => return self.exit(st),
            Semantics::MayGoto => {
                return Err(Fault::new(
                    Rule::Unsupported,
                    &[],
                    "ebee does not verify may_goto (BPF_JCOND) yet",
                ));
            }
        }
        Ok(Step::Goto(next))
    }

    fn load_imm64(&self, insn: &Instruction) -> Result<Reg, Fault> {
        let index = insn.imm as u32 as usize;
        let map = |what: &str| {
            if index < self.env.maps.len() {
                Ok(index as u16)
            } else {
                Err(Fault::new(Rule::ControlFlow, &[], format!("{what} names map {index}, but the program has {} (fd {index} is not pointing to valid bpf_map)", self.env.maps.len())))
            }
        };
        Ok(match insn.op {
            Op::LddwMapFd | Op::LddwMapIdx => Reg::Ptr(Pointer::new(PtrKind::Map(map("lddw")?), 0)),
            Op::LddwMapValue | Op::LddwMapIdxValue => {
                let m = map("lddw")?;
                let info = &self.maps[m as usize];
                let offset = (insn.imm >> 32) as u32;
                if info.map_type != MapType::Array {
                    return Err(Fault::new(Rule::MapValue, &[], format!("direct value access to map '{}' of type {} (no direct value access support for this map type)", info.name, info.map_type.name())));
                }
                if offset >= info.value_size {
                    return Err(Fault::new(Rule::MapValue, &[], format!("offset {offset} past map '{}''s value (invalid access to map value pointer, value_size={} off={offset})", info.name, info.value_size)));
                }
                Reg::Ptr(Pointer::new(PtrKind::MapValue(m), offset as i64))
            }
            Op::LddwFunc => Reg::Ptr(Pointer::new(
                PtrKind::Func(insn.function_reference().expect("a function reference") as u32),
                0,
            )),
            Op::LddwBtfId => Reg::Ptr(Pointer::new(PtrKind::BtfObject, 0)),
            _ => Reg::constant(insn.imm as u64),
        })
    }

    fn atomic(
        &self,
        st: &mut State,
        insn: &Instruction,
        op: AtomicOp,
        size: u8,
        fetch: bool,
    ) -> Result<(), Fault> {
        let leak_check = |r: u8, st: &State| match st.reg(r) {
            Reg::Uninit => Err(uninit(r)),
            Reg::Ptr(_) if !self.env.options.allow_ptr_leaks() => Err(Fault::new(
                Rule::PointerLeak,
                &[r],
                format!(
                    "a pointer in r{r} is stored by an atomic operation (R{r} leaks addr into mem)"
                ),
            )),
            _ => Ok(()),
        };
        leak_check(insn.src, st)?;
        if op == AtomicOp::Cmpxchg {
            leak_check(0, st)?;
        }
        self.access(st, insn.dst, insn.off as i64, size, Access::Atomic)?;
        if fetch {
            let target = if op == AtomicOp::Cmpxchg { 0 } else { insn.src };
            st.set(target, Reg::Scalar(Scalar::loaded(size, false)));
        }
        Ok(())
    }

    fn check_combined_stack(&self) -> Result<(), Fault> {
        let depths = self.depths.borrow();
        let calls = self.calls.borrow();
        let depth = |f: usize| (depths.get(&f).copied().unwrap_or(0) + 15) / 16 * 16;
        // Longest chain from each function (calls cannot recurse past 8 frames).
        fn longest(
            f: usize,
            calls: &BTreeSet<(usize, usize)>,
            depth: &dyn Fn(usize) -> i64,
            level: usize,
        ) -> (i64, usize) {
            let mut best = (depth(f), 1);
            if level < 9 {
                for &(_, callee) in calls.range((f, 0)..=(f, usize::MAX)) {
                    let (d, n) = longest(callee, calls, depth, level + 1);
                    if depth(f) + d > best.0 {
                        best = (depth(f) + d, n + 1);
                    }
                }
            }
            best
        }
        let (total, frames) = longest(0, &calls, &depth, 1);
        if total > MAX_COMBINED_STACK {
            return Err(Fault::new(Rule::CallStack, &[], format!("a chain of {frames} calls uses {total} bytes of stack, more than {MAX_COMBINED_STACK} (combined stack size of {frames} calls is {total}. Too large)")));
        }
        Ok(())
    }

    fn rejection(
        &self,
        insn: &Instruction,
        fault: Fault,
        st: &State,
        path: &Option<Rc<PathNode>>,
        started: Instant,
    ) -> Rejection {
        let mut branches = Vec::new();
        let mut node = path.clone();
        while let Some(n) = node {
            branches.push(n.branch);
            node = n.parent.clone();
        }
        branches.reverse();
        let mut stats = self.stats;
        stats.micros = started.elapsed().as_micros() as u64;
        Rejection {
            pc: insn.pc,
            instruction: LlvmDisassembler::default().instruction(insn),
            rule: fault.rule,
            message: fault.message,
            registers: fault
                .regs
                .iter()
                .map(|&r| {
                    (
                        r,
                        st.frames
                            .last()
                            .map_or(Reg::Uninit, |f| f.regs[r as usize])
                            .to_string(),
                    )
                })
                .collect(),
            path: branches,
            suggestion: fault.suggestion,
            stats,
        }
    }
}

/// How much of register `r` of frame `frame` of `st` (at `pc`) pruning compares: nothing
/// where it is dead; in the current frame, where `demand` says its value cannot matter, only
/// whether it is a number; in a caller's frame, the callee-saved registers its return point
/// reads, in full.
fn need(cfg: &Cfg, demand: Option<&Demand>, st: &State, pc: usize, frame: usize, r: u8) -> Need {
    let live = match st.frames.get(frame + 1) {
        _ if r == 10 => true,
        None => cfg.live(pc, r),
        Some(callee) => (6..=9).contains(&r) && cfg.live(callee.return_pc.unwrap_or(0), r),
    };
    let current = frame + 1 == st.frames.len();
    match demand {
        _ if !live => Need::Nothing,
        Some(demand) if current && !demand.demanded(pc, r) => Need::Kind,
        _ => Need::Value,
    }
}

/// Whether an access through a pointer of `kind` that the verifier proved in bounds is in
/// bounds of real memory: the stack, the context, the packet, map keys and values and
/// helper-returned memory are exactly the sizes the verifier checks against; sockets and
/// flow keys are host structures the VM keeps checking.
fn direct_memory(kind: PtrKind) -> bool {
    matches!(
        kind,
        PtrKind::Stack { .. }
            | PtrKind::Ctx
            | PtrKind::Packet
            | PtrKind::PacketMeta
            | PtrKind::MapValue(_)
            | PtrKind::MapKey(_)
            | PtrKind::Mem { .. }
    )
}

/// What the paths that reached a memory instruction accessed through.
struct SeenAccess {
    all_direct: bool,
    kind: PtrKind,
}

/// Whether one instruction may not access through both `a` and `b` (the kernel's
/// `reg_type_mismatch`): accesses to the context and to sockets are rewritten at load for
/// the structure they reach, so such an instruction must reach the same kind on every path.
fn pointer_types_clash(a: PtrKind, b: PtrKind) -> bool {
    let rewritten = |k| matches!(k, PtrKind::Ctx | PtrKind::Socket(_) | PtrKind::BtfObject);
    let sockets_differ = matches!(a, PtrKind::Socket(_)) && a != b;
    let differ = std::mem::discriminant(&a) != std::mem::discriminant(&b) || sockets_differ;
    differ && (rewritten(a) || rewritten(b))
}

enum Visit {
    Prune,
    Loop,
    Saved(usize),
}

fn link(path: &Option<Rc<PathNode>>, pc: usize, taken: bool) -> Option<Rc<PathNode>> {
    Some(Rc::new(PathNode {
        branch: Branch { pc, taken },
        parent: path.clone(),
    }))
}

/// The low `size` bytes of a stored value, as a later load of that size reads them back.
fn truncate(value: Reg, size: u8) -> Reg {
    match (value, size) {
        (Reg::Scalar(s), 1 | 2 | 4) => {
            let mask = (1u64 << (8 * size)) - 1;
            Reg::Scalar(s.alu(AluOp::And, Width::W64, Scalar::constant(mask)))
        }
        _ => value,
    }
}

/// A rejection found before exploring (the program's structure).
pub(crate) fn structural(
    insn: Option<&Instruction>,
    pc: usize,
    rule: Rule,
    message: String,
) -> Rejection {
    Rejection {
        pc,
        instruction: insn
            .map(|i| LlvmDisassembler::default().instruction(i))
            .unwrap_or_default(),
        rule,
        message,
        registers: Vec::new(),
        path: Vec::new(),
        suggestion: None,
        stats: Stats::default(),
    }
}
