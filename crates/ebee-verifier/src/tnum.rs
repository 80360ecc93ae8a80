//! Tristate numbers ("tnums", the kernel's `kernel/bpf/tnum.c`): what is known about the
//! individual bits of a 64-bit value. A bit is known when its `mask` bit is 0, and then its
//! value is the `value` bit; a bit whose `mask` bit is 1 may be 0 or 1. Invariant:
//! `value & mask == 0`.

/// Known bits of a 64-bit value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tnum {
    /// The known bits' values (0 where unknown).
    pub value: u64,
    /// The unknown bits.
    pub mask: u64,
}

impl Tnum {
    /// Every bit known: the constant `value`.
    pub const fn constant(value: u64) -> Tnum {
        Tnum { value, mask: 0 }
    }

    /// Nothing known.
    pub const UNKNOWN: Tnum = Tnum {
        value: 0,
        mask: u64::MAX,
    };
}
