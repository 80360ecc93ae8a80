//! The Linux kernel's verifier selftests (`tools/testing/selftests/bpf/progs/verifier_*.c` of
//! the `linux-source-6.12` tarball) as data: every test program compiled, linked by
//! ebee-object, with what its `bpf_misc.h` annotations expect and what the running kernel
//! does with it, for judging a verifier by the kernel's own tests.
//!
//! * [`prepare`] extracts what the tests need from the tarball, writes `vmlinux.h` for the
//!   running kernel, and compiles the tests with clang-19, cached in [`cache_dir`].
//! * [`programs`] reads every object: each program's section, name, [`Expectations`] (from
//!   its BTF decl tags, [`parse_expectations`]) and its linked instructions and maps
//!   ([`SelftestProgram::linked`], [`SelftestProgram::maps`]).
//! * [`kernel_verdict`] loads one program into the kernel, privileged or not ([`Mode`]).
//! * [`Expect::judge`] compares a verdict with the annotations; [`table_row`] writes the
//!   line of `kernel_selftests/kernel_agreement.txt` for it.
//! * [`ebee_verdict`] gives the same program to ebee's own verifier ([`ebee_input`]: the
//!   environment ebee builds for an object it loads), for `kernel_selftests/ebee_agreement.txt`;
//!   [`kernel_verdict_timed`] times the kernel's load, for comparing verification speed.
//!
//! ```no_run
//! use ebee_testdata::kernel_selftests::{kernel_verdict, prepare, programs, Mode};
//! let build = prepare()?;
//! for program in programs(&build) {
//!     if let Some(expect) = &program.expectations.privileged {
//!         let verdict = kernel_verdict(&program, Mode::Privileged);
//!         println!("{}: {:?}", program.id(), expect.judge(&verdict));
//!     }
//! }
//! # Ok::<(), ebee_testdata::kernel_selftests::PrepareError>(())
//! ```

use std::fmt;

mod attach;
pub(crate) mod build;
pub(crate) mod compile;
mod ebee;
mod kernel;
mod maps;
mod matching;
mod programs;
mod tags;

pub use build::{
    cache_dir, prepare, Build, CompileFailure, PrepareError, BPFTOOL, CLANG, KERNEL_SOURCE_PACKAGE,
    KERNEL_SOURCE_TARBALL, SELFTESTS_DIR, VMLINUX_BTF,
};
pub use ebee::{ebee_input, ebee_verdict, EbeeInput, EbeeVerdict, NotVerifiable};
pub use kernel::{
    kernel_verdict, kernel_verdict_timed, load_attributes, LoadAttributes, TimedLoad,
    BPF_LOG_STATS, LOG_BUFFER_SIZE,
};
pub use maps::{is_unpriv_capable_map, unprivileged_slots, POISON_LDIMM64_MAP_BASE};
pub use matching::{first_missing_message, message_regex, Agreement};
pub use programs::{object_programs, programs, SelftestObject, SelftestProgram};
pub use tags::{
    decl_tags, parse_expectations, Expect, Expectations, BPF_F_TEST_REG_INVARIANTS,
    BPF_F_TEST_RND_HI32, BPF_F_TEST_STATE_FREQ, BPF_F_XDP_HAS_FRAGS, POINTER_VALUE,
    TESTING_PROG_FLAGS, TEST_DATA_LEN,
};

/// Which run of a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// With every capability.
    Privileged,
    /// Without `CAP_SYS_ADMIN` and `CAP_PERFMON` (see [`kernel_verdict`]).
    Unprivileged,
}

impl Mode {
    /// `priv` or `unpriv`, as in the table.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Privileged => "priv",
            Mode::Unprivileged => "unpriv",
        }
    }
}

/// What the kernel did with a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelVerdict {
    /// It loaded; the verifier's log (empty at log level 0).
    Accepted {
        /// The log.
        log: String,
    },
    /// The kernel refused it.
    Rejected {
        /// `BPF_PROG_LOAD`'s error (`Permission denied (os error 13)`).
        error: String,
        /// The verifier's log.
        log: String,
    },
    /// It could not be given to the kernel as the selftests give it.
    NotLoadable(Unloadable),
}

/// Why a program could not be loaded as the selftests load it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unloadable {
    /// ebee-object cannot read the object.
    Object(String),
    /// ebee-object cannot link the program.
    Link(String),
    /// The test is for another architecture (`__arch_arm64`).
    Arch(String),
    /// A program type that needs more than its code (struct_ops, freplace).
    ProgramType(String),
    /// The attach target of a tracing or LSM program is not in the kernel's BTF.
    AttachTarget(String),
    /// A kfunc the kernel's BTF lacks (`bpf_testmod`'s).
    Kfunc(String),
    /// A map the kernel would not create.
    Map(String),
    /// The kernel refused the load before its verifier said anything (an empty log: this
    /// kernel does not load tracing programs, or refuses the request's attributes).
    Refused(String),
    /// Something around the load failed (capabilities, the kernel's BTF).
    Setup(String),
}

impl Unloadable {
    /// The class, one word, as in the table: `object`, `link`, `arch`, `program-type`,
    /// `attach-target`, `kfunc`, `map`, `refused`, `setup`.
    pub fn class(&self) -> &'static str {
        match self {
            Unloadable::Object(_) => "object",
            Unloadable::Link(_) => "link",
            Unloadable::Arch(_) => "arch",
            Unloadable::ProgramType(_) => "program-type",
            Unloadable::AttachTarget(_) => "attach-target",
            Unloadable::Kfunc(_) => "kfunc",
            Unloadable::Map(_) => "map",
            Unloadable::Refused(_) => "refused",
            Unloadable::Setup(_) => "setup",
        }
    }

    /// The explanation.
    pub fn detail(&self) -> &str {
        match self {
            Unloadable::Object(d)
            | Unloadable::Link(d)
            | Unloadable::Arch(d)
            | Unloadable::ProgramType(d)
            | Unloadable::AttachTarget(d)
            | Unloadable::Kfunc(d)
            | Unloadable::Map(d)
            | Unloadable::Refused(d)
            | Unloadable::Setup(d) => d,
        }
    }
}

impl fmt::Display for Unloadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class(), self.detail())
    }
}

impl KernelVerdict {
    /// `accepted`, `rejected` or `not-loadable`, as in the table.
    pub fn name(&self) -> &'static str {
        match self {
            KernelVerdict::Accepted { .. } => "accepted",
            KernelVerdict::Rejected { .. } => "rejected",
            KernelVerdict::NotLoadable(_) => "not-loadable",
        }
    }
}

/// Longest reason a table row carries.
const MAX_REASON: usize = 240;

/// One line of text, at most 240 characters (whitespace, tabs and newlines flattened), as
/// the tables' reasons are.
pub fn one_line(text: &str) -> String {
    // `split_whitespace` also flattens the tabs and newlines of logs.
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(MAX_REASON) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// The verifier's complaint in a log: its last line that is not a statistic (`processed 0
/// insns …`); empty when there is none.
pub fn complaint(log: &str) -> &str {
    log.lines()
        .rev()
        .map(str::trim)
        .find(|l| {
            !l.is_empty()
                && !l.starts_with("processed ")
                && !l.starts_with("verification time")
                && !l.starts_with("stack depth")
        })
        .unwrap_or("")
}

/// The table line for a program's run: `file program mode expected kernel [reason]`, with a
/// reason unless the verdict agrees with the annotations: `missing-message: … | kernel: …`
/// (the first expected message not found, and the kernel's complaint when it refused),
/// `wrong-outcome: …` (the kernel's complaint when it refused), or the [`Unloadable`].
pub fn table_row(
    program: &SelftestProgram,
    mode: Mode,
    expect: &Expect,
    verdict: &KernelVerdict,
) -> String {
    let expected = if expect.success { "success" } else { "failure" };
    let reason = match (expect.judge(verdict), verdict) {
        (Agreement::Agrees, _) => String::new(),
        (Agreement::MissingMessage(message), KernelVerdict::Rejected { log, .. }) => {
            format!("missing-message: {message} | kernel: {}", complaint(log))
        }
        (Agreement::MissingMessage(message), _) => format!("missing-message: {message}"),
        (Agreement::WrongOutcome, KernelVerdict::Rejected { error, log }) => {
            format!("wrong-outcome: {error}: {}", complaint(log))
        }
        (Agreement::WrongOutcome, _) => "wrong-outcome".to_owned(),
        (Agreement::NotLoaded, KernelVerdict::NotLoadable(why)) => why.to_string(),
        (Agreement::NotLoaded, _) => "not-loaded".to_owned(),
    };
    let mut row = format!(
        "{} {} {} {expected} {}",
        program.object.file,
        program.name,
        mode.name(),
        verdict.name()
    );
    if !reason.is_empty() {
        row.push(' ');
        row.push_str(&one_line(&reason));
    }
    row
}

/// The table line for a source file that did not compile.
pub fn compile_failure_row(failure: &CompileFailure) -> String {
    format!(
        "{} - - - compile-error {}",
        failure.file,
        one_line(&failure.first_error)
    )
}

/// Compares `table` with the checked-in table at `path`: with `EBEE_BLESS` set it rewrites
/// the file instead. `Err` holds the differing lines (`- ` checked in, `+ ` now).
pub fn check_table(path: &std::path::Path, table: &str) -> Result<(), String> {
    if std::env::var_os("EBEE_BLESS").is_some() {
        std::fs::write(path, table).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
        return Ok(());
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    if checked_in == table {
        return Ok(());
    }
    let old: std::collections::BTreeSet<&str> = checked_in.lines().collect();
    let new: std::collections::BTreeSet<&str> = table.lines().collect();
    let mut diff = String::new();
    for line in old.difference(&new) {
        diff.push_str(&format!("- {line}\n"));
    }
    for line in new.difference(&old) {
        diff.push_str(&format!("+ {line}\n"));
    }
    Err(diff)
}
