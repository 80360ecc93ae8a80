//! Disassembler to the conformance-suite syntax read by [`crate::assemble`].
//!
//! One instruction per line, mnemonics from [`crate::OPCODES`], jump targets as signed slot
//! offsets (`+3`, `-2`), so `assemble(&disassemble_conformance(p))` encodes to exactly the
//! bytes of `p` for every valid program.

use std::fmt::Write;

use crate::{Instruction, Op, Shape};

/// Prints a program in the conformance-suite syntax, one instruction per line.
///
/// ```
/// use ebee_isa::{assemble, disassemble_conformance, encode_program};
/// let program = assemble("mov32 %r0, -3\nja +0\nexit")?;
/// let text = disassemble_conformance(&program);
/// assert_eq!(text, "mov32 %r0, -3\nja +0\nexit\n");
/// assert_eq!(encode_program(&assemble(&text)?), encode_program(&program));
/// # Ok::<(), ebee_isa::IsaError>(())
/// ```
pub fn disassemble_conformance(program: &[Instruction]) -> String {
    let mut out = String::new();
    for insn in program {
        out.push_str(&format_instruction(insn));
        out.push('\n');
    }
    out
}

/// Formats one instruction (without a newline).
fn format_instruction(insn: &Instruction) -> String {
    let def = insn.def();
    let m = def.mnemonic;
    let (d, s) = (insn.dst, insn.src);
    let imm = imm32(insn.imm);
    match def.shape {
        Shape::AluImm => format!("{m} %r{d}, {imm}"),
        Shape::AluReg | Shape::MovSx => format!("{m} %r{d}, %r{s}"),
        Shape::AluUnary | Shape::Endian | Shape::CallReg => format!("{m} %r{d}"),
        Shape::LoadImm64 if (-0xffff..=0xffff).contains(&insn.imm) => {
            format!("{m} %r{d}, {}", insn.imm)
        }
        Shape::LoadImm64 => format!("{m} %r{d}, {:#x}", insn.imm as u64),
        Shape::Load => format!("{m} %r{d}, {}", memory(s, insn.off)),
        Shape::StoreImm => format!("{m} {}, {imm}", memory(d, insn.off)),
        Shape::StoreReg | Shape::Atomic => format!("{m} {}, %r{s}", memory(d, insn.off)),
        Shape::Ja | Shape::MayGoto => format!("{m} {}", relative(insn.off.into())),
        Shape::Ja32 => format!("{m} {}", relative(insn.imm)),
        Shape::JumpImm => format!("{m} %r{d}, {imm}, {}", relative(insn.off.into())),
        Shape::JumpReg => format!("{m} %r{d}, %r{s}, {}", relative(insn.off.into())),
        Shape::Call if insn.op == Op::CallLocal => format!("{m} {}", relative(insn.imm)),
        Shape::Call if insn.off != 0 => format!("{m} {}, {}", insn.imm, insn.off),
        Shape::Call => format!("{m} {}", insn.imm),
        Shape::Exit => m.to_string(),
        Shape::PacketAbs => format!("{m} {imm}"),
        Shape::PacketInd => format!("{m} %r{s}, {imm}"),
    }
}

/// A 32-bit immediate: small values in decimal, others as the hex bit pattern.
fn imm32(imm: i64) -> String {
    if (-0xffff..=0xffff).contains(&imm) {
        imm.to_string()
    } else {
        format!("{:#x}", imm as u32)
    }
}

/// `[%rN]`, `[%rN+off]` or `[%rN-off]`.
fn memory(reg: u8, off: i16) -> String {
    let mut text = format!("[%r{reg}");
    if off != 0 {
        let _ = write!(text, "{}", relative(off.into()));
    }
    text.push(']');
    text
}

/// A signed relative offset with an explicit sign: `+3`, `-2`, `+0`.
fn relative(offset: i64) -> String {
    format!("{offset:+}")
}
