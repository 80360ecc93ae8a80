//! A loaded program and its test run, with `BPF_PROG_TEST_RUN`'s semantics.

use crate::error::{vm_error_pc, Error};
use crate::packet::Redirect;
use crate::program_type::ProgramTypeSpec;
use crate::runtime::Runtime;
use ebee_object::{LinkedProgram, ProgramKind};
use std::sync::Arc;

/// One loaded program of an [`crate::Object`]. Cheap to share between threads: runs on many
/// threads at once are safe.
pub struct Program {
    id: u32,
    linked: LinkedProgram,
    type_spec: Option<&'static ProgramTypeSpec>,
    vm: Arc<ebee_vm::Program>,
    runtime: Arc<Runtime>,
}

/// Input of a test run, as `BPF_PROG_TEST_RUN` takes it.
#[derive(Clone, Copy, Debug, Default)]
pub struct TestRun<'a> {
    /// The packet (XDP, the skb types, the flow dissector: starting with the Ethernet header;
    /// XDP with metadata first when `ctx_in` says so), or nothing: types without a packet
    /// (kprobe, tracepoint, raw_tracepoint, perf_event, sockops, cgroup/sock, sock_addr,
    /// sk_msg, sk_lookup, syscall) and generic programs refuse one.
    pub data_in: &'a [u8],
    /// The context: the type's UAPI structure (`struct xdp_md`, `struct __sk_buff`,
    /// `struct pt_regs`, `struct bpf_sock_addr`, …; for the flow dissector a
    /// `struct bpf_flow_keys`), the bytes of a byte context (a tracepoint's record, a raw
    /// tracepoint's arguments, a syscall program's buffer) or, for generic programs, the
    /// bytes r1 points to. See the spec's `packet` for each type's rules.
    pub ctx_in: Option<&'a [u8]>,
    /// How many times to run (0 counts as 1); the packet and context carry over between
    /// runs, as in the kernel.
    pub repeat: u32,
    /// The worker (CPU) the run executes on, for per-CPU maps.
    pub cpu: usize,
}

/// Output of a test run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRunResult {
    /// r0 of the last run, truncated to 32 bits as the kernel reports it.
    pub retval: u32,
    /// The packet after the run (XDP: from the metadata to the end; the flow dissector: the
    /// `struct bpf_flow_keys` it filled in).
    pub data_out: Vec<u8>,
    /// The UAPI context after the run (for byte contexts and generic programs, the bytes).
    pub ctx_out: Vec<u8>,
    /// Mean duration of one run in nanoseconds.
    pub duration_ns: u64,
    /// Where the program redirected the packet, if it did.
    pub redirect: Option<Redirect>,
    /// The return value the program asked the probed function to return instead of running
    /// (`bpf_override_return`, kprobes), if it did in the last run.
    pub override_return: Option<u64>,
}

impl Program {
    pub(crate) fn new(
        id: u32,
        linked: LinkedProgram,
        type_spec: Option<&'static ProgramTypeSpec>,
        vm: Arc<ebee_vm::Program>,
        runtime: Arc<Runtime>,
    ) -> Program {
        Program {
            id,
            linked,
            type_spec,
            vm,
            runtime,
        }
    }

    /// The function name.
    pub fn name(&self) -> &str {
        &self.linked.name
    }

    /// The ELF section it came from (`xdp`, `tc`, `kprobe/…`).
    pub fn section(&self) -> &str {
        &self.linked.section
    }

    /// The program kind the section name gave.
    pub fn kind(&self) -> &ProgramKind {
        &self.linked.kind
    }

    /// The program type spec; `None` for generic programs (context = host bytes).
    pub fn type_spec(&self) -> Option<&'static ProgramTypeSpec> {
        self.type_spec
    }

    /// The id prog arrays hold to reach this program with a tail call.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The linked program: instructions, functions, BTF line info.
    pub fn linked(&self) -> &LinkedProgram {
        &self.linked
    }

    /// Number of instruction slots.
    pub fn len(&self) -> usize {
        self.vm.len()
    }

    /// One past the furthest context byte the program accesses, in its context's UAPI
    /// layout (the kernel's `max_ctx_offset`): a run of a type whose context is bytes
    /// (raw_tracepoint, syscall, tracepoint) needs a context at least this long.
    pub fn max_ctx_offset(&self) -> usize {
        self.vm.max_ctx_offset()
    }

    /// Always false: loaded programs have instructions.
    pub fn is_empty(&self) -> bool {
        self.vm.is_empty()
    }

    /// Runs the program as `BPF_PROG_TEST_RUN` does.
    ///
    /// ```no_run
    /// # let object = ebee::Engine::new().load_file("xdp_pass.bpf.o")?;
    /// let program = object.program("xdp_pass").unwrap();
    /// let packet = [0u8; 64];
    /// let out = program.test_run(&ebee::TestRun { data_in: &packet, ..Default::default() })?;
    /// assert_eq!(out.retval, 2); // XDP_PASS
    /// # Ok::<(), ebee::Error>(())
    /// ```
    pub fn test_run(&self, run: &TestRun<'_>) -> Result<TestRunResult, Error> {
        self.runner().run(run)
    }

    /// A runner for many runs of this program (the packets of a capture, benchmark
    /// iterations): it keeps the packet buffer, host context and memory layout between runs.
    ///
    /// ```no_run
    /// # let object = ebee::Engine::new().load_file("xdp_pass.bpf.o")?;
    /// let mut runner = object.program("xdp_pass").unwrap().runner();
    /// for packet in [[0u8; 64], [1u8; 64]] {
    ///     let out = runner.run(&ebee::TestRun { data_in: &packet, ..Default::default() })?;
    ///     assert_eq!(out.retval, 2);
    /// }
    /// # Ok::<(), ebee::Error>(())
    /// ```
    pub fn runner(&self) -> crate::Runner<'_> {
        crate::Runner::new(self)
    }

    pub(crate) fn vm(&self) -> &ebee_vm::Program {
        &self.vm
    }

    pub(crate) fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    pub(crate) fn run_error(&self, error: ebee_vm::VmError) -> Error {
        let line = vm_error_pc(&error)
            .and_then(|pc| self.linked.source_line(pc))
            .map(|l| l.to_string());
        Error::Vm {
            program: self.name().to_string(),
            error: Box::new(error),
            line,
        }
    }
}
