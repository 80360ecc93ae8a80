//! [`kernel_verdict`]: one selftest program loaded into the running kernel the way
//! `test_loader.c` loads it through libbpf, with ebee-object's linked code and raw `bpf(2)`.

use ebee_abi::flags::BPF_F_SLEEPABLE;
use ebee_kernel::caps::{without_capabilities, CAP_PERFMON, CAP_SYS_ADMIN};
use ebee_kernel::{btf_for_kernel, RawBtf, RawProgram, RawProgramSpec};

use super::attach::{attach_of, resolve_kfuncs};
use super::maps::CreatedMaps;
use super::tags::BPF_F_XDP_HAS_FRAGS;
use super::{KernelVerdict, Mode, SelftestProgram, Unloadable};

/// `TEST_LOADER_LOG_BUF_SZ` of `test_loader.c`: the log buffer every load gets (a log that
/// does not fit fails the load with `ENOSPC`, as it does for the selftests).
pub const LOG_BUFFER_SIZE: usize = 2 << 20;

/// Loads `program` into the running kernel in `mode` and says what the kernel did.
///
/// As `test_loader.c` with libbpf: the object's BTF (fixed up as libbpf does) is loaded and
/// shared by the maps and the program (function info included), or, when the kernel refuses
/// it, left out (the refusal is noted in the `error` of a [`KernelVerdict::Rejected`]); the maps the program
/// references are created ([`is_unpriv_capable_map`](super::is_unpriv_capable_map) ones
/// only in [`Mode::Unprivileged`], references to others poisoned); kfuncs and tracing
/// attach targets are looked up in the kernel's BTF; the program is loaded with the
/// section's program type and expected attach type, the annotations' flags
/// ([`super::Expectations::prog_flags`]) plus the section's (sleepable, XDP frags), at the
/// annotations' log level (0: no log unless refused, then level 1) into a
/// [`LOG_BUFFER_SIZE`] buffer. Auxiliary programs are not loaded (tail call slots stay
/// empty), and nothing is run (`__retval` is not checked).
///
/// [`Mode::Unprivileged`] loads (BTF, maps and program) on a thread without
/// `CAP_SYS_ADMIN` and `CAP_PERFMON`; it keeps `CAP_BPF` and `CAP_NET_ADMIN`, unlike the
/// selftests' unprivileged runs, which drop those too and need
/// `kernel.unprivileged_bpf_disabled=0`.
pub fn kernel_verdict(program: &SelftestProgram, mode: Mode) -> KernelVerdict {
    match prepare_and_load(program, mode, None) {
        Ok((verdict, _)) => verdict,
        Err(reason) => KernelVerdict::NotLoadable(reason),
    }
}

/// `BPF_LOG_STATS`: the log level at which the kernel's log is only its statistics
/// (`verification time N usec`, `stack depth …`, `processed N insns …`).
pub const BPF_LOG_STATS: u32 = 4;

/// A load timed: what the kernel did, and how long its `BPF_PROG_LOAD` took.
#[derive(Clone, Debug)]
pub struct TimedLoad {
    /// The verdict, as [`kernel_verdict`] gives it.
    pub verdict: KernelVerdict,
    /// The wall-clock time of the `BPF_PROG_LOAD` call alone (not the BTF and maps before
    /// it, nor closing the program after); `None` when it was not made.
    pub load_time: Option<std::time::Duration>,
}

impl TimedLoad {
    /// The kernel's own `verification time N usec` from the log, when it has one (an
    /// accepted program's log has it at log levels with [`BPF_LOG_STATS`]).
    pub fn verification_micros(&self) -> Option<u64> {
        let log = match &self.verdict {
            KernelVerdict::Accepted { log } | KernelVerdict::Rejected { log, .. } => log,
            KernelVerdict::NotLoadable(_) => return None,
        };
        stat_after(log, "verification time ")
    }

    /// The `processed N insns` of the log, when it has one.
    pub fn processed_insns(&self) -> Option<u64> {
        let log = match &self.verdict {
            KernelVerdict::Accepted { log } | KernelVerdict::Rejected { log, .. } => log,
            KernelVerdict::NotLoadable(_) => return None,
        };
        stat_after(log, "processed ")
    }
}

/// The number after `prefix` at the start of one of the log's lines.
fn stat_after(log: &str, prefix: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// [`kernel_verdict`] at log level `log_level` instead of the annotations'
/// ([`BPF_LOG_STATS`] for the kernel's verification time), with the load timed.
pub fn kernel_verdict_timed(program: &SelftestProgram, mode: Mode, log_level: u32) -> TimedLoad {
    match prepare_and_load(program, mode, Some(log_level)) {
        Ok((verdict, load_time)) => TimedLoad { verdict, load_time },
        Err(reason) => TimedLoad {
            verdict: KernelVerdict::NotLoadable(reason),
            load_time: None,
        },
    }
}

/// The `BPF_PROG_LOAD` attributes of a program besides its code, as [`kernel_verdict`] gives
/// them to the kernel (for a verifier judged against the kernel to be given the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadAttributes {
    /// `BPF_PROG_TYPE_*`, from the section name.
    pub prog_type: u32,
    /// The expected attach type, from the section name (0 where there is none).
    pub expected_attach_type: u32,
    /// For tracing and LSM programs, the BTF id of the attach target in the kernel's BTF.
    pub attach_btf_id: u32,
    /// The annotations' flags ([`super::Expectations::prog_flags`]) and the section's
    /// (`BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`).
    pub prog_flags: u32,
    /// The annotations' log level.
    pub log_level: u32,
}

/// The load attributes of `program`.
///
/// # Errors
///
/// Why it cannot be loaded: another architecture's test, an object or program ebee-object
/// cannot read or link, a program type without a load rule, an attach target the kernel's
/// BTF lacks.
pub fn load_attributes(program: &SelftestProgram) -> Result<LoadAttributes, Unloadable> {
    let expectations = &program.expectations;
    if !expectations.runs_on_x86_64() {
        return Err(Unloadable::Arch(format!(
            "a test for {} only",
            expectations.arch.join(", ")
        )));
    }
    let spec = program
        .object
        .spec
        .as_ref()
        .map_err(|e| Unloadable::Object(e.clone()))?;
    let linked = program
        .linked
        .as_ref()
        .map_err(|e| Unloadable::Link(e.clone()))?;
    let prog_type = linked.kind.prog_type().ok_or_else(|| {
        Unloadable::ProgramType(format!(
            "section `{}` names no program type",
            linked.section
        ))
    })?;
    let (expected_attach_type, attach_btf_id) = attach_of(linked)?;
    let mut prog_flags = expectations.prog_flags;
    if let Some(section_spec) = spec.program(&program.name) {
        if section_spec.sleepable {
            prog_flags |= BPF_F_SLEEPABLE;
        }
        if section_spec.frags {
            prog_flags |= BPF_F_XDP_HAS_FRAGS;
        }
    }
    Ok(LoadAttributes {
        prog_type,
        expected_attach_type,
        attach_btf_id,
        prog_flags,
        log_level: expectations.log_level,
    })
}

/// The load, at the annotations' log level or `log_level`, with the time its
/// `BPF_PROG_LOAD` took.
fn prepare_and_load(
    program: &SelftestProgram,
    mode: Mode,
    log_level: Option<u32>,
) -> Result<(KernelVerdict, Option<std::time::Duration>), Unloadable> {
    let mut attributes = load_attributes(program)?;
    if let Some(level) = log_level {
        attributes.log_level = level;
    }
    let (Ok(spec), Ok(linked)) = (&program.object.spec, &program.linked) else {
        return Err(Unloadable::Setup("load_attributes checked these".into()));
    };
    let mut insns: Vec<u64> = linked
        .to_bytes()
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    resolve_kfuncs(linked, &mut insns)?;
    let unprivileged = mode == Mode::Unprivileged;
    let load = move || -> Result<(KernelVerdict, Option<std::time::Duration>), Unloadable> {
        // As libbpf: a refused BTF is left out (its `kernel_needs_btf` is false for these
        // programs), and the load goes on without BTF, maps' types and function info.
        let (btf, btf_refused) = match spec.btf() {
            Some(btf) => match RawBtf::load(&btf_for_kernel(&program.object.elf, btf)) {
                Ok(loaded) => (Some(loaded), None),
                Err(e) => {
                    // The BTF verifier's complaint is the log's last line.
                    let text = e.to_string();
                    (None, Some(text.lines().last().unwrap_or(&text).to_owned()))
                }
            },
            None => (None, None),
        };
        let maps = CreatedMaps::create(
            spec.maps(),
            &program.referenced_maps(),
            btf.as_ref(),
            unprivileged,
        )?;
        let mut insns = insns;
        maps.patch(linked, &mut insns);
        let func_info = btf.as_ref().and_then(|btf| Some((btf, func_info(linked)?)));
        let load_spec = RawProgramSpec {
            name: &program.name,
            prog_type: attributes.prog_type,
            expected_attach_type: attributes.expected_attach_type,
            attach_btf_id: attributes.attach_btf_id,
            prog_flags: attributes.prog_flags,
            insns: &insns,
            func_info: func_info
                .as_ref()
                .map(|(btf, info)| (*btf, info.as_slice())),
            log_level: attributes.log_level,
            log_size: LOG_BUFFER_SIZE,
        };
        let started = std::time::Instant::now();
        let loaded = RawProgram::load_spec(&load_spec);
        let load_time = started.elapsed();
        let verdict = match loaded {
            Ok((_, log)) => KernelVerdict::Accepted { log },
            Err(ebee_kernel::Error::ProgramLoad {
                message,
                verifier_log,
                ..
            }) if super::complaint(&verifier_log).is_empty() => {
                return Err(Unloadable::Refused(format!(
                    "{message}, with no verifier message"
                )))
            }
            Err(ebee_kernel::Error::ProgramLoad {
                message,
                verifier_log,
                ..
            }) => KernelVerdict::Rejected {
                error: match btf_refused {
                    Some(reason) => format!(
                        "{message} (loaded without BTF, which the kernel refused: {reason})"
                    ),
                    None => message,
                },
                log: verifier_log,
            },
            Err(other) => return Err(Unloadable::Setup(other.to_string())),
        };
        Ok((verdict, Some(load_time)))
    };
    match mode {
        Mode::Privileged => load(),
        Mode::Unprivileged => without_capabilities(&[CAP_SYS_ADMIN, CAP_PERFMON], load)
            .map_err(|e| Unloadable::Setup(format!("dropping capabilities: {e}")))?,
    }
}

/// The `struct bpf_func_info` records of a program (every function's first instruction and
/// BTF `FUNC` type), or `None` when some function has no BTF type.
fn func_info(program: &ebee_object::LinkedProgram) -> Option<Vec<u8>> {
    let mut functions: Vec<(u32, u32)> = program
        .functions
        .iter()
        .map(|f| Some((u32::try_from(f.pc).ok()?, f.btf_type_id?)))
        .collect::<Option<_>>()?;
    if functions.is_empty() {
        return None;
    }
    functions.sort_unstable();
    Some(
        functions
            .into_iter()
            .flat_map(|(pc, id)| [pc.to_ne_bytes(), id.to_ne_bytes()])
            .flatten()
            .collect(),
    )
}
