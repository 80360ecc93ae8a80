//! [`RawProgram`]: one program loaded from raw instructions with `BPF_PROG_LOAD`, for program
//! types and attach types aya 0.14 cannot load from an ELF section (lwt_*, syscall, the unix
//! sock_addr hooks). Map references are patched by the caller, to fds of [`crate::RawMapFd`]s. Also the
//! `BPF_PROG_TEST_RUN` of any program fd, which [`crate::KernelObject::test_run`] uses too.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::error::{Error, Result};
use crate::object::{TestRun, TestRunResult};
use crate::sys;

/// Everything [`RawProgram::load_spec`] passes to `BPF_PROG_LOAD`: what [`RawProgram::load`]
/// takes, and the object's BTF with function info, the attach target's BTF id, and the log
/// level and size.
///
/// ```
/// let spec = ebee_kernel::RawProgramSpec { name: "zero", prog_type: 1, insns: &[0xb7, 0x95], ..Default::default() };
/// assert_eq!((spec.log_level, spec.attach_btf_id), (0, 0));
/// ```
#[derive(Clone, Debug, Default)]
pub struct RawProgramSpec<'a> {
    /// The program's name (the kernel keeps 15 bytes of it).
    pub name: &'a str,
    /// `BPF_PROG_TYPE_*`.
    pub prog_type: u32,
    /// `enum bpf_attach_type` (0 where none is expected).
    pub expected_attach_type: u32,
    /// For tracing and LSM programs: the BTF id, in the kernel's own BTF, of the function,
    /// tracepoint or hook attached to.
    pub attach_btf_id: u32,
    /// `BPF_F_*` program flags.
    pub prog_flags: u32,
    /// The instructions, 8-byte slots in the kernel's `struct bpf_insn` layout.
    pub insns: &'a [u64],
    /// The object's BTF and its `struct bpf_func_info` records (`insn_off`, `type_id`, 4
    /// bytes each in native order), one per function, by first instruction.
    pub func_info: Option<(&'a crate::RawBtf, &'a [u8])>,
    /// The verifier's log level: 0 loads without a log (and retries at 1 when the program
    /// is refused, as libbpf does), 1 the verifier's messages, 2 every instruction's state, 4
    /// statistics (levels combine).
    pub log_level: u32,
    /// The log buffer's size in bytes; 0 means 16 MiB. A log that does not fit makes the
    /// kernel fail the load with `ENOSPC` (it keeps the log's end).
    pub log_size: usize,
}

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
            log_level: 0,
            attach_btf_id: 0,
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

    /// Loads the program `spec` describes and returns it with the verifier's log (empty when
    /// `spec.log_level` is 0 and the program loads).
    ///
    /// ```no_run
    /// use ebee_kernel::{RawProgram, RawProgramSpec};
    /// // r0 = 0; exit, as a socket filter, with every instruction's verifier state.
    /// let spec = RawProgramSpec { name: "zero", prog_type: 1, insns: &[0xb7, 0x95], log_level: 2, ..Default::default() };
    /// let (_prog, log) = RawProgram::load_spec(&spec)?;
    /// assert!(log.contains("processed 2 insns"));
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::ProgramLoad`] with the kernel's error and log when the kernel refuses it,
    /// [`Error::InvalidArgument`] for malformed function info.
    pub fn load_spec(spec: &RawProgramSpec<'_>) -> Result<(Self, String)> {
        const DEFAULT_LOG_SIZE: usize = 16 << 20;
        if spec
            .func_info
            .is_some_and(|(_, info)| !info.len().is_multiple_of(sys::FUNC_INFO_SIZE))
        {
            return Err(Error::InvalidArgument(format!(
                "program `{}`: func info is not a whole number of 8-byte records",
                spec.name
            )));
        }
        let bytes: Vec<u8> = spec.insns.iter().flat_map(|i| i.to_le_bytes()).collect();
        let func_info: Option<(BorrowedFd<'_>, &[u8])> =
            spec.func_info.map(|(btf, info)| (btf.fd(), info));
        let load = sys::ProgLoad {
            prog_type: spec.prog_type,
            expected_attach_type: spec.expected_attach_type,
            insns: &bytes,
            license: c"GPL",
            kern_version: 0,
            prog_flags: spec.prog_flags,
            name: spec.name,
            func_info,
            log_level: spec.log_level,
            attach_btf_id: spec.attach_btf_id,
        };
        let mut log = vec![
            0u8;
            if spec.log_size == 0 {
                DEFAULT_LOG_SIZE
            } else {
                spec.log_size
            }
        ];
        let first = if spec.log_level == 0 {
            match sys::prog_load_with(&load, None) {
                Ok(fd) => return Ok((Self { fd }, String::new())),
                Err(e) => Some(e),
            }
        } else {
            None
        };
        let loaded = sys::prog_load_with(&load, Some(&mut log));
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        let text = String::from_utf8_lossy(&log[..end]).into_owned();
        match loaded {
            Ok(fd) => Ok((Self { fd }, text)),
            Err(e) => Err(Error::ProgramLoad {
                program: spec.name.to_owned(),
                message: first.unwrap_or(e).to_string(),
                verifier_log: text,
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
