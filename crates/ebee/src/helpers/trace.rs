//! printf-style helpers: `bpf_trace_printk` (6), `bpf_snprintf` (165) and
//! `bpf_trace_vprintk` (177), formatting exactly as Linux does (see [`printf`] for how).
//!
//! The format rules are `bpf_bprintf_prepare`'s (Linux 6.18.y): the format must be
//! NUL-terminated (within `fmt_size` for the printk helpers), contain no ASCII control bytes
//! but whitespace (bytes from 0x80 up, UTF-8 text, are fine outside conversions), and use
//! only `%d %i %u %x %X` (optionally with `l` or `ll`), `%c`, `%s`, `%%`, and the pointer
//! conversions `%p %pK %px %ps %pS %pB %pks %pus %pi4 %pI4 %pi6 %pI6`, each with optional
//! `0`, `+`, `-`, space flags and a width (no precision, no `*`). `%s` and `%p*s` must be
//! followed by the end of the format, whitespace or punctuation. A bad format, or more
//! conversions than arguments (3 for `trace_printk`, `data_len / 8` ≤ 12 otherwise), is
//! `-EINVAL`; arguments that need more than 512 bytes in the kernel's packed form are
//! `-ENOSPC`. `%s` strings (and `%pI4`/`%pI6` addresses) are read from program memory;
//! an unreadable one prints as an empty string (zero address).
//!
//! Output: `trace_printk` and `trace_vprintk` format into 1024 bytes (longer output is cut
//! to 1023) and hand the text up to its first NUL to [`crate::runtime::TraceSink::trace`];
//! they return the length the whole output has, as the kernel does. `snprintf` writes at
//! most `str_size` bytes including the NUL and returns the whole output's length plus one
//! (the NUL).
//!
//! All three helpers are [`Scope::Any`], as in the kernel (base helpers for `CAP_PERFMON`
//! loaders). Where ebee cannot, or will not, match the kernel:
//! - `%p`/`%pK` print a hash of the pointer with a per-process key (the kernel hashes with a
//!   per-boot key; `%pK` follows `kptr_restrict=0`);
//! - `%ps`/`%pS`/`%pB` print `0x…`, the kernel's text for addresses without a symbol;
//! - `%pus` reads program memory like `%pks` (Linux reads the current task's user space);
//! - when pre-formatted `%pB`/`%pI*` text is cut short at the end of the 512-byte argument
//!   buffer, the kernel moves past the buffer's end; ebee counts the buffer as full;
//! - when the output is already full at a pre-formatted conversion (`%pB`, `%pI*`, `%pks`,
//!   `%pus`), both neither count nor skip its text, as `bstr_printf` does, so later
//!   conversions read misplaced argument bytes: in Linux partly stale per-CPU buffer
//!   contents, in ebee zeros;
//!
//! `tests/pure_helpers.rs` compares `snprintf` output and return values, and the printk
//! helpers' return values and printed text (read back from tracefs), with Linux 6.18 for a
//! few hundred format/argument/size cases.

mod printf;

use super::probe::{neg, read_mem, read_str, write_mem};
use super::HelperDef;
use crate::runtime::Runtime;
use ebee_vm::{HelperEnv, HelperError};
use printf::Probe;

/// `MAX_BPRINTF_VARARGS`: arguments `snprintf` and `trace_vprintk` accept.
const MAX_VARARGS: u64 = 12;
/// `MAX_TRACE_PRINTK_VARARGS`.
const MAX_TRACE_PRINTK_VARARGS: usize = 3;
/// `MAX_BPRINTF_BUF`: the printk helpers' output buffer.
const MAX_BPRINTF_BUF: usize = 1024;
/// Longest `snprintf` format ebee looks for a NUL in (the kernel's verifier guarantees one).
const MAX_CONST_STR: usize = 1 << 20;

impl Probe for HelperEnv<'_, '_> {
    fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        read_mem(self, addr, len)
    }

    fn read_str(&self, addr: u64, count: usize) -> Option<Vec<u8>> {
        read_str(self, addr, count)
    }
}

/// Formats `fmt` (without its NUL) with `args` into at most `size` bytes: the bytes before
/// the NUL and the whole output's length, or a positive errno.
pub(crate) fn format(
    fmt: &[u8],
    args: &[u64],
    size: usize,
    mem: &dyn Probe,
) -> Result<(Vec<u8>, usize), i32> {
    let bin = printf::prepare(fmt, args, mem)?;
    Ok(printf::bstr_printf(size, fmt, &bin))
}

/// The format of a printk helper: `fmt_size` readable bytes that must hold a NUL
/// (`strnchr(fmt, fmt_size, 0)`). Errors are positive errno values.
fn printk_format(env: &HelperEnv<'_, '_>, addr: u64, size: u64) -> Result<Vec<u8>, i32> {
    let size = size as u32 as usize;
    if size == 0 {
        return Err(libc::EINVAL);
    }
    let mut fmt = read_mem(env, addr, size).ok_or(libc::EFAULT)?;
    let nul = fmt.iter().position(|&b| b == 0).ok_or(libc::EINVAL)?;
    fmt.truncate(nul);
    Ok(fmt)
}

/// The `(args, data_len)` array of `snprintf` and `trace_vprintk`.
fn arg_array(env: &HelperEnv<'_, '_>, addr: u64, data_len: u64) -> Result<Vec<u64>, i32> {
    let data_len = data_len as u32 as u64;
    if !data_len.is_multiple_of(8) || data_len > MAX_VARARGS * 8 || (data_len != 0 && addr == 0) {
        return Err(libc::EINVAL);
    }
    if data_len == 0 {
        return Ok(Vec::new());
    }
    let bytes = read_mem(env, addr, data_len as usize).ok_or(libc::EFAULT)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect())
}

/// Formats for the trace pipe and emits the message; returns r0.
fn printk(runtime: &Runtime, env: &HelperEnv<'_, '_>, fmt: &[u8], args: &[u64]) -> u64 {
    match format(fmt, args, MAX_BPRINTF_BUF, env) {
        Ok((text, len)) => {
            let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
            runtime.trace.trace(&text[..end]);
            len as u64
        }
        Err(errno) => neg(errno),
    }
}

/// `bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3)`.
fn trace_printk(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    Ok(match printk_format(env, a[0], a[1]) {
        Ok(fmt) => printk(rt, env, &fmt, &a[2..2 + MAX_TRACE_PRINTK_VARARGS]),
        Err(errno) => neg(errno),
    })
}

/// `bpf_trace_vprintk(fmt, fmt_size, args, data_len)`.
fn trace_vprintk(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let input =
        arg_array(env, a[2], a[3]).and_then(|args| Ok((printk_format(env, a[0], a[1])?, args)));
    Ok(match input {
        Ok((fmt, args)) => printk(rt, env, &fmt, &args),
        Err(errno) => neg(errno),
    })
}

/// `bpf_snprintf(str, str_size, fmt, data, data_len)`.
fn snprintf(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (dst, size) = (a[0], a[1] as u32 as usize);
    let args = match arg_array(env, a[3], a[4]) {
        Ok(args) => args,
        Err(errno) => return Ok(neg(errno)),
    };
    // The destination must be `str_size` bytes of program memory (the verifier's check).
    if size != 0 && read_mem(env, dst, size).is_none() {
        return Ok(neg(libc::EFAULT));
    }
    // The format up to its NUL (read_str ends what it returns with one).
    let Some(mut fmt) = read_str(env, a[2], MAX_CONST_STR + 1) else {
        return Ok(neg(libc::EFAULT));
    };
    fmt.pop();
    if fmt.len() >= MAX_CONST_STR {
        return Ok(neg(libc::EINVAL));
    }
    let (mut text, len) = match format(&fmt, &args, size, env) {
        Ok(output) => output,
        Err(errno) => return Ok(neg(errno)),
    };
    // bstr_printf writes nothing when str_size exceeds INT_MAX; otherwise text and NUL.
    if size != 0 && size <= i32::MAX as usize {
        text.push(0);
        if !write_mem(env, dst, &text) {
            return Ok(neg(libc::EFAULT));
        }
    }
    Ok(len as u64 + 1)
}

/// The printf helpers.
pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(6, trace_printk),
    HelperDef::new(165, snprintf),
    HelperDef::new(177, trace_vprintk),
];

#[cfg(test)]
mod tests;
