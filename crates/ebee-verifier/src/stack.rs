//! One call frame's 512-byte stack, byte by byte: never written, written with a number, known
//! zero, or part of a spilled register (the kernel's `STACK_INVALID`, `STACK_MISC`,
//! `STACK_ZERO`, `STACK_SPILL`). Only slots ever written are stored, in offset order.

use crate::scalar::Scalar;
use crate::value::Reg;

/// Bytes in one frame's stack.
pub const STACK_SIZE: i64 = 512;

/// What one stack byte holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Byte {
    /// Never written.
    Invalid,
    /// Some number.
    Misc,
    /// Zero.
    Zero,
    /// Part of the slot's spilled register.
    Spill,
}

/// One 8-byte slot: its bytes, and the register spilled to its first bytes, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    /// The bytes, lowest address first.
    pub bytes: [Byte; 8],
    /// The register whose value the `Spill` bytes (a prefix) hold.
    pub spill: Option<Reg>,
}

impl Slot {
    const EMPTY: Slot = Slot {
        bytes: [Byte::Invalid; 8],
        spill: None,
    };

    fn spill_size(&self) -> usize {
        self.bytes.iter().take_while(|b| **b == Byte::Spill).count()
    }

    /// Turns the spill into plain number bytes (what a partial overwrite leaves).
    fn scrub(&mut self) {
        for b in &mut self.bytes {
            if *b == Byte::Spill {
                *b = Byte::Misc;
            }
        }
        self.spill = None;
    }
}

/// Why a stack access is refused (the caller adds the register and offsets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackFault {
    /// A read of bytes never written (only refused without `CAP_PERFMON`).
    Uninit,
    /// A narrow read of a spilled pointer.
    PartialFill,
    /// A narrow store of a pointer.
    PartialSpill,
    /// A store over part of a spilled pointer (only refused without `CAP_PERFMON`).
    CorruptSpill,
}

/// One frame's stack.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stack {
    /// `(slot index, slot)`, by index; slot `i` holds offsets `-8(i+1) .. -8i`.
    slots: Vec<(u8, Slot)>,
}

/// The slot index and byte position of frame offset `off` (-512..=-1).
fn locate(off: i64) -> (u8, usize) {
    let slot = (-off - 1) / 8;
    (slot as u8, (off + 8 * (slot + 1)) as usize)
}

impl Stack {
    fn slot(&self, index: u8) -> Option<&Slot> {
        self.slots
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .map(|at| &self.slots[at].1)
    }

    fn slot_mut(&mut self, index: u8) -> &mut Slot {
        let at = match self.slots.binary_search_by_key(&index, |(i, _)| *i) {
            Ok(at) => at,
            Err(at) => {
                self.slots.insert(at, (index, Slot::EMPTY));
                at
            }
        };
        &mut self.slots[at].1
    }

    /// The slots written so far, by index.
    pub fn slots(&self) -> impl Iterator<Item = (u8, &Slot)> {
        self.slots.iter().map(|(i, s)| (*i, s))
    }

    /// The deepest offset written (0 when nothing was).
    pub fn depth(&self) -> i64 {
        self.slots.last().map_or(0, |(i, _)| 8 * (*i as i64 + 1))
    }

    /// Reads `size` bytes at fixed offset `off` (aligned to `size`, inside the frame).
    /// `allow_uninit`: bytes never written read as unknown numbers (`CAP_PERFMON`).
    pub fn read(&self, off: i64, size: u8, allow_uninit: bool) -> Result<Reg, StackFault> {
        let (index, pos) = locate(off);
        let empty = Slot::EMPTY;
        let slot = self.slot(index).unwrap_or(&empty);
        let bytes = &slot.bytes[pos..pos + size as usize];
        if let Some(spilled) = slot.spill {
            let spill_size = slot.spill_size();
            if pos == 0 && size as usize == spill_size {
                return Ok(spilled);
            }
            if pos < spill_size && !matches!(spilled, Reg::Scalar(_)) {
                return Err(StackFault::PartialFill);
            }
        }
        if bytes.iter().all(|b| *b == Byte::Zero) {
            return Ok(Reg::constant(0));
        }
        if !allow_uninit && bytes.contains(&Byte::Invalid) {
            return Err(StackFault::Uninit);
        }
        Ok(Reg::Scalar(Scalar::loaded(size, false)))
    }

    /// Stores `size` bytes of `value` (`None`: a number from a helper or a variable-offset
    /// store) at fixed offset `off`. `spill`: a slot-aligned store that keeps the register
    /// (8 bytes, or a bounded number with `CAP_BPF`). `allow_ptr_leaks`: a pointer spill may
    /// be overwritten in part (it becomes a number).
    pub fn write(
        &mut self,
        off: i64,
        size: u8,
        value: Option<Reg>,
        spill: bool,
        allow_ptr_leaks: bool,
    ) -> Result<(), StackFault> {
        let (index, pos) = locate(off);
        let slot = self.slot_mut(index);
        let is_pointer = matches!(value, Some(Reg::Ptr(_)));
        if is_pointer && size != 8 {
            return Err(StackFault::PartialSpill);
        }
        if let Some(old) = slot.spill {
            if size != 8 && !matches!(old, Reg::Scalar(_)) && !allow_ptr_leaks {
                return Err(StackFault::CorruptSpill);
            }
            slot.scrub();
        }
        let range = pos..pos + size as usize;
        if (spill && pos == 0) || is_pointer {
            slot.bytes[range].fill(Byte::Spill);
            slot.spill = value;
        } else {
            let zero = value.is_some_and(|v| v.is_zero());
            slot.bytes[range].fill(if zero { Byte::Zero } else { Byte::Misc });
        }
        Ok(())
    }

    /// Marks bytes `lo..hi` (frame offsets) written with unknown numbers, destroying spills
    /// there (a helper writing memory, a variable-offset store).
    pub fn clobber(&mut self, lo: i64, hi: i64) {
        for off in lo..hi {
            let (index, pos) = locate(off);
            let slot = self.slot_mut(index);
            if slot.spill.is_some() {
                slot.scrub();
            }
            slot.bytes[pos] = Byte::Misc;
        }
    }

    /// Checks that bytes `lo..hi` can be read as data (a helper reading memory, a
    /// variable-offset load): written, or `allow_uninit`; spilled pointers only with
    /// `allow_ptr_leaks`.
    pub fn check_readable(
        &self,
        lo: i64,
        hi: i64,
        allow_uninit: bool,
        allow_ptr_leaks: bool,
    ) -> Result<(), (i64, StackFault)> {
        for off in lo..hi {
            let (index, pos) = locate(off);
            let Some(slot) = self.slot(index) else {
                if allow_uninit {
                    continue;
                }
                return Err((off, StackFault::Uninit));
            };
            match slot.bytes[pos] {
                Byte::Invalid if !allow_uninit => return Err((off, StackFault::Uninit)),
                Byte::Spill if !allow_ptr_leaks && !matches!(slot.spill, Some(Reg::Scalar(_))) => {
                    return Err((off, StackFault::PartialFill))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Turns spilled numbers into unknown numbers and zero bytes into unknown bytes.
    pub fn widen(&mut self) {
        for (_, slot) in &mut self.slots {
            if let Some(Reg::Scalar(_)) = slot.spill {
                slot.spill = Some(Reg::unknown());
            }
            for b in &mut slot.bytes {
                if *b == Byte::Zero {
                    *b = Byte::Misc;
                }
            }
        }
    }

    /// The spilled registers, for updates that apply to every copy of a register (NULL
    /// checks, packet ranges).
    pub fn spilled_mut(&mut self) -> impl Iterator<Item = &mut Reg> {
        self.slots.iter_mut().filter_map(|(_, s)| s.spill.as_mut())
    }
}
