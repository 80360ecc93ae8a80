//! Operand syntax of the conformance assembler: registers, memory operands, numbers, labels.

use crate::FRAME_POINTER;

/// True for a label name: `[A-Za-z_.][A-Za-z0-9_.]*`.
pub(super) fn is_label(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Parses `%r0`..`%r10`.
pub(super) fn register(text: &str) -> Result<u8, String> {
    let invalid = || format!("Invalid register: {text}");
    let digits = text.strip_prefix("%r").ok_or_else(invalid)?;
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match digits.parse::<u8>() {
        Ok(reg) if reg <= FRAME_POINTER && (digits.len() == 1 || !digits.starts_with('0')) => {
            Ok(reg)
        }
        _ => Err(invalid()),
    }
}

/// Parses `[%rN]`, `[%rN+off]` or `[%rN-off]` into the register and the 16-bit offset.
pub(super) fn memory(text: &str) -> Result<(u8, i16), String> {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(|| format!("expected a memory operand like [%r1+8], found `{text}`"))?;
    match inner.find(['+', '-']) {
        None => Ok((register(inner.trim())?, 0)),
        Some(at) => {
            let (reg, off) = inner.split_at(at);
            let off: String = off.chars().filter(|c| !c.is_whitespace()).collect();
            Ok((register(reg.trim())?, number(&off, 16)? as i16))
        }
    }
}

/// Parses a 32-bit immediate, returned sign-extended as the decoder stores it.
pub(super) fn imm32(text: &str) -> Result<i64, String> {
    Ok((number(text, 32)? as i32).into())
}

/// Parses a number for a field of `bits` bits (16, 32 or 64) and returns its two's-complement
/// bit pattern in the low `bits` bits. Decimal must fit as signed; hex may also be unsigned.
pub(super) fn number(text: &str, bits: u32) -> Result<i128, String> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or_default()),
        Some(b'+') => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    let hex_digits = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X"));
    let (digits, radix) = match hex_digits {
        Some(digits) => (digits, 16),
        None => (body, 10),
    };
    let valid =
        !digits.is_empty() && digits.len() <= 32 && digits.chars().all(|c| c.is_digit(radix));
    let magnitude = match i128::from_str_radix(digits, radix) {
        Ok(value) if valid => value,
        _ => return Err(format!("invalid number `{text}`")),
    };
    let value = if negative { -magnitude } else { magnitude };
    let signed_min = -(1i128 << (bits - 1));
    let max = if radix == 16 && !negative {
        (1i128 << bits) - 1
    } else {
        (1i128 << (bits - 1)) - 1
    };
    if value < signed_min || value > max {
        return Err(format!(
            "`{text}` is out of range for a {bits}-bit field \
             (decimal {signed_min}..={}, hex up to {:#x})",
            (1i128 << (bits - 1)) - 1,
            (1i128 << bits) - 1
        ));
    }
    Ok(value)
}
