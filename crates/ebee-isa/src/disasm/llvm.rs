//! Disassembler to the syntax `llvm-objdump -d` prints for BPF.
//!
//! The text of each instruction comes from the `llvm` template column of [`crate::OPCODES`];
//! this module only fills in the placeholders (registers, immediates, offsets, jump targets)
//! and lays lines out as `llvm-objdump` does: slot index, bytes (16 for `lddw`) and text,
//! separated by tabs (shown here as spaces):
//!
//! ```text
//!       12:  85 00 00 00 01 00 00 00  call 0x1
//!       13:  18 01 00 00 bc 9a 78 56 00 00 00 00 34 12 00 00  r1 = 0x123456789abc ll
//! ```
//!
//! It matches `llvm-objdump-19` character for character, for every row of the opcode table
//! (checked by `ebee-object`'s `llvm_objdump` test), in both CPU settings of [`LlvmCpu`], with
//! one deliberate exception: for the 32-bit atomics other than the plain add
//! (`lock *(u32 *)(r1 + 0x0) += r2`), plain `llvm-objdump -d` (the generic CPU) prints
//! `<unknown>`, or, for the 32-bit fetch-and-add, the text of the plain add, which hides the
//! fetch. ebee prints them as `--mcpu=v3` does, whatever the CPU setting.
//!
//! Jump targets are annotated `<sym+0x..>` from an [`LlvmSection`]'s symbols, picked the way
//! `llvm-objdump` picks them; without one (raw bytecode) the annotation is left out.

use std::fmt::Write;

use crate::{Instruction, Shape};

/// Which `llvm-objdump` CPU setting the output matches. The two differ only in the registers
/// of 8/16/32-bit loads, stores and 32-bit atomics, which an ALU32 CPU prints as `wN`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LlvmCpu {
    /// Plain `llvm-objdump -d` (the generic CPU; `--mcpu=v1` and `v2` print the same):
    /// `r0 = *(u32 *)(r1 + 0x4)`.
    #[default]
    Generic,
    /// `llvm-objdump -d --mcpu=v3` or `--mcpu=v4`: `w0 = *(u32 *)(r1 + 0x4)`.
    Alu32,
}

/// A code section as `llvm-objdump` labels it: its name and the symbols that start functions
/// and label jump targets.
///
/// Of several symbols at one offset, `llvm-objdump` shows only the one whose name sorts last;
/// when no symbol is at offset 0 it labels the start with the section's name. `LlvmSection`
/// does the same.
///
/// ```
/// use ebee_isa::LlvmSection;
/// let section = LlvmSection::new("xdp", [("prog", 0), ("helper", 0x40)]);
/// assert_eq!(section.symbolize(0x18), ("prog", 0x18));
/// assert_eq!(section.symbolize(0x48), ("helper", 0x8));
/// assert_eq!(LlvmSection::new(".text", Vec::<(&str, u64)>::new()).symbolize(8), (".text", 8));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LlvmSection {
    name: String,
    /// Byte offset and name, sorted by offset, one per offset, the first at offset 0.
    symbols: Vec<(u64, String)>,
}

impl LlvmSection {
    /// A section named `name` with `symbols` given as (name, byte offset in the section).
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        symbols: impl IntoIterator<Item = (S, u64)>,
    ) -> LlvmSection {
        let name = name.into();
        let mut all: Vec<(u64, String)> = symbols
            .into_iter()
            .map(|(sym, offset)| (offset, sym.into()))
            .collect();
        all.sort();
        // Keep the last name at each offset.
        let mut symbols: Vec<(u64, String)> = Vec::with_capacity(all.len() + 1);
        for (offset, sym) in all {
            match symbols.last_mut() {
                Some(last) if last.0 == offset => last.1 = sym,
                _ => symbols.push((offset, sym)),
            }
        }
        if symbols.first().map(|first| first.0) != Some(0) {
            symbols.insert(0, (0, name.clone()));
        }
        LlvmSection { name, symbols }
    }

    /// The section's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The symbol that labels byte `offset` (the last one at or before it) and the distance
    /// from it.
    pub fn symbolize(&self, offset: u64) -> (&str, u64) {
        let index = self.symbols.partition_point(|(start, _)| *start <= offset);
        // `symbols[0]` is at offset 0, so `index >= 1`.
        let (start, name) = &self.symbols[index.saturating_sub(1)];
        (name, offset - start)
    }

    /// The symbol that starts exactly at byte `offset`, if any.
    pub fn symbol_at(&self, offset: u64) -> Option<&str> {
        self.symbols
            .binary_search_by_key(&offset, |(start, _)| *start)
            .ok()
            .map(|index| self.symbols[index].1.as_str())
    }
}

/// Disassembles to LLVM syntax; see the [module docs](self).
///
/// ```
/// use ebee_isa::{decode_program, slots_from_bytes, LlvmCpu, LlvmDisassembler, LlvmSection};
/// let bytes = [
///     0x61, 0x10, 0x04, 0x00, 0, 0, 0, 0, // r0 = *(u32 *)(r1 + 0x4)
///     0x15, 0x00, 0x01, 0x00, 0, 0, 0, 0, // if r0 == 0x0 goto +0x1
///     0x84, 0x00, 0x00, 0x00, 0, 0, 0, 0, // w0 = -w0
///     0x95, 0x00, 0x00, 0x00, 0, 0, 0, 0, // exit
/// ];
/// let program = decode_program(&slots_from_bytes(&bytes)?)?;
/// let section = LlvmSection::new("xdp", [("prog", 0)]);
/// let llvm = LlvmDisassembler { cpu: LlvmCpu::Alu32, section: Some(&section) };
/// assert_eq!(llvm.instruction(&program[0]), "w0 = *(u32 *)(r1 + 0x4)");
/// assert_eq!(llvm.instruction(&program[1]), "if r0 == 0x0 goto +0x1 <prog+0x18>");
/// assert_eq!(
///     llvm.objdump_line(&program[2]),
///     "       2:\t84 00 00 00 00 00 00 00\tw0 = -w0"
/// );
/// # Ok::<(), ebee_isa::IsaError>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LlvmDisassembler<'a> {
    /// Which `llvm-objdump --mcpu` setting to match.
    pub cpu: LlvmCpu,
    /// The section the program is, for `<sym+0x..>` jump annotations; `None` leaves them out.
    pub section: Option<&'a LlvmSection>,
}

impl LlvmDisassembler<'_> {
    /// The text of one instruction, as in the last column of `llvm-objdump -d`.
    ///
    /// `insn.pc` is taken as the slot index in the section, for jump annotations.
    pub fn instruction(&self, insn: &Instruction) -> String {
        let def = insn.def();
        let mut out = String::new();
        let mut chars = def.llvm.chars();
        while let Some(c) = chars.next() {
            if c != '$' {
                out.push(c);
                continue;
            }
            let Some(placeholder) = chars.next() else {
                out.push('$');
                break;
            };
            let alu32 = self.cpu == LlvmCpu::Alu32;
            match placeholder {
                'd' => push_reg(&mut out, insn.dst, def.is_32bit()),
                's' => push_reg(&mut out, insn.src, def.is_32bit()),
                'D' => push_reg(&mut out, insn.dst, false),
                'S' => push_reg(&mut out, insn.src, false),
                'a' => push_reg(&mut out, insn.dst, alu32),
                'b' => push_reg(&mut out, insn.src, alu32),
                'i' | 'L' => push_signed_hex(&mut out, insn.imm),
                'u' => {
                    let _ = write!(out, "{:#x}", insn.imm as u32);
                }
                'o' => {
                    let sign = if insn.off < 0 { '-' } else { '+' };
                    let _ = write!(out, "{sign} {:#x}", insn.off.unsigned_abs());
                }
                't' => self.push_target(&mut out, insn),
                other => {
                    out.push('$');
                    out.push(other);
                }
            }
        }
        out
    }

    /// One line per instruction: the texts of [`LlvmDisassembler::instruction`].
    pub fn program(&self, program: &[Instruction]) -> String {
        let mut out = String::new();
        for insn in program {
            out.push_str(&self.instruction(insn));
            out.push('\n');
        }
        out
    }

    /// The whole `llvm-objdump -d` line of one instruction: slot index, the instruction's bytes
    /// (16 for `lddw`), text, separated by tabs; without a newline.
    pub fn objdump_line(&self, insn: &Instruction) -> String {
        let mut out = format!("{:>8}:\t", insn.pc);
        for (i, byte) in crate::slots_to_bytes(&insn.encode()).iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let _ = write!(out, "{byte:02x}");
        }
        out.push('\t');
        out.push_str(&self.instruction(insn));
        out
    }

    /// The block `llvm-objdump -d` prints for one code section holding `program`: the
    /// `Disassembly of section` heading, a `0000000000000000 <sym>:` heading wherever a symbol
    /// starts, and [`LlvmDisassembler::objdump_line`]s. Every line ends in a newline.
    ///
    /// Without a section the program is taken to be a `.text` section without symbols.
    /// Symbols that do not start an instruction only label jump targets.
    ///
    /// ```
    /// use ebee_isa::{decode_program, slots_from_bytes, LlvmDisassembler};
    /// let exit = [0x95, 0, 0, 0, 0, 0, 0, 0];
    /// let program = decode_program(&slots_from_bytes(&exit)?)?;
    /// assert_eq!(
    ///     LlvmDisassembler::default().objdump_listing(&program),
    ///     "\nDisassembly of section .text:\n\n0000000000000000 <.text>:\n       0:\t95 00 00 00 00 00 00 00\texit\n"
    /// );
    /// # Ok::<(), ebee_isa::IsaError>(())
    /// ```
    pub fn objdump_listing(&self, program: &[Instruction]) -> String {
        let unnamed;
        let section = match self.section {
            Some(section) => section,
            None => {
                unnamed = LlvmSection::new(".text", Vec::<(String, u64)>::new());
                &unnamed
            }
        };
        let llvm = LlvmDisassembler {
            cpu: self.cpu,
            section: Some(section),
        };
        let mut out = format!("\nDisassembly of section {}:\n", section.name());
        for insn in program {
            let offset = byte_offset(insn.pc);
            if let Some(symbol) = section.symbol_at(offset) {
                let _ = writeln!(out, "\n{offset:016x} <{symbol}>:");
            }
            out.push_str(&llvm.objdump_line(insn));
            out.push('\n');
        }
        out
    }

    /// `+0x3` or `-0x2`, then ` <sym+0x..>` when there is a section.
    fn push_target(&self, out: &mut String, insn: &Instruction) {
        let relative = if insn.def().shape == Shape::Ja32 {
            insn.imm
        } else {
            insn.off.into()
        };
        let sign = if relative < 0 { '-' } else { '+' };
        let _ = write!(out, "{sign}{:#x}", relative.unsigned_abs());
        if let Some(section) = self.section {
            // As llvm-objdump computes it: wrapping 64-bit byte addresses.
            let target = byte_offset(insn.pc)
                .wrapping_add(8)
                .wrapping_add((relative as u64).wrapping_mul(8));
            match section.symbolize(target) {
                (symbol, 0) => {
                    let _ = write!(out, " <{symbol}>");
                }
                (symbol, distance) => {
                    let _ = write!(out, " <{symbol}+{distance:#x}>");
                }
            }
        }
    }
}

/// Disassembles a program to LLVM syntax for the generic CPU, one instruction per line, without
/// jump annotations. See [`LlvmDisassembler`] for the other settings.
///
/// ```
/// use ebee_isa::{decode_program, disassemble_llvm, slots_from_bytes};
/// let bytes = [
///     0x07, 0x02, 0, 0, 0xfc, 0xff, 0xff, 0xff, // r2 += -0x4
///     0x95, 0, 0, 0, 0, 0, 0, 0,                // exit
/// ];
/// let program = decode_program(&slots_from_bytes(&bytes)?)?;
/// assert_eq!(disassemble_llvm(&program), "r2 += -0x4\nexit\n");
/// # Ok::<(), ebee_isa::IsaError>(())
/// ```
pub fn disassemble_llvm(program: &[Instruction]) -> String {
    LlvmDisassembler::default().program(program)
}

fn byte_offset(pc: usize) -> u64 {
    (pc as u64).wrapping_mul(8)
}

fn push_reg(out: &mut String, reg: u8, sub_register: bool) {
    let _ = write!(out, "{}{reg}", if sub_register { 'w' } else { 'r' });
}

fn push_signed_hex(out: &mut String, value: i64) {
    let sign = if value < 0 { "-" } else { "" };
    let _ = write!(out, "{sign}{:#x}", value.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode_program, slots_from_bytes, OPCODES};

    fn program(slots: &[[u8; 8]]) -> crate::Validated {
        decode_program(&slots_from_bytes(&slots.concat()).unwrap()).unwrap()
    }

    const EXIT: [u8; 8] = [0x95, 0, 0, 0, 0, 0, 0, 0];

    #[test]
    fn formats_like_llvm_objdump() {
        let p = program(&[
            [0x61, 0x10, 0x04, 0x00, 0, 0, 0, 0],
            [0x07, 0x02, 0, 0, 0xfc, 0xff, 0xff, 0xff],
            [0xc6, 0x01, 0x04, 0x00, 0xfc, 0xff, 0xff, 0xff],
            [0x85, 0, 0, 0, 1, 0, 0, 0],
            [0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff],
            [0x18, 0x01, 0, 0, 0xbc, 0x9a, 0x78, 0x56],
            [0, 0, 0, 0, 0x34, 0x12, 0, 0],
            [0x84, 0, 0, 0, 0, 0, 0, 0],
            [0xc3, 0x1a, 0xf8, 0xff, 0, 0, 0, 0],
            [0x06, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff],
            [0x8d, 0x02, 0, 0, 0, 0, 0, 0],
            [0x18, 0x13, 0, 0, 0xfc, 0xff, 0xff, 0xff],
            [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
            [0xdb, 0x21, 0x04, 0, 0xf1, 0, 0, 0],
            EXIT,
        ]);
        let section = LlvmSection::new("xdp", [("prog", 0), ("tail", 0x40)]);
        let llvm = LlvmDisassembler {
            cpu: LlvmCpu::Generic,
            section: Some(&section),
        };
        let texts: Vec<String> = p.iter().map(|i| llvm.instruction(i)).collect();
        assert_eq!(
            texts,
            [
                "r0 = *(u32 *)(r1 + 0x4)",
                "r2 += -0x4",
                "if w1 s< -0x4 goto +0x4 <prog+0x38>",
                "call 0x1",
                "call -0x1",
                "r1 = 0x123456789abc ll",
                "w0 = -w0",
                "lock *(u32 *)(r10 - 0x8) += r1",
                "gotol -0x2 <tail>",
                "callx r2",
                "ld_pseudo\tr3, 0x1, 0xfffffffc",
                "r0 = cmpxchg_64(r1 + 0x4, r0, r2)",
                "exit",
            ]
        );
        let alu32 = LlvmDisassembler {
            cpu: LlvmCpu::Alu32,
            section: None,
        };
        assert_eq!(alu32.instruction(&p[0]), "w0 = *(u32 *)(r1 + 0x4)");
        assert_eq!(alu32.instruction(&p[2]), "if w1 s< -0x4 goto +0x4");
        assert_eq!(alu32.instruction(&p[7]), "lock *(u32 *)(r10 - 0x8) += w1");
        assert_eq!(
            llvm.objdump_line(&p[5]),
            "       5:\t18 01 00 00 bc 9a 78 56 00 00 00 00 34 12 00 00\tr1 = 0x123456789abc ll"
        );
        let listing = llvm.objdump_listing(&p);
        assert!(listing.starts_with("\nDisassembly of section xdp:\n\n0000000000000000 <prog>:\n"));
        assert!(listing.contains("\n\n0000000000000040 <tail>:\n       8:\tc3 1a"));
    }

    #[test]
    fn extreme_values() {
        let p = program(&[
            [0x18, 0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 0x80],
            [0x62, 0x01, 0x00, 0x80, 0, 0, 0, 0x80],
            [0x05, 0, 0, 0, 0, 0, 0, 0],
            EXIT,
        ]);
        let texts = disassemble_llvm(&p);
        assert_eq!(
            texts,
            "r0 = -0x8000000000000000 ll\n*(u32 *)(r1 - 0x8000) = -0x80000000\ngoto +0x0\nexit\n"
        );
    }

    #[test]
    fn picks_symbols_like_llvm_objdump() {
        let section = LlvmSection::new("s", [("zz", 0), ("aa", 0), ("ll", 16), ("bb", 16)]);
        assert_eq!(section.symbolize(8), ("zz", 8));
        assert_eq!(section.symbolize(16), ("ll", 0));
        assert_eq!(section.symbol_at(16), Some("ll"));
        assert_eq!(section.symbol_at(8), None);
        let late = LlvmSection::new(".text", [("f1", 16)]);
        assert_eq!(late.symbolize(0), (".text", 0));
        assert_eq!(late.symbolize(u64::MAX), ("f1", u64::MAX - 16));
    }

    #[test]
    fn templates_use_only_known_placeholders() {
        for def in OPCODES {
            let mut chars = def.llvm.chars();
            while let Some(c) = chars.next() {
                if c == '$' {
                    let p = chars.next();
                    assert!(
                        matches!(
                            p,
                            Some('d' | 's' | 'D' | 'S' | 'a' | 'b' | 'i' | 'u' | 'o' | 't' | 'L')
                        ),
                        "{:?}: {}",
                        def.op,
                        def.llvm
                    );
                }
            }
        }
    }

    #[test]
    fn never_panics_on_hand_made_instructions() {
        for def in OPCODES {
            let insn = Instruction {
                pc: usize::MAX,
                op: def.op,
                dst: 255,
                src: 255,
                off: i16::MIN,
                imm: i64::MIN,
            };
            let section = LlvmSection::new("x", [("f", 8)]);
            for cpu in [LlvmCpu::Generic, LlvmCpu::Alu32] {
                let llvm = LlvmDisassembler {
                    cpu,
                    section: Some(&section),
                };
                assert!(!llvm.objdump_line(&insn).is_empty());
                assert!(!llvm.objdump_listing(&[insn]).is_empty());
            }
        }
    }
}
