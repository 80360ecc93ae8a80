//! Why a program is refused ([`Rejection`]): where, which rule ([`Rule`]) in plain words,
//! the abstract state of the registers involved, the branch decisions that led there, and
//! for common cases what to change.

use std::fmt;

/// The rule a refused program breaks, by category (the kernel says these in its own words;
/// [`Rule::kernel_words`] gives a phrase of its message for each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// Jumps, calls and the instruction stream: out-of-range or cross-function jumps,
    /// unreachable code, a function not ending in `exit` or `ja`, malformed instructions.
    ControlFlow,
    /// A register read before it was written (`!read_ok`).
    UninitRegister,
    /// A write to the read-only frame pointer r10.
    FramePointerWrite,
    /// Pointer arithmetic the kernel does not allow (on this pointer kind, with this
    /// operator, with an unbounded scalar, in 32 bits).
    PointerArithmetic,
    /// A comparison of pointers not allowed to this loader.
    PointerComparison,
    /// A pointer value escaping into memory, the return value or a helper (unprivileged).
    PointerLeak,
    /// A load or store through something that is not a pointer, or through a pointer kind
    /// that may not be dereferenced.
    InvalidMemoryAccess,
    /// A stack access outside the frame, or a read of stack never written.
    Stack,
    /// A packet access not proven inside the packet.
    Packet,
    /// A map value access outside the value, or a store into a read-only map.
    MapValue,
    /// A context access the program type forbids.
    Context,
    /// A misaligned access.
    Alignment,
    /// A possibly-NULL pointer used before a NULL check.
    NullCheck,
    /// A helper call whose arguments do not match its prototype.
    HelperArgument,
    /// A helper the program type may not call, or that does not exist.
    HelperNotAllowed,
    /// An acquired reference (socket, ring-buffer record) not released on some path, or
    /// used after release.
    Reference,
    /// `bpf_spin_lock` misuse.
    SpinLock,
    /// A loop the verifier cannot prove bounded, or a program too large to check.
    Complexity,
    /// A return value outside the program type's range.
    ReturnValue,
    /// Division by a constant zero.
    DivisionByZero,
    /// Too many nested calls, or too much stack across them.
    CallStack,
    /// Legacy packet loads (`LD_ABS`/`LD_IND`) where not allowed.
    LegacyPacketLoad,
    /// Something ebee cannot check yet (and so does not accept unverified).
    Unsupported,
}

impl Rule {
    /// A phrase of the Linux verifier's message for this rule, for people who know those.
    pub fn kernel_words(self) -> &'static str {
        match self {
            Rule::ControlFlow => "jump out of range / unreachable insn",
            Rule::UninitRegister => "!read_ok",
            Rule::FramePointerWrite => "frame pointer is read only",
            Rule::PointerArithmetic => "pointer arithmetic ... prohibited",
            Rule::PointerComparison => "pointer comparison prohibited",
            Rule::PointerLeak => "leaks addr",
            Rule::InvalidMemoryAccess => "invalid mem access",
            Rule::Stack => "invalid read/write to stack",
            Rule::Packet => "invalid access to packet",
            Rule::MapValue => "invalid access to map value",
            Rule::Context => "invalid bpf_context access",
            Rule::Alignment => "misaligned access",
            Rule::NullCheck => "invalid mem access 'map_value_or_null'",
            Rule::HelperArgument => "type=... expected=...",
            Rule::HelperNotAllowed => "program of this type cannot use helper",
            Rule::Reference => "Unreleased reference",
            Rule::SpinLock => "bpf_spin_lock",
            Rule::Complexity => "infinite loop detected / BPF program is too large",
            Rule::ReturnValue => "At program exit the register R0 ... should have been in",
            Rule::DivisionByZero => "div by zero",
            Rule::CallStack => "call stack ... too deep / combined stack size",
            Rule::LegacyPacketLoad => "BPF_LD_[ABS|IND]",
            Rule::Unsupported => "(not checked by ebee)",
        }
    }
}

/// One branch decision on the way to an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Branch {
    /// The conditional jump.
    pub pc: usize,
    /// Whether the jump was taken.
    pub taken: bool,
}

/// Counts of the work done, as the kernel's log's last line gives them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Instructions processed (each visit counts).
    pub processed: u64,
    /// States saved for pruning.
    pub states: u64,
    /// The most states saved at once.
    pub peak_states: u64,
    /// Paths cut short because a saved state covered them.
    pub pruned: u64,
    /// Time taken, in microseconds.
    pub micros: u64,
}

/// Why a program was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Instruction slot.
    pub pc: usize,
    /// Its disassembly (LLVM syntax).
    pub instruction: String,
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong, in plain words.
    pub message: String,
    /// The registers involved: `(register, abstract state)`.
    pub registers: Vec<(u8, String)>,
    /// The branch decisions of the path that reaches the error, first first.
    pub path: Vec<Branch>,
    /// What to change, for the common cases.
    pub suggestion: Option<String>,
    /// The work done until the error.
    pub stats: Stats,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "instruction {} ({}): {}",
            self.pc, self.instruction, self.message
        )
    }
}

impl std::error::Error for Rejection {}

impl Rejection {
    /// The whole diagnostic, several lines: the error, the registers, the path, the
    /// suggestion.
    pub fn report(&self) -> String {
        let mut out = format!(
            "{self}\n  rule: {:?} (kernel: \"{}\")\n",
            self.rule,
            self.rule.kernel_words()
        );
        for (reg, state) in &self.registers {
            out.push_str(&format!("  r{reg} = {state}\n"));
        }
        if !self.path.is_empty() {
            let steps: Vec<String> = self
                .path
                .iter()
                .map(|b| format!("{}:{}", b.pc, if b.taken { "taken" } else { "not taken" }))
                .collect();
            out.push_str(&format!("  path: {}\n", steps.join(", ")));
        }
        if let Some(s) = &self.suggestion {
            out.push_str(&format!("  suggestion: {s}\n"));
        }
        out
    }
}

/// An error found while stepping one instruction, before the explorer adds where and how.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    pub rule: Rule,
    pub message: String,
    pub regs: Vec<u8>,
    pub suggestion: Option<String>,
}

impl Fault {
    /// A fault breaking `rule`, involving registers `regs`.
    pub(crate) fn new(rule: Rule, regs: &[u8], message: impl Into<String>) -> Fault {
        Fault {
            rule,
            message: message.into(),
            regs: regs.to_vec(),
            suggestion: None,
        }
    }

    /// This fault with a suggestion.
    pub(crate) fn suggest(mut self, suggestion: impl Into<String>) -> Fault {
        self.suggestion = Some(suggestion.into());
        self
    }
}

/// "R`r` !read_ok": register `r` read before written.
pub(crate) fn uninit(r: u8) -> Fault {
    Fault::new(
        Rule::UninitRegister,
        &[r],
        format!("r{r} is read before it is written (R{r} !read_ok)"),
    )
    .suggest(format!("give r{r} a value on every path that reaches here"))
}
