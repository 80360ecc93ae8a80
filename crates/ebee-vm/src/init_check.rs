//! Load-time check that no instruction reads a register before every path to it has written
//! the register, as the kernel's verifier requires (`R0 !read_ok`).
//!
//! A forward data-flow over slots: the state is the set of registers written on every path.
//! At the entry and at every bpf-to-bpf function entry, r1–r5 (arguments) and r10 are set;
//! after a call, r0 is set and r1–r5 are clobbered, as in the kernel.

use crate::error::VmError;
use ebee_isa::{Instruction, Op, Shape};

type RegSet = u16;

const ARGS_AND_FP: RegSet = 0b100_0011_1110;
const ARGS: RegSet = 0b11_1110;

fn bit(reg: u8) -> RegSet {
    1 << reg
}

/// Registers `insn` reads and writes.
fn reads_writes(insn: &Instruction) -> (RegSet, RegSet) {
    let (d, s) = (bit(insn.dst), bit(insn.src));
    let is_mov = matches!(
        insn.op,
        Op::Mov64Imm | Op::Mov32Imm | Op::Mov64Reg | Op::Mov32Reg
    );
    match insn.def().shape {
        Shape::AluImm if is_mov => (0, d),
        Shape::AluReg if is_mov => (s, d),
        Shape::AluImm | Shape::AluUnary | Shape::Endian => (d, d),
        Shape::AluReg => (d | s, d),
        Shape::MovSx | Shape::Load => (s, d),
        Shape::LoadImm64 => (0, d),
        Shape::StoreImm | Shape::JumpImm | Shape::CallReg => (d, 0),
        Shape::StoreReg | Shape::JumpReg => (d | s, 0),
        Shape::Atomic => match insn.op {
            Op::AtomicCmpxchg32 | Op::AtomicCmpxchg64 => (d | s | bit(0), bit(0)),
            _ if insn.imm & 1 != 0 => (d | s, s),
            _ => (d | s, 0),
        },
        Shape::Ja | Shape::Ja32 | Shape::Call => (0, 0),
        Shape::Exit => (bit(0), 0),
    }
}

/// Adds `set`'s constraint to the state at `slot` (intersection), queueing it if it changed.
fn merge(state: &mut [Option<RegSet>], work: &mut Vec<usize>, slot: usize, set: RegSet) {
    let Some(entry) = state.get_mut(slot) else {
        return;
    };
    let merged = entry.map_or(set, |old| old & set);
    if *entry != Some(merged) {
        *entry = Some(merged);
        work.push(slot);
    }
}

/// Rejects the first read of a register that may be uninitialized.
pub(crate) fn check_initialized(program: &[Instruction]) -> Result<(), VmError> {
    let Some(last) = program.last() else {
        return Ok(());
    };
    let slots = last.pc + last.slots();
    let mut index_of_slot = vec![usize::MAX; slots];
    for (index, insn) in program.iter().enumerate() {
        index_of_slot[insn.pc] = index;
    }
    let mut state: Vec<Option<RegSet>> = vec![None; slots];
    let mut work = Vec::new();
    merge(&mut state, &mut work, 0, ARGS_AND_FP);
    while let Some(slot) = work.pop() {
        let (Some(set), Some(insn)) = (state[slot], program.get(index_of_slot[slot])) else {
            continue;
        };
        let (reads, writes) = reads_writes(insn);
        let missing = reads & !set;
        if missing != 0 {
            return Err(VmError::UninitializedRegister {
                pc: insn.pc,
                reg: missing.trailing_zeros() as u8,
            });
        }
        let mut after = set | writes;
        if matches!(insn.def().shape, Shape::Call | Shape::CallReg) {
            after = (after & !ARGS) | bit(0);
        }
        let target = insn.branch_target().map(|t| t as usize);
        match (insn.def().shape, target) {
            (Shape::Exit, _) => {}
            (Shape::Ja | Shape::Ja32, Some(target)) => merge(&mut state, &mut work, target, after),
            (Shape::Call, Some(entry)) => {
                merge(&mut state, &mut work, entry, ARGS_AND_FP);
                merge(&mut state, &mut work, insn.pc + 1, after);
            }
            (Shape::JumpImm | Shape::JumpReg, Some(target)) => {
                merge(&mut state, &mut work, target, after);
                merge(&mut state, &mut work, insn.pc + 1, after);
            }
            _ => merge(&mut state, &mut work, insn.pc + insn.slots(), after),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8]) -> Result<(), VmError> {
        let slots = ebee_isa::slots_from_bytes(bytes).unwrap();
        check_initialized(&ebee_isa::decode_program(&slots).unwrap())
    }

    const EXIT: [u8; 8] = [0x95, 0, 0, 0, 0, 0, 0, 0];

    #[test]
    fn exit_without_setting_r0_is_rejected() {
        let err = check(&EXIT).unwrap_err();
        assert_eq!(err, VmError::UninitializedRegister { pc: 0, reg: 0 });
    }

    #[test]
    fn one_path_missing_a_write_is_enough_to_reject() {
        // jeq r1, 0, +1; mov r0, 1; exit
        let bytes = [
            [0x15, 0x01, 1, 0, 0, 0, 0, 0],
            [0xb7, 0, 0, 0, 1, 0, 0, 0],
            EXIT,
        ]
        .concat();
        assert_eq!(
            check(&bytes).unwrap_err(),
            VmError::UninitializedRegister { pc: 2, reg: 0 }
        );
    }

    #[test]
    fn calls_clobber_argument_registers() {
        // call 5; mov r0, r1; exit
        let bytes = [
            [0x85, 0, 0, 0, 5, 0, 0, 0],
            [0xbf, 0x10, 0, 0, 0, 0, 0, 0],
            EXIT,
        ]
        .concat();
        assert_eq!(
            check(&bytes).unwrap_err(),
            VmError::UninitializedRegister { pc: 1, reg: 1 }
        );
        // call 5; exit  (r0 is the helper's result)
        assert!(check(&[[0x85, 0, 0, 0, 5, 0, 0, 0], EXIT].concat()).is_ok());
    }
}
