//! The interpreter loop, with kernel semantics for every instruction of the opcode table.

use crate::error::{Access, VmError};
use crate::helpers::HelperEnv;
use crate::memory::{Granted, Memory, Region};
use crate::program::{Program, Slot};
use crate::stack::{zero_frame, Stack, FRAME_SIZE, MAX_FRAMES};
use ebee_isa::Op;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

/// The result of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// r0 at the final `exit`.
    pub retval: u64,
    /// Number of instructions executed (an `lddw` counts once).
    pub instructions: u64,
}

/// Registers a bpf-to-bpf call saves: the return slot, r6–r9 and the caller's r10.
#[derive(Clone, Copy, Default)]
struct Frame {
    return_pc: usize,
    saved: [u64; 4],
    frame_pointer: u64,
}

impl Program {
    /// Runs the program in checked mode: every load and store is bounds-checked against the
    /// stack and `memory`'s regions, and an out-of-bounds access is an error, never a fault.
    ///
    /// `args` become r1, r2, … (at most 5; the rest are 0).
    pub fn run(&self, memory: &Memory<'_>, args: &[u64]) -> Result<u64, VmError> {
        Ok(self.execute::<true>(memory, args)?.retval)
    }

    /// As [`Program::run`], also counting the instructions executed.
    pub fn run_counting(&self, memory: &Memory<'_>, args: &[u64]) -> Result<Outcome, VmError> {
        self.execute::<true>(memory, args)
    }

    /// Runs the program without bounds checks.
    ///
    /// # Safety
    /// Every memory access the program makes must stay inside its stack or memory the caller
    /// owns and has registered, as a verifier proves. An unverified program can corrupt or
    /// read any memory of the process.
    pub unsafe fn run_unchecked(
        &self,
        memory: &Memory<'_>,
        args: &[u64],
    ) -> Result<Outcome, VmError> {
        self.execute::<false>(memory, args)
    }

    fn execute<const CHECKED: bool>(
        &self,
        memory: &Memory<'_>,
        args: &[u64],
    ) -> Result<Outcome, VmError> {
        let stack = Stack::checkout();
        let mut run = RunState {
            memory,
            granted: Granted::checkout(),
            stack_top: stack.top(),
            budget_left: self.budget,
            tail_calls: 0,
        };
        let mut entry_args = [0u64; 5];
        for (r, a) in entry_args.iter_mut().zip(args) {
            *r = *a;
        }
        let mut next: Option<Arc<Program>> = None;
        loop {
            let program = next.as_deref().unwrap_or(self);
            let entry = Entry {
                pc: 0,
                frame_top: run.stack_top,
                depth: 0,
            };
            match program.execute_one::<CHECKED>(&mut run, entry, &entry_args)? {
                Step::Exit(retval) => {
                    return Ok(Outcome {
                        retval,
                        instructions: self.budget - run.budget_left,
                    })
                }
                Step::TailCall(target, ctx) => {
                    run.tail_calls += 1;
                    entry_args = [ctx, 0, 0, 0, 0];
                    next = Some(target);
                }
            }
        }
    }

    /// Runs this program (one link of a tail-call chain) until it exits or tail-calls.
    /// Also runs callbacks (`bpf_loop`, `for_each_map_elem`): then `entry` is the callback's
    /// first slot, a frame below the caller's, and the callback's `exit` ends this call.
    pub(crate) fn execute_one<const CHECKED: bool>(
        &self,
        run: &mut RunState<'_>,
        entry: Entry,
        args: &[u64; 5],
    ) -> Result<Step, VmError> {
        let code: &[Slot] = &self.code;
        // 16 entries so that a 4-bit register field indexes without a bounds check.
        let mut reg = [0u64; 16];
        reg[1..6].copy_from_slice(args);
        reg[10] = entry.frame_top;
        // SAFETY: `entry.frame_top` is the run's stack top or, for a callback, the bottom of
        // the caller's frame with a free frame below it (`call_function` checks the depth).
        unsafe { zero_frame(entry.frame_top) };
        let mut stack_low = entry.frame_top - FRAME_SIZE;
        let mut frames = [Frame::default(); MAX_FRAMES];
        let mut depth = 0usize;
        let mut budget = run.budget_left;
        let mut pc = entry.pc;

        loop {
            // SAFETY: validation (`decode_program`) guarantees every jump and call target is a
            // slot of the program and the last instruction is `exit` or an unconditional jump,
            // so `pc` never leaves `code`.
            let insn = *unsafe { code.get_unchecked(pc) };
            pc += 1;
            if budget == 0 {
                return Err(VmError::BudgetExhausted {
                    pc: pc - 1,
                    budget: self.budget,
                });
            }
            budget -= 1;
            let dst = (insn.dst & 15) as usize;
            let src_reg = (insn.src & 15) as usize;
            let src = reg[src_reg];
            let imm = insn.imm as u64;
            let d = reg[dst];
            let (d32, s32, i32_) = (d as u32, src as u32, imm as u32);
            let addr_src = src.wrapping_add(insn.off as u64);
            let addr_dst = d.wrapping_add(insn.off as u64);
            macro_rules! load {
                ($ty:ty, $addr:expr) => {{
                    let addr = $addr;
                    run.check::<CHECKED>(
                        pc - 1,
                        addr,
                        size_of::<$ty>() as u64,
                        Access::Read,
                        stack_low,
                    )?;
                    // SAFETY: checked mode proved the access lies in the stack or a live region;
                    // in unchecked mode the caller of `run_unchecked` guarantees it.
                    unsafe { (addr as *const $ty).read_unaligned() }
                }};
            }
            macro_rules! store {
                ($ty:ty, $addr:expr, $value:expr) => {{
                    let addr = $addr;
                    run.check::<CHECKED>(
                        pc - 1,
                        addr,
                        size_of::<$ty>() as u64,
                        Access::Write,
                        stack_low,
                    )?;
                    // SAFETY: as for `load!`, and the region is writable.
                    unsafe { (addr as *mut $ty).write_unaligned($value as $ty) }
                }};
            }
            macro_rules! atomic {
                ($atomic:ty, $int:ty, |$a:ident, $v:ident| $body:expr) => {{
                    let addr = reg[dst].wrapping_add(insn.off as u64);
                    let size = size_of::<$int>() as u64;
                    run.check::<CHECKED>(pc - 1, addr, size, Access::Write, stack_low)?;
                    if addr % size != 0 {
                        return Err(VmError::MisalignedAtomic {
                            pc: pc - 1,
                            addr,
                            size,
                        });
                    }
                    // SAFETY: the address is in writable program memory (checked above, or
                    // guaranteed by the caller of `run_unchecked`) and naturally aligned.
                    let $a = unsafe { <$atomic>::from_ptr(addr as *mut $int) };
                    let $v = reg[src_reg] as $int;
                    $body
                }};
            }
            macro_rules! jump_if {
                ($cond:expr) => {
                    if $cond {
                        pc = (pc as i64 + insn.off as i64) as usize;
                    }
                };
            }
            match insn.op {
                Op::Add64Imm => reg[dst] = d.wrapping_add(imm),
                Op::Add64Reg => reg[dst] = d.wrapping_add(src),
                Op::Sub64Imm => reg[dst] = d.wrapping_sub(imm),
                Op::Sub64Reg => reg[dst] = d.wrapping_sub(src),
                Op::Mul64Imm => reg[dst] = d.wrapping_mul(imm),
                Op::Mul64Reg => reg[dst] = d.wrapping_mul(src),
                Op::Div64Imm => reg[dst] = d.checked_div(imm).unwrap_or(0),
                Op::Div64Reg => reg[dst] = d.checked_div(src).unwrap_or(0),
                Op::Sdiv64Imm => reg[dst] = sdiv64(d, imm),
                Op::Sdiv64Reg => reg[dst] = sdiv64(d, src),
                Op::Or64Imm => reg[dst] = d | imm,
                Op::Or64Reg => reg[dst] = d | src,
                Op::And64Imm => reg[dst] = d & imm,
                Op::And64Reg => reg[dst] = d & src,
                Op::Lsh64Imm => reg[dst] = d << (imm & 63),
                Op::Lsh64Reg => reg[dst] = d << (src & 63),
                Op::Rsh64Imm => reg[dst] = d >> (imm & 63),
                Op::Rsh64Reg => reg[dst] = d >> (src & 63),
                Op::Neg64 => reg[dst] = d.wrapping_neg(),
                Op::Mod64Imm => reg[dst] = d.checked_rem(imm).unwrap_or(d),
                Op::Mod64Reg => reg[dst] = d.checked_rem(src).unwrap_or(d),
                Op::Smod64Imm => reg[dst] = smod64(d, imm),
                Op::Smod64Reg => reg[dst] = smod64(d, src),
                Op::Xor64Imm => reg[dst] = d ^ imm,
                Op::Xor64Reg => reg[dst] = d ^ src,
                Op::Mov64Imm => reg[dst] = imm,
                Op::Mov64Reg => reg[dst] = src,
                Op::Movsx8To64 => reg[dst] = src as i8 as i64 as u64,
                Op::Movsx16To64 => reg[dst] = src as i16 as i64 as u64,
                Op::Movsx32To64 => reg[dst] = src as i32 as i64 as u64,
                Op::Arsh64Imm => reg[dst] = ((d as i64) >> (imm & 63)) as u64,
                Op::Arsh64Reg => reg[dst] = ((d as i64) >> (src & 63)) as u64,
                Op::Bswap16 => reg[dst] = (d as u16).swap_bytes() as u64,
                Op::Bswap32 => reg[dst] = (d as u32).swap_bytes() as u64,
                Op::Bswap64 => reg[dst] = d.swap_bytes(),

                Op::Add32Imm => reg[dst] = d32.wrapping_add(i32_) as u64,
                Op::Add32Reg => reg[dst] = d32.wrapping_add(s32) as u64,
                Op::Sub32Imm => reg[dst] = d32.wrapping_sub(i32_) as u64,
                Op::Sub32Reg => reg[dst] = d32.wrapping_sub(s32) as u64,
                Op::Mul32Imm => reg[dst] = d32.wrapping_mul(i32_) as u64,
                Op::Mul32Reg => reg[dst] = d32.wrapping_mul(s32) as u64,
                Op::Div32Imm => reg[dst] = d32.checked_div(i32_).unwrap_or(0) as u64,
                Op::Div32Reg => reg[dst] = d32.checked_div(s32).unwrap_or(0) as u64,
                Op::Sdiv32Imm => reg[dst] = sdiv32(d32, i32_) as u64,
                Op::Sdiv32Reg => reg[dst] = sdiv32(d32, s32) as u64,
                Op::Or32Imm => reg[dst] = (d32 | i32_) as u64,
                Op::Or32Reg => reg[dst] = (d32 | s32) as u64,
                Op::And32Imm => reg[dst] = (d32 & i32_) as u64,
                Op::And32Reg => reg[dst] = (d32 & s32) as u64,
                Op::Lsh32Imm => reg[dst] = (d32 << (i32_ & 31)) as u64,
                Op::Lsh32Reg => reg[dst] = (d32 << (s32 & 31)) as u64,
                Op::Rsh32Imm => reg[dst] = (d32 >> (i32_ & 31)) as u64,
                Op::Rsh32Reg => reg[dst] = (d32 >> (s32 & 31)) as u64,
                Op::Neg32 => reg[dst] = d32.wrapping_neg() as u64,
                Op::Mod32Imm => reg[dst] = d32.checked_rem(i32_).unwrap_or(d32) as u64,
                Op::Mod32Reg => reg[dst] = d32.checked_rem(s32).unwrap_or(d32) as u64,
                Op::Smod32Imm => reg[dst] = smod32(d32, i32_) as u64,
                Op::Smod32Reg => reg[dst] = smod32(d32, s32) as u64,
                Op::Xor32Imm => reg[dst] = (d32 ^ i32_) as u64,
                Op::Xor32Reg => reg[dst] = (d32 ^ s32) as u64,
                Op::Mov32Imm => reg[dst] = i32_ as u64,
                Op::Mov32Reg => reg[dst] = s32 as u64,
                Op::Movsx8To32 => reg[dst] = src as i8 as i32 as u32 as u64,
                Op::Movsx16To32 => reg[dst] = src as i16 as i32 as u32 as u64,
                Op::Arsh32Imm => reg[dst] = ((d32 as i32) >> (i32_ & 31)) as u32 as u64,
                Op::Arsh32Reg => reg[dst] = ((d32 as i32) >> (s32 & 31)) as u32 as u64,
                Op::Le16 => reg[dst] = u16::from_le(d as u16) as u64,
                Op::Le32 => reg[dst] = u32::from_le(d as u32) as u64,
                Op::Le64 => reg[dst] = u64::from_le(d),
                Op::Be16 => reg[dst] = u16::from_be(d as u16) as u64,
                Op::Be32 => reg[dst] = u32::from_be(d as u32) as u64,
                Op::Be64 => reg[dst] = u64::from_be(d),

                Op::Lddw => {
                    reg[dst] = imm;
                    pc += 1;
                }
                // `Vm::load` refuses unresolved pseudo kinds.
                Op::LddwMapFd
                | Op::LddwMapValue
                | Op::LddwBtfId
                | Op::LddwFunc
                | Op::LddwMapIdx
                | Op::LddwMapIdxValue => unreachable!("refused at load"),

                Op::Ldxw => reg[dst] = load!(u32, addr_src) as u64,
                Op::Ldxh => reg[dst] = load!(u16, addr_src) as u64,
                Op::Ldxb => reg[dst] = load!(u8, addr_src) as u64,
                Op::Ldxdw => reg[dst] = load!(u64, addr_src),
                Op::Ldxsw => reg[dst] = load!(i32, addr_src) as i64 as u64,
                Op::Ldxsh => reg[dst] = load!(i16, addr_src) as i64 as u64,
                Op::Ldxsb => reg[dst] = load!(i8, addr_src) as i64 as u64,
                Op::Stw => store!(u32, addr_dst, imm),
                Op::Sth => store!(u16, addr_dst, imm),
                Op::Stb => store!(u8, addr_dst, imm),
                Op::Stdw => store!(u64, addr_dst, imm),
                Op::Stxw => store!(u32, addr_dst, src),
                Op::Stxh => store!(u16, addr_dst, src),
                Op::Stxb => store!(u8, addr_dst, src),
                Op::Stxdw => store!(u64, addr_dst, src),

                Op::AtomicAdd32 => {
                    let _ = atomic!(AtomicU32, u32, |a, v| a.fetch_add(v, SeqCst));
                }
                Op::AtomicOr32 => {
                    let _ = atomic!(AtomicU32, u32, |a, v| a.fetch_or(v, SeqCst));
                }
                Op::AtomicAnd32 => {
                    let _ = atomic!(AtomicU32, u32, |a, v| a.fetch_and(v, SeqCst));
                }
                Op::AtomicXor32 => {
                    let _ = atomic!(AtomicU32, u32, |a, v| a.fetch_xor(v, SeqCst));
                }
                Op::AtomicFetchAdd32 => {
                    reg[src_reg] = atomic!(AtomicU32, u32, |a, v| a.fetch_add(v, SeqCst)) as u64
                }
                Op::AtomicFetchOr32 => {
                    reg[src_reg] = atomic!(AtomicU32, u32, |a, v| a.fetch_or(v, SeqCst)) as u64
                }
                Op::AtomicFetchAnd32 => {
                    reg[src_reg] = atomic!(AtomicU32, u32, |a, v| a.fetch_and(v, SeqCst)) as u64
                }
                Op::AtomicFetchXor32 => {
                    reg[src_reg] = atomic!(AtomicU32, u32, |a, v| a.fetch_xor(v, SeqCst)) as u64
                }
                Op::AtomicXchg32 => {
                    reg[src_reg] = atomic!(AtomicU32, u32, |a, v| a.swap(v, SeqCst)) as u64
                }
                Op::AtomicCmpxchg32 => {
                    let expected = reg[0] as u32;
                    reg[0] = atomic!(AtomicU32, u32, |a, v| a
                        .compare_exchange(expected, v, SeqCst, SeqCst)
                        .unwrap_or_else(|old| old)) as u64
                }
                Op::AtomicAdd64 => {
                    let _ = atomic!(AtomicU64, u64, |a, v| a.fetch_add(v, SeqCst));
                }
                Op::AtomicOr64 => {
                    let _ = atomic!(AtomicU64, u64, |a, v| a.fetch_or(v, SeqCst));
                }
                Op::AtomicAnd64 => {
                    let _ = atomic!(AtomicU64, u64, |a, v| a.fetch_and(v, SeqCst));
                }
                Op::AtomicXor64 => {
                    let _ = atomic!(AtomicU64, u64, |a, v| a.fetch_xor(v, SeqCst));
                }
                Op::AtomicFetchAdd64 => {
                    reg[src_reg] = atomic!(AtomicU64, u64, |a, v| a.fetch_add(v, SeqCst))
                }
                Op::AtomicFetchOr64 => {
                    reg[src_reg] = atomic!(AtomicU64, u64, |a, v| a.fetch_or(v, SeqCst))
                }
                Op::AtomicFetchAnd64 => {
                    reg[src_reg] = atomic!(AtomicU64, u64, |a, v| a.fetch_and(v, SeqCst))
                }
                Op::AtomicFetchXor64 => {
                    reg[src_reg] = atomic!(AtomicU64, u64, |a, v| a.fetch_xor(v, SeqCst))
                }
                Op::AtomicXchg64 => {
                    reg[src_reg] = atomic!(AtomicU64, u64, |a, v| a.swap(v, SeqCst))
                }
                Op::AtomicCmpxchg64 => {
                    let expected = reg[0];
                    reg[0] = atomic!(AtomicU64, u64, |a, v| a
                        .compare_exchange(expected, v, SeqCst, SeqCst)
                        .unwrap_or_else(|old| old))
                }

                Op::Ja => pc = (pc as i64 + insn.off as i64) as usize,
                Op::Ja32 => pc = (pc as i64 + insn.imm) as usize,
                Op::JeqImm => jump_if!(d == imm),
                Op::JeqReg => jump_if!(d == src),
                Op::JgtImm => jump_if!(d > imm),
                Op::JgtReg => jump_if!(d > src),
                Op::JgeImm => jump_if!(d >= imm),
                Op::JgeReg => jump_if!(d >= src),
                Op::JsetImm => jump_if!(d & imm != 0),
                Op::JsetReg => jump_if!(d & src != 0),
                Op::JneImm => jump_if!(d != imm),
                Op::JneReg => jump_if!(d != src),
                Op::JsgtImm => jump_if!((d as i64) > imm as i64),
                Op::JsgtReg => jump_if!((d as i64) > src as i64),
                Op::JsgeImm => jump_if!((d as i64) >= imm as i64),
                Op::JsgeReg => jump_if!((d as i64) >= src as i64),
                Op::JltImm => jump_if!(d < imm),
                Op::JltReg => jump_if!(d < src),
                Op::JleImm => jump_if!(d <= imm),
                Op::JleReg => jump_if!(d <= src),
                Op::JsltImm => jump_if!((d as i64) < imm as i64),
                Op::JsltReg => jump_if!((d as i64) < src as i64),
                Op::JsleImm => jump_if!((d as i64) <= imm as i64),
                Op::JsleReg => jump_if!((d as i64) <= src as i64),
                Op::Jeq32Imm => jump_if!(d32 == i32_),
                Op::Jeq32Reg => jump_if!(d32 == s32),
                Op::Jgt32Imm => jump_if!(d32 > i32_),
                Op::Jgt32Reg => jump_if!(d32 > s32),
                Op::Jge32Imm => jump_if!(d32 >= i32_),
                Op::Jge32Reg => jump_if!(d32 >= s32),
                Op::Jset32Imm => jump_if!(d32 & i32_ != 0),
                Op::Jset32Reg => jump_if!(d32 & s32 != 0),
                Op::Jne32Imm => jump_if!(d32 != i32_),
                Op::Jne32Reg => jump_if!(d32 != s32),
                Op::Jsgt32Imm => jump_if!((d32 as i32) > i32_ as i32),
                Op::Jsgt32Reg => jump_if!((d32 as i32) > s32 as i32),
                Op::Jsge32Imm => jump_if!((d32 as i32) >= i32_ as i32),
                Op::Jsge32Reg => jump_if!((d32 as i32) >= s32 as i32),
                Op::Jlt32Imm => jump_if!(d32 < i32_),
                Op::Jlt32Reg => jump_if!(d32 < s32),
                Op::Jle32Imm => jump_if!(d32 <= i32_),
                Op::Jle32Reg => jump_if!(d32 <= s32),
                Op::Jslt32Imm => jump_if!((d32 as i32) < i32_ as i32),
                Op::Jslt32Reg => jump_if!((d32 as i32) < s32 as i32),
                Op::Jsle32Imm => jump_if!((d32 as i32) <= i32_ as i32),
                Op::Jsle32Reg => jump_if!((d32 as i32) <= s32 as i32),

                Op::CallHelper | Op::Callx => {
                    let id = if insn.op == Op::Callx { d } else { imm };
                    run.budget_left = budget;
                    let (r0, tail_call) = self.call_helper::<CHECKED>(
                        pc - 1,
                        id,
                        &reg,
                        run,
                        stack_low,
                        entry.depth + depth,
                    )?;
                    budget = run.budget_left;
                    if let Some(target) = tail_call {
                        return Ok(Step::TailCall(target, reg[1]));
                    }
                    reg[0] = r0;
                }
                Op::CallKfunc => unreachable!("refused at load"),
                Op::CallLocal => {
                    if entry.depth + depth + 1 >= MAX_FRAMES {
                        return Err(VmError::CallDepthExceeded {
                            pc: pc - 1,
                            max: MAX_FRAMES,
                        });
                    }
                    frames[depth] = Frame {
                        return_pc: pc,
                        saved: [reg[6], reg[7], reg[8], reg[9]],
                        frame_pointer: reg[10],
                    };
                    depth += 1;
                    reg[10] -= FRAME_SIZE;
                    stack_low -= FRAME_SIZE;
                    // SAFETY: the depth check above leaves a frame of the run's stack below
                    // the caller's; r10 is its top.
                    unsafe { zero_frame(reg[10]) };
                    pc = (pc as i64 + insn.imm) as usize;
                }
                Op::Exit => {
                    if depth == 0 {
                        run.budget_left = budget;
                        return Ok(Step::Exit(reg[0]));
                    }
                    depth -= 1;
                    let frame = frames[depth];
                    reg[6..10].copy_from_slice(&frame.saved);
                    reg[10] = frame.frame_pointer;
                    stack_low += FRAME_SIZE;
                    pc = frame.return_pc;
                }
            }
        }
    }

    // Not inlined: inlining speeds up helper calls by ~2 ns but slows the loop by ~8%.
    #[inline(never)]
    fn call_helper<const CHECKED: bool>(
        &self,
        pc: usize,
        id: u64,
        reg: &[u64; 16],
        run: &mut RunState<'_>,
        stack_low: u64,
        depth: usize,
    ) -> Result<(u64, Option<Arc<Program>>), VmError> {
        let helper = u32::try_from(id)
            .ok()
            .and_then(|id| self.helpers.get(id))
            .ok_or(VmError::UnknownHelper { pc, id: id as i64 })?;
        let mut env = HelperEnv {
            run,
            program: self,
            stack_low,
            depth,
            checked: CHECKED,
            tail_call: None,
        };
        let args = [reg[1], reg[2], reg[3], reg[4], reg[5]];
        let r0 = (helper.func)(&mut env, args).map_err(|message| VmError::Helper {
            pc,
            id: helper.id,
            name: helper.name.clone(),
            message,
        })?;
        Ok((r0, env.tail_call))
    }
}

/// Where a run of [`Program::execute_one`] starts.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    /// First slot.
    pub pc: usize,
    /// r10 of the first frame.
    pub frame_top: u64,
    /// Frames already in use below this call (callbacks run inside a helper call).
    pub depth: usize,
}

/// State of one run, shared by the programs of a tail-call chain.
pub(crate) struct RunState<'r> {
    pub memory: &'r Memory<'r>,
    /// Regions helpers granted during the run (map values, ring-buffer records).
    pub granted: Granted,
    pub stack_top: u64,
    pub budget_left: u64,
    pub tail_calls: u32,
}

impl RunState<'_> {
    pub(crate) fn stack_region(&self, low: u64) -> Region {
        Region {
            name: "stack",
            start: low,
            len: self.stack_top - low,
            writable: true,
        }
    }

    /// Bounds check of checked mode; compiles to nothing in unchecked mode.
    #[inline(always)]
    fn check<const CHECKED: bool>(
        &self,
        pc: usize,
        addr: u64,
        size: u64,
        access: Access,
        stack_low: u64,
    ) -> Result<(), VmError> {
        if !CHECKED {
            return Ok(());
        }
        let in_stack = addr >= stack_low
            && addr
                .checked_add(size)
                .is_some_and(|end| end <= self.stack_top);
        if in_stack {
            return Ok(());
        }
        self.check_regions(pc, addr, size, access, stack_low)
    }

    #[cold]
    fn check_regions(
        &self,
        pc: usize,
        addr: u64,
        size: u64,
        access: Access,
        stack_low: u64,
    ) -> Result<(), VmError> {
        if self
            .granted
            .allows(self.memory.regions(), addr, size, access)
        {
            return Ok(());
        }
        let mut extra = self.granted.regions().to_vec();
        extra.push(self.stack_region(stack_low));
        Err(self.memory.fault(pc, addr, size, access, &extra))
    }
}

/// How one program of a chain ended.
pub(crate) enum Step {
    Exit(u64),
    TailCall(Arc<Program>, u64),
}

/// Signed 64-bit division with the ISA's results: x / 0 = 0, INT_MIN / -1 = INT_MIN.
fn sdiv64(a: u64, b: u64) -> u64 {
    if b == 0 {
        0
    } else {
        (a as i64).wrapping_div(b as i64) as u64
    }
}

/// Signed 64-bit modulo: x % 0 = x, INT_MIN % -1 = 0.
fn smod64(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        (a as i64).wrapping_rem(b as i64) as u64
    }
}

fn sdiv32(a: u32, b: u32) -> u32 {
    if b == 0 {
        0
    } else {
        (a as i32).wrapping_div(b as i32) as u32
    }
}

fn smod32(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        (a as i32).wrapping_rem(b as i32) as u32
    }
}
