//! The kernel's BPF printf in two passes, as `kernel/bpf/helpers.c` and `lib/vsprintf.c` do
//! it:
//!
//! 1. [`prepare`] is `bpf_bprintf_prepare`: it checks the format against the BPF rules and
//!    packs the arguments into a "binary arguments" buffer of at most 512 bytes (integers as
//!    4 or 8 bytes at 4-byte alignment, `%c` as one byte, `%s` strings and pre-formatted
//!    `%pI4`/`%pI6`/`%pB` text inline with their NUL), reading strings and IP addresses from
//!    program memory at that point.
//! 2. [`bstr_printf`] is `bstr_printf`: it walks the format again with `vsnprintf`'s parser
//!    and formats from the buffer, truncating to the output size while counting the full
//!    length.
//!
//! Keeping the kernel's buffer layout (rather than a list of typed values) makes the corner
//! cases come out the same: the 512-byte budget (`-ENOSPC`), strings cut to the space left,
//! and formats the two passes read differently.

use crate::helpers::strings::{is_alnum, is_ascii_print, is_punct, is_space};

/// `MAX_BPRINTF_BIN_ARGS`: size of the binary arguments buffer.
pub(crate) const MAX_BIN_ARGS: usize = 512;
/// `FIELD_WIDTH_MAX`: the widest field `vsnprintf` pads to.
const FIELD_WIDTH_MAX: usize = (1 << 23) - 1;

/// Reads program memory the way the kernel's `*_nofault` accessors do.
pub(crate) trait Probe {
    /// `copy_from_kernel_nofault`: the `len` bytes at `addr`, or `None` on a fault.
    fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>>;
    /// `strncpy_from_kernel_nofault`: up to and including the first NUL, at most `count`
    /// bytes (the last forced to NUL), or `None` on a fault.
    fn read_str(&self, addr: u64, count: usize) -> Option<Vec<u8>>;
}

/// The binary arguments buffer being filled.
struct BinArgs(Vec<u8>);

impl BinArgs {
    fn left(&self) -> usize {
        MAX_BIN_ARGS.saturating_sub(self.0.len())
    }

    /// An integer or pointer of `size` (4 or 8) bytes at 4-byte alignment.
    fn push_int(&mut self, value: u64, size: usize) -> Result<(), i32> {
        let aligned = self.0.len().next_multiple_of(4);
        if MAX_BIN_ARGS.saturating_sub(aligned) < size {
            return Err(libc::ENOSPC);
        }
        self.0.resize(aligned, 0);
        self.0.extend_from_slice(&value.to_le_bytes()[..size]);
        Ok(())
    }

    /// Text `snprintf`'d into the space left. The kernel then advances by the untruncated
    /// length, which can run past the buffer; here the buffer just counts as full.
    fn push_text(&mut self, text: &[u8]) {
        let left = self.left();
        if left == 0 {
            return;
        }
        let n = text.len().min(left - 1);
        self.0.extend_from_slice(&text[..n]);
        self.0.push(0);
        if text.len() + 1 > left {
            self.0.resize(MAX_BIN_ARGS, 0);
        }
    }
}

/// `bpf_bprintf_prepare` for a format `fmt` (the bytes before its NUL) and the program's
/// arguments: the binary arguments, or a positive errno (`EINVAL`: bad format or more
/// conversions than arguments; `ENOSPC`: the arguments do not fit in 512 bytes).
pub(crate) fn prepare(fmt: &[u8], args: &[u64], mem: &dyn Probe) -> Result<Vec<u8>, i32> {
    let at = |i: usize| fmt.get(i).copied().unwrap_or(0);
    let mut bin = BinArgs(Vec::new());
    let mut num_spec = 0;
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        // ASCII control bytes other than whitespace are refused; bytes >= 0x80 (UTF-8 text)
        // are allowed outside conversions since "bpf: allow UTF-8 literals in
        // bpf_bprintf_prepare()" (7.1, backported to stable kernels).
        if c.is_ascii() && !is_ascii_print(c) && !is_space(c) {
            return Err(libc::EINVAL);
        }
        if c != b'%' {
            i += 1;
            continue;
        }
        if at(i + 1) == b'%' {
            i += 2;
            continue;
        }
        let Some(&arg) = args.get(num_spec) else {
            return Err(libc::EINVAL);
        };
        i += 1;
        if !at(i).is_ascii() {
            return Err(libc::EINVAL);
        }
        // Optional "[0 +-][num]" width.
        while matches!(at(i), b'0' | b'+' | b'-' | b' ') {
            i += 1;
        }
        if (b'1'..=b'9').contains(&at(i)) {
            i += 1;
            while at(i).is_ascii_digit() {
                i += 1;
            }
        }
        match at(i) {
            b'p' => {
                let next = at(i + 1);
                if next == 0 || is_space(next) || is_punct(next) {
                    bin.push_int(arg, 8)?;
                } else if matches!(next, b'k' | b'u') && at(i + 2) == b's' {
                    i += 2;
                    push_string(&mut bin, arg, at(i + 1), mem)?;
                } else if matches!(next, b'K' | b'x' | b's' | b'S') {
                    i += 1;
                    bin.push_int(arg, 8)?;
                } else if next == b'B' {
                    i += 1;
                    bin.push_text(format!("{arg:#x}").as_bytes());
                } else if matches!(next, b'i' | b'I') && matches!(at(i + 2), b'4' | b'6') {
                    i += 2;
                    let v6 = at(i) == b'6';
                    let size = if v6 { 16 } else { 4 };
                    if bin.left() < size {
                        return Err(libc::ENOSPC);
                    }
                    let mut ip = mem.read(arg, size).unwrap_or_default();
                    ip.resize(size, 0);
                    bin.push_text(format_ip(&ip, next == b'I').as_bytes());
                } else {
                    return Err(libc::EINVAL);
                }
            }
            b's' => push_string(&mut bin, arg, at(i + 1), mem)?,
            b'c' => {
                if bin.left() == 0 {
                    return Err(libc::ENOSPC);
                }
                bin.0.push(arg as u8);
            }
            _ => {
                let mut size = 4;
                if at(i) == b'l' {
                    size = 8;
                    i += 1;
                }
                if at(i) == b'l' {
                    i += 1;
                }
                if !matches!(at(i), b'i' | b'd' | b'u' | b'x' | b'X') {
                    return Err(libc::EINVAL);
                }
                bin.push_int(arg, size)?;
            }
        }
        num_spec += 1;
        i += 1;
    }
    Ok(bin.0)
}

/// A `%s` (or `%pks`/`%pus`) argument: the string copied into the space left, or an empty
/// string when it cannot be read. The conversion must end the format or be followed by a
/// space or punctuation.
fn push_string(bin: &mut BinArgs, addr: u64, follow: u8, mem: &dyn Probe) -> Result<(), i32> {
    if follow != 0 && !is_space(follow) && !is_punct(follow) {
        return Err(libc::EINVAL);
    }
    let left = bin.left();
    if left == 0 {
        return Err(libc::ENOSPC);
    }
    match mem.read_str(addr, left) {
        Some(s) if !s.is_empty() => bin.0.extend_from_slice(&s),
        _ => bin.0.push(0),
    }
    Ok(())
}

/// `%pI4` `1.2.3.4`, `%pi4` `001.002.003.004`, `%pI6` eight colon-separated groups of four
/// hex digits, `%pi6` 32 hex digits.
fn format_ip(ip: &[u8], upper: bool) -> String {
    if ip.len() == 4 {
        let parts: Vec<String> = ip
            .iter()
            .map(|b| {
                if upper {
                    b.to_string()
                } else {
                    format!("{b:03}")
                }
            })
            .collect();
        return parts.join(".");
    }
    let groups: Vec<String> = ip
        .chunks(2)
        .map(|g| format!("{:02x}{:02x}", g[0], g[1]))
        .collect();
    groups.join(if upper { ":" } else { "" })
}

/// Output of at most `cap` bytes that counts everything written to it.
struct Out {
    buf: Vec<u8>,
    cap: usize,
    len: usize,
}

impl Out {
    fn push(&mut self, bytes: &[u8]) {
        let room = self.cap.saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.len += bytes.len();
    }

    fn pad(&mut self, n: usize, c: u8) {
        let room = self.cap.saturating_sub(self.buf.len());
        self.buf.resize(self.buf.len() + n.min(room), c);
        self.len += n;
    }
}

const LEFT: u8 = 1;
const PLUS: u8 = 2;
const SPACE: u8 = 4;
const SPECIAL: u8 = 8;
const ZEROPAD: u8 = 16;

/// A conversion's flags and field width (`None`: not given).
#[derive(Clone, Copy)]
struct Spec {
    flags: u8,
    width: Option<usize>,
}

/// Reads values from the binary arguments as `bstr_printf`'s `get_arg` does; bytes past
/// the end read as zero.
struct Args<'a> {
    bin: &'a [u8],
    at: usize,
}

impl Args<'_> {
    fn take(&mut self, size: usize, align: usize) -> u64 {
        self.at = self.at.next_multiple_of(align);
        let mut bytes = [0u8; 8];
        for (i, b) in bytes.iter_mut().take(size).enumerate() {
            *b = self.bin.get(self.at + i).copied().unwrap_or(0);
        }
        self.at += size;
        u64::from_le_bytes(bytes)
    }

    fn take_str(&mut self) -> &[u8] {
        let rest = self.bin.get(self.at..).unwrap_or_default();
        let len = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        self.at += len + 1;
        &rest[..len]
    }
}

/// `bstr_printf(buf, size, fmt, bin)`: the bytes written before the terminating NUL (at
/// most `size - 1`) and the length the whole output has (what the kernel returns).
pub(crate) fn bstr_printf(size: usize, fmt: &[u8], bin: &[u8]) -> (Vec<u8>, usize) {
    if size > i32::MAX as usize {
        return (Vec::new(), 0);
    }
    let mut out = Out {
        buf: Vec::new(),
        cap: size,
        len: 0,
    };
    let mut args = Args { bin, at: 0 };
    let at = |i: usize| fmt.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while i < fmt.len() {
        let start = i;
        while i < fmt.len() && fmt[i] != b'%' {
            i += 1;
        }
        out.push(&fmt[start..i]);
        if i >= fmt.len() {
            break;
        }
        i += 1;
        let mut spec = Spec {
            flags: 0,
            width: None,
        };
        loop {
            spec.flags |= match at(i) {
                b'-' => LEFT,
                b'+' => PLUS,
                b' ' => SPACE,
                b'#' => SPECIAL,
                b'0' => ZEROPAD,
                _ => break,
            };
            i += 1;
        }
        if at(i).is_ascii_digit() {
            let mut width = 0usize;
            while at(i).is_ascii_digit() {
                width = width
                    .saturating_mul(10)
                    .saturating_add(usize::from(at(i) - b'0'));
                i += 1;
            }
            spec.width = Some(width.min(FIELD_WIDTH_MAX));
        }
        let mut qualifier = 0;
        if at(i) == b'l' {
            qualifier = 1;
            i += 1;
            if at(i) == b'l' {
                qualifier = 2;
                i += 1;
            }
        }
        let conv = at(i);
        i += 1;
        match conv {
            b'%' => out.push(b"%"),
            b'c' => {
                let c = args.take(1, 1) as u8;
                let pad = spec.width.unwrap_or(0).saturating_sub(1);
                let left = spec.flags & LEFT != 0;
                out.pad(if left { 0 } else { pad }, b' ');
                out.push(&[c]);
                out.pad(if left { pad } else { 0 }, b' ');
            }
            b's' => {
                let s = args.take_str().to_vec();
                widen(&mut out, &s, spec);
            }
            b'p' => {
                let ext = at(i);
                if matches!(ext, b'S' | b's' | b'x' | b'K' | b'e') || !is_alnum(ext) {
                    let ptr = args.take(8, 4);
                    pointer(&mut out, ext, ptr, spec);
                } else if out.buf.len() < out.cap {
                    // Pre-formatted by prepare (%pI4, %pB, %pks, …), printed without padding
                    // and only while the output has room, as the kernel does.
                    let s = args.take_str().to_vec();
                    out.push(&s);
                }
                while is_alnum(at(i)) {
                    i += 1;
                }
            }
            b'd' | b'i' | b'u' | b'x' | b'X' => {
                let signed = matches!(conv, b'd' | b'i');
                let num = match (qualifier, signed) {
                    (0, true) => args.take(4, 4) as u32 as i32 as i64 as u64,
                    (0, false) => args.take(4, 4),
                    _ => args.take(8, 4),
                };
                let base = if matches!(conv, b'x' | b'X') { 16 } else { 10 };
                number(&mut out, num, base, conv == b'x', signed, spec);
            }
            // vsnprintf stops at a conversion it does not know (prepare never lets one by).
            _ => break,
        }
    }
    let mut written = out.buf;
    written.truncate(size.saturating_sub(1));
    (written, out.len)
}

/// `string()`: `s` padded with spaces to the field width.
fn widen(out: &mut Out, s: &[u8], spec: Spec) {
    let pad = spec.width.unwrap_or(0).saturating_sub(s.len());
    if spec.flags & LEFT == 0 {
        out.pad(pad, b' ');
    }
    out.push(s);
    if spec.flags & LEFT != 0 {
        out.pad(pad, b' ');
    }
}

/// `number()` for bases 10 and 16 (no precision: BPF formats cannot have one).
fn number(out: &mut Out, mut num: u64, base: u64, small: bool, signed: bool, spec: Spec) {
    let mut flags = spec.flags;
    if flags & LEFT != 0 {
        flags &= !ZEROPAD;
    }
    let mut width = spec.width.map_or(-1, |w| w as i64);
    let mut sign = None;
    if signed {
        if (num as i64) < 0 {
            sign = Some(b'-');
            num = (num as i64).wrapping_neg() as u64;
        } else if flags & PLUS != 0 {
            sign = Some(b'+');
        } else if flags & SPACE != 0 {
            sign = Some(b' ');
        }
        width -= i64::from(sign.is_some());
    }
    let prefix: &[u8] = match (flags & SPECIAL != 0, base) {
        (true, 16) if small => b"0x",
        (true, 16) => b"0X",
        _ => b"",
    };
    width -= prefix.len() as i64;
    let digits = if base == 16 && small {
        format!("{num:x}")
    } else if base == 16 {
        format!("{num:X}")
    } else {
        num.to_string()
    };
    let pad = usize::try_from(width - digits.len() as i64).unwrap_or(0);
    if flags & (ZEROPAD | LEFT) == 0 {
        out.pad(pad, b' ');
    }
    if let Some(sign) = sign {
        out.push(&[sign]);
    }
    out.push(prefix);
    if flags & LEFT == 0 && flags & ZEROPAD != 0 {
        out.pad(pad, b'0');
    }
    out.push(digits.as_bytes());
    if flags & LEFT != 0 {
        out.pad(pad, b' ');
    }
}

/// `pointer()` for the conversions that print the pointer value itself.
fn pointer(out: &mut Out, ext: u8, ptr: u64, spec: Spec) {
    match ext {
        // Symbols: ebee programs have no kernel symbols, so the kernel's fallback text.
        b's' | b'S' => widen(out, format!("{ptr:#x}").as_bytes(), spec),
        b'x' => pointer_string(out, ptr, spec),
        // %p and %pK (kptr_restrict = 0): a hashed value, except NULL and error pointers.
        _ if ptr == 0 || ptr >= (-4095i64) as u64 => pointer_string(out, ptr, spec),
        _ => pointer_string(out, hash_pointer(ptr), spec),
    }
}

/// `pointer_string()`: hex, zero-padded to 16 digits unless a width was given.
fn pointer_string(out: &mut Out, value: u64, spec: Spec) {
    let spec = match spec.width {
        Some(_) => spec,
        None => Spec {
            flags: spec.flags | ZEROPAD,
            width: Some(16),
        },
    };
    number(out, value, 16, true, false, spec);
}

/// What `%p` prints for a pointer: like the kernel's `ptr_to_id`, a keyed hash (random per
/// process) cut to 32 bits, so the same pointer prints the same within a process.
fn hash_pointer(ptr: u64) -> u64 {
    use std::hash::BuildHasher;
    static KEY: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    KEY.get_or_init(Default::default).hash_one(ptr) & 0xffff_ffff
}
