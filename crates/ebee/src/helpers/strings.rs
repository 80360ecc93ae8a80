//! String helpers of `kernel/bpf/helpers.c`: `bpf_strtol` (105), `bpf_strtoul` (106) and
//! `bpf_strncmp` (182), plus the kernel's `<linux/ctype.h>` classes the format checks of
//! `trace.rs` share.
//!
//! All three are base helpers in the kernel (every program type may call them), so their
//! scope is [`Scope::Any`]. Memory the program may not read (the kernel's verifier would have
//! refused the program) gives `-EFAULT`.

use super::probe::{neg, read_mem, read_str, write_mem};
use super::HelperDef;
use ebee_vm::{HelperEnv, HelperError};

/// `isspace` of the kernel's Latin-1 ctype table (which counts 0xa0, no-break space).
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

/// `ispunct` of the kernel's Latin-1 ctype table.
pub(crate) fn is_punct(c: u8) -> bool {
    c.is_ascii_punctuation() || (0xa1..=0xbf).contains(&c) || c == 0xd7 || c == 0xf7
}

/// `isalnum` of the kernel's Latin-1 ctype table (0xc0–0xff are letters, except × and ÷).
pub(crate) fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || (c >= 0xc0 && c != 0xd7 && c != 0xf7)
}

/// `isprint && isascii`: the bytes (with [`is_space`]) a bpf printf format may contain.
pub(crate) fn is_ascii_print(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

/// What `strtol`/`strtoul` need to know about a parse: the magnitude, whether a `-` came
/// first, and how many bytes of the buffer were consumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The value without the sign.
    pub magnitude: u64,
    /// A `-` preceded the digits.
    pub negative: bool,
    /// Bytes consumed: leading whitespace, sign, base prefix and digits.
    pub consumed: usize,
}

/// `__bpf_strtoull`: parses `buf` with `flags` (the base: 0, 8, 10 or 16; no other bits).
/// Errors are positive errno values: `EINVAL` (bad flags, nothing to parse), `ERANGE`
/// (overflow). As in the kernel, only the first 63 bytes after whitespace and sign count.
pub(crate) fn parse_strtoull(buf: &[u8], flags: u64) -> Result<Parsed, i32> {
    const BASE_MASK: u64 = 0x1f;
    let mut base = (flags & BASE_MASK) as u32;
    if buf.is_empty() || !matches!(base, 0 | 8 | 10 | 16) || flags & !BASE_MASK != 0 {
        return Err(libc::EINVAL);
    }
    let mut at = buf.iter().take_while(|&&c| is_space(c)).count();
    let negative = buf.get(at) == Some(&b'-');
    at += usize::from(negative);
    if at == buf.len() {
        return Err(libc::EINVAL);
    }
    // The kernel copies at most 63 bytes into a NUL-terminated scratch string.
    let rest = &buf[at..buf.len().min(at + 63)];
    let byte = |i: usize| rest.get(i).copied().unwrap_or(0);
    // _parse_integer_fixup_radix
    if base == 0 {
        base = if byte(0) != b'0' {
            10
        } else if byte(1) | 0x20 == b'x' && byte(2).is_ascii_hexdigit() {
            16
        } else {
            8
        };
    }
    let mut i = 0;
    if base == 16 && byte(0) == b'0' && byte(1) | 0x20 == b'x' {
        i = 2;
    }
    // _parse_integer
    let (mut value, mut digits, mut overflow) = (0u64, 0usize, false);
    while let Some(digit) = (byte(i) as char).to_digit(16).filter(|&d| d < base) {
        let (mul, o1) = value.overflowing_mul(u64::from(base));
        let (sum, o2) = mul.overflowing_add(u64::from(digit));
        overflow |= o1 || o2;
        value = sum;
        digits += 1;
        i += 1;
    }
    if overflow {
        return Err(libc::ERANGE);
    }
    if digits == 0 {
        return Err(libc::EINVAL);
    }
    Ok(Parsed {
        magnitude: value,
        negative,
        consumed: at + i,
    })
}

/// `bpf_strtol`'s result: the value and the bytes consumed, or a positive errno.
pub(crate) fn strtol(buf: &[u8], flags: u64) -> Result<(i64, usize), i32> {
    let p = parse_strtoull(buf, flags)?;
    let value = if p.negative {
        let v = p.magnitude.wrapping_neg() as i64;
        if v > 0 {
            return Err(libc::ERANGE);
        }
        v
    } else {
        let v = p.magnitude as i64;
        if v < 0 {
            return Err(libc::ERANGE);
        }
        v
    };
    Ok((value, p.consumed))
}

/// `bpf_strtoul`'s result: the value and the bytes consumed, or a positive errno (a `-` is
/// `EINVAL`).
pub(crate) fn strtoul(buf: &[u8], flags: u64) -> Result<(u64, usize), i32> {
    let p = parse_strtoull(buf, flags)?;
    if p.negative {
        return Err(libc::EINVAL);
    }
    Ok((p.magnitude, p.consumed))
}

/// `strtol` or `strtoul` with the value as raw bits: (value, consumed) or a positive errno.
type Parser = fn(&[u8], u64) -> Result<(u64, usize), i32>;

/// Shared body of `bpf_strtol(buf, buf_len, flags, res)` and `bpf_strtoul`: `*res` is 0
/// unless the parse succeeds; r0 is the bytes consumed or a negative errno.
fn strtox(env: &mut HelperEnv<'_, '_>, a: [u64; 5], parse: Parser) -> u64 {
    let res = a[3];
    if !write_mem(env, res, &0u64.to_ne_bytes()) {
        return neg(libc::EFAULT);
    }
    // The kernel's own checks (`!buf || !buf_len`) come before any read.
    let (addr, len) = (a[0], a[1] as usize);
    if addr == 0 || len == 0 {
        return neg(libc::EINVAL);
    }
    let Some(buf) = read_mem(env, addr, len) else {
        return neg(libc::EFAULT);
    };
    match parse(&buf, a[2]) {
        Ok((value, consumed)) if write_mem(env, res, &value.to_ne_bytes()) => consumed as u64,
        Ok(_) => neg(libc::EFAULT),
        Err(errno) => neg(errno),
    }
}

fn strtol_helper(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(strtox(env, a, |buf, flags| {
        strtol(buf, flags).map(|(v, n)| (v as u64, n))
    }))
}

fn strtoul_helper(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(strtox(env, a, strtoul))
}

/// The kernel's `strncmp`: -1, 0 or 1 (x86-64 uses the generic C version).
pub(crate) fn strncmp(s1: &[u8], s2: &[u8], count: usize) -> i32 {
    for i in 0..count {
        let c1 = s1.get(i).copied().unwrap_or(0);
        let c2 = s2.get(i).copied().unwrap_or(0);
        if c1 != c2 {
            return if c1 < c2 { -1 } else { 1 };
        }
        if c1 == 0 {
            break;
        }
    }
    0
}

/// `bpf_strncmp(s1, s1_sz, s2)`: `s1` is `s1_sz` readable bytes, `s2` a NUL-terminated
/// constant string; compares at most `s1_sz` bytes.
fn strncmp_helper(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let size = a[1] as u32 as usize;
    if size == 0 {
        return Ok(0);
    }
    // s2 up to its NUL, or its first `size` bytes: no more decides.
    let s2 = read_str(env, a[2], size + 1).or_else(|| read_mem(env, a[2], size));
    let (Some(s1), Some(s2)) = (read_mem(env, a[0], size), s2) else {
        return Ok(neg(libc::EFAULT));
    };
    Ok(i64::from(strncmp(&s1, &s2, size)) as u64)
}

/// The string helpers.
pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(105, strtol_helper),
    HelperDef::new(106, strtoul_helper),
    HelperDef::new(182, strncmp_helper),
];

#[cfg(test)]
mod tests {
    use super::*;

    const EINVAL: i32 = libc::EINVAL;
    const ERANGE: i32 = libc::ERANGE;

    #[test]
    fn strtol_cases() {
        type Case = (&'static str, u64, Result<(i64, usize), i32>);
        let cases: &[Case] = &[
            ("123", 0, Ok((123, 3))),
            ("  -42xyz", 10, Ok((-42, 5))),
            ("\t\n+5", 0, Err(EINVAL)),
            ("0x1f", 0, Ok((31, 4))),
            ("0x1f", 16, Ok((31, 4))),
            ("1f", 16, Ok((31, 2))),
            ("0X", 0, Ok((0, 1))),
            ("0xg", 0, Ok((0, 1))),
            ("0xg", 16, Err(EINVAL)),
            ("0777", 0, Ok((511, 4))),
            ("0789", 0, Ok((7, 2))),
            ("789", 8, Ok((7, 1))),
            ("9223372036854775807", 0, Ok((i64::MAX, 19))),
            ("9223372036854775808", 0, Err(ERANGE)),
            ("-9223372036854775808", 0, Ok((i64::MIN, 20))),
            ("-9223372036854775809", 0, Err(ERANGE)),
            ("18446744073709551616", 0, Err(ERANGE)),
            ("-0", 0, Ok((0, 2))),
            ("-", 0, Err(EINVAL)),
            ("   ", 0, Err(EINVAL)),
            ("- 1", 0, Err(EINVAL)),
            ("1", 2, Err(EINVAL)),
            ("1", 10 | 0x20, Err(EINVAL)),
            ("\u{a0}7", 0, Err(EINVAL)), // UTF-8 for U+00A0 is c2 a0: c2 is not a space
        ];
        for (text, flags, want) in cases {
            assert_eq!(
                strtol(text.as_bytes(), *flags),
                *want,
                "{text:?} base {flags}"
            );
        }
        assert_eq!(
            strtol(b"\xa07", 0),
            Ok((7, 2)),
            "0xa0 is a space in the kernel"
        );
        assert_eq!(strtol(b"", 0), Err(EINVAL));
    }

    #[test]
    fn strtol_reads_at_most_63_bytes_after_the_sign() {
        let mut long = vec![b' '; 3];
        long.extend(std::iter::repeat_n(b'0', 70));
        long.push(b'7');
        assert_eq!(strtol(&long, 10), Ok((0, 3 + 63)));
    }

    #[test]
    fn strtoul_cases() {
        assert_eq!(strtoul(b"18446744073709551615", 0), Ok((u64::MAX, 20)));
        assert_eq!(strtoul(b"ffffffffffffffff", 16), Ok((u64::MAX, 16)));
        assert_eq!(strtoul(b"10000000000000000", 16), Err(ERANGE));
        assert_eq!(strtoul(b"-1", 0), Err(EINVAL));
        assert_eq!(strtoul(b"12 ", 0), Ok((12, 2)));
    }

    #[test]
    fn strncmp_cases() {
        assert_eq!(strncmp(b"abc", b"abc\0", 3), 0);
        assert_eq!(strncmp(b"abd", b"abc\0", 3), 1);
        assert_eq!(strncmp(b"ab\0", b"abc\0", 3), -1);
        assert_eq!(strncmp(b"abcdef", b"abc\0", 3), 0);
        assert_eq!(strncmp(b"abcdef", b"abc\0", 4), 1);
        assert_eq!(strncmp(b"\xff", b"a\0", 1), 1, "bytes compare unsigned");
        assert_eq!(strncmp(b"", b"\0", 0), 0);
    }

    #[test]
    fn ctype() {
        assert!(is_space(0xa0) && is_space(b'\x0b') && !is_space(0x85));
        assert!(is_punct(b'%') && is_punct(0xd7) && !is_punct(b'a') && !is_punct(0xc0));
        assert!(is_ascii_print(b' ') && !is_ascii_print(0x7f) && !is_ascii_print(b'\n'));
        assert!(
            is_alnum(b'z')
                && is_alnum(0xc3)
                && is_alnum(0xff)
                && !is_alnum(0xd7)
                && !is_alnum(0xa9)
        );
    }
}
