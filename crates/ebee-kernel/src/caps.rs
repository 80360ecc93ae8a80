//! [`without_capabilities`]: run a closure on a thread that has given up some capabilities,
//! so a root test process can see how the kernel treats a less privileged loader.
//!
//! Linux keeps capabilities per thread and `bpf(2)` checks the calling thread's, so a
//! fresh thread that drops capabilities from its effective and permitted sets loads
//! programs as a process without them would, while the test's other threads keep theirs.

use crate::error::{Error, Result};

/// `CAP_SYS_ADMIN`.
pub const CAP_SYS_ADMIN: u32 = 21;
/// `CAP_PERFMON` (Linux 5.8).
pub const CAP_PERFMON: u32 = 38;
/// `CAP_BPF` (Linux 5.8).
pub const CAP_BPF: u32 = 39;
/// `CAP_NET_ADMIN`.
pub const CAP_NET_ADMIN: u32 = 12;

/// `_LINUX_CAPABILITY_VERSION_3` of `linux/capability.h`: two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Runs `f` on a new thread whose effective, permitted and inheritable sets lack `caps`
/// (capability numbers such as [`CAP_PERFMON`]) and returns its result.
///
/// ```no_run
/// use ebee_kernel::caps::{without_capabilities, CAP_PERFMON, CAP_SYS_ADMIN};
/// let euid_caps_dropped = without_capabilities(&[CAP_SYS_ADMIN, CAP_PERFMON], || 42)?;
/// assert_eq!(euid_caps_dropped, 42);
/// # Ok::<(), ebee_kernel::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] for a capability number above 63, [`Error::Unavailable`]
/// when `capget`/`capset` fail, and when the thread panics.
pub fn without_capabilities<T: Send>(caps: &[u32], f: impl FnOnce() -> T + Send) -> Result<T> {
    let mut mask = [0u32; 2];
    for &cap in caps {
        let word = mask.get_mut((cap / 32) as usize).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "capability {cap} is beyond the two words of version 3"
            ))
        })?;
        *word |= 1 << (cap % 32);
    }
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                drop_on_this_thread(mask)?;
                Ok(f())
            })
            .join()
            .map_err(|_| Error::Unavailable("the thread without capabilities panicked".into()))?
    })
}

fn drop_on_this_thread(mask: [u32; 2]) -> Result<()> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget writes two `struct __user_cap_data_struct` (version 3) into `data`,
    // which has room for exactly two; `header` is a valid version-3 header for this thread.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    if ret != 0 {
        return Err(Error::Unavailable(format!(
            "capget: {}",
            std::io::Error::last_os_error()
        )));
    }
    for (set, &drop) in data.iter_mut().zip(&mask) {
        set.effective &= !drop;
        set.permitted &= !drop;
        set.inheritable &= !drop;
    }
    // SAFETY: capset reads the header and two data structs, all live for the call; pid 0 is
    // the calling thread.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    };
    if ret != 0 {
        return Err(Error::Unavailable(format!(
            "capset: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}
