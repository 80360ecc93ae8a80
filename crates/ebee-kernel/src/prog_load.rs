//! `BPF_PROG_LOAD`: raw instructions into a program fd, with or without the verifier log.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::sys::{bpf, len_u32, BPF_PROG_LOAD};

/// The `BPF_PROG_LOAD` member of `union bpf_attr`, up to `expected_attach_type`.
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

/// Loads a program from raw instructions with `BPF_PROG_LOAD` (no verifier log).
pub(crate) fn prog_load(prog_type: u32, insns: &[u64]) -> io::Result<OwnedFd> {
    static LICENSE: &[u8] = b"GPL\0";
    let mut attr = ProgLoadAttr {
        prog_type,
        insn_cnt: len_u32("program", insns.len())?,
        insns: insns.as_ptr() as u64,
        license: LICENSE.as_ptr() as u64,
        ..ProgLoadAttr::default()
    };
    // SAFETY: `insns` is `insn_cnt` 8-byte instructions, `license` a NUL-terminated
    // static string, and no log buffer is passed (`log_size` 0).
    let fd = unsafe { bpf(BPF_PROG_LOAD, &mut attr) }?;
    let fd = RawFd::try_from(fd).map_err(|_| io::Error::other("bpf() returned a bad fd"))?;
    // SAFETY: a successful BPF_PROG_LOAD returns a new file descriptor that nothing
    // else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Loads a program with `BPF_PROG_LOAD`, expected attach type `attach_type` and
/// `prog_flags`; on failure returns the error with the verifier log (when `log`).
pub(crate) fn prog_load_attached(
    prog_type: u32,
    attach_type: u32,
    prog_flags: u32,
    insns: &[u64],
    log: bool,
) -> Result<OwnedFd, (io::Error, String)> {
    static LICENSE: &[u8] = b"GPL\0";
    let mut log = vec![0u8; if log { 1 << 20 } else { 0 }];
    let mut attr = ProgLoadAttr {
        prog_type,
        insn_cnt: len_u32("program", insns.len()).map_err(|e| (e, String::new()))?,
        insns: insns.as_ptr() as u64,
        license: LICENSE.as_ptr() as u64,
        log_level: u32::from(!log.is_empty()),
        log_size: len_u32("log", log.len()).map_err(|e| (e, String::new()))?,
        log_buf: if log.is_empty() {
            0
        } else {
            log.as_mut_ptr() as u64
        },
        prog_flags,
        expected_attach_type: attach_type,
        ..ProgLoadAttr::default()
    };
    // SAFETY: `insns` is `insn_cnt` 8-byte instructions, `license` a NUL-terminated static
    // string, and `log_buf` null or a live buffer of `log_size` bytes, which is all the
    // kernel writes.
    let result = unsafe { bpf(BPF_PROG_LOAD, &mut attr) };
    let fd = result.map_err(|e| {
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        (e, String::from_utf8_lossy(&log[..end]).into_owned())
    })?;
    let fd = RawFd::try_from(fd)
        .map_err(|_| (io::Error::other("bpf() returned a bad fd"), String::new()))?;
    // SAFETY: a successful BPF_PROG_LOAD returns a new file descriptor that nothing else
    // owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
