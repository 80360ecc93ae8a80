//! The opcode table: the single source of truth for every eBPF instruction ebee knows.
//!
//! Each row names one instruction form: its [`Op`] (what the interpreter, JIT and verifier
//! match on), its opcode byte, the field that tells it apart from other forms sharing the byte
//! ([`Select`]), the operand [`Shape`] (which fields it uses; every other field must be zero),
//! its mnemonic in the conformance-suite syntax, and its template in LLVM syntax.
//!
//! The decoder, encoder, assembler, both disassemblers and the interpreter all read this table;
//! no other list of opcodes or mnemonics exists in the project.
//!
//! LLVM templates use these placeholders: `$d`/`$s` a register as `rN` (64-bit forms) or `wN`
//! (32-bit forms), `$D`/`$S` always `rN`, `$a`/`$b` the dst/src register as `wN` when
//! disassembling for an ALU32 CPU (`llvm-objdump --mcpu=v3` and later) and `rN` otherwise, `$i`
//! the immediate, `$u` the low 32 bits of the immediate as unsigned hex, `$o` the signed memory
//! offset as `+ 0x..`/`- 0x..`, `$t` a jump target, `$L` the 64-bit immediate of `lddw`. The
//! templates are checked against `llvm-objdump-19` for every row (see `ebee-object`'s tests).

use crate::insn::Insn;
use crate::semantics::{Operand, Semantics};
use std::sync::OnceLock;

/// Which instruction field tells apart the forms that share one opcode byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    /// The opcode byte alone identifies the form.
    None,
    /// The `offset` field must hold this value (`sdiv`, `smod`, `movsx`).
    Off(i16),
    /// The `imm` field must hold this value (byte swaps, atomics).
    Imm(i32),
    /// The `src` register field must hold this value (`lddw` pseudo kinds, call kinds).
    Src(u8),
}

/// Which fields an instruction form uses. Fields a shape does not use must be zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `dst op= imm`.
    AluImm,
    /// `dst op= src`.
    AluReg,
    /// `dst = op dst` (neg).
    AluUnary,
    /// Byte swap of `dst`; the width is in `imm` (selected).
    Endian,
    /// `dst = (sN) src`; the width is in `offset` (selected).
    MovSx,
    /// `lddw dst, imm64`: two slots; the pseudo kind is in `src` (selected).
    LoadImm64,
    /// Legacy packet load at a constant offset (`ldabsw imm`): r0 = the packet's bytes at
    /// `imm`; the skb is implicitly r6. `dst`, `src` and `off` must be 0.
    PacketAbs,
    /// Legacy packet load at a register offset (`ldindw src, imm`): r0 = the packet's bytes
    /// at `src + imm`; the skb is implicitly r6. `dst` and `off` must be 0.
    PacketInd,
    /// `dst = *(size *)(src + off)`.
    Load,
    /// `*(size *)(dst + off) = imm`.
    StoreImm,
    /// `*(size *)(dst + off) = src`.
    StoreReg,
    /// Atomic read-modify-write of `*(size *)(dst + off)` with `src`; the operation is in `imm`.
    Atomic,
    /// `goto +off`.
    Ja,
    /// `gotol +imm` (32-bit jump offset).
    Ja32,
    /// `if dst cond imm goto +off`.
    JumpImm,
    /// `if dst cond src goto +off`.
    JumpReg,
    /// `call imm`: helper (src 0), local function (src 1, imm relative), kfunc (src 2).
    Call,
    /// `callx dst`: call the helper whose id is in `dst`.
    CallReg,
    /// `may_goto +off`: falls through while the function's loop allowance lasts, then jumps.
    MayGoto,
    /// `exit`.
    Exit,
}

/// One row of the opcode table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpDef {
    /// The operation, as the interpreter and verifier see it.
    pub op: Op,
    /// The opcode byte.
    pub opcode: u8,
    /// The field that separates this form from others with the same opcode byte.
    pub select: Select,
    /// Which fields the form uses.
    pub shape: Shape,
    /// Mnemonic in the conformance-suite syntax (`add32`, `ldxdw`, `lock fetch add`).
    pub mnemonic: &'static str,
    /// Template in LLVM (`llvm-objdump`) syntax.
    pub llvm: &'static str,
    /// What the form means: operation, condition, width, access size, signedness
    /// (computed from the encoding by [`Semantics::of`]).
    pub sem: Semantics,
}

impl OpDef {
    /// True for the 32-bit forms (ALU32, JMP32, 32-bit atomics), whose registers LLVM prints
    /// as `wN`.
    pub fn is_32bit(&self) -> bool {
        matches!(self.opcode & 0x07, 0x04 | 0x06) || (self.opcode == 0xc3)
    }

    #[cfg(test)]
    fn select_imm(&self) -> i32 {
        match self.select {
            Select::Imm(imm) => imm,
            _ => 0,
        }
    }

    /// Access size in bytes for loads, stores and atomics; `None` for other instructions.
    pub fn access_size(&self) -> Option<u8> {
        self.sem.access_size()
    }
}

macro_rules! opcode_table {
    ($( $(#[$doc:meta])* $variant:ident = $opcode:literal, $select:expr, $shape:ident, $mnemonic:literal, $llvm:literal; )*) => {
        /// Every instruction form ebee knows. Generated together with [`OPCODES`], so the two
        /// cannot disagree.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        #[allow(missing_docs)]
        pub enum Op { $( $(#[$doc])* $variant, )* }

        const TABLE: &[OpDef] = &[
            $( OpDef { op: Op::$variant, opcode: $opcode, select: $select, shape: Shape::$shape,
                       mnemonic: $mnemonic, llvm: $llvm, sem: Semantics::of($opcode, $select) }, )*
        ];

        /// Invokes the macro `$callback` with the name of every [`Op`] variant, in table
        /// order (`$callback! { Add64Imm, Add64Reg, … }`), so that a consumer can generate one
        /// match arm per form, each with the form's [`Op::semantics`] as a constant.
        ///
        /// ```
        /// macro_rules! count { ($($op:ident),*) => { [$(ebee_isa::Op::$op),*].len() } }
        /// assert_eq!(ebee_isa::for_each_op!(count), ebee_isa::OPCODES.len());
        /// ```
        #[macro_export]
        macro_rules! for_each_op {
            ($callback:ident) => { $callback! { $($variant),* } };
        }
    };
}

/// The opcode table, one row per instruction form, in [`Op`] order.
pub static OPCODES: &[OpDef] = TABLE;

use Select::{Imm, None as Any, Off, Src};

opcode_table! {
    // ALU64, immediate and register source.
    Add64Imm = 0x07, Any, AluImm, "add", "$d += $i";
    Add64Reg = 0x0f, Any, AluReg, "add", "$d += $s";
    Sub64Imm = 0x17, Any, AluImm, "sub", "$d -= $i";
    Sub64Reg = 0x1f, Any, AluReg, "sub", "$d -= $s";
    Mul64Imm = 0x27, Any, AluImm, "mul", "$d *= $i";
    Mul64Reg = 0x2f, Any, AluReg, "mul", "$d *= $s";
    Div64Imm = 0x37, Off(0), AluImm, "div", "$d /= $i";
    Div64Reg = 0x3f, Off(0), AluReg, "div", "$d /= $s";
    Sdiv64Imm = 0x37, Off(1), AluImm, "sdiv", "$d s/= $i";
    Sdiv64Reg = 0x3f, Off(1), AluReg, "sdiv", "$d s/= $s";
    Or64Imm = 0x47, Any, AluImm, "or", "$d |= $i";
    Or64Reg = 0x4f, Any, AluReg, "or", "$d |= $s";
    And64Imm = 0x57, Any, AluImm, "and", "$d &= $i";
    And64Reg = 0x5f, Any, AluReg, "and", "$d &= $s";
    Lsh64Imm = 0x67, Any, AluImm, "lsh", "$d <<= $i";
    Lsh64Reg = 0x6f, Any, AluReg, "lsh", "$d <<= $s";
    Rsh64Imm = 0x77, Any, AluImm, "rsh", "$d >>= $i";
    Rsh64Reg = 0x7f, Any, AluReg, "rsh", "$d >>= $s";
    Neg64 = 0x87, Any, AluUnary, "neg", "$d = -$d";
    Mod64Imm = 0x97, Off(0), AluImm, "mod", "$d %= $i";
    Mod64Reg = 0x9f, Off(0), AluReg, "mod", "$d %= $s";
    Smod64Imm = 0x97, Off(1), AluImm, "smod", "$d s%= $i";
    Smod64Reg = 0x9f, Off(1), AluReg, "smod", "$d s%= $s";
    Xor64Imm = 0xa7, Any, AluImm, "xor", "$d ^= $i";
    Xor64Reg = 0xaf, Any, AluReg, "xor", "$d ^= $s";
    Mov64Imm = 0xb7, Any, AluImm, "mov", "$d = $i";
    Mov64Reg = 0xbf, Off(0), AluReg, "mov", "$d = $s";
    Movsx8To64 = 0xbf, Off(8), MovSx, "movsx864", "$d = (s8)$s";
    Movsx16To64 = 0xbf, Off(16), MovSx, "movsx1664", "$d = (s16)$s";
    Movsx32To64 = 0xbf, Off(32), MovSx, "movsx3264", "$d = (s32)$s";
    Arsh64Imm = 0xc7, Any, AluImm, "arsh", "$d s>>= $i";
    Arsh64Reg = 0xcf, Any, AluReg, "arsh", "$d s>>= $s";
    Bswap16 = 0xd7, Imm(16), Endian, "bswap16", "$d = bswap16 $d";
    Bswap32 = 0xd7, Imm(32), Endian, "bswap32", "$d = bswap32 $d";
    Bswap64 = 0xd7, Imm(64), Endian, "bswap64", "$d = bswap64 $d";

    // ALU32: results are zero-extended to 64 bits.
    Add32Imm = 0x04, Any, AluImm, "add32", "$d += $i";
    Add32Reg = 0x0c, Any, AluReg, "add32", "$d += $s";
    Sub32Imm = 0x14, Any, AluImm, "sub32", "$d -= $i";
    Sub32Reg = 0x1c, Any, AluReg, "sub32", "$d -= $s";
    Mul32Imm = 0x24, Any, AluImm, "mul32", "$d *= $i";
    Mul32Reg = 0x2c, Any, AluReg, "mul32", "$d *= $s";
    Div32Imm = 0x34, Off(0), AluImm, "div32", "$d /= $i";
    Div32Reg = 0x3c, Off(0), AluReg, "div32", "$d /= $s";
    Sdiv32Imm = 0x34, Off(1), AluImm, "sdiv32", "$d s/= $i";
    Sdiv32Reg = 0x3c, Off(1), AluReg, "sdiv32", "$d s/= $s";
    Or32Imm = 0x44, Any, AluImm, "or32", "$d |= $i";
    Or32Reg = 0x4c, Any, AluReg, "or32", "$d |= $s";
    And32Imm = 0x54, Any, AluImm, "and32", "$d &= $i";
    And32Reg = 0x5c, Any, AluReg, "and32", "$d &= $s";
    Lsh32Imm = 0x64, Any, AluImm, "lsh32", "$d <<= $i";
    Lsh32Reg = 0x6c, Any, AluReg, "lsh32", "$d <<= $s";
    Rsh32Imm = 0x74, Any, AluImm, "rsh32", "$d >>= $i";
    Rsh32Reg = 0x7c, Any, AluReg, "rsh32", "$d >>= $s";
    Neg32 = 0x84, Any, AluUnary, "neg32", "$d = -$d";
    Mod32Imm = 0x94, Off(0), AluImm, "mod32", "$d %= $i";
    Mod32Reg = 0x9c, Off(0), AluReg, "mod32", "$d %= $s";
    Smod32Imm = 0x94, Off(1), AluImm, "smod32", "$d s%= $i";
    Smod32Reg = 0x9c, Off(1), AluReg, "smod32", "$d s%= $s";
    Xor32Imm = 0xa4, Any, AluImm, "xor32", "$d ^= $i";
    Xor32Reg = 0xac, Any, AluReg, "xor32", "$d ^= $s";
    Mov32Imm = 0xb4, Any, AluImm, "mov32", "$d = $i";
    Mov32Reg = 0xbc, Off(0), AluReg, "mov32", "$d = $s";
    Movsx8To32 = 0xbc, Off(8), MovSx, "movsx832", "$d = (s8)$s";
    Movsx16To32 = 0xbc, Off(16), MovSx, "movsx1632", "$d = (s16)$s";
    Arsh32Imm = 0xc4, Any, AluImm, "arsh32", "$d s>>= $i";
    Arsh32Reg = 0xcc, Any, AluReg, "arsh32", "$d s>>= $s";
    Le16 = 0xd4, Imm(16), Endian, "le16", "$D = le16 $D";
    Le32 = 0xd4, Imm(32), Endian, "le32", "$D = le32 $D";
    Le64 = 0xd4, Imm(64), Endian, "le64", "$D = le64 $D";
    Be16 = 0xdc, Imm(16), Endian, "be16", "$D = be16 $D";
    Be32 = 0xdc, Imm(32), Endian, "be32", "$D = be32 $D";
    Be64 = 0xdc, Imm(64), Endian, "be64", "$D = be64 $D";

    // 64-bit immediate loads; the pseudo kinds are resolved by the object loader.
    /// `lddw dst, imm64`: a plain 64-bit constant.
    Lddw = 0x18, Src(0), LoadImm64, "lddw", "$D = $L ll";
    /// The imm is a map file descriptor (BPF_PSEUDO_MAP_FD).
    LddwMapFd = 0x18, Src(1), LoadImm64, "lddw_map_fd", "ld_pseudo\t$D, 0x1, $u";
    /// The imm is a map fd; the second slot's imm is an offset into its value (BPF_PSEUDO_MAP_VALUE).
    LddwMapValue = 0x18, Src(2), LoadImm64, "lddw_map_value", "ld_pseudo\t$D, 0x2, $u";
    /// The imm is a BTF id of a kernel variable (BPF_PSEUDO_BTF_ID).
    LddwBtfId = 0x18, Src(3), LoadImm64, "lddw_btf_id", "ld_pseudo\t$D, 0x3, $u";
    /// The imm is a relative instruction offset of a function (BPF_PSEUDO_FUNC).
    LddwFunc = 0x18, Src(4), LoadImm64, "lddw_func", "ld_pseudo\t$D, 0x4, $u";
    /// The imm is an index into the program's map array (BPF_PSEUDO_MAP_IDX).
    LddwMapIdx = 0x18, Src(5), LoadImm64, "lddw_map_idx", "ld_pseudo\t$D, 0x5, $u";
    /// Map index plus value offset (BPF_PSEUDO_MAP_IDX_VALUE).
    LddwMapIdxValue = 0x18, Src(6), LoadImm64, "lddw_map_idx_value", "ld_pseudo\t$D, 0x6, $u";

    // Legacy packet access (RFC 9669 section 5.5; clang's `load_byte`/`load_half`/
    // `load_word`): r0 = ntoh(the `size` bytes of the skb in r6 at `imm` or `src + imm`);
    // out of range, the function returns 0. r1-r5 are clobbered, as by a call. LLVM prints
    // only the register of the indirect forms (not their `imm`), as ebee does.
    LdAbsW = 0x20, Any, PacketAbs, "ldabsw", "r0 = *(u32 *)skb[$i]";
    LdAbsH = 0x28, Any, PacketAbs, "ldabsh", "r0 = *(u16 *)skb[$i]";
    LdAbsB = 0x30, Any, PacketAbs, "ldabsb", "r0 = *(u8 *)skb[$i]";
    LdIndW = 0x40, Any, PacketInd, "ldindw", "r0 = *(u32 *)skb[$S]";
    LdIndH = 0x48, Any, PacketInd, "ldindh", "r0 = *(u16 *)skb[$S]";
    LdIndB = 0x50, Any, PacketInd, "ldindb", "r0 = *(u8 *)skb[$S]";

    // Loads, sign-extending loads and stores.
    Ldxw = 0x61, Any, Load, "ldxw", "$a = *(u32 *)($S $o)";
    Ldxh = 0x69, Any, Load, "ldxh", "$a = *(u16 *)($S $o)";
    Ldxb = 0x71, Any, Load, "ldxb", "$a = *(u8 *)($S $o)";
    Ldxdw = 0x79, Any, Load, "ldxdw", "$D = *(u64 *)($S $o)";
    Ldxsw = 0x81, Any, Load, "ldxsw", "$D = *(s32 *)($S $o)";
    Ldxsh = 0x89, Any, Load, "ldxsh", "$D = *(s16 *)($S $o)";
    Ldxsb = 0x91, Any, Load, "ldxsb", "$D = *(s8 *)($S $o)";
    Stw = 0x62, Any, StoreImm, "stw", "*(u32 *)($D $o) = $i";
    Sth = 0x6a, Any, StoreImm, "sth", "*(u16 *)($D $o) = $i";
    Stb = 0x72, Any, StoreImm, "stb", "*(u8 *)($D $o) = $i";
    Stdw = 0x7a, Any, StoreImm, "stdw", "*(u64 *)($D $o) = $i";
    Stxw = 0x63, Any, StoreReg, "stxw", "*(u32 *)($D $o) = $b";
    Stxh = 0x6b, Any, StoreReg, "stxh", "*(u16 *)($D $o) = $b";
    Stxb = 0x73, Any, StoreReg, "stxb", "*(u8 *)($D $o) = $b";
    Stxdw = 0x7b, Any, StoreReg, "stxdw", "*(u64 *)($D $o) = $S";

    // Atomics.
    AtomicAdd32 = 0xc3, Imm(0x00), Atomic, "lock add32", "lock *(u32 *)($D $o) += $b";
    AtomicOr32 = 0xc3, Imm(0x40), Atomic, "lock or32", "lock *(u32 *)($D $o) |= $s";
    AtomicAnd32 = 0xc3, Imm(0x50), Atomic, "lock and32", "lock *(u32 *)($D $o) &= $s";
    AtomicXor32 = 0xc3, Imm(0xa0), Atomic, "lock xor32", "lock *(u32 *)($D $o) ^= $s";
    AtomicFetchAdd32 = 0xc3, Imm(0x01), Atomic, "lock fetch add32", "$s = atomic_fetch_add((u32 *)($D $o), $s)";
    AtomicFetchOr32 = 0xc3, Imm(0x41), Atomic, "lock fetch or32", "$s = atomic_fetch_or((u32 *)($D $o), $s)";
    AtomicFetchAnd32 = 0xc3, Imm(0x51), Atomic, "lock fetch and32", "$s = atomic_fetch_and((u32 *)($D $o), $s)";
    AtomicFetchXor32 = 0xc3, Imm(0xa1), Atomic, "lock fetch xor32", "$s = atomic_fetch_xor((u32 *)($D $o), $s)";
    AtomicXchg32 = 0xc3, Imm(0xe1), Atomic, "lock xchg32", "$s = xchg32_32($D $o, $s)";
    AtomicCmpxchg32 = 0xc3, Imm(0xf1), Atomic, "lock cmpxchg32", "w0 = cmpxchg32_32($D $o, w0, $s)";
    AtomicAdd64 = 0xdb, Imm(0x00), Atomic, "lock add", "lock *(u64 *)($D $o) += $S";
    AtomicOr64 = 0xdb, Imm(0x40), Atomic, "lock or", "lock *(u64 *)($D $o) |= $S";
    AtomicAnd64 = 0xdb, Imm(0x50), Atomic, "lock and", "lock *(u64 *)($D $o) &= $S";
    AtomicXor64 = 0xdb, Imm(0xa0), Atomic, "lock xor", "lock *(u64 *)($D $o) ^= $S";
    AtomicFetchAdd64 = 0xdb, Imm(0x01), Atomic, "lock fetch add", "$S = atomic_fetch_add((u64 *)($D $o), $S)";
    AtomicFetchOr64 = 0xdb, Imm(0x41), Atomic, "lock fetch or", "$S = atomic_fetch_or((u64 *)($D $o), $S)";
    AtomicFetchAnd64 = 0xdb, Imm(0x51), Atomic, "lock fetch and", "$S = atomic_fetch_and((u64 *)($D $o), $S)";
    AtomicFetchXor64 = 0xdb, Imm(0xa1), Atomic, "lock fetch xor", "$S = atomic_fetch_xor((u64 *)($D $o), $S)";
    AtomicXchg64 = 0xdb, Imm(0xe1), Atomic, "lock xchg", "$S = xchg_64($D $o, $S)";
    AtomicCmpxchg64 = 0xdb, Imm(0xf1), Atomic, "lock cmpxchg", "r0 = cmpxchg_64($D $o, r0, $S)";

    // JMP: 64-bit comparisons, calls, exit.
    Ja = 0x05, Any, Ja, "ja", "goto $t";
    JeqImm = 0x15, Any, JumpImm, "jeq", "if $d == $i goto $t";
    JeqReg = 0x1d, Any, JumpReg, "jeq", "if $d == $s goto $t";
    JgtImm = 0x25, Any, JumpImm, "jgt", "if $d > $i goto $t";
    JgtReg = 0x2d, Any, JumpReg, "jgt", "if $d > $s goto $t";
    JgeImm = 0x35, Any, JumpImm, "jge", "if $d >= $i goto $t";
    JgeReg = 0x3d, Any, JumpReg, "jge", "if $d >= $s goto $t";
    JsetImm = 0x45, Any, JumpImm, "jset", "if $d & $i goto $t";
    JsetReg = 0x4d, Any, JumpReg, "jset", "if $d & $s goto $t";
    JneImm = 0x55, Any, JumpImm, "jne", "if $d != $i goto $t";
    JneReg = 0x5d, Any, JumpReg, "jne", "if $d != $s goto $t";
    JsgtImm = 0x65, Any, JumpImm, "jsgt", "if $d s> $i goto $t";
    JsgtReg = 0x6d, Any, JumpReg, "jsgt", "if $d s> $s goto $t";
    JsgeImm = 0x75, Any, JumpImm, "jsge", "if $d s>= $i goto $t";
    JsgeReg = 0x7d, Any, JumpReg, "jsge", "if $d s>= $s goto $t";
    JltImm = 0xa5, Any, JumpImm, "jlt", "if $d < $i goto $t";
    JltReg = 0xad, Any, JumpReg, "jlt", "if $d < $s goto $t";
    JleImm = 0xb5, Any, JumpImm, "jle", "if $d <= $i goto $t";
    JleReg = 0xbd, Any, JumpReg, "jle", "if $d <= $s goto $t";
    JsltImm = 0xc5, Any, JumpImm, "jslt", "if $d s< $i goto $t";
    JsltReg = 0xcd, Any, JumpReg, "jslt", "if $d s< $s goto $t";
    JsleImm = 0xd5, Any, JumpImm, "jsle", "if $d s<= $i goto $t";
    JsleReg = 0xdd, Any, JumpReg, "jsle", "if $d s<= $s goto $t";
    /// Call a helper by its kernel id.
    CallHelper = 0x85, Src(0), Call, "call", "call $i";
    /// Call a bpf-to-bpf function at `pc + 1 + imm`.
    CallLocal = 0x85, Src(1), Call, "call local", "call $i";
    /// Call a kernel function by BTF id (`offset` selects the module BTF).
    CallKfunc = 0x85, Src(2), Call, "call kfunc", "call $i";
    /// Call the helper whose id is held in `dst`.
    Callx = 0x8d, Any, CallReg, "call", "callx $D";
    Exit = 0x95, Any, Exit, "exit", "exit";
    /// `BPF_JCOND` with `src` `BPF_MAY_GOTO` (Linux 6.9): a bounded-loop escape that
    /// jumps once the function has taken it `BPF_MAX_LOOPS` times.
    MayGoto = 0xe5, Src(0), MayGoto, "may_goto", "may_goto $t";

    // JMP32: comparisons of the low 32 bits; `gotol` with a 32-bit offset.
    Ja32 = 0x06, Any, Ja32, "ja32", "gotol $t";
    Jeq32Imm = 0x16, Any, JumpImm, "jeq32", "if $d == $i goto $t";
    Jeq32Reg = 0x1e, Any, JumpReg, "jeq32", "if $d == $s goto $t";
    Jgt32Imm = 0x26, Any, JumpImm, "jgt32", "if $d > $i goto $t";
    Jgt32Reg = 0x2e, Any, JumpReg, "jgt32", "if $d > $s goto $t";
    Jge32Imm = 0x36, Any, JumpImm, "jge32", "if $d >= $i goto $t";
    Jge32Reg = 0x3e, Any, JumpReg, "jge32", "if $d >= $s goto $t";
    Jset32Imm = 0x46, Any, JumpImm, "jset32", "if $d & $i goto $t";
    Jset32Reg = 0x4e, Any, JumpReg, "jset32", "if $d & $s goto $t";
    Jne32Imm = 0x56, Any, JumpImm, "jne32", "if $d != $i goto $t";
    Jne32Reg = 0x5e, Any, JumpReg, "jne32", "if $d != $s goto $t";
    Jsgt32Imm = 0x66, Any, JumpImm, "jsgt32", "if $d s> $i goto $t";
    Jsgt32Reg = 0x6e, Any, JumpReg, "jsgt32", "if $d s> $s goto $t";
    Jsge32Imm = 0x76, Any, JumpImm, "jsge32", "if $d s>= $i goto $t";
    Jsge32Reg = 0x7e, Any, JumpReg, "jsge32", "if $d s>= $s goto $t";
    Jlt32Imm = 0xa6, Any, JumpImm, "jlt32", "if $d < $i goto $t";
    Jlt32Reg = 0xae, Any, JumpReg, "jlt32", "if $d < $s goto $t";
    Jle32Imm = 0xb6, Any, JumpImm, "jle32", "if $d <= $i goto $t";
    Jle32Reg = 0xbe, Any, JumpReg, "jle32", "if $d <= $s goto $t";
    Jslt32Imm = 0xc6, Any, JumpImm, "jslt32", "if $d s< $i goto $t";
    Jslt32Reg = 0xce, Any, JumpReg, "jslt32", "if $d s< $s goto $t";
    Jsle32Imm = 0xd6, Any, JumpImm, "jsle32", "if $d s<= $i goto $t";
    Jsle32Reg = 0xde, Any, JumpReg, "jsle32", "if $d s<= $s goto $t";
}

impl Op {
    /// This operation's row in [`OPCODES`].
    pub fn def(self) -> &'static OpDef {
        &OPCODES[self as usize]
    }

    /// This operation's [`Semantics`]; a `const fn`, so a match arm per [`Op`] (see
    /// [`for_each_op!`](crate::for_each_op)) can hold it as a constant.
    pub const fn semantics(self) -> Semantics {
        TABLE[self as usize].sem
    }

    /// The load of `size` bytes (1, 2, 4 or 8) from memory, zero-extending or
    /// sign-extending.
    pub fn load(size: u8, sign_extend: bool) -> Option<Op> {
        Op::find(Semantics::Load { size, sign_extend })
    }

    /// The store of `size` bytes from an immediate or a register.
    pub fn store(size: u8, operand: Operand) -> Option<Op> {
        Op::find(Semantics::Store { size, operand })
    }

    /// The form with these semantics (the first, for the few meanings two encodings share).
    pub fn find(sem: Semantics) -> Option<Op> {
        OPCODES.iter().find(|d| d.sem == sem).map(|d| d.op)
    }

    /// The form a raw slot encodes: the row with the slot's opcode byte whose selecting
    /// field ([`Select`]) the slot holds; `None` when there is no such row. The other fields
    /// are not checked ([`crate::decode_program`] does that).
    ///
    /// ```
    /// use ebee_isa::{Insn, Op, Semantics};
    /// let call = Insn { opcode: Op::CallLocal.def().opcode, src: 1, imm: -1, ..Insn::default() };
    /// assert_eq!(Op::of_slot(&call), Some(Op::CallLocal));
    /// let lddw = Insn { src: 5, ..Insn { opcode: Op::Lddw.def().opcode, ..call } };
    /// assert_eq!(Op::of_slot(&lddw).map(Op::semantics), Some(Semantics::LoadImm64 { pseudo: 5 }));
    /// assert_eq!(Op::of_slot(&Insn { src: 9, ..lddw }), None); // no pseudo kind 9
    /// assert_eq!(Op::of_slot(&Insn { opcode: 0xff, ..call }), None); // not an opcode
    /// ```
    pub fn of_slot(slot: &Insn) -> Option<Op> {
        rows_for_opcode(slot.opcode)
            .iter()
            .find(|def| match def.select {
                Select::None => true,
                Select::Off(off) => slot.off == off,
                Select::Imm(imm) => slot.imm == imm,
                Select::Src(src) => slot.src == src,
            })
            .map(|def| def.op)
    }
}

/// For each opcode byte, the rows of [`OPCODES`] that use it (built once from the table).
fn rows_by_opcode() -> &'static [Vec<&'static OpDef>; 256] {
    static INDEX: OnceLock<[Vec<&'static OpDef>; 256]> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: [Vec<&'static OpDef>; 256] = std::array::from_fn(|_| Vec::new());
        for def in OPCODES {
            index[def.opcode as usize].push(def);
        }
        index
    })
}

/// The rows of the table that share `opcode`; empty when the byte is not an eBPF opcode.
pub fn rows_for_opcode(opcode: u8) -> &'static [&'static OpDef] {
    &rows_by_opcode()[opcode as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_op_order() {
        for (index, def) in OPCODES.iter().enumerate() {
            assert_eq!(def.op as usize, index, "{:?}", def.op);
        }
    }

    #[test]
    fn semantics_agree_with_the_mnemonics() {
        use crate::semantics::*;
        let size = |suffix: &str| match suffix {
            "b" => 1,
            "h" => 2,
            "w" | "32" => 4,
            "dw" | "" => 8,
            other => panic!("size suffix {other}"),
        };
        for def in OPCODES {
            let m = def.mnemonic;
            if m.starts_with("ldabs") || m.starts_with("ldind") {
                assert!(
                    matches!(def.sem, Semantics::LegacyPacketLoad { .. }),
                    "{m} is {:?}",
                    def.sem
                );
            }
            let width = |w: Width| {
                if m.ends_with("32") {
                    w == Width::W32
                } else {
                    w == Width::W64
                }
            };
            match def.sem {
                Semantics::Alu {
                    op,
                    width: w,
                    operand,
                } => {
                    let name = match op {
                        AluOp::Movsx { bits } => format!("movsx{bits}"),
                        other => format!("{other:?}").to_lowercase(),
                    };
                    assert!(m.starts_with(&name), "{m} is {op:?}");
                    assert!(
                        width(w) || matches!(op, AluOp::Movsx { .. }),
                        "{m} is {w:?}"
                    );
                    let reg = matches!(def.shape, Shape::AluReg | Shape::MovSx);
                    assert_eq!(operand == Operand::Reg, reg, "{m}");
                }
                Semantics::Jump {
                    cond: Some(c),
                    width: w,
                    ..
                } => {
                    assert!(m.starts_with(&format!("j{c:?}").to_lowercase()), "{m}");
                    assert!(width(w), "{m} is {w:?}");
                }
                Semantics::Load {
                    size: s,
                    sign_extend,
                } => {
                    let suffix = m.trim_start_matches("ldxs").trim_start_matches("ldx");
                    assert_eq!(
                        (s, sign_extend),
                        (size(suffix), m.starts_with("ldxs")),
                        "{m}"
                    );
                }
                Semantics::Store { size: s, .. } => {
                    let suffix = m.trim_start_matches("stx").trim_start_matches("st");
                    assert_eq!(s, size(suffix), "{m}");
                }
                Semantics::LegacyPacketLoad { size: s, indirect } => {
                    let (mode, suffix) = m.split_at(5);
                    assert_eq!(mode, if indirect { "ldind" } else { "ldabs" }, "{m}");
                    assert_eq!(s, size(suffix), "{m}");
                    let shape = if indirect {
                        Shape::PacketInd
                    } else {
                        Shape::PacketAbs
                    };
                    assert_eq!(def.shape, shape, "{m}");
                }
                Semantics::Atomic { op, size: s, fetch } => {
                    let verb = format!("{op:?}").to_lowercase();
                    assert!(m.contains(&verb), "{m} is {op:?}");
                    assert_eq!(s, if m.ends_with("32") { 4 } else { 8 }, "{m}");
                    assert_eq!(
                        fetch,
                        def.select != Select::Imm(def.select_imm() & !1),
                        "{m}"
                    );
                }
                Semantics::Endian { bits, .. } => assert!(m.ends_with(&bits.to_string()), "{m}"),
                _ => {}
            }
        }
    }

    #[test]
    fn forms_sharing_a_byte_are_told_apart_by_one_field() {
        for opcode in 0..=255u8 {
            let rows = rows_for_opcode(opcode);
            if rows.len() > 1 {
                let kinds: Vec<_> = rows
                    .iter()
                    .map(|r| std::mem::discriminant(&r.select))
                    .collect();
                assert!(kinds.windows(2).all(|w| w[0] == w[1]), "{opcode:#x}");
                for (i, a) in rows.iter().enumerate() {
                    for b in &rows[i + 1..] {
                        assert_ne!(a.select, b.select, "{opcode:#x}");
                    }
                }
            }
        }
    }
}
