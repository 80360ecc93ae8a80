//! Differential testing of the JIT against the interpreter: random programs that load (every
//! ALU, byte-order, sign-extension, load, store and atomic form of the opcode table, forward
//! branches of every condition, helper calls, bpf-to-bpf calls, small budgets, accesses just
//! in and just out of bounds) run on both engines, which must agree on r0, the instruction
//! count, the error (to the text) and every byte of the input memory.
//!
//! `cargo test` runs 20,000 programs. A long run:
//! `EBEE_DIFF_PROGRAMS=2000000 cargo test --release -p ebee-vm --test jit_differential`
//! (`EBEE_DIFF_SEED` picks the first seed). A divergence prints the seed and the program.

#![cfg(all(target_arch = "x86_64", not(miri)))]

use ebee_isa::{disassemble_conformance, CallKind, Instruction, Op, Semantics, Validated, OPCODES};
use ebee_vm::{Backend, Helpers, Memory, Vm};

/// Bytes of input memory the programs get in r1 (kept in r9).
const INPUT: usize = 64;
/// Bytes of read-only memory the programs may read (and must not write).
const READ_ONLY: usize = 16;
/// A deterministic helper: mixes r1–r5.
const MIX_HELPER: u32 = 1000;
/// A helper granting the program a region no `Memory` holds (as a map lookup does): returns
/// its address; writable when r1 is odd.
const GRANT_HELPER: u32 = 1001;
/// Bytes of the granted region.
const GRANTED: usize = 16;

/// Immediates near the edges the JIT must get right (sign extension, shift masks, division by
/// 0 and -1, 32-bit truncation).
const EDGES: [i64; 14] = [
    0,
    1,
    -1,
    2,
    7,
    31,
    32,
    63,
    64,
    i32::MIN as i64,
    i32::MAX as i64,
    0x7fff,
    0x8000,
    -0x8000,
];

/// 64-bit values for registers.
const WIDE_EDGES: [u64; 6] = [
    0,
    u64::MAX,
    1 << 63,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
];

/// Part of a program before layout: an instruction, or a forward jump to a later item.
enum Item {
    Insn(Instruction),
    /// A conditional (or unconditional) jump by `skip` items.
    Jump(Op, u8, u8, i64, usize),
    /// A call of the subfunction.
    CallSub,
}

fn insn(op: Op, dst: u8, src: u8, off: i16, imm: i64) -> Instruction {
    Instruction {
        pc: 0,
        op,
        dst,
        src,
        off,
        imm,
    }
}

struct Generator {
    rng: fastrand::Rng,
    /// Address of the read-only region (the same buffer for every run).
    read_only: u64,
    /// Instructions to place before the next item (the `lddw` of a read-only address).
    pending: Vec<Item>,
    /// Instructions to place right after the next item (an access through what a helper
    /// granted).
    follow: Vec<Item>,
}

impl Generator {
    fn imm(&mut self) -> i64 {
        if self.rng.bool() {
            EDGES[self.rng.usize(..EDGES.len())]
        } else {
            self.rng.i32(..) as i64
        }
    }

    /// A register the body may change: r0–r8 (r9 holds the input, r10 the frame).
    fn reg(&mut self) -> u8 {
        self.rng.u8(0..9)
    }

    fn wide(&mut self) -> i64 {
        if self.rng.bool() {
            WIDE_EDGES[self.rng.usize(..WIDE_EDGES.len())] as i64
        } else {
            self.rng.i64(..)
        }
    }

    /// An address `base + off` for `size` bytes: in the input (r9), the frame (r10) or the
    /// read-only region (a register loaded just before), and once in a while just outside.
    /// Writes go to the read-only region rarely (they fail there).
    fn address(&mut self, size: u8, aligned: bool, write: bool) -> (u8, i16) {
        let size = size as i64;
        let read_only = if write {
            self.rng.u8(..100) < 2
        } else {
            self.rng.u8(..5) == 0
        };
        let (base, low, high) = match if read_only { 0 } else { self.rng.u8(1..5) } {
            0 => {
                let base = self.reg();
                let lddw = insn(Op::Lddw, base, 0, 0, self.read_only as i64);
                self.pending.push(Item::Insn(lddw));
                (base, 0, READ_ONLY as i64 - size)
            }
            1 | 2 => (9, 0, INPUT as i64 - size),
            _ => (10, -512, -size),
        };
        let mut off = self.rng.i64(low..=high);
        if aligned {
            off -= off.rem_euclid(size);
        }
        if self.rng.u8(..100) < 2 {
            off = if self.rng.bool() {
                low - size
            } else {
                high + 1
            };
        }
        (base, off as i16)
    }

    fn item(&mut self) -> Item {
        let def = &OPCODES[self.rng.usize(..OPCODES.len())];
        let (dst, src, imm) = (self.reg(), self.reg(), self.imm());
        match def.sem {
            Semantics::Alu { .. } | Semantics::Endian { .. } => {
                let mut i = insn(def.op, dst, src, 0, imm);
                if let ebee_isa::Select::Off(off) = def.select {
                    i.off = off;
                }
                if let ebee_isa::Select::Imm(v) = def.select {
                    i.imm = v as i64;
                }
                if matches!(def.shape, ebee_isa::Shape::AluReg | ebee_isa::Shape::MovSx) {
                    i.imm = 0;
                }
                if matches!(
                    def.shape,
                    ebee_isa::Shape::AluImm | ebee_isa::Shape::AluUnary | ebee_isa::Shape::Endian
                ) {
                    i.src = 0;
                }
                if def.shape == ebee_isa::Shape::AluUnary {
                    i.imm = 0;
                }
                Item::Insn(i)
            }
            Semantics::LoadImm64 { pseudo: 0 } => Item::Insn(insn(def.op, dst, 0, 0, self.wide())),
            Semantics::Load { size, .. } => {
                let (base, off) = self.address(size, false, false);
                Item::Insn(insn(def.op, dst, base, off, 0))
            }
            Semantics::Store { size, operand } => {
                let (base, off) = self.address(size, false, true);
                let (src, imm) = match operand {
                    ebee_isa::Operand::Imm => (0, imm),
                    ebee_isa::Operand::Reg => (src, 0),
                };
                Item::Insn(insn(def.op, base, src, off, imm))
            }
            Semantics::Atomic { size, .. } => {
                let aligned = self.rng.u8(..100) < 97;
                let (base, off) = self.address(size, aligned, true);
                let ebee_isa::Select::Imm(selector) = def.select else {
                    unreachable!("atomics select by imm")
                };
                Item::Insn(insn(def.op, base, src, off, selector as i64))
            }
            Semantics::Jump { cond, operand, .. } => {
                let (dst, src, imm) = match (cond, operand) {
                    (None, _) => (0, 0, 0),
                    (_, ebee_isa::Operand::Imm) => (dst, 0, imm),
                    (_, ebee_isa::Operand::Reg) => (dst, src, 0),
                };
                Item::Jump(def.op, dst, src, imm, self.rng.usize(1..6))
            }
            Semantics::Call(CallKind::Helper) if self.rng.bool() => {
                Item::Insn(insn(def.op, 0, 0, 0, MIX_HELPER as i64))
            }
            Semantics::Call(CallKind::Helper) => {
                let writable = self.rng.bool() as i64;
                self.pending
                    .push(Item::Insn(insn(Op::Mov64Imm, 1, 0, 0, writable)));
                let access = loop {
                    let def = &OPCODES[self.rng.usize(..OPCODES.len())];
                    match def.sem {
                        Semantics::Load { size, .. } => {
                            let off = self.rng.i64(-2..=(GRANTED as i64 - size as i64 + 2));
                            break insn(def.op, self.reg(), 0, off as i16, 0);
                        }
                        Semantics::Store { size, operand } => {
                            let off = self.rng.i64(-2..=(GRANTED as i64 - size as i64 + 2));
                            let (src, imm) = match operand {
                                ebee_isa::Operand::Imm => (0, self.imm()),
                                // r1–r5 are unreadable after the call.
                                ebee_isa::Operand::Reg => ([0, 6, 7, 8][self.rng.usize(..4)], 0),
                            };
                            break insn(def.op, 0, src, off as i16, imm);
                        }
                        _ => continue,
                    }
                };
                self.follow.push(Item::Insn(access));
                Item::Insn(insn(def.op, 0, 0, 0, GRANT_HELPER as i64))
            }
            Semantics::Call(CallKind::Local) => Item::CallSub,
            _ => self.item(),
        }
    }

    /// A whole program: registers set, a random body, `exit`, and a subfunction.
    fn program(&mut self) -> Vec<Item> {
        let mut items = vec![Item::Insn(insn(Op::Mov64Reg, 9, 1, 0, 0))];
        for r in 0..9 {
            items.push(Item::Insn(insn(Op::Lddw, r, 0, 0, self.wide())));
        }
        for _ in 0..self.rng.usize(5..60) {
            let item = self.item();
            items.append(&mut self.pending);
            let clobbers = matches!(item, Item::CallSub)
                || matches!(&item, Item::Insn(i) if matches!(i.def().sem, Semantics::Call(_)));
            items.push(item);
            items.append(&mut self.follow);
            if clobbers {
                // r1–r5 are unreadable after a call: give them values again.
                for r in 1..6 {
                    items.push(Item::Insn(insn(Op::Mov64Imm, r, 0, 0, self.imm())));
                }
            }
        }
        items.push(Item::Insn(insn(Op::Exit, 0, 0, 0, 0)));
        items
    }
}

/// The subfunction: mixes its arguments, uses its own frame and the caller's input (r9 is
/// preserved across the call, but the subfunction only sees r1–r5 and r10).
fn subfunction() -> Vec<Instruction> {
    vec![
        insn(Op::Mov64Reg, 0, 1, 0, 0),
        insn(Op::Xor64Reg, 0, 2, 0, 0),
        insn(Op::Stxdw, 10, 0, -8, 0),
        insn(Op::Mul64Reg, 0, 3, 0, 0),
        insn(Op::Ldxw, 4, 10, -8, 0),
        insn(Op::Add64Reg, 0, 4, 0, 0),
        insn(Op::Exit, 0, 0, 0, 0),
    ]
}

/// Lays items out in slots, resolving jumps and the call; the subfunction follows `exit`.
fn layout(items: &[Item]) -> Vec<Instruction> {
    let slots = |i: &Item| match i {
        Item::Insn(insn) => insn.slots(),
        _ => 1,
    };
    let mut starts = Vec::with_capacity(items.len() + 1);
    let mut pc = 0;
    for item in items {
        starts.push(pc);
        pc += slots(item);
    }
    starts.push(pc);
    let sub_start = pc as i64;
    let last = items.len() - 1; // the exit
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = starts[index] as i64;
        let mut i = match *item {
            Item::Insn(i) => i,
            Item::Jump(op, dst, src, imm, skip) => {
                let target = starts[(index + skip).min(last)] as i64;
                let offset = target - at - 1;
                if op == Op::Ja32 {
                    insn(op, 0, 0, 0, offset)
                } else {
                    insn(op, dst, src, offset as i16, imm)
                }
            }
            Item::CallSub => insn(Op::CallLocal, 0, 1, 0, sub_start - at - 1),
        };
        i.pc = at as usize;
        out.push(i);
    }
    let mut pc = sub_start as usize;
    for mut i in subfunction() {
        i.pc = pc;
        pc += i.slots();
        out.push(i);
    }
    out
}

fn helpers(granted: u64) -> Helpers {
    let mut helpers = Helpers::new();
    helpers.register(GRANT_HELPER, "grant", move |env, a| {
        env.grant(ebee_vm::Region {
            name: "granted",
            start: granted,
            len: GRANTED as u64,
            writable: a[0] & 1 == 1,
        });
        Ok(granted)
    });
    helpers.register(MIX_HELPER, "mix", |_, a| {
        Ok(a.iter().fold(0x9e37_79b9_7f4a_7c15u64, |h, &x| {
            (h ^ x).wrapping_mul(0x100_0000_01b3)
        }))
    });
    helpers
}

/// r0 and the instructions counted, as `Outcome` has them.
type RetvalAndCount = (u64, Option<u64>);

/// What a run shows: the outcome (r0 and instructions, or the error text) and the input.
/// `input` is refilled first: both engines get the same buffer, so error texts (which name
/// addresses) compare equal.
fn run(
    program: &Validated,
    backend: Backend,
    budget: u64,
    input: &mut [u8],
    read_only: &[u8],
    granted: &mut [u8],
) -> (Result<RetvalAndCount, String>, Vec<u8>) {
    granted.fill(0x5a);
    // Programs reach it only through the grant (checked mode), as map values.
    let granted_addr = granted.as_mut_ptr().expose_provenance() as u64;
    let vm = Vm::new(helpers(granted_addr))
        .with_backend(backend)
        .with_budget(budget);
    let loaded = match vm.load(program) {
        Ok(p) => p,
        Err(e) => return (Err(format!("load: {e}")), Vec::new()),
    };
    for (i, byte) in input.iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(37);
    }
    let mut memory = Memory::new();
    let addr = memory.add_mut("input", input);
    memory.add("read-only", read_only);
    let outcome = loaded
        .run_counting(&memory, &[addr, INPUT as u64])
        .map(|o| (o.retval, o.instructions))
        .map_err(|e| e.to_string());
    drop(memory);
    let mut seen = input.to_vec();
    seen.extend_from_slice(granted);
    (outcome, seen)
}

#[test]
fn jit_and_interpreter_agree_on_random_programs() {
    let programs: u64 = std::env::var("EBEE_DIFF_PROGRAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let first_seed: u64 = std::env::var("EBEE_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let (mut ran, mut failed, mut loaded) = (0u64, 0u64, 0u64);
    let mut input = vec![0u8; INPUT];
    let mut granted = vec![0u8; GRANTED];
    let read_only: Vec<u8> = (0..READ_ONLY as u8).map(|b| b ^ 0xa5).collect();
    for seed in first_seed..first_seed + programs {
        let mut generator = Generator {
            rng: fastrand::Rng::with_seed(seed),
            read_only: read_only.as_ptr() as u64,
            pending: Vec::new(),
            follow: Vec::new(),
        };
        let items = generator.program();
        let program = Validated::new(layout(&items))
            .unwrap_or_else(|e| panic!("seed {seed}: the generator made an invalid program: {e}"));
        // Now and then a budget that ends the run early, to compare where it stops.
        let budget = if generator.rng.u8(..100) < 5 {
            generator.rng.u64(1..program.slots() as u64 + 1)
        } else {
            ebee_vm::DEFAULT_BUDGET
        };
        let interpreted = run(
            &program,
            Backend::Interpreter,
            budget,
            &mut input,
            &read_only,
            &mut granted,
        );
        let jitted = run(
            &program,
            Backend::Jit,
            budget,
            &mut input,
            &read_only,
            &mut granted,
        );
        assert!(
            interpreted == jitted,
            "seed {seed}: the engines disagree\ninterpreter: {interpreted:?}\njit:         \
             {jitted:?}\nprogram:\n{}",
            disassemble_conformance(&program)
        );
        match &interpreted.0 {
            Ok(_) => ran += 1,
            Err(e) if e.starts_with("load:") => {
                if std::env::var_os("EBEE_DIFF_SHOW_LOAD_ERRORS").is_some() {
                    println!("seed {seed}: {e}");
                }
            }
            Err(_) => failed += 1,
        }
        if !matches!(&interpreted.0, Err(e) if e.starts_with("load:")) {
            loaded += 1;
        }
    }
    println!(
        "{programs} programs: {loaded} loaded, {ran} ran to exit, {failed} stopped with an error"
    );
    // The generator must make programs that load and mostly run, or it tests nothing.
    assert!(
        loaded * 100 >= programs * 95,
        "only {loaded} of {programs} programs loaded"
    );
    assert!(
        ran * 100 >= programs * 60,
        "only {ran} of {programs} programs ran to exit"
    );
}
