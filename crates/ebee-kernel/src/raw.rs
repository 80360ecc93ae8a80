//! [`RawProgram`]: one program loaded from raw instructions with `BPF_PROG_LOAD`, for program
//! types and attach types aya 0.14 cannot load from an ELF section (lwt_*, syscall, the unix
//! sock_addr hooks). Map references are patched by the caller, to fds of [`crate::RawMapFd`]s. Also the
//! `BPF_PROG_TEST_RUN` of any program fd, which [`crate::KernelObject::test_run`] uses too.

use std::os::fd::{AsFd, OwnedFd};

use crate::error::{Error, Result};
use crate::object::{TestRun, TestRunResult};
use crate::sys;

/// A program loaded from raw instructions; dropping it closes its fd.
///
/// ```no_run
/// use ebee_kernel::{RawProgram, TestRun};
/// // r0 = 0; exit, as a syscall program (BPF_PROG_TYPE_SYSCALL = 31).
/// let insns = [0xb7, 0x95];
/// let prog = RawProgram::load("zero", 31, 0, 1 << 4, &insns)?; // BPF_F_SLEEPABLE
/// let mut ctx = [0u8; 8];
/// let out = prog.test_run(&TestRun { ctx_in: Some(&ctx), repeat: 0, ..Default::default() })?;
/// assert_eq!(out.retval, 0);
/// # Ok::<(), ebee_kernel::Error>(())
/// ```
#[derive(Debug)]
pub struct RawProgram {
    fd: OwnedFd,
}

impl RawProgram {
    /// Loads `insns` (8-byte instruction slots, as the kernel takes them) as a program of
    /// type `prog_type` (`BPF_PROG_TYPE_*`) with expected attach type `attach_type` and
    /// `prog_flags` (`BPF_F_SLEEPABLE` for syscall programs), GPL licensed.
    ///
    /// # Errors
    ///
    /// [`Error::ProgramLoad`] (named `name`, with the verifier log) when the kernel refuses it.
    pub fn load(
        name: &str,
        prog_type: u32,
        attach_type: u32,
        prog_flags: u32,
        insns: &[u64],
    ) -> Result<Self> {
        let bytes: Vec<u8> = insns.iter().flat_map(|i| i.to_le_bytes()).collect();
        let load = sys::ProgLoad {
            prog_type,
            expected_attach_type: attach_type,
            insns: &bytes,
            license: c"GPL",
            kern_version: 0,
            prog_flags,
            name,
            func_info: None,
        };
        // Without a log first: most loads succeed, and the log is only wanted on failure.
        let error = match sys::prog_load_with(&load, None) {
            Ok(fd) => return Ok(Self { fd }),
            Err(error) => error,
        };
        let mut log = vec![0u8; 1 << 20];
        let retry = sys::prog_load_with(&load, Some(&mut log));
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        match retry {
            Ok(fd) => Ok(Self { fd }),
            Err(_) => Err(Error::ProgramLoad {
                program: name.to_owned(),
                message: error.to_string(),
                verifier_log: String::from_utf8_lossy(&log[..end]).into_owned(),
            }),
        }
    }

    /// Runs it with `BPF_PROG_TEST_RUN` (see [`crate::KernelObject::test_run`]).
    ///
    /// # Errors
    ///
    /// As [`crate::KernelObject::test_run`].
    pub fn test_run(&self, run: &TestRun<'_>) -> Result<TestRunResult> {
        run_program(self.fd.as_fd(), run)
    }
}

/// `BPF_PROG_TEST_RUN` of the program `prog` (see [`KernelObject::test_run`]).
pub(crate) fn run_program(
    prog: std::os::fd::BorrowedFd<'_>,
    run: &TestRun<'_>,
) -> Result<TestRunResult> {
    let mut data_out = zeroed("data_size_out", run.data_size_out)?;
    let mut ctx_out = zeroed("ctx_size_out", run.ctx_size_out)?;
    let mut ctx_in = run.ctx_in.map(<[u8]>::to_vec);
    let input = sys::RawTestRunIn {
        data_in: run.data_in,
        ctx_in: ctx_in.as_deref_mut(),
        data_out: &mut data_out,
        ctx_out: &mut ctx_out,
        repeat: run.repeat,
        flags: run.flags,
        cpu: run.cpu,
    };
    match sys::prog_test_run(prog, input) {
        Ok(out) => {
            data_out.truncate(out.data_size_out as usize);
            ctx_out.truncate(out.ctx_size_out as usize);
            Ok(TestRunResult {
                retval: out.retval,
                duration_ns: out.duration,
                data_out,
                ctx_out,
                ctx_in_after: ctx_in.unwrap_or_default(),
            })
        }
        Err((e, out)) if e.raw_os_error() == Some(libc::ENOSPC) => Err(Error::OutputTooSmall {
            data_size_out: out.data_size_out,
            ctx_size_out: out.ctx_size_out,
        }),
        Err((e, _)) => Err(Error::syscall("BPF_PROG_TEST_RUN", e)),
    }
}

/// A zeroed output buffer; sizes the kernel cannot take, or memory that cannot be
/// had, are errors rather than panics.
fn zeroed(what: &str, len: usize) -> Result<Vec<u8>> {
    if u32::try_from(len).is_err() {
        return Err(Error::InvalidArgument(format!(
            "{what} {len} does not fit the kernel's 32-bit size field"
        )));
    }
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|e| Error::InvalidArgument(format!("{what} {len}: {e}")))?;
    buf.resize(len, 0);
    Ok(buf)
}
