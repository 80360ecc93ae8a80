//! Programs from raw bytecode or assembly, outside any object: no maps and no context; the
//! kernel helpers come from the one helper table, as a program type (or a generic program)
//! may call them.

use crate::engine::Engine;
use crate::helpers;
use crate::program_type::ProgramTypeSpec;
use crate::runtime::{RunState, Runtime};
use ebee_vm::{Memory, Outcome, VmError};
use std::sync::Arc;

/// A program loaded with [`Engine::load_raw`]. `Send + Sync`.
///
/// ```
/// use ebee_vm::Memory;
/// // r0 = r1[0] + bpf_get_smp_processor_id()
/// let program = ebee_isa::assemble("ldxb %r6, [%r1+0]\ncall 8\nadd %r0, %r6\nexit")?;
/// let program = ebee::Engine::new().load_raw(&program, None)?;
/// let input = [40u8];
/// let mut memory = Memory::new();
/// let address = memory.add("input", &input);
/// memory.set_cpu(2);
/// assert_eq!(program.run(&memory, &[address])?.retval, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RawProgram {
    vm: ebee_vm::Program,
    runtime: Arc<Runtime>,
}

impl Engine {
    /// Loads a program that is not part of an object (the bytes of `ebee run PROG.bin`, a
    /// conformance test): in checked mode, with this engine's budget, trace sink and CPU
    /// count, the helpers programs of `program_type` may call (`None`: a generic program's,
    /// as for tracing programs) and the engine's own helpers. There is no context: r1–r5 are
    /// what the caller passes.
    pub fn load_raw(
        &self,
        program: &ebee_isa::Validated,
        program_type: Option<&ProgramTypeSpec>,
    ) -> Result<RawProgram, VmError> {
        let mut registry = helpers::build_registry(program_type);
        self.register_custom(&mut registry);
        let vm = ebee_vm::Vm::new(registry)
            .with_budget(self.budget().unwrap_or(ebee_vm::DEFAULT_BUDGET))
            .with_backend(self.backend())
            .load(program)?;
        let runtime = Runtime::new(self.cpus(), self.trace(), self.network(), Vec::new());
        Ok(RawProgram {
            vm,
            runtime: Arc::new(runtime),
        })
    }
}

impl RawProgram {
    /// Runs over the regions of `memory` (on its CPU) with `args` in r1–r5.
    pub fn run(&self, memory: &Memory<'_>, args: &[u64]) -> Result<Outcome, VmError> {
        let state = RunState::new(self.runtime.clone(), None);
        self.vm.run_with_state(memory, &state, args)
    }

    /// The loaded program.
    pub fn vm(&self) -> &ebee_vm::Program {
        &self.vm
    }
}
