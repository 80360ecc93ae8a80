//! Translation of a loaded program's slots to x86-64.
//!
//! Register assignment (as the kernel's JIT, so that r1–r5 already sit in the System V
//! argument registers at a helper call): r0 rax, r1 rdi, r2 rsi, r3 rdx, r4 rcx, r5 r8,
//! r6 rbx, r7 r13, r8 r14, r9 r15, r10 rbp. r12 holds the [`JitState`](super::state) of the
//! invocation; r9, r10 and r11 are scratch.
//!
//! Every eBPF function is a native function: a bpf-to-bpf call is a native `call` (saving
//! r6–r10 on the host stack) and `exit` is `ret`. Inside a function body the host stack
//! pointer is 8 modulo 16, so call-outs to Rust adjust it by 8 (or push an odd number of
//! registers). Errors unwind by restoring the stack pointer saved at entry.
//!
//! The checked mode's bounds check: none for r10-relative accesses inside the frame (r10 is
//! never written); otherwise inline against the region the last out-of-line check admitted
//! (one subtraction and two compares), then out of line against the current frame's stack,
//! then in Rust. The
//! instruction budget (of programs that have one) is charged per block on entry to it;
//! blocks end after every memory access, so a run that exhausts its budget stops with the
//! same memory and error as the interpreter's.

// `dynasm!` expands dynamic register operands (`Rq(d)`) to `d.into()`.
#![allow(clippy::useless_conversion)]

use super::state::{self, failure, offsets as off, CALL_DEPTH_LIMIT};
use crate::program::Slot;
use crate::stack::FRAME_SIZE;
use crate::verified::ArrayLookup;
use dynasmrt::x64::Assembler;
use dynasmrt::{dynasm, AssemblyOffset, DynamicLabel, DynasmApi, DynasmLabelApi};
use ebee_isa::{CallKind, Semantics};

/// Host register numbers of r0–r10.
const REG: [u8; 11] = [0, 7, 6, 2, 1, 8, 3, 13, 14, 15, 5];
const RAX: u8 = 0;
const RCX: u8 = 1;
const RDX: u8 = 2;

/// The host register of eBPF register `r` (validated programs name r0–r10 only).
fn host(r: u8) -> u8 {
    REG.get(r as usize).copied().unwrap_or(RAX)
}

/// Whether `slot` is a load, store or atomic through r10 at a constant offset inside the
/// current frame: r10 is never written, so such an access cannot leave the stack and needs
/// no bounds check; and since nothing outside the run sees the stack, it need not end a block.
fn frame_access(slot: &Slot) -> bool {
    let (base, size) = match slot.op.semantics() {
        Semantics::Load { size, .. } => (slot.src, size),
        Semantics::Store { size, .. } | Semantics::Atomic { size, .. } => (slot.dst, size),
        _ => return false,
    };
    let off = slot.off as i64;
    base == 10 && off >= -(FRAME_SIZE as i64) && off + size as i64 <= 0
}

/// Slots an instruction fills (`lddw` two).
pub(super) fn slots_of(slot: &Slot) -> usize {
    match slot.op.semantics() {
        Semantics::LoadImm64 { .. } => 2,
        _ => 1,
    }
}

/// Code reached out of line from the body, emitted after it.
enum OutOfLine {
    /// The slow half of a bounds check of the access whose address is in r11: the frame's
    /// stack, then Rust.
    Check {
        slow: DynamicLabel,
        back: DynamicLabel,
        pc: usize,
        size: u8,
        write: bool,
    },
    /// A failure the code detects itself (see [`failure`]); `addr` is r11 or a constant.
    Fail {
        label: DynamicLabel,
        pc: usize,
        kind: u64,
        addr: Option<u64>,
    },
}

/// The compiled program: the entry trampoline and where each function starts.
pub(super) struct Compiled {
    pub ops: Assembler,
    pub trampoline: AssemblyOffset,
    /// (slot, offset) of each function's first instruction, sorted by slot.
    pub entries: Vec<(usize, AssemblyOffset)>,
}

struct Compiler<'c> {
    ops: Assembler,
    code: &'c [Slot],
    /// The slots whose memory access a verifier proved in bounds: no check is emitted.
    proven: &'c [bool],
    /// The helper calls computed inline (array lookups), by slot.
    lookups: &'c [Option<ArrayLookup>],
    /// Whether each block charges its length to the instruction budget.
    charge_budget: bool,
    /// The label of each slot that starts a basic block.
    labels: Vec<Option<DynamicLabel>>,
    /// Instructions in the block each leader starts.
    block_len: Vec<u64>,
    out_of_line: Vec<OutOfLine>,
    /// Unwinds to the trampoline after a failure (the state says which).
    abort: DynamicLabel,
    /// Common tail of every [`OutOfLine::Fail`].
    fail: DynamicLabel,
}

/// Compiles `code` (a loaded program's slots) whose functions start at `function_entries`;
/// the accesses at slots `proven` marks are emitted without a bounds check, the calls in
/// `lookups` are computed inline, and blocks charge the budget only if `charge_budget`.
pub(super) fn compile(
    code: &[Slot],
    function_entries: &[usize],
    proven: &[bool],
    lookups: &[Option<ArrayLookup>],
    charge_budget: bool,
) -> std::io::Result<Compiled> {
    let mut ops = Assembler::new()?;
    let abort = ops.new_dynamic_label();
    let fail = ops.new_dynamic_label();
    let mut compiler = Compiler {
        ops,
        code,
        proven,
        lookups,
        charge_budget,
        labels: vec![None; code.len()],
        block_len: vec![0; code.len()],
        out_of_line: Vec::new(),
        abort,
        fail,
    };
    let mut entries: Vec<usize> = function_entries.to_vec();
    entries.push(0);
    compiler.find_blocks(&entries);
    let trampoline = compiler.trampoline();
    compiler.body();
    compiler.emit_out_of_line();
    entries.sort_unstable();
    entries.dedup();
    let entries = entries
        .into_iter()
        .map(|pc| {
            let label = compiler.labels[pc].expect("function entries start blocks");
            let offset = compiler.ops.labels().resolve_dynamic(label).ok();
            (pc, offset.expect("every label is bound"))
        })
        .collect();
    Ok(Compiled {
        ops: compiler.ops,
        trampoline,
        entries,
    })
}

impl Compiler<'_> {
    /// Marks block leaders (function entries, jump and call targets, what follows a jump,
    /// call, exit, memory access or legacy packet load) and counts each block's
    /// instructions.
    fn find_blocks(&mut self, entries: &[usize]) {
        let n = self.code.len();
        let mut leader = vec![false; n];
        for &e in entries {
            leader[e] = true;
        }
        let mut pc = 0;
        while pc < n {
            let slot = self.code[pc];
            let next = pc + slots_of(&slot);
            let ends_block = match slot.op.semantics() {
                Semantics::Jump { long, .. } => {
                    let offset = if long { slot.imm } else { slot.off as i64 };
                    leader[(next as i64 + offset) as usize] = true;
                    true
                }
                Semantics::Call(CallKind::Local) => {
                    leader[(next as i64 + slot.imm) as usize] = true;
                    true
                }
                Semantics::Call(_) | Semantics::Exit | Semantics::LegacyPacketLoad { .. } => true,
                // Memory accesses end a block too, so that a block's only access (which may
                // fault, or write) is its last instruction: when the budget runs out inside
                // a block, the instructions the interpreter would still have run before
                // stopping are pure, and stopping at the block's entry looks the same.
                Semantics::Load { .. } | Semantics::Store { .. } | Semantics::Atomic { .. } => true,
                _ => false,
            };
            if ends_block && next < n {
                leader[next] = true;
            }
            pc = next;
        }
        let mut pc = 0;
        let mut current = 0;
        while pc < n {
            if leader[pc] {
                current = pc;
                self.labels[pc] = Some(self.ops.new_dynamic_label());
            }
            self.block_len[current] += 1;
            pc += slots_of(&self.code[pc]);
        }
    }

    /// `extern "sysv64" fn(state, args: *const [u64; 5], function, frame_top) -> r0`.
    fn trampoline(&mut self) -> AssemblyOffset {
        let start = self.ops.offset();
        let (abort, fail) = (self.abort, self.fail);
        let done = self.ops.new_dynamic_label();
        dynasm!(self.ops
            ; .arch x64
            ; push rbp
            ; push rbx
            ; push r12
            ; push r13
            ; push r14
            ; push r15
            ; sub rsp, 8
            ; mov r12, rdi
            ; mov r11, rdx
            ; mov rbp, rcx
            ; mov r10, rsi
            ; mov rdi, [r10]
            ; mov rsi, [r10 + 8]
            ; mov rdx, [r10 + 16]
            ; mov rcx, [r10 + 24]
            ; mov r8, [r10 + 32]
            ; xor eax, eax
            ; xor ebx, ebx
            ; xor r13d, r13d
            ; xor r14d, r14d
            ; xor r15d, r15d
            ; mov [r12 + off::ENTRY_RSP], rsp
            ; call r11
            ; =>done
            ; add rsp, 8
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbx
            ; pop rbp
            ; ret
            ; =>abort
            ; mov rsp, [r12 + off::ENTRY_RSP]
            ; jmp =>done
            ; =>fail
            ; mov rsp, [r12 + off::ENTRY_RSP]
            ; mov rdi, r12
            ; mov rax, QWORD state::fail as *const () as i64
            ; call rax
            ; jmp =>done
        );
        start
    }

    fn body(&mut self) {
        let mut pc = 0;
        while pc < self.code.len() {
            let slot = self.code[pc];
            if let Some(label) = self.labels[pc] {
                dynasm!(self.ops ; .arch x64 ; =>label);
                if self.charge_budget {
                    let n = self.block_len[pc];
                    let exhausted = self.fail_label(pc, failure::BUDGET, Some(n));
                    dynasm!(self.ops
                        ; .arch x64
                        ; sub QWORD [r12 + off::BUDGET], n as i32
                        ; jb =>exhausted
                    );
                }
            }
            self.instruction(pc, slot);
            pc += slots_of(&slot);
        }
    }

    fn fail_label(&mut self, pc: usize, kind: u64, addr: Option<u64>) -> DynamicLabel {
        let label = self.ops.new_dynamic_label();
        self.out_of_line.push(OutOfLine::Fail {
            label,
            pc,
            kind,
            addr,
        });
        label
    }

    /// The label of the block starting at `pc + 1 + offset`.
    fn target(&self, pc: usize, offset: i64) -> DynamicLabel {
        self.labels[(pc as i64 + 1 + offset) as usize].expect("targets start blocks")
    }

    fn instruction(&mut self, pc: usize, slot: Slot) {
        let d = host(slot.dst);
        let s = host(slot.src);
        let imm = slot.imm;
        match slot.op.semantics() {
            Semantics::Alu { op, width, operand } => self.alu(op, width, operand, d, s, imm),
            Semantics::Endian { order, bits } => self.endian(order, bits, d),
            Semantics::LoadImm64 { .. } => dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD imm),
            Semantics::Load { size, sign_extend } => {
                self.address(pc, &slot, s, size, false);
                self.load(d, size, sign_extend);
            }
            Semantics::Store { size, operand } => {
                self.address(pc, &slot, d, size, true);
                self.store(size, operand, s, imm);
            }
            Semantics::Atomic { op, size, fetch } => {
                self.address(pc, &slot, d, size, true);
                let misaligned = self.fail_label(pc, size as u64, None);
                dynasm!(self.ops ; .arch x64 ; test r11, (size - 1) as i32 ; jnz =>misaligned);
                self.atomic(op, size, fetch, s);
            }
            Semantics::LegacyPacketLoad { .. } => self.legacy_packet_load(pc, s),
            Semantics::Jump {
                cond,
                width,
                operand,
                long,
            } => {
                let offset = if long { imm } else { slot.off as i64 };
                let target = self.target(pc, offset);
                match cond {
                    None => dynasm!(self.ops ; .arch x64 ; jmp =>target),
                    Some(cond) => self.branch(cond, width, operand, d, s, imm, target),
                }
            }
            Semantics::Call(CallKind::Helper) => match self.lookups[pc] {
                Some(lookup) => self.array_lookup(&lookup),
                None => self.call_out(pc, imm as u64, None),
            },
            Semantics::Call(CallKind::HelperInReg) => self.call_out(pc, 0, Some(d)),
            Semantics::Call(CallKind::Local) => self.local_call(pc, imm),
            // `Vm::load` refuses kfunc calls.
            Semantics::Call(CallKind::Kfunc) | Semantics::MayGoto => {
                unreachable!("refused at load")
            }
            Semantics::Exit => dynasm!(self.ops ; .arch x64 ; ret),
        }
    }
}

mod alu;
mod memory;
