//! What each instruction form means, as columns of the opcode table ([`crate::OpDef::sem`]):
//! the operation, condition, width, access size and signedness that the interpreter, the
//! data-flow analysis, the verifier and a JIT all read, instead of each re-deriving them from
//! the opcode byte.
//!
//! [`Semantics::of`] computes the column from the encoding exactly as RFC 9669 defines it
//! (class in the low 3 bits, source bit 0x08, operation in the high 4 bits for ALU/JMP, size
//! and mode for memory instructions, the selecting `off`/`imm`/`src` field), once, at compile
//! time, for every row of the table.
//!
//! ```
//! use ebee_isa::{AluOp, Operand, Op, Semantics, Width};
//! assert_eq!(
//!     Op::Sdiv32Reg.def().sem,
//!     Semantics::Alu { op: AluOp::Sdiv, width: Width::W32, operand: Operand::Reg }
//! );
//! assert_eq!(Op::Ldxsh.def().sem, Semantics::Load { size: 2, sign_extend: true });
//! ```

use crate::opcode::Select;

/// Operand width of an ALU operation or a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// The low 32 bits; ALU results are zero-extended to 64 bits.
    W32,
    /// All 64 bits.
    W64,
}

/// Where the second operand comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// The sign-extended 32-bit immediate.
    Imm,
    /// The `src` register.
    Reg,
}

/// An ALU operation (`dst = dst op operand`, or `dst = operand` for moves).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    /// Wrapping addition.
    Add,
    /// Wrapping subtraction.
    Sub,
    /// Wrapping multiplication.
    Mul,
    /// Unsigned division; `x / 0 = 0`.
    Div,
    /// Signed division; `x / 0 = 0`, `MIN / -1 = MIN`.
    Sdiv,
    /// Bitwise or.
    Or,
    /// Bitwise and.
    And,
    /// Left shift by the operand masked to the width (`& 31` or `& 63`).
    Lsh,
    /// Logical right shift, masked like `Lsh`.
    Rsh,
    /// Two's complement negation of `dst` (no operand).
    Neg,
    /// Unsigned remainder; `x % 0 = x`.
    Mod,
    /// Signed remainder; `x % 0 = x`, `MIN % -1 = 0`.
    Smod,
    /// Bitwise exclusive or.
    Xor,
    /// `dst = operand`.
    Mov,
    /// `dst = operand` sign-extended from its low `bits` bits (8, 16 or 32).
    Movsx {
        /// Width of the source value in bits.
        bits: u8,
    },
    /// Arithmetic right shift, masked like `Lsh`.
    Arsh,
}

/// What a byte-order instruction does to the low `bits` bits of `dst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Convert to little-endian (on a little-endian host: truncate).
    ToLe,
    /// Convert to big-endian (on a little-endian host: swap).
    ToBe,
    /// Swap unconditionally (`bswap`, ALU64 class).
    Swap,
}

/// The condition of a conditional jump (`if dst cond operand`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    /// `==`.
    Eq,
    /// Unsigned `>`.
    Gt,
    /// Unsigned `>=`.
    Ge,
    /// `dst & operand != 0`.
    Set,
    /// `!=`.
    Ne,
    /// Signed `>`.
    Sgt,
    /// Signed `>=`.
    Sge,
    /// Unsigned `<`.
    Lt,
    /// Unsigned `<=`.
    Le,
    /// Signed `<`.
    Slt,
    /// Signed `<=`.
    Sle,
}

impl Cond {
    /// Whether `dst cond operand` holds for values already reduced to the comparison's width
    /// (`W32` compares the low 32 bits, signed as `i32`).
    #[inline(always)]
    pub fn holds(self, width: Width, dst: u64, operand: u64) -> bool {
        let (d, s, sd, ss) = match width {
            Width::W64 => (dst, operand, dst as i64, operand as i64),
            Width::W32 => {
                let (d, s) = (dst as u32, operand as u32);
                (d as u64, s as u64, d as i32 as i64, s as i32 as i64)
            }
        };
        match self {
            Cond::Eq => d == s,
            Cond::Gt => d > s,
            Cond::Ge => d >= s,
            Cond::Set => d & s != 0,
            Cond::Ne => d != s,
            Cond::Sgt => sd > ss,
            Cond::Sge => sd >= ss,
            Cond::Lt => d < s,
            Cond::Le => d <= s,
            Cond::Slt => sd < ss,
            Cond::Sle => sd <= ss,
        }
    }
}

/// The read-modify-write operation of an atomic instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    /// `*p += src`.
    Add,
    /// `*p |= src`.
    Or,
    /// `*p &= src`.
    And,
    /// `*p ^= src`.
    Xor,
    /// `src = xchg(*p, src)` (always fetches).
    Xchg,
    /// `r0 = cmpxchg(*p, r0, src)` (always fetches, into r0).
    Cmpxchg,
}

/// Which kind of call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// A helper by kernel id (`imm`).
    Helper,
    /// A bpf-to-bpf call to `pc + 1 + imm`.
    Local,
    /// A kernel function by BTF id (`imm`; `off` selects the module BTF).
    Kfunc,
    /// The helper whose id is in `dst` (`callx`).
    HelperInReg,
}

/// The meaning of one instruction form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Semantics {
    /// `dst = dst op operand` (or `dst = op dst`, `dst = operand`).
    Alu {
        /// The operation.
        op: AluOp,
        /// Operand width.
        width: Width,
        /// Immediate or register operand.
        operand: Operand,
    },
    /// Byte-order conversion of the low `bits` bits of `dst`, zero-extending the result.
    Endian {
        /// Which conversion.
        order: ByteOrder,
        /// 16, 32 or 64.
        bits: u8,
    },
    /// `dst = imm64`; `pseudo` is the `src` pseudo kind (0 for a plain constant).
    LoadImm64 {
        /// `BPF_PSEUDO_*` kind, 0 for a constant.
        pseudo: u8,
    },
    /// `dst = *(size *)(src + off)`, zero- or sign-extended.
    Load {
        /// Access size in bytes.
        size: u8,
        /// Whether the value is sign-extended to 64 bits.
        sign_extend: bool,
    },
    /// A legacy packet load (`ldabs*`, `ldind*`, RFC 9669 section 5.5): r0 = the `size` bytes
    /// of the packet of the skb in r6 at `imm` (or `src + imm`, the sum's low 32 bits taken
    /// as a signed offset), converted from network byte order; negative offsets
    /// `SKF_NET_OFF + n` / `SKF_LL_OFF + n` count from the network / link-layer header. Out
    /// of range, the current function returns 0 (the kernel's `bpf_gen_ld_abs`). r1-r5 are
    /// clobbered, as by a helper call.
    LegacyPacketLoad {
        /// Access size in bytes (1, 2 or 4).
        size: u8,
        /// Whether the offset is `src + imm` (`BPF_IND`) rather than `imm` (`BPF_ABS`).
        indirect: bool,
    },
    /// `*(size *)(dst + off) = operand`.
    Store {
        /// Access size in bytes.
        size: u8,
        /// Immediate or register value.
        operand: Operand,
    },
    /// Atomic read-modify-write of `*(size *)(dst + off)` with `src`.
    Atomic {
        /// The operation.
        op: AtomicOp,
        /// Access size in bytes (4 or 8).
        size: u8,
        /// Whether the old value is written back (to `src`, or `r0` for cmpxchg).
        fetch: bool,
    },
    /// A jump: unconditional when `cond` is `None`.
    Jump {
        /// The condition, `None` for `ja`/`gotol`.
        cond: Option<Cond>,
        /// Comparison width (JMP or JMP32 class).
        width: Width,
        /// Immediate or register operand of the comparison.
        operand: Operand,
        /// Whether the offset is the 32-bit `imm` (`gotol`) rather than `off`.
        long: bool,
    },
    /// A call.
    Call(CallKind),
    /// Return from the function (or the program) with r0.
    Exit,
    /// `may_goto`: a conditional jump taken once the function's loop allowance is spent.
    MayGoto,
}

impl Semantics {
    /// The meaning of the form with this opcode byte and selecting field, as RFC 9669
    /// encodes it. Panics (at compile time, since the table is a constant) for a byte that is
    /// not an instruction, so the table cannot hold one.
    pub const fn of(opcode: u8, select: Select) -> Semantics {
        let class = opcode & 0x07;
        let operand = if opcode & 0x08 != 0 {
            Operand::Reg
        } else {
            Operand::Imm
        };
        let size = match opcode & 0x18 {
            0x00 => 4,
            0x08 => 2,
            0x10 => 1,
            _ => 8,
        };
        match class {
            0x04 | 0x07 => {
                let width = if class == 0x07 {
                    Width::W64
                } else {
                    Width::W32
                };
                let signed = matches!(select, Select::Off(1));
                let op = match opcode & 0xf0 {
                    0x00 => AluOp::Add,
                    0x10 => AluOp::Sub,
                    0x20 => AluOp::Mul,
                    0x30 if signed => AluOp::Sdiv,
                    0x30 => AluOp::Div,
                    0x40 => AluOp::Or,
                    0x50 => AluOp::And,
                    0x60 => AluOp::Lsh,
                    0x70 => AluOp::Rsh,
                    0x80 => AluOp::Neg,
                    0x90 if signed => AluOp::Smod,
                    0x90 => AluOp::Mod,
                    0xa0 => AluOp::Xor,
                    0xb0 => match select {
                        Select::Off(bits) if bits != 0 => AluOp::Movsx { bits: bits as u8 },
                        _ => AluOp::Mov,
                    },
                    0xc0 => AluOp::Arsh,
                    0xd0 => {
                        let order = match (class, operand) {
                            (0x07, _) => ByteOrder::Swap,
                            (_, Operand::Reg) => ByteOrder::ToBe,
                            (_, Operand::Imm) => ByteOrder::ToLe,
                        };
                        let bits = match select {
                            Select::Imm(bits) => bits as u8,
                            _ => panic!("byte swap without a width"),
                        };
                        return Semantics::Endian { order, bits };
                    }
                    _ => panic!("not an ALU operation"),
                };
                Semantics::Alu { op, width, operand }
            }
            0x05 | 0x06 => {
                let width = if class == 0x05 {
                    Width::W64
                } else {
                    Width::W32
                };
                let cond = match opcode & 0xf0 {
                    0x00 => None,
                    0x10 => Some(Cond::Eq),
                    0x20 => Some(Cond::Gt),
                    0x30 => Some(Cond::Ge),
                    0x40 => Some(Cond::Set),
                    0x50 => Some(Cond::Ne),
                    0x60 => Some(Cond::Sgt),
                    0x70 => Some(Cond::Sge),
                    0x80 => {
                        let kind = match (operand, select) {
                            (Operand::Reg, _) => CallKind::HelperInReg,
                            (_, Select::Src(1)) => CallKind::Local,
                            (_, Select::Src(2)) => CallKind::Kfunc,
                            _ => CallKind::Helper,
                        };
                        return Semantics::Call(kind);
                    }
                    0x90 => return Semantics::Exit,
                    0xe0 if class == 0x05 => return Semantics::MayGoto,
                    0xa0 => Some(Cond::Lt),
                    0xb0 => Some(Cond::Le),
                    0xc0 => Some(Cond::Slt),
                    0xd0 => Some(Cond::Sle),
                    _ => panic!("not a jump"),
                };
                let long = cond.is_none() && class == 0x06;
                Semantics::Jump {
                    cond,
                    width,
                    operand,
                    long,
                }
            }
            0x00 => match (opcode & 0xe0, select) {
                (0x00, Select::Src(pseudo)) => Semantics::LoadImm64 { pseudo },
                (0x00, _) => panic!("lddw without a pseudo kind"),
                (0x20 | 0x40, _) if size == 8 => panic!("no 64-bit legacy packet load"),
                (0x20, _) => Semantics::LegacyPacketLoad {
                    size,
                    indirect: false,
                },
                (0x40, _) => Semantics::LegacyPacketLoad {
                    size,
                    indirect: true,
                },
                _ => panic!("not a BPF_LD mode"),
            },
            0x01 => Semantics::Load {
                size,
                sign_extend: opcode & 0xe0 == 0x80,
            },
            0x02 => Semantics::Store {
                size,
                operand: Operand::Imm,
            },
            0x03 if opcode & 0xe0 == 0xc0 => {
                let imm = match select {
                    Select::Imm(imm) => imm,
                    _ => panic!("atomic without an operation"),
                };
                let op = match imm & !1 {
                    0x00 => AtomicOp::Add,
                    0x40 => AtomicOp::Or,
                    0x50 => AtomicOp::And,
                    0xa0 => AtomicOp::Xor,
                    0xe0 => AtomicOp::Xchg,
                    0xf0 => AtomicOp::Cmpxchg,
                    _ => panic!("unknown atomic operation"),
                };
                Semantics::Atomic {
                    op,
                    size,
                    fetch: imm & 1 != 0,
                }
            }
            _ => Semantics::Store {
                size,
                operand: Operand::Reg,
            },
        }
    }

    /// Access size in bytes for loads (legacy packet loads included), stores and atomics.
    pub const fn access_size(self) -> Option<u8> {
        match self {
            Semantics::Load { size, .. }
            | Semantics::LegacyPacketLoad { size, .. }
            | Semantics::Store { size, .. }
            | Semantics::Atomic { size, .. } => Some(size),
            _ => None,
        }
    }
}
