//! One path's abstract machine state ([`State`]): the call frames with their registers and
//! stacks, the references it holds and the lock it has taken; and [`State::covers`], the
//! pruning question "does a state already proven safe include this one?".

use crate::stack::{Byte, Stack};
use crate::value::{Pointer, Reg};
use ebee_isa::NUM_REGS;

/// One call frame.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    /// r0-r10.
    pub regs: [Reg; NUM_REGS],
    /// Its stack.
    pub stack: Stack,
    /// The instruction its caller resumes at (`None` in the program's own frame).
    pub return_pc: Option<usize>,
    /// The first instruction of its function.
    pub function: usize,
    /// For a callback's frame: the helper call that runs it, whose return value r0 must
    /// be in `0..=max_return`.
    pub callback: Option<Callback>,
}

/// What a callback frame returns to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Callback {
    /// The `call` of the helper (`bpf_loop`, `for_each_map_elem`, …).
    pub call_pc: usize,
    /// Highest return value allowed.
    pub max_return: u64,
    /// The helper's id.
    pub helper: u32,
    /// The caller's registers at the call (the callback's arguments come from them).
    pub args: [Reg; NUM_REGS],
}

/// An acquired reference: a socket or ring-buffer record that must be released.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Its id (the `ref_obj` of the pointers that are it).
    pub id: u32,
    /// Where it was acquired.
    pub pc: usize,
}

/// A held `bpf_spin_lock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lock {
    /// The map whose value holds it.
    pub map: u16,
    /// The id of the map value pointer it was taken through.
    pub id: u32,
    /// Where it was taken.
    pub pc: usize,
}

/// One path's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// Call frames, the current one last.
    pub frames: Vec<Frame>,
    /// References held.
    pub refs: Vec<Reference>,
    /// The lock held, if any.
    pub lock: Option<Lock>,
    /// The next fresh id.
    pub next_id: u32,
}

impl State {
    /// The state at a program's first instruction: r1 = `r1`, r10 = the frame pointer.
    pub fn entry(r1: Reg) -> State {
        let mut regs = [Reg::Uninit; NUM_REGS];
        regs[1] = r1;
        regs[10] = Reg::Ptr(Pointer::new(crate::value::PtrKind::Stack { frame: 0 }, 0));
        State {
            frames: vec![Frame {
                regs,
                stack: Stack::default(),
                return_pc: None,
                function: 0,
                callback: None,
            }],
            refs: Vec::new(),
            lock: None,
            next_id: 1,
        }
    }

    /// The current frame.
    pub fn frame(&self) -> &Frame {
        self.frames.last().expect("a state has a frame")
    }

    /// The current frame, to change.
    pub fn frame_mut(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("a state has a frame")
    }

    /// Register `r` of the current frame.
    pub fn reg(&self, r: u8) -> Reg {
        self.frame().regs[r as usize]
    }

    /// Sets register `r` of the current frame.
    pub fn set(&mut self, r: u8, value: Reg) {
        self.frame_mut().regs[r as usize] = value;
    }

    /// A fresh id.
    pub fn fresh_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Every register and spilled register of every frame, to update all copies of a
    /// pointer at once.
    pub fn for_each_reg(&mut self, mut f: impl FnMut(&mut Reg)) {
        for frame in &mut self.frames {
            frame.regs.iter_mut().for_each(&mut f);
            frame.stack.spilled_mut().for_each(&mut f);
        }
    }

    /// Forgets the numbers spilled to the stack and the zero bytes there (keeping that they
    /// were written): what a callback that may run again may have changed, so that its
    /// iterations reach a state already seen.
    pub fn widen_scalar_spills(&mut self) {
        for frame in &mut self.frames {
            frame.stack.widen();
        }
    }

    /// Whether every concrete state `self` stands for is one `old` stands for, as far as
    /// safety goes: `need(frame, reg)` says how much of each register is compared.
    pub fn covered_by(&self, old: &State, need: impl Fn(usize, u8) -> Need) -> bool {
        if self.frames.len() != old.frames.len() || self.refs.len() != old.refs.len() {
            return false;
        }
        let mut ids = IdMap::default();
        for (i, (new, old)) in self.frames.iter().zip(&old.frames).enumerate() {
            if new.return_pc != old.return_pc || new.callback != old.callback {
                return false;
            }
            for r in 0..NUM_REGS as u8 {
                let (old, new) = (&old.regs[r as usize], &new.regs[r as usize]);
                let covered = match need(i, r) {
                    Need::Nothing => true,
                    Need::Kind if matches!((old, new), (Reg::Scalar(_), Reg::Scalar(_))) => true,
                    Need::Kind | Need::Value => reg_covers(old, new, &mut ids),
                };
                if !covered {
                    return false;
                }
            }
            if !stack_covers(&old.stack, &new.stack, &mut ids) {
                return false;
            }
        }
        let refs = self.refs.iter().zip(&old.refs);
        if !refs.into_iter().all(|(n, o)| ids.same(o.id, n.id)) {
            return false;
        }
        match (&self.lock, &old.lock) {
            (None, None) => true,
            (Some(n), Some(o)) => n.map == o.map && ids.same(o.id, n.id),
            _ => false,
        }
    }
}

/// How much of a register pruning compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Nothing: no later instruction reads it.
    Nothing,
    /// Whether it is a number, not which: no number it may hold changes what is safe.
    Kind,
    /// All of it.
    Value,
}

/// A consistent renaming of ids between an old and a new state.
#[derive(Default)]
struct IdMap {
    pairs: Vec<(u32, u32)>,
}

impl IdMap {
    fn same(&mut self, old: u32, new: u32) -> bool {
        if old == 0 || new == 0 {
            return old == new;
        }
        for &(o, n) in &self.pairs {
            if o == old || n == new {
                return o == old && n == new;
            }
        }
        self.pairs.push((old, new));
        true
    }
}

fn reg_covers(old: &Reg, new: &Reg, ids: &mut IdMap) -> bool {
    match (old, new) {
        (Reg::Uninit, _) => true,
        (Reg::Scalar(o), Reg::Scalar(n)) => n.is_subset_of(o),
        (Reg::Ptr(o), Reg::Ptr(n)) => {
            o.kind == n.kind
                && o.off == n.off
                && o.maybe_null == n.maybe_null
                && n.var.is_subset_of(&o.var)
                && o.range <= n.range
                && ids.same(o.id, n.id)
                && ids.same(o.ref_obj, n.ref_obj)
        }
        _ => false,
    }
}

fn stack_covers(old: &Stack, new: &Stack, ids: &mut IdMap) -> bool {
    let empty = crate::stack::Slot {
        bytes: [Byte::Invalid; 8],
        spill: None,
    };
    let find = |stack: &Stack, index: u8| {
        stack
            .slots()
            .find(|(i, _)| *i == index)
            .map_or(empty, |(_, s)| *s)
    };
    for (index, o) in old.slots() {
        let n = find(new, index);
        if let Some(old_reg) = &o.spill {
            match &n.spill {
                Some(new_reg) if n.bytes == o.bytes => {
                    if !reg_covers(old_reg, new_reg, ids) {
                        return false;
                    }
                    continue;
                }
                _ => return false,
            }
        }
        for (ob, nb) in o.bytes.iter().zip(n.bytes) {
            let ok = match ob {
                Byte::Invalid => true,
                Byte::Misc => match nb {
                    Byte::Misc | Byte::Zero => true,
                    Byte::Spill => matches!(n.spill, Some(Reg::Scalar(_))),
                    Byte::Invalid => false,
                },
                Byte::Zero => nb == Byte::Zero,
                Byte::Spill => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}
