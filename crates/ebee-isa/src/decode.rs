//! Bytecode → validated [`Instruction`]s, and back.

use crate::opcode::{rows_for_opcode, Op, OpDef, Select, Shape};
use crate::{Insn, IsaError, FRAME_POINTER};

/// One decoded, validated instruction.
///
/// Jump offsets stay relative and counted in slots, as in bytecode; `lddw` is one
/// `Instruction` covering two slots, with the whole 64-bit immediate in `imm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Slot index of this instruction in the program.
    pub pc: usize,
    /// The instruction form (a row of [`crate::OPCODES`]).
    pub op: Op,
    /// Destination register.
    pub dst: u8,
    /// Source register (for `lddw` and calls: the pseudo kind).
    pub src: u8,
    /// Offset field.
    pub off: i16,
    /// Immediate, sign-extended from 32 bits; for `lddw` the full 64-bit value.
    pub imm: i64,
}

impl Instruction {
    /// This instruction's row of the opcode table.
    pub fn def(&self) -> &'static OpDef {
        self.op.def()
    }

    /// Number of 8-byte slots (2 for `lddw`, else 1).
    pub fn slots(&self) -> usize {
        if self.def().shape == Shape::LoadImm64 {
            2
        } else {
            1
        }
    }

    /// Slot index a function reference (`lddw` of `BPF_PSEUDO_FUNC`, a callback) names.
    pub fn function_reference(&self) -> Option<i64> {
        (self.op == Op::LddwFunc).then(|| self.pc as i64 + 1 + self.imm)
    }

    /// Slot index a jump or local call goes to, if this is one.
    pub fn branch_target(&self) -> Option<i64> {
        let next = self.pc as i64 + 1;
        match self.def().shape {
            Shape::Ja | Shape::MayGoto | Shape::JumpImm | Shape::JumpReg => {
                Some(next + self.off as i64)
            }
            Shape::Ja32 => Some(next + self.imm),
            Shape::Call if self.op == Op::CallLocal => Some(next + self.imm),
            _ => None,
        }
    }

    /// The raw slot(s) of this instruction.
    pub fn encode(&self) -> Vec<Insn> {
        let first = Insn {
            opcode: self.def().opcode,
            dst: self.dst,
            src: self.src,
            off: self.off,
            imm: self.imm as i32,
        };
        if self.slots() == 2 {
            let second = Insn {
                imm: (self.imm >> 32) as i32,
                ..Insn::default()
            };
            vec![first, second]
        } else {
            vec![first]
        }
    }
}

/// A validated program: every instruction decodes, its reserved fields are zero, its
/// registers exist, nothing writes r10, every jump and local call lands on an instruction
/// of the program (not inside an `lddw`), and the last instruction cannot fall off the end.
///
/// Only [`decode_program`], [`crate::assemble`] and [`Validated::new`] (which re-validates a
/// hand-built list) make one, so code that runs a program can rely on these facts: the VM
/// takes a `Validated`, never a bare `&[Instruction]`.
///
/// ```
/// use ebee_isa::{assemble, Op, Validated};
/// let program = assemble("mov %r0, 1\nexit")?;
/// assert_eq!(program[0].op, Op::Mov64Imm); // derefs to [Instruction]
///
/// let mut insns = program.into_instructions();
/// insns[0].op = Op::Ja;
/// insns[0].off = 1000; // out of the program
/// assert!(Validated::new(insns).is_err());
/// # Ok::<(), ebee_isa::IsaError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validated {
    instructions: Vec<Instruction>,
}

impl Validated {
    /// Validates a hand-built (or edited) instruction list: it must be exactly what decoding
    /// its own encoding gives (consistent `pc`s, fields that fit their encoding) and pass
    /// [`decode_program`]'s checks.
    pub fn new(instructions: Vec<Instruction>) -> Result<Validated, IsaError> {
        let decoded = decode_program(&encode_program(&instructions))?;
        for (index, (given, valid)) in instructions.iter().zip(decoded.iter()).enumerate() {
            if given != valid {
                let reason = if given.pc != valid.pc {
                    format!("is at slot {}", valid.pc)
                } else {
                    format!("does not survive encoding: {given:?} encodes as {valid:?}")
                };
                return Err(IsaError::Inconsistent {
                    index,
                    pc: given.pc,
                    reason,
                });
            }
        }
        Ok(decoded)
    }

    /// The instructions.
    pub fn instructions(&self) -> &[Instruction] {
        &self.instructions
    }

    /// The instructions, to edit (and validate again with [`Validated::new`]).
    pub fn into_instructions(self) -> Vec<Instruction> {
        self.instructions
    }

    /// Number of 8-byte slots (an `lddw` fills two).
    pub fn slots(&self) -> usize {
        self.instructions
            .last()
            .map_or(0, |last| last.pc + last.slots())
    }
}

impl<'a> IntoIterator for &'a Validated {
    type Item = &'a Instruction;
    type IntoIter = std::slice::Iter<'a, Instruction>;
    fn into_iter(self) -> Self::IntoIter {
        self.instructions.iter()
    }
}

impl std::ops::Deref for Validated {
    type Target = [Instruction];
    fn deref(&self) -> &[Instruction] {
        &self.instructions
    }
}

/// Encodes instructions back into slots; the exact inverse of [`decode_program`].
pub fn encode_program(program: &[Instruction]) -> Vec<Insn> {
    program.iter().flat_map(Instruction::encode).collect()
}

/// Which fields a shape uses (dst, src, off, imm); unused fields must be zero.
fn used_fields(shape: Shape) -> [bool; 4] {
    use Shape::*;
    match shape {
        AluImm => [true, false, false, true],
        AluReg | MovSx => [true, true, false, false],
        AluUnary | Endian | CallReg => [true, false, false, false],
        LoadImm64 => [true, false, false, true],
        Load | StoreReg | Atomic => [true, true, true, false],
        StoreImm => [true, false, true, true],
        Ja | MayGoto => [false, false, true, false],
        Ja32 => [false, false, false, true],
        JumpImm => [true, false, true, true],
        JumpReg => [true, true, true, false],
        Call => [false, false, false, true],
        Exit => [false, false, false, false],
        // The kernel's `check_ld_abs`: dst (r0 is implicit) and off must be 0, and src too
        // for BPF_ABS.
        PacketAbs => [false, false, false, true],
        PacketInd => [false, true, false, true],
    }
}

/// True when the form writes its `dst` register.
fn writes_dst(shape: Shape) -> bool {
    use Shape::*;
    matches!(
        shape,
        AluImm | AluReg | AluUnary | Endian | MovSx | LoadImm64 | Load
    )
}

fn select_row(slot: &Insn, pc: usize) -> Result<&'static OpDef, IsaError> {
    Op::of_slot(slot).map(Op::def).ok_or_else(|| {
        let detail = match rows_for_opcode(slot.opcode).first().map(|r| r.select) {
            None | Some(Select::None) => String::new(),
            Some(Select::Off(_)) => format!(" with off = {:#x}", i64::from(slot.off)),
            Some(Select::Imm(_)) => format!(" with imm = {:#x}", i64::from(slot.imm)),
            Some(Select::Src(_)) => format!(" with src = {:#x}", slot.src),
        };
        IsaError::UnknownOpcode {
            pc,
            opcode: slot.opcode,
            detail,
        }
    })
}

fn check_fields(slot: &Insn, def: &'static OpDef, pc: usize) -> Result<(), IsaError> {
    let [dst, src, mut off, imm] = used_fields(def.shape);
    // kfunc calls keep a module BTF index in `off`.
    off |= def.op == Op::CallKfunc;
    let selected = |field| {
        matches!(
            (def.select, field),
            (Select::Off(_), "off") | (Select::Imm(_), "imm") | (Select::Src(_), "src")
        )
    };
    let fields = [
        ("dst", dst, slot.dst as i64),
        ("src", src, slot.src as i64),
        ("off", off, slot.off as i64),
        ("imm", imm, slot.imm as i64),
    ];
    for (field, used, value) in fields {
        if !used && !selected(field) && value != 0 {
            return Err(IsaError::ReservedFieldNotZero {
                pc,
                mnemonic: def.mnemonic,
                field,
                value,
            });
        }
        let is_register = matches!(field, "dst" | "src") && used;
        if is_register && value > FRAME_POINTER as i64 {
            return Err(IsaError::InvalidRegister {
                pc,
                mnemonic: def.mnemonic,
                field,
                reg: value as u8,
            });
        }
    }
    let fetch_writes_src = def.shape == Shape::Atomic && (slot.imm & 0x01) != 0;
    if (writes_dst(def.shape) && slot.dst == FRAME_POINTER)
        || (fetch_writes_src && slot.src == FRAME_POINTER)
    {
        return Err(IsaError::WritesFramePointer {
            pc,
            mnemonic: def.mnemonic,
        });
    }
    Ok(())
}

/// Decodes and validates a whole program.
///
/// Rejects, naming the instruction index: unknown opcodes, non-zero reserved fields, invalid
/// registers, writes to r10, a truncated or malformed `lddw` pair, jumps and local calls out of
/// the program or into the middle of an `lddw`, and a last instruction that falls off the end.
/// (Function references are data until a program runs; [`Instruction::function_reference`]
/// names their target, which the VM checks at load.)
pub fn decode_program(slots: &[Insn]) -> Result<Validated, IsaError> {
    if slots.is_empty() {
        return Err(IsaError::EmptyProgram);
    }
    let mut program = Vec::with_capacity(slots.len());
    let mut lddw_second = vec![false; slots.len()];
    let mut pc = 0;
    while pc < slots.len() {
        let slot = &slots[pc];
        let def = select_row(slot, pc)?;
        check_fields(slot, def, pc)?;
        let mut imm = slot.imm as i64;
        if def.shape == Shape::LoadImm64 {
            let Some(next) = slots.get(pc + 1) else {
                return Err(IsaError::MalformedLddw {
                    pc,
                    reason: "its second slot is missing (program ends)",
                });
            };
            if next.opcode != 0 || next.dst != 0 || next.src != 0 || next.off != 0 {
                return Err(IsaError::MalformedLddw {
                    pc,
                    reason: "second slot must have opcode, registers and offset all 0",
                });
            }
            imm = (imm & 0xffff_ffff) | ((next.imm as i64) << 32);
            lddw_second[pc + 1] = true;
        }
        let insn = Instruction {
            pc,
            op: def.op,
            dst: slot.dst,
            src: slot.src,
            off: slot.off,
            imm,
        };
        pc += insn.slots();
        program.push(insn);
    }
    for insn in &program {
        if let Some(target) = insn.branch_target() {
            if target < 0 || target >= slots.len() as i64 {
                return Err(IsaError::JumpOutOfBounds {
                    pc: insn.pc,
                    target,
                    len: slots.len(),
                });
            }
            if lddw_second[target as usize] {
                return Err(IsaError::JumpIntoLddw {
                    pc: insn.pc,
                    target: target as usize,
                });
            }
        }
    }
    let last = program.last().expect("program is not empty");
    if !matches!(last.def().shape, Shape::Exit | Shape::Ja | Shape::Ja32) {
        return Err(IsaError::FallsOffEnd { pc: last.pc });
    }
    Ok(Validated {
        instructions: program,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{slots_from_bytes, slots_to_bytes};

    fn decode(bytes: &[u8]) -> Result<Validated, IsaError> {
        decode_program(&slots_from_bytes(bytes)?)
    }

    const EXIT: [u8; 8] = [0x95, 0, 0, 0, 0, 0, 0, 0];

    #[test]
    fn round_trips_lddw_and_selected_forms() {
        let mut bytes = vec![0x18, 0x01, 0, 0, 0x88, 0x77, 0x66, 0x55];
        bytes.extend([0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11]);
        bytes.extend([0x3f, 0x21, 1, 0, 0, 0, 0, 0]); // sdiv r1, r2
        bytes.extend([0xdb, 0x1a, 0xf8, 0xff, 0xf1, 0, 0, 0]); // cmpxchg
        bytes.extend(EXIT);
        let program = decode(&bytes).unwrap();
        assert_eq!(program[0].imm, 0x1122_3344_5566_7788);
        assert_eq!(program[1].op, Op::Sdiv64Reg);
        assert_eq!(program[2].op, Op::AtomicCmpxchg64);
        assert_eq!(slots_to_bytes(&encode_program(&program)), bytes);
    }

    #[test]
    fn rejects_with_instruction_index() {
        let bad_opcode = [[0x07, 0, 0, 0, 0, 0, 0, 0], [0x8f, 0, 0, 0, 0, 0, 0, 0]].concat();
        let err = decode(&bad_opcode).unwrap_err();
        assert!(
            matches!(err, IsaError::UnknownOpcode { pc: 1, .. }),
            "{err}"
        );

        let truncated_lddw = [0x18, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            decode(&truncated_lddw).unwrap_err(),
            IsaError::MalformedLddw { pc: 0, .. }
        ));

        let into_lddw = [
            [0x05, 0, 1, 0, 0, 0, 0, 0],
            [0x18, 0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 0],
            EXIT,
        ]
        .concat();
        assert_eq!(
            decode(&into_lddw).unwrap_err(),
            IsaError::JumpIntoLddw { pc: 0, target: 2 }
        );

        let out = [[0x05, 0, 5, 0, 0, 0, 0, 0], EXIT].concat();
        assert!(matches!(
            decode(&out).unwrap_err(),
            IsaError::JumpOutOfBounds { pc: 0, .. }
        ));

        let no_exit = [0xb7, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            decode(&no_exit).unwrap_err(),
            IsaError::FallsOffEnd { pc: 0 }
        );

        let write_r10 = [[0xb7, 0x0a, 0, 0, 0, 0, 0, 0], EXIT].concat();
        assert!(matches!(
            decode(&write_r10).unwrap_err(),
            IsaError::WritesFramePointer { pc: 0, .. }
        ));

        let bad_reg = [[0xbf, 0xb0, 0, 0, 0, 0, 0, 0], EXIT].concat();
        assert!(matches!(
            decode(&bad_reg).unwrap_err(),
            IsaError::InvalidRegister { pc: 0, reg: 11, .. }
        ));
    }

    /// Hand-built lists are validated like bytecode: what the VM relies on cannot be
    /// skipped by building `Instruction`s directly.
    #[test]
    fn hand_built_lists_are_validated() {
        let insn = |pc, op, dst, imm| Instruction {
            pc,
            op,
            dst,
            src: 0,
            off: 0,
            imm,
        };
        let exit = |pc| insn(pc, Op::Exit, 0, 0);
        let far_jump = Instruction {
            off: 1000,
            ..insn(0, Op::Ja, 0, 0)
        };
        assert!(matches!(
            Validated::new(vec![far_jump, exit(1)]),
            Err(IsaError::JumpOutOfBounds { pc: 0, .. })
        ));
        let frame_pointer = insn(0, Op::Mov64Imm, 10, 0x1000);
        let call = Instruction {
            src: 1,
            ..insn(1, Op::CallLocal, 0, 0)
        };
        assert!(matches!(
            Validated::new(vec![frame_pointer, call, exit(2)]),
            Err(IsaError::WritesFramePointer { pc: 0, .. })
        ));
        let wrong_pc = vec![insn(0, Op::Mov64Imm, 0, 1), exit(5)];
        assert!(matches!(
            Validated::new(wrong_pc),
            Err(IsaError::Inconsistent { index: 1, .. })
        ));
        let wide_imm = vec![insn(0, Op::Mov64Imm, 0, 1 << 40), exit(1)];
        assert!(matches!(
            Validated::new(wide_imm),
            Err(IsaError::Inconsistent { index: 0, .. })
        ));
        let good = vec![insn(0, Op::Mov64Imm, 0, -1), exit(1)];
        assert_eq!(Validated::new(good.clone()).unwrap().instructions(), good);
    }

    /// The legacy packet loads round-trip, and their reserved fields are checked as the
    /// kernel's `check_ld_abs` checks them (dst, off, and src for BPF_ABS must be 0; no
    /// 64-bit form).
    #[test]
    fn legacy_packet_loads() {
        let bytes = [
            [0x20, 0x00, 0, 0, 0x0c, 0, 0, 0],          // ldabsw 12
            [0x28, 0x00, 0, 0, 0x00, 0x00, 0xf0, 0xff], // ldabsh SKF_NET_OFF
            [0x30, 0x00, 0, 0, 0xff, 0xff, 0xff, 0x7f], // ldabsb 0x7fffffff
            [0x40, 0x30, 0, 0, 0xfc, 0xff, 0xff, 0xff], // ldindw %r3, -4
            [0x48, 0xa0, 0, 0, 0, 0, 0, 0],             // ldindh %r10, 0
            [0x50, 0x90, 0, 0, 2, 0, 0, 0],             // ldindb %r9, 2
            EXIT,
        ]
        .concat();
        let program = decode(&bytes).unwrap();
        let ops: Vec<Op> = program.iter().map(|i| i.op).collect();
        use Op::*;
        assert_eq!(ops, [LdAbsW, LdAbsH, LdAbsB, LdIndW, LdIndH, LdIndB, Exit]);
        assert_eq!(
            (program[1].imm, program[3].src, program[3].imm),
            (-0x10_0000, 3, -4)
        );
        assert_eq!(
            program[4].def().sem,
            crate::Semantics::LegacyPacketLoad {
                size: 2,
                indirect: true
            }
        );
        assert_eq!(slots_to_bytes(&encode_program(&program)), bytes);

        let reserved = |slot: [u8; 8]| decode(&[slot, EXIT].concat()).unwrap_err();
        for (slot, field, value) in [
            ([0x20, 0x01, 0, 0, 0, 0, 0, 0], "dst", 1), // r0 is implicit
            ([0x40, 0x32, 0, 0, 0, 0, 0, 0], "dst", 2),
            ([0x28, 0x10, 0, 0, 0, 0, 0, 0], "src", 1), // BPF_ABS has no register
            ([0x30, 0x00, 4, 0, 0, 0, 0, 0], "off", 4),
            ([0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0], "off", -1),
        ] {
            assert_eq!(
                reserved(slot),
                IsaError::ReservedFieldNotZero {
                    pc: 0,
                    mnemonic: rows_for_opcode(slot[0])[0].mnemonic,
                    field,
                    value
                },
                "{slot:02x?}"
            );
        }
        assert!(matches!(
            reserved([0x48, 0xb0, 0, 0, 0, 0, 0, 0]),
            IsaError::InvalidRegister { reg: 11, .. }
        ));
        // No 64-bit forms (BPF_ABS|BPF_DW, BPF_IND|BPF_DW), and no other BPF_LD mode.
        for opcode in [0x38, 0x58, 0x60, 0x80, 0xa0] {
            assert!(
                matches!(
                    reserved([opcode, 0, 0, 0, 0, 0, 0, 0]),
                    IsaError::UnknownOpcode { pc: 0, .. }
                ),
                "{opcode:#x}"
            );
        }
    }

    #[test]
    fn kfunc_calls_may_carry_an_offset() {
        let kfunc = [[0x85, 0x20, 3, 0, 9, 0, 0, 0], EXIT].concat();
        assert_eq!(decode(&kfunc).unwrap()[0].op, Op::CallKfunc);
        let helper = [[0x85, 0x00, 3, 0, 9, 0, 0, 0], EXIT].concat();
        assert!(decode(&helper).is_err());
    }
}
