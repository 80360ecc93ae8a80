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

    /// Slot index a jump or local call goes to, if this is one.
    pub fn branch_target(&self) -> Option<i64> {
        let next = self.pc as i64 + 1;
        match self.def().shape {
            Shape::Ja | Shape::JumpImm | Shape::JumpReg => Some(next + self.off as i64),
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
        Ja => [false, false, true, false],
        Ja32 => [false, false, false, true],
        JumpImm => [true, false, true, true],
        JumpReg => [true, true, true, false],
        Call => [false, false, false, true],
        Exit => [false, false, false, false],
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
    let rows = rows_for_opcode(slot.opcode);
    let unknown = |detail: String| IsaError::UnknownOpcode {
        pc,
        opcode: slot.opcode,
        detail,
    };
    match rows.first().map(|r| r.select) {
        None => Err(unknown(String::new())),
        Some(Select::None) => Ok(rows[0]),
        Some(kind) => {
            let (field, value) = match kind {
                Select::Off(_) => ("off", slot.off as i64),
                Select::Imm(_) => ("imm", slot.imm as i64),
                _ => ("src", slot.src as i64),
            };
            rows.iter()
                .copied()
                .find(|r| match r.select {
                    Select::Off(v) => v as i64 == value,
                    Select::Imm(v) => v as i64 == value,
                    Select::Src(v) => v as i64 == value,
                    Select::None => false,
                })
                .ok_or_else(|| unknown(format!(" with {field} = {value:#x}")))
        }
    }
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
pub fn decode_program(slots: &[Insn]) -> Result<Vec<Instruction>, IsaError> {
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
    Ok(program)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{slots_from_bytes, slots_to_bytes};

    fn decode(bytes: &[u8]) -> Result<Vec<Instruction>, IsaError> {
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

    #[test]
    fn kfunc_calls_may_carry_an_offset() {
        let kfunc = [[0x85, 0x20, 3, 0, 9, 0, 0, 0], EXIT].concat();
        assert_eq!(decode(&kfunc).unwrap()[0].op, Op::CallKfunc);
        let helper = [[0x85, 0x00, 3, 0, 9, 0, 0, 0], EXIT].concat();
        assert!(decode(&helper).is_err());
    }
}
