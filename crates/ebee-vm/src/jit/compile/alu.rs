//! ALU, byte-order and conditional-jump instructions. 32-bit forms use the 32-bit x86
//! instructions, which zero-extend their result as the ISA requires; x86 masks shift counts
//! to 31 or 63 as the ISA does.

use super::{Compiler, RAX, RCX, RDX};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use ebee_isa::{AluOp, ByteOrder, Cond, Operand, Width};

/// r11: where an immediate operand goes when x86 has no immediate form.
const R11: u8 = 11;

impl Compiler<'_> {
    pub(super) fn alu(
        &mut self,
        op: AluOp,
        width: Width,
        operand: Operand,
        d: u8,
        s: u8,
        imm: i64,
    ) {
        let imm32 = imm as i32;
        let wide = width == Width::W64;
        match (op, operand) {
            (AluOp::Mov, Operand::Imm) => match (wide, imm32) {
                (_, 0) => dynasm!(self.ops ; .arch x64 ; xor Rd(d), Rd(d)),
                (true, _) => dynasm!(self.ops ; .arch x64 ; mov Rq(d), DWORD imm32),
                (false, _) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), imm32),
            },
            (AluOp::Mov, Operand::Reg) => match wide {
                true => dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(s)),
                false => dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(s)),
            },
            (AluOp::Movsx { bits }, _) => {
                let s = self.operand_register(operand, s, imm);
                match (wide, bits) {
                    (true, 8) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rb(s)),
                    (true, 16) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rw(s)),
                    (true, _) => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), Rd(s)),
                    (false, 8) => dynasm!(self.ops ; .arch x64 ; movsx Rd(d), Rb(s)),
                    (false, 16) => dynasm!(self.ops ; .arch x64 ; movsx Rd(d), Rw(s)),
                    (false, _) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(s)),
                }
            }
            (AluOp::Neg, _) => match wide {
                true => dynasm!(self.ops ; .arch x64 ; neg Rq(d)),
                false => dynasm!(self.ops ; .arch x64 ; neg Rd(d)),
            },
            (AluOp::Lsh | AluOp::Rsh | AluOp::Arsh, Operand::Imm) => {
                let count = (imm & if wide { 63 } else { 31 }) as i8;
                match (op, wide) {
                    (AluOp::Lsh, true) => dynasm!(self.ops ; .arch x64 ; shl Rq(d), count),
                    (AluOp::Rsh, true) => dynasm!(self.ops ; .arch x64 ; shr Rq(d), count),
                    (_, true) => dynasm!(self.ops ; .arch x64 ; sar Rq(d), count),
                    (AluOp::Lsh, false) => dynasm!(self.ops ; .arch x64 ; shl Rd(d), count),
                    (AluOp::Rsh, false) => dynasm!(self.ops ; .arch x64 ; shr Rd(d), count),
                    (_, false) => dynasm!(self.ops ; .arch x64 ; sar Rd(d), count),
                }
            }
            (AluOp::Lsh | AluOp::Rsh | AluOp::Arsh, Operand::Reg) => {
                self.shift_by_register(op, wide, d, s)
            }
            (AluOp::Div | AluOp::Sdiv | AluOp::Mod | AluOp::Smod, _) => {
                self.divide(op, wide, operand, d, s, imm)
            }
            (AluOp::Mul, Operand::Imm) => match wide {
                true => dynasm!(self.ops ; .arch x64 ; imul Rq(d), Rq(d), imm32),
                false => dynasm!(self.ops ; .arch x64 ; imul Rd(d), Rd(d), imm32),
            },
            (AluOp::Mul, Operand::Reg) => match wide {
                true => dynasm!(self.ops ; .arch x64 ; imul Rq(d), Rq(s)),
                false => dynasm!(self.ops ; .arch x64 ; imul Rd(d), Rd(s)),
            },
            (_, Operand::Imm) => self.binary_imm(op, wide, d, imm32),
            (_, Operand::Reg) => self.binary_reg(op, wide, d, s),
        }
    }

    /// The operand in a register: `s`, or r11 loaded with the sign-extended immediate.
    fn operand_register(&mut self, operand: Operand, s: u8, imm: i64) -> u8 {
        match operand {
            Operand::Reg => s,
            Operand::Imm => {
                dynasm!(self.ops ; .arch x64 ; mov r11, QWORD imm);
                R11
            }
        }
    }

    fn binary_imm(&mut self, op: AluOp, wide: bool, d: u8, imm: i32) {
        macro_rules! both {
            ($insn:ident) => {
                match wide {
                    true => dynasm!(self.ops ; .arch x64 ; $insn Rq(d), imm),
                    false => dynasm!(self.ops ; .arch x64 ; $insn Rd(d), imm),
                }
            };
        }
        match op {
            AluOp::Add => both!(add),
            AluOp::Sub => both!(sub),
            AluOp::Or => both!(or),
            AluOp::And => both!(and),
            _ => both!(xor),
        }
    }

    fn binary_reg(&mut self, op: AluOp, wide: bool, d: u8, s: u8) {
        macro_rules! both {
            ($insn:ident) => {
                match wide {
                    true => dynasm!(self.ops ; .arch x64 ; $insn Rq(d), Rq(s)),
                    false => dynasm!(self.ops ; .arch x64 ; $insn Rd(d), Rd(s)),
                }
            };
        }
        match op {
            AluOp::Add => both!(add),
            AluOp::Sub => both!(sub),
            AluOp::Or => both!(or),
            AluOp::And => both!(and),
            _ => both!(xor),
        }
    }

    /// x86 shifts by `cl` only, and r4 lives in rcx: park rcx in r11 around the shift (the
    /// shift then works on r11 when the destination is r4 itself).
    fn shift_by_register(&mut self, op: AluOp, wide: bool, d: u8, s: u8) {
        let (target, swap) = match (s == RCX, d == RCX) {
            (true, _) => (d, false),
            (false, true) => (R11, true),
            (false, false) => (d, true),
        };
        if swap {
            dynasm!(self.ops ; .arch x64 ; mov r11, rcx ; mov rcx, Rq(s));
        }
        match (op, wide) {
            (AluOp::Lsh, true) => dynasm!(self.ops ; .arch x64 ; shl Rq(target), cl),
            (AluOp::Rsh, true) => dynasm!(self.ops ; .arch x64 ; shr Rq(target), cl),
            (_, true) => dynasm!(self.ops ; .arch x64 ; sar Rq(target), cl),
            (AluOp::Lsh, false) => dynasm!(self.ops ; .arch x64 ; shl Rd(target), cl),
            (AluOp::Rsh, false) => dynasm!(self.ops ; .arch x64 ; shr Rd(target), cl),
            (_, false) => dynasm!(self.ops ; .arch x64 ; sar Rd(target), cl),
        }
        if swap {
            // Restores r4, or (when r4 was the destination) gives it the result.
            dynasm!(self.ops ; .arch x64 ; mov rcx, r11);
        }
    }

    /// Division and remainder with the ISA's results for a zero divisor (quotient 0,
    /// remainder the dividend) and, signed, for -1 (negation and 0: x86 would trap on
    /// `MIN / -1`). x86 divides rdx:rax, which hold r3 and r0: both are parked in r9/r10.
    fn divide(&mut self, op: AluOp, wide: bool, operand: Operand, d: u8, s: u8, imm: i64) {
        let signed = matches!(op, AluOp::Sdiv | AluOp::Smod);
        let quotient = matches!(op, AluOp::Div | AluOp::Sdiv);
        let (zero, minus_one, done) = (
            self.ops.new_dynamic_label(),
            self.ops.new_dynamic_label(),
            self.ops.new_dynamic_label(),
        );
        match operand {
            Operand::Imm => dynasm!(self.ops ; .arch x64 ; mov r11, QWORD imm),
            Operand::Reg => dynasm!(self.ops ; .arch x64 ; mov r11, Rq(s)),
        }
        dynasm!(self.ops ; .arch x64 ; mov r9, rax ; mov r10, rdx);
        if d != RAX {
            dynasm!(self.ops ; .arch x64 ; mov rax, Rq(d));
        }
        match wide {
            true => dynasm!(self.ops ; .arch x64 ; test r11, r11 ; jz =>zero),
            false => dynasm!(self.ops ; .arch x64 ; test r11d, r11d ; jz =>zero),
        }
        if signed {
            match wide {
                true => {
                    dynasm!(self.ops ; .arch x64 ; cmp r11, -1 ; je =>minus_one ; cqo ; idiv r11)
                }
                false => {
                    dynasm!(self.ops ; .arch x64 ; cmp r11d, -1 ; je =>minus_one ; cdq ; idiv r11d)
                }
            }
        } else {
            match wide {
                true => dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div r11),
                false => dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div r11d),
            }
        }
        let result = if quotient { RAX } else { RDX };
        match wide {
            true => dynasm!(self.ops ; .arch x64 ; mov r11, Rq(result) ; jmp =>done),
            false => dynasm!(self.ops ; .arch x64 ; mov r11d, Rd(result) ; jmp =>done),
        }
        dynasm!(self.ops ; .arch x64 ; =>zero);
        match (quotient, wide) {
            (true, _) => dynasm!(self.ops ; .arch x64 ; xor r11d, r11d ; jmp =>done),
            (false, true) => dynasm!(self.ops ; .arch x64 ; mov r11, rax ; jmp =>done),
            (false, false) => dynasm!(self.ops ; .arch x64 ; mov r11d, eax ; jmp =>done),
        }
        dynasm!(self.ops ; .arch x64 ; =>minus_one);
        match (quotient, wide) {
            (true, true) => dynasm!(self.ops ; .arch x64 ; mov r11, rax ; neg r11),
            (true, false) => dynasm!(self.ops ; .arch x64 ; mov r11d, eax ; neg r11d),
            (false, _) => dynasm!(self.ops ; .arch x64 ; xor r11d, r11d),
        }
        dynasm!(self.ops
            ; .arch x64
            ; =>done
            ; mov rax, r9
            ; mov rdx, r10
            ; mov Rq(d), r11
        );
    }

    pub(super) fn endian(&mut self, order: ByteOrder, bits: u8, d: u8) {
        match (order, bits) {
            (ByteOrder::ToLe, 16) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), Rw(d)),
            (ByteOrder::ToLe, 32) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(d)),
            (ByteOrder::ToLe, _) => {}
            (_, 16) => dynasm!(self.ops ; .arch x64 ; ror Rw(d), 8 ; movzx Rd(d), Rw(d)),
            (_, 32) => dynasm!(self.ops ; .arch x64 ; bswap Rd(d)),
            (_, _) => dynasm!(self.ops ; .arch x64 ; bswap Rq(d)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn branch(
        &mut self,
        cond: Cond,
        width: Width,
        operand: Operand,
        d: u8,
        s: u8,
        imm: i64,
        target: DynamicLabel,
    ) {
        let imm = imm as i32;
        let wide = width == Width::W64;
        match (cond == Cond::Set, operand, wide) {
            (false, Operand::Imm, true) => dynasm!(self.ops ; .arch x64 ; cmp Rq(d), imm),
            (false, Operand::Imm, false) => dynasm!(self.ops ; .arch x64 ; cmp Rd(d), imm),
            (false, Operand::Reg, true) => dynasm!(self.ops ; .arch x64 ; cmp Rq(d), Rq(s)),
            (false, Operand::Reg, false) => dynasm!(self.ops ; .arch x64 ; cmp Rd(d), Rd(s)),
            (true, Operand::Imm, true) => dynasm!(self.ops ; .arch x64 ; test Rq(d), imm),
            (true, Operand::Imm, false) => dynasm!(self.ops ; .arch x64 ; test Rd(d), imm),
            (true, Operand::Reg, true) => dynasm!(self.ops ; .arch x64 ; test Rq(d), Rq(s)),
            (true, Operand::Reg, false) => dynasm!(self.ops ; .arch x64 ; test Rd(d), Rd(s)),
        }
        match cond {
            Cond::Eq => dynasm!(self.ops ; .arch x64 ; je =>target),
            Cond::Ne => dynasm!(self.ops ; .arch x64 ; jne =>target),
            Cond::Set => dynasm!(self.ops ; .arch x64 ; jnz =>target),
            Cond::Gt => dynasm!(self.ops ; .arch x64 ; ja =>target),
            Cond::Ge => dynasm!(self.ops ; .arch x64 ; jae =>target),
            Cond::Lt => dynasm!(self.ops ; .arch x64 ; jb =>target),
            Cond::Le => dynasm!(self.ops ; .arch x64 ; jbe =>target),
            Cond::Sgt => dynasm!(self.ops ; .arch x64 ; jg =>target),
            Cond::Sge => dynasm!(self.ops ; .arch x64 ; jge =>target),
            Cond::Slt => dynasm!(self.ops ; .arch x64 ; jl =>target),
            Cond::Sle => dynasm!(self.ops ; .arch x64 ; jle =>target),
        }
    }
}
