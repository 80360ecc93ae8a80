//! The value-level meaning of ALU, byte-order and memory operations, as RFC 9669 and Linux
//! define them. The interpreter calls these with constant operations (one per opcode-table
//! row), so each inlines to the one operation it names.

use ebee_isa::{AluOp, ByteOrder, Width};

/// `dst op operand` at `width`; 32-bit results are zero-extended.
#[inline(always)]
pub(crate) fn alu(op: AluOp, width: Width, d: u64, s: u64) -> u64 {
    match width {
        Width::W64 => match op {
            AluOp::Add => d.wrapping_add(s),
            AluOp::Sub => d.wrapping_sub(s),
            AluOp::Mul => d.wrapping_mul(s),
            AluOp::Div => d.checked_div(s).unwrap_or(0),
            AluOp::Sdiv => sdiv64(d, s),
            AluOp::Or => d | s,
            AluOp::And => d & s,
            AluOp::Lsh => d << (s & 63),
            AluOp::Rsh => d >> (s & 63),
            AluOp::Neg => d.wrapping_neg(),
            AluOp::Mod => d.checked_rem(s).unwrap_or(d),
            AluOp::Smod => smod64(d, s),
            AluOp::Xor => d ^ s,
            AluOp::Mov => s,
            AluOp::Movsx { bits } => sign_extend(s, bits),
            AluOp::Arsh => ((d as i64) >> (s & 63)) as u64,
        },
        Width::W32 => {
            let (d, s) = (d as u32, s as u32);
            (match op {
                AluOp::Add => d.wrapping_add(s),
                AluOp::Sub => d.wrapping_sub(s),
                AluOp::Mul => d.wrapping_mul(s),
                AluOp::Div => d.checked_div(s).unwrap_or(0),
                AluOp::Sdiv => sdiv32(d, s),
                AluOp::Or => d | s,
                AluOp::And => d & s,
                AluOp::Lsh => d << (s & 31),
                AluOp::Rsh => d >> (s & 31),
                AluOp::Neg => d.wrapping_neg(),
                AluOp::Mod => d.checked_rem(s).unwrap_or(d),
                AluOp::Smod => smod32(d, s),
                AluOp::Xor => d ^ s,
                AluOp::Mov => s,
                AluOp::Movsx { bits } => sign_extend(s as u64, bits) as u32,
                AluOp::Arsh => ((d as i32) >> (s & 31)) as u32,
            }) as u64
        }
    }
}

/// The low `bits` bits of `value`, sign-extended to 64 bits.
#[inline(always)]
fn sign_extend(value: u64, bits: u8) -> u64 {
    match bits {
        8 => value as i8 as i64 as u64,
        16 => value as i16 as i64 as u64,
        _ => value as i32 as i64 as u64,
    }
}

/// A byte-order conversion of the low `bits` bits of `d`, zero-extended.
#[inline(always)]
pub(crate) fn endian(order: ByteOrder, bits: u8, d: u64) -> u64 {
    match (order, bits) {
        (ByteOrder::ToLe, 16) => u16::from_le(d as u16) as u64,
        (ByteOrder::ToLe, 32) => u32::from_le(d as u32) as u64,
        (ByteOrder::ToLe, _) => u64::from_le(d),
        (ByteOrder::ToBe, 16) => u16::from_be(d as u16) as u64,
        (ByteOrder::ToBe, 32) => u32::from_be(d as u32) as u64,
        (ByteOrder::ToBe, _) => u64::from_be(d),
        (ByteOrder::Swap, 16) => (d as u16).swap_bytes() as u64,
        (ByteOrder::Swap, 32) => (d as u32).swap_bytes() as u64,
        (ByteOrder::Swap, _) => d.swap_bytes(),
    }
}

/// The low `size` bytes (1, 2 or 4) of `raw`, read from memory in network byte order,
/// as a number.
#[inline(always)]
pub(crate) fn from_network(size: u8, raw: u64) -> u64 {
    match size {
        1 => raw as u8 as u64,
        2 => u16::from_be(raw as u16) as u64,
        _ => u32::from_be(raw as u32) as u64,
    }
}

/// Reads `size` bytes at `addr`, zero- or sign-extended.
///
/// # Safety
/// `[addr, addr + size)` must be readable memory of the run whose provenance was exposed.
#[inline(always)]
pub(crate) unsafe fn load(addr: u64, size: u8, sign_extend: bool) -> u64 {
    macro_rules! read {
        ($ty:ty) => {{
            let ptr = std::ptr::with_exposed_provenance::<$ty>(addr as usize);
            // SAFETY: guaranteed by the caller.
            unsafe { ptr.read_unaligned() }
        }};
    }
    match (size, sign_extend) {
        (1, false) => read!(u8) as u64,
        (2, false) => read!(u16) as u64,
        (4, false) => read!(u32) as u64,
        (1, true) => read!(i8) as i64 as u64,
        (2, true) => read!(i16) as i64 as u64,
        (4, true) => read!(i32) as i64 as u64,
        _ => read!(u64),
    }
}

/// Writes the low `size` bytes of `value` at `addr`.
///
/// # Safety
/// `[addr, addr + size)` must be writable memory of the run whose provenance was exposed.
#[inline(always)]
pub(crate) unsafe fn store(addr: u64, size: u8, value: u64) {
    macro_rules! write {
        ($ty:ty) => {{
            let ptr = std::ptr::with_exposed_provenance_mut::<$ty>(addr as usize);
            // SAFETY: guaranteed by the caller.
            unsafe { ptr.write_unaligned(value as $ty) }
        }};
    }
    match size {
        1 => write!(u8),
        2 => write!(u16),
        4 => write!(u32),
        _ => write!(u64),
    }
}

/// Signed 64-bit division with the ISA's results: x / 0 = 0, INT_MIN / -1 = INT_MIN.
fn sdiv64(a: u64, b: u64) -> u64 {
    if b == 0 {
        0
    } else {
        (a as i64).wrapping_div(b as i64) as u64
    }
}

/// Signed 64-bit modulo: x % 0 = x, INT_MIN % -1 = 0.
fn smod64(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        (a as i64).wrapping_rem(b as i64) as u64
    }
}

fn sdiv32(a: u32, b: u32) -> u32 {
    if b == 0 {
        0
    } else {
        (a as i32).wrapping_div(b as i32) as u32
    }
}

fn smod32(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        (a as i32).wrapping_rem(b as i32) as u32
    }
}
