//! Loading: a validated program → a [`Program`] ready to run.

use crate::ctx::ContextLayout;
use crate::error::{Access, VmError};
use crate::helpers::{Helper, Helpers};
use crate::legacy_packet::LegacyPacketLoadFn;
use crate::memory::Region;
use crate::verified::{ArrayLookup, Proofs};
use ebee_isa::{CallKind, Op, Semantics, Validated};
use std::sync::Arc;

/// Default instruction budget per run: enough for any realistic program, small enough to stop
/// an infinite loop within a second or so.
pub const DEFAULT_BUDGET: u64 = 1 << 28;

/// High bits of the value a function reference loads: tag | first slot of the function.
const FUNCTION_TAG: u64 = 0xfcb0_0000_0000_0000;

/// One executable slot: the interpreter's compact form of an instruction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub op: Op,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    /// Sign-extended imm32, or the whole imm64 of `lddw`; for a helper call, the index of the
    /// helper in [`Program::helpers`].
    pub imm: i64,
}

/// Configuration shared by the programs it loads: the helper registry, the instruction
/// budget, and for program types with an skb, the hook of the legacy packet loads.
///
/// ```
/// use ebee_vm::{Helpers, Memory, Vm};
/// let bytes = [
///     0xb7, 0x00, 0, 0, 5, 0, 0, 0, // mov %r0, 5
///     0x07, 0x00, 0, 0, 2, 0, 0, 0, // add %r0, 2
///     0x95, 0x00, 0, 0, 0, 0, 0, 0, // exit
/// ];
/// let program = Vm::new(Helpers::new()).load_bytes(&bytes)?;
/// assert_eq!(program.run(&Memory::new(), &[])?, 7);
/// # Ok::<(), ebee_vm::VmError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Vm {
    helpers: Arc<Helpers>,
    budget: Option<u64>,
    legacy_packet_load: Option<LegacyPacketLoadFn>,
    backend: Backend,
}

/// Which engine runs a loaded program. Both have the same semantics, checked mode
/// included; the JIT compiles at load and runs machine code.
///
/// ```
/// use ebee_vm::{Backend, Helpers, Memory, Vm};
/// let program = ebee_isa::assemble("mov %r0, 6\nmul %r0, 7\nexit")?;
/// for backend in [Backend::Interpreter, Backend::default()] {
///     let loaded = Vm::new(Helpers::new()).with_backend(backend).load(&program)?;
///     assert_eq!(loaded.backend(), backend);
///     assert_eq!(loaded.run(&Memory::new(), &[])?, 42);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The interpreter: available everywhere.
    Interpreter,
    /// The x86-64 JIT ([`Backend::JIT_AVAILABLE`] says whether this build has it).
    Jit,
}

impl Backend {
    /// Whether this build has the JIT (x86-64 hosts, and not under Miri, which cannot run
    /// machine code).
    pub const JIT_AVAILABLE: bool = cfg!(all(target_arch = "x86_64", not(miri)));

    /// The name the CLI uses (`jit`, `interp`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Interpreter => "interp",
            Backend::Jit => "jit",
        }
    }
}

/// The engine named by the environment variable `EBEE_ENGINE` (`jit` or `interp`: a switch
/// for whole programs and test suites, as the kernel's `bpf_jit_enable`) when set to one of
/// those; otherwise the JIT where this build has it, else the interpreter.
impl Default for Backend {
    fn default() -> Self {
        let chosen = std::env::var("EBEE_ENGINE")
            .ok()
            .and_then(|v| v.parse().ok());
        match chosen {
            Some(backend) => backend,
            None if Backend::JIT_AVAILABLE => Backend::Jit,
            None => Backend::Interpreter,
        }
    }
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "jit" => Ok(Backend::Jit),
            "interp" | "interpreter" => Ok(Backend::Interpreter),
            other => Err(format!(
                "unknown engine `{other}` (expected `jit` or `interp`)"
            )),
        }
    }
}

/// The code a [`Program`] runs besides its slots.
#[derive(Clone, Debug)]
pub(crate) enum Code {
    /// The interpreter runs the slots.
    Interpreted,
    /// Machine code compiled from the slots.
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    Jit(Arc<crate::jit::JitCode>),
}

impl Vm {
    /// A VM with these helpers and the [`DEFAULT_BUDGET`].
    pub fn new(helpers: Helpers) -> Self {
        Vm {
            helpers: Arc::new(helpers),
            budget: Some(DEFAULT_BUDGET),
            legacy_packet_load: None,
            backend: Backend::default(),
        }
    }

    /// Chooses the engine of the programs this VM loads (default: [`Backend::default`]).
    /// Refused at load when this build has no JIT.
    pub fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Sets the maximum number of instructions one run may execute.
    pub fn with_budget(mut self, budget: u64) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Lets runs execute any number of instructions, as Linux runs a verified program: the
    /// JIT then charges no budget (and does not count instructions, see
    /// [`Outcome::instructions`](crate::Outcome::instructions)). Meant for programs a
    /// verifier proved to terminate; another program may loop until its host stops it.
    ///
    /// ```
    /// use ebee_vm::{Helpers, Memory, Vm};
    /// let program = ebee_isa::assemble("mov %r0, 0\nadd %r0, 1\njlt %r0, 1000, -2\nexit")?;
    /// let loaded = Vm::new(Helpers::new()).without_budget().load(&program)?;
    /// assert_eq!(loaded.budget(), None);
    /// assert_eq!(loaded.run(&Memory::new(), &[])?, 1000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// Lets programs use the legacy packet loads (`ldabs*`, `ldind*`), which reach the
    /// packet through `hook` (see [`LegacyPacketLoadFn`]); without one they are refused at
    /// load. Give it only for program types whose context is an skb.
    pub fn with_legacy_packet_load(mut self, hook: LegacyPacketLoadFn) -> Self {
        self.legacy_packet_load = Some(hook);
        self
    }

    /// Decodes, validates and loads raw little-endian bytecode.
    pub fn load_bytes(&self, bytecode: &[u8]) -> Result<Program, VmError> {
        let slots = ebee_isa::slots_from_bytes(bytecode)?;
        self.load(&ebee_isa::decode_program(&slots)?)
    }

    /// Loads a validated program (from [`ebee_isa::decode_program`], the assembler, or
    /// [`Validated::new`]).
    ///
    /// Refuses, naming the instruction: calls to helpers that are not registered, kfunc calls,
    /// `lddw` pseudo references that only an object loader can resolve, reads of registers
    /// that may be uninitialized, and legacy packet loads (without a context, or without a
    /// [`Vm::with_legacy_packet_load`] hook).
    pub fn load(&self, program: &Validated) -> Result<Program, VmError> {
        self.load_program(program, None, &Proofs::default())
    }

    /// As [`Vm::load`], for a program whose r1 at entry is a context described by `context`:
    /// every load and store through the context pointer is rewritten to the host layout, and
    /// accesses the layout refuses (or through a modified context pointer) fail the load.
    pub fn load_with_context(
        &self,
        program: &Validated,
        context: &dyn ContextLayout,
    ) -> Result<Program, VmError> {
        self.load_program(program, Some(context), &Proofs::default())
    }

    /// As [`Vm::load`] or [`Vm::load_with_context`], for a program a verifier proved safe:
    /// the JIT emits the memory accesses at the slots [`Proofs::safe_accesses`] lists
    /// without a bounds check and computes the [`Proofs::array_lookups`] inline (the
    /// interpreter keeps checking every access and calling every helper).
    ///
    /// # Safety
    ///
    /// Every slot in `safe_accesses` must be a load, store or atomic that, on every run with
    /// any input the host may give, stays inside memory the program may access as it
    /// accesses it: what `ebee_verifier::Verified::safe_accesses` states of the program and
    /// the environment it verified (its program type's context, its maps, its helpers).
    /// Every [`ArrayLookup`] must be a call that, on every path, looks up its array with a
    /// key pointer to 4 readable bytes and whose result is used only as that array's values
    /// may be (`ebee_verifier::Verified::call_maps`), and the array's elements must stay
    /// where it says while the program lives.
    pub unsafe fn load_verified(
        &self,
        program: &Validated,
        context: Option<&dyn ContextLayout>,
        proofs: &Proofs<'_>,
    ) -> Result<Program, VmError> {
        self.load_program(program, context, proofs)
    }

    fn load_program(
        &self,
        program: &Validated,
        context: Option<&dyn ContextLayout>,
        proofs: &Proofs<'_>,
    ) -> Result<Program, VmError> {
        if self.legacy_packet_load.is_none() {
            let legacy = program
                .iter()
                .find(|i| matches!(i.def().sem, Semantics::LegacyPacketLoad { .. }));
            if let Some(insn) = legacy {
                return Err(VmError::LegacyPacketAccess {
                    pc: insn.pc,
                    mnemonic: insn.def().mnemonic,
                    reason: "there is no packet to load from (legacy packet loads need a \
                             program type whose context is an skb, and its hook: \
                             Vm::with_legacy_packet_load)"
                        .to_string(),
                });
            }
        }
        let facts = crate::dataflow::analyze(program, context.is_some(), &self.helpers)?;
        let mut code = Vec::with_capacity(program.slots());
        let mut function_entries = Vec::new();
        let mut helpers: Vec<Helper> = Vec::new();
        for insn in program.iter() {
            let mut slot = Slot {
                op: insn.op,
                dst: insn.dst,
                src: insn.src,
                off: insn.off,
                imm: insn.imm,
            };
            match insn.def().sem {
                Semantics::LoadImm64 { pseudo: 0 } => {}
                Semantics::LoadImm64 { .. } if insn.op == Op::LddwFunc => {
                    // A function reference (BPF_PSEUDO_FUNC): it must name an instruction.
                    let target = insn.function_reference().expect("a function reference");
                    let starts = |t: i64| program.binary_search_by_key(&t, |i| i.pc as i64).is_ok();
                    if !starts(target) {
                        return Err(VmError::Isa(ebee_isa::IsaError::JumpOutOfBounds {
                            pc: insn.pc,
                            target,
                            len: program.slots(),
                        }));
                    }
                    function_entries.push(target as usize);
                    slot.op = Op::Lddw;
                    slot.imm = (FUNCTION_TAG | target as u64) as i64;
                }
                Semantics::LoadImm64 { .. } => {
                    let what = match insn.op {
                        Op::LddwMapFd => "map fd",
                        Op::LddwMapValue => "map value",
                        Op::LddwBtfId => "BTF id",
                        Op::LddwMapIdx => "map index",
                        _ => "map index value",
                    };
                    return Err(VmError::UnresolvedReference { pc: insn.pc, what });
                }
                Semantics::Call(CallKind::Helper) => {
                    let helper =
                        self.helpers
                            .get(insn.imm as u32)
                            .ok_or(VmError::UnknownHelper {
                                pc: insn.pc,
                                id: insn.imm,
                            })?;
                    slot.imm = match helpers.iter().position(|h| h.id == helper.id) {
                        Some(index) => index as i64,
                        None => {
                            helpers.push(helper.clone());
                            helpers.len() as i64 - 1
                        }
                    };
                }
                Semantics::Call(CallKind::Kfunc) => {
                    return Err(VmError::KfuncUnsupported {
                        pc: insn.pc,
                        btf_id: insn.imm,
                    });
                }
                Semantics::MayGoto => return Err(VmError::MayGotoUnsupported { pc: insn.pc }),
                _ => {}
            }
            // `lddw` fills two slots; validation guarantees nothing jumps to the second.
            code.extend(std::iter::repeat_n(slot, insn.slots()));
        }
        let mut max_ctx_offset = 0;
        if let Some(layout) = context {
            for &pc in &facts.ctx_accesses {
                let end = crate::ctx::rewrite(layout, pc, &mut code[pc])?;
                max_ctx_offset = max_ctx_offset.max(end);
            }
        }
        function_entries.sort_unstable();
        function_entries.dedup();
        let mut proven = vec![false; code.len()];
        for &pc in proofs.safe_accesses {
            let memory = code.get(pc).is_some_and(|slot| {
                matches!(
                    slot.op.semantics(),
                    Semantics::Load { .. } | Semantics::Store { .. } | Semantics::Atomic { .. }
                )
            });
            if !memory {
                return Err(VmError::InvalidProof {
                    pc,
                    reason: "a safe access that is no load, store or atomic",
                });
            }
            proven[pc] = true;
        }
        let mut lookups = vec![None; code.len()];
        for lookup in proofs.array_lookups {
            let call = code.get(lookup.pc).is_some_and(|slot| {
                matches!(slot.op.semantics(), Semantics::Call(CallKind::Helper))
            });
            if !call {
                return Err(VmError::InvalidProof {
                    pc: lookup.pc,
                    reason: "an array lookup that is no helper call",
                });
            }
            lookups[lookup.pc] = Some(*lookup);
        }
        let mut array_regions: Vec<Region> = proofs
            .array_lookups
            .iter()
            .map(ArrayLookup::region)
            .collect();
        array_regions.sort_by_key(|r| (r.start, r.writable));
        array_regions.dedup();
        let machine_code = self.compile(&code, &function_entries, &proven, &lookups)?;
        Ok(Program {
            machine_code,
            function_entries,
            code: code.into_boxed_slice(),
            helpers: helpers.into_boxed_slice(),
            registry: self.helpers.clone(),
            budget: self.budget,
            legacy_packet_load: self.legacy_packet_load,
            max_ctx_offset,
            array_regions: array_regions.into_boxed_slice(),
        })
    }
}

impl Vm {
    /// The code of the chosen backend for `slots`.
    fn compile(
        &self,
        slots: &[Slot],
        function_entries: &[usize],
        proven: &[bool],
        lookups: &[Option<ArrayLookup>],
    ) -> Result<Code, VmError> {
        match self.backend {
            Backend::Interpreter => Ok(Code::Interpreted),
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Backend::Jit => Ok(Code::Jit(Arc::new(crate::jit::JitCode::compile(
                slots,
                function_entries,
                proven,
                lookups,
                self.budget.is_some(),
            )?))),
            #[cfg(not(all(target_arch = "x86_64", not(miri))))]
            Backend::Jit => {
                let _ = (slots, function_entries, proven, lookups);
                Err(VmError::Jit {
                    reason: "this build has no JIT (x86-64 only)".to_string(),
                })
            }
        }
    }
}

/// A loaded program. `Send + Sync`: run it from many threads at once.
///
/// It holds its code, the helpers its calls resolved to and the registry `callx` looks ids
/// up in; nothing of the host that runs it (that comes with each run, see
/// [`Program::run_with_state`]).
#[derive(Clone, Debug)]
pub struct Program {
    pub(crate) code: Box<[Slot]>,
    /// What runs: the interpreter on `code`, or machine code compiled from it.
    pub(crate) machine_code: Code,
    /// Slots that function references (`lddw` of BPF_PSEUDO_FUNC) point to.
    function_entries: Vec<usize>,
    /// The helpers the program calls, indexed by the `imm` of its call slots.
    pub(crate) helpers: Box<[Helper]>,
    /// Every registered helper, for `callx`.
    pub(crate) registry: Arc<Helpers>,
    /// `None`: no limit ([`Vm::without_budget`]).
    pub(crate) budget: Option<u64>,
    /// Where `ldabs*`/`ldind*` find the packet; `None` only in programs without them.
    pub(crate) legacy_packet_load: Option<LegacyPacketLoadFn>,
    /// One past the furthest context byte (in the context's UAPI layout) the program
    /// accesses; 0 without a context layout.
    max_ctx_offset: usize,
    /// The elements of the arrays whose lookups are computed inline ([`ArrayLookup`]),
    /// which every run may reach without a grant.
    pub(crate) array_regions: Box<[Region]>,
}

impl Program {
    /// Number of 8-byte instruction slots.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Always false: a loaded program has at least one instruction.
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// One past the furthest byte of its context the program accesses, in the context's UAPI
    /// layout (the kernel's `max_ctx_offset`: a raw tracepoint or syscall test run with a
    /// shorter context is refused). 0 for programs loaded without a context layout.
    pub fn max_ctx_offset(&self) -> usize {
        self.max_ctx_offset
    }

    /// The engine that runs the program.
    pub fn backend(&self) -> Backend {
        match self.machine_code {
            Code::Interpreted => Backend::Interpreter,
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Code::Jit(_) => Backend::Jit,
        }
    }

    /// The instruction budget of one run; `None` when runs are not limited.
    pub fn budget(&self) -> Option<u64> {
        self.budget
    }

    /// Whether `[addr, addr + size)` lies in the elements of an array whose lookups this
    /// program computes inline, allowing `access`.
    pub(crate) fn array_admits(&self, addr: u64, size: u64, access: Access) -> bool {
        let write = access == Access::Write;
        self.array_regions
            .iter()
            .any(|r| r.contains(addr, size) && (r.writable || !write))
    }

    /// The first slot of the function a function-reference value names, if it is one of this
    /// program's callbacks.
    pub(crate) fn function_entry(&self, value: u64) -> Option<usize> {
        let slot = usize::try_from(value ^ FUNCTION_TAG).ok()?;
        (value & FUNCTION_TAG == FUNCTION_TAG && self.function_entries.binary_search(&slot).is_ok())
            .then_some(slot)
    }
}
