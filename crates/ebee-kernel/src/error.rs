//! The crate's error type.

use std::io;

/// Everything that can go wrong while loading or running an object in the kernel.
///
/// Messages are self-contained: a wrapped OS error is part of the message and not also a
/// [`std::error::Error::source`], so printing the chain says it once.
///
/// # Example
///
/// ```no_run
/// use ebee_kernel::{Error, KernelObject, LoadOptions};
///
/// let elf = std::fs::read("prog.o").unwrap();
/// match KernelObject::load(&elf, &LoadOptions::default()) {
///     Ok(_) => {}
///     Err(Error::ProgramLoad { program, verifier_log, .. }) => {
///         eprintln!("verifier rejected {program}:\n{verifier_log}");
///     }
///     Err(other) => eprintln!("{other}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `bpf()` cannot be used on this machine (see [`crate::availability`]).
    ///
    /// ```
    /// let e = ebee_kernel::Error::Unavailable("EPERM".into());
    /// assert!(e.to_string().contains("EPERM"));
    /// ```
    #[error("bpf() is unavailable: {0}")]
    Unavailable(String),

    /// The ELF object could not be parsed, relocated, or its maps/BTF created.
    ///
    /// ```
    /// let e = ebee_kernel::Error::Object("not an ELF file".into());
    /// assert!(e.to_string().contains("not an ELF"));
    /// ```
    #[error("cannot load object: {0}")]
    Object(String),

    /// The kernel refused a program; `verifier_log` holds the verifier's output.
    ///
    /// ```
    /// let e = ebee_kernel::Error::ProgramLoad {
    ///     program: "prog".into(),
    ///     message: "Permission denied (os error 13)".into(),
    ///     verifier_log: "R0 !read_ok".into(),
    /// };
    /// assert!(e.to_string().contains("R0 !read_ok"));
    /// ```
    #[error(
        "kernel rejected program `{program}`: {message}\n--- verifier log ---\n{verifier_log}"
    )]
    ProgramLoad {
        /// The program (function) name.
        program: String,
        /// The `BPF_PROG_LOAD` error.
        message: String,
        /// The verifier log the kernel produced.
        verifier_log: String,
    },

    /// The object has no program of that name.
    ///
    /// ```
    /// let e = ebee_kernel::Error::UnknownProgram("nope".into());
    /// assert_eq!(e.to_string(), "no program named `nope`");
    /// ```
    #[error("no program named `{0}`")]
    UnknownProgram(String),

    /// The program exists but was not loaded into the kernel (its type needs an
    /// attach target this crate cannot know, e.g. `fentry/func`).
    ///
    /// ```
    /// let e = ebee_kernel::Error::ProgramNotLoaded {
    ///     program: "trace".into(),
    ///     reason: "fentry needs a target".into(),
    /// };
    /// assert!(e.to_string().contains("fentry"));
    /// ```
    #[error("program `{program}` is not loaded: {reason}")]
    ProgramNotLoaded {
        /// The program name.
        program: String,
        /// Why it was skipped.
        reason: String,
    },

    /// The object has no map of that name.
    ///
    /// ```
    /// let e = ebee_kernel::Error::UnknownMap("nope".into());
    /// assert_eq!(e.to_string(), "no map named `nope`");
    /// ```
    #[error("no map named `{0}`")]
    UnknownMap(String),

    /// An argument does not fit the map or program (wrong key or value size, ...).
    ///
    /// ```
    /// let e = ebee_kernel::Error::InvalidArgument("key is 3 bytes".into());
    /// assert!(e.to_string().contains("3 bytes"));
    /// ```
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A `bpf()` (or related) system call failed.
    ///
    /// ```
    /// let e = ebee_kernel::Error::Syscall {
    ///     op: "BPF_MAP_UPDATE_ELEM",
    ///     error: std::io::Error::from_raw_os_error(7),
    /// };
    /// assert!(e.to_string().starts_with("BPF_MAP_UPDATE_ELEM"));
    /// ```
    #[error("{op} failed: {error}")]
    Syscall {
        /// The command or operation.
        op: &'static str,
        /// The OS error (part of the message, so not a `source`).
        error: io::Error,
    },

    /// A tracefs file of a [`crate::TraceCapture`] could not be created, written or read.
    ///
    /// ```
    /// let e = ebee_kernel::Error::Tracefs {
    ///     path: "/sys/kernel/tracing/instances/x/trace".into(),
    ///     error: std::io::Error::from_raw_os_error(2),
    /// };
    /// assert!(e.to_string().contains("instances/x/trace"));
    /// ```
    #[error("tracefs {}: {error}", path.display())]
    Tracefs {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The OS error (part of the message, so not a `source`).
        error: io::Error,
    },

    /// `BPF_PROG_TEST_RUN` returned `ENOSPC`: an output buffer was too small. The
    /// fields are the sizes the kernel reported; retry with at least these.
    ///
    /// ```
    /// let e = ebee_kernel::Error::OutputTooSmall { data_size_out: 60, ctx_size_out: 0 };
    /// assert!(e.to_string().contains("60"));
    /// ```
    #[error(
        "BPF_PROG_TEST_RUN output buffer too small (kernel wanted data_out {data_size_out} \
         bytes, ctx_out {ctx_size_out} bytes)"
    )]
    OutputTooSmall {
        /// `data_size_out` as reported by the kernel.
        data_size_out: u32,
        /// `ctx_size_out` as reported by the kernel.
        ctx_size_out: u32,
    },

    /// A map operation implemented by aya (ring buffer, perf buffer) failed.
    ///
    /// ```
    /// let e = ebee_kernel::Error::Map("map `x` is not a ring buffer".into());
    /// assert!(e.to_string().contains("ring buffer"));
    /// ```
    #[error("map error: {0}")]
    Map(String),
}

impl Error {
    pub(crate) fn syscall(op: &'static str, error: io::Error) -> Self {
        Self::Syscall { op, error }
    }

    /// The OS error of a failed system call or tracefs access (it is part of the message,
    /// not a `source()`), e.g. to compare its errno with ebee's.
    ///
    /// ```
    /// let e = ebee_kernel::Error::Syscall {
    ///     op: "BPF_MAP_UPDATE_ELEM",
    ///     error: std::io::Error::from_raw_os_error(7),
    /// };
    /// assert_eq!(e.os_error().and_then(std::io::Error::raw_os_error), Some(7));
    /// assert!(ebee_kernel::Error::UnknownMap("m".into()).os_error().is_none());
    /// ```
    pub fn os_error(&self) -> Option<&io::Error> {
        match self {
            Self::Syscall { error, .. } | Self::Tracefs { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Formats an error together with its whole `source()` chain.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        next = e.source();
    }
    out
}

/// Shorthand for this crate's results.
///
/// ```
/// fn f() -> ebee_kernel::Result<u32> { Ok(1) }
/// assert_eq!(f().unwrap(), 1);
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
