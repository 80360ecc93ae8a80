//! The one error type of `ebee-vm`.

use thiserror::Error;

/// Whether a faulting access was a read or a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A load (or the read half of an atomic).
    Read,
    /// A store (or an atomic read-modify-write).
    Write,
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Access::Read => "read",
            Access::Write => "write",
        })
    }
}

/// A memory access outside every region the run may touch (checked mode), by the program
/// itself ([`VmError::OutOfBounds`]) or by a helper on its behalf ([`HelperError::Fault`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("out-of-bounds {access} of {size} bytes at {addr:#x}; {nearest}")]
pub struct Fault {
    /// Read or write.
    pub access: Access,
    /// Address accessed.
    pub addr: u64,
    /// Access size in bytes.
    pub size: u64,
    /// Description of the nearest region, or that there is none.
    pub nearest: String,
}

/// Why a helper stopped the run. Its text never repeats the instruction, which
/// [`VmError::Helper`] names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HelperError {
    /// A memory access the helper made for the program (reading a key, writing a buffer)
    /// is outside the program's memory.
    #[error("{0}")]
    Fault(Fault),
    /// A callback the helper called (`bpf_loop`, `bpf_for_each_map_elem`) failed; the error
    /// names the callback's own instruction.
    #[error("in a callback: {0}")]
    Callback(Box<VmError>),
    /// Anything else, in words.
    #[error("{0}")]
    Failed(String),
}

impl From<Fault> for HelperError {
    fn from(fault: Fault) -> Self {
        HelperError::Fault(fault)
    }
}

impl From<String> for HelperError {
    fn from(message: String) -> Self {
        HelperError::Failed(message)
    }
}

impl From<&str> for HelperError {
    fn from(message: &str) -> Self {
        HelperError::Failed(message.to_string())
    }
}

/// Why a program could not be loaded or did not run to completion. Every variant names the
/// instruction index (`pc`) it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VmError {
    /// The bytecode did not decode or validate.
    #[error(transparent)]
    Isa(#[from] ebee_isa::IsaError),

    /// An `lddw` still refers to a map, BTF id or function that only an object loader resolves.
    #[error("instruction {pc}: unresolved {what} reference in lddw (load the program from its object file)")]
    UnresolvedReference {
        /// Instruction index.
        pc: usize,
        /// Which pseudo kind (`map fd`, `map value`, …).
        what: &'static str,
    },
    /// The program calls a helper id that is not registered.
    #[error("instruction {pc}: call to unknown helper id {id}")]
    UnknownHelper {
        /// Instruction index.
        pc: usize,
        /// Kernel helper id.
        id: i64,
    },
    /// The program calls a kfunc, which needs BTF from an object file.
    #[error("instruction {pc}: kfunc call (BTF id {btf_id}) is not supported for raw bytecode")]
    KfuncUnsupported {
        /// Instruction index.
        pc: usize,
        /// BTF id in the instruction.
        btf_id: i64,
    },
    /// An instruction reads a register that some path to it never wrote.
    #[error("instruction {pc}: invalid read of r{reg}, which is uninitialized on some path here")]
    UninitializedRegister {
        /// Instruction index.
        pc: usize,
        /// The register.
        reg: u8,
    },
    /// An access to the program's context that its program type does not allow.
    #[error("instruction {pc}: invalid context access: {reason}")]
    BadContextAccess {
        /// Instruction index.
        pc: usize,
        /// What is wrong.
        reason: String,
    },
    /// A legacy packet load (`ldabs*`, `ldind*`) the program may not make: the VM has no
    /// packet to load from (only program types with an skb context give it one), or r6 is
    /// not the context.
    #[error("instruction {pc} ({mnemonic}): legacy packet access: {reason}")]
    LegacyPacketAccess {
        /// Instruction index.
        pc: usize,
        /// Mnemonic (`ldabsw`, …).
        mnemonic: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The legacy packet load hook stopped the run.
    #[error("instruction {pc} ({mnemonic}): legacy packet load: {error}")]
    LegacyPacketLoad {
        /// Instruction index.
        pc: usize,
        /// Mnemonic (`ldabsw`, …).
        mnemonic: &'static str,
        /// What went wrong.
        error: HelperError,
    },
    /// A checked-mode memory access outside every registered region.
    #[error("instruction {pc}: {fault}")]
    OutOfBounds {
        /// Instruction index.
        pc: usize,
        /// The access.
        fault: Fault,
    },
    /// An atomic operation on an address that is not naturally aligned.
    #[error("instruction {pc}: misaligned {size}-byte atomic access at {addr:#x}")]
    MisalignedAtomic {
        /// Instruction index.
        pc: usize,
        /// Address accessed.
        addr: u64,
        /// Access size.
        size: u64,
    },
    /// A bpf-to-bpf call would exceed the maximum call depth.
    #[error("instruction {pc}: call depth exceeds {max} frames")]
    CallDepthExceeded {
        /// Instruction index of the call.
        pc: usize,
        /// The limit.
        max: usize,
    },
    /// The program executed more instructions than its budget allows.
    #[error("instruction {pc}: instruction budget of {budget} exhausted (runaway program?)")]
    BudgetExhausted {
        /// Instruction index where the budget ran out.
        pc: usize,
        /// The budget.
        budget: u64,
    },

    /// `may_goto` (`BPF_JCOND`), which ebee decodes and lists but does not run yet.
    #[error("instruction {pc}: may_goto is not supported yet")]
    MayGotoUnsupported {
        /// The slot.
        pc: usize,
    },
    /// What [`Vm::load_verified`](crate::Vm::load_verified) was told of a slot cannot be
    /// true of it.
    #[error("instruction {pc}: the verifier's proofs do not fit the program: {reason}")]
    InvalidProof {
        /// The slot.
        pc: usize,
        /// What does not fit.
        reason: &'static str,
    },
    /// The JIT could not compile or map the program.
    #[error("JIT: {reason}")]
    Jit {
        /// Why.
        reason: String,
    },
    /// A helper stopped the run.
    #[error("instruction {pc}: helper {name} (id {id}): {error}")]
    Helper {
        /// Instruction index of the call.
        pc: usize,
        /// Helper id.
        id: u32,
        /// Helper name.
        name: String,
        /// What went wrong.
        error: HelperError,
    },
}
