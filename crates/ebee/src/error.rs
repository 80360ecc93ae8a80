//! The one error type of the `ebee` crate.

use std::path::PathBuf;
use thiserror::Error;

/// Why an object could not be loaded or a program could not run.
///
/// A variant whose message includes an inner error's text does not also return it as its
/// `source()`, so printing the chain (`{:#}` with anyhow) says each thing once.
#[derive(Debug, Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// The object file did not parse or link.
    #[error(transparent)]
    Object(#[from] ebee_object::ObjectError),
    /// A map could not be created.
    #[error(transparent)]
    Map(#[from] ebee_maps::MapError),
    /// A map operation the loader or host made failed.
    #[error("map {map}: {errno}")]
    MapOperation {
        /// The map.
        map: String,
        /// The kernel errno.
        errno: ebee_maps::Errno,
    },
    /// No map has this name.
    #[error("no map named {0}")]
    NoSuchMap(String),
    /// No program has this name.
    #[error("no program named {0}")]
    NoSuchProgram(String),
    /// A program-type override names no program type.
    #[error(
        "unknown program type {0:?}: expected a program type as bpftool names it (xdp, \
         sched_cls, socket_filter, kprobe, …) or a section name libbpf knows (classifier, \
         socket, cgroup/connect4, …)"
    )]
    UnknownProgramType(String),
    /// A reference the linker left could not be resolved.
    #[error("program {program}, instruction {pc}: {message}")]
    Link {
        /// The program.
        program: String,
        /// Instruction index.
        pc: usize,
        /// What is wrong.
        message: String,
    },
    /// The program calls a helper ebee does not provide.
    #[error("program {program}, instruction {pc}: calls helper {} (id {id}), which ebee does not provide{}", name.as_deref().unwrap_or("<unknown>"), at(line))]
    UnknownHelper {
        /// The program.
        program: String,
        /// Instruction index.
        pc: usize,
        /// Helper id.
        id: u32,
        /// Kernel name of the helper, when the id is a kernel helper.
        name: Option<String>,
        /// Source line, when BTF line info exists.
        line: Option<String>,
    },
    /// The program calls a helper its program type may not call.
    #[error("program {program}, instruction {pc}: helper {helper} (id {id}) is not allowed in {program_type} programs{}", at(line))]
    HelperNotAllowed {
        /// The program.
        program: String,
        /// Instruction index.
        pc: usize,
        /// Helper name.
        helper: String,
        /// Helper id.
        id: u32,
        /// Program type name.
        program_type: String,
        /// Source line, when BTF line info exists.
        line: Option<String>,
    },
    /// The program uses a legacy packet load (`ldabs*`, `ldind*`: clang's `load_byte`,
    /// `load_half`, `load_word`) and its program type has no skb to load from.
    #[error("program {program}, instruction {pc}: {mnemonic} (a legacy packet load, BPF_LD|BPF_ABS or BPF_IND) is not allowed in {program_type} programs: only socket filter and TC programs, whose context is an skb, may use it{}", at(line))]
    LegacyPacketAccessNotAllowed {
        /// The program.
        program: String,
        /// Instruction index.
        pc: usize,
        /// The instruction's mnemonic (`ldabsw`, …).
        mnemonic: &'static str,
        /// Program type name.
        program_type: String,
        /// Source line, when BTF line info exists.
        line: Option<String>,
    },
    /// The program calls a kernel function, which ebee does not provide.
    #[error(
        "program {program}, instruction {pc}: calls kfunc {name}, which ebee does not provide"
    )]
    Kfunc {
        /// The program.
        program: String,
        /// Instruction index.
        pc: usize,
        /// Kernel function name.
        name: String,
    },
    /// The VM refused the program at load, or the run failed.
    #[error("program {program}: {error}{}", at(line))]
    Vm {
        /// The program.
        program: String,
        /// What the VM said (its text is part of this error's, so it is not a `source`).
        error: Box<ebee_vm::VmError>,
        /// Source line of the faulting instruction, when BTF line info exists.
        line: Option<String>,
    },
    /// The verifier refused the program: it cannot prove it safe.
    #[error("program {program} does not verify: {}{}", rejection, at(line))]
    Verification {
        /// The program.
        program: String,
        /// Why, in full ([`ebee_verifier::Rejection::report`] for the whole diagnostic).
        rejection: Box<ebee_verifier::Rejection>,
        /// Source line of the refused instruction, when BTF line info exists.
        line: Option<String>,
    },
    /// A host function cannot be a helper (see [`crate::HostFunction::wrap`]).
    #[error("host function {name}: {message}")]
    HostFunction {
        /// Its name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The input of a test run does not fit the program type (as `BPF_PROG_TEST_RUN`'s
    /// `-EINVAL`).
    #[error("program {program}: invalid test run input: {message}")]
    BadInput {
        /// The program.
        program: String,
        /// What is wrong.
        message: String,
    },
}

fn at(source: &Option<String>) -> String {
    source
        .as_ref()
        .map(|s| format!(" (at {s})"))
        .unwrap_or_default()
}

impl Error {
    /// A VM error of `program`, with the source line of its instruction when known.
    pub(crate) fn load(program: &ebee_object::LinkedProgram, error: ebee_vm::VmError) -> Error {
        let line = vm_error_pc(&error)
            .and_then(|pc| program.source_line(pc))
            .map(|l| l.to_string());
        Error::Vm {
            program: program.name.clone(),
            error: Box::new(error),
            line,
        }
    }
}

/// The instruction index a VM error names, if any.
pub(crate) fn vm_error_pc(error: &ebee_vm::VmError) -> Option<usize> {
    use ebee_vm::VmError::*;
    Some(match error {
        UnresolvedReference { pc, .. }
        | UnknownHelper { pc, .. }
        | KfuncUnsupported { pc, .. }
        | UninitializedRegister { pc, .. }
        | BadContextAccess { pc, .. }
        | OutOfBounds { pc, .. }
        | MisalignedAtomic { pc, .. }
        | CallDepthExceeded { pc, .. }
        | BudgetExhausted { pc, .. }
        | LegacyPacketAccess { pc, .. }
        | LegacyPacketLoad { pc, .. }
        | InvalidProof { pc, .. }
        | MayGotoUnsupported { pc }
        | Helper { pc, .. } => *pc,
        Isa(_) | Jit { .. } => return None,
    })
}
