//! `bpf_probe_read*`: copy memory (or a NUL-terminated string) from an address the program
//! computed, never faulting. Also the memory primitives the other pure helpers share.
//!
//! In the kernel these read arbitrary kernel or user memory with page faults disabled. In
//! ebee a program's world is its stack plus the memory the host registered or granted, so the
//! source must be memory the program may read ([`HelperEnv::read`] checks it); anything else
//! behaves like an unmapped kernel address: the destination is zeroed and the helper returns
//! `-EFAULT`.
//!
//! | id | helper | kernel scope | ebee |
//! |----|--------|--------------|------|
//! | 4 | `probe_read` | tracing programs only | [`Scope::Tracing`] |
//! | 45 | `probe_read_str` | tracing programs only | [`Scope::Tracing`] |
//! | 112 | `probe_read_user` | every type (with `CAP_PERFMON`) | [`Scope::Any`] |
//! | 113 | `probe_read_kernel` | every type (with `CAP_PERFMON`) | [`Scope::Any`] |
//! | 114 | `probe_read_user_str` | every type (with `CAP_PERFMON`) | [`Scope::Any`] |
//! | 115 | `probe_read_kernel_str` | every type (with `CAP_PERFMON`) | [`Scope::Any`] |
//!
//! Program memory is both "kernel" and "user" memory here: the `_user` variants read it too
//! (in Linux they read the current task's user space, where a BPF stack or map value is not).
//!
//! Kernel details kept (and compared with Linux 6.18 in `tests/pure_helpers.rs`): the size is
//! a `u32`; the `_kernel` variants return `-ERANGE` for the addresses x86-64's
//! `copy_from_kernel_nofault_allowed` refuses that ebee can recognise (the NULL page and
//! non-canonical addresses), even for size 0; otherwise size 0 returns 0; the string variants
//! copy up to and including the first NUL, always NUL-terminate (a string that does not fit
//! is cut to `size - 1` bytes), return the length including the NUL, and leave the rest of
//! the destination untouched on success. `probe_read` and `probe_read_str` are the x86-64
//! compat helpers: the `_user` rules below `TASK_SIZE` (where every ebee address lies), the
//! `_kernel` rules above.

use super::HelperDef;
use ebee_vm::{HelperEnv, HelperError};

/// A negative errno as a helper's r0.
pub(crate) fn neg(errno: i32) -> u64 {
    (-i64::from(errno)) as u64
}

/// The `len` bytes at `addr` if the program may read all of them.
pub(crate) fn read_mem(env: &HelperEnv<'_, '_>, addr: u64, len: usize) -> Option<Vec<u8>> {
    addr.checked_add(len as u64)?;
    env.read(addr, len).ok()
}

/// Writes `bytes` at `addr` if the program may write all of them; false otherwise.
pub(crate) fn write_mem(env: &mut HelperEnv<'_, '_>, addr: u64, bytes: &[u8]) -> bool {
    addr.checked_add(bytes.len() as u64).is_some() && env.write(addr, bytes).is_ok()
}

/// Zeroes `len` bytes at `addr` if the program may write them (checked before allocating, so
/// a huge `len` costs nothing).
pub(crate) fn zero_mem(env: &mut HelperEnv<'_, '_>, addr: u64, len: usize) -> bool {
    match read_mem(env, addr, len) {
        Some(mut bytes) => {
            bytes.fill(0);
            write_mem(env, addr, &bytes)
        }
        None => len == 0,
    }
}

/// Bytes read per attempt when scanning a string.
const CHUNK: usize = 64;

/// Copies a string as `strncpy_from_kernel_nofault(dst, addr, count)` does: up to and
/// including the first NUL, at most `count` bytes, the last forced to NUL when none was
/// found. `None` when a byte before that is not readable.
pub(crate) fn read_str(env: &HelperEnv<'_, '_>, addr: u64, count: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    while out.len() < count {
        let at = addr.checked_add(out.len() as u64)?;
        let want = (count - out.len()).min(CHUNK);
        // A chunk may run past the end of the region the string ends in: retry bytewise.
        let chunk = read_mem(env, at, want).or_else(|| read_mem(env, at, 1))?;
        if let Some(nul) = chunk.iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..=nul]);
            return Some(out);
        }
        out.extend_from_slice(&chunk);
    }
    if let Some(last) = out.last_mut() {
        *last = 0;
    }
    Some(out)
}

/// Whether x86-64's `copy_from_kernel_nofault_allowed` could accept `addr`: not in the NULL
/// page (a user address to the kernel) and canonical (48-bit virtual addresses).
fn kernel_address_allowed(addr: u64) -> bool {
    let high = addr >> 47;
    addr >= 4096 && (high == 0 || high == (1 << 17) - 1)
}

/// Which address checks a variant applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Space {
    User,
    Kernel,
}

/// `bpf_probe_read{,_user,_kernel}(dst, size, unsafe_ptr)`.
fn probe_read(env: &mut HelperEnv<'_, '_>, a: [u64; 5], space: Space) -> u64 {
    let (dst, size, src) = (a[0], a[1] as u32 as usize, a[2]);
    let result = if space == Space::Kernel && !kernel_address_allowed(src) {
        Err(libc::ERANGE)
    } else if size == 0 {
        Ok(())
    } else {
        match read_mem(env, src, size) {
            Some(bytes) if write_mem(env, dst, &bytes) => Ok(()),
            _ => Err(libc::EFAULT),
        }
    };
    match result {
        Ok(()) => 0,
        Err(errno) => {
            zero_mem(env, dst, size);
            neg(errno)
        }
    }
}

/// `bpf_probe_read{,_user,_kernel}_str(dst, size, unsafe_ptr)`.
fn probe_read_str(env: &mut HelperEnv<'_, '_>, a: [u64; 5], space: Space) -> u64 {
    let (dst, size, src) = (a[0], a[1] as u32 as usize, a[2]);
    if size == 0 {
        return 0;
    }
    let result = if space == Space::Kernel && !kernel_address_allowed(src) {
        Err(libc::ERANGE)
    } else {
        match read_str(env, src, size) {
            Some(bytes) if write_mem(env, dst, &bytes) => Ok(bytes.len() as u64),
            _ => Err(libc::EFAULT),
        }
    };
    result.unwrap_or_else(|errno| {
        zero_mem(env, dst, size);
        neg(errno)
    })
}

/// x86-64's `TASK_SIZE` (4-level page tables): the compat helpers treat addresses below it
/// as user addresses and the rest as kernel addresses.
const TASK_SIZE: u64 = 0x7fff_ffff_f000;

fn compat_space(addr: u64) -> Space {
    if addr < TASK_SIZE {
        Space::User
    } else {
        Space::Kernel
    }
}

fn read_compat(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(probe_read(env, a, compat_space(a[2])))
}

fn read_user(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(probe_read(env, a, Space::User))
}

fn read_kernel(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(probe_read(env, a, Space::Kernel))
}

fn read_str_compat(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(probe_read_str(env, a, compat_space(a[2])))
}

fn read_user_str(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(probe_read_str(env, a, Space::User))
}

fn read_kernel_str(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(probe_read_str(env, a, Space::Kernel))
}

/// The probe helpers.
pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(4, read_compat),
    HelperDef::new(45, read_str_compat),
    HelperDef::new(112, read_user),
    HelperDef::new(113, read_kernel),
    HelperDef::new(114, read_user_str),
    HelperDef::new(115, read_kernel_str),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_address_rules() {
        assert!(!kernel_address_allowed(0));
        assert!(!kernel_address_allowed(4095));
        assert!(kernel_address_allowed(4096));
        assert!(kernel_address_allowed(0x7fff_ffff_ffff));
        assert!(!kernel_address_allowed(0x8000_0000_0000));
        assert!(!kernel_address_allowed(0xdead_0000_0000_0000));
        assert!(kernel_address_allowed(0xffff_8881_0000_0000));
    }

    #[test]
    fn errno_encoding() {
        assert_eq!(neg(libc::EFAULT) as i64, -14);
        assert_eq!(neg(libc::ERANGE) as i64, -34);
    }
}
