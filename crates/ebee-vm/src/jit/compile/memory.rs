//! Memory accesses with the checked mode's bounds check, atomics, calls (helpers, local
//! functions, legacy packet loads) and the out-of-line code they branch to.

use super::{failure, off};
use super::{frame_access, state, Compiler, OutOfLine, Slot, CALL_DEPTH_LIMIT, FRAME_SIZE};
use crate::verified::ArrayLookup;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use ebee_isa::{AtomicOp, Operand};

impl Compiler<'_> {
    /// Leaves `base + offset` in r11, checked for a `size`-byte access: inline against the
    /// cached region (the packet or map value the program works on, most of the time), out
    /// of line against the current frame's stack, and otherwise through
    /// [`state::check_access`]. A [`frame_access`] needs no check at all, nor an access
    /// the verifier proved in bounds.
    pub(super) fn address(&mut self, pc: usize, slot: &Slot, base: u8, size: u8, write: bool) {
        let offset = slot.off;
        if self.proven[pc] {
            dynasm!(self.ops ; .arch x64 ; lea r11, [Rq(base) + offset as i32]);
            return;
        }
        if frame_access(slot) {
            dynasm!(self.ops ; .arch x64 ; lea r11, [rbp + offset as i32]);
            return;
        }
        let slow = self.ops.new_dynamic_label();
        let back = self.ops.new_dynamic_label();
        let (start, len) = if write {
            (off::WRITE_START, off::WRITE_LEN)
        } else {
            (off::READ_START, off::READ_LEN)
        };
        dynasm!(self.ops
            ; .arch x64
            ; lea r11, [Rq(base) + offset as i32]
            ; mov r10, r11
            ; sub r10, [r12 + start]
            ; add r10, size as i32
            ; jc =>slow
            ; cmp r10, [r12 + len]
            ; ja =>slow
            ; =>back
        );
        self.out_of_line.push(OutOfLine::Check {
            slow,
            back,
            pc,
            size,
            write,
        });
    }

    /// `d = *(size *)r11`, zero- or sign-extended.
    pub(super) fn load(&mut self, d: u8, size: u8, sign_extend: bool) {
        match (size, sign_extend) {
            (1, false) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), BYTE [r11]),
            (2, false) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), WORD [r11]),
            (4, false) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [r11]),
            (1, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), BYTE [r11]),
            (2, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), WORD [r11]),
            (4, true) => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), DWORD [r11]),
            _ => dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD [r11]),
        }
    }

    /// `*(size *)r11 = s` or the immediate.
    pub(super) fn store(&mut self, size: u8, operand: Operand, s: u8, imm: i64) {
        let imm = imm as i32;
        match (operand, size) {
            (Operand::Imm, 1) => dynasm!(self.ops ; .arch x64 ; mov BYTE [r11], imm as i8),
            (Operand::Imm, 2) => dynasm!(self.ops ; .arch x64 ; mov WORD [r11], imm as i16),
            (Operand::Imm, 4) => dynasm!(self.ops ; .arch x64 ; mov DWORD [r11], imm),
            (Operand::Imm, _) => dynasm!(self.ops ; .arch x64 ; mov QWORD [r11], imm),
            (Operand::Reg, 1) => dynasm!(self.ops ; .arch x64 ; mov BYTE [r11], Rb(s)),
            (Operand::Reg, 2) => dynasm!(self.ops ; .arch x64 ; mov WORD [r11], Rw(s)),
            (Operand::Reg, 4) => dynasm!(self.ops ; .arch x64 ; mov DWORD [r11], Rd(s)),
            (Operand::Reg, _) => dynasm!(self.ops ; .arch x64 ; mov QWORD [r11], Rq(s)),
        }
    }

    /// An atomic read-modify-write of the aligned `size` bytes at r11 with `s`.
    pub(super) fn atomic(&mut self, op: AtomicOp, size: u8, fetch: bool, s: u8) {
        let wide = size == 8;
        macro_rules! both {
            ($($t:tt)*) => {
                match wide {
                    true => dynasm!(self.ops ; .arch x64 ; $($t)* QWORD [r11], Rq(s)),
                    false => dynasm!(self.ops ; .arch x64 ; $($t)* DWORD [r11], Rd(s)),
                }
            };
        }
        match (op, fetch) {
            (AtomicOp::Add, false) => both!(lock add),
            (AtomicOp::Or, false) => both!(lock or),
            (AtomicOp::And, false) => both!(lock and),
            (AtomicOp::Xor, false) => both!(lock xor),
            (AtomicOp::Add, true) => both!(lock xadd),
            (AtomicOp::Xchg, _) => both!(xchg),
            (AtomicOp::Cmpxchg, _) => {
                both!(lock cmpxchg);
                if !wide {
                    // A successful 32-bit cmpxchg leaves rax's high half as it was.
                    dynasm!(self.ops ; .arch x64 ; mov eax, eax);
                }
            }
            (_, true) => self.fetch_with_cmpxchg_loop(op, wide, s),
        }
    }

    /// Fetching or/and/xor, which x86 has no instruction for: a `cmpxchg` loop (in rax, r0,
    /// which is parked on the host stack).
    fn fetch_with_cmpxchg_loop(&mut self, op: AtomicOp, wide: bool, s: u8) {
        let again = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64 ; mov r9, Rq(s) ; push rax);
        match wide {
            true => dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [r11] ; =>again ; mov r10, rax),
            false => dynasm!(self.ops ; .arch x64 ; mov eax, DWORD [r11] ; =>again ; mov r10d, eax),
        }
        match (op, wide) {
            (AtomicOp::Or, true) => dynasm!(self.ops ; .arch x64 ; or r10, r9),
            (AtomicOp::And, true) => dynasm!(self.ops ; .arch x64 ; and r10, r9),
            (_, true) => dynasm!(self.ops ; .arch x64 ; xor r10, r9),
            (AtomicOp::Or, false) => dynasm!(self.ops ; .arch x64 ; or r10d, r9d),
            (AtomicOp::And, false) => dynasm!(self.ops ; .arch x64 ; and r10d, r9d),
            (_, false) => dynasm!(self.ops ; .arch x64 ; xor r10d, r9d),
        }
        match wide {
            true => {
                dynasm!(self.ops ; .arch x64 ; lock cmpxchg QWORD [r11], r10 ; jne =>again ; mov r10, rax)
            }
            false => {
                dynasm!(self.ops ; .arch x64 ; lock cmpxchg DWORD [r11], r10d ; jne =>again ; mov r10d, eax)
            }
        }
        dynasm!(self.ops ; .arch x64 ; pop rax ; mov Rq(s), r10);
    }

    /// A helper call (`index` into the program's helpers), or `callx` of the id in `by_id`.
    pub(super) fn call_out(&mut self, pc: usize, index: u64, by_id: Option<u8>) {
        let (abort, pc) = (self.abort, pc as i32);
        let target = match by_id {
            Some(id) => {
                dynasm!(self.ops ; .arch x64 ; mov [r12 + off::ARG], Rq(id));
                state::helper_by_id as *const () as usize
            }
            None => {
                dynasm!(self.ops ; .arch x64 ; mov QWORD [r12 + off::ARG], index as i32);
                state::helper as *const () as usize
            }
        };
        dynasm!(self.ops
            ; .arch x64
            ; mov QWORD [r12 + off::PC], pc
            ; mov r9, r12
            ; mov rax, QWORD target as i64
            ; sub rsp, 8
            ; call rax
            ; add rsp, 8
            ; cmp QWORD [r12 + off::STATUS], state::status::RUNNING as i32
            ; jne =>abort
        );
    }

    /// `r0 = map_lookup_elem(array, r2)` without calling out, as Linux's
    /// `array_map_gen_lookup`: the element's address when the 4-byte index at r2 is below
    /// `max_entries` (and, per CPU, the run's CPU below `copies`), else NULL. r1–r5 keep
    /// their values, which verified programs do not read after a call.
    pub(super) fn array_lookup(&mut self, lookup: &ArrayLookup) {
        let null = self.ops.new_dynamic_label();
        let done = self.ops.new_dynamic_label();
        dynasm!(self.ops
            ; .arch x64
            ; mov eax, DWORD [rsi]
            ; mov r11d, lookup.max_entries as i32
            ; cmp rax, r11
            ; jae =>null
        );
        if lookup.per_cpu {
            dynasm!(self.ops
                ; .arch x64
                ; mov r11, [r12 + off::CPU]
                ; mov r10d, lookup.copies as i32
                ; cmp r11, r10
                ; jae =>null
                ; imul rax, r10
                ; add rax, r11
            );
        }
        dynasm!(self.ops
            ; .arch x64
            ; mov r11d, lookup.elem_size as i32
            ; imul rax, r11
            ; mov r11, QWORD lookup.values as i64
            ; add rax, r11
            ; jmp =>done
            ; =>null
            ; xor eax, eax
            ; =>done
        );
    }

    /// `ldabs*`/`ldind*`: r0 from the packet, or (out of range) return 0 from the function.
    pub(super) fn legacy_packet_load(&mut self, pc: usize, s: u8) {
        let (abort, pc) = (self.abort, pc as i32);
        let loaded = self.ops.new_dynamic_label();
        dynasm!(self.ops
            ; .arch x64
            ; mov rsi, Rq(s)
            ; mov rdi, rbx
            ; mov rdx, r12
            ; mov QWORD [r12 + off::PC], pc
            ; mov rax, QWORD state::legacy_packet_load as *const () as i64
            ; sub rsp, 8
            ; call rax
            ; add rsp, 8
            ; mov r10, [r12 + off::STATUS]
            ; test r10, r10
            ; jz =>loaded
            ; cmp r10, state::status::OUT_OF_PACKET as i32
            ; jne =>abort
            ; mov QWORD [r12 + off::STATUS], state::status::RUNNING as i32
            ; xor eax, eax
            ; ret
            ; =>loaded
        );
    }

    /// A bpf-to-bpf call: a native call with r6–r10 saved on the host stack, a fresh zeroed
    /// frame below the caller's, and the frame limit checked.
    pub(super) fn local_call(&mut self, pc: usize, offset: i64) {
        let target = self.target(pc, offset);
        let too_deep = self.fail_label(pc, failure::CALL_DEPTH, None);
        let frame = FRAME_SIZE as i32;
        dynasm!(self.ops
            ; .arch x64
            ; cmp QWORD [r12 + off::DEPTH], CALL_DEPTH_LIMIT as i32
            ; jae =>too_deep
            ; add QWORD [r12 + off::DEPTH], 1
            ; sub QWORD [r12 + off::STACK_LOW], frame
            ; add QWORD [r12 + off::STACK_SPAN], frame
            ; push rbx
            ; push r13
            ; push r14
            ; push r15
            ; push rbp
            ; sub rbp, frame
            ; push rax
            ; push rcx
            ; push rdi
            ; lea rdi, [rbp - frame]
            ; xor eax, eax
            ; mov ecx, frame / 8
            ; rep stosq
            ; pop rdi
            ; pop rcx
            ; pop rax
            ; call =>target
            ; pop rbp
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop rbx
            ; add QWORD [r12 + off::STACK_LOW], frame
            ; sub QWORD [r12 + off::STACK_SPAN], frame
            ; sub QWORD [r12 + off::DEPTH], 1
        );
    }

    pub(super) fn emit_out_of_line(&mut self) {
        let (abort, fail) = (self.abort, self.fail);
        for item in std::mem::take(&mut self.out_of_line) {
            match item {
                OutOfLine::Check {
                    slow,
                    back,
                    pc,
                    size,
                    write,
                } => {
                    let call_out = self.ops.new_dynamic_label();
                    dynasm!(self.ops
                        ; .arch x64
                        ; =>slow
                        ; mov r10, r11
                        ; sub r10, [r12 + off::STACK_LOW]
                        ; add r10, size as i32
                        ; jc =>call_out
                        ; cmp r10, [r12 + off::STACK_SPAN]
                        ; jbe =>back
                        ; =>call_out
                        ; push rax
                        ; push rcx
                        ; push rdx
                        ; push rsi
                        ; push rdi
                        ; push r8
                        ; push r11
                        ; mov rdi, r12
                        ; mov rsi, r11
                        ; mov edx, size as i32
                        ; mov ecx, write as i32
                        ; mov r8d, pc as i32
                        ; mov rax, QWORD state::check_access as *const () as i64
                        ; call rax
                        ; mov r10, rax
                        ; pop r11
                        ; pop r8
                        ; pop rdi
                        ; pop rsi
                        ; pop rdx
                        ; pop rcx
                        ; pop rax
                        ; test r10, r10
                        ; jnz =>abort
                        ; jmp =>back
                    );
                }
                OutOfLine::Fail {
                    label,
                    pc,
                    kind,
                    addr,
                } => {
                    dynasm!(self.ops ; .arch x64 ; =>label);
                    match addr {
                        Some(value) => {
                            dynasm!(self.ops ; .arch x64 ; mov QWORD [r12 + off::ADDR], value as i32)
                        }
                        None => dynasm!(self.ops ; .arch x64 ; mov [r12 + off::ADDR], r11),
                    }
                    dynasm!(self.ops
                        ; .arch x64
                        ; mov QWORD [r12 + off::PC], pc as i32
                        ; mov QWORD [r12 + off::ARG], kind as i32
                        ; jmp =>fail
                    );
                }
            }
        }
    }
}
