//! The calling task: `bpf_get_current_pid_tgid` (14), `bpf_get_current_uid_gid` (15) and
//! `bpf_get_current_comm` (16).
//!
//! In the kernel "current" is the task the program runs in (for XDP, whichever task the
//! packet arrived under). In ebee it is the host thread that runs the program: its thread id
//! and process id, real user and group ids, and thread name (`prctl(PR_GET_NAME)`, what
//! `/proc/self/task/TID/comm` shows). Ids are those of ebee's PID and user namespace; the
//! kernel reports the initial namespace's.
//!
//! Scopes: Linux 6.18 lets every program type call all three (base helpers for
//! `CAP_PERFMON` loaders), so they are [`Scope::Any`].

use super::probe::{neg, read_mem, write_mem};
use super::HelperDef;
use ebee_vm::{HelperEnv, HelperError};

/// The kernel's `TASK_COMM_LEN`.
const TASK_COMM_LEN: usize = 16;

/// `tgid << 32 | pid` of the calling thread.
fn pid_tgid() -> u64 {
    // SAFETY: getpid takes no arguments and cannot fail.
    let tgid = unsafe { libc::getpid() };
    // SAFETY: likewise gettid.
    let tid = unsafe { libc::gettid() };
    (u64::from(tgid as u32) << 32) | u64::from(tid as u32)
}

/// `gid << 32 | uid` (real ids) of the calling thread.
fn uid_gid() -> u64 {
    // SAFETY: getuid takes no arguments and cannot fail.
    let uid = unsafe { libc::getuid() };
    // SAFETY: likewise getgid.
    let gid = unsafe { libc::getgid() };
    (u64::from(gid) << 32) | u64::from(uid)
}

/// The calling thread's name, at most 15 bytes, without the NUL.
fn comm() -> Vec<u8> {
    let mut name = [0u8; TASK_COMM_LEN];
    // SAFETY: PR_GET_NAME writes at most TASK_COMM_LEN (16) bytes, NUL included, to the
    // buffer passed as the second argument, which has exactly that size.
    let rc = unsafe {
        libc::prctl(
            libc::PR_GET_NAME,
            name.as_mut_ptr() as libc::c_ulong,
            0,
            0,
            0,
        )
    };
    if rc != 0 {
        return Vec::new();
    }
    let len = name
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(TASK_COMM_LEN - 1);
    name[..len].to_vec()
}

/// `strscpy_pad(dst, comm, size)`: the name cut to `size - 1` bytes, then NUL bytes up to
/// `size` (empty for `size == 0`).
fn padded_comm(comm: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    let n = comm.len().min(size.saturating_sub(1));
    out[..n].copy_from_slice(&comm[..n]);
    out
}

fn get_current_pid_tgid(_: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    Ok(pid_tgid())
}

fn get_current_uid_gid(_: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    Ok(uid_gid())
}

/// `bpf_get_current_comm(buf, size)`: 0, or `-EFAULT` when `buf` is not `size` writable bytes.
fn get_current_comm(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (buf, size) = (a[0], a[1] as u32 as usize);
    if size == 0 {
        return Ok(0);
    }
    // Check the destination before building `size` bytes.
    if read_mem(env, buf, size).is_none() {
        return Ok(neg(libc::EFAULT));
    }
    let bytes = padded_comm(&comm(), size);
    Ok(if write_mem(env, buf, &bytes) {
        0
    } else {
        neg(libc::EFAULT)
    })
}

/// The current-task helpers.
pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(14, get_current_pid_tgid),
    HelperDef::new(15, get_current_uid_gid),
    HelperDef::new(16, get_current_comm),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_describe_this_thread() {
        let v = pid_tgid();
        assert_eq!((v >> 32) as u32, std::process::id());
        let uid = std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|r| r.split_whitespace().next().unwrap().parse::<u32>().unwrap())
            })
            .unwrap();
        assert_eq!(uid_gid() as u32, uid);
    }

    #[test]
    fn comm_is_the_thread_name() {
        let name = std::thread::Builder::new()
            .name("ebee-comm-test-long-name".into())
            .spawn(comm)
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(name, b"ebee-comm-test-");
    }

    #[test]
    fn padding_follows_strscpy_pad() {
        assert_eq!(padded_comm(b"abc", 6), b"abc\0\0\0");
        assert_eq!(padded_comm(b"abcdef", 4), b"abc\0");
        assert_eq!(padded_comm(b"abc", 1), b"\0");
        assert!(padded_comm(b"abc", 0).is_empty());
    }
}
