//! Linux error numbers, as the kernel returns them (`-errno`), whatever the host's libc says:
//! every value of `asm-generic/errno-base.h`, the few of `asm-generic/errno.h` that eBPF
//! paths return, and the kernel-internal `ENOTSUPP` that `bpf(2)` passes through. Each is a
//! plain `i32` constant and an [`Errno`] constant of the same name.
//!
//! ```
//! use ebee_abi::errno::{Errno, EINVAL};
//! assert_eq!(EINVAL, 22);
//! assert_eq!(Errno::EINVAL, Errno(EINVAL));
//! assert_eq!(Errno::EINVAL.name(), "EINVAL");
//! ```

use std::fmt;

/// A Linux error number, as a map operation or helper returns it (`-errno` in the kernel).
///
/// ```
/// use ebee_abi::Errno;
/// assert_eq!(Errno::ENOENT.as_neg_i64(), -2);
/// assert_eq!(Errno::E2BIG.to_string(), "E2BIG (7)");
/// assert_eq!(Errno(4095).to_string(), "E? (4095)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

macro_rules! errnos {
    ($( $(#[$doc:meta])* $name:ident = $value:literal; )*) => {
        $( $(#[$doc])* pub const $name: i32 = $value; )*

        impl Errno {
            $( $(#[$doc])* pub const $name: Errno = Errno($value); )*

            /// The kernel's name for this number (`"ENOENT"`), or `"E?"` for one not listed here.
            pub fn name(self) -> &'static str {
                match self.0 {
                    $( $value => stringify!($name), )*
                    _ => "E?",
                }
            }
        }
    };
}

errnos! {
    /// Operation not permitted (1).
    EPERM = 1;
    /// No such file or directory, or no such entry (2).
    ENOENT = 2;
    /// No such process (3).
    ESRCH = 3;
    /// Interrupted system call (4).
    EINTR = 4;
    /// I/O error (5).
    EIO = 5;
    /// No such device or address (6).
    ENXIO = 6;
    /// Argument list too long (7): a full map, an index out of range.
    E2BIG = 7;
    /// Exec format error (8).
    ENOEXEC = 8;
    /// Bad file number (9).
    EBADF = 9;
    /// No child processes (10).
    ECHILD = 10;
    /// Try again (11), also `EWOULDBLOCK`: a full ring buffer.
    EAGAIN = 11;
    /// Out of memory (12).
    ENOMEM = 12;
    /// Permission denied (13).
    EACCES = 13;
    /// Bad address (14).
    EFAULT = 14;
    /// Block device required (15).
    ENOTBLK = 15;
    /// Device or resource busy (16).
    EBUSY = 16;
    /// File exists, or the entry exists (17).
    EEXIST = 17;
    /// Cross-device link (18).
    EXDEV = 18;
    /// No such device (19).
    ENODEV = 19;
    /// Not a directory (20).
    ENOTDIR = 20;
    /// Is a directory (21).
    EISDIR = 21;
    /// Invalid argument (22).
    EINVAL = 22;
    /// File table overflow (23).
    ENFILE = 23;
    /// Too many open files (24).
    EMFILE = 24;
    /// Not a typewriter (25).
    ENOTTY = 25;
    /// Text file busy (26).
    ETXTBSY = 26;
    /// File too large (27).
    EFBIG = 27;
    /// No space left on device (28): a full LPM trie, a full perf buffer, a small buffer.
    ENOSPC = 28;
    /// Illegal seek (29).
    ESPIPE = 29;
    /// Read-only file system (30).
    EROFS = 30;
    /// Too many links (31).
    EMLINK = 31;
    /// Broken pipe (32).
    EPIPE = 32;
    /// Math argument out of domain of function (33).
    EDOM = 33;
    /// Math result not representable (34): a number out of range (`bpf_strtol`).
    ERANGE = 34;
    /// Invalid system call number (38), from `asm-generic/errno.h`.
    ENOSYS = 38;
    /// Protocol error (71), from `asm-generic/errno.h`: a tunnel key of the other family.
    EPROTO = 71;
    /// Operation not supported (95), also `ENOTSUP`, from `asm-generic/errno.h`.
    EOPNOTSUPP = 95;
    /// Address family not supported by protocol (97), from `asm-generic/errno.h`.
    EAFNOSUPPORT = 97;
    /// Operation already in progress (114), from `asm-generic/errno.h`: an skb already
    /// encapsulated.
    EALREADY = 114;
    /// The kernel-internal "operation not supported" (524, `include/linux/errno.h`), which
    /// `bpf(2)` passes through, for example for a lookup in a ring buffer.
    ENOTSUPP = 524;
}

impl Errno {
    /// The value a helper returns to the program: `-errno`.
    pub fn as_neg_i64(self) -> i64 {
        -i64::from(self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Errno {}
